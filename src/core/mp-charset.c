/* mp-charset.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-charset"

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "mp-charset.h"
#include "mp-headers.h"

/* A cut message may end inside a multi-byte character; that many trailing
 * bytes are dropped rather than letting the whole text fail to convert.
 */
#define MAX_PARTIAL_TAIL 8

/* RFC 2047 words name their charset and GMime decodes them. Raw 8-bit
 * header bytes (and body parts without a charset parameter) name nothing.
 * GMime's own fallback takes the first charset in its list that converts
 * without error, but KOI8-R, windows-1251 and latin-1 each convert almost
 * any byte string without error, so whichever comes first would always
 * win. Instead every candidate is converted and the result that looks most
 * like text is kept: Russian letters weighted by frequency, penalties for
 * case changes inside a word, scripts mixed inside a word, box-drawing and
 * control characters. The charset of the body, when given, gets a bonus:
 * the sending client most likely wrote its headers in it too.
 */

/* On a tie the first wins; windows-1251 is the more common today */
static const char * const guess_charsets[] = {
  "WINDOWS-1251",
  "KOI8-R",
  "WINDOWS-1252",
  "ISO-8859-1",
};

/* Russian letter frequencies as 4·log2 (frequency / 0.25 %), а…я: the log
 * likelihood of a text under a single-letter model. Wrong decodings of
 * KOI8-R and windows-1251 map each other's letters onto a permutation of
 * the alphabet, which turns common letters into rare ones.
 */
static const gint8 russian_weight[32] = {
  /* а   б   в   г   д   е   ж   з   и   й   к   л   м   н   о   п */
    20, 11, 17, 11, 14, 20,  8, 11, 20,  9, 15, 17, 15, 19, 22, 14,
  /* р   с   т   у   ф   х   ц   ч   ш   щ   ъ   ы   ь   э   ю   я */
    17, 18, 19, 14,  0,  8,  4, 10,  6,  2, -8, 12, 11,  1,  5, 12,
};

/* The most frequent Russian letter pairs. Letter frequencies alone cannot
 * tell a short all-lowercase word from the all-capitals word the other
 * charset makes of it; common pairs can.
 */
static const char russian_bigrams[] =
  "ст но то на ен ов ни ра во ко ро пр по ал ер ли ан ор ва ет не ос го "
  "ол ес та ом ак ка ль тр од ел ит де ин ло ла он ат ле ки да ей ой ий "
  "ый ть ся ем ме ве ск ри ны ие ог ег ам им ее ис ас ди ми ре от ит до "
  "ту ду ил ев ое ая ую ых их ах об бо";

#define BIGRAM_BONUS         6
#define CASE_CHANGE_PENALTY  30
#define MIXED_SCRIPT_PENALTY 16
#define BAD_START_PENALTY    16
#define BAD_SIGN_PENALTY     16
#define LATIN_NEIGHBOUR      8

/* Per non-ASCII character for the declared charset: enough to win every
 * Russian sample in the tests when it is right, too little to make
 * windows-1251 text latin-1 just because the label says so.
 */
#define HINT_BONUS           10

typedef enum
{
  CLASS_BOUNDARY,
  CLASS_ASCII_LETTER,
  CLASS_LATIN_LETTER,
  CLASS_CYRILLIC_LETTER,
} CharClass;

/* Index 0…31 of a Russian letter а…я in either case, -1 otherwise (ё too:
 * it is rare in mail, and folding it into е would hide nothing).
 */
static int
russian_index (gunichar c)
{
  if (c >= 0x430 && c <= 0x44F)
    return c - 0x430;
  if (c >= 0x410 && c <= 0x42F)
    return c - 0x410;

  return -1;
}

static const guint32 *
get_bigram_table (void)
{
  static guint32 table[32];
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      const char *p = russian_bigrams;

      while (*p != '\0')
        {
          int a = russian_index (g_utf8_get_char (p));
          int b;

          p = g_utf8_next_char (p);
          b = russian_index (g_utf8_get_char (p));
          p = g_utf8_next_char (p);
          if (a >= 0 && b >= 0)
            table[a] |= 1u << b;
          while (*p == ' ')
            p++;
        }

      g_once_init_leave (&initialized, 1);
    }

  return table;
}

