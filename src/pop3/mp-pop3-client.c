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

#include "mp-pop3-client.h"
#include "mp-pop3-reader.h"

/* How much command text may be on the wire unanswered when the server
 * advertises PIPELINING. RFC 2449 §6.6 only asks the client not to block
 * the server; a few KiB keep hundreds of TOPs in flight while staying well
 * under any socket buffer, so neither side can deadlock on a full pipe.
 */
#define PIPELINE_WINDOW 4096
#define READ_CHUNK      (32 * 1024)

/* RFC 5034 §4: the AUTH command with its initial response must fit in
 * 255 octets, CRLF included.
 */
#define SASL_MAX_LINE 255

typedef enum
{
  STATE_DISCONNECTED,
  STATE_CONNECTING,
  STATE_AUTHORIZATION,
  STATE_TRANSACTION,
  STATE_CLOSED,
} State;

typedef enum
{
  REPLY_OK,
  REPLY_ERR,
  REPLY_CONTINUE,
} ReplyKind;

typedef struct
{
  ReplyKind  kind;
  char      *text;
  GBytes    *data;
} Reply;

typedef void (*CommandDone) (MpPop3Client *self,
                             Reply        *reply,
                             const GError *error,
                             gpointer      user_data);

typedef struct
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
  CommandDone  done;
  gpointer     user_data;
} Command;

struct _MpPop3Client
{
  GObject              parent_instance;

  char                *host;
  guint16              port;
  MpPop3Security       security;
  guint                timeout;
  GTlsDatabase        *extra_database;
  char                *pin;
  gboolean             pipelining_allowed;

  State                state;
  GError              *fatal;
  GSocketConnection   *socket_connection;
  GIOStream           *stream;
  GInputStream        *input;
  GOutputStream       *output;
  GCancellable        *io_cancellable;
  MpPop3Reader        *reader;
  guint8              *read_buffer;
  GByteArray          *out_buffer;
  GByteArray          *writing_buffer;
  gboolean             reading;
  gboolean             writing;
  GQueue               pending;
  GQueue               inflight;
  gsize                inflight_bytes;

  char                *greeting;
  char                *apop_timestamp;
  GStrv                capabilities;
  gboolean             capa_supported;
  gboolean             encrypted;
  gboolean             pipelining;
  gboolean             pin_mismatch;
  MpPop3AuthMethod     auth_used;
  GTlsCertificate     *peer_certificate;
  GTlsCertificateFlags peer_certificate_errors;
  GHashTable          *command_counts;
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

/* Helpers */

static void
reply_free (Reply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->text);
  g_clear_pointer (&reply->data, g_bytes_unref);
  g_free (reply);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, reply_free)

static void
command_free (Command *cmd)
{
  if (cmd->line != NULL)
    explicit_bzero (cmd->line, cmd->line_len);
  g_free (cmd->line);
  g_free (cmd->verb);
  g_free (cmd->status_text);
  g_clear_pointer (&cmd->data, g_byte_array_unref);
  g_free (cmd);
}

static void
secure_free (char *str)
{
  if (str != NULL)
    explicit_bzero (str, strlen (str));
  g_free (str);
}

/* Server text goes into error messages a user reads: make it valid UTF-8
 * without control characters, and short.
 */
static char *
sanitize_server_text (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (out->len >= 200)
        {
          g_string_append (out, "…");
          break;
        }
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }

  g_strstrip (out->str);
  out->len = strlen (out->str);
  return g_string_free (out, FALSE);
}

/* RFC 2449 §8 / RFC 3206: "-ERR [CODE] text". */
static MpPop3Error
code_from_reply (const char  *text,
                 MpPop3Error  fallback)
{
  static const struct {
    const char  *code;
    MpPop3Error  error;
  } codes[] = {
    { "IN-USE", MP_POP3_ERROR_IN_USE },
    { "LOGIN-DELAY", MP_POP3_ERROR_LOGIN_DELAY },
    { "SYS/TEMP", MP_POP3_ERROR_SYS_TEMP },
    { "SYS/PERM", MP_POP3_ERROR_SYS_PERM },
    { "AUTH", MP_POP3_ERROR_AUTH },
  };
  const char *end;
  gsize len;

  if (text == NULL || text[0] != '[')
    return fallback;

  end = strchr (text, ']');
  if (end == NULL)
    return fallback;

  len = end - (text + 1);
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      gsize code_len = strlen (codes[i].code);

      /* Codes are hierarchical (RFC 2449 §8): "SYS/TEMP/DISK" is still
       * SYS/TEMP.
       */
      if (len >= code_len &&
          g_ascii_strncasecmp (text + 1, codes[i].code, code_len) == 0 &&
          (len == code_len || text[1 + code_len] == '/'))
        return codes[i].error;
    }

  return fallback;
}

static GError *
error_from_reply (MpPop3Client *self,
                  const char   *text,
                  MpPop3Error   fallback,
                  const char   *what)
{
  g_autofree char *clean = sanitize_server_text (text);
  MpPop3Error code = code_from_reply (text, fallback);

  switch (code)
    {
    case MP_POP3_ERROR_IN_USE:
      return g_error_new (MP_POP3_ERROR, code,
                          _("The mailbox on %s is in use by another session (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_LOGIN_DELAY:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s asks to wait longer between logins (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_SYS_TEMP:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s has a temporary problem (%s)"), self->host, clean);
    case MP_POP3_ERROR_SYS_PERM:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s has a permanent problem (%s)"), self->host, clean);
    case MP_POP3_ERROR_AUTH:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s rejected the user name or password (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_FAILED:
    case MP_POP3_ERROR_PROTOCOL:
    case MP_POP3_ERROR_LINE_TOO_LONG:
    case MP_POP3_ERROR_REPLY_TOO_LARGE:
    case MP_POP3_ERROR_CLOSED:
    case MP_POP3_ERROR_TIMED_OUT:
    case MP_POP3_ERROR_TLS_UNAVAILABLE:
    case MP_POP3_ERROR_TLS_FAILED:
    case MP_POP3_ERROR_CERTIFICATE:
    case MP_POP3_ERROR_AUTH_UNSUPPORTED:
    case MP_POP3_ERROR_NOT_SUPPORTED:
    case MP_POP3_ERROR_INVALID_ARGUMENT:
    case MP_POP3_ERROR_NOT_CONNECTED:
    default:
      return g_error_new (MP_POP3_ERROR, code, "%s: %s", what, clean);
    }
}

static gboolean
has_line_break (const char *str)
{
  return str != NULL && strpbrk (str, "\r\n") != NULL;
}

/* Connection life */

static void
close_socket (MpPop3Client *self)
{
  if (self->io_cancellable != NULL)
    g_cancellable_cancel (self->io_cancellable);

  /* Closing the GSocket directly never blocks, unlike a TLS close that
   * would wait to send close_notify to a server that may be gone.
   */
  if (self->socket_connection != NULL)
    g_socket_close (g_socket_connection_get_socket (self->socket_connection), NULL);
}

static void
fail_connection (MpPop3Client *self,
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
  close_socket (self);

  /* Callbacks may queue more commands or drop the last reference: collect
   * first, then tell everyone.
   */
  while ((cmd = g_queue_pop_head (&self->inflight)))
    g_queue_push_tail (&doomed, cmd);
  while ((cmd = g_queue_pop_head (&self->pending)))
    g_queue_push_tail (&doomed, cmd);
  self->inflight_bytes = 0;

  g_object_ref (self);
  while ((cmd = g_queue_pop_head (&doomed)))
    {
      cmd->done (self, NULL, error, cmd->user_data);
      command_free (cmd);
    }
  g_object_unref (self);
}

static GError *
map_io_error (MpPop3Client *self,
              GError       *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT,
                        ngettext ("%s did not answer within %u second",
                                  "%s did not answer within %u seconds",
                                  self->timeout),
                        self->host, self->timeout);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
      g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF))
    return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                        _("%s closed the connection"), self->host);

  return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                      _("The connection to %s failed: %s"),
                      self->host, error->message);
}

