/* mp-pop3-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"

/* How much command text may be on the wire unanswered when the server
 * advertises PIPELINING. RFC 2449 §6.6 only asks the client not to block
 * the server; a few KiB keep hundreds of TOPs in flight while staying well
 * under any socket buffer, so neither side can deadlock on a full pipe.
 */
#define PIPELINE_WINDOW 4096
#define READ_CHUNK      (32 * 1024)
/* A streamed reply goes to its GOutputStream in writes of about this
 * size; with at most one read chunk behind it, that bounds what a
 * download holds in memory whatever the size of the message.
 */
#define SINK_CHUNK      (64 * 1024)

struct _Command
{
  char        *line;
  gsize        line_len;
  char        *verb;
  gsize        max_bytes;
  GByteArray  *data;
  char        *status_text;
  ReplyKind    kind;
  guint        multiline : 1;
  guint        allow_continue : 1;
  guint        sensitive : 1;
  guint        have_status : 1;
  guint        after_login : 1;
  CommandSkip  skip;
  CommandSink *sink;
  CommandDone  done;
  gpointer     user_data;
};

G_DEFINE_FINAL_TYPE (MpPop3Client, mp_pop3_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pump (MpPop3Client *self);
static void check_quiescent (MpPop3Client *self);
static gboolean process_buffered (MpPop3Client *self);
static void complete_command (MpPop3Client *self, Command *cmd);

struct _CommandSink
{
  grefcount           ref;
  GOutputStream      *out;
  MpPop3ProgressFunc  progress;
  gpointer            progress_data;
  /* The bytes being written, and the client that waits for them. */
  GByteArray         *writing;
  MpPop3Client       *client;
  /* What went through: written, or dropped after an error. */
  guint64             consumed;
  guint64             written;
  GError             *error;
  /* The terminator was read: complete once the last write is done. */
  gboolean            done;
  /* NULL once the command is gone (the session failed meanwhile). */
  Command            *cmd;
};

static CommandSink *
sink_ref (CommandSink *sink)
{
  g_ref_count_inc (&sink->ref);
  return sink;
}

static void
sink_unref (CommandSink *sink)
{
  if (!g_ref_count_dec (&sink->ref))
    return;
  g_clear_object (&sink->out);
  g_clear_pointer (&sink->writing, g_byte_array_unref);
  g_clear_error (&sink->error);
  g_assert (sink->client == NULL);
  g_free (sink);
}

/* Helpers */

void
_mp_pop3_reply_free (Reply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->text);
  g_clear_pointer (&reply->data, g_bytes_unref);
  g_clear_error (&reply->sink_error);
  g_free (reply);
}

static void
command_free (Command *cmd)
{
  if (cmd->sink != NULL)
    {
      cmd->sink->cmd = NULL;
      sink_unref (cmd->sink);
    }
  if (cmd->line != NULL)
    explicit_bzero (cmd->line, cmd->line_len);
  g_free (cmd->line);
  g_free (cmd->verb);
  g_free (cmd->status_text);
  g_clear_pointer (&cmd->data, g_byte_array_unref);
  g_free (cmd);
}

void
_mp_pop3_secure_free (char *str)
{
  if (str != NULL)
    explicit_bzero (str, strlen (str));
  g_free (str);
}

gboolean
_mp_pop3_has_line_break (const char *str)
{
  return str != NULL && strpbrk (str, "\r\n") != NULL;
}

/* Connection life */

void
_mp_pop3_client_close_socket (MpPop3Client *self)
{
  if (self->io_cancellable != NULL)
    g_cancellable_cancel (self->io_cancellable);

  /* Closing the GSocket directly never blocks, unlike a TLS close that
   * would wait to send close_notify to a server that may be gone.
   */
  if (self->socket_connection != NULL)
    g_socket_close (g_socket_connection_get_socket (self->socket_connection), NULL);
}

