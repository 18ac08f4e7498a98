/* mp-pop3-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-pop3-reader"

#include "config.h"

#include <string.h>

#include "mp-pop3-error.h"
#include "mp-pop3-reader.h"

struct _MpPop3Reader
{
  GByteArray *buf;
  /* Offset of the first byte not consumed yet; the consumed prefix is
   * dropped lazily so that a stream of small lines costs no memmove each.
   */
  gsize       pos;
};

MpPop3Reader *
mp_pop3_reader_new (void)
{
  MpPop3Reader *reader = g_new0 (MpPop3Reader, 1);

  reader->buf = g_byte_array_sized_new (16 * 1024);
  return reader;
}

void
mp_pop3_reader_free (MpPop3Reader *reader)
{
  if (reader == NULL)
    return;
  g_byte_array_unref (reader->buf);
  g_free (reader);
}

static void
compact (MpPop3Reader *reader)
{
  if (reader->pos == reader->buf->len)
    {
      g_byte_array_set_size (reader->buf, 0);
      reader->pos = 0;
    }
  else if (reader->pos > 64 * 1024 && reader->pos > reader->buf->len / 2)
    {
      g_byte_array_remove_range (reader->buf, 0, reader->pos);
      reader->pos = 0;
    }
}

void
mp_pop3_reader_feed (MpPop3Reader *reader,
                     const guint8 *data,
                     gsize         len)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (data != NULL || len == 0);

  compact (reader);
  g_byte_array_append (reader->buf, data, len);
}

/* After STLS everything that arrived in the clear must be forgotten: bytes
 * an attacker injected behind the "+OK" would otherwise be read as replies
 * inside the TLS session (the STARTTLS command injection of CVE-2011-0411).
 */
void
mp_pop3_reader_clear (MpPop3Reader *reader)
{
  g_return_if_fail (reader != NULL);

  g_byte_array_set_size (reader->buf, 0);
  reader->pos = 0;
}

gsize
mp_pop3_reader_get_buffered (MpPop3Reader *reader)
{
  g_return_val_if_fail (reader != NULL, 0);

  return reader->buf->len - reader->pos;
}

/* Finds the next line; returns its start, its length without the line end,
 * and the offset just past its LF, or FALSE when no LF is buffered yet.
 */
static gboolean
next_line (MpPop3Reader  *reader,
           const char   **line,
           gsize         *line_len,
           gsize         *next)
{
  const char *start = (const char *) reader->buf->data + reader->pos;
  gsize avail = reader->buf->len - reader->pos;
  const char *nl;
  gsize len;

  if (avail == 0)
    return FALSE;

  nl = memchr (start, '\n', avail);
  if (nl == NULL)
    return FALSE;

  len = nl - start;
  if (len > 0 && start[len - 1] == '\r')
    len--;

  *line = start;
  *line_len = len;
  *next = reader->pos + (nl - start) + 1;
  return TRUE;
}

/* The least length, without its line end, that the line begun by the
 * buffered bytes (no LF among them) can end up with.
 */
static gsize
partial_line_min_len (MpPop3Reader *reader)
{
  gsize avail = mp_pop3_reader_get_buffered (reader);

  if (avail > 0 && reader->buf->data[reader->buf->len - 1] == '\r')
    avail--;

  return avail;
}

/* The least number of bytes that the data line begun by the buffered bytes
 * (no LF among them) can add to the sink.
 */
static gsize
partial_data_line_min_size (MpPop3Reader *reader)
{
  const char *start = (const char *) reader->buf->data + reader->pos;
  gsize len = partial_line_min_len (reader);

  if (mp_pop3_reader_get_buffered (reader) == 0)
    return 0;

  if (start[0] == '.')
    {
      if (len == 1)
        return 0;       /* "." or ".\r": perhaps the terminator */
      len--;
    }

  return len + 2;
}

/**
 * mp_pop3_reader_read_status:
 * @line: (out) (transfer full): the status line without its line end
 *
 * Takes one status line (`+OK …`, `-ERR …`, a SASL continuation `+ …`, or
 * the greeting). Returns %MP_POP3_READ_NEED_MORE until a whole line is
 * buffered; fails with %MP_POP3_ERROR_LINE_TOO_LONG past
 * %MP_POP3_MAX_STATUS_LINE octets and with %MP_POP3_ERROR_PROTOCOL for a
 * line holding a NUL byte.
 */
MpPop3ReadResult
mp_pop3_reader_read_status (MpPop3Reader  *reader,
                            char         **line,
                            GError       **error)
{
  const char *start;
  gsize len, next;

  g_return_val_if_fail (reader != NULL, MP_POP3_READ_ERROR);
  g_return_val_if_fail (line != NULL, MP_POP3_READ_ERROR);

  if (!next_line (reader, &start, &len, &next))
    {
      /* a trailing CR may be the first half of the line end */
      if (partial_line_min_len (reader) > MP_POP3_MAX_STATUS_LINE)
        goto too_long;
      return MP_POP3_READ_NEED_MORE;
    }

  if (len > MP_POP3_MAX_STATUS_LINE)
    goto too_long;

  if (memchr (start, '\0', len) != NULL)
    {
      g_set_error_literal (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                           "The server sent a NUL byte in a reply line");
      return MP_POP3_READ_ERROR;
    }

  *line = g_strndup (start, len);
  reader->pos = next;
  return MP_POP3_READ_DONE;

too_long:
  g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG,
               "The server sent a reply line longer than %u bytes",
               MP_POP3_MAX_STATUS_LINE);
  return MP_POP3_READ_ERROR;
}

/**
 * mp_pop3_reader_read_data:
 * @sink: where the data lines go, each ending in CRLF, dot-stuffing undone
 * @max_bytes: the most @sink may hold; more is %MP_POP3_ERROR_REPLY_TOO_LARGE
 *
 * Consumes the data lines of a multi-line reply, as many as are buffered.
 * Returns %MP_POP3_READ_DONE once the terminating "." line was consumed;
 * the data is complete only then. Call it again with the same @sink after
 * feeding more bytes. The data is never cut by a size the server announced:
 * only the terminator ends it.
 */
MpPop3ReadResult
mp_pop3_reader_read_data (MpPop3Reader  *reader,
                          GByteArray    *sink,
                          gsize          max_bytes,
                          GError       **error)
{
  const char *start;
  gsize len, next;

  g_return_val_if_fail (reader != NULL, MP_POP3_READ_ERROR);
  g_return_val_if_fail (sink != NULL, MP_POP3_READ_ERROR);

  while (next_line (reader, &start, &len, &next))
    {
      reader->pos = next;

      if (len > 0 && start[0] == '.')
        {
          if (len == 1)
            return MP_POP3_READ_DONE;

          /* RFC 1939 §3: a line starting with the termination octet has
           * that octet removed, whether the server stuffed it or not.
           */
          start++;
          len--;
        }

      if (sink->len + len + 2 > max_bytes)
        goto too_large;

      g_byte_array_append (sink, (const guint8 *) start, len);
      g_byte_array_append (sink, (const guint8 *) "\r\n", 2);
    }

  /* Fail early, without waiting for an endless line to end, but only when
   * no continuation could make the reply fit: the partial line may still
   * be the terminator, or lose a stuffed dot.
   */
  if (sink->len + partial_data_line_min_size (reader) > max_bytes)
    goto too_large;

  return MP_POP3_READ_NEED_MORE;

too_large:
  g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE,
               "The server sent a reply larger than %" G_GSIZE_FORMAT " bytes",
               max_bytes);
  return MP_POP3_READ_ERROR;
}