static gboolean
is_latin_letter (gunichar c)
{
  return (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

static gboolean
is_cjk (gunichar c)
{
  return ((c >= 0x3000 && c <= 0x30FF) ||   /* CJK punctuation, kana */
          (c >= 0x3400 && c <= 0x4DBF) ||
          (c >= 0x4E00 && c <= 0x9FFF) ||
          (c >= 0xAC00 && c <= 0xD7AF) ||   /* Hangul */
          (c >= 0xFF00 && c <= 0xFFEF));    /* full and half width forms */
}

static int
cyrillic_weight (gunichar c)
{
  int i = russian_index (c);

  if (i >= 0)
    return russian_weight[i];

  switch (g_unichar_tolower (c))
    {
    case 0x451:                        /* ё */
      return 8;
    case 0x454: case 0x456:            /* є і */
    case 0x457: case 0x491:            /* ї ґ */
      return 4;
    default:
      return -4;
    }
}

static gboolean
is_russian_vowel (int i)
{
  /* а е и о у ы э ю я */
  return (i == 0 || i == 5 || i == 8 || i == 14 || i == 19 ||
          i == 27 || i == 29 || i == 30 || i == 31);
}

static int
score_symbol (gunichar c)
{
  if (c == 0xFFFD || (c >= 0x80 && c < 0xA0))
    return -60;
  if (c >= 0x2500 && c <= 0x25FF)             /* box drawing, blocks */
    return -30;
  if (c >= 0x2190 && c <= 0x23FF)             /* arrows, maths, technical */
    return -16;
  if (c >= 0xA0 && c <= 0xBF)
    {
      switch (c)
        {
        case 0xA0: case 0xA1: case 0xA2: case 0xA3:   /* nbsp ¡ ¢ £ */
        case 0xA5: case 0xA7: case 0xA9: case 0xAB:   /* ¥ § © « */
        case 0xAE: case 0xB0: case 0xB1: case 0xB5:   /* ® ° ± µ */
        case 0xB7: case 0xBB: case 0xBF:              /* · » ¿ */
          return 0;
        default:
          return -8;
        }
    }
  if (c == 0xD7 || c == 0xF7)
    return -8;

  return 0;
}

/* How much @text looks like real text; only differences between the
 * decodings of one byte string matter.
 */
static int
score_text (const char *text)
{
  const guint32 *bigrams = get_bigram_table ();
  CharClass prev = CLASS_BOUNDARY;
  gboolean prev_lower = FALSE;
  int prev_russian = -1;
  int score = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      CharClass cls = CLASS_BOUNDARY;
      gboolean lower = FALSE;
      int russian = -1;

      if (c < 0x80)
        {
          if (g_ascii_isalpha (c))
            {
              cls = CLASS_ASCII_LETTER;
              lower = g_ascii_islower (c);
              if (prev == CLASS_LATIN_LETTER)
                score += LATIN_NEIGHBOUR;
              else if (prev == CLASS_CYRILLIC_LETTER)
                score -= MIXED_SCRIPT_PENALTY;
            }
        }
      else if (c >= 0x400 && c <= 0x4FF)
        {
          cls = CLASS_CYRILLIC_LETTER;
          lower = g_unichar_islower (c);
          russian = russian_index (c);
          score += cyrillic_weight (c);

          if (prev == CLASS_ASCII_LETTER || prev == CLASS_LATIN_LETTER)
            score -= MIXED_SCRIPT_PENALTY;
          else if (prev == CLASS_CYRILLIC_LETTER && !lower && prev_lower)
            score -= CASE_CHANGE_PENALTY;

          /* ъ ы ь never begin a word, ъ ь never follow a vowel */
          if (prev == CLASS_BOUNDARY && (russian == 26 || russian == 27 || russian == 28))
            score -= BAD_START_PENALTY;
          if (prev_russian >= 0 && is_russian_vowel (prev_russian) && (russian == 26 || russian == 28))
            score -= BAD_SIGN_PENALTY;

          if (prev_russian >= 0 && russian >= 0 && (bigrams[prev_russian] & (1u << russian)) != 0)
            score += BIGRAM_BONUS;
        }
      else if (is_latin_letter (c))
        {
          cls = CLASS_LATIN_LETTER;
          lower = g_unichar_islower (c);
          if (prev == CLASS_ASCII_LETTER)
            score += LATIN_NEIGHBOUR;
          else if (prev == CLASS_CYRILLIC_LETTER)
            score -= MIXED_SCRIPT_PENALTY;
          if (!lower && prev_lower && prev != CLASS_BOUNDARY)
            score -= CASE_CHANGE_PENALTY;
        }
      else if (is_cjk (c))
        {
          score += 12;
        }
      else
        {
          score += score_symbol (c);
        }

      prev = cls;
      prev_lower = lower;
      prev_russian = russian;
    }

  return score;
}

static guint
count_non_ascii (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if ((guchar) *p >= 0x80)
      n++;

  return n;
}

/* Converts @data from @charset to UTF-8, failing on any invalid sequence
 * except a short cut-off one at the very end. NUL characters become
 * spaces so that the result is a usable C string.
 */
char *
mp_charset_convert_strict (const char *data,
                           gsize       len,
                           const char *charset)
{
  g_autoptr(GError) error = NULL;
  gsize bytes_read = 0;
  gsize bytes_written = 0;
  char *out;

  out = g_convert (data, len, "UTF-8", charset, &bytes_read, &bytes_written, &error);

  if (out == NULL &&
      g_error_matches (error, G_CONVERT_ERROR, G_CONVERT_ERROR_PARTIAL_INPUT) &&
      bytes_read < len && len - bytes_read <= MAX_PARTIAL_TAIL)
    out = g_convert (data, bytes_read, "UTF-8", charset, NULL, &bytes_written, NULL);

  if (out == NULL)
    return NULL;

  for (gsize i = 0; i < bytes_written; i++)
    if (out[i] == '\0')
      out[i] = ' ';

  /* iconv should only ever produce valid UTF-8, but the output goes to
   * places (JSON, GTK) that must never see anything else.
   */
  if (!g_utf8_validate (out, bytes_written, NULL))
    {
      char *valid = g_utf8_make_valid (out, bytes_written);

      g_free (out);
      out = valid;
    }

  return out;
}

/* Returns the iconv name for a declared charset, or %NULL when the label
 * tells nothing about 8-bit bytes (missing, ASCII, UTF-8 or "unknown").
 */
const char *
mp_charset_normalize_hint (const char *charset)
{
  const char *name;

  if (charset == NULL || *charset == '\0')
    return NULL;

  name = g_mime_charset_iconv_name (charset);
  if (name == NULL ||
      g_ascii_strcasecmp (name, "UTF-8") == 0 ||
      g_ascii_strcasecmp (name, "US-ASCII") == 0 ||
      g_ascii_strcasecmp (name, "ASCII") == 0 ||
      g_ascii_strncasecmp (name, "unknown", 7) == 0 ||
      g_ascii_strncasecmp (name, "x-unknown", 9) == 0)
    return NULL;

  return name;
}

static gboolean
is_wide_charset (const char *charset)
{
  return (g_ascii_strncasecmp (charset, "UTF-16", 6) == 0 ||
          g_ascii_strncasecmp (charset, "UTF-32", 6) == 0 ||
          g_ascii_strncasecmp (charset, "UCS-2", 5) == 0 ||
          g_ascii_strncasecmp (charset, "UCS-4", 5) == 0);
}

static gboolean
has_iso2022_escape (const char *data,
                    gsize       len)
{
  static const char * const escapes[] = { "\033$B", "\033$@", "\033$(D", "\033(J" };

  if (memchr (data, '\033', len) == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (escapes); i++)
    if (g_strstr_len (data, len, escapes[i]) != NULL)
      return TRUE;

  return FALSE;
}

static gboolean
has_non_ascii (const char *data,
               gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) data[i] >= 0x80)
      return TRUE;

  return FALSE;
}

