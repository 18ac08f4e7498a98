/* mp-pop3-commands.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One POP3 command per call, with the parser of its reply.
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"

/* Transaction commands */

/* The task data of a single command. */
typedef struct
{
  char   *verb;
  gulong  cancel_id;
} SimpleData;

static void
simple_data_free (SimpleData *data)
{
  g_free (data->verb);
  g_free (data);
}

static SimpleData *
simple_data_new (const char *line)
{
  SimpleData *data = g_new0 (SimpleData, 1);
  const char *space = strchr (line, ' ');

  data->verb = space ? g_strndup (line, space - line) : g_strdup (line);
  return data;
}

/* TOP refusal */

/* _mp_pop3_client_note_top_refused:
 * @number: the message whose TOP the server answered with `-ERR`
 *
 * Records that TOP does not work in this session, unless @number is past
 * the end of the maildrop as STAT or LIST gave it (then the caller asked
 * for a message that is not there, and TOP may well work).
 */
void
_mp_pop3_client_note_top_refused (MpPop3Client *self,
                                  guint         number)
{
  if (self->top_refused)
    return;
  if (self->n_messages_known && (number == 0 || number > self->n_messages))
    return;

  g_debug ("%s: TOP %u refused: no more TOP in this session", self->host, number);
  self->top_refused = TRUE;
}

/* _mp_pop3_client_top_refused_error:
 *
 * Returns: (transfer full): the %MP_POP3_ERROR_NOT_SUPPORTED error of a
 *   TOP not sent because TOP does not work in this session
 */
GError *
_mp_pop3_client_top_refused_error (MpPop3Client *self)
{
  return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED,
                      _("%s does not offer TOP"), self->host);
}

/* What every single command's CommandDone checks first. Returns TRUE,
 * with @task returned with the error, when the session failed (@error),
 * the command was skipped unsent (neither @reply nor @error: see
 * uidl_skip()) or the server refused it; @verb and @number (0 for none)
 * name it in the error.
 */
static gboolean
return_if_failed (MpPop3Client *self,
                  GTask        *task,
                  gulong       *cancel_id,
                  Reply        *reply,
                  const GError *error,
                  const char   *verb,
                  guint         number)
{
  g_autofree char *what = NULL;

  if (error != NULL)
    {
      _mp_pop3_task_return_error (task, cancel_id, error);
      return TRUE;
    }

  _mp_pop3_task_unwatch_cancellable (task, cancel_id);

  /* The same words as for the -ERR the server would have sent. */
  if (reply == NULL)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED,
                               /* Translators: the second %s is a POP3 command such as STAT */
                               _("%s refused %s"), self->host, verb);
      return TRUE;
    }

  if (reply->kind == REPLY_OK)
    return FALSE;

  if (number == 0)
    /* Translators: the second %s is a POP3 command such as STAT */
    what = g_strdup_printf (_("%s refused %s"), self->host, verb);
  else
    /* Translators: host, POP3 command (such as DELE), message number */
    what = g_strdup_printf (_("%s refused %s %u"), self->host, verb, number);
  g_task_return_error (task, _mp_pop3_client_error_from_reply (self, reply->text,
                                                               MP_POP3_ERROR_FAILED, what));
  return TRUE;
}

static void
simple_done (MpPop3Client *self,
             Reply        *reply,
             const GError *error,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SimpleData *data = g_task_get_task_data (task);

  if (return_if_failed (self, task, &data->cancel_id, reply, error, data->verb, 0))
    return;

  g_task_return_pointer (task, g_memdup2 (reply, sizeof *reply),
                         (GDestroyNotify) _mp_pop3_reply_free);
  /* The copy owns the strings now. */
  reply->text = NULL;
  reply->data = NULL;
}

/* @skip: (nullable): asked just before the command would be sent, see
 * _mp_pop3_client_queue_command_full()
 */