void
_mp_pop3_client_fail_connection (MpPop3Client *self,
                                 const GError *error)
{
  GQueue doomed = G_QUEUE_INIT;
  Command *cmd;

  if (self->state == STATE_CLOSED)
    return;

  g_debug ("%s: session ends: %s", self->host, error->message);

  self->state = STATE_CLOSED;
  g_clear_error (&self->fatal);
  self->fatal = g_error_copy (error);
  _mp_pop3_client_close_socket (self);

  /* Callbacks may queue more commands or drop the last reference: collect
   * first, then tell everyone.
   */
  while ((cmd = g_queue_pop_head (&self->inflight)))
    g_queue_push_tail (&doomed, cmd);
  while ((cmd = g_queue_pop_head (&self->pending)))
    g_queue_push_tail (&doomed, cmd);
  self->inflight_bytes = 0;
  self->sink_paused = FALSE;

  g_object_ref (self);
  while ((cmd = g_queue_pop_head (&doomed)))
    {
      cmd->done (self, NULL, error, cmd->user_data);
      command_free (cmd);
    }
  g_object_unref (self);
}

static void
complete_command (MpPop3Client *self,
                  Command      *cmd)
{
  g_autoptr(Reply) reply = g_new0 (Reply, 1);

  reply->kind = cmd->kind;
  reply->text = g_steal_pointer (&cmd->status_text);
  if (cmd->sink != NULL)
    {
      g_clear_pointer (&cmd->data, g_byte_array_unref);
      reply->n_streamed = cmd->sink->written;
      reply->sink_error = g_steal_pointer (&cmd->sink->error);
    }
  else if (cmd->data != NULL)
    reply->data = g_byte_array_free_to_bytes (g_steal_pointer (&cmd->data));

  cmd->done (self, reply, NULL, cmd->user_data);
}

static void
note_buffered (MpPop3Client *self,
               Command      *cmd)
{
  gsize held = mp_pop3_reader_get_buffered (self->reader);

  if (cmd->data != NULL)
    held += cmd->data->len;
  if (cmd->sink != NULL && cmd->sink->writing != NULL)
    held += cmd->sink->writing->len;
  self->max_buffered = MAX (self->max_buffered, held);
}

static void
sink_write_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  CommandSink *sink = user_data;
  g_autoptr(MpPop3Client) self = g_steal_pointer (&sink->client);
  g_autoptr(GError) error = NULL;
  gsize n = 0;
  gboolean ok;

  ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &n, &error);
  g_clear_pointer (&sink->writing, g_byte_array_unref);

  /* The session failed meanwhile and told the command already. */
  if (sink->cmd == NULL || self->state == STATE_CLOSED)
    {
      sink_unref (sink);
      return;
    }

  self->sink_paused = FALSE;
  sink->written += n;
  if (!ok && g_cancellable_is_cancelled (self->io_cancellable))
    {
      /* The caller cancelled: that ends the session, as for any command. */
      g_autoptr(GError) mapped = _mp_pop3_client_map_io_error (self, error);

      _mp_pop3_client_fail_connection (self, mapped);
      sink_unref (sink);
      return;
    }
  if (!ok)
    {
      /* The message goes on arriving: read it to its end and drop it,
       * so that the session stays usable.
       */
      g_debug ("%s: writing the reply failed: %s", self->host, error->message);
      sink->error = g_steal_pointer (&error);
    }
  else if (sink->progress != NULL)
    sink->progress (sink->written, sink->progress_data);

  if (sink->done)
    {
      Command *cmd = sink->cmd;

      g_assert (cmd == g_queue_peek_head (&self->inflight));
      g_queue_pop_head (&self->inflight);
      self->inflight_bytes -= cmd->line_len;
      complete_command (self, cmd);
      command_free (cmd);
    }

  sink_unref (sink);
  if (process_buffered (self))
    pump (self);
}

/* The data of a streamed reply: whatever is buffered goes to the sink, in
 * writes of SINK_CHUNK or at the end. Returns FALSE while the command is
 * not complete (waiting for bytes or for a write) or the session failed.
 */
