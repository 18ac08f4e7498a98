/* mp-headers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-headers"

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "mp-headers.h"

G_DEFINE_BOXED_TYPE (MpHeaders, mp_headers, mp_headers_ref, mp_headers_unref)

/* How many lines in front of the header block may be skipped while looking
 * for the first field (an mbox "From " line, a blank line some servers
 * send). Kept small so that a message without any header is not read as
 * headers taken from its body.
 */
#define MAX_LEADING_JUNK_LINES 4

/* A cut message may end inside a multi-byte character; that many trailing
 * bytes are dropped rather than letting the whole text fail to convert.
 */
#define MAX_PARTIAL_TAIL 8

/**
 * mp_headers_init_library:
 *
 * Initialises GMime once for the whole process. Safe to call from any
 * thread and any number of times; mp_headers_parse() calls it itself.
 */
void
mp_headers_init_library (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      g_mime_init ();
      g_once_init_leave (&initialized, 1);
    }
}

/**
 * mp_headers_new:
 *
 * Returns: (transfer full): empty headers, reference counted
 */
MpHeaders *
mp_headers_new (void)
{
  return g_atomic_rc_box_new0 (MpHeaders);
}

/**
 * mp_headers_ref:
 * @headers: (nullable): headers
 *
 * Headers are not changed once made, so the seen-state and every snapshot
 * of the same message can share one set instead of copying 10,000 of them
 * on each poll.
 *
 * Returns: (transfer full) (nullable): @headers with one more reference
 */
MpHeaders *
mp_headers_ref (MpHeaders *headers)
{
  if (headers == NULL)
    return NULL;
  return g_atomic_rc_box_acquire (headers);
}

static void
mp_headers_clear (MpHeaders *headers)
{
  g_free (headers->from);
  g_free (headers->from_name);
  g_free (headers->from_address);
  g_free (headers->to);
  g_free (headers->subject);
  g_free (headers->message_id);
  g_clear_pointer (&headers->date, g_date_time_unref);
}

/**
 * mp_headers_unref:
 * @headers: (nullable) (transfer full): headers
 */
void
mp_headers_unref (MpHeaders *headers)
{
  if (headers == NULL)
    return;
  g_atomic_rc_box_release_full (headers, (GDestroyNotify) mp_headers_clear);
}

/**
 * mp_headers_copy:
 * @headers: (nullable): headers
 *
 * Returns: (transfer full) (nullable): a deep copy of @headers
 */
MpHeaders *
mp_headers_copy (const MpHeaders *headers)
{
  MpHeaders *copy;

  if (headers == NULL)
    return NULL;

  copy = mp_headers_new ();
  copy->from = g_strdup (headers->from);
  copy->from_name = g_strdup (headers->from_name);
  copy->from_address = g_strdup (headers->from_address);
  copy->to = g_strdup (headers->to);
  copy->subject = g_strdup (headers->subject);
  copy->message_id = g_strdup (headers->message_id);
  copy->date = headers->date != NULL ? g_date_time_ref (headers->date) : NULL;

  return copy;
}

/**
 * mp_headers_free:
 * @headers: (nullable) (transfer full): headers to release
 *
 * The same as mp_headers_unref().
 */
void
mp_headers_free (MpHeaders *headers)
{
  mp_headers_unref (headers);
}

/**
 * mp_headers_format_date_iso8601:
 * @headers: headers
 *
 * Returns: (transfer full) (nullable): the date in UTC as
 *   "2025-11-24T16:00:00Z", or %NULL when the message has no usable date
 */
char *
mp_headers_format_date_iso8601 (const MpHeaders *headers)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (headers != NULL, NULL);

  if (headers->date == NULL)
    return NULL;

  utc = g_date_time_to_utc (headers->date);
  if (utc == NULL)
    return NULL;

  return g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
}