static void
simple_command_full (MpPop3Client        *self,
                     gpointer             source_tag,
                     const char          *line,
                     gboolean             multiline,
                     gsize                max_bytes,
                     CommandSkip          skip,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  SimpleData *data = simple_data_new (line);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) simple_data_free);

  /* While mp_pop3_client_open_async() runs, the command waits for the
   * login (CMD_AFTER_LOGIN).
   */
  if (!_mp_pop3_client_check_transaction (self, task, TRUE))
    return;

  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);
  _mp_pop3_client_queue_command_full (self, line,
                                      CMD_AFTER_LOGIN | (multiline ? CMD_MULTILINE : 0),
                                      max_bytes, skip, simple_done, g_steal_pointer (&task));
}

static void
simple_command (MpPop3Client        *self,
                gpointer             source_tag,
                const char          *line,
                gboolean             multiline,
                gsize                max_bytes,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  simple_command_full (self, source_tag, line, multiline, max_bytes, NULL,
                       cancellable, callback, user_data);
}

static Reply *
simple_finish (MpPop3Client  *self,
               GAsyncResult  *result,
               gpointer       source_tag,
               GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
parse_uint (const char  *str,
            const char **end,
            guint64     *value)
{
  char *e = NULL;
  guint64 v;

  while (*str == ' ' || *str == '\t')
    str++;
  if (!g_ascii_isdigit (*str))
    return FALSE;

  errno = 0;
  v = g_ascii_strtoull (str, &e, 10);
  if (errno != 0)
    return FALSE;
  if (*e != '\0' && *e != ' ' && *e != '\t')
    return FALSE;

  *value = v;
  if (end != NULL)
    *end = e;
  return TRUE;
}

void
mp_pop3_client_stat_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_stat_async, "STAT", FALSE, 0,
                  cancellable, callback, user_data);
}

/**
 * mp_pop3_client_stat_finish:
 * @count: (out) (optional): messages in the maildrop
 * @size: (out) (optional): their total size in octets
 */
gboolean
mp_pop3_client_stat_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            guint         *count,
                            guint64       *size,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_stat_async, error);
  const char *end;
  guint64 n, s;

  if (reply == NULL)
    return FALSE;

  if (!parse_uint (reply->text, &end, &n) || !parse_uint (end, NULL, &s) || n > G_MAXUINT)
    {
      g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                   _("%s sent a malformed STAT reply"), self->host);
      return FALSE;
    }

  self->n_messages_known = TRUE;
  self->n_messages = n;
  if (count != NULL)
    *count = n;
  if (size != NULL)
    *size = s;
  return TRUE;
}

void
mp_pop3_client_list_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_list_async, "LIST", TRUE, MP_POP3_MAX_LIST_REPLY,
                  cancellable, callback, user_data);
}

/* The lines of a multi-line reply, without their CRLFs: pointers into
 * one copy of the data (a LIST or UIDL of 50,000 messages costs two
 * allocations, not one per line).
 */
typedef struct
{
  char  *buffer;
  char **lines;     /* NULL-terminated */
  guint  n_lines;
} ReplyLines;

