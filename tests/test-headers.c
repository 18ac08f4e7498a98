/* test-headers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Header decoding and body snippets. Every non-ASCII input is produced from
 * a readable UTF-8 string by g_convert() (raw 8-bit headers) or by encoding
 * it here (RFC 2047 words, quoted-printable, base64), and every result is
 * compared with that same UTF-8 string.
 */

#include "config.h"

#include <string.h>

#include "mp-headers.h"
#include "mp-headers-private.h"

/* Helpers */

static char *
encode (const char *utf8,
        const char *charset)
{
  g_autoptr(GError) error = NULL;
  char *out;

  out = g_convert (utf8, -1, charset, "UTF-8", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);

  return out;
}

/* Like encode(), but %NULL when @charset cannot hold every character of
 * @utf8 (KOI8-R has no "№", for instance).
 */
static char *
try_encode (const char *utf8,
            const char *charset)
{
  return g_convert (utf8, -1, charset, "UTF-8", NULL, NULL, NULL);
}

/* An RFC 2047 encoded word holding @utf8 converted to @charset */
static char *
encoded_word (const char *utf8,
              const char *charset,
              char        encoding)
{
  g_autofree char *bytes = encode (utf8, charset);
  g_autoptr(GString) word = g_string_new (NULL);

  g_string_append_printf (word, "=?%s?%c?", charset, encoding);

  if (encoding == 'B')
    {
      g_autofree char *b64 = g_base64_encode ((const guchar *) bytes, strlen (bytes));

      g_string_append (word, b64);
    }
  else
    {
      for (const guchar *p = (const guchar *) bytes; *p != '\0'; p++)
        {
          if (*p == ' ')
            g_string_append_c (word, '_');
          else if (g_ascii_isalnum (*p))
            g_string_append_c (word, *p);
          else
            g_string_append_printf (word, "=%02X", *p);
        }
    }

  g_string_append (word, "?=");

  return g_string_free (g_steal_pointer (&word), FALSE);
}

static char *
to_bare_lf (const char *crlf)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = crlf; *p != '\0'; p++)
    if (!(p[0] == '\r' && p[1] == '\n'))
      g_string_append_c (out, *p);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_headers_equal (const MpHeaders *a,
                      const MpHeaders *b)
{
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->from_name, ==, b->from_name);
  g_assert_cmpstr (a->from_address, ==, b->from_address);
  g_assert_cmpstr (a->to, ==, b->to);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpstr (a->message_id, ==, b->message_id);
  g_assert_true ((a->date == NULL) == (b->date == NULL));
  if (a->date != NULL)
    g_assert_true (g_date_time_equal (a->date, b->date));
}

static void
assert_valid (const MpHeaders *headers)
{
  const char *fields[] = {
    headers->from, headers->from_name, headers->from_address,
    headers->to, headers->subject, headers->message_id,
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      if (fields[i] == NULL)
        continue;

      g_assert_true (g_utf8_validate (fields[i], -1, NULL));
      for (const char *p = fields[i]; *p != '\0'; p++)
        g_assert_cmpint ((guchar) *p, >=, 0x20);
    }
}

/* Parses @message (with CRLF line ends) and the same message with bare LF
 * line ends, checks that both give the same result and returns it.
 */
static MpHeaders *
parse (const char *message)
{
  g_autofree char *lf = to_bare_lf (message);
  g_autoptr(MpHeaders) from_lf = NULL;
  MpHeaders *headers;

  headers = mp_headers_parse (message, strlen (message));
  g_assert_nonnull (headers);
  assert_valid (headers);

  from_lf = mp_headers_parse (lf, strlen (lf));
  g_assert_nonnull (from_lf);
  assert_headers_equal (headers, from_lf);

  return headers;
}

static MpHeaders *
parse_subject (const char *raw_subject)
{
  g_autofree char *message = g_strdup_printf ("From: a@example.org\r\n"
                                              "Subject: %s\r\n"
                                              "\r\n",
                                              raw_subject);

  return parse (message);
}

static char *
format_date (const MpHeaders *headers)
{
  return mp_headers_format_date_iso8601 (headers);
}

/* Sample texts: short and long, mixed case, all capitals, punctuation */

static const char * const russian_texts[] = {
  "Отчёт за неделю",
  "Привет",
  "ОТЧЁТ ЗА НЕДЕЛЮ",
  "Счёт №42 от 24.11.2025 — оплатить до пятницы",
  "Счёт 42 от 24.11.2025: оплатить до пятницы",
  "Re: Встреча в понедельник",
  "Ваш заказ отправлен",
  "Съешь же ещё этих мягких французских булок, да выпей чаю",
};

/* RFC 2047 */

typedef struct
{
  const char *charset;
  const char *text;
  char        encoding;
} WordCase;

static const WordCase word_cases[] = {
  { "UTF-8", "Отчёт за неделю", 'B' },
  { "UTF-8", "Grüße aus Köln — 日本語 ✓", 'Q' },
  { "KOI8-R", "Отчёт за неделю", 'B' },
  { "KOI8-R", "Отчёт за неделю", 'Q' },
  { "WINDOWS-1251", "Счёт №42 оплачен", 'B' },
  { "WINDOWS-1251", "Счёт №42 оплачен", 'Q' },
  { "ISO-2022-JP", "会議の議事録について", 'B' },
  { "ISO-2022-JP", "会議の議事録について", 'Q' },
  { "ISO-8859-1", "Café crème, déjà vu", 'B' },
  { "ISO-8859-1", "Café crème, déjà vu", 'Q' },
};

static void
test_rfc2047_word (gconstpointer data)
{
  const WordCase *wc = data;
  g_autofree char *word = encoded_word (wc->text, wc->charset, wc->encoding);
  g_autofree char *name_word = encoded_word ("Борис Петров", "UTF-8", wc->encoding);
  g_autofree char *message = NULL;
  g_autoptr(MpHeaders) headers = NULL;

  message = g_strdup_printf ("From: %s <boris@example.ru>\r\n"
                             "Subject: %s\r\n"
                             "\r\n",
                             name_word, word);
  headers = parse (message);

  g_assert_cmpstr (headers->subject, ==, wc->text);
  g_assert_cmpstr (headers->from_name, ==, "Борис Петров");
  g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");
  g_assert_cmpstr (headers->from, ==, "Борис Петров <boris@example.ru>");
}

