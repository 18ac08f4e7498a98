/* mp-headers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-headers"

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "mp-charset.h"
#include "mp-headers-private.h"
#include "mp-snippet.h"

G_DEFINE_BOXED_TYPE (MpHeaders, mp_headers, mp_headers_ref, mp_headers_unref)

/* How many lines in front of the header block may be skipped while looking
 * for the first field (an mbox "From " line, a blank line some servers
 * send). Kept small so that a message without any header is not read as
 * headers taken from its body.
 */
#define MAX_LEADING_JUNK_LINES 4

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

GMimeMessage *
mp_headers_parse_message (const char *data,
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

char *
mp_headers_clean_text_full (const char *text,
                            gboolean    snippet)
{
  char *valid;
  char *out;
  gboolean pending_space = FALSE;

  if (text == NULL)
    return NULL;

  /* The text is cleaned in place: what is written never outgrows what was
   * read (a run of white space becomes one byte, a character stays the
   * bytes it was), and the result keeps no spare capacity, which a cached
   * header of every message would otherwise carry for the applet's life.
   */
  valid = g_utf8_make_valid (text, -1);
  out = valid;
  for (const char *p = valid; *p != '\0'; )
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (is_invisible (c, snippet))
        ;
      else if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        pending_space = TRUE;
      else
        {
          if (pending_space && out > valid)
            *out++ = ' ';
          pending_space = FALSE;
          memmove (out, p, next - p);
          out += next - p;
        }
      p = next;
    }
  *out = '\0';

  if (out == valid)
    {
      g_free (valid);
      return NULL;
    }

  return g_realloc (valid, out - valid + 1);
}