static void
reply_lines_clear (ReplyLines *lines)
{
  g_clear_pointer (&lines->buffer, g_free);
  g_clear_pointer (&lines->lines, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ReplyLines, reply_lines_clear)

/* As g_strsplit() on CRLF would: "a CRLF b" is two lines, and the copy
 * ends at a NUL byte like g_strndup().
 */
static void
reply_lines_init (ReplyLines *out,
                  Reply      *reply)
{
  gsize len = 0;
  const char *text = reply->data ? g_bytes_get_data (reply->data, &len) : NULL;
  guint n = 1;
  char *end;

  /* An empty maildrop's LIST or UIDL has no data lines at all. */
  if (len < 2)
    {
      out->lines = g_new0 (char *, 1);
      return;
    }

  out->buffer = g_strndup (text, len - 2);
  end = out->buffer + strlen (out->buffer);
  if (end == out->buffer)
    {
      out->lines = g_new0 (char *, 1);
      return;
    }

  for (const char *p = out->buffer; (p = memchr (p, '\r', end - p)) != NULL; p++)
    if (p + 1 < end && p[1] == '\n')
      n++;

  out->lines = g_new (char *, n + 1);
  out->lines[0] = out->buffer;
  out->n_lines = 1;
  for (char *p = out->buffer; (p = memchr (p, '\r', end - p)) != NULL; p++)
    if (p + 1 < end && p[1] == '\n')
      {
        p[0] = '\0';
        p++;
        out->lines[out->n_lines++] = p + 1;
      }
  out->lines[out->n_lines] = NULL;
}

/**
 * mp_pop3_client_list_finish:
 *
 * Returns: (transfer full) (element-type MpPop3ListEntry): one entry per
 *   message, in the server's order
 */
GArray *
mp_pop3_client_list_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_list_async, error);
  g_auto(ReplyLines) reply_lines = { 0 };
  g_autoptr(GArray) entries = NULL;
  char **lines;

  if (reply == NULL)
    return NULL;

  reply_lines_init (&reply_lines, reply);
  lines = reply_lines.lines;
  entries = g_array_sized_new (FALSE, FALSE, sizeof (MpPop3ListEntry), reply_lines.n_lines);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      MpPop3ListEntry entry;
      const char *end;
      guint64 n, s;

      if (!parse_uint (lines[i], &end, &n) || !parse_uint (end, NULL, &s) ||
          n == 0 || n > G_MAXUINT)
        {
          g_autofree char *clean = _mp_pop3_sanitize_server_text (lines[i]);

          g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                       _("%s sent a malformed LIST line: “%s”"), self->host, clean);
          return NULL;
        }

      entry.number = n;
      entry.size = s;
      g_array_append_val (entries, entry);
    }

  /* Numbers are 1..n in a session (RFC 1939 §5), minus what it DELEd. */
  self->n_messages_known = TRUE;
  self->n_messages = 0;
  for (guint i = 0; i < entries->len; i++)
    self->n_messages = MAX (self->n_messages, g_array_index (entries, MpPop3ListEntry, i).number);

  return g_steal_pointer (&entries);
}

void
mp_pop3_uidl_entry_free (MpPop3UidlEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->uid);
  g_free (entry);
}

/* RFC 1939 allows 0x21..0x7E in a unique-id; some servers send other
 * bytes. Escape those (and '%') so that every UID is printable UTF-8 that
 * maps back to exactly one server string.
 */
static char *
escape_uid (const char *uid)
{
  const guchar *q = (const guchar *) uid;
  GString *out;

  /* Nearly always: nothing to escape. */
  while (*q >= 0x21 && *q <= 0x7e && *q != '%')
    q++;
  if (*q == '\0')
    return g_strdup (uid);

  out = g_string_new (NULL);

  for (const guchar *p = (const guchar *) uid; *p != '\0'; p++)
    {
      if (*p < 0x21 || *p > 0x7e || *p == '%')
        g_string_append_printf (out, "%%%02X", *p);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

void
mp_pop3_client_uidl_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_uidl_async, "UIDL", TRUE, MP_POP3_MAX_LIST_REPLY,
                  cancellable, callback, user_data);
}

/* Once the CAPA after the login was answered, its word on UIDL is
 * final; before (the command pipelined with that CAPA), UIDL goes out
 * and a -ERR says the same.
 */
static gboolean
uidl_skip (MpPop3Client *self,
           gpointer      user_data)
{
  return self->login_capa_done && self->capa_supported &&
         !mp_pop3_client_has_capability (self, "UIDL");
}

/**
 * mp_pop3_client_uidl_if_offered_async:
 *
 * As mp_pop3_client_uidl_async() (and finished with
 * mp_pop3_client_uidl_finish()), but when the capabilities the server
 * gave after the login are known by the time the command would be sent
 * and lack `UIDL`, nothing is sent and it fails with
 * %MP_POP3_ERROR_NOT_SUPPORTED. Without CAPA, UIDL is asked: a missing
 * capability then proves nothing.
 */