static void
complete_command (MpPop3Client *self,
                  Command      *cmd)
{
  g_autoptr(Reply) reply = g_new0 (Reply, 1);

  reply->kind = cmd->kind;
  reply->text = g_steal_pointer (&cmd->status_text);
  if (cmd->data != NULL)
    reply->data = g_byte_array_free_to_bytes (g_steal_pointer (&cmd->data));

  cmd->done (self, reply, NULL, cmd->user_data);
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
              fail_connection (self, error);
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
              g_autofree char *clean = sanitize_server_text (line);

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
              fail_connection (self, error);
              return FALSE;
            }

          cmd->have_status = TRUE;
          if (cmd->kind == REPLY_OK && cmd->multiline)
            cmd->data = g_byte_array_new ();
        }

      if (cmd->data != NULL)
        {
          res = mp_pop3_reader_read_data (self->reader, cmd->data, cmd->max_bytes, &error);
          if (res == MP_POP3_READ_NEED_MORE)
            return TRUE;
          if (res == MP_POP3_READ_ERROR)
            {
              g_prefix_error (&error, "%s: ", cmd->verb);
              fail_connection (self, error);
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
    return;

  if (n < 0)
    {
      g_autoptr(GError) mapped = map_io_error (self, error);

      fail_connection (self, mapped);
      return;
    }

  if (n == 0)
    {
      g_autoptr(GError) closed = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                                              _("%s closed the connection"),
                                              self->host);
      fail_connection (self, closed);
      return;
    }

  mp_pop3_reader_feed (self->reader, self->read_buffer, n);
  if (process_buffered (self))
    pump (self);
}

static void
ensure_reading (MpPop3Client *self)
{
  if (self->reading || self->state == STATE_CLOSED || self->input == NULL)
    return;

  if (!process_buffered (self) || g_queue_is_empty (&self->inflight))
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
      g_autoptr(GError) mapped = map_io_error (self, error);

      fail_connection (self, mapped);
      return;
    }

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
  if (self->state == STATE_CLOSED || self->output == NULL)
    return;

  while (!g_queue_is_empty (&self->pending))
    {
      Command *cmd = g_queue_peek_head (&self->pending);

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

  ensure_writing (self);
  ensure_reading (self);
}

typedef enum
{
  CMD_MULTILINE = 1 << 0,
  CMD_CONTINUE  = 1 << 1,
  CMD_SENSITIVE = 1 << 2,
} CommandFlags;

/* Queues one command line; @line is NULL only for the greeting. @done is
 * called exactly once, with the reply or with the error that ended the
 * session.
 */
static void
queue_command (MpPop3Client *self,
               const char   *line,
               CommandFlags  flags,
               gsize         max_bytes,
               CommandDone   done,
               gpointer      user_data)
{
  Command *cmd = g_new0 (Command, 1);

  if (line != NULL)
    {
      const char *space = strchr (line, ' ');

      cmd->verb = space ? g_ascii_strup (line, space - line) : g_ascii_strup (line, -1);
      cmd->line = g_strconcat (line, "\r\n", NULL);
      cmd->line_len = strlen (cmd->line);
    }
  cmd->multiline = (flags & CMD_MULTILINE) != 0;
  cmd->allow_continue = (flags & CMD_CONTINUE) != 0;
  cmd->sensitive = (flags & CMD_SENSITIVE) != 0;
  cmd->max_bytes = max_bytes;
  cmd->done = done;
  cmd->user_data = user_data;

  if (self->state == STATE_CLOSED)
    {
      g_autoptr(GError) error = NULL;

      if (self->fatal != NULL)
        error = g_error_copy (self->fatal);
      else
        error = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                     _("The session is closed"));
      done (self, NULL, error, user_data);
      command_free (cmd);
      return;
    }

  g_queue_push_tail (&self->pending, cmd);
  pump (self);
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

static void
watch_cancellable (MpPop3Client *self,
                   GTask        *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong id;

  if (cancellable == NULL || self->io_cancellable == NULL)
    return;

  id = g_cancellable_connect (cancellable, G_CALLBACK (cancelled_cb),
                              g_object_ref (self->io_cancellable),
                              g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "mp-cancel-id",
                          GUINT_TO_POINTER (id), NULL);
}

static void
unwatch_cancellable (GTask *task)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "mp-cancel-id"));

  if (cancellable != NULL && id != 0)
    {
      g_object_set_data (G_OBJECT (task), "mp-cancel-id", NULL);
      g_cancellable_disconnect (cancellable, id);
    }
}

static void
task_return_error (GTask        *task,
                   const GError *error)
{
  GCancellable *cancellable = g_task_get_cancellable (task);

  unwatch_cancellable (task);

  /* A cancelled session fails with the io_cancellable's error; report the
   * caller's own cancellation as such.
   */
  if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             _("Operation was cancelled"));
  else
    g_task_return_error (task, g_error_copy (error));
}

/* GObject */