static gboolean
process_sink (MpPop3Client *self,
              Command      *cmd)
{
  CommandSink *sink = cmd->sink;
  g_autoptr(GError) error = NULL;
  MpPop3ReadResult res;
  guint64 budget;

  if (self->sink_paused)
    return FALSE;

  budget = cmd->max_bytes > sink->consumed ? cmd->max_bytes - sink->consumed : 0;
  res = mp_pop3_reader_read_data (self->reader, cmd->data, MIN (budget, G_MAXSIZE), &error);
  note_buffered (self, cmd);
  if (res == MP_POP3_READ_ERROR)
    {
      g_prefix_error (&error, "%s: ", cmd->verb);
      _mp_pop3_client_fail_connection (self, error);
      return FALSE;
    }
  if (res == MP_POP3_READ_DONE)
    sink->done = TRUE;

  if (sink->error != NULL)
    {
      sink->consumed += cmd->data->len;
      g_byte_array_set_size (cmd->data, 0);
    }

  if (cmd->data->len > 0 && (cmd->data->len >= SINK_CHUNK || sink->done))
    {
      sink->writing = g_steal_pointer (&cmd->data);
      cmd->data = g_byte_array_new ();
      sink->consumed += sink->writing->len;
      sink->client = g_object_ref (self);
      self->sink_paused = TRUE;
      g_output_stream_write_all_async (sink->out,
                                       sink->writing->data,
                                       sink->writing->len,
                                       G_PRIORITY_DEFAULT,
                                       self->io_cancellable,
                                       sink_write_cb,
                                       sink_ref (sink));
      return FALSE;
    }

  return sink->done;
}

/* Matches buffered replies to the commands in flight, in order. Returns
 * FALSE when the session failed.
 */
static gboolean
process_buffered (MpPop3Client *self)
{
  while (self->state != STATE_CLOSED && !g_queue_is_empty (&self->inflight))
    {
      Command *cmd = g_queue_peek_head (&self->inflight);
      g_autoptr(GError) error = NULL;
      MpPop3ReadResult res;

      if (!cmd->have_status)
        {
          g_autofree char *line = NULL;

          res = mp_pop3_reader_read_status (self->reader, &line, &error);
          if (res == MP_POP3_READ_NEED_MORE)
            return TRUE;
          if (res == MP_POP3_READ_ERROR)
            {
              _mp_pop3_client_fail_connection (self, error);
              return FALSE;
            }

          if (g_str_has_prefix (line, "+OK") && (line[3] == '\0' || g_ascii_isspace (line[3])))
            {
              cmd->kind = REPLY_OK;
              cmd->status_text = g_strdup (g_strchug (line + 3));
            }
          else if (g_str_has_prefix (line, "-ERR"))
            {
              cmd->kind = REPLY_ERR;
              cmd->status_text = g_strdup (g_strchug (line + 4));
            }
          else if (cmd->allow_continue && line[0] == '+' && (line[1] == '\0' || line[1] == ' '))
            {
              cmd->kind = REPLY_CONTINUE;
              cmd->status_text = g_strdup (line[1] == '\0' ? "" : line + 2);
            }
          else
            {
              g_autofree char *clean = _mp_pop3_sanitize_server_text (line);

              /* The greeting answers no command: two whole sentences,
               * so that translators need not fit a phrase into the other.
               */
              if (cmd->verb != NULL)
                error = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                     /* Translators: the second %s is a POP3 command such as STAT */
                                     _("%s sent an unexpected reply to %s: “%s”"),
                                     self->host, cmd->verb, clean);
              else
                error = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                     _("%s sent an unexpected reply to the connection: “%s”"),
                                     self->host, clean);
              _mp_pop3_client_fail_connection (self, error);
              return FALSE;
            }

          cmd->have_status = TRUE;
          if (cmd->kind == REPLY_OK && cmd->multiline)
            cmd->data = g_byte_array_new ();
        }

      if (cmd->data != NULL && cmd->sink != NULL)
        {
          if (!process_sink (self, cmd))
            return self->state != STATE_CLOSED;
        }
      else if (cmd->data != NULL)
        {
          res = mp_pop3_reader_read_data (self->reader, cmd->data, cmd->max_bytes, &error);
          note_buffered (self, cmd);
          if (res == MP_POP3_READ_NEED_MORE)
            return TRUE;
          if (res == MP_POP3_READ_ERROR)
            {
              g_prefix_error (&error, "%s: ", cmd->verb);
              _mp_pop3_client_fail_connection (self, error);
              return FALSE;
            }
        }

      g_queue_pop_head (&self->inflight);
      self->inflight_bytes -= cmd->line_len;
      complete_command (self, cmd);
      command_free (cmd);
    }

  return self->state != STATE_CLOSED;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MpPop3Client) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  self->reading = FALSE;
  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (self->state == STATE_CLOSED)
    {
      check_quiescent (self);
      return;
    }

  if (n < 0)
    {
      g_autoptr(GError) mapped = _mp_pop3_client_map_io_error (self, error);

      _mp_pop3_client_fail_connection (self, mapped);
      check_quiescent (self);
      return;
    }

  if (n == 0)
    {
      g_autoptr(GError) closed = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                                              _("%s closed the connection"),
                                              self->host);
      _mp_pop3_client_fail_connection (self, closed);
      check_quiescent (self);
      return;
    }

  mp_pop3_reader_feed (self->reader, self->read_buffer, n);
  if (process_buffered (self))
    pump (self);
}