void
mp_pop3_client_uidl_if_offered_async (MpPop3Client        *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  simple_command_full (self, mp_pop3_client_uidl_async, "UIDL", TRUE, MP_POP3_MAX_LIST_REPLY,
                       uidl_skip, cancellable, callback, user_data);
}

/**
 * mp_pop3_client_uidl_finish:
 *
 * Fails with %MP_POP3_ERROR_NOT_SUPPORTED when the server answers `-ERR`
 * (no UIDL), and with %MP_POP3_ERROR_PROTOCOL on a malformed line. UIDs
 * holding bytes outside 0x21..0x7E are %-escaped.
 *
 * Returns: (transfer full) (element-type MpPop3UidlEntry): the entries
 */
GPtrArray *
mp_pop3_client_uidl_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_uidl_async, &local_error);
  g_auto(ReplyLines) reply_lines = { 0 };
  g_autoptr(GPtrArray) entries = NULL;
  char **lines;

  if (reply == NULL)
    {
      if (g_error_matches (local_error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED))
        local_error->code = MP_POP3_ERROR_NOT_SUPPORTED;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  reply_lines_init (&reply_lines, reply);
  lines = reply_lines.lines;
  entries = g_ptr_array_new_full (reply_lines.n_lines, (GDestroyNotify) mp_pop3_uidl_entry_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      MpPop3UidlEntry *entry;
      const char *end;
      guint64 n;

      if (!parse_uint (lines[i], &end, &n) || n == 0 || n > G_MAXUINT)
        goto malformed;
      while (*end == ' ' || *end == '\t')
        end++;
      if (*end == '\0')
        goto malformed;

      entry = g_new0 (MpPop3UidlEntry, 1);
      entry->number = n;
      /* The line is this function's copy. */
      entry->uid = escape_uid (g_strchomp ((char *) end));
      g_ptr_array_add (entries, entry);
      continue;

    malformed:
      {
        g_autofree char *clean = _mp_pop3_sanitize_server_text (lines[i]);

        g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                     _("%s sent a malformed UIDL line: “%s”"), self->host, clean);
        return NULL;
      }
    }

  return g_steal_pointer (&entries);
}

/**
 * mp_pop3_client_top_async:
 * @lines: body lines wanted after the header (0 for the header only)
 * @max_bytes: the most the reply may hold; more ends the session with
 *   %MP_POP3_ERROR_REPLY_TOO_LARGE
 *
 * Fails with %MP_POP3_ERROR_NOT_SUPPORTED, without sending anything, once
 * mp_pop3_client_get_top_refused() is %TRUE. A `-ERR` to this one TOP is
 * %MP_POP3_ERROR_FAILED and changes nothing else (a TOP job's does, see
 * mp_pop3_client_top_many_async()).
 */
void
mp_pop3_client_top_async (MpPop3Client        *self,
                          guint                number,
                          guint                lines,
                          gsize                max_bytes,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autofree char *line = g_strdup_printf ("TOP %u %u", number, lines);

  g_return_if_fail (MP_IS_POP3_CLIENT (self));

  if (self->state == STATE_TRANSACTION && mp_pop3_client_get_top_refused (self))
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, mp_pop3_client_top_async);
      g_task_return_error (task, _mp_pop3_client_top_refused_error (self));
      return;
    }

  simple_command (self, mp_pop3_client_top_async, line, TRUE, max_bytes,
                  cancellable, callback, user_data);
}

/**
 * mp_pop3_client_top_finish:
 *
 * Returns: (transfer full): the lines, CRLF-terminated and unstuffed
 */
GBytes *
mp_pop3_client_top_finish (MpPop3Client  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_top_async, error);

  return reply ? g_steal_pointer (&reply->data) : NULL;
}