static void
mp_pop3_client_dispose (GObject *object)
{
  MpPop3Client *self = (MpPop3Client *)object;

  close_socket (self);
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
      g_value_set_int (value, self->security);
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
      self->security = g_value_get_int (value);
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
    g_param_spec_int ("security", NULL, NULL,
                      MP_POP3_SECURITY_TLS, MP_POP3_SECURITY_NONE, MP_POP3_SECURITY_TLS,
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
 * mp_pop3_client_set_ca_file:
 * @path: a PEM file of CA certificates to trust besides the system ones
 *
 * Returns: %FALSE if the file cannot be read
 */
gboolean
mp_pop3_client_set_ca_file (MpPop3Client  *self,
                            const char    *path,
                            GError       **error)
{
  g_autoptr(GTlsDatabase) database = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  if (path == NULL)
    {
      g_clear_object (&self->extra_database);
      return TRUE;
    }

  database = g_tls_file_database_new (path, error);
  if (database == NULL)
    return FALSE;

  g_set_object (&self->extra_database, database);
  return TRUE;
}

/**
 * mp_pop3_normalize_fingerprint:
 * @fingerprint: a SHA-256 fingerprint in hex, with or without colons or
 *   spaces, in either case
 *
 * Returns: (transfer full): 64 lowercase hex digits, or %NULL with
 *   %MP_POP3_ERROR_INVALID_ARGUMENT
 */
char *
mp_pop3_normalize_fingerprint (const char  *fingerprint,
                               GError     **error)
{
  GString *out;

  g_return_val_if_fail (fingerprint != NULL, NULL);

  out = g_string_new (NULL);
  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_string_free (out, TRUE);
          goto invalid;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  if (out->len != 64)
    {
      g_string_free (out, TRUE);
      goto invalid;
    }

  return g_string_free (out, FALSE);

invalid:
  g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a SHA-256 fingerprint (64 hexadecimal digits)"),
               fingerprint);
  return NULL;
}

/**
 * mp_pop3_client_set_pinned_fingerprint:
 * @fingerprint: (nullable): the SHA-256 fingerprint of a certificate to
 *   trust even though no CA vouches for it
 *
 * The pinned certificate is accepted only while the server presents exactly
 * that certificate.
 */
gboolean
mp_pop3_client_set_pinned_fingerprint (MpPop3Client  *self,
                                       const char    *fingerprint,
                                       GError       **error)
{
  char *pin = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  if (fingerprint != NULL && *fingerprint != '\0')
    {
      pin = mp_pop3_normalize_fingerprint (fingerprint, error);
      if (pin == NULL)
        return FALSE;
    }

  g_free (self->pin);
  self->pin = pin;
  return TRUE;
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

const char *
mp_pop3_client_get_greeting (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  return self->greeting;
}

/**
 * mp_pop3_client_get_capabilities:
 *
 * Returns: (transfer none): the lines of the last CAPA reply, %NULL-terminated
 */
const char * const *
mp_pop3_client_get_capabilities (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);

  return (const char * const *) self->capabilities;
}

/**
 * mp_pop3_client_get_capa_supported:
 *
 * Returns: %TRUE if the server answered CAPA; when it did not, a missing
 *   capability proves nothing and callers should probe instead.
 */
gboolean
mp_pop3_client_get_capa_supported (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  return self->capa_supported;
}

static const char *
find_capability (MpPop3Client *self,
                 const char   *name)
{
  gsize len = strlen (name);

  for (guint i = 0; self->capabilities[i] != NULL; i++)
    {
      const char *line = self->capabilities[i];

      if (g_ascii_strncasecmp (line, name, len) == 0 &&
          (line[len] == '\0' || line[len] == ' '))
        return line;
    }

  return NULL;
}

gboolean
mp_pop3_client_has_capability (MpPop3Client *self,
                               const char   *name)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return find_capability (self, name) != NULL;
}

gboolean
mp_pop3_client_has_sasl_mechanism (MpPop3Client *self,
                                   const char   *mechanism)
{
  const char *line;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  line = find_capability (self, "SASL");
  if (line == NULL)
    return FALSE;

  words = g_strsplit (line, " ", -1);
  for (guint i = 1; words[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (words[i], mechanism) == 0)
        return TRUE;
    }
  return FALSE;
}

/**
 * mp_pop3_client_get_pipelining:
 *
 * Returns: %TRUE if commands are pipelined in this session
 */
gboolean
mp_pop3_client_get_pipelining (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  return self->pipelining;
}

gboolean
mp_pop3_client_get_encrypted (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  return self->encrypted;
}

MpPop3AuthMethod
mp_pop3_client_get_auth_method_used (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), MP_POP3_AUTH_AUTO);
  return self->auth_used;
}

/**
 * mp_pop3_client_get_peer_certificate:
 *
 * Returns: (transfer none) (nullable): the certificate the server presented,
 *   also after a failed handshake, so that it can be shown and pinned
 */
GTlsCertificate *
mp_pop3_client_get_peer_certificate (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  return self->peer_certificate;
}

GTlsCertificateFlags
mp_pop3_client_get_peer_certificate_errors (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);
  return self->peer_certificate_errors;
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
  fail_connection (self, error);
}

/**
 * mp_pop3_certificate_get_fingerprint:
 *
 * Returns: (transfer full): the SHA-256 fingerprint of the DER encoding, as
 *   upper-case hex pairs joined by colons (as `openssl x509 -fingerprint
 *   -sha256` prints it)
 */
char *
mp_pop3_certificate_get_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  GString *out;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);

  out = g_string_new (NULL);
  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (out, "%s%02X", i ? ":" : "", digest[i]);
  return g_string_free (out, FALSE);
}

/* Connecting */

typedef struct
{
  GSocketClient *socket_client;
  gboolean       starttls_done;
  gboolean       second_capa;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_clear_object (&data->socket_client);
  g_free (data);
}

static void connect_read_greeting (GTask *task);
static void connect_send_capa (GTask *task);
static void set_capabilities (MpPop3Client *self, GStrv lines);

static void
connect_fail (GTask        *task,
              const GError *error)
{
  MpPop3Client *self = g_task_get_source_object (task);

  /* The session is useless after a failed connect; make sure the socket
   * goes now and not when the last reference does.
   */
  if (self->state != STATE_CLOSED)
    {
      self->state = STATE_CLOSED;
      g_clear_error (&self->fatal);
      self->fatal = g_error_copy (error);
      close_socket (self);
    }
  task_return_error (task, error);
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  MpPop3Client *self = user_data;

  g_set_object (&self->peer_certificate, certificate);
  self->peer_certificate_errors = errors;

  if (self->pin != NULL)
    {
      g_autofree char *fingerprint = mp_pop3_certificate_get_fingerprint (certificate);
      g_autofree char *normalized = fingerprint ? mp_pop3_normalize_fingerprint (fingerprint, NULL) : NULL;

      if (normalized != NULL && g_strcmp0 (normalized, self->pin) == 0)
        return TRUE;
      self->pin_mismatch = TRUE;
    }

  if (self->extra_database != NULL)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
      g_autoptr(GError) error = NULL;
      GTlsCertificateFlags flags;

      flags = g_tls_database_verify_chain (self->extra_database,
                                           certificate,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity,
                                           NULL,
                                           G_TLS_DATABASE_VERIFY_NONE,
                                           NULL,
                                           &error);
      if (error == NULL && flags == 0)
        return TRUE;
    }

  return FALSE;
}