/* Charsets
 *
 * RFC 2047 words name their charset and GMime decodes them. Raw 8-bit
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
static char *
convert_strict (const char *data,
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
static const char *
normalize_hint (const char *charset)
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
static gboolean
validate_utf8 (const char *data,
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
static char *
convert_guess (const char  *data,
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

      out = convert_strict (data, len, charset);
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
 * mp_headers_text_to_utf8:
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
mp_headers_text_to_utf8 (const char *data,
                         gsize       len,
                         const char *charset_hint)
{
  g_autofree char *copy = NULL;
  const char *hint;
  gsize valid_len;

  if (data == NULL || len == 0)
    return g_strdup ("");

  mp_headers_init_library ();

  hint = normalize_hint (charset_hint);

  /* NUL bytes are part of the text there, so convert before cleaning */
  if (hint != NULL && is_wide_charset (hint))
    {
      char *out = convert_strict (data, len, hint);

      if (out != NULL)
        return out;
    }

  copy = g_malloc (len + 1);
  for (gsize i = 0; i < len; i++)
    copy[i] = data[i] != '\0' ? data[i] : ' ';
  copy[len] = '\0';

  if (validate_utf8 (copy, len, &valid_len))
    {
      if (has_iso2022_escape (copy, valid_len))
        {
          const char *charset = "ISO-2022-JP-2";
          char *out;

          if (hint != NULL && g_ascii_strncasecmp (hint, "ISO-2022-", 9) == 0)
            charset = hint;

          if ((out = convert_strict (copy, valid_len, charset)) != NULL)
            return out;
        }

      copy[valid_len] = '\0';
      return g_steal_pointer (&copy);
    }

  return convert_guess (copy, len, hint, NULL);
}

/* Parsing */

static GMimeParserOptions *
new_parser_options (const char *charset)
{
  GMimeParserOptions *options = g_mime_parser_options_new ();
  const char *fallback[4];
  guint n = 0;

  /* GMime only falls back for RFC 2047 words with an unknown charset,
   * since raw 8-bit text is converted here first. UTF-8 first because it
   * rarely validates by accident; ISO-8859-1 last because it never fails.
   */
  fallback[n++] = "UTF-8";
  if (charset != NULL && g_ascii_strcasecmp (charset, "ISO-8859-1") != 0)
    fallback[n++] = charset;
  fallback[n++] = "ISO-8859-1";
  fallback[n] = NULL;

  g_mime_parser_options_set_fallback_charsets (options, fallback);
  g_mime_parser_options_set_address_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_rfc2047_compliance_mode (options, GMIME_RFC_COMPLIANCE_LOOSE);

  return options;
}

static gboolean
is_field_name_char (char c)
{
  return c > ' ' && c < 127 && c != ':';
}

/* GMime gives up on a message whose first line is not a header field, so
 * skip a few such lines; see MAX_LEADING_JUNK_LINES.
 */
static gsize
find_header_start (const char *data,
                   gsize       len)
{
  gsize pos = 0;

  for (guint line = 0; line <= MAX_LEADING_JUNK_LINES && pos < len; line++)
    {
      const char *nl;
      gsize i = pos;

      while (i < len && is_field_name_char (data[i]))
        i++;
      while (i > pos && i < len && (data[i] == ' ' || data[i] == '\t'))
        i++;
      if (i > pos && i < len && data[i] == ':')
        return pos;

      nl = memchr (data + pos, '\n', len - pos);
      if (nl == NULL)
        break;
      pos = (nl - data) + 1;
    }

  return 0;
}

static GMimeMessage *
parse_message (const char *data,
               gsize       len)
{
  GMimeParserOptions *options;
  GMimeMessage *message;
  GMimeParser *parser;
  GMimeStream *stream;
  GByteArray *array;
  gsize start;

  mp_headers_init_library ();

  if (data == NULL || len == 0)
    return NULL;

  start = find_header_start (data, len);

  /* GMime reads header values as C strings; a NUL would cut them short
   * and hide the rest of the header from every later check.
   */
  array = g_byte_array_sized_new (len - start);
  g_byte_array_append (array, (const guint8 *) data + start, len - start);
  for (guint i = 0; i < array->len; i++)
    if (array->data[i] == '\0')
      array->data[i] = ' ';

  stream = g_mime_stream_mem_new_with_byte_array (array);
  parser = g_mime_parser_new_with_stream (stream);
  g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
  options = new_parser_options (NULL);

  message = g_mime_parser_construct_message (parser, options);

  g_mime_parser_options_free (options);
  g_object_unref (parser);
  g_object_unref (stream);

  return message;
}