void
mp_pop3_client_retr_async (MpPop3Client        *self,
                           guint                number,
                           gsize                max_bytes,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *line = g_strdup_printf ("RETR %u", number);

  simple_command (self, mp_pop3_client_retr_async, line, TRUE, max_bytes,
                  cancellable, callback, user_data);
}

/**
 * mp_pop3_client_retr_finish:
 *
 * Returns: (transfer full): the message, each line ending in CRLF,
 *   dot-stuffing undone
 */
GBytes *
mp_pop3_client_retr_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_retr_async, error);

  return reply ? g_steal_pointer (&reply->data) : NULL;
}

/* Streaming RETR */

typedef struct
{
  gulong   cancel_id;
  guint    number;
  guint64  n_bytes;
} StreamData;

static void
retr_stream_done (MpPop3Client *self,
                  Reply        *reply,
                  const GError *error,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  StreamData *data = g_task_get_task_data (task);

  if (return_if_failed (self, task, &data->cancel_id, reply, error, "RETR", data->number))
    return;

  if (reply->sink_error != NULL)
    {
      GError *sink_error = g_steal_pointer (&reply->sink_error);

      /* Translators: the %u is a message number */
      g_prefix_error (&sink_error, _("Message %u could not be saved: "), data->number);
      g_task_return_error (task, sink_error);
      return;
    }

  data->n_bytes = reply->n_streamed;
  g_task_return_boolean (task, TRUE);
}

/**
 * mp_pop3_client_retr_to_stream_async:
 * @number: the message
 * @max_bytes: the most the message may hold; more ends the session with
 *   %MP_POP3_ERROR_REPLY_TOO_LARGE (what was written by then stays written)
 * @out: where the message goes, each line ending in CRLF, dot-stuffing
 *   undone, exactly as mp_pop3_client_retr_finish() would return it
 * @progress: (nullable): told the bytes written after each write, until
 *   @callback runs
 * @progress_data: data for @progress
 * @cancellable: (nullable): cancelling ends the session, as for every
 *   command
 * @callback: called when the message is written, or the RETR failed
 * @user_data: data for @callback
 *
 * RETR with the message handed to @out as it arrives, instead of held in
 * memory: the engine writes to @out asynchronously in pieces of about
 * 64 KiB and reads nothing more from the server until the write is done,
 * so a slow @out slows the download down instead of filling memory (see
 * mp_pop3_client_get_max_buffered()). @out is neither flushed nor closed.
 *
 * A failed write does not end the session: the rest of the message is read
 * and dropped, and the operation fails with the stream's error (a
 * #GIOErrorEnum) prefixed with the message number. A `-ERR` is
 * %MP_POP3_ERROR_FAILED and wrote nothing.
 */
void
mp_pop3_client_retr_to_stream_async (MpPop3Client        *self,
                                     guint                number,
                                     gsize                max_bytes,
                                     GOutputStream       *out,
                                     MpPop3ProgressFunc   progress,
                                     gpointer             progress_data,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *line = NULL;
  StreamData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (G_IS_OUTPUT_STREAM (out));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_retr_to_stream_async);
  data = g_new0 (StreamData, 1);
  data->number = number;
  g_task_set_task_data (task, data, g_free);

  if (!_mp_pop3_client_check_transaction (self, task, FALSE))
    return;

  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);
  line = g_strdup_printf ("RETR %u", number);
  _mp_pop3_client_queue_command_to_stream (self, line, max_bytes, out, progress, progress_data,
                                           retr_stream_done, g_steal_pointer (&task));
}

/**
 * mp_pop3_client_retr_to_stream_finish:
 * @n_bytes: (out) (optional): the bytes written to the stream
 *
 * Returns: %TRUE if the whole message was written
 */