static char *
describe_certificate_flags (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags  flag;
    const char           *reason;
  } reasons[] = {
    /* Translators: said of a certificate, listed comma-separated in
     * “The certificate of %s is not trusted (%s)”
     */
    { G_TLS_CERTIFICATE_UNKNOWN_CA, NC_("certificate", "not signed by a trusted authority") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, NC_("certificate", "issued for another host name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, NC_("certificate", "not yet valid") },
    { G_TLS_CERTIFICATE_EXPIRED, NC_("certificate", "expired") },
    { G_TLS_CERTIFICATE_REVOKED, NC_("certificate", "revoked") },
    { G_TLS_CERTIFICATE_INSECURE, NC_("certificate", "insecure") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, NC_("certificate", "invalid") },
  };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      if ((flags & reasons[i].flag) == 0)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, g_dpgettext2 (GETTEXT_PACKAGE, "certificate", reasons[i].reason));
    }

  return g_string_free (out, FALSE);
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MpPop3Client *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      g_autoptr(GError) mapped = NULL;

      if (self->peer_certificate == NULL)
        g_set_object (&self->peer_certificate,
                      g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (object)));

      if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) &&
          self->peer_certificate != NULL)
        {
          g_autofree char *fingerprint = mp_pop3_certificate_get_fingerprint (self->peer_certificate);
          g_autofree char *reasons = describe_certificate_flags (self->peer_certificate_errors);

          if (self->pin_mismatch)
            mapped = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE,
                                  _("The certificate of %s does not match the pinned "
                                    "fingerprint; it has SHA-256 fingerprint %s"),
                                  self->host, fingerprint);
          else
            mapped = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE,
                                  /* Translators: the second %s lists reasons, such as “expired” */
                                  _("The certificate of %s is not trusted (%s); "
                                    "its SHA-256 fingerprint is %s"),
                                  self->host, reasons, fingerprint);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
               g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = map_io_error (self, error);
      else
        mapped = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TLS_FAILED,
                              _("The TLS handshake with %s failed: %s"),
                              self->host, error->message);

      connect_fail (task, mapped);
      return;
    }

  self->encrypted = TRUE;
  self->input = g_io_stream_get_input_stream (self->stream);
  self->output = g_io_stream_get_output_stream (self->stream);

  if (self->security == MP_POP3_SECURITY_TLS)
    connect_read_greeting (g_steal_pointer (&task));
  else
    {
      data->starttls_done = TRUE;
      /* RFC 2595 §4: forget the capabilities learnt in the clear. */
      set_capabilities (self, NULL);
      self->capa_supported = FALSE;
      connect_send_capa (g_steal_pointer (&task));
    }
}

static void
connect_start_tls (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnectable) identity = g_network_address_new (self->host, self->port);
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  tls = g_tls_client_connection_new (G_IO_STREAM (self->socket_connection), identity, &error);
  if (tls == NULL)
    {
      g_autoptr(GError) mapped = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TLS_FAILED,
                                              _("TLS is not available: %s"), error->message);
      connect_fail (task, mapped);
      g_object_unref (task);
      return;
    }

  g_clear_object (&self->stream);
  self->stream = tls;
  self->input = NULL;
  self->output = NULL;

  g_signal_connect_object (tls, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls),
                                    G_PRIORITY_DEFAULT,
                                    self->io_cancellable,
                                    handshake_cb,
                                    task);
}

static void
connect_done (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  self->state = STATE_AUTHORIZATION;
  unwatch_cancellable (task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
stls_done (MpPop3Client *self,
           Reply        *reply,
           const GError *error,
           gpointer      user_data)
{
  GTask *task = user_data;

  if (error != NULL)
    {
      connect_fail (task, error);
      g_object_unref (task);
      return;
    }

  if (reply->kind != REPLY_OK)
    {
      g_autofree char *clean = sanitize_server_text (reply->text);
      g_autoptr(GError) refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE,
                                               _("%s refused STLS (%s); the password "
                                                 "was not sent"),
                                               self->host, clean);
      connect_fail (task, refused);
      g_object_unref (task);
      return;
    }

  mp_pop3_reader_clear (self->reader);
  connect_start_tls (task);
}

/* @lines: (transfer full) (nullable): the CAPA lines, or %NULL for none */
static void
set_capabilities (MpPop3Client *self,
                  GStrv         lines)
{
  g_strfreev (self->capabilities);
  self->capabilities = lines ? lines : g_new0 (char *, 1);
}

static void
parse_capabilities (MpPop3Client *self,
                    GBytes       *data)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);
  g_autofree char *copy = g_strndup (text ? text : "", len);
  g_auto(GStrv) lines = g_strsplit (copy, "\r\n", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] != '\0')
        {
          g_autofree char *valid = g_utf8_make_valid (lines[i], -1);

          g_strv_builder_add (builder, valid);
        }
    }
  set_capabilities (self, g_strv_builder_end (builder));
}

static void
capa_done (MpPop3Client *self,
           Reply        *reply,
           const GError *error,
           gpointer      user_data)
{
  GTask *task = user_data;
  ConnectData *data = g_task_get_task_data (task);

  if (error != NULL)
    {
      connect_fail (task, error);
      g_object_unref (task);
      return;
    }

  if (reply->kind == REPLY_OK)
    {
      self->capa_supported = TRUE;
      parse_capabilities (self, reply->data);
    }
  else
    {
      self->capa_supported = FALSE;
      set_capabilities (self, NULL);
    }

  if (self->security == MP_POP3_SECURITY_STARTTLS && !data->starttls_done)
    {
      /* Without CAPA nothing says STLS is missing: try it. With CAPA, its
       * absence is final; in both cases there is no cleartext fallback.
       */
      if (self->capa_supported && !mp_pop3_client_has_capability (self, "STLS"))
        {
          g_autoptr(GError) missing = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE,
                                                   _("%s does not offer STLS, so the "
                                                     "connection cannot be encrypted; "
                                                     "the password was not sent"),
                                                   self->host);
          connect_fail (task, missing);
          g_object_unref (task);
          return;
        }

      queue_command (self, "STLS", 0, 0, stls_done, task);
      return;
    }

  connect_done (task);
}

static void
connect_send_capa (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  queue_command (self, "CAPA", CMD_MULTILINE, MP_POP3_MAX_CAPA_REPLY, capa_done, task);
}

/* RFC 1939 §7: the APOP timestamp is a msg-id, "<" local "@" domain ">",
 * printable ASCII only. A server that sends anything else gets no APOP.
 */