static void
test_rfc2047_adjacent (void)
{
  g_autofree char *w1 = encoded_word ("Отчёт ", "KOI8-R", 'B');
  g_autofree char *w2 = encoded_word ("за неделю", "WINDOWS-1251", 'Q');
  g_autofree char *w3 = encoded_word ("Отчёт", "UTF-8", 'B');
  g_autofree char *raw = NULL;
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(MpHeaders) mixed = NULL;

  /* white space between two encoded words is not part of the text, even
   * across a fold and across charsets
   */
  raw = g_strdup_printf ("%s\r\n %s", w1, w2);
  headers = parse_subject (raw);
  g_assert_cmpstr (headers->subject, ==, "Отчёт за неделю");

  /* but it is between an encoded word and plain text */
  g_free (raw);
  raw = g_strdup_printf ("Re: %s (2025)", w3);
  mixed = parse_subject (raw);
  g_assert_cmpstr (mixed->subject, ==, "Re: Отчёт (2025)");
}

/* @utf8 as several encoded words of @chunk characters each, one per
 * folded line, the way mailers split long subjects.
 */
static char *
encoded_words (const char *utf8,
               const char *charset,
               char        encoding,
               guint       chunk)
{
  g_autoptr(GString) out = g_string_new (NULL);
  glong n_chars = g_utf8_strlen (utf8, -1);

  for (glong i = 0; i < n_chars; i += chunk)
    {
      g_autofree char *piece = g_utf8_substring (utf8, i, MIN (i + chunk, n_chars));
      g_autofree char *word = encoded_word (piece, charset, encoding);

      if (i > 0)
        g_string_append (out, "\r\n ");
      g_string_append (out, word);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_rfc2047_padded_run (void)
{
  const char *tail = "длинные темы писем, которые переносятся на несколько строк заголовка";
  const char *charsets[] = { "UTF-8", "KOI8-R", "WINDOWS-1251" };

  /* base64 words of one charset in a row, most ending in "=" padding:
   * GMime 3.2.13 alone keeps only the first (jstedfast/gmime#133)
   */
  for (guint i = 0; i < G_N_ELEMENTS (charsets); i++)
    {
      for (guint chunk = 1; chunk <= 13; chunk += 4)
        {
          g_autofree char *words = encoded_words (tail, charsets[i], 'B', chunk);
          g_autofree char *name = encoded_words ("Борис Петров", charsets[i], 'B', chunk);
          g_autofree char *expected = g_strconcat ("Re: [list] about ", tail, NULL);
          g_autofree char *message = NULL;
          g_autoptr(MpHeaders) headers = NULL;

          message = g_strdup_printf ("From: %s <boris@example.ru>\r\n"
                                     "Subject: Re: [list]\r\n about %s\r\n"
                                     "\r\n",
                                     name, words);
          headers = parse (message);

          g_test_message ("%s, %u characters a word", charsets[i], chunk);
          g_assert_cmpstr (headers->subject, ==, expected);
          g_assert_cmpstr (headers->from_name, ==, "Борис Петров");
        }
    }
}

static void
test_rfc2047_split_quartet (void)
{
  g_autoptr(MpHeaders) headers = NULL;

  /* a broken mailer cut the base64 of "中文" in the middle of a quartet;
   * only decoding the run as one stream recovers it
   */
  headers = parse_subject ("=?utf-8?B?5Lit5?=\r\n =?utf-8?B?paH?=");
  g_assert_cmpstr (headers->subject, ==, "中文");
}

static void
test_rfc2047_broken (void)
{
  g_autoptr(MpHeaders) unknown = NULL;
  g_autoptr(MpHeaders) bad_utf8 = NULL;
  g_autoptr(MpHeaders) unterminated = NULL;
  g_autofree char *bad_b64 = NULL;
  g_autofree char *raw = NULL;

  /* an unknown charset still gives readable, valid text */
  unknown = parse_subject ("=?x-no-such-charset?Q?caf=C3=A9?=");
  g_assert_nonnull (unknown->subject);
  g_assert_true (g_utf8_validate (unknown->subject, -1, NULL));
  g_assert_true (g_str_has_prefix (unknown->subject, "caf"));

  /* a word declared UTF-8 holding windows-1251 bytes */
  bad_b64 = g_base64_encode ((const guchar *) "\xcf\xf0\xe8\xe2\xe5\xf2", 6);
  raw = g_strdup_printf ("=?utf-8?B?%s?= ok", bad_b64);
  bad_utf8 = parse_subject (raw);
  g_assert_nonnull (bad_utf8->subject);
  g_assert_true (g_str_has_suffix (bad_utf8->subject, " ok"));

  unterminated = parse_subject ("=?utf-8?B?0J/RgNC4");
  g_assert_nonnull (unterminated->subject);
}

/* Raw 8-bit headers */

static void
test_raw_8bit (gconstpointer data)
{
  const char *charset = data;

  for (guint i = 0; i < G_N_ELEMENTS (russian_texts); i++)
    {
      g_autofree char *subject = try_encode (russian_texts[i], charset);
      g_autofree char *name = encode ("Борис Петров", charset);
      g_autofree char *message = NULL;
      g_autoptr(MpHeaders) headers = NULL;

      if (subject == NULL)
        continue;

      message = g_strdup_printf ("From: %s <boris@example.ru>\r\n"
                                 "Subject: %s\r\n"
                                 "\r\n",
                                 name, subject);
      headers = parse (message);

      g_test_message ("%s: %s", charset, russian_texts[i]);
      g_assert_cmpstr (headers->subject, ==, russian_texts[i]);
      g_assert_cmpstr (headers->from_name, ==, "Борис Петров");
      g_assert_cmpstr (headers->from, ==, "Борис Петров <boris@example.ru>");
    }
}

/* Each Russian sample alone in the Subject, with nothing else 8-bit to
 * help the guess and no Content-Type; as written, in capitals and in
 * lower case (the case of the letters is half of what tells KOI8-R from
 * windows-1251 apart).
 */
static void
test_raw_8bit_subject_only (gconstpointer data)
{
  const char *charset = data;

  for (guint i = 0; i < G_N_ELEMENTS (russian_texts); i++)
    {
      g_autofree char *upper = g_utf8_strup (russian_texts[i], -1);
      g_autofree char *lower = g_utf8_strdown (russian_texts[i], -1);
      const char *variants[] = { russian_texts[i], upper, lower };

      for (guint v = 0; v < G_N_ELEMENTS (variants); v++)
        {
          g_autofree char *subject = try_encode (variants[v], charset);
          g_autoptr(MpHeaders) headers = NULL;

          if (subject == NULL)
            continue;

          headers = parse_subject (subject);
          g_test_message ("%s: %s", charset, variants[v]);
          g_assert_cmpstr (headers->subject, ==, variants[v]);
        }
    }
}

static void
test_raw_8bit_content_type_hint (void)
{
  /* Words too short to guess from: without a label, "юля" in KOI8-R reads
   * best as windows-1251 "АМС" and "чай" in windows-1251 as KOI8-R "ВЮИ".
   * The body's charset decides.
   */
  const struct
  {
    const char *charset;
    const char *text;
  } cases[] = {
    { "KOI8-R", "юля" },
    { "WINDOWS-1251", "чай" },
    { "KOI8-R", "Ёж" },
    { "WINDOWS-1251", "Ёж" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *subject = encode (cases[i].text, cases[i].charset);
      g_autofree char *message = NULL;
      g_autoptr(MpHeaders) headers = NULL;

      message = g_strdup_printf ("Subject: %s\r\n"
                                 "MIME-Version: 1.0\r\n"
                                 "Content-Type: text/plain; charset=\"%s\"\r\n"
                                 "\r\n",
                                 subject, cases[i].charset);
      headers = parse (message);
      g_test_message ("%s: %s", cases[i].charset, cases[i].text);
      g_assert_cmpstr (headers->subject, ==, cases[i].text);
    }
}

static void
test_raw_latin (void)
{
  const char *texts[] = {
    "Grüße aus Köln",
    "Café crème",
    "naïve façade, señor",
    "Ærø — Smørrebrød",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      const char *charset = strstr (texts[i], "—") != NULL ? "WINDOWS-1252" : "ISO-8859-1";
      g_autofree char *subject = encode (texts[i], charset);
      g_autoptr(MpHeaders) headers = parse_subject (subject);

      g_test_message ("%s: %s", charset, texts[i]);
      g_assert_cmpstr (headers->subject, ==, texts[i]);
    }
}

static void
test_raw_utf8 (void)
{
  g_autoptr(MpHeaders) headers = NULL;

  headers = parse ("From: Борис Петров <boris@example.ru>\r\n"
                   "To: Алиса <alice@example.ru>\r\n"
                   "Subject: Отчёт за неделю ✓ 日本語\r\n"
                   "Content-Type: text/plain; charset=koi8-r\r\n"
                   "\r\n");

  /* valid UTF-8 wins over a declared charset, which is often wrong */
  g_assert_cmpstr (headers->subject, ==, "Отчёт за неделю ✓ 日本語");
  g_assert_cmpstr (headers->from, ==, "Борис Петров <boris@example.ru>");
  g_assert_cmpstr (headers->to, ==, "Алиса <alice@example.ru>");
}

static void
test_raw_iso2022jp (void)
{
  g_autofree char *subject = encode ("会議の議事録", "ISO-2022-JP");
  g_autoptr(MpHeaders) headers = NULL;

  /* sent without RFC 2047, as some Japanese mailers do; 7-bit escapes */
  g_assert_nonnull (strchr (subject, '\033'));
  headers = parse_subject (subject);
  g_assert_cmpstr (headers->subject, ==, "会議の議事録");
}

static void
test_text_to_utf8 (void)
{
  g_autofree char *koi8 = encode ("Привет, мир", "KOI8-R");
  g_autofree char *cp1251 = encode ("Привет, мир", "WINDOWS-1251");
  g_autofree char *sjis = encode ("日本語のテキスト", "SHIFT_JIS");
  g_autofree char *utf16 = NULL;
  g_autofree char *out = NULL;
  gsize utf16_len = 0;

  out = mp_headers_text_to_utf8 (koi8, strlen (koi8), NULL);
  g_assert_cmpstr (out, ==, "Привет, мир");
  g_clear_pointer (&out, g_free);

  out = mp_headers_text_to_utf8 (cp1251, strlen (cp1251), NULL);
  g_assert_cmpstr (out, ==, "Привет, мир");
  g_clear_pointer (&out, g_free);

  out = mp_headers_text_to_utf8 (sjis, strlen (sjis), "shift_jis");
  g_assert_cmpstr (out, ==, "日本語のテキスト");
  g_clear_pointer (&out, g_free);

  /* a wrong label is outvoted when the text clearly says otherwise */
  out = mp_headers_text_to_utf8 (cp1251, strlen (cp1251), "iso-8859-1");
  g_assert_cmpstr (out, ==, "Привет, мир");
  g_clear_pointer (&out, g_free);

  utf16 = g_convert ("Grüße", -1, "UTF-16LE", "UTF-8", NULL, &utf16_len, NULL);
  g_assert_nonnull (utf16);
  out = mp_headers_text_to_utf8 (utf16, utf16_len, "utf-16le");
  g_assert_cmpstr (out, ==, "Grüße");
  g_clear_pointer (&out, g_free);

  /* NUL bytes become spaces; never NULL */
  out = mp_headers_text_to_utf8 ("a\0b", 3, NULL);
  g_assert_cmpstr (out, ==, "a b");
  g_clear_pointer (&out, g_free);

  out = mp_headers_text_to_utf8 (NULL, 0, NULL);
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);

  /* a multi-byte character cut off at the end is dropped, not guessed */
  out = mp_headers_text_to_utf8 ("Привет", strlen ("Привет") - 1, NULL);
  g_assert_cmpstr (out, ==, "Приве");
  g_clear_pointer (&out, g_free);
}

/* Structure */

static void
test_subject_folded (void)
{
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(MpHeaders) spaces = NULL;

  headers = parse_subject ("This is\r\n a folded\r\n\tsubject line");
  g_assert_cmpstr (headers->subject, ==, "This is a folded subject line");

  spaces = parse_subject ("   padded\t \r\n   ");
  g_assert_cmpstr (spaces->subject, ==, "padded");
}

static void
test_from_multiple (void)
{
  g_autoptr(MpHeaders) headers = NULL;

  headers = parse ("From: Борис Петров <boris@example.ru>, Alice <alice@example.org>\r\n"
                   "To: alice@example.org, \"Doe, John\" <john@example.com>,\r\n"
                   " =?utf-8?B?0JDQu9C40YHQsA==?= <alisa@example.ru>\r\n"
                   "\r\n");

  /* issue 7: every author is shown; name and address are the first's */
  g_assert_cmpstr (headers->from_name, ==, "Борис Петров");
  g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");
  g_assert_cmpstr (headers->from, ==, "Борис Петров <boris@example.ru>, Alice <alice@example.org>");

  g_assert_nonnull (headers->to);
  g_assert_nonnull (strstr (headers->to, "alice@example.org"));
  g_assert_nonnull (strstr (headers->to, "Doe, John"));
  g_assert_nonnull (strstr (headers->to, "john@example.com"));
  g_assert_nonnull (strstr (headers->to, "Алиса <alisa@example.ru>"));
}

static void
test_from_address_only (void)
{
  const char *forms[] = { "boris@example.ru", "<boris@example.ru>", " boris@example.ru (Boris)" };

  for (guint i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *message = g_strdup_printf ("From:%s\r\n\r\n", forms[i]);
      g_autoptr(MpHeaders) headers = parse (message);

      g_test_message ("From:%s", forms[i]);
      g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");
      if (headers->from_name == NULL)
        g_assert_cmpstr (headers->from, ==, "boris@example.ru");
      else
        g_assert_cmpstr (headers->from, ==, "Boris <boris@example.ru>");
    }
}

static void
test_from_quoted_comma (void)
{
  g_autoptr(MpHeaders) headers = NULL;

  headers = parse ("From: \"Petrov, Boris (Sales)\" <boris@example.ru>\r\n\r\n");

  g_assert_cmpstr (headers->from_name, ==, "Petrov, Boris (Sales)");
  g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");
  g_assert_cmpstr (headers->from, ==, "Petrov, Boris (Sales) <boris@example.ru>");
}

static void
test_from_odd (void)
{
  g_autoptr(MpHeaders) name_only = NULL;
  g_autoptr(MpHeaders) group = NULL;
  g_autoptr(MpHeaders) same = NULL;

  /* no address at all: show the text, claim neither name nor address */
  name_only = parse ("From: Sales Team\r\n\r\n");
  g_assert_cmpstr (name_only->from, ==, "Sales Team");
  g_assert_null (name_only->from_address);

  group = parse ("From: Team: boris@example.ru, Alice <alice@example.org>;\r\n\r\n");
  g_assert_cmpstr (group->from_address, ==, "boris@example.ru");

  same = parse ("From: \"boris@example.ru\" <boris@example.ru>\r\n\r\n");
  g_assert_cmpstr (same->from, ==, "boris@example.ru");
}

static void
test_missing (void)
{
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(MpHeaders) blank = NULL;

  headers = parse ("Subject: only this\r\nX-Mailer: test\r\n\r\nbody\r\n");
  g_assert_cmpstr (headers->subject, ==, "only this");
  g_assert_null (headers->from);
  g_assert_null (headers->from_name);
  g_assert_null (headers->from_address);
  g_assert_null (headers->to);
  g_assert_null (headers->message_id);
  g_assert_null (headers->date);
  g_assert_null (format_date (headers));

  /* present but empty is missing too, except for the Subject: an empty
   * one is "" (issue 7), so that a front end can tell "(no subject)" from
   * a message whose headers it does not have
   */
  blank = parse ("Subject:\r\nFrom: \r\nTo:\r\nMessage-ID:  \r\n\r\n");
  g_assert_cmpstr (blank->subject, ==, "");
  g_assert_null (blank->from);
  g_assert_null (blank->to);
  g_assert_null (blank->message_id);
}

/* issue 7: an empty Subject is "", a missing one NULL, whatever the
 * spacing, folding or encoding of the empty one
 */
static void
test_subject_empty (void)
{
  const char * const empty[] = {
    "Subject:\r\nFrom: a@example.org\r\n\r\n",
    "Subject: \r\n\r\n",
    "Subject:\t \r\n \r\n\r\nbody\r\n",
    "From: a@example.org\r\nSubject: =?utf-8?B?\?=\r\n\r\n",
    "From: a@example.org\nSubject:\n\n",
  };
  const char * const missing[] = {
    "From: a@example.org\r\n\r\n",
    "From: a@example.org\r\n\r\nSubject: in the body\r\n",
    "X-Subject: not it\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      g_autoptr(MpHeaders) headers = parse (empty[i]);

      g_test_message ("empty %u", i);
      g_assert_cmpstr (headers->subject, ==, "");
    }

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++)
    {
      g_autoptr(MpHeaders) headers = parse (missing[i]);

      g_test_message ("missing %u", i);
      g_assert_null (headers->subject);
    }
}

/* issue 7: several From mailboxes, encoded, in groups, with one unusable */
static void
test_from_several (void)
{
  g_autoptr(MpHeaders) three = NULL;
  g_autoptr(MpHeaders) group = NULL;
  g_autoptr(MpHeaders) folded = NULL;
  g_autoptr(MpHeaders) one = NULL;

  three = parse ("From: =?utf-8?B?0JHQvtGA0LjRgQ==?= <boris@example.ru>,\r\n"
                 " alice@example.org, \"Doe, John\" <john@example.com>\r\n\r\n");
  g_assert_cmpstr (three->from, ==, "Борис <boris@example.ru>, alice@example.org, "
                                    "Doe, John <john@example.com>");
  g_assert_cmpstr (three->from_name, ==, "Борис");
  g_assert_cmpstr (three->from_address, ==, "boris@example.ru");

  /* the first mailbox is the first one inside a group, if it comes first */
  group = parse ("From: Team: boris@example.ru, Alice <alice@example.org>;, carol@example.net\r\n\r\n");
  g_assert_cmpstr (group->from, ==, "boris@example.ru, Alice <alice@example.org>, carol@example.net");
  g_assert_null (group->from_name);
  g_assert_cmpstr (group->from_address, ==, "boris@example.ru");

  /* the same person twice is still two mailboxes on the wire */
  folded = parse ("From: Alice <alice@example.org>,\r\n\tAlice <alice@example.org>\r\n\r\n");
  g_assert_cmpstr (folded->from, ==, "Alice <alice@example.org>, Alice <alice@example.org>");

  /* one mailbox: unchanged */
  one = parse ("From: Alice <alice@example.org>\r\n\r\n");
  g_assert_cmpstr (one->from, ==, "Alice <alice@example.org>");
  g_assert_cmpstr (one->from_name, ==, "Alice");
}

/* The raw values the no-UIDL key is made of: undecoded, folding and runs
 * of white space evened out, the first of repeated fields, NULL if absent.
 */
static void
test_raw_values (void)
{
  static const char * const names[] = { "Subject", "From", "Message-ID", "Date", NULL };
  const char *folded = "Subject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\n\t  again\r\n"
                       "From:   A <a@example.org>  \r\n"
                       "Subject: second\r\n"
                       "\r\nDate: in the body\r\n";
  const char *flat = "From: A <a@example.org>\nSubject: =?utf-8?B?0J/RgNC40LLQtdGC?= again\n\n";
  g_autoptr(GPtrArray) a = mp_headers_dup_raw_values (folded, strlen (folded), names);
  g_autoptr(GPtrArray) b = mp_headers_dup_raw_values (flat, strlen (flat), names);
  g_autoptr(GPtrArray) junk = mp_headers_dup_raw_values ("\xff\xfe", 2, names);

  g_assert_cmpuint (a->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (a, 0), ==, "=?utf-8?B?0J/RgNC40LLQtdGC?= again");
  g_assert_cmpstr (g_ptr_array_index (a, 1), ==, "A <a@example.org>");
  g_assert_null (g_ptr_array_index (a, 2));
  g_assert_null (g_ptr_array_index (a, 3));
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (g_ptr_array_index (a, i), ==, g_ptr_array_index (b, i));
  g_assert_cmpuint (junk->len, ==, 4);
}

static void
test_date_zones (void)
{
  const struct
  {
    const char *header;
    const char *utc;
  } cases[] = {
    { "Mon, 24 Nov 2025 19:00:00 +0300", "2025-11-24T16:00:00Z" },
    { "Mon, 24 Nov 2025 08:00:00 -0800", "2025-11-24T16:00:00Z" },
    { "24 Nov 2025 11:00:00 EST", "2025-11-24T16:00:00Z" },
    { "Mon, 24 Nov 2025 09:00:00 PDT", "2025-11-24T16:00:00Z" },
    { "Mon, 24 Nov 2025 16:00:00 GMT", "2025-11-24T16:00:00Z" },
    { "Mon, 24 Nov 2025 21:45:00 +0545", "2025-11-24T16:00:00Z" },
    { "Mon, 24 Nov 25 16:00 +0000", "2025-11-24T16:00:00Z" },
    { "Wed, 1 Jan 2025 01:30:00 +0200", "2024-12-31T23:30:00Z" },
    { "Tue, 31 Dec 2024 20:30:00 -0500 (EST)", "2025-01-01T01:30:00Z" },
    { "Mon, 24 Nov 2025 16:00:00 +0000\r\n (folded comment)", "2025-11-24T16:00:00Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = g_strdup_printf ("Date: %s\r\n\r\n", cases[i].header);
      g_autoptr(MpHeaders) headers = parse (message);
      g_autofree char *iso = format_date (headers);

      g_test_message ("Date: %s", cases[i].header);
      g_assert_cmpstr (iso, ==, cases[i].utc);
    }
}

static void
test_date_bad (void)
{
  const char *bad[] = {
    "yesterday",
    "Mon, 32 Foo 2025 99:99:99 +0000",
    "42",
    "",
    "Tue, 1 Jan 10000 00:00:00 +0000",
    "\xff\xfe\xfd",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *message = g_strdup_printf ("Subject: s\r\nDate: %s\r\n\r\n", bad[i]);
      g_autoptr(MpHeaders) headers = parse (message);
      g_autofree char *escaped = g_strescape (bad[i], NULL);

      g_test_message ("Date: %s", escaped);
      g_assert_null (headers->date);
      g_assert_null (format_date (headers));
      g_assert_cmpstr (headers->subject, ==, "s");
    }
}

static void
test_message_id (void)
{
  const struct
  {
    const char *header;
    const char *id;
  } cases[] = {
    { "<20251124160000.1234@mail.example.ru>", "<20251124160000.1234@mail.example.ru>" },
    { "\r\n <folded@example.org>", "<folded@example.org>" },
    { "bare@example.org", "<bare@example.org>" },
    { "<with@comment.org> (a comment)", "<with@comment.org>" },
  };
  g_autoptr(MpHeaders) none = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message = g_strdup_printf ("Message-ID: %s\r\n\r\n", cases[i].header);
      g_autoptr(MpHeaders) headers = parse (message);

      g_test_message ("Message-ID: %s", cases[i].header);
      g_assert_cmpstr (headers->message_id, ==, cases[i].id);
    }

  none = parse ("Subject: no id\r\n\r\n");
  g_assert_null (none->message_id);
}

static const char *full_message =
  "Return-Path: <boris@example.ru>\r\n"
  "From: =?utf-8?B?0JHQvtGA0LjRgSDQn9C10YLRgNC+0LI=?= <boris@example.ru>\r\n"
  "To: Alice <alice@example.org>\r\n"
  "Subject: =?utf-8?B?0J7RgtGH0ZHRgiDQt9CwINC90LXQtNC10LvRjg==?=\r\n"
  "Date: Mon, 24 Nov 2025 19:00:00 +0300\r\n"
  "Message-ID: <report-48@example.ru>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=utf-8\r\n"
  "Content-Transfer-Encoding: 8bit\r\n"
  "\r\n"
  "Добрый день!\r\n"
  "Отчёт во вложении.\r\n";

static void
test_full_message (void)
{
  g_autoptr(MpHeaders) headers = parse (full_message);
  g_autoptr(MpHeaders) copy = NULL;
  g_autofree char *iso = format_date (headers);
  MpHeaders *boxed;

  g_assert_cmpstr (headers->from, ==, "Борис Петров <boris@example.ru>");
  g_assert_cmpstr (headers->from_name, ==, "Борис Петров");
  g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");
  g_assert_cmpstr (headers->to, ==, "Alice <alice@example.org>");
  g_assert_cmpstr (headers->subject, ==, "Отчёт за неделю");
  g_assert_cmpstr (headers->message_id, ==, "<report-48@example.ru>");
  g_assert_cmpstr (iso, ==, "2025-11-24T16:00:00Z");

  copy = mp_headers_copy (headers);
  assert_headers_equal (headers, copy);
  g_assert_true (copy->subject != headers->subject);

  boxed = g_boxed_copy (MP_TYPE_HEADERS, headers);
  assert_headers_equal (headers, boxed);
  g_boxed_free (MP_TYPE_HEADERS, boxed);

  g_assert_null (mp_headers_copy (NULL));
  mp_headers_free (NULL);
}

static void
test_truncated (void)
{
  gsize len = strlen (full_message);
  g_autoptr(MpHeaders) mid_subject = NULL;
  g_autoptr(MpHeaders) mid_word = NULL;

  /* a reply cut anywhere, even inside a UTF-8 sequence or a CRLF */
  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autofree char *part = g_strndup (full_message, cut);
      g_autoptr(MpHeaders) headers = mp_headers_parse (part, cut);
      g_autofree char *snippet = mp_headers_snippet_from_message (part, cut, 40);

      g_assert_nonnull (headers);
      assert_valid (headers);
      if (snippet != NULL)
        g_assert_true (g_utf8_validate (snippet, -1, NULL));
    }

  mid_subject = parse ("From: a@example.org\r\nSubject: Hello, wor");
  g_assert_cmpstr (mid_subject->subject, ==, "Hello, wor");
  g_assert_cmpstr (mid_subject->from, ==, "a@example.org");

  mid_word = parse ("Subject: =?utf-8?B?0J7RgtGH0ZHRgiDQt9CwI");
  g_assert_nonnull (mid_word->subject);
}