static void
ensure_reading (MpPop3Client *self)
{
  if (self->reading || self->sink_paused || self->state == STATE_CLOSED || self->input == NULL)
    return;

  /* The replies already buffered may complete commands whose callbacks
   * queue more and get here again: a read may be under way after this.
   */
  if (!process_buffered (self) || g_queue_is_empty (&self->inflight) ||
      self->reading || self->sink_paused)
    return;

  self->reading = TRUE;
  g_input_stream_read_async (self->input,
                             self->read_buffer,
                             READ_CHUNK,
                             G_PRIORITY_DEFAULT,
                             self->io_cancellable,
                             read_cb,
                             g_object_ref (self));
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MpPop3Client) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  g_byte_array_set_size (self->writing_buffer, 0);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_autoptr(GError) mapped = _mp_pop3_client_map_io_error (self, error);

      _mp_pop3_client_fail_connection (self, mapped);
      check_quiescent (self);
      return;
    }

  if (self->state == STATE_CLOSED)
    check_quiescent (self);
  else
    pump (self);
}

static void
ensure_writing (MpPop3Client *self)
{
  GByteArray *tmp;

  if (self->writing || self->out_buffer->len == 0 || self->state == STATE_CLOSED)
    return;

  tmp = self->writing_buffer;
  self->writing_buffer = self->out_buffer;
  self->out_buffer = tmp;

  self->writing = TRUE;
  g_output_stream_write_all_async (self->output,
                                   self->writing_buffer->data,
                                   self->writing_buffer->len,
                                   G_PRIORITY_DEFAULT,
                                   self->io_cancellable,
                                   write_cb,
                                   g_object_ref (self));
}

/* Moves commands from the queue onto the wire: all of them one at a time
 * without PIPELINING, else as many as fit in the window.
 */
static void
pump (MpPop3Client *self)
{
  GQueue skipped = G_QUEUE_INIT;
  Command *cmd;

  if (self->state == STATE_CLOSED || self->output == NULL)
    return;

  while (!g_queue_is_empty (&self->pending))
    {
      cmd = g_queue_peek_head (&self->pending);

      if (cmd->skip != NULL && cmd->skip (self, cmd->user_data))
        {
          g_queue_pop_head (&self->pending);
          g_queue_push_tail (&skipped, cmd);
          continue;
        }

      if (!g_queue_is_empty (&self->inflight))
        {
          if (!self->pipelining || self->state != STATE_TRANSACTION)
            break;
          if (self->inflight_bytes + cmd->line_len > PIPELINE_WINDOW)
            break;
        }

      g_queue_pop_head (&self->pending);
      g_queue_push_tail (&self->inflight, cmd);
      self->inflight_bytes += cmd->line_len;

      if (cmd->line != NULL)
        {
          guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->command_counts, cmd->verb));

          g_hash_table_insert (self->command_counts, g_strdup (cmd->verb),
                               GUINT_TO_POINTER (count + 1));
          g_byte_array_append (self->out_buffer, (const guint8 *) cmd->line, cmd->line_len);

          if (cmd->sensitive)
            g_debug ("%s: C: %s ********", self->host, cmd->verb);
          else
            g_debug ("%s: C: %.*s", self->host, (int) cmd->line_len - 2, cmd->line);
        }
    }

  if (!self->corked)
    ensure_writing (self);
  ensure_reading (self);

  /* Told only now: their callbacks may queue more and pump again. */
  if (!g_queue_is_empty (&skipped))
    {
      g_object_ref (self);
      while ((cmd = g_queue_pop_head (&skipped)))
        {
          cmd->done (self, NULL, NULL, cmd->user_data);
          command_free (cmd);
        }
      g_object_unref (self);
    }
}