static char *
extract_apop_timestamp (const char *greeting)
{
  const char *start = strchr (greeting, '<');
  const char *end;
  gboolean at = FALSE;

  if (start == NULL)
    return NULL;

  end = strchr (start, '>');
  if (end == NULL || end - start < 4 || end - start > 512)
    return NULL;

  for (const char *p = start + 1; p < end; p++)
    {
      if (*p < 0x21 || *p > 0x7e || *p == '<')
        return NULL;
      if (*p == '@')
        at = TRUE;
    }

  if (!at)
    return NULL;

  return g_strndup (start, end - start + 1);
}

static void
greeting_done (MpPop3Client *self,
               Reply        *reply,
               const GError *error,
               gpointer      user_data)
{
  GTask *task = user_data;

  if (error != NULL)
    {
      connect_fail (task, error);
      g_object_unref (task);
      return;
    }

  if (reply->kind != REPLY_OK)
    {
      g_autoptr(GError) refused = error_from_reply (self, reply->text,
                                                    MP_POP3_ERROR_FAILED,
                                                    _("The server refused the connection"));
      connect_fail (task, refused);
      g_object_unref (task);
      return;
    }

  g_free (self->greeting);
  self->greeting = sanitize_server_text (reply->text);
  g_free (self->apop_timestamp);
  self->apop_timestamp = extract_apop_timestamp (reply->text);

  connect_send_capa (task);
}

static void
connect_read_greeting (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  queue_command (self, NULL, 0, 0, greeting_done, task);
}

static void
socket_connected_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MpPop3Client *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;
  GSocket *socket;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  if (connection == NULL)
    {
      g_autoptr(GError) mapped = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = map_io_error (self, error);
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mapped = g_error_copy (error);
      else
        {
          /* Translators: a connection error from the system, and the port */
          mapped = g_error_new (error->domain, error->code, _("%s (port %u)"),
                                error->message, self->port);
        }
      connect_fail (task, mapped);
      return;
    }

  self->socket_connection = connection;
  socket = g_socket_connection_get_socket (connection);
  g_socket_set_timeout (socket, self->timeout);
  /* Pipelined commands go out in bursts; Nagle would hold them back for
   * a round trip.
   */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  self->stream = g_object_ref (G_IO_STREAM (connection));

  if (self->security == MP_POP3_SECURITY_TLS)
    {
      connect_start_tls (g_steal_pointer (&task));
      return;
    }

  self->input = g_io_stream_get_input_stream (self->stream);
  self->output = g_io_stream_get_output_stream (self->stream);
  connect_read_greeting (g_steal_pointer (&task));
}

/**
 * mp_pop3_client_connect_async:
 *
 * Connects, sets up TLS as the security mode asks (implicit, or STLS with
 * no fallback), reads the greeting and the capabilities. A certificate that
 * neither the system, the CA file nor the pinned fingerprint vouches for
 * fails with %MP_POP3_ERROR_CERTIFICATE.
 */
void
mp_pop3_client_connect_async (MpPop3Client        *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  ConnectData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_connect_async);

  if (self->state != STATE_DISCONNECTED)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("A session can connect only once"));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  data = g_new0 (ConnectData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  self->state = STATE_CONNECTING;
  self->io_cancellable = g_cancellable_new ();
  watch_cancellable (self, task);

  data->socket_client = g_socket_client_new ();
  g_socket_client_set_timeout (data->socket_client, self->timeout);
  address = g_network_address_new (self->host, self->port);
  g_socket_client_connect_async (data->socket_client,
                                 address,
                                 self->io_cancellable,
                                 socket_connected_cb,
                                 g_steal_pointer (&task));
}

gboolean
mp_pop3_client_connect_finish (MpPop3Client  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Logging in */

typedef struct
{
  char             *user;
  char             *password;
  MpPop3AuthMethod  method;
  guint             step;
} LoginData;

static void
login_data_free (LoginData *data)
{
  secure_free (data->user);
  secure_free (data->password);
  g_free (data);
}

static void login_step (MpPop3Client *self, Reply *reply, const GError *error, gpointer user_data);

static void
login_fail (GTask        *task,
            const GError *error)
{
  task_return_error (task, error);
  g_object_unref (task);
}

static void
login_capa_done (MpPop3Client *self,
                 Reply        *reply,
                 const GError *error,
                 gpointer      user_data)
{
  GTask *task = user_data;

  if (error != NULL)
    {
      login_fail (task, error);
      return;
    }

  /* RFC 2449 §4: capabilities may differ after login; keep the old ones if
   * the server will not say.
   */
  if (reply->kind == REPLY_OK)
    {
      self->capa_supported = TRUE;
      parse_capabilities (self, reply->data);
    }

  self->pipelining = self->pipelining_allowed &&
                     mp_pop3_client_has_capability (self, "PIPELINING");

  unwatch_cancellable (task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text);

  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || c == '='))
        return FALSE;
      if (c == '=' && i < len - 2)
        return FALSE;
    }
  return TRUE;
}

static void
send_login_line (MpPop3Client *self,
                 GTask        *task,
                 const char   *line,
                 gboolean      sensitive)
{
  queue_command (self, line,
                 CMD_CONTINUE | (sensitive ? CMD_SENSITIVE : 0),
                 0, login_step, task);
}

/* An odd challenge: cancel the exchange (RFC 5034 §4) and report it.
 * @why is marked with N_() by the callers and translated here.
 */
static void
sasl_abort (MpPop3Client *self,
            GTask        *task,
            const char   *why)
{
  LoginData *data = g_task_get_task_data (task);

  g_object_set_data_full (G_OBJECT (task), "mp-sasl-abort", g_strdup (_(why)), g_free);
  data->step = G_MAXUINT;
  send_login_line (self, task, "*", FALSE);
}

static char *
cram_md5_response (const char   *user,
                   const char   *password,
                   const guchar *challenge,
                   gsize         challenge_len)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_MD5,
                                      (const guchar *) password, strlen (password));
  g_autofree char *plain = NULL;
  char *encoded;

  g_hmac_update (hmac, challenge, challenge_len);
  plain = g_strdup_printf ("%s %s", user, g_hmac_get_string (hmac));
  encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  explicit_bzero (plain, strlen (plain));
  return encoded;
}