/* Valid UTF-8, allowing a multi-byte character cut off at the end, but
 * only after other multi-byte characters: "fiancé" in latin-1 also ends
 * in what looks like the start of a UTF-8 sequence.
 */
gboolean
mp_charset_validate_utf8 (const char *data,
                          gsize       len,
                          gsize      *valid_len)
{
  const char *end = NULL;
  gsize prefix;

  if (g_utf8_validate_len (data, len, &end))
    {
      *valid_len = len;
      return TRUE;
    }

  prefix = end - data;
  if (prefix + 4 > len &&
      g_utf8_get_char_validated (end, len - prefix) == (gunichar) -2 &&
      has_non_ascii (data, prefix))
    {
      *valid_len = prefix;
      return TRUE;
    }

  return FALSE;
}

/* Tries the body's charset and the guess list, keeps the best-looking
 * result and reports which charset produced it.
 */
char *
mp_charset_guess (const char  *data,
                  gsize        len,
                  const char  *hint,
                  const char **chosen)
{
  g_autofree char *best = NULL;
  const char *best_charset = NULL;
  int best_score = G_MININT;

  for (int i = -1; i < (int) G_N_ELEMENTS (guess_charsets); i++)
    {
      const char *charset = i < 0 ? hint : guess_charsets[i];
      g_autofree char *out = NULL;
      int score;

      if (charset == NULL || (i >= 0 && hint != NULL && g_ascii_strcasecmp (hint, charset) == 0))
        continue;

      out = mp_charset_convert_strict (data, len, charset);
      if (out == NULL)
        continue;

      score = score_text (out);
      if (i < 0)
        score += HINT_BONUS * (int) count_non_ascii (out);

      if (score > best_score)
        {
          g_free (best);
          best = g_steal_pointer (&out);
          best_score = score;
          best_charset = charset;
        }
    }

  if (chosen != NULL)
    *chosen = best_charset;

  /* ISO-8859-1 maps every byte, so this only happens if iconv is broken */
  if (best == NULL)
    return g_utf8_make_valid (data, len);

  return g_steal_pointer (&best);
}