static void
check_quiescent (MpPop3Client *self)
{
  QuiescentFunc func = self->quiescent_func;

  if (func == NULL || self->state != STATE_CLOSED || self->reading || self->writing)
    return;

  self->quiescent_func = NULL;
  func (self, g_steal_pointer (&self->quiescent_data));
}

/* @func runs once the session is closed and no read or write is in
 * flight: at once if that is so now, else from the last I/O callback.
 */
void
_mp_pop3_client_when_quiescent (MpPop3Client  *self,
                                QuiescentFunc  func,
                                gpointer       user_data)
{
  g_return_if_fail (self->quiescent_func == NULL);
  g_return_if_fail (self->state == STATE_CLOSED);

  self->quiescent_func = func;
  self->quiescent_data = user_data;
  check_quiescent (self);
}

/* Forgets the closed connection and everything learnt on it, so that
 * mp-pop3-connect.c can open a new one on the same object. Only on a
 * quiescent session (see _mp_pop3_client_when_quiescent()).
 */
void
_mp_pop3_client_reset_connection (MpPop3Client *self)
{
  g_return_if_fail (self->state == STATE_CLOSED);
  g_return_if_fail (!self->reading && !self->writing);
  g_return_if_fail (g_queue_is_empty (&self->pending) && g_queue_is_empty (&self->inflight));

  self->state = STATE_DISCONNECTED;
  g_clear_error (&self->fatal);
  g_clear_object (&self->stream);
  g_clear_object (&self->socket_connection);
  self->input = NULL;
  self->output = NULL;
  g_clear_object (&self->io_cancellable);
  mp_pop3_reader_clear (self->reader);
  g_byte_array_set_size (self->out_buffer, 0);
  g_byte_array_set_size (self->writing_buffer, 0);
  self->inflight_bytes = 0;

  g_clear_pointer (&self->greeting, g_free);
  g_clear_pointer (&self->apop_timestamp, g_free);
  _mp_pop3_client_set_capabilities (self, NULL);
  self->capa_supported = FALSE;
  self->login_capa_done = FALSE;
  self->encrypted = FALSE;
  self->pipelining = FALSE;
  self->pin_mismatch = FALSE;
  self->utf8 = FALSE;
  self->top_refused = FALSE;
  self->n_messages_known = FALSE;
  self->n_messages = 0;
  self->auth_used = MP_POP3_AUTH_AUTO;
  g_clear_object (&self->peer_certificate);
  self->peer_certificate_errors = 0;
}

/* Queues one command line; @line is NULL only for the greeting. @done is
 * called exactly once, with the reply or with the error that ended the
 * session (or, see _mp_pop3_client_queue_command_full(), with neither
 * when the command was skipped).
 */
void
_mp_pop3_client_queue_command (MpPop3Client *self,
                               const char   *line,
                               CommandFlags  flags,
                               gsize         max_bytes,
                               CommandDone   done,
                               gpointer      user_data)
{
  _mp_pop3_client_queue_command_full (self, line, flags, max_bytes, NULL, done, user_data);
}

static Command *
command_new (const char   *line,
             CommandFlags  flags,
             gsize         max_bytes,
             CommandSkip   skip,
             CommandDone   done,
             gpointer      user_data)
{
  Command *cmd = g_new0 (Command, 1);

  if (line != NULL)
    {
      const char *space = strchr (line, ' ');

      /* A SASL response has no verb, and its text is secret. */
      if (space == NULL && (flags & CMD_SENSITIVE))
        cmd->verb = g_strdup ("(SASL)");
      else
        cmd->verb = space ? g_ascii_strup (line, space - line) : g_ascii_strup (line, -1);
      cmd->line = g_strconcat (line, "\r\n", NULL);
      cmd->line_len = strlen (cmd->line);
    }
  cmd->multiline = (flags & CMD_MULTILINE) != 0;
  cmd->allow_continue = (flags & CMD_CONTINUE) != 0;
  cmd->sensitive = (flags & CMD_SENSITIVE) != 0;
  cmd->after_login = (flags & CMD_AFTER_LOGIN) != 0;
  cmd->skip = skip;
  cmd->max_bytes = max_bytes;
  cmd->done = done;
  cmd->user_data = user_data;
  return cmd;
}