static void
login_step (MpPop3Client *self,
            Reply        *reply,
            const GError *error,
            gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);
  const char *aborted = g_object_get_data (G_OBJECT (task), "mp-sasl-abort");
  g_autofree char *line = NULL;
  guint step = data->step++;

  if (error != NULL)
    {
      login_fail (task, error);
      return;
    }

  if (aborted != NULL)
    {
      g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                           /* Translators: the second %s says what was wrong */
                                           _("%s sent an invalid authentication "
                                             "challenge (%s)"), self->host, aborted);
      login_fail (task, odd);
      return;
    }

  if (reply->kind == REPLY_ERR)
    {
      g_autoptr(GError) refused = NULL;

      refused = error_from_reply (self, reply->text, MP_POP3_ERROR_AUTH, "");
      /* Without a response code, a refused login most likely means wrong
       * credentials (RFC 3206 §1); say so in words a user understands.
       */
      if (refused->code == MP_POP3_ERROR_AUTH)
        {
          g_autofree char *clean = sanitize_server_text (reply->text);

          g_clear_error (&refused);
          if (*clean != '\0')
            refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_AUTH,
                                   _("%s rejected the user name or password (%s)"),
                                   self->host, clean);
          else
            refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_AUTH,
                                   _("%s rejected the user name or password"),
                                   self->host);
        }
      login_fail (task, refused);
      return;
    }

  if (reply->kind == REPLY_OK && step > 0 &&
      !(data->method == MP_POP3_AUTH_USER && step == 1))
    {
      self->state = STATE_TRANSACTION;
      self->auth_used = data->method;
      queue_command (self, "CAPA", CMD_MULTILINE, MP_POP3_MAX_CAPA_REPLY,
                     login_capa_done, task);
      return;
    }

  switch (data->method)
    {
    case MP_POP3_AUTH_USER:
      if (step == 1 && reply->kind == REPLY_OK)
        {
          line = g_strdup_printf ("PASS %s", data->password);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      break;

    case MP_POP3_AUTH_PLAIN:
      if (reply->kind == REPLY_CONTINUE && step == 1 &&
          !g_object_get_data (G_OBJECT (task), "mp-sasl-ir"))
        {
          /* RFC 4616: message = [authzid] NUL authcid NUL passwd */
          gsize ulen = strlen (data->user), plen = strlen (data->password);
          g_autofree guchar *raw = NULL;

          /* The challenge should be empty; one that is not even base64
           * is as odd here as for the other mechanisms.
           */
          if (!is_base64 (reply->text))
            {
              sasl_abort (self, task, N_("challenge is not base64"));
              return;
            }

          raw = g_malloc (ulen + plen + 2);
          raw[0] = '\0';
          memcpy (raw + 1, data->user, ulen);
          raw[1 + ulen] = '\0';
          memcpy (raw + 2 + ulen, data->password, plen);
          line = g_base64_encode (raw, ulen + plen + 2);
          explicit_bzero (raw, ulen + plen + 2);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, N_("unexpected challenge for PLAIN"));
      return;

    case MP_POP3_AUTH_LOGIN:
      if (reply->kind == REPLY_CONTINUE && (step == 1 || step == 2))
        {
          const char *secret = step == 1 ? data->user : data->password;

          if (!is_base64 (reply->text))
            {
              sasl_abort (self, task, N_("challenge is not base64"));
              return;
            }
          line = g_base64_encode ((const guchar *) secret, strlen (secret));
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, N_("too many challenges for LOGIN"));
      return;

    case MP_POP3_AUTH_CRAM_MD5:
      if (reply->kind == REPLY_CONTINUE && step == 1)
        {
          g_autofree guchar *challenge = NULL;
          gsize challenge_len = 0;

          if (!is_base64 (reply->text) || reply->text[0] == '\0')
            {
              sasl_abort (self, task, N_("challenge is not base64"));
              return;
            }
          challenge = g_base64_decode (reply->text, &challenge_len);
          if (challenge_len == 0)
            {
              sasl_abort (self, task, N_("empty challenge for CRAM-MD5"));
              return;
            }
          line = cram_md5_response (data->user, data->password, challenge, challenge_len);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, N_("too many challenges for CRAM-MD5"));
      return;

    case MP_POP3_AUTH_APOP:
    case MP_POP3_AUTH_AUTO:
    default:
      break;
    }

  {
    g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                         _("%s answered the login in an unexpected way"),
                                         self->host);
    if (reply->kind == REPLY_CONTINUE)
      sasl_abort (self, task, N_("unexpected challenge"));
    else
      login_fail (task, odd);
  }
}

static MpPop3AuthMethod
choose_auth_method (MpPop3Client *self)
{
  gboolean user_ok = !self->capa_supported || mp_pop3_client_has_capability (self, "USER");

  if (self->encrypted)
    {
      /* Inside TLS the password is safe on the wire; PLAIN and USER need no
       * plaintext-equivalent stored on the server, unlike CRAM-MD5 and APOP.
       */
      if (mp_pop3_client_has_sasl_mechanism (self, "PLAIN"))
        return MP_POP3_AUTH_PLAIN;
      if (user_ok)
        return MP_POP3_AUTH_USER;
      if (mp_pop3_client_has_sasl_mechanism (self, "LOGIN"))
        return MP_POP3_AUTH_LOGIN;
      if (mp_pop3_client_has_sasl_mechanism (self, "CRAM-MD5"))
        return MP_POP3_AUTH_CRAM_MD5;
      if (self->apop_timestamp != NULL)
        return MP_POP3_AUTH_APOP;
      return MP_POP3_AUTH_USER;
    }

  /* The user chose an unencrypted account: still keep the password off
   * the wire whenever the server allows it.
   */
  if (mp_pop3_client_has_sasl_mechanism (self, "CRAM-MD5"))
    return MP_POP3_AUTH_CRAM_MD5;
  if (self->apop_timestamp != NULL)
    return MP_POP3_AUTH_APOP;
  if (mp_pop3_client_has_sasl_mechanism (self, "PLAIN"))
    return MP_POP3_AUTH_PLAIN;
  if (user_ok)
    return MP_POP3_AUTH_USER;
  if (mp_pop3_client_has_sasl_mechanism (self, "LOGIN"))
    return MP_POP3_AUTH_LOGIN;
  return MP_POP3_AUTH_USER;
}

static const char *
sasl_name (MpPop3AuthMethod method)
{
  switch (method)
    {
    case MP_POP3_AUTH_PLAIN:
      return "PLAIN";
    case MP_POP3_AUTH_LOGIN:
      return "LOGIN";
    case MP_POP3_AUTH_CRAM_MD5:
      return "CRAM-MD5";
    case MP_POP3_AUTH_AUTO:
    case MP_POP3_AUTH_USER:
    case MP_POP3_AUTH_APOP:
    default:
      return NULL;
    }
}

/**
 * mp_pop3_client_login_async:
 * @method: %MP_POP3_AUTH_AUTO picks, inside TLS: SASL PLAIN, USER/PASS,
 *   LOGIN, CRAM-MD5, APOP; on a cleartext session the user chose:
 *   CRAM-MD5, APOP, then the others
 *
 * Authenticates and asks for the capabilities again. User names and
 * passwords holding CR or LF are refused before anything is sent. Failures
 * carry %MP_POP3_ERROR_AUTH, %MP_POP3_ERROR_IN_USE,
 * %MP_POP3_ERROR_LOGIN_DELAY, %MP_POP3_ERROR_SYS_TEMP, …
 */