gboolean
mp_pop3_client_retr_to_stream_finish (MpPop3Client  *self,
                                      GAsyncResult  *result,
                                      guint64       *n_bytes,
                                      GError       **error)
{
  StreamData *data;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  if (n_bytes != NULL)
    *n_bytes = data->n_bytes;
  return TRUE;
}

/**
 * mp_pop3_client_dele_async:
 *
 * Marks a message as deleted. Nothing is deleted until QUIT succeeds.
 */
void
mp_pop3_client_dele_async (MpPop3Client        *self,
                           guint                number,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autofree char *line = g_strdup_printf ("DELE %u", number);

  simple_command (self, mp_pop3_client_dele_async, line, FALSE, 0,
                  cancellable, callback, user_data);
}

gboolean
mp_pop3_client_dele_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_dele_async, error);

  return reply != NULL;
}

void
mp_pop3_client_rset_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_rset_async, "RSET", FALSE, 0,
                  cancellable, callback, user_data);
}

gboolean
mp_pop3_client_rset_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_rset_async, error);

  return reply != NULL;
}

void
mp_pop3_client_noop_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_noop_async, "NOOP", FALSE, 0,
                  cancellable, callback, user_data);
}

gboolean
mp_pop3_client_noop_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_noop_async, error);

  return reply != NULL;
}

/**
 * mp_pop3_client_last_async:
 *
 * LAST, from RFC 1460's command table and dropped by RFC 1725: the highest
 * message number accessed. Only a hint for servers without UIDL.
 */
void
mp_pop3_client_last_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  simple_command (self, mp_pop3_client_last_async, "LAST", FALSE, 0,
                  cancellable, callback, user_data);
}

gboolean
mp_pop3_client_last_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            guint         *last,
                            GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(Reply) reply = simple_finish (self, result, mp_pop3_client_last_async, &local_error);
  guint64 n;

  if (reply == NULL)
    {
      if (g_error_matches (local_error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED))
        local_error->code = MP_POP3_ERROR_NOT_SUPPORTED;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!parse_uint (reply->text, NULL, &n) || n > G_MAXUINT)
    {
      g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                   _("%s sent a malformed LAST reply"), self->host);
      return FALSE;
    }

  if (last != NULL)
    *last = n;
  return TRUE;
}

static void
quit_done (MpPop3Client *self,
           Reply        *reply,
           const GError *error,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SimpleData *data = g_task_get_task_data (task);
  g_autoptr(GError) closed = NULL;

  if (error != NULL)
    {
      g_autoptr(GError) wrapped = g_error_copy (error);

      g_prefix_error (&wrapped, "%s: ",
                      _("The session ended before QUIT was confirmed, "
                        "so nothing was deleted"));
      _mp_pop3_task_return_error (task, &data->cancel_id, wrapped);
      return;
    }

  closed = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                _("The session has ended"));
  _mp_pop3_client_fail_connection (self, closed);
  _mp_pop3_task_unwatch_cancellable (task, &data->cancel_id);

  if (reply->kind != REPLY_OK)
    {
      g_autofree char *clean = _mp_pop3_sanitize_server_text (reply->text);

      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_FAILED,
                               _("%s did not confirm QUIT (%s); messages marked "
                                 "for deletion may not have been deleted"),
                               self->host, clean);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * mp_pop3_client_quit_async:
 *
 * Ends the session. Messages marked with DELE are deleted only if this
 * succeeds (RFC 1939 §6); any other end of the session deleted nothing.
 */
void
mp_pop3_client_quit_async (MpPop3Client        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SimpleData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_quit_async);
  data = simple_data_new ("QUIT");
  g_task_set_task_data (task, data, (GDestroyNotify) simple_data_free);

  if (self->state != STATE_TRANSACTION && self->state != STATE_AUTHORIZATION)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("Not connected to %s"), self->host);
      return;
    }

  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);
  _mp_pop3_client_queue_command (self, "QUIT", 0, 0, quit_done, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_quit_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return _mp_pop3_client_propagate_boolean (self, result, error);
}