/* Collapses every run of white space and control characters (folding,
 * tabs, stray CRs, escapes) into one space and trims both ends. An empty
 * result is %NULL, so a blank header reads as missing.
 */
static gboolean
is_invisible (gunichar c,
              gboolean snippet)
{
  /* soft hyphen, grapheme joiner, zero width space, word joiner, BOM */
  if (c == 0xAD || c == 0x34F || c == 0x200B || c == 0x2060 || c == 0xFEFF)
    return TRUE;

  /* newsletters pad their preview text with runs of "&zwnj;&nbsp;" */
  return snippet && c == 0x200C;
}

static char *
clean_text_full (const char *text,
                 gboolean    snippet)
{
  g_autofree char *valid = NULL;
  gboolean pending_space = FALSE;
  GString *out;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (is_invisible (c, snippet))
        continue;

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        {
          pending_space = TRUE;
          continue;
        }

      if (pending_space && out->len > 0)
        g_string_append_c (out, ' ');
      pending_space = FALSE;
      g_string_append_unichar (out, c);
    }

  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }

  return g_string_free (out, FALSE);
}

static char *
clean_text (const char *text)
{
  return clean_text_full (text, FALSE);
}

typedef struct
{
  GMimeParserOptions *options;
  const char         *hint;
  const char         *charset;
} DecodeContext;

/* GMime 3.2.13, the version in Debian 12, decodes a run of base64
 * encoded-words of one charset as one stream and loses everything after
 * the first word that ends in "=" padding (jstedfast/gmime#133): a long
 * subject folded into several words keeps only its first piece. Such a
 * word is complete in itself (its length is a multiple of 4), so it can be
 * rewritten as the equivalent Q word, which GMime decodes correctly also
 * in a run; words cut in the middle of a base64 quartet are left alone.
 */
static char *
rewrite_padded_b_words (const char *text)
{
  const char *copied = text;
  const char *p = text;
  GString *out = NULL;

  while ((p = strstr (p, "=?")) != NULL)
    {
      const char *charset = p + 2;
      const char *mark = charset;
      const char *payload;
      const char *end;
      g_autofree char *b64 = NULL;
      g_autofree guchar *bytes = NULL;
      gsize n_bytes = 0;
      gsize len;

      while (*mark != '\0' && *mark != '?' && !g_ascii_isspace (*mark))
        mark++;
      if (*mark != '?' || mark == charset ||
          (mark[1] != 'B' && mark[1] != 'b') || mark[2] != '?')
        {
          p += 2;
          continue;
        }

      payload = end = mark + 3;
      while (*end != '\0' && *end != '?' && !g_ascii_isspace (*end))
        end++;
      if (end[0] != '?' || end[1] != '=')
        {
          p += 2;
          continue;
        }

      len = end - payload;
      if (len == 0 || len % 4 != 0 || payload[len - 1] != '=')
        {
          p = end + 2;
          continue;
        }

      b64 = g_strndup (payload, len);
      bytes = g_base64_decode (b64, &n_bytes);

      if (out == NULL)
        out = g_string_sized_new (strlen (text) * 2);
      g_string_append_len (out, copied, p - copied);
      g_string_append_printf (out, "=?%.*s?Q?", (int) (mark - charset), charset);
      for (gsize i = 0; i < n_bytes; i++)
        {
          if (g_ascii_isalnum (bytes[i]))
            g_string_append_c (out, bytes[i]);
          else
            g_string_append_printf (out, "=%02X", bytes[i]);
        }
      g_string_append (out, "?=");

      copied = p = end + 2;
    }

  if (out == NULL)
    return g_strdup (text);

  g_string_append (out, copied);

  return g_string_free (out, FALSE);
}

/* Raw header bytes to UTF-8, still with RFC 2047 words, folding and
 * quoting for GMime to take apart.
 */