static void
test_bare_lf (void)
{
  g_autofree char *lf = to_bare_lf (full_message);
  g_autoptr(MpHeaders) headers = mp_headers_parse (lf, strlen (lf));
  g_autoptr(MpHeaders) mixed = NULL;
  const char *mixed_ends = "Subject: one\r\n two\n\tthree\rfour\nFrom: a@b.org\r\n\n";

  g_assert_null (strchr (lf, '\r'));
  g_assert_cmpstr (headers->subject, ==, "Отчёт за неделю");
  g_assert_cmpstr (headers->from_address, ==, "boris@example.ru");

  /* CRLF and LF mixed, and a lone CR inside a value */
  mixed = mp_headers_parse (mixed_ends, strlen (mixed_ends));
  g_assert_cmpstr (mixed->subject, ==, "one two three four");
  g_assert_cmpstr (mixed->from_address, ==, "a@b.org");
}

static void
test_garbage (void)
{
  const struct
  {
    const char *data;
    gsize       len;
  } inputs[] = {
    { "", 0 },
    { "\r\n", 2 },
    { "\r\n\r\n", 4 },
    { ":", 1 },
    { ": no name\r\n\r\n", 13 },
    { "no colon at all", 15 },
    { "Subject", 7 },
    { "Subject:", 8 },
    { "\0\0\0\0", 4 },
    { "\xff\xfe\x00S\x00u\x00b", 8 },
    { "=?=?=?=?", 8 },
    { "From: <<<>>>@@@\r\n\r\n", 19 },
    { "From: \"unterminated <a@b.c>\r\n\r\n", 31 },
    { "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n", 49 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(MpHeaders) headers = mp_headers_parse (inputs[i].data, inputs[i].len);
      g_autofree char *snippet = mp_headers_snippet_from_message (inputs[i].data, inputs[i].len, 80);

      g_assert_nonnull (headers);
      assert_valid (headers);
      /* "Subject:" alone is an empty Subject, which is "" (issue 7) */
      if (g_str_equal (inputs[i].data, "Subject:"))
        g_assert_cmpstr (headers->subject, ==, "");
      else
        g_assert_null (headers->subject);
      g_assert_null (headers->date);
      if (snippet != NULL)
        g_assert_true (g_utf8_validate (snippet, -1, NULL));
    }
}

static void
test_garbage_random (void)
{
  /* random bytes, with CRLFs and colons sprinkled in so that some of it
   * looks like headers; g_test_rand_int is seeded per run and printed
   * by --verbose, so a failure can be repeated with --seed
   */
  for (guint round = 0; round < 200; round++)
    {
      gsize len = g_test_rand_int_range (0, 2048);
      g_autofree char *data = g_malloc (len + 1);
      g_autoptr(MpHeaders) headers = NULL;
      g_autofree char *snippet = NULL;

      for (gsize i = 0; i < len; i++)
        {
          switch (g_test_rand_int_range (0, 8))
            {
            case 0:
              data[i] = '\n';
              break;
            case 1:
              data[i] = ':';
              break;
            case 2:
              data[i] = "=?BQ"[g_test_rand_int_range (0, 4)];
              break;
            default:
              data[i] = (char) g_test_rand_int_range (0, 256);
              break;
            }
        }

      headers = mp_headers_parse (data, len);
      g_assert_nonnull (headers);
      assert_valid (headers);

      snippet = mp_headers_snippet_from_message (data, len, 50);
      if (snippet != NULL)
        {
          g_assert_true (g_utf8_validate (snippet, -1, NULL));
          g_assert_cmpint (g_utf8_strlen (snippet, -1), <=, 50);
        }
    }
}

static void
test_nul_and_junk (void)
{
  static const char with_nul[] = "Subject: before\0after\r\nFrom: a@example.org\r\n\r\n";
  g_autoptr(MpHeaders) nul = NULL;
  g_autoptr(MpHeaders) mbox = NULL;
  g_autoptr(MpHeaders) status = NULL;
  g_autoptr(MpHeaders) no_colon = NULL;

  /* a NUL byte neither cuts the header nor hides the ones after it */
  nul = mp_headers_parse (with_nul, sizeof with_nul - 1);
  g_assert_cmpstr (nul->subject, ==, "before after");
  g_assert_cmpstr (nul->from, ==, "a@example.org");

  /* an mbox separator in front of the headers */
  mbox = parse ("From boris@example.ru Mon Nov 24 16:00:00 2025\r\n"
                "Subject: after the separator\r\n\r\n");
  g_assert_cmpstr (mbox->subject, ==, "after the separator");

  /* a stray status line in front; GMime alone would find no headers */
  status = parse ("+OK 2048 octets\r\n"
                  "Subject: after the status line\r\n\r\n");
  g_assert_cmpstr (status->subject, ==, "after the status line");

  /* a line without a colon among the headers */
  no_colon = parse ("Subject: first\r\nthis is not a header\r\nFrom: a@example.org\r\n\r\n");
  g_assert_cmpstr (no_colon->subject, ==, "first");
}

static void
test_long_lines (void)
{
  gsize n = 1024 * 1024;
  g_autoptr(GString) message = g_string_sized_new (n + 64);
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(MpHeaders) encoded = NULL;
  g_autoptr(GString) words = g_string_new ("Subject:");

  g_string_append (message, "Subject: ");
  for (gsize i = 0; i < n; i++)
    g_string_append_c (message, 'a' + (i % 26));
  g_string_append (message, "\r\nFrom: a@example.org\r\n\r\n");

  headers = mp_headers_parse (message->str, message->len);
  g_assert_cmpuint (strlen (headers->subject), ==, n);
  g_assert_cmpstr (headers->from, ==, "a@example.org");

  /* many encoded words, 8-bit, one huge line */
  for (guint i = 0; i < 20000; i++)
    g_string_append (words, " =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=");
  g_string_append (words, "\r\n\r\n");
  encoded = mp_headers_parse (words->str, words->len);
  g_assert_nonnull (encoded->subject);
  g_assert_true (g_str_has_prefix (encoded->subject, "ПриветПривет"));
  g_assert_cmpuint (g_utf8_strlen (encoded->subject, -1), ==, 6 * 20000);
}

static gpointer
parse_in_thread (gpointer data)
{
  mp_headers_init_library ();

  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(MpHeaders) headers = mp_headers_parse (full_message, strlen (full_message));

      g_assert_cmpstr (headers->subject, ==, "Отчёт за неделю");
    }

  return NULL;
}