static void
enqueue (MpPop3Client *self,
         Command      *cmd)
{
  if (self->state == STATE_CLOSED)
    {
      g_autoptr(GError) error = NULL;

      if (self->fatal != NULL)
        error = g_error_copy (self->fatal);
      else
        error = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                     _("The session is closed"));
      cmd->done (self, NULL, error, cmd->user_data);
      command_free (cmd);
      return;
    }

  if (cmd->after_login && self->opening && self->state != STATE_TRANSACTION)
    {
      g_queue_push_tail (&self->held, cmd);
      return;
    }

  g_queue_push_tail (&self->pending, cmd);
  pump (self);
}

/* See MpPop3Client:corked. Uncorking writes what was queued meanwhile. */
void
_mp_pop3_client_set_corked (MpPop3Client *self,
                            gboolean      corked)
{
  self->corked = corked;
  if (!corked)
    pump (self);
}

/* The login succeeded: the commands queued while the session opened go
 * behind whatever is queued now (the CAPA after the login), pipelined with
 * it when the server allows.
 */
void
_mp_pop3_client_release_held (MpPop3Client *self)
{
  Command *cmd;

  if (g_queue_is_empty (&self->held))
    return;

  /* The session ended meanwhile (after a login that worked). */
  if (self->state != STATE_TRANSACTION)
    {
      g_autoptr(GError) error = NULL;

      if (self->fatal != NULL)
        error = g_error_copy (self->fatal);
      else
        error = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                             _("Not logged in to %s"), self->host);
      _mp_pop3_client_fail_held (self, error);
      return;
    }

  while ((cmd = g_queue_pop_head (&self->held)))
    g_queue_push_tail (&self->pending, cmd);
  pump (self);
}

/* The session did not open: the commands queued meanwhile fail, unsent. */
void
_mp_pop3_client_fail_held (MpPop3Client *self,
                           const GError *error)
{
  GQueue doomed = G_QUEUE_INIT;
  Command *cmd;

  while ((cmd = g_queue_pop_head (&self->held)))
    g_queue_push_tail (&doomed, cmd);

  g_object_ref (self);
  while ((cmd = g_queue_pop_head (&doomed)))
    {
      cmd->done (self, NULL, error, cmd->user_data);
      command_free (cmd);
    }
  g_object_unref (self);
}

/* As _mp_pop3_client_queue_command(), with @skip asked before sending. */
void
_mp_pop3_client_queue_command_full (MpPop3Client *self,
                                    const char   *line,
                                    CommandFlags  flags,
                                    gsize         max_bytes,
                                    CommandSkip   skip,
                                    CommandDone   done,
                                    gpointer      user_data)
{
  enqueue (self, command_new (line, flags, max_bytes, skip, done, user_data));
}

/* A multi-line command whose data goes to @out as it arrives, instead of
 * into the reply; @done gets Reply:n_streamed and Reply:sink_error.
 */
void
_mp_pop3_client_queue_command_to_stream (MpPop3Client       *self,
                                         const char         *line,
                                         gsize               max_bytes,
                                         GOutputStream      *out,
                                         MpPop3ProgressFunc  progress,
                                         gpointer            progress_data,
                                         CommandDone         done,
                                         gpointer            user_data)
{
  Command *cmd = command_new (line, CMD_MULTILINE, max_bytes, NULL, done, user_data);
  CommandSink *sink = g_new0 (CommandSink, 1);

  g_ref_count_init (&sink->ref);
  sink->out = g_object_ref (out);
  sink->progress = progress;
  sink->progress_data = progress_data;
  sink->cmd = cmd;
  cmd->sink = sink;
  enqueue (self, cmd);
}

/* Cancelling any operation ends the session: a pipelined POP3 session has
 * no way to take back one command already on the wire.
 */
static void
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GCancellable *io_cancellable = user_data;

  g_cancellable_cancel (io_cancellable);
}

/* The handler id lives in the task data of each operation (@cancel_id),
 * so that whoever completes the task can disconnect it.
 */