/**
 * mp_charset_to_utf8:
 * @data: (array length=len): text in an unknown or declared charset
 * @len: length of @data in bytes
 * @charset_hint: (nullable): the declared charset, if any
 *
 * Converts text to UTF-8. Valid UTF-8 is taken as it is (declared charsets
 * are often wrong, and UTF-8 rarely validates by accident); raw ISO-2022-JP
 * is recognised by its escapes; anything else is converted with the
 * charset, among @charset_hint, KOI8-R, windows-1251, windows-1252 and
 * ISO-8859-1, whose result looks most like text. NUL bytes become spaces.
 *
 * Returns: (transfer full): valid UTF-8, never %NULL
 */
char *
mp_charset_to_utf8 (const char *data,
                    gsize       len,
                    const char *charset_hint)
{
  g_autofree char *copy = NULL;
  const char *hint;
  gsize valid_len;

  if (data == NULL || len == 0)
    return g_strdup ("");

  mp_headers_init_library ();

  hint = mp_charset_normalize_hint (charset_hint);

  /* NUL bytes are part of the text there, so convert before cleaning */
  if (hint != NULL && is_wide_charset (hint))
    {
      char *out = mp_charset_convert_strict (data, len, hint);

      if (out != NULL)
        return out;
    }

  copy = g_malloc (len + 1);
  for (gsize i = 0; i < len; i++)
    copy[i] = data[i] != '\0' ? data[i] : ' ';
  copy[len] = '\0';

  if (mp_charset_validate_utf8 (copy, len, &valid_len))
    {
      if (has_iso2022_escape (copy, valid_len))
        {
          const char *charset = "ISO-2022-JP-2";
          char *out;

          if (hint != NULL && g_ascii_strncasecmp (hint, "ISO-2022-", 9) == 0)
            charset = hint;

          if ((out = mp_charset_convert_strict (copy, valid_len, charset)) != NULL)
            return out;
        }

      copy[valid_len] = '\0';
      return g_steal_pointer (&copy);
    }

  return mp_charset_guess (copy, len, hint, NULL);
}