static char *
header_to_utf8 (DecodeContext *ctx,
                const char    *raw)
{
  g_autofree char *utf8 = NULL;
  gsize len = strlen (raw);
  gsize valid_len;

  if (ctx->charset != NULL && !validate_utf8 (raw, len, &valid_len))
    utf8 = convert_strict (raw, len, ctx->charset);

  if (utf8 == NULL)
    utf8 = mp_headers_text_to_utf8 (raw, len, ctx->hint);

  return rewrite_padded_b_words (utf8);
}

static const char *
get_raw_header (GMimeHeaderList *list,
                const char      *name)
{
  GMimeHeader *header = g_mime_header_list_get_header (list, name);

  if (header == NULL)
    return NULL;

  return g_mime_header_get_raw_value (header);
}

static InternetAddressMailbox *
first_mailbox (InternetAddressList *list,
               guint                depth)
{
  int n;

  if (list == NULL || depth > 2)
    return NULL;

  n = internet_address_list_length (list);
  for (int i = 0; i < n; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        return INTERNET_ADDRESS_MAILBOX (address);

      if (INTERNET_ADDRESS_IS_GROUP (address))
        {
          InternetAddressGroup *group = INTERNET_ADDRESS_GROUP (address);
          InternetAddressMailbox *mailbox;

          mailbox = first_mailbox (internet_address_group_get_members (group), depth + 1);
          if (mailbox != NULL)
            return mailbox;
        }
    }

  return NULL;
}

static void
decode_from (DecodeContext *ctx,
             const char    *raw,
             MpHeaders     *headers)
{
  g_autofree char *utf8 = header_to_utf8 (ctx, raw);
  InternetAddressList *list;
  InternetAddressMailbox *mailbox;

  list = internet_address_list_parse (ctx->options, utf8);
  mailbox = first_mailbox (list, 0);

  if (mailbox != NULL)
    {
      headers->from_name = clean_text (internet_address_get_name (INTERNET_ADDRESS (mailbox)));
      headers->from_address = clean_text (internet_address_mailbox_get_addr (mailbox));
    }

  if (headers->from_name != NULL && headers->from_address != NULL &&
      g_ascii_strcasecmp (headers->from_name, headers->from_address) != 0)
    headers->from = g_strdup_printf ("%s <%s>", headers->from_name, headers->from_address);
  else if (headers->from_address != NULL)
    headers->from = g_strdup (headers->from_address);
  else if (headers->from_name != NULL)
    headers->from = g_strdup (headers->from_name);
  else
    {
      /* Not an address GMime understands ("From: Sales Team"): show the
       * text anyway, but claim neither a name nor an address.
       */
      g_autofree char *text = g_mime_utils_header_decode_text (ctx->options, utf8);

      headers->from = clean_text (text);
    }

  g_clear_object (&list);
}

static char *
decode_address_list (DecodeContext *ctx,
                     const char    *raw)
{
  g_autofree char *utf8 = header_to_utf8 (ctx, raw);
  g_autofree char *text = NULL;
  InternetAddressList *list;

  list = internet_address_list_parse (ctx->options, utf8);
  if (list != NULL && internet_address_list_length (list) > 0)
    text = internet_address_list_to_string (list, NULL, FALSE);
  else
    text = g_mime_utils_header_decode_text (ctx->options, utf8);
  g_clear_object (&list);

  return clean_text (text);
}

static char *
decode_message_id (DecodeContext *ctx,
                   const char    *raw)
{
  g_autofree char *utf8 = header_to_utf8 (ctx, raw);
  g_autofree char *id = g_mime_utils_decode_message_id (utf8);
  g_autofree char *clean = clean_text (id);

  if (clean != NULL)
    return g_strdup_printf ("<%s>", clean);

  /* "<>" and the like: keep what was there rather than inventing an id */
  return clean_text (utf8);
}