void
_mp_pop3_client_watch_cancellable (MpPop3Client *self,
                                   GTask        *task,
                                   gulong       *cancel_id)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (cancellable == NULL || self->io_cancellable == NULL)
    return;

  *cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb),
                                      g_object_ref (self->io_cancellable),
                                      g_object_unref);
}

void
_mp_pop3_task_unwatch_cancellable (GTask  *task,
                                   gulong *cancel_id)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (cancellable != NULL && *cancel_id != 0)
    g_cancellable_disconnect (cancellable, *cancel_id);
  *cancel_id = 0;
}

void
_mp_pop3_task_return_error (GTask        *task,
                            gulong       *cancel_id,
                            const GError *error)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  _mp_pop3_task_unwatch_cancellable (task, cancel_id);

  /* A cancelled session fails with the io_cancellable's error; report the
   * caller's own cancellation as such.
   */
  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("Operation was cancelled"));
  else
    g_task_return_error (task, g_error_copy (error));
}

/* The start of every command of the TRANSACTION state: TRUE if it may
 * be queued now; else FALSE, with @task returned with the reason (the
 * error that ended the session, not logged in, or cancelled already).
 * @while_opening: the command may also wait for the login of an open
 * under way (CMD_AFTER_LOGIN).
 */
gboolean
_mp_pop3_client_check_transaction (MpPop3Client *self,
                                   GTask        *task,
                                   gboolean      while_opening)
{
  gboolean waits = while_opening && self->opening && self->state != STATE_CLOSED;

  if (self->state != STATE_TRANSACTION && !waits)
    {
      if (self->state == STATE_CLOSED && self->fatal != NULL)
        g_task_return_error (task, g_error_copy (self->fatal));
      else
        g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                 _("Not logged in to %s"), self->host);
      return FALSE;
    }

  return !g_task_return_error_if_cancelled (task);
}

/* The _finish() of the operations that only succeed or fail. */
gboolean
_mp_pop3_client_propagate_boolean (MpPop3Client  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

static void
mp_pop3_client_dispose (GObject *object)
{
  MpPop3Client *self = (MpPop3Client *)object;

  _mp_pop3_client_close_socket (self);
  g_clear_object (&self->stream);
  g_clear_object (&self->socket_connection);
  self->input = NULL;
  self->output = NULL;
  g_clear_object (&self->io_cancellable);
  g_clear_object (&self->extra_database);
  g_clear_object (&self->peer_certificate);

  G_OBJECT_CLASS (mp_pop3_client_parent_class)->dispose (object);
}

static void
mp_pop3_client_finalize (GObject *object)
{
  MpPop3Client *self = (MpPop3Client *)object;

  g_assert (g_queue_is_empty (&self->pending));
  g_assert (g_queue_is_empty (&self->inflight));
  g_assert (g_queue_is_empty (&self->held));

  g_free (self->host);
  g_free (self->pin);
  g_clear_error (&self->fatal);
  g_clear_pointer (&self->reader, mp_pop3_reader_free);
  g_free (self->read_buffer);
  g_byte_array_unref (self->out_buffer);
  g_byte_array_unref (self->writing_buffer);
  g_free (self->greeting);
  g_free (self->apop_timestamp);
  g_clear_pointer (&self->capabilities, g_strfreev);
  g_hash_table_unref (self->command_counts);

  G_OBJECT_CLASS (mp_pop3_client_parent_class)->finalize (object);
}

static void
mp_pop3_client_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  MpPop3Client *self = MP_POP3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURITY:
      g_value_set_enum (value, self->security);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_pop3_client_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  MpPop3Client *self = MP_POP3_CLIENT (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_PORT:
      self->port = g_value_get_uint (value);
      break;
    case PROP_SECURITY:
      self->security = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_pop3_client_class_init (MpPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_pop3_client_dispose;
  object_class->finalize = mp_pop3_client_finalize;
  object_class->get_property = mp_pop3_client_get_property;
  object_class->set_property = mp_pop3_client_set_property;

  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 995,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECURITY] =
    g_param_spec_enum ("security", NULL, NULL,
                       MP_TYPE_POP3_SECURITY, MP_POP3_SECURITY_TLS,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mp_pop3_client_init (MpPop3Client *self)
{
  self->timeout = MP_POP3_DEFAULT_TIMEOUT;
  self->pipelining_allowed = TRUE;
  self->state = STATE_DISCONNECTED;
  self->reader = mp_pop3_reader_new ();
  self->read_buffer = g_malloc (READ_CHUNK);
  self->out_buffer = g_byte_array_new ();
  self->writing_buffer = g_byte_array_new ();
  self->capabilities = g_new0 (char *, 1);
  self->command_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->pending);
  g_queue_init (&self->inflight);
  g_queue_init (&self->held);
}

/* Public accessors */

/**
 * mp_pop3_client_new:
 * @host: a host name or IP address
 * @port: the TCP port, or 0 for the default of @security
 * @security: how the session is protected
 *
 * Returns: (transfer full): a client for one POP3 session
 */
MpPop3Client *
mp_pop3_client_new (const char     *host,
                    guint16         port,
                    MpPop3Security  security)
{
  g_return_val_if_fail (host != NULL, NULL);

  return g_object_new (MP_TYPE_POP3_CLIENT,
                       "host", host,
                       "port", port ? port : mp_pop3_security_default_port (security),
                       "security", security,
                       NULL);
}

const char *
mp_pop3_client_get_host (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  return self->host;
}

guint16
mp_pop3_client_get_port (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);
  return self->port;
}

MpPop3Security
mp_pop3_client_get_security (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), MP_POP3_SECURITY_TLS);
  return self->security;
}