static void
test_threads (void)
{
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("parse", parse_in_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

/* Snippets */

static char *
qp_encode (const char *bytes)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint column = 0;

  for (const guchar *p = (const guchar *) bytes; *p != '\0'; p++)
    {
      if (*p == '\n')
        {
          g_string_append (out, "\r\n");
          column = 0;
          continue;
        }
      if (column > 70)
        {
          g_string_append (out, "=\r\n");
          column = 0;
        }
      if (g_ascii_isalnum (*p) || *p == ' ' || *p == '.' || *p == ',')
        {
          g_string_append_c (out, *p);
          column++;
        }
      else
        {
          g_string_append_printf (out, "=%02X", *p);
          column += 3;
        }
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
base64_lines (const char *bytes,
              gsize       len)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) bytes, len);
  g_autoptr(GString) out = g_string_new (NULL);
  gsize b64_len = strlen (b64);

  for (gsize i = 0; i < b64_len; i += 76)
    {
      g_string_append_len (out, b64 + i, MIN (76, b64_len - i));
      g_string_append (out, "\r\n");
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
snippet (const char *message,
         guint       max_chars)
{
  g_autofree char *lf = to_bare_lf (message);
  g_autofree char *from_lf = NULL;
  char *text;

  text = mp_headers_snippet_from_message (message, strlen (message), max_chars);
  from_lf = mp_headers_snippet_from_message (lf, strlen (lf), max_chars);
  g_assert_cmpstr (text, ==, from_lf);

  if (text != NULL)
    g_assert_true (g_utf8_validate (text, -1, NULL));

  return text;
}

static void
test_snippet_plain (void)
{
  g_autofree char *text = snippet (full_message, 0);
  g_autofree char *headers_only = NULL;

  g_assert_cmpstr (text, ==, "Добрый день! Отчёт во вложении.");

  headers_only = snippet ("Subject: x\r\nFrom: a@example.org\r\n\r\n", 100);
  g_assert_null (headers_only);
}

static void
test_snippet_qp_koi8 (void)
{
  g_autofree char *body = encode ("Добрый день,\nвот отчёт за неделю.\n\nС уважением, Борис", "KOI8-R");
  g_autofree char *qp = qp_encode (body);
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;

  message = g_strdup_printf ("Subject: x\r\n"
                             "Content-Type: text/plain; charset=koi8-r\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n"
                             "\r\n%s", qp);
  text = snippet (message, 0);
  g_assert_cmpstr (text, ==, "Добрый день, вот отчёт за неделю. С уважением, Борис");
}

static void
test_snippet_base64_truncated (void)
{
  const char *body = "Привет! Это длинное письмо, строка за строкой.\n";
  g_autoptr(GString) long_body = g_string_new (NULL);
  g_autofree char *b64 = NULL;
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;
  const char *cut;

  for (guint i = 0; i < 40; i++)
    g_string_append (long_body, body);
  b64 = base64_lines (long_body->str, long_body->len);

  message = g_strdup_printf ("Subject: x\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Transfer-Encoding: base64\r\n"
                             "\r\n%s", b64);

  /* what `TOP n 3` returns: three lines of base64, the last one cut
   * inside a UTF-8 sequence
   */
  cut = message;
  for (guint lines = 0; lines < 7; lines++)
    cut = strstr (cut, "\r\n") + 2;
  message[cut - message] = '\0';

  text = snippet (message, 0);
  g_assert_nonnull (text);
  g_assert_true (g_str_has_prefix (text, "Привет! Это длинное письмо, строка за строкой. Привет!"));
}

static void
test_snippet_html (void)
{
  g_autofree char *text = NULL;

  text = snippet ("Subject: x\r\n"
                  "Content-Type: text/html; charset=utf-8\r\n"
                  "\r\n"
                  "<html><head><title>Hidden title</title>\r\n"
                  "<style>p { color: red; }</style></head>\r\n"
                  "<body><!-- a comment --><p>Hello&nbsp;<b>W</b>orld &amp; &lt;friends&gt;</p>\r\n"
                  "<script type=\"text/javascript\">var x = 1 < 2;</script>\r\n"
                  "<div>Caf&eacute;? &#1055;&#x440;&#1080;&#1074;&#1077;&#1090; &#8212;"
                  "&zwnj;&nbsp;&zwnj;&nbsp;end</div></body></html>\r\n",
                  0);

  /* &eacute; is not in the short entity table and stays as written */
  g_assert_cmpstr (text, ==, "Hello World & <friends> Caf&eacute;? Привет — end");
}

static void
test_snippet_html_meta_charset (void)
{
  g_autofree char *body = encode ("<html><head><meta charset=\"windows-1251\"></head>"
                                  "<body>Счёт оплачен</body></html>", "WINDOWS-1251");
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;

  message = g_strdup_printf ("Subject: x\r\nContent-Type: text/html\r\n\r\n%s\r\n", body);
  text = snippet (message, 0);
  g_assert_cmpstr (text, ==, "Счёт оплачен");
}

static void
test_snippet_multipart (void)
{
  g_autofree char *koi8 = encode ("Текст письма", "KOI8-R");
  g_autofree char *message = NULL;
  g_autofree char *text = NULL;
  g_autofree char *html_only = NULL;

  /* the plain part wins even after the HTML one; the text/plain
   * attachment in front of both is skipped
   */
  message = g_strdup_printf (
    "Subject: x\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; name=\"notes.txt\"\r\n"
    "Content-Disposition: attachment; filename=\"notes.txt\"\r\n"
    "\r\n"
    "attached notes\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "\r\n"
    "<p>HTML version</p>\r\n"
    "--inner\r\n"
    "Content-Type: text/plain; charset=koi8-r\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "%s\r\n"
    "--inner--\r\n"
    "--outer--\r\n", koi8);
  text = snippet (message, 0);
  g_assert_cmpstr (text, ==, "Текст письма");

  html_only = snippet ("Subject: x\r\n"
                       "Content-Type: multipart/alternative; boundary=b\r\n"
                       "\r\n"
                       "--b\r\n"
                       "Content-Type: text/html; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n"
                       "\r\n"
                       "<p>Only =D0=B2 HTML</p>\r\n"
                       "--b--\r\n", 0);
  g_assert_cmpstr (html_only, ==, "Only в HTML");
}

static void
test_snippet_no_charset (void)
{
  g_autofree char *body = encode ("Привет, это письмо без указания кодировки", "WINDOWS-1251");
  g_autofree char *message = g_strdup_printf ("Subject: x\r\n\r\n%s\r\n", body);
  g_autofree char *text = snippet (message, 0);

  g_assert_cmpstr (text, ==, "Привет, это письмо без указания кодировки");
}

static void
test_snippet_max_chars (void)
{
  g_autofree char *ten = NULL;
  g_autofree char *at_space = NULL;
  g_autofree char *all = NULL;

  /* characters, not bytes */
  ten = snippet (full_message, 10);
  g_assert_cmpstr (ten, ==, "Добрый ден");
  g_assert_cmpint (g_utf8_strlen (ten, -1), ==, 10);

  /* a cut right after a space drops the space */
  at_space = snippet (full_message, 7);
  g_assert_cmpstr (at_space, ==, "Добрый");

  all = snippet (full_message, 1000);
  g_assert_cmpstr (all, ==, "Добрый день! Отчёт во вложении.");
}

int
main (int   argc,
      char *argv[])
{
  const char *raw_charsets[] = { "KOI8-R", "WINDOWS-1251" };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  mp_headers_init_library ();

  for (guint i = 0; i < G_N_ELEMENTS (word_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/headers/rfc2047/%c/%s/%u",
                                               g_ascii_tolower (word_cases[i].encoding),
                                               word_cases[i].charset, i);

      g_test_add_data_func (path, &word_cases[i], test_rfc2047_word);
    }
  g_test_add_func ("/headers/rfc2047/adjacent", test_rfc2047_adjacent);
  g_test_add_func ("/headers/rfc2047/broken", test_rfc2047_broken);
  g_test_add_func ("/headers/rfc2047/padded-run", test_rfc2047_padded_run);
  g_test_add_func ("/headers/rfc2047/split-quartet", test_rfc2047_split_quartet);

  for (guint i = 0; i < G_N_ELEMENTS (raw_charsets); i++)
    {
      g_autofree char *path = g_strdup_printf ("/headers/raw-8bit/%s", raw_charsets[i]);
      g_autofree char *path_alone = g_strdup_printf ("/headers/raw-8bit/subject-only/%s", raw_charsets[i]);

      g_test_add_data_func (path, raw_charsets[i], test_raw_8bit);
      g_test_add_data_func (path_alone, raw_charsets[i], test_raw_8bit_subject_only);
    }
  g_test_add_func ("/headers/raw-8bit/content-type-hint", test_raw_8bit_content_type_hint);
  g_test_add_func ("/headers/raw-8bit/latin", test_raw_latin);
  g_test_add_func ("/headers/raw-8bit/utf-8", test_raw_utf8);
  g_test_add_func ("/headers/raw-8bit/iso-2022-jp", test_raw_iso2022jp);
  g_test_add_func ("/headers/text-to-utf8", test_text_to_utf8);

  g_test_add_func ("/headers/subject/folded", test_subject_folded);
  g_test_add_func ("/headers/from/multiple", test_from_multiple);
  g_test_add_func ("/headers/from/several", test_from_several);
  g_test_add_func ("/headers/from/address-only", test_from_address_only);
  g_test_add_func ("/headers/from/quoted-comma", test_from_quoted_comma);
  g_test_add_func ("/headers/from/odd", test_from_odd);
  g_test_add_func ("/headers/missing", test_missing);
  g_test_add_func ("/headers/subject/empty", test_subject_empty);
  g_test_add_func ("/headers/raw-values", test_raw_values);
  g_test_add_func ("/headers/date/zones", test_date_zones);
  g_test_add_func ("/headers/date/bad", test_date_bad);
  g_test_add_func ("/headers/message-id", test_message_id);
  g_test_add_func ("/headers/full-message", test_full_message);
  g_test_add_func ("/headers/truncated", test_truncated);
  g_test_add_func ("/headers/bare-lf", test_bare_lf);
  g_test_add_func ("/headers/garbage/fixed", test_garbage);
  g_test_add_func ("/headers/garbage/random", test_garbage_random);
  g_test_add_func ("/headers/garbage/nul-and-junk", test_nul_and_junk);
  g_test_add_func ("/headers/garbage/long-lines", test_long_lines);
  g_test_add_func ("/headers/threads", test_threads);

  g_test_add_func ("/snippet/plain", test_snippet_plain);
  g_test_add_func ("/snippet/qp-koi8-r", test_snippet_qp_koi8);
  g_test_add_func ("/snippet/base64-truncated", test_snippet_base64_truncated);
  g_test_add_func ("/snippet/html", test_snippet_html);
  g_test_add_func ("/snippet/html-meta-charset", test_snippet_html_meta_charset);
  g_test_add_func ("/snippet/multipart", test_snippet_multipart);
  g_test_add_func ("/snippet/no-charset", test_snippet_no_charset);
  g_test_add_func ("/snippet/max-chars", test_snippet_max_chars);

  return g_test_run ();
}