static GMimePart *
find_text_part (GMimeObject *object,
                const char  *subtype,
                guint        depth)
{
  /* GMime bounds nesting itself; this is a second fence */
  if (object == NULL || depth > 64)
    return NULL;

  if (GMIME_IS_MULTIPART (object))
    {
      GMimeMultipart *multipart = GMIME_MULTIPART (object);
      int n = g_mime_multipart_get_count (multipart);

      for (int i = 0; i < n; i++)
        {
          GMimePart *part = find_text_part (g_mime_multipart_get_part (multipart, i), subtype, depth + 1);

          if (part != NULL)
            return part;
        }

      return NULL;
    }

  if (GMIME_IS_PART (object))
    {
      GMimeContentType *content_type = g_mime_object_get_content_type (object);

      if (content_type != NULL &&
          g_mime_content_type_is_type (content_type, "text", subtype) &&
          !g_mime_part_is_attachment (GMIME_PART (object)))
        return GMIME_PART (object);
    }

  return NULL;
}

/* The charset of the text the message body starts with. */
static const char *
body_charset (GMimeMessage *message)
{
  GMimeObject *body = g_mime_message_get_mime_part (message);
  GMimePart *part;

  if ((part = find_text_part (body, "plain", 0)) == NULL &&
      (part = find_text_part (body, "html", 0)) == NULL)
    return NULL;

  return g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset");
}

/* Raw 8-bit headers carry no charset label. The headers of one message
 * come from one client, so guess once from all of them together (more
 * text guesses better) with the body's charset as a hint.
 */
static const char *
guess_header_charset (GMimeHeaderList *list,
                      const char      *hint)
{
  static const char * const names[] = { "Subject", "From", "To", "Cc", "Reply-To", "Sender" };
  g_autoptr(GString) sample = g_string_new (NULL);
  g_autofree char *converted = NULL;
  const char *chosen = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *raw = get_raw_header (list, names[i]);
      gsize valid_len;

      if (raw != NULL && !validate_utf8 (raw, strlen (raw), &valid_len))
        {
          g_string_append (sample, raw);
          g_string_append_c (sample, ' ');
        }
    }

  if (sample->len == 0)
    return NULL;

  converted = convert_guess (sample->str, sample->len, hint, &chosen);

  return chosen;
}

/**
 * mp_headers_parse:
 * @data: (array length=len): the reply to `TOP n 0`: a header block,
 *   possibly followed by (part of) a body, possibly cut short
 * @len: length of @data in bytes
 *
 * Decodes From, To, Subject, Date and Message-ID. Any input is accepted,
 * including binary junk; what cannot be found is %NULL.
 *
 * Returns: (transfer full): the headers, never %NULL
 */
MpHeaders *
mp_headers_parse (const char *data,
                  gsize       len)
{
  g_autoptr(MpHeaders) headers = mp_headers_new ();
  DecodeContext ctx = { NULL, NULL, NULL };
  GMimeHeaderList *list;
  GMimeMessage *message;
  const char *raw;

  message = parse_message (data, len);
  if (message == NULL)
    return g_steal_pointer (&headers);

  list = g_mime_object_get_header_list (GMIME_OBJECT (message));

  /* GMime keeps the Content-* fields with the body part, not here */
  ctx.hint = normalize_hint (body_charset (message));
  ctx.charset = guess_header_charset (list, ctx.hint);
  ctx.options = new_parser_options (ctx.charset);

  if ((raw = get_raw_header (list, "From")) != NULL)
    decode_from (&ctx, raw, headers);

  if ((raw = get_raw_header (list, "To")) != NULL)
    headers->to = decode_address_list (&ctx, raw);

  if ((raw = get_raw_header (list, "Subject")) != NULL)
    {
      g_autofree char *utf8 = header_to_utf8 (&ctx, raw);
      g_autofree char *text = g_mime_utils_header_decode_text (ctx.options, utf8);

      headers->subject = clean_text (text);
    }

  if ((raw = get_raw_header (list, "Message-ID")) != NULL)
    headers->message_id = decode_message_id (&ctx, raw);

  if ((raw = get_raw_header (list, "Date")) != NULL)
    {
      g_autofree char *utf8 = header_to_utf8 (&ctx, raw);
      g_autoptr(GDateTime) date = g_mime_utils_header_decode_date (utf8);

      if (date != NULL)
        headers->date = g_date_time_to_utc (date);
    }

  g_mime_parser_options_free (ctx.options);
  g_object_unref (message);

  return g_steal_pointer (&headers);
}