void
mp_pop3_client_login_async (MpPop3Client        *self,
                            const char          *user,
                            const char          *password,
                            MpPop3AuthMethod     method,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *line = NULL;
  LoginData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_login_async);

  if (self->state != STATE_AUTHORIZATION)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("Not connected, or already logged in"));
      return;
    }

  if (*user == '\0' || has_line_break (user) || has_line_break (password))
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT,
                               _("The user name must not be empty, and neither it "
                                 "nor the password may contain line breaks"));
      return;
    }

  if (method == MP_POP3_AUTH_AUTO)
    method = choose_auth_method (self);

  if (method == MP_POP3_AUTH_APOP && self->apop_timestamp == NULL)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                               _("%s sent no valid APOP timestamp in its greeting, "
                                 "so APOP cannot be used"), self->host);
      return;
    }

  if (sasl_name (method) != NULL && self->capa_supported &&
      !mp_pop3_client_has_sasl_mechanism (self, sasl_name (method)))
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_AUTH_UNSUPPORTED,
                               /* Translators: the second %s is a mechanism such as PLAIN */
                               _("%s does not offer SASL %s"), self->host, sasl_name (method));
      return;
    }

  data = g_new0 (LoginData, 1);
  data->user = g_strdup (user);
  data->password = g_strdup (password);
  data->method = method;
  data->step = 0;
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);
  watch_cancellable (self, task);

  switch (method)
    {
    case MP_POP3_AUTH_USER:
      line = g_strdup_printf ("USER %s", user);
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), line, FALSE);
      return;

    case MP_POP3_AUTH_APOP:
      {
        g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

        g_checksum_update (md5, (const guchar *) self->apop_timestamp, -1);
        g_checksum_update (md5, (const guchar *) password, -1);
        line = g_strdup_printf ("APOP %s %s", user, g_checksum_get_string (md5));
        data->step = 1;
        send_login_line (self, g_steal_pointer (&task), line, TRUE);
        return;
      }

    case MP_POP3_AUTH_PLAIN:
      {
        gsize ulen = strlen (user), plen = strlen (password);
        g_autofree guchar *raw = g_malloc (ulen + plen + 2);
        g_autofree char *ir = NULL;

        raw[0] = '\0';
        memcpy (raw + 1, user, ulen);
        raw[1 + ulen] = '\0';
        memcpy (raw + 2 + ulen, password, plen);
        ir = g_base64_encode (raw, ulen + plen + 2);
        explicit_bzero (raw, ulen + plen + 2);

        data->step = 1;
        if (strlen ("AUTH PLAIN ") + strlen (ir) + 2 <= SASL_MAX_LINE)
          {
            g_object_set_data (G_OBJECT (task), "mp-sasl-ir", GINT_TO_POINTER (1));
            line = g_strdup_printf ("AUTH PLAIN %s", ir);
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, g_steal_pointer (&task), line, TRUE);
            explicit_bzero (line, strlen (line));
          }
        else
          {
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, g_steal_pointer (&task), "AUTH PLAIN", FALSE);
          }
        return;
      }

    case MP_POP3_AUTH_LOGIN:
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), "AUTH LOGIN", FALSE);
      return;

    case MP_POP3_AUTH_CRAM_MD5:
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), "AUTH CRAM-MD5", FALSE);
      return;

    case MP_POP3_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }
}

