/* mp-snippet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-snippet"

#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "mp-charset.h"
#include "mp-headers-private.h"
#include "mp-snippet.h"

/* A one-line preview of a message body: the first text part, decoded, with
 * HTML reduced to its visible text.
 */

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

  text = mp_charset_to_utf8 ((const char *) array->data, array->len, charset);
  g_object_unref (stream);

  if (html)
    {
      char *stripped = strip_html (text);

      g_free (text);
      text = stripped;
    }

  return mp_headers_clean_text_full (text, TRUE);
}

/**
 * mp_snippet_from_message:
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
mp_snippet_from_message (const char *data,
                         gsize       len,
                         guint       max_chars)
{
  g_autofree char *text = NULL;
  GMimeMessage *message;
  GMimeObject *body;
  GMimePart *part;

  message = mp_headers_parse_message (data, len);
  if (message == NULL)
    return NULL;

  body = g_mime_message_get_mime_part (message);

  if ((part = mp_headers_find_text_part (body, "plain", 0)) != NULL)
    text = part_to_text (part, FALSE);
  if (text == NULL && (part = mp_headers_find_text_part (body, "html", 0)) != NULL)
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