/* Snippets */

static const struct
{
  const char *name;
  gunichar    c;
} html_entities[] = {
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
  { "apos", '\'' }, { "nbsp", 0xA0 }, { "copy", 0xA9 }, { "reg", 0xAE },
  { "laquo", 0xAB }, { "raquo", 0xBB }, { "middot", 0xB7 },
  { "ndash", 0x2013 }, { "mdash", 0x2014 }, { "lsquo", 0x2018 },
  { "rsquo", 0x2019 }, { "ldquo", 0x201C }, { "rdquo", 0x201D },
  { "bull", 0x2022 }, { "hellip", 0x2026 }, { "euro", 0x20AC },
  { "trade", 0x2122 }, { "zwnj", 0x200C }, { "zwj", 0x200D },
  { "shy", 0xAD },
};

/* Elements whose content is not text a reader would see */
static const char * const html_hidden_elements[] = { "head", "script", "style", "title" };

/* Elements that do not separate words; every other tag becomes a space */
static const char * const html_inline_elements[] = {
  "a", "abbr", "b", "big", "code", "em", "font", "i", "s", "small",
  "span", "strike", "strong", "sub", "sup", "u",
};

static gboolean
name_in (const char         *name,
         gsize               len,
         const char * const *names,
         guint               n_names)
{
  for (guint i = 0; i < n_names; i++)
    if (strlen (names[i]) == len && g_ascii_strncasecmp (name, names[i], len) == 0)
      return TRUE;

  return FALSE;
}

static const char *
find_ascii_case (const char *haystack,
                 const char *needle)
{
  gsize len = strlen (needle);

  for (const char *p = haystack; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, len) == 0)
      return p;

  return NULL;
}

/* Decodes the entity at @p (pointing at '&') into @out and returns the
 * position after it, or %NULL if it is not an entity we know.
 */
static const char *
decode_entity (const char *p,
               GString    *out)
{
  const char *start = p + 1;
  const char *end = start;
  gunichar c = 0;

  while (g_ascii_isalnum (*end) || (end == start && *end == '#'))
    {
      end++;
      if (end - start > 10)
        return NULL;
    }
  if (*end != ';' || end == start)
    return NULL;

  if (*start == '#')
    {
      guint64 value = 0;
      char *num_end = NULL;

      if (start[1] == 'x' || start[1] == 'X')
        value = g_ascii_strtoull (start + 2, &num_end, 16);
      else
        value = g_ascii_strtoull (start + 1, &num_end, 10);

      if (num_end != end || value == 0 || value > 0x10FFFF || !g_unichar_validate ((gunichar) value))
        c = 0xFFFD;
      else
        c = (gunichar) value;
    }
  else
    {
      for (guint i = 0; i < G_N_ELEMENTS (html_entities); i++)
        if (strlen (html_entities[i].name) == (gsize) (end - start) &&
            strncmp (html_entities[i].name, start, end - start) == 0)
          c = html_entities[i].c;
      if (c == 0)
        return NULL;
    }

  g_string_append_unichar (out, c);

  return end + 1;
}

/* A crude HTML to text conversion, good enough for a one-line preview:
 * drop tags, comments and invisible elements, decode entities.
 */