gboolean
mp_pop3_client_login_finish (MpPop3Client  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Connect and log in, the start of every session. */

static void
open_login_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mp_pop3_client_login_finish (MP_POP3_CLIENT (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
open_connect_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!mp_pop3_client_connect_finish (MP_POP3_CLIENT (object), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  mp_pop3_client_login_async (MP_POP3_CLIENT (object), data->user, data->password,
                              data->method, g_task_get_cancellable (task),
                              open_login_cb, g_object_ref (task));
}

/**
 * mp_pop3_client_open_async:
 *
 * mp_pop3_client_connect_async() then mp_pop3_client_login_async(): the
 * session is in the TRANSACTION state when this succeeds.
 */
void
mp_pop3_client_open_async (MpPop3Client        *self,
                           const char          *user,
                           const char          *password,
                           MpPop3AuthMethod     method,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoginData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_open_async);

  /* The same credentials a login keeps, until the login takes them. */
  data = g_new0 (LoginData, 1);
  data->user = g_strdup (user);
  data->password = g_strdup (password);
  data->method = method;
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);

  mp_pop3_client_connect_async (self, cancellable, open_connect_cb, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_open_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Transaction commands */

static void
simple_done (MpPop3Client *self,
             Reply        *reply,
             const GError *error,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  if (error != NULL)
    {
      task_return_error (task, error);
      return;
    }

  unwatch_cancellable (task);

  if (reply->kind != REPLY_OK)
    {
      const char *verb = g_task_get_task_data (task);
      /* Translators: the second %s is a POP3 command such as STAT */
      g_autofree char *what = g_strdup_printf (_("%s refused %s"), self->host, verb);

      g_task_return_error (task, error_from_reply (self, reply->text,
                                                   MP_POP3_ERROR_FAILED, what));
      return;
    }

  g_task_return_pointer (task, g_memdup2 (reply, sizeof *reply), (GDestroyNotify) reply_free);
  /* The copy owns the strings now. */
  reply->text = NULL;
  reply->data = NULL;
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
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *space = strchr (line, ' ');

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, space ? g_strndup (line, space - line) : g_strdup (line), g_free);

  if (self->state != STATE_TRANSACTION)
    {
      if (self->state == STATE_CLOSED && self->fatal != NULL)
        g_task_return_error (task, g_error_copy (self->fatal));
      else
        g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                 _("Not logged in to %s"), self->host);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  watch_cancellable (self, task);
  queue_command (self, line, multiline ? CMD_MULTILINE : 0, max_bytes,
                 simple_done, g_steal_pointer (&task));
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

/* Splits a multi-line reply into its lines, without the CRLFs. */
static GStrv
reply_lines (Reply *reply)
{
  gsize len = 0;
  const char *text = reply->data ? g_bytes_get_data (reply->data, &len) : NULL;
  g_autofree char *copy = NULL;

  /* An empty maildrop's LIST or UIDL has no data lines at all. */
  if (len < 2)
    return g_new0 (char *, 1);

  copy = g_strndup (text, len - 2);
  return g_strsplit (copy, "\r\n", -1);
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
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) entries = NULL;

  if (reply == NULL)
    return NULL;

  lines = reply_lines (reply);
  entries = g_array_sized_new (FALSE, FALSE, sizeof (MpPop3ListEntry), g_strv_length (lines));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      MpPop3ListEntry entry;
      const char *end;
      guint64 n, s;

      if (!parse_uint (lines[i], &end, &n) || !parse_uint (end, NULL, &s) ||
          n == 0 || n > G_MAXUINT)
        {
          g_autofree char *clean = sanitize_server_text (lines[i]);

          g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                       _("%s sent a malformed LIST line: “%s”"), self->host, clean);
          return NULL;
        }

      entry.number = n;
      entry.size = s;
      g_array_append_val (entries, entry);
    }

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
  GString *out = g_string_new (NULL);

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
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  if (reply == NULL)
    {
      if (g_error_matches (local_error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED))
        local_error->code = MP_POP3_ERROR_NOT_SUPPORTED;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  lines = reply_lines (reply);
  entries = g_ptr_array_new_full (g_strv_length (lines), (GDestroyNotify) mp_pop3_uidl_entry_free);
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
      {
        g_autofree char *uid = g_strdup (end);

        g_strchomp (uid);
        entry->uid = escape_uid (uid);
      }
      g_ptr_array_add (entries, entry);
      continue;

    malformed:
      {
        g_autofree char *clean = sanitize_server_text (lines[i]);

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
  g_autoptr(GError) closed = NULL;

  if (error != NULL)
    {
      g_autoptr(GError) wrapped = g_error_copy (error);

      g_prefix_error (&wrapped, "%s: ",
                      _("The session ended before QUIT was confirmed, "
                        "so nothing was deleted"));
      task_return_error (task, wrapped);
      return;
    }

  closed = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                _("The session has ended"));
  fail_connection (self, closed);
  unwatch_cancellable (task);

  if (reply->kind != REPLY_OK)
    {
      g_autofree char *clean = sanitize_server_text (reply->text);

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

  g_return_if_fail (MP_IS_POP3_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_quit_async);

  if (self->state != STATE_TRANSACTION && self->state != STATE_AUTHORIZATION)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("Not connected to %s"), self->host);
      return;
    }

  watch_cancellable (self, task);
  queue_command (self, "QUIT", 0, 0, quit_done, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_quit_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Jobs: many commands queued at once, pipelined when the server allows. */

void
mp_pop3_result_free (MpPop3Result *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->data, g_bytes_unref);
  g_clear_error (&result->error);
  g_free (result);
}

typedef struct
{
  GTask     *task;
  GPtrArray *results;
  guint      remaining;
  GError    *error;
  char      *verb;
} Job;

typedef struct
{
  Job          *job;
  MpPop3Result *result;
} JobItem;

static void
job_free (Job *job)
{
  g_clear_pointer (&job->results, g_ptr_array_unref);
  g_clear_error (&job->error);
  g_free (job->verb);
  g_free (job);
}

static void
job_item_done (MpPop3Client *self,
               Reply        *reply,
               const GError *error,
               gpointer      user_data)
{
  JobItem *item = user_data;
  Job *job = item->job;

  if (error != NULL)
    {
      if (job->error == NULL)
        job->error = g_error_copy (error);
    }
  else if (reply->kind != REPLY_OK)
    {
      /* Translators: host, POP3 command (such as DELE), message number */
      g_autofree char *what = g_strdup_printf (_("%s refused %s %u"), self->host,
                                               job->verb, item->result->number);

      item->result->error = error_from_reply (self, reply->text, MP_POP3_ERROR_FAILED, what);
    }
  else
    item->result->data = g_steal_pointer (&reply->data);

  g_free (item);

  if (--job->remaining == 0)
    {
      GTask *task = job->task;

      if (job->error != NULL)
        task_return_error (task, job->error);
      else
        {
          unwatch_cancellable (task);
          g_task_return_pointer (task, g_steal_pointer (&job->results),
                                 (GDestroyNotify) g_ptr_array_unref);
        }
      g_object_unref (task);
    }
}

static void
run_job (MpPop3Client        *self,
         gpointer             source_tag,
         const char          *verb,
         const guint         *numbers,
         guint                n_numbers,
         guint                lines,
         gboolean             multiline,
         gsize                max_bytes,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (numbers != NULL || n_numbers == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (self->state != STATE_TRANSACTION)
    {
      if (self->state == STATE_CLOSED && self->fatal != NULL)
        g_task_return_error (task, g_error_copy (self->fatal));
      else
        g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                                 _("Not logged in to %s"), self->host);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  job = g_new0 (Job, 1);
  job->task = task;
  job->results = g_ptr_array_new_full (n_numbers, (GDestroyNotify) mp_pop3_result_free);
  job->verb = g_strdup (verb);
  job->remaining = n_numbers;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);

  if (n_numbers == 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&job->results),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  watch_cancellable (self, task);
  g_steal_pointer (&task);

  for (guint i = 0; i < n_numbers; i++)
    {
      JobItem *item = g_new0 (JobItem, 1);
      g_autofree char *line = NULL;

      item->job = job;
      item->result = g_new0 (MpPop3Result, 1);
      item->result->number = numbers[i];
      g_ptr_array_add (job->results, item->result);

      if (multiline)
        line = g_strdup_printf ("%s %u %u", verb, numbers[i], lines);
      else
        line = g_strdup_printf ("%s %u", verb, numbers[i]);

      queue_command (self, line, multiline ? CMD_MULTILINE : 0, max_bytes,
                     job_item_done, item);
    }
}

/**
 * mp_pop3_client_top_many_async:
 * @numbers: (array length=n_numbers): message numbers
 * @lines: body lines wanted after each header
 * @max_bytes: the cap for each reply
 *
 * Sends TOP for every number, pipelined when the server allows it.
 */
void
mp_pop3_client_top_many_async (MpPop3Client        *self,
                               const guint         *numbers,
                               guint                n_numbers,
                               guint                lines,
                               gsize                max_bytes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  run_job (self, mp_pop3_client_top_many_async, "TOP", numbers, n_numbers, lines,
           TRUE, max_bytes, cancellable, callback, user_data);
}

/**
 * mp_pop3_client_top_many_finish:
 *
 * Returns: (transfer full) (element-type MpPop3Result): one result per
 *   number, in order; %NULL if the session failed
 */
GPtrArray *
mp_pop3_client_top_many_finish (MpPop3Client  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_pop3_client_dele_many_async:
 *
 * Sends DELE for every number, pipelined when the server allows it. The
 * messages are deleted only once mp_pop3_client_quit_async() succeeds.
 */
void
mp_pop3_client_dele_many_async (MpPop3Client        *self,
                                const guint         *numbers,
                                guint                n_numbers,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  run_job (self, mp_pop3_client_dele_many_async, "DELE", numbers, n_numbers, 0,
           FALSE, 0, cancellable, callback, user_data);
}

/**
 * mp_pop3_client_dele_many_finish:
 *
 * Returns: (transfer full) (element-type MpPop3Result): one result per
 *   number; an entry with an error was not marked
 */
GPtrArray *
mp_pop3_client_dele_many_finish (MpPop3Client  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