static char *
clean_text (const char *text)
{
  return mp_headers_clean_text_full (text, FALSE);
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

  if (ctx->charset != NULL && !mp_charset_validate_utf8 (raw, len, &valid_len))
    utf8 = mp_charset_convert_strict (raw, len, ctx->charset);

  if (utf8 == NULL)
    utf8 = mp_charset_to_utf8 (raw, len, ctx->hint);

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

/* Every mailbox of @list in order, the members of groups included. */
static void
collect_mailboxes (InternetAddressList *list,
                   guint                depth,
                   GPtrArray           *mailboxes)
{
  int n;

  if (list == NULL || depth > 2)
    return;

  n = internet_address_list_length (list);
  for (int i = 0; i < n; i++)
    {
      InternetAddress *address = internet_address_list_get_address (list, i);

      if (INTERNET_ADDRESS_IS_MAILBOX (address))
        g_ptr_array_add (mailboxes, address);
      else if (INTERNET_ADDRESS_IS_GROUP (address))
        collect_mailboxes (internet_address_group_get_members (INTERNET_ADDRESS_GROUP (address)),
                           depth + 1, mailboxes);
    }
}

/* "Name <address>", or just the address (or the name) when that is all
 * there is or when both say the same.
 */
static char *
format_mailbox (const char *name,
                const char *address)
{
  if (name != NULL && address != NULL && g_ascii_strcasecmp (name, address) != 0)
    return g_strdup_printf ("%s <%s>", name, address);
  if (address != NULL)
    return g_strdup (address);
  return g_strdup (name);
}

static void
decode_from (DecodeContext *ctx,
             const char    *raw,
             MpHeaders     *headers)
{
  g_autofree char *utf8 = header_to_utf8 (ctx, raw);
  g_autoptr(GPtrArray) mailboxes = g_ptr_array_new ();
  g_autoptr(GString) all = g_string_new (NULL);
  InternetAddressList *list;

  list = internet_address_list_parse (ctx->options, utf8);
  collect_mailboxes (list, 0, mailboxes);

  /* A From of several authors (RFC 5322 allows it) shows them all; the
   * name and address fields stay those of the first, who is shown first.
   */
  for (guint i = 0; i < mailboxes->len; i++)
    {
      InternetAddressMailbox *mailbox = g_ptr_array_index (mailboxes, i);
      g_autofree char *name = clean_text (internet_address_get_name (INTERNET_ADDRESS (mailbox)));
      g_autofree char *address = clean_text (internet_address_mailbox_get_addr (mailbox));
      g_autofree char *shown = format_mailbox (name, address);

      if (shown == NULL)
        continue;
      if (all->len == 0)
        {
          headers->from_name = g_steal_pointer (&name);
          headers->from_address = g_steal_pointer (&address);
        }
      if (all->len > 0)
        g_string_append (all, ", ");
      g_string_append (all, shown);
    }

  if (all->len > 0)
    headers->from = g_strdup (all->str);
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

GMimePart *
mp_headers_find_text_part (GMimeObject *object,
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
          GMimePart *part = mp_headers_find_text_part (g_mime_multipart_get_part (multipart, i), subtype, depth + 1);

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

  if ((part = mp_headers_find_text_part (body, "plain", 0)) == NULL &&
      (part = mp_headers_find_text_part (body, "html", 0)) == NULL)
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

      if (raw != NULL && !mp_charset_validate_utf8 (raw, strlen (raw), &valid_len))
        {
          g_string_append (sample, raw);
          g_string_append_c (sample, ' ');
        }
    }

  if (sample->len == 0)
    return NULL;

  converted = mp_charset_guess (sample->str, sample->len, hint, &chosen);

  return chosen;
}

static MpHeadersParseHook parse_hook;
static gpointer parse_hook_data;
G_LOCK_DEFINE_STATIC (parse_hook);

void
mp_headers_set_parse_hook (MpHeadersParseHook hook,
                           gpointer           user_data)
{
  G_LOCK (parse_hook);
  parse_hook = hook;
  parse_hook_data = user_data;
  G_UNLOCK (parse_hook);
}

static void
run_parse_hook (void)
{
  MpHeadersParseHook hook;
  gpointer data;

  G_LOCK (parse_hook);
  hook = parse_hook;
  data = parse_hook_data;
  G_UNLOCK (parse_hook);

  if (hook != NULL)
    hook (data);
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

  run_parse_hook ();
  message = mp_headers_parse_message (data, len);
  if (message == NULL)
    return g_steal_pointer (&headers);

  list = g_mime_object_get_header_list (GMIME_OBJECT (message));

  /* GMime keeps the Content-* fields with the body part, not here */
  ctx.hint = mp_charset_normalize_hint (body_charset (message));
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

      /* An empty Subject is a subject, and not the same as none */
      headers->subject = clean_text (text);
      if (headers->subject == NULL)
        headers->subject = g_strdup ("");
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

/**
 * mp_headers_dup_raw_values:
 * @data: (array length=len): a header block (TOP n 0), maybe followed by
 *   a body
 * @len: length of @data in bytes
 * @names: (array zero-terminated=1): header field names
 *
 * The raw values of the first field of each name, undecoded, with every
 * run of white space (folding included) made one space and both ends
 * trimmed: what identifies a message without depending on how this
 * version decodes it.
 *
 * Returns: (transfer full) (element-type utf8): one entry per name in
 *   order, %NULL where the field is missing
 */
GPtrArray *
mp_headers_dup_raw_values (const char         *data,
                           gsize               len,
                           const char * const *names)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  GMimeMessage *message = mp_headers_parse_message (data, len);
  GMimeHeaderList *list = NULL;

  if (message != NULL)
    list = g_mime_object_get_header_list (GMIME_OBJECT (message));

  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *raw = list ? get_raw_header (list, names[i]) : NULL;
      GString *value;

      if (raw == NULL)
        {
          g_ptr_array_add (values, NULL);
          continue;
        }

      value = g_string_new (NULL);
      for (const char *p = raw; *p != '\0'; p++)
        {
          if (g_ascii_isspace (*p))
            {
              if (value->len > 0 && value->str[value->len - 1] != ' ')
                g_string_append_c (value, ' ');
              continue;
            }
          g_string_append_c (value, *p);
        }
      if (value->len > 0 && value->str[value->len - 1] == ' ')
        g_string_truncate (value, value->len - 1);
      g_ptr_array_add (values, g_string_free (value, FALSE));
    }

  g_clear_object (&message);

  return values;
}

/**
 * mp_headers_text_to_utf8:
 * @data: (array length=len): text in an unknown or declared charset
 * @len: length of @data in bytes
 * @charset_hint: (nullable): the declared charset, if any
 *
 * The same as mp_charset_to_utf8(), under the name callers of the header
 * API have always used.
 *
 * Returns: (transfer full): valid UTF-8, never %NULL
 */
char *
mp_headers_text_to_utf8 (const char *data,
                         gsize       len,
                         const char *charset_hint)
{
  return mp_charset_to_utf8 (data, len, charset_hint);
}

/**
 * mp_headers_snippet_from_message:
 * @data: (array length=len): the reply to `TOP n k` or `RETR n`
 * @len: length of @data in bytes
 * @max_chars: the most characters to return, 0 for no limit
 *
 * The same as mp_snippet_from_message().
 *
 * Returns: (transfer full) (nullable): valid UTF-8, or %NULL if the
 *   message has no text
 */
char *
mp_headers_snippet_from_message (const char *data,
                                 gsize       len,
                                 guint       max_chars)
{
  return mp_snippet_from_message (data, len, max_chars);
}