/**
 * mp_pop3_client_set_timeout:
 * @seconds: the limit for connecting and for each read or write; 0 for none
 */
void
mp_pop3_client_set_timeout (MpPop3Client *self,
                            guint         seconds)
{
  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  self->timeout = seconds;
  if (self->socket_connection != NULL)
    g_socket_set_timeout (g_socket_connection_get_socket (self->socket_connection), seconds);
}

guint
mp_pop3_client_get_timeout (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);
  return self->timeout;
}

/**
 * mp_pop3_client_set_pipelining_allowed:
 *
 * Pipelining is used only when the server advertises PIPELINING; this
 * switches it off even then (for diagnostics and benchmarks).
 */
void
mp_pop3_client_set_pipelining_allowed (MpPop3Client *self,
                                       gboolean      allowed)
{
  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  self->pipelining_allowed = !!allowed;
  self->pipelining = self->pipelining && self->pipelining_allowed;
}

/**
 * mp_pop3_client_get_auth_method_used:
 *
 * Returns: the method that logged in (after a fallback, the one that
 *   worked), or %MP_POP3_AUTH_AUTO before a login succeeded
 */
MpPop3AuthMethod
mp_pop3_client_get_auth_method_used (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), MP_POP3_AUTH_AUTO);
  return self->auth_used;
}

/**
 * mp_pop3_client_get_max_buffered:
 *
 * For tests and benchmarks: the most reply bytes this session held in
 * memory at once while reading multi-line data (the reader's buffer, the
 * data not yet handed on, and a streamed reply's write in flight).
 *
 * Returns: a number of bytes
 */
gsize
mp_pop3_client_get_max_buffered (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);
  return self->max_buffered;
}

/**
 * mp_pop3_client_get_command_count:
 * @verb: a command verb such as "TOP"
 *
 * Returns: how many commands with @verb this session has sent
 */
guint
mp_pop3_client_get_command_count (MpPop3Client *self,
                                  const char   *verb)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);

  upper = g_ascii_strup (verb, -1);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->command_counts, upper));
}

gboolean
mp_pop3_client_is_connected (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  return self->state == STATE_AUTHORIZATION || self->state == STATE_TRANSACTION;
}

/**
 * mp_pop3_client_close:
 *
 * Drops the connection without QUIT. The server then deletes nothing that
 * this session marked. Operations still running fail with
 * %MP_POP3_ERROR_NOT_CONNECTED.
 */
void
mp_pop3_client_close (MpPop3Client *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));

  if (self->state == STATE_CLOSED)
    return;

  if (self->state == STATE_DISCONNECTED)
    {
      self->state = STATE_CLOSED;
      return;
    }

  error = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("The session was closed"));
  _mp_pop3_client_fail_connection (self, error);
}