static char *
strip_html (const char *html)
{
  GString *out = g_string_sized_new (strlen (html) / 2);
  const char *p = html;

  while (*p != '\0')
    {
      if (*p == '<')
        {
          const char *name;
          const char *close;
          gboolean closing = FALSE;
          gsize name_len = 0;

          if (strncmp (p, "<!--", 4) == 0)
            {
              close = strstr (p + 4, "-->");
              if (close == NULL)
                break;
              p = close + 3;
              g_string_append_c (out, ' ');
              continue;
            }

          name = p + 1;
          if (*name == '/')
            {
              closing = TRUE;
              name++;
            }
          while (g_ascii_isalnum (name[name_len]))
            name_len++;

          close = strchr (p, '>');
          if (close == NULL)
            break;
          p = close + 1;

          if (!closing && name_in (name, name_len, html_hidden_elements, G_N_ELEMENTS (html_hidden_elements)))
            {
              g_autofree char *end_tag = g_strdup_printf ("</%.*s", (int) name_len, name);
              const char *end = find_ascii_case (p, end_tag);

              if (end == NULL)
                break;
              close = strchr (end, '>');
              if (close == NULL)
                break;
              p = close + 1;
            }

          if (!name_in (name, name_len, html_inline_elements, G_N_ELEMENTS (html_inline_elements)))
            g_string_append_c (out, ' ');
          continue;
        }

      if (*p == '&')
        {
          const char *next = decode_entity (p, out);

          if (next != NULL)
            {
              p = next;
              continue;
            }
        }

      g_string_append_c (out, *p);
      p++;
    }

  return g_string_free (out, FALSE);
}

/* The charset named by a <meta> tag, for HTML parts sent without one in
 * their Content-Type.
 */
static char *
html_meta_charset (const char *data,
                   gsize       len)
{
  g_autofree char *head = NULL;
  const char *p;
  gsize n = 0;

  if (len == 0)
    return NULL;

  head = g_strndup (data, MIN (len, 4096));
  p = find_ascii_case (head, "charset=");
  if (p == NULL)
    return NULL;

  p += strlen ("charset=");
  if (*p == '"' || *p == '\'')
    p++;
  while (g_ascii_isalnum (p[n]) || p[n] == '-' || p[n] == '_' || p[n] == ':' || p[n] == '.')
    n++;

  return n > 0 ? g_strndup (p, n) : NULL;
}


static char *
part_to_text (GMimePart *part,
              gboolean   html)
{
  g_autofree char *meta_charset = NULL;
  g_autofree char *text = NULL;
  GMimeDataWrapper *content;
  GMimeStream *stream;
  GByteArray *array;
  const char *charset;

  content = g_mime_part_get_content (part);
  if (content == NULL)
    return NULL;

  /* writing the wrapper undoes base64 or quoted-printable */
  stream = g_mime_stream_mem_new ();
  g_mime_data_wrapper_write_to_stream (content, stream);
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));

  charset = g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset");
  if (charset == NULL && html)
    charset = meta_charset = html_meta_charset ((const char *) array->data, array->len);

  text = mp_headers_text_to_utf8 ((const char *) array->data, array->len, charset);
  g_object_unref (stream);

  if (html)
    {
      char *stripped = strip_html (text);

      g_free (text);
      text = stripped;
    }

  return clean_text_full (text, TRUE);
}

/**
 * mp_headers_snippet_from_message:
 * @data: (array length=len): the reply to `TOP n k` or `RETR n`, possibly
 *   cut short
 * @len: length of @data in bytes
 * @max_chars: the most characters to return, 0 for no limit
 *
 * Finds the first text/plain part that is not an attachment (or, if there
 * is none, the first text/html part, with tags stripped), undoes its
 * transfer encoding and charset and collapses white space into single
 * spaces.
 *
 * Returns: (transfer full) (nullable): valid UTF-8, or %NULL if the
 *   message has no text
 */
char *
mp_headers_snippet_from_message (const char *data,
                                 gsize       len,
                                 guint       max_chars)
{
  g_autofree char *text = NULL;
  GMimeMessage *message;
  GMimeObject *body;
  GMimePart *part;

  message = parse_message (data, len);
  if (message == NULL)
    return NULL;

  body = g_mime_message_get_mime_part (message);

  if ((part = find_text_part (body, "plain", 0)) != NULL)
    text = part_to_text (part, FALSE);
  if (text == NULL && (part = find_text_part (body, "html", 0)) != NULL)
    text = part_to_text (part, TRUE);

  g_object_unref (message);

  if (text != NULL && max_chars > 0 && g_utf8_strlen (text, -1) > max_chars)
    {
      char *end = g_utf8_offset_to_pointer (text, max_chars);

      *end = '\0';
      g_strchomp (text);
    }

  return g_steal_pointer (&text);
}
