/* mp-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A POP3 server for the engine's unit tests, in the same process.
 *
 * Every accepted connection runs in its own thread with blocking I/O, so a
 * scripted step may sleep or hang without stalling the client under test,
 * which runs in the test's main context. Reads wait with their own timeout
 * and every blocking call takes the server's cancellable, so
 * mp_test_server_stop() always returns.
 *
 * The script mode sends exact bytes and checks what the client sends, for
 * faults that need byte-level control. The mailbox mode is a working
 * RFC 1939 server over an in-memory maildrop with switches for the quirks
 * of real servers (DESIGN.md §6).
 */

#define G_LOG_DOMAIN "mp-test-server"

#include <errno.h>
#include <string.h>

#include "mp-test-server.h"

#define DEFAULT_IO_TIMEOUT_MSEC 10000
/* Blocking writes and the TLS handshake honour the socket timeout; it only
 * matters when a client stops reading and the test forgets to stop us. */
#define SOCKET_TIMEOUT_SEC      30
#define MAX_CLIENT_LINE         (64 * 1024)
#define LINGER_MSEC             500
#define HUGE_CHUNK              (64 * 1024)

typedef enum
{
  STEP_SEND,
  STEP_EXPECT,
  STEP_EXPECT_PREFIX,
  STEP_EXPECT_GLOB,
  STEP_EXPECT_LINES,
  STEP_EXPECT_CLOSED,
  STEP_SLEEP,
  STEP_CLOSE,
  STEP_HANG,
  STEP_START_TLS,
  STEP_SEND_HUGE,
} StepKind;

typedef struct
{
  StepKind      kind;
  GBytes       *data;
  char         *text;
  GPatternSpec *pattern;
  guint64       n;
  guint         line_length;
} Step;

struct _MpTestScript
{
  GPtrArray *steps;
};

typedef struct
{
  char   *uid;
  GBytes *content;
  gint    expunged;
} Message;

struct _MpTestServer
{
  GObject       parent_instance;

  /* Configuration: written before mp_test_server_start(), read-only
   * afterwards, so the connection threads read it without a lock. */
  GPtrArray        *scripts;
  gboolean          mailbox_mode;
  char             *user;
  char             *password;
  GTlsCertificate  *certificate;
  gboolean          implicit_tls;
  guint             io_timeout_msec;
  MpTestQuirks      quirks;
  char            **capabilities[3];
  char             *sasl_mechanisms;
  char             *greeting;
  char             *apop_timestamp;
  char             *sasl_challenge;
  char             *stls_reply;
  guint             reply_delay_msec;
  guint             drop_after;
  guint             max_errors;
  char            **refused_logins;
  guint             top_refused;

  GSocket          *listen_socket;
  guint16           port;
  GCancellable     *cancellable;
  GThread          *accept_thread;
  gboolean          started;

  /* Everything below is shared with the connection threads. */
  GMutex            mutex;
  GCond             cond;
  gboolean          stopping;
  GPtrArray        *messages;
  GPtrArray        *threads;
  guint             n_connections;
  guint             n_active;
  GPtrArray        *log;
  GHashTable       *verb_counts;
  GPtrArray        *failures;
  guint             max_depth;
  guint             n_handshakes_ok;
  guint             n_handshakes_failed;
  char             *login_error;
};

G_DEFINE_FINAL_TYPE (MpTestServer, mp_test_server, G_TYPE_OBJECT)

typedef struct
{
  MpTestServer      *server;
  guint              id;
  GSocket           *socket;
  GSocketConnection *connection;
  GIOStream         *stream;
  GByteArray        *inbuf;
  /* When each complete line in inbuf arrived, oldest first, so that a
   * reply delay can emulate latency (counted from arrival) rather than
   * slow processing (counted from when we get round to it). */
  GArray            *line_times;
  gint64             line_time;
  gboolean           tls;
  gboolean           eof;

  /* Mailbox session state. */
  gboolean           logged_in;
  char              *user;
  GPtrArray         *maildrop;
  GArray            *deleted;
  guint              last;
  guint              n_commands;
  guint              n_errors;
  gboolean           close_after_reply;
  gboolean           utf8;
} Conn;

/* g_set_str() is GLib 2.76; we target 2.74. */
static void
set_str (char       **ptr,
         const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*ptr);
  *ptr = copy;
}

/* ---- messages ---------------------------------------------------------- */

static void
message_clear (gpointer data)
{
  Message *message = data;

  g_free (message->uid);
  g_bytes_unref (message->content);
}

static void
message_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, message_clear);
}

static Message *
message_ref (Message *message)
{
  return g_atomic_rc_box_acquire (message);
}

static gboolean
message_is_expunged (Message *message)
{
  return g_atomic_int_get (&message->expunged) != 0;
}

/* ---- scripts ----------------------------------------------------------- */

static void
step_free (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->data, g_bytes_unref);
  g_clear_pointer (&step->pattern, g_pattern_spec_free);
  g_free (step->text);
  g_free (step);
}

static void
script_clear (gpointer data)
{
  MpTestScript *script = data;

  g_ptr_array_unref (script->steps);
}

/**
 * mp_test_script_new:
 *
 * Returns: (transfer full): an empty script
 */
MpTestScript *
mp_test_script_new (void)
{
  MpTestScript *script = g_atomic_rc_box_new0 (MpTestScript);

  script->steps = g_ptr_array_new_with_free_func (step_free);

  return script;
}

MpTestScript *
mp_test_script_ref (MpTestScript *script)
{
  return g_atomic_rc_box_acquire (script);
}

void
mp_test_script_unref (MpTestScript *script)
{
  g_atomic_rc_box_release_full (script, script_clear);
}

static Step *
script_add (MpTestScript *script,
            StepKind      kind)
{
  Step *step = g_new0 (Step, 1);

  step->kind = kind;
  g_ptr_array_add (script->steps, step);

  return step;
}

/**
 * mp_test_script_send_len:
 *
 * Sends exactly @len bytes: no line end is added, nothing is stuffed, so a
 * test can send bare LF, unstuffed dots or bytes that are not text.
 */
void
mp_test_script_send_len (MpTestScript *script,
                         const void   *data,
                         gsize         len)
{
  script_add (script, STEP_SEND)->data = g_bytes_new (data, len);
}

void
mp_test_script_send (MpTestScript *script,
                     const char   *data)
{
  mp_test_script_send_len (script, data, strlen (data));
}

void
mp_test_script_sendf (MpTestScript *script,
                      const char   *format,
                      ...)
{
  g_autofree char *data = NULL;
  va_list args;

  va_start (args, format);
  data = g_strdup_vprintf (format, args);
  va_end (args);

  mp_test_script_send (script, data);
}

/**
 * mp_test_script_expect:
 * @line: the line the client must send next, without its line end
 */
void
mp_test_script_expect (MpTestScript *script,
                       const char   *line)
{
  script_add (script, STEP_EXPECT)->text = g_strdup (line);
}

void
mp_test_script_expect_prefix (MpTestScript *script,
                              const char   *prefix)
{
  script_add (script, STEP_EXPECT_PREFIX)->text = g_strdup (prefix);
}

/**
 * mp_test_script_expect_glob:
 * @pattern: a #GPatternSpec glob ("*" and "?") the next line must match
 */
void
mp_test_script_expect_glob (MpTestScript *script,
                            const char   *pattern)
{
  Step *step = script_add (script, STEP_EXPECT_GLOB);

  step->text = g_strdup (pattern);
  step->pattern = g_pattern_spec_new (pattern);
}

/**
 * mp_test_script_expect_lines:
 *
 * Reads @n_lines lines whatever they hold (they still go into the log).
 */
void
mp_test_script_expect_lines (MpTestScript *script,
                             guint         n_lines)
{
  script_add (script, STEP_EXPECT_LINES)->n = n_lines;
}

/**
 * mp_test_script_expect_closed:
 *
 * Waits for the client to close the connection; any line it sends first is
 * a failure. Use it where the client must stop talking, for example after
 * a refused STLS.
 */
void
mp_test_script_expect_closed (MpTestScript *script)
{
  script_add (script, STEP_EXPECT_CLOSED);
}

void
mp_test_script_sleep (MpTestScript *script,
                      guint         msec)
{
  script_add (script, STEP_SLEEP)->n = msec;
}

void
mp_test_script_close (MpTestScript *script)
{
  script_add (script, STEP_CLOSE);
}

/**
 * mp_test_script_hang:
 *
 * Never answers again: reads (and logs) whatever the client sends until
 * the client closes the connection or the server stops.
 */
void
mp_test_script_hang (MpTestScript *script)
{
  script_add (script, STEP_HANG);
}

/**
 * mp_test_script_start_tls:
 *
 * Runs the server side of a TLS handshake on the connection (after an STLS
 * reply, or first thing for implicit TLS); later steps go through TLS. A
 * failed handshake ends the connection and is counted, not recorded as a
 * failure (see mp_test_server_get_n_handshakes()).
 */
void
mp_test_script_start_tls (MpTestScript *script)
{
  script_add (script, STEP_START_TLS);
}

/**
 * mp_test_script_send_huge:
 * @n_bytes: how many bytes to send
 * @line_length: the number of "x" before each CRLF, or 0 for one endless
 *   line without any line end
 *
 * Sends @n_bytes generated on the fly, so that a test can send gigabytes
 * without holding them. A write error (the client gave up) ends the
 * connection quietly.
 */
void
mp_test_script_send_huge (MpTestScript *script,
                          guint64       n_bytes,
                          guint         line_length)
{
  Step *step = script_add (script, STEP_SEND_HUGE);

  step->n = n_bytes;
  step->line_length = line_length;
}

/* ---- bookkeeping ------------------------------------------------------- */

static void
server_add_failure (MpTestServer *self,
                    Conn         *c,
                    const char   *format,
                    ...) G_GNUC_PRINTF (3, 4);

static void
server_add_failure (MpTestServer *self,
                    Conn         *c,
                    const char   *format,
                    ...)
{
  g_autofree char *raw = NULL;
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  raw = g_strdup_vprintf (format, args);
  va_end (args);
  /* Failures quote client lines, which may hold any byte. */
  text = g_strescape (raw, NULL);

  g_debug ("connection %u: failure: %s", c ? c->id : 0, text);

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->failures,
                   g_strdup_printf ("connection %u: %s", c ? c->id : 0, text));
  g_mutex_unlock (&self->mutex);
}

static char *
line_verb (const char *line)
{
  const char *space = strchr (line, ' ');
  g_autofree char *verb = space ? g_strndup (line, space - line) : g_strdup (line);

  return g_ascii_strup (verb, -1);
}

static void
server_log_line (MpTestServer *self,
                 Conn         *c,
                 const char   *line,
                 gboolean      is_command)
{
  /* Escaped: a client may send anything, and the test log is TAP. */
  g_autofree char *escaped = g_strescape (line, NULL);

  g_debug ("connection %u: C: %s", c->id, escaped);

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->log, g_strdup (line));
  if (is_command)
    {
      char *verb = line_verb (line);
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->verb_counts, verb));

      g_hash_table_insert (self->verb_counts, verb, GUINT_TO_POINTER (count + 1));
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);
}

/* Sleeps until @end (monotonic) unless the server stops first; returns
 * FALSE when it stops. */
static gboolean
server_sleep_until (MpTestServer *self,
                    gint64        end)
{
  gboolean stopping;

  g_mutex_lock (&self->mutex);
  while (!self->stopping)
    {
      if (!g_cond_wait_until (&self->cond, &self->mutex, end))
        break;
    }
  stopping = self->stopping;
  g_mutex_unlock (&self->mutex);

  return !stopping;
}

static gboolean
server_sleep (MpTestServer *self,
              guint         msec)
{
  return server_sleep_until (self, g_get_monotonic_time () + (gint64) msec * G_TIME_SPAN_MILLISECOND);
}

/* ---- connection I/O ---------------------------------------------------- */

static gssize
conn_read_some (Conn    *c,
                guint8  *buf,
                gsize    size,
                GError **error)
{
  GInputStream *in = g_io_stream_get_input_stream (c->stream);

  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in),
                                                   buf, size,
                                                   c->server->cancellable,
                                                   error);
}

static void
conn_append (Conn         *c,
             const guint8 *data,
             gsize         len)
{
  gint64 now = g_get_monotonic_time ();

  g_byte_array_append (c->inbuf, data, len);
  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n')
      g_array_append_val (c->line_times, now);
}

/* Reads at least one byte into the input buffer. @deadline is a monotonic
 * time, or -1 to wait until the client closes or the server stops. */
static gboolean
conn_fill (Conn    *c,
           gint64   deadline,
           GError **error)
{
  guint8 buf[16 * 1024];

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 timeout_us = -1;
      gssize n;

      if (c->eof)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "The client closed the connection");
          return FALSE;
        }

      /* Try first: TLS may hold decrypted data while the socket is idle. */
      n = conn_read_some (c, buf, sizeof buf, &local_error);
      if (n > 0)
        {
          conn_append (c, buf, n);
          return TRUE;
        }
      if (n == 0)
        {
          c->eof = TRUE;
          continue;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (deadline >= 0)
        {
          timeout_us = deadline - g_get_monotonic_time ();
          if (timeout_us <= 0)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   "Timed out waiting for the client");
              return FALSE;
            }
        }

      if (!g_socket_condition_timed_wait (c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                          timeout_us, c->server->cancellable, error))
        return FALSE;
    }
}

/* Pulls in whatever the client has sent so far without waiting. */
static void
conn_drain (Conn *c)
{
  guint8 buf[16 * 1024];

  while (!c->eof)
    {
      gssize n = conn_read_some (c, buf, sizeof buf, NULL);

      if (n == 0)
        c->eof = TRUE;
      if (n <= 0)
        break;
      conn_append (c, buf, n);
    }
}

static guint
conn_count_buffered_lines (Conn *c)
{
  guint n = 0;

  for (guint i = 0; i < c->inbuf->len; i++)
    if (c->inbuf->data[i] == '\n')
      n++;

  return n;
}

static gboolean
conn_read_line (Conn    *c,
                gint64   timeout_msec,
                char   **line,
                GError **error)
{
  gint64 deadline = -1;

  if (timeout_msec >= 0)
    deadline = g_get_monotonic_time () + timeout_msec * G_TIME_SPAN_MILLISECOND;

  for (;;)
    {
      const guint8 *nl = c->inbuf->len ? memchr (c->inbuf->data, '\n', c->inbuf->len) : NULL;

      if (nl != NULL)
        {
          gsize len = nl - c->inbuf->data;
          gsize consumed = len + 1;

          if (len > 0 && c->inbuf->data[len - 1] == '\r')
            len--;
          *line = g_strndup ((const char *) c->inbuf->data, len);
          g_byte_array_remove_range (c->inbuf, 0, consumed);
          c->line_time = g_get_monotonic_time ();
          if (c->line_times->len > 0)
            {
              c->line_time = g_array_index (c->line_times, gint64, 0);
              g_array_remove_index (c->line_times, 0);
            }
          return TRUE;
        }

      if (c->inbuf->len > MAX_CLIENT_LINE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "The client sent a line longer than %u bytes",
                       MAX_CLIENT_LINE);
          return FALSE;
        }

      if (!conn_fill (c, deadline, error))
        return FALSE;
    }
}

static gboolean
conn_write (Conn        *c,
            const void  *data,
            gsize        len)
{
  g_autoptr(GError) error = NULL;
  GOutputStream *out = g_io_stream_get_output_stream (c->stream);

  if (!g_output_stream_write_all (out, data, len, NULL, c->server->cancellable, &error))
    {
      g_debug ("connection %u: write failed: %s", c->id, error->message);
      return FALSE;
    }

  return TRUE;
}

static gboolean
conn_start_tls (Conn *c)
{
  MpTestServer *self = c->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;
  gboolean ok;

  if (self->certificate == NULL)
    {
      server_add_failure (self, c, "TLS requested but the test set no certificate");
      return FALSE;
    }

  /* Bytes that arrived in cleartext after STLS and before the handshake
   * would be a client bug (RFC 2595 §4); they must not leak into TLS. */
  if (c->inbuf->len > 0)
    {
      server_add_failure (self, c,
                          "the client sent %u bytes in cleartext before the TLS handshake",
                          c->inbuf->len);
      g_byte_array_set_size (c->inbuf, 0);
      g_array_set_size (c->line_times, 0);
    }

  tls = g_tls_server_connection_new (c->stream, self->certificate, &error);
  if (tls != NULL)
    {
      g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
      ok = g_tls_connection_handshake (G_TLS_CONNECTION (tls), self->cancellable, &error);
    }
  else
    ok = FALSE;

  g_mutex_lock (&self->mutex);
  if (ok)
    self->n_handshakes_ok++;
  else
    self->n_handshakes_failed++;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  if (!ok)
    {
      g_debug ("connection %u: TLS handshake failed: %s", c->id, error->message);
      return FALSE;
    }

  g_clear_object (&c->stream);
  c->stream = g_steal_pointer (&tls);
  c->tls = TRUE;

  return TRUE;
}

/* Closes like a polite server: stop writing, then read until the client
 * closes (briefly), so unread client data does not turn our FIN into a
 * RST that could destroy the bytes we sent last. */
static void
conn_close (Conn *c)
{
  gint64 deadline = g_get_monotonic_time () + LINGER_MSEC * G_TIME_SPAN_MILLISECOND;
  guint8 buf[4096];

  if (c->tls)
    g_output_stream_close (g_io_stream_get_output_stream (c->stream),
                           c->server->cancellable, NULL);

  g_socket_shutdown (c->socket, FALSE, TRUE, NULL);

  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gssize n;

      if (now >= deadline)
        break;
      if (!g_socket_condition_timed_wait (c->socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                          deadline - now, c->server->cancellable, NULL))
        break;
      n = g_socket_receive_with_blocking (c->socket, (char *) buf, sizeof buf,
                                          FALSE, NULL, NULL);
      if (n <= 0)
        break;
    }

  g_socket_close (c->socket, NULL);
}

static void
conn_free (Conn *c)
{
  g_clear_object (&c->stream);
  g_clear_object (&c->connection);
  g_clear_object (&c->socket);
  g_byte_array_unref (c->inbuf);
  g_array_unref (c->line_times);
  g_clear_pointer (&c->maildrop, g_ptr_array_unref);
  g_clear_pointer (&c->deleted, g_array_unref);
  g_free (c->user);
  g_free (c);
}

/* ---- script mode ------------------------------------------------------- */

static gboolean
send_huge (Conn    *c,
           guint64  n_bytes,
           guint    line_length)
{
  g_autofree guint8 *chunk = g_malloc (HUGE_CHUNK);
  guint64 period = (guint64) line_length + 2;
  guint64 offset = 0;

  while (offset < n_bytes)
    {
      gsize len = (gsize) MIN ((guint64) HUGE_CHUNK, n_bytes - offset);

      for (gsize i = 0; i < len; i++)
        {
          guint64 pos = line_length ? (offset + i) % period : 0;

          if (line_length == 0 || pos < line_length)
            chunk[i] = 'x';
          else if (pos == line_length)
            chunk[i] = '\r';
          else
            chunk[i] = '\n';
        }

      if (!conn_write (c, chunk, len))
        return FALSE;
      offset += len;
    }

  return TRUE;
}

static const char *
step_describe (Step *step)
{
  switch (step->kind)
    {
    case STEP_EXPECT:
    case STEP_EXPECT_PREFIX:
    case STEP_EXPECT_GLOB:
      return step->text;
    case STEP_EXPECT_LINES:
      return "(any line)";
    case STEP_EXPECT_CLOSED:
      return "(close)";
    case STEP_SEND:
    case STEP_SLEEP:
    case STEP_CLOSE:
    case STEP_HANG:
    case STEP_START_TLS:
    case STEP_SEND_HUGE:
    default:
      return "?";
    }
}

static gboolean
step_matches (Step       *step,
              const char *line)
{
  switch (step->kind)
    {
    case STEP_EXPECT:
      return g_str_equal (line, step->text);
    case STEP_EXPECT_PREFIX:
      return g_str_has_prefix (line, step->text);
    case STEP_EXPECT_GLOB:
      return g_pattern_spec_match_string (step->pattern, line);
    case STEP_EXPECT_LINES:
      return TRUE;
    case STEP_SEND:
    case STEP_EXPECT_CLOSED:
    case STEP_SLEEP:
    case STEP_CLOSE:
    case STEP_HANG:
    case STEP_START_TLS:
    case STEP_SEND_HUGE:
    default:
      return FALSE;
    }
}

static void
hang (Conn *c)
{
  for (;;)
    {
      g_autofree char *line = NULL;

      if (!conn_read_line (c, -1, &line, NULL))
        break;
      server_log_line (c->server, c, line, TRUE);
    }
}

static void
expect_closed (Conn  *c,
               guint  step)
{
  MpTestServer *self = c->server;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  if (conn_read_line (c, self->io_timeout_msec, &line, &error))
    {
      server_log_line (self, c, line, TRUE);
      server_add_failure (self, c, "step %u: expected the client to close, got \"%s\"",
                          step, line);
      return;
    }

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
    server_add_failure (self, c, "step %u: expected the client to close: %s",
                        step, error->message);
}

static void
run_script (Conn         *c,
            MpTestScript *script)
{
  MpTestServer *self = c->server;
  guint timeout = self->io_timeout_msec;

  for (guint i = 0; i < script->steps->len; i++)
    {
      Step *step = g_ptr_array_index (script->steps, i);

      switch (step->kind)
        {
        case STEP_SEND:
          {
            gsize len;
            const guint8 *data = g_bytes_get_data (step->data, &len);

            if (!conn_write (c, data, len))
              return;
          }
          break;

        case STEP_EXPECT:
        case STEP_EXPECT_PREFIX:
        case STEP_EXPECT_GLOB:
        case STEP_EXPECT_LINES:
          for (guint64 k = 0; k < MAX (step->n, 1); k++)
            {
              g_autoptr(GError) error = NULL;
              g_autofree char *line = NULL;

              if (!conn_read_line (c, timeout, &line, &error))
                {
                  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
                    server_add_failure (self, c, "step %u: expected \"%s\": %s",
                                        i, step_describe (step), error->message);
                  return;
                }

              server_log_line (self, c, line, TRUE);

              if (!step_matches (step, line))
                {
                  server_add_failure (self, c, "step %u: expected \"%s\", got \"%s\"",
                                      i, step_describe (step), line);
                  return;
                }
            }
          break;

        case STEP_EXPECT_CLOSED:
          expect_closed (c, i);
          return;

        case STEP_SLEEP:
          if (!server_sleep (self, step->n))
            return;
          break;

        case STEP_CLOSE:
          return;

        case STEP_HANG:
          hang (c);
          return;

        case STEP_START_TLS:
          if (!conn_start_tls (c))
            return;
          break;

        case STEP_SEND_HUGE:
          if (!send_huge (c, step->n, step->line_length))
            return;
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- mailbox mode ------------------------------------------------------ */

static const char *
conn_eol (Conn *c)
{
  return (c->server->quirks & MP_TEST_QUIRK_BARE_LF) ? "\n" : "\r\n";
}

static void
reply_ok (Conn       *c,
          GString    *out,
          const char *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
reply_ok (Conn       *c,
          GString    *out,
          const char *format,
          ...)
{
  va_list args;

  g_string_append (out, "+OK");
  if (format != NULL && format[0] != '\0')
    {
      g_string_append_c (out, ' ');
      va_start (args, format);
      g_string_append_vprintf (out, format, args);
      va_end (args);
    }
  g_string_append (out, conn_eol (c));
}

static void
reply_err (Conn       *c,
           GString    *out,
           const char *text)
{
  g_string_append_printf (out, "-ERR %s%s", text, conn_eol (c));
  c->n_errors++;
}

/* A reply line the test wrote itself ("-ERR [IN-USE] …"). */
static void
reply_raw_line (Conn       *c,
                GString    *out,
                const char *line)
{
  g_string_append_printf (out, "%s%s", line, conn_eol (c));
  if (g_str_has_prefix (line, "-ERR"))
    c->n_errors++;
}

static void
append_data_line (Conn       *c,
                  GString    *out,
                  const char *line,
                  gsize       len)
{
  if (len > 0 && line[0] == '.' && !(c->server->quirks & MP_TEST_QUIRK_NO_DOT_STUFFING))
    g_string_append_c (out, '.');
  g_string_append_len (out, line, len);
  g_string_append (out, conn_eol (c));
}

static void
append_terminator (Conn    *c,
                   GString *out)
{
  g_string_append_printf (out, ".%s", conn_eol (c));
}

static char **
capabilities_for (Conn *c)
{
  MpTestServer *self = c->server;
  MpTestCapaPhase phase;
  GPtrArray *caps;

  if (c->logged_in)
    phase = MP_TEST_CAPA_LOGGED_IN;
  else if (c->tls)
    phase = MP_TEST_CAPA_TLS;
  else
    phase = MP_TEST_CAPA_CLEARTEXT;

  if (self->capabilities[phase] != NULL)
    return g_strdupv (self->capabilities[phase]);

  caps = g_ptr_array_new ();
  if (!(self->quirks & MP_TEST_QUIRK_NO_TOP))
    g_ptr_array_add (caps, g_strdup ("TOP"));
  if (!(self->quirks & MP_TEST_QUIRK_NO_UIDL))
    g_ptr_array_add (caps, g_strdup ("UIDL"));
  g_ptr_array_add (caps, g_strdup ("USER"));
  g_ptr_array_add (caps, g_strdup ("RESP-CODES"));
  g_ptr_array_add (caps, g_strdup ("AUTH-RESP-CODE"));
  if (self->quirks & MP_TEST_QUIRK_PIPELINING)
    g_ptr_array_add (caps, g_strdup ("PIPELINING"));
  if (self->quirks & MP_TEST_QUIRK_UTF8)
    g_ptr_array_add (caps, g_strdup ("UTF8"));
  if (self->sasl_mechanisms[0] != '\0' && !c->logged_in)
    g_ptr_array_add (caps, g_strdup_printf ("SASL %s", self->sasl_mechanisms));
  if (self->certificate != NULL && phase == MP_TEST_CAPA_CLEARTEXT)
    g_ptr_array_add (caps, g_strdup ("STLS"));
  g_ptr_array_add (caps, g_strdup ("IMPLEMENTATION mailpeek-test-server"));
  g_ptr_array_add (caps, NULL);

  return (char **) g_ptr_array_free (caps, FALSE);
}

static gboolean
parse_uint (const char *arg,
            guint       min,
            guint      *number)
{
  guint64 value;

  if (arg == NULL || !g_ascii_isdigit (arg[0]))
    return FALSE;
  if (!g_ascii_string_to_unsigned (arg, 10, min, G_MAXUINT, &value, NULL))
    return FALSE;
  *number = (guint) value;
  return TRUE;
}

static gboolean
parse_number (const char *arg,
              guint      *number)
{
  return parse_uint (arg, 1, number);
}

/* Finds message @arg of this session, or answers -ERR and returns NULL. */
static Message *
session_message (Conn       *c,
                 GString    *out,
                 const char *arg,
                 guint      *number)
{
  Message *message;

  if (!parse_number (arg, number))
    {
      reply_err (c, out, "Invalid message number");
      return NULL;
    }
  if (*number > c->maildrop->len ||
      g_array_index (c->deleted, gboolean, *number - 1))
    {
      reply_err (c, out, "No such message");
      return NULL;
    }

  message = g_ptr_array_index (c->maildrop, *number - 1);
  if (message_is_expunged (message))
    {
      reply_err (c, out, "No such message (expunged by another session)");
      return NULL;
    }

  return message;
}

static gboolean
valid_base64 (const char *text)
{
  gsize len = strlen (text);

  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char ch = text[i];

      if (g_ascii_isalnum (ch) || ch == '+' || ch == '/')
        continue;
      if (ch == '=' && (i >= len - 2))
        continue;
      return FALSE;
    }

  return TRUE;
}

static gboolean
decode_base64 (const char  *text,
               GBytes     **out)
{
  guchar *data;
  gsize len;

  if (!valid_base64 (text))
    return FALSE;
  if (text[0] == '\0')
    {
      *out = g_bytes_new (NULL, 0);
      return TRUE;
    }
  data = g_base64_decode (text, &len);
  *out = g_bytes_new_take (data, len);
  return TRUE;
}

/* @method: "USER", "APOP", or the SASL mechanism, for the refused ones */
static gboolean
session_login (Conn       *c,
               GString    *out,
               const char *method,
               const char *user,
               const char *password)
{
  MpTestServer *self = c->server;

  if (g_strcmp0 (user, self->user) != 0 || g_strcmp0 (password, self->password) != 0)
    {
      reply_err (c, out, "[AUTH] Invalid user name or password");
      return FALSE;
    }

  if (self->refused_logins != NULL &&
      g_strv_contains ((const char * const *) self->refused_logins, method))
    {
      /* As GNU Mailutils answers APOP without APOP secrets, or Courier
       * answers CRAM-MD5 with a PAM back end: right credentials, wrong
       * method. */
      reply_err (c, out, "[AUTH] Authentication failed");
      return FALSE;
    }

  {
    g_autofree char *login_error = NULL;

    g_mutex_lock (&self->mutex);
    login_error = g_strdup (self->login_error);
    g_mutex_unlock (&self->mutex);

    if (login_error != NULL)
      {
        reply_raw_line (c, out, login_error);
        return FALSE;
      }
  }

  g_mutex_lock (&self->mutex);
  c->maildrop = g_ptr_array_new_with_free_func (message_unref);
  for (guint i = 0; i < self->messages->len; i++)
    g_ptr_array_add (c->maildrop, message_ref (g_ptr_array_index (self->messages, i)));
  g_mutex_unlock (&self->mutex);

  c->deleted = g_array_new (FALSE, TRUE, sizeof (gboolean));
  g_array_set_size (c->deleted, c->maildrop->len);
  c->logged_in = TRUE;

  reply_ok (c, out, "Logged in, %u messages", c->maildrop->len);
  return TRUE;
}

/* Sends a SASL challenge and reads the answer. Returns FALSE (and has
 * answered) when the exchange must stop: the client cancelled with "*",
 * or the connection failed. */
static gboolean
sasl_exchange (Conn        *c,
               GString     *out,
               const char  *challenge,
               gboolean     raw,
               char       **response)
{
  MpTestServer *self = c->server;
  g_autoptr(GError) error = NULL;
  g_autofree char *encoded = NULL;

  if (!raw)
    encoded = g_base64_encode ((const guchar *) challenge, strlen (challenge));

  g_string_append_printf (out, "+ %s%s", raw ? challenge : encoded, conn_eol (c));
  if (!conn_write (c, out->str, out->len))
    {
      c->close_after_reply = TRUE;
      g_string_truncate (out, 0);
      return FALSE;
    }
  g_string_truncate (out, 0);

  if (!conn_read_line (c, self->io_timeout_msec, response, &error))
    {
      c->close_after_reply = TRUE;
      return FALSE;
    }
  server_log_line (self, c, *response, FALSE);

  if (g_str_equal (*response, "*"))
    {
      g_clear_pointer (response, g_free);
      reply_err (c, out, "Authentication cancelled");
      return FALSE;
    }

  return TRUE;
}

static void
do_auth (Conn       *c,
         GString    *out,
         const char *args)
{
  MpTestServer *self = c->server;
  g_auto(GStrv) words = g_strsplit (args ? args : "", " ", 2);
  g_auto(GStrv) offered = g_strsplit (self->sasl_mechanisms, " ", -1);
  g_autofree char *mech = g_ascii_strup (words[0] ? words[0] : "", -1);
  const char *initial = words[0] ? words[1] : NULL;
  g_autofree char *response = NULL;
  g_autoptr(GBytes) decoded = NULL;

  if (mech[0] == '\0' || !g_strv_contains ((const char * const *) offered, mech))
    {
      reply_err (c, out, "Unsupported authentication mechanism");
      return;
    }

  if (self->sasl_challenge != NULL && initial == NULL)
    {
      /* An odd challenge: a good client cancels with "*". */
      if (!sasl_exchange (c, out, self->sasl_challenge, TRUE, &response))
        return;
      reply_err (c, out, "[AUTH] Authentication failed");
      return;
    }

  if (g_str_equal (mech, "PLAIN"))
    {
      const char *data;
      gsize len;
      const char *authzid, *authcid, *passwd;

      if (initial != NULL)
        response = g_strdup (g_str_equal (initial, "=") ? "" : initial);
      else if (!sasl_exchange (c, out, "", FALSE, &response))
        return;

      if (!decode_base64 (response, &decoded))
        {
          reply_err (c, out, "Invalid base64");
          return;
        }

      data = g_bytes_get_data (decoded, &len);
      /* authzid NUL authcid NUL passwd, no other NUL, nothing past it */
      authzid = data;
      authcid = memchr (data, '\0', len);
      passwd = authcid ? memchr (authcid + 1, '\0', len - (authcid + 1 - data)) : NULL;
      if (authcid == NULL || passwd == NULL ||
          memchr (passwd + 1, '\0', len - (passwd + 1 - data)) != NULL)
        {
          reply_err (c, out, "Malformed PLAIN response");
          return;
        }

      {
        g_autofree char *s_authzid = g_strndup (authzid, authcid - authzid);
        g_autofree char *s_authcid = g_strndup (authcid + 1, passwd - authcid - 1);
        g_autofree char *s_passwd = g_strndup (passwd + 1, len - (passwd + 1 - data));

        if (s_authzid[0] != '\0' && !g_str_equal (s_authzid, s_authcid))
          {
            reply_err (c, out, "[AUTH] Authorization identity refused");
            return;
          }
        session_login (c, out, "PLAIN", s_authcid, s_passwd);
      }
    }
  else if (g_str_equal (mech, "LOGIN"))
    {
      g_autoptr(GBytes) user_bytes = NULL;
      g_autoptr(GBytes) pass_bytes = NULL;
      g_autofree char *user = NULL;
      g_autofree char *pass = NULL;

      if (initial != NULL)
        response = g_strdup (initial);
      else if (!sasl_exchange (c, out, "Username:", FALSE, &response))
        return;
      if (!decode_base64 (response, &user_bytes))
        {
          reply_err (c, out, "Invalid base64");
          return;
        }
      g_clear_pointer (&response, g_free);

      if (!sasl_exchange (c, out, "Password:", FALSE, &response))
        return;
      if (!decode_base64 (response, &pass_bytes))
        {
          reply_err (c, out, "Invalid base64");
          return;
        }

      user = g_strndup (g_bytes_get_data (user_bytes, NULL), g_bytes_get_size (user_bytes));
      pass = g_strndup (g_bytes_get_data (pass_bytes, NULL), g_bytes_get_size (pass_bytes));
      session_login (c, out, "LOGIN", user, pass);
    }
  else if (g_str_equal (mech, "CRAM-MD5"))
    {
      g_autofree char *challenge = NULL;
      g_autofree char *text = NULL;
      g_autofree char *expected = NULL;
      const char *space;

      if (initial != NULL)
        {
          reply_err (c, out, "CRAM-MD5 takes no initial response");
          return;
        }

      challenge = g_strdup_printf ("<%u.%" G_GINT64_FORMAT "@mailpeek.test>",
                                   g_random_int (), g_get_real_time ());
      if (!sasl_exchange (c, out, challenge, FALSE, &response))
        return;
      if (!decode_base64 (response, &decoded))
        {
          reply_err (c, out, "Invalid base64");
          return;
        }

      text = g_strndup (g_bytes_get_data (decoded, NULL), g_bytes_get_size (decoded));
      space = strrchr (text, ' ');
      if (space == NULL)
        {
          reply_err (c, out, "Malformed CRAM-MD5 response");
          return;
        }

      expected = g_compute_hmac_for_string (G_CHECKSUM_MD5,
                                            (const guchar *) (self->password ? self->password : ""),
                                            self->password ? strlen (self->password) : 0,
                                            challenge, -1);
      {
        g_autofree char *user = g_strndup (text, space - text);

        if (!g_str_equal (space + 1, expected))
          {
            reply_err (c, out, "[AUTH] Authentication failed");
            return;
          }
        session_login (c, out, "CRAM-MD5", user, self->password);
      }
    }
  else
    reply_err (c, out, "Mechanism not implemented by the test server");
}

static void
do_apop (Conn       *c,
         GString    *out,
         const char *args)
{
  MpTestServer *self = c->server;
  g_auto(GStrv) words = g_strsplit (args ? args : "", " ", -1);
  g_autofree char *input = NULL;
  g_autofree char *expected = NULL;

  if (self->apop_timestamp == NULL)
    {
      reply_err (c, out, "APOP not available");
      return;
    }
  if (g_strv_length (words) != 2)
    {
      reply_err (c, out, "Syntax: APOP name digest");
      return;
    }

  input = g_strconcat (self->apop_timestamp, self->password ? self->password : "", NULL);
  expected = g_compute_checksum_for_string (G_CHECKSUM_MD5, input, -1);
  if (!g_str_equal (words[1], expected))
    {
      reply_err (c, out, "[AUTH] Authentication failed");
      return;
    }

  session_login (c, out, "APOP", words[0], self->password);
}

static const char utf8_substitute[] =
  "From: Mail Delivery Subsystem <postmaster@mailpeek.test>\r\n"
  "Subject: Unicode content\r\n"
  "\r\n"
  "This message cannot be displayed because of its Unicode content.\r\n";

/* RFC 6856 §3: a server that offers UTF8 may replace a message whose
 * header holds raw 8-bit bytes for a client that did not send UTF8, as
 * Courier does. */
static gboolean
needs_substitute (Conn    *c,
                  Message *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message->content, &len);
  const char *end;

  if (!(c->server->quirks & MP_TEST_QUIRK_UTF8) || c->utf8)
    return FALSE;

  end = g_strstr_len (data, len, "\r\n\r\n");
  if (end == NULL)
    end = data + len;
  for (const char *p = data; p < end; p++)
    if ((guchar) *p >= 0x80)
      return TRUE;
  return FALSE;
}

static void
send_message_data (Conn    *c,
                   GString *out,
                   Message *message,
                   gboolean headers_only,
                   guint    body_lines,
                   gboolean drop_midway)
{
  gboolean substitute = needs_substitute (c, message);
  gsize len = substitute ? strlen (utf8_substitute) : 0;
  const char *data = substitute ? utf8_substitute : g_bytes_get_data (message->content, &len);
  const char *end = data + len;
  const char *p = data;
  gboolean in_body = FALSE;
  guint n_body = 0;
  gsize start = out->len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize line_len = nl - p;

      if (line_len > 0 && p[line_len - 1] == '\r')
        line_len--;

      if (in_body && headers_only)
        {
          if (n_body >= body_lines)
            break;
          n_body++;
        }

      append_data_line (c, out, p, line_len);

      if (line_len == 0)
        in_body = TRUE;
      p = nl + 1;
    }

  if (drop_midway)
    {
      /* Half of the data, then the connection goes away. */
      g_string_truncate (out, start + (out->len - start) / 2);
      c->close_after_reply = TRUE;
      return;
    }

  append_terminator (c, out);
}

static void
do_transaction_command (Conn       *c,
                        GString    *out,
                        const char *verb,
                        const char *args)
{
  MpTestServer *self = c->server;
  Message *message;
  guint number;

  if (g_str_equal (verb, "STAT"))
    {
      guint count = 0;
      guint64 size = 0;

      for (guint i = 0; i < c->maildrop->len; i++)
        if (!g_array_index (c->deleted, gboolean, i))
          {
            count++;
            size += g_bytes_get_size (((Message *) g_ptr_array_index (c->maildrop, i))->content);
          }
      reply_ok (c, out, "%u %" G_GUINT64_FORMAT, count, size);
    }
  else if (g_str_equal (verb, "LIST") || g_str_equal (verb, "UIDL"))
    {
      gboolean uidl = g_str_equal (verb, "UIDL");

      if (uidl && (self->quirks & MP_TEST_QUIRK_NO_UIDL))
        {
          reply_err (c, out, "Unknown command");
          return;
        }

      if (args != NULL)
        {
          if ((message = session_message (c, out, args, &number)) == NULL)
            return;
          if (uidl)
            reply_ok (c, out, "%u %s", number, message->uid);
          else
            reply_ok (c, out, "%u %" G_GSIZE_FORMAT, number, g_bytes_get_size (message->content));
          return;
        }

      reply_ok (c, out, "%s", uidl ? "Unique-ID listing follows" : "Scan listing follows");
      for (guint i = 0; i < c->maildrop->len; i++)
        {
          if (g_array_index (c->deleted, gboolean, i))
            continue;
          message = g_ptr_array_index (c->maildrop, i);
          if (uidl)
            g_string_append_printf (out, "%u %s%s", i + 1, message->uid, conn_eol (c));
          else
            g_string_append_printf (out, "%u %" G_GSIZE_FORMAT "%s",
                                    i + 1, g_bytes_get_size (message->content), conn_eol (c));
        }
      if (uidl && (self->quirks & MP_TEST_QUIRK_UIDL_EXTRA))
        g_string_append_printf (out, "%u ghost-%u%s",
                                c->maildrop->len + 1, c->maildrop->len + 1, conn_eol (c));
      append_terminator (c, out);
    }
  else if (g_str_equal (verb, "TOP"))
    {
      g_auto(GStrv) words = g_strsplit (args ? args : "", " ", -1);
      guint n_lines;

      if (self->quirks & MP_TEST_QUIRK_NO_TOP)
        {
          reply_err (c, out, "Unknown command");
          return;
        }
      if (g_strv_length (words) != 2 || !parse_uint (words[1], 0, &n_lines))
        {
          reply_err (c, out, "Syntax: TOP msg n");
          return;
        }
      if ((message = session_message (c, out, words[0], &number)) == NULL)
        return;
      if (self->top_refused != G_MAXUINT &&
          (self->top_refused == 0 || self->top_refused == number))
        {
          reply_err (c, out, "TOP not available for this message");
          return;
        }

      reply_ok (c, out, "Top of message follows");
      send_message_data (c, out, message,
                         !(self->quirks & MP_TEST_QUIRK_TOP_WHOLE), n_lines,
                         (self->quirks & MP_TEST_QUIRK_DROP_MID_TOP) != 0);
    }
  else if (g_str_equal (verb, "RETR"))
    {
      if ((message = session_message (c, out, args, &number)) == NULL)
        return;

      c->last = MAX (c->last, number);
      reply_ok (c, out, "%" G_GSIZE_FORMAT " octets", g_bytes_get_size (message->content));
      send_message_data (c, out, message, FALSE, 0,
                         (self->quirks & MP_TEST_QUIRK_DROP_MID_RETR) != 0);
    }
  else if (g_str_equal (verb, "DELE"))
    {
      if ((message = session_message (c, out, args, &number)) == NULL)
        return;

      g_array_index (c->deleted, gboolean, number - 1) = TRUE;
      reply_ok (c, out, "Marked to be deleted");
      if (self->quirks & MP_TEST_QUIRK_DROP_AFTER_DELE)
        c->close_after_reply = TRUE;
    }
  else if (g_str_equal (verb, "RSET"))
    {
      for (guint i = 0; i < c->deleted->len; i++)
        g_array_index (c->deleted, gboolean, i) = FALSE;
      c->last = 0;
      reply_ok (c, out, "Reset");
    }
  else if (g_str_equal (verb, "NOOP"))
    reply_ok (c, out, NULL);
  else if (g_str_equal (verb, "LAST"))
    reply_ok (c, out, "%u", c->last);
  else if (g_str_equal (verb, "QUIT"))
    {
      guint n_deleted = 0;

      c->close_after_reply = TRUE;
      if (self->quirks & MP_TEST_QUIRK_QUIT_ERR)
        {
          reply_err (c, out, "Some deleted messages were not removed");
          return;
        }

      /* The update state (RFC 1939 §6): only now do deletions happen. */
      g_mutex_lock (&self->mutex);
      for (guint i = 0; i < c->maildrop->len; i++)
        {
          Message *gone = g_ptr_array_index (c->maildrop, i);

          if (!g_array_index (c->deleted, gboolean, i))
            continue;
          /* Sessions that still list it now get "-ERR" for it. */
          g_atomic_int_set (&gone->expunged, 1);
          if (g_ptr_array_remove (self->messages, gone))
            n_deleted++;
        }
      g_mutex_unlock (&self->mutex);

      reply_ok (c, out, "Logging out, %u messages deleted", n_deleted);
    }
  else
    reply_err (c, out, "Unknown command");
}

static void
do_authorization_command (Conn       *c,
                          GString    *out,
                          const char *verb,
                          const char *args)
{
  MpTestServer *self = c->server;

  if (g_str_equal (verb, "USER"))
    {
      g_free (c->user);
      c->user = g_strdup (args ? args : "");
      reply_ok (c, out, "Send the password");
    }
  else if (g_str_equal (verb, "PASS"))
    {
      if (c->user == NULL)
        {
          reply_err (c, out, "USER first");
          return;
        }
      session_login (c, out, "USER", c->user, args ? args : "");
      g_clear_pointer (&c->user, g_free);
    }
  else if (g_str_equal (verb, "APOP"))
    do_apop (c, out, args);
  else if (g_str_equal (verb, "AUTH"))
    do_auth (c, out, args);
  else if (g_str_equal (verb, "UTF8") && (self->quirks & MP_TEST_QUIRK_UTF8))
    {
      c->utf8 = TRUE;
      reply_ok (c, out, "UTF8 enabled");
    }
  else if (g_str_equal (verb, "STLS"))
    {
      if (c->tls || self->certificate == NULL)
        {
          reply_err (c, out, "STLS not available");
          return;
        }

      if (self->stls_reply != NULL)
        g_string_append (out, self->stls_reply);
      else
        reply_ok (c, out, "Begin TLS negotiation");

      if (!conn_write (c, out->str, out->len))
        {
          c->close_after_reply = TRUE;
          g_string_truncate (out, 0);
          return;
        }
      g_string_truncate (out, 0);

      if (self->stls_reply != NULL && !g_str_has_prefix (self->stls_reply, "+OK"))
        return;

      if (!conn_start_tls (c))
        c->close_after_reply = TRUE;
      /* RFC 2595 §4: forget what the client said before TLS. */
      g_clear_pointer (&c->user, g_free);
    }
  else if (g_str_equal (verb, "QUIT"))
    {
      reply_ok (c, out, "Bye");
      c->close_after_reply = TRUE;
    }
  else
    reply_err (c, out, "Not allowed before login");

  if ((self->quirks & MP_TEST_QUIRK_CLOSE_AFTER_LOGIN_ERR) && !c->logged_in &&
      g_str_has_prefix (out->str, "-ERR") &&
      (g_str_equal (verb, "PASS") || g_str_equal (verb, "APOP") || g_str_equal (verb, "AUTH")))
    c->close_after_reply = TRUE;
}

static void
run_mailbox (Conn *c)
{
  MpTestServer *self = c->server;
  g_autoptr(GString) out = g_string_new (NULL);

  if (self->greeting != NULL)
    g_string_append (out, self->greeting);
  else
    g_string_append (out, "+OK Mailpeek test server ready");
  if (self->apop_timestamp != NULL)
    g_string_append_printf (out, " %s", self->apop_timestamp);
  g_string_append (out, conn_eol (c));
  if (!conn_write (c, out->str, out->len) || g_str_has_prefix (out->str, "-ERR"))
    return;

  for (;;)
    {
      g_autofree char *line = NULL;
      g_autofree char *verb = NULL;
      const char *args;
      guint depth;

      if (!conn_read_line (c, -1, &line, NULL))
        return;

      c->n_commands++;
      server_log_line (self, c, line, TRUE);

      if (self->drop_after != 0 && c->n_commands >= self->drop_after)
        return;

      if (self->reply_delay_msec > 0 &&
          !server_sleep_until (self, c->line_time + self->reply_delay_msec * G_TIME_SPAN_MILLISECOND))
        return;

      /* How many commands were waiting when we got round to answering
       * this one: more than one proves that the client pipelines. */
      conn_drain (c);
      depth = 1 + conn_count_buffered_lines (c);
      g_mutex_lock (&self->mutex);
      self->max_depth = MAX (self->max_depth, depth);
      g_mutex_unlock (&self->mutex);

      verb = line_verb (line);
      args = strchr (line, ' ');
      if (args != NULL)
        args++;

      g_string_truncate (out, 0);
      if (g_str_equal (verb, "CAPA"))
        {
          if (self->quirks & MP_TEST_QUIRK_NO_CAPA)
            reply_err (c, out, "Unknown command");
          else
            {
              g_auto(GStrv) caps = capabilities_for (c);

              reply_ok (c, out, "Capability list follows");
              for (guint i = 0; caps[i] != NULL; i++)
                g_string_append_printf (out, "%s%s", caps[i], conn_eol (c));
              append_terminator (c, out);
            }
        }
      else if (c->logged_in)
        do_transaction_command (c, out, verb, args);
      else
        do_authorization_command (c, out, verb, args);

      if (self->max_errors != 0 && c->n_errors >= self->max_errors)
        {
          g_string_truncate (out, 0);
          g_string_append_printf (out, "-ERR Too many bad commands, closing%s", conn_eol (c));
          c->close_after_reply = TRUE;
        }

      if (out->len > 0 && !conn_write (c, out->str, out->len))
        return;
      if (c->close_after_reply)
        return;
    }
}

/* ---- threads ----------------------------------------------------------- */

static gpointer
connection_thread (gpointer data)
{
  Conn *c = data;
  MpTestServer *self = c->server;

  c->connection = g_socket_connection_factory_create_connection (c->socket);
  c->stream = G_IO_STREAM (g_object_ref (c->connection));
  g_socket_set_timeout (c->socket, SOCKET_TIMEOUT_SEC);

  if (!self->implicit_tls || conn_start_tls (c))
    {
      if (self->mailbox_mode)
        run_mailbox (c);
      else if (self->scripts->len > 0)
        run_script (c, g_ptr_array_index (self->scripts, MIN (c->id, self->scripts->len - 1)));
    }

  conn_close (c);
  g_debug ("connection %u: closed", c->id);
  conn_free (c);

  g_mutex_lock (&self->mutex);
  self->n_active--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  MpTestServer *self = data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket;
      Conn *c;

      socket = g_socket_accept (self->listen_socket, self->cancellable, &error);
      if (socket == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            server_add_failure (self, NULL, "accept failed: %s", error->message);
          break;
        }

      c = g_new0 (Conn, 1);
      c->server = self;
      c->socket = socket;
      c->inbuf = g_byte_array_new ();
      c->line_times = g_array_new (FALSE, FALSE, sizeof (gint64));

      g_mutex_lock (&self->mutex);
      c->id = self->n_connections++;
      self->n_active++;
      g_ptr_array_add (self->threads, g_thread_new ("mp-test-conn", connection_thread, c));
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->mutex);
    }

  return NULL;
}

/* ---- the object -------------------------------------------------------- */

static void
mp_test_server_dispose (GObject *object)
{
  MpTestServer *self = MP_TEST_SERVER (object);

  mp_test_server_stop (self);

  G_OBJECT_CLASS (mp_test_server_parent_class)->dispose (object);
}

static void
mp_test_server_finalize (GObject *object)
{
  MpTestServer *self = MP_TEST_SERVER (object);

  g_ptr_array_unref (self->scripts);
  g_free (self->user);
  g_free (self->password);
  g_clear_object (&self->certificate);
  for (guint i = 0; i < G_N_ELEMENTS (self->capabilities); i++)
    g_strfreev (self->capabilities[i]);
  g_free (self->sasl_mechanisms);
  g_strfreev (self->refused_logins);
  g_free (self->greeting);
  g_free (self->apop_timestamp);
  g_free (self->sasl_challenge);
  g_free (self->stls_reply);
  g_free (self->login_error);
  g_clear_object (&self->listen_socket);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->threads);
  g_ptr_array_unref (self->log);
  g_hash_table_unref (self->verb_counts);
  g_ptr_array_unref (self->failures);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (mp_test_server_parent_class)->finalize (object);
}

static void
mp_test_server_class_init (MpTestServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_test_server_dispose;
  object_class->finalize = mp_test_server_finalize;
}

static void
mp_test_server_init (MpTestServer *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  self->scripts = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_test_script_unref);
  self->messages = g_ptr_array_new_with_free_func (message_unref);
  self->threads = g_ptr_array_new ();
  self->log = g_ptr_array_new_with_free_func (g_free);
  self->verb_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->failures = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  self->io_timeout_msec = DEFAULT_IO_TIMEOUT_MSEC;
  self->sasl_mechanisms = g_strdup ("PLAIN LOGIN CRAM-MD5");
  self->top_refused = G_MAXUINT;
}

/**
 * mp_test_server_new:
 *
 * Returns: (transfer full): a server that is not listening yet; add
 *   scripts or switch on the mailbox mode, then mp_test_server_start()
 */
MpTestServer *
mp_test_server_new (void)
{
  return g_object_new (MP_TYPE_TEST_SERVER, NULL);
}

#define CHECK_NOT_STARTED(self) \
  g_return_if_fail (MP_IS_TEST_SERVER (self) && !(self)->started)

/**
 * mp_test_server_add_script:
 *
 * Adds the script for the next connection: the first accepted connection
 * runs the first script, and so on; connections past the last script run
 * the last one again.
 */
void
mp_test_server_add_script (MpTestServer *self,
                           MpTestScript *script)
{
  CHECK_NOT_STARTED (self);

  g_ptr_array_add (self->scripts, mp_test_script_ref (script));
}

/**
 * mp_test_server_set_mailbox_mode:
 * @user: the only user name the server accepts
 * @password: its password
 *
 * Serves a maildrop (mp_test_server_add_message()) instead of scripts.
 */
void
mp_test_server_set_mailbox_mode (MpTestServer *self,
                                 const char   *user,
                                 const char   *password)
{
  CHECK_NOT_STARTED (self);

  self->mailbox_mode = TRUE;
  set_str (&self->user, user);
  set_str (&self->password, password);
}

/**
 * mp_test_server_set_certificate:
 *
 * The certificate (with its private key) for STLS and implicit TLS. In
 * the mailbox mode, a server with a certificate offers STLS.
 */
void
mp_test_server_set_certificate (MpTestServer    *self,
                                GTlsCertificate *certificate)
{
  CHECK_NOT_STARTED (self);

  g_set_object (&self->certificate, certificate);
}

/**
 * mp_test_server_set_implicit_tls:
 *
 * Every connection starts with a TLS handshake (port 995 style).
 */
void
mp_test_server_set_implicit_tls (MpTestServer *self,
                                 gboolean      implicit_tls)
{
  CHECK_NOT_STARTED (self);

  self->implicit_tls = implicit_tls;
}

/**
 * mp_test_server_set_io_timeout:
 *
 * How long an expect step (or a SASL exchange) waits for the client
 * before it records a failure. Default 10 s.
 */
void
mp_test_server_set_io_timeout (MpTestServer *self,
                               guint         msec)
{
  CHECK_NOT_STARTED (self);

  self->io_timeout_msec = msec;
}

/**
 * mp_test_server_start:
 *
 * Listens on 127.0.0.1 on a free port (mp_test_server_get_port()).
 */
gboolean
mp_test_server_start (MpTestServer  *self,
                      GError       **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  g_return_val_if_fail (MP_IS_TEST_SERVER (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  self->listen_socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, error);
  if (self->listen_socket == NULL)
    return FALSE;

  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  if (!g_socket_bind (self->listen_socket, address, TRUE, error) ||
      !g_socket_listen (self->listen_socket, error))
    return FALSE;

  bound = g_socket_get_local_address (self->listen_socket, error);
  if (bound == NULL)
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  self->started = TRUE;
  self->accept_thread = g_thread_new ("mp-test-accept", accept_thread, self);

  return TRUE;
}

/**
 * mp_test_server_stop:
 *
 * Stops listening, ends every connection (a hanging one too) and waits
 * for the threads. Safe to call twice; dispose calls it.
 */
void
mp_test_server_stop (MpTestServer *self)
{
  g_autoptr(GPtrArray) threads = NULL;

  g_return_if_fail (MP_IS_TEST_SERVER (self));

  if (self->accept_thread == NULL)
    return;

  g_mutex_lock (&self->mutex);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->mutex);

  g_cancellable_cancel (self->cancellable);
  g_thread_join (g_steal_pointer (&self->accept_thread));

  /* No new connection threads can appear once the accept thread ended. */
  g_mutex_lock (&self->mutex);
  threads = g_steal_pointer (&self->threads);
  self->threads = g_ptr_array_new ();
  g_mutex_unlock (&self->mutex);

  for (guint i = 0; i < threads->len; i++)
    g_thread_join (g_ptr_array_index (threads, i));

  g_socket_close (self->listen_socket, NULL);
}

guint16
mp_test_server_get_port (MpTestServer *self)
{
  g_return_val_if_fail (MP_IS_TEST_SERVER (self), 0);

  return self->port;
}

/* ---- mailbox configuration --------------------------------------------- */

/**
 * mp_test_server_add_message:
 * @uid: the unique id UIDL reports (duplicates allowed, for the quirk)
 * @content: the message; line ends are normalised to CRLF
 *
 * May be called while sessions run; sessions that start later see it.
 *
 * Returns: the message number in a session that starts now
 */
guint
mp_test_server_add_message (MpTestServer *self,
                            const char   *uid,
                            const char   *content)
{
  GString *normal = g_string_sized_new (strlen (content) + 64);
  Message *message;
  guint number;

  g_return_val_if_fail (MP_IS_TEST_SERVER (self), 0);

  for (const char *p = content; *p; p++)
    {
      if (*p == '\n' && (p == content || p[-1] != '\r'))
        g_string_append_c (normal, '\r');
      g_string_append_c (normal, *p);
    }
  if (normal->len > 0 && normal->str[normal->len - 1] != '\n')
    g_string_append (normal, "\r\n");

  message = g_atomic_rc_box_new0 (Message);
  message->uid = g_strdup (uid);
  message->content = g_string_free_to_bytes (normal);

  g_mutex_lock (&self->mutex);
  g_ptr_array_add (self->messages, message);
  number = self->messages->len;
  g_mutex_unlock (&self->mutex);

  return number;
}

/**
 * mp_test_server_fill:
 *
 * Adds @n_messages small messages: uid "uid-%08u", Subject "Message %u".
 */
void
mp_test_server_fill (MpTestServer *self,
                     guint         n_messages)
{
  guint first;

  g_mutex_lock (&self->mutex);
  first = self->messages->len + 1;
  g_mutex_unlock (&self->mutex);

  for (guint i = first; i < first + n_messages; i++)
    {
      g_autofree char *uid = g_strdup_printf ("uid-%08u", i);
      g_autofree char *content =
        g_strdup_printf ("From: Sender %u <sender%u@example.com>\r\n"
                         "To: alice@example.com\r\n"
                         "Subject: Message %u\r\n"
                         "Date: Mon, 24 Nov 2025 16:00:00 +0000\r\n"
                         "Message-ID: <%u@example.com>\r\n"
                         "\r\n"
                         "Body line 1 of message %u\r\n"
                         "Body line 2\r\n",
                         i, i, i, i, i);

      mp_test_server_add_message (self, uid, content);
    }
}

void
mp_test_server_set_quirks (MpTestServer *self,
                           MpTestQuirks  quirks)
{
  CHECK_NOT_STARTED (self);

  self->quirks = quirks;
}

/**
 * mp_test_server_set_capabilities:
 * @phase: which phase of the session the list is for
 * @first: the first CAPA line, or %NULL for an empty list
 *
 * Replaces the CAPA reply for @phase with exactly these lines. Phases the
 * test does not set get a list derived from the other settings (TOP, UIDL,
 * USER, RESP-CODES, AUTH-RESP-CODE, PIPELINING, SASL, STLS).
 */
void
mp_test_server_set_capabilities (MpTestServer    *self,
                                 MpTestCapaPhase  phase,
                                 const char      *first,
                                 ...)
{
  GPtrArray *caps = g_ptr_array_new ();
  va_list args;

  CHECK_NOT_STARTED (self);
  g_return_if_fail (phase <= MP_TEST_CAPA_LOGGED_IN);

  va_start (args, first);
  for (const char *cap = first; cap != NULL; cap = va_arg (args, const char *))
    g_ptr_array_add (caps, g_strdup (cap));
  va_end (args);
  g_ptr_array_add (caps, NULL);

  g_strfreev (self->capabilities[phase]);
  self->capabilities[phase] = (char **) g_ptr_array_free (caps, FALSE);
}

/**
 * mp_test_server_set_sasl_mechanisms:
 * @mechanisms: space-separated, e.g. "PLAIN CRAM-MD5", or "" for none
 */
void
mp_test_server_set_sasl_mechanisms (MpTestServer *self,
                                    const char   *mechanisms)
{
  CHECK_NOT_STARTED (self);

  set_str (&self->sasl_mechanisms, mechanisms);
}

/**
 * mp_test_server_set_greeting:
 * @text: the greeting line without line end (default "+OK Mailpeek test
 *   server ready"); one that starts with "-ERR" closes the connection
 *
 * The APOP timestamp, if any, is appended after a space.
 */
void
mp_test_server_set_greeting (MpTestServer *self,
                             const char   *text)
{
  CHECK_NOT_STARTED (self);

  set_str (&self->greeting, text);
}

/**
 * mp_test_server_set_apop_timestamp:
 * @timestamp: e.g. "<1896.697170952@dbc.mindspring.com>", or a bad one;
 *   %NULL for no APOP
 */
void
mp_test_server_set_apop_timestamp (MpTestServer *self,
                                   const char   *timestamp)
{
  CHECK_NOT_STARTED (self);

  set_str (&self->apop_timestamp, timestamp);
}

/**
 * mp_test_server_set_sasl_challenge:
 * @raw: text sent after "+ " as the first challenge of every AUTH without
 *   an initial response, instead of the real one (e.g. not base64)
 *
 * Whatever the client answers, the exchange ends with "-ERR"; the log
 * shows whether it cancelled with "*".
 */
void
mp_test_server_set_sasl_challenge (MpTestServer *self,
                                   const char   *raw)
{
  CHECK_NOT_STARTED (self);

  set_str (&self->sasl_challenge, raw);
}

/**
 * mp_test_server_set_stls_reply:
 * @raw: the exact bytes to answer STLS with, line ends included; if they
 *   start with "+OK" a TLS handshake follows (so "+OK\r\n+OK fake\r\n"
 *   injects a fake reply before TLS), otherwise the session goes on in
 *   cleartext
 */
void
mp_test_server_set_stls_reply (MpTestServer *self,
                               const char   *raw)
{
  CHECK_NOT_STARTED (self);

  set_str (&self->stls_reply, raw);
}

/**
 * mp_test_server_set_login_error:
 * @line: (nullable): e.g. "-ERR [IN-USE] Mailbox locked"; the answer to
 *   a login with the right credentials, instead of "+OK"
 *
 * May be called while sessions run (to lift an [IN-USE] after a while).
 */
void
mp_test_server_set_login_error (MpTestServer *self,
                                const char   *line)
{
  g_return_if_fail (MP_IS_TEST_SERVER (self));

  g_mutex_lock (&self->mutex);
  set_str (&self->login_error, line);
  g_mutex_unlock (&self->mutex);
}

/**
 * mp_test_server_set_refused_logins:
 * @methods: (nullable): space-separated methods ("USER", "APOP", "PLAIN",
 *   "LOGIN", "CRAM-MD5") that answer "-ERR [AUTH]" even to the right
 *   credentials, as servers do whose back end cannot do them
 */
void
mp_test_server_set_refused_logins (MpTestServer *self,
                                   const char   *methods)
{
  CHECK_NOT_STARTED (self);

  g_clear_pointer (&self->refused_logins, g_strfreev);
  if (methods != NULL)
    self->refused_logins = g_strsplit (methods, " ", -1);
}

/**
 * mp_test_server_set_top_refused:
 * @number: the message whose TOP is answered "-ERR", or 0 for every
 *   message; CAPA still lists TOP (use %MP_TEST_QUIRK_NO_TOP for a server
 *   that does not)
 */
void
mp_test_server_set_top_refused (MpTestServer *self,
                                guint         number)
{
  CHECK_NOT_STARTED (self);

  self->top_refused = number;
}

/**
 * mp_test_server_set_reply_delay:
 *
 * Answers each command @msec after it arrived, like a server a round trip
 * away: commands that arrive together (pipelined) are answered together,
 * commands sent one at a time cost @msec each.
 */
void
mp_test_server_set_reply_delay (MpTestServer *self,
                                guint         msec)
{
  CHECK_NOT_STARTED (self);

  self->reply_delay_msec = msec;
}

/**
 * mp_test_server_set_drop_after:
 *
 * Closes the connection, unanswered, when the @n_commands-th command of
 * the session arrives (0: never).
 */
void
mp_test_server_set_drop_after (MpTestServer *self,
                               guint         n_commands)
{
  CHECK_NOT_STARTED (self);

  self->drop_after = n_commands;
}

/**
 * mp_test_server_set_max_errors:
 *
 * After @n_errors "-ERR" replies in a session the server says so and
 * closes the connection (0: never).
 */
void
mp_test_server_set_max_errors (MpTestServer *self,
                               guint         n_errors)
{
  CHECK_NOT_STARTED (self);

  self->max_errors = n_errors;
}

/**
 * mp_test_server_set_expunged:
 * @number: a message number as sessions starting now see it
 *
 * Pretends that another session removed the message: STAT and LIST still
 * show it (they were answered "before"), but TOP, RETR, DELE and the
 * one-message forms of LIST and UIDL answer "-ERR". May be called while
 * sessions run.
 */
void
mp_test_server_set_expunged (MpTestServer *self,
                             guint         number,
                             gboolean      expunged)
{
  g_return_if_fail (MP_IS_TEST_SERVER (self));

  g_mutex_lock (&self->mutex);
  if (number >= 1 && number <= self->messages->len)
    {
      Message *message = g_ptr_array_index (self->messages, number - 1);

      g_atomic_int_set (&message->expunged, expunged ? 1 : 0);
    }
  g_mutex_unlock (&self->mutex);
}

/**
 * mp_test_server_delete_message:
 * @number: a message number as sessions starting now see it
 *
 * Deletes a message as another client's committed session would: later
 * sessions no longer see it (numbers shift), running ones get "-ERR" for
 * it. May be called while sessions run.
 */
void
mp_test_server_delete_message (MpTestServer *self,
                               guint         number)
{
  g_return_if_fail (MP_IS_TEST_SERVER (self));

  g_mutex_lock (&self->mutex);
  if (number >= 1 && number <= self->messages->len)
    {
      Message *message = g_ptr_array_index (self->messages, number - 1);

      g_atomic_int_set (&message->expunged, 1);
      g_ptr_array_remove_index (self->messages, number - 1);
    }
  g_mutex_unlock (&self->mutex);
}

/* ---- inspection -------------------------------------------------------- */

/**
 * mp_test_server_clear_log:
 *
 * Forgets the command log and the counts (not the failures), so that a
 * test can look at one session at a time.
 */
void
mp_test_server_clear_log (MpTestServer *self)
{
  g_return_if_fail (MP_IS_TEST_SERVER (self));

  g_mutex_lock (&self->mutex);
  g_ptr_array_set_size (self->log, 0);
  g_hash_table_remove_all (self->verb_counts);
  self->max_depth = 0;
  g_mutex_unlock (&self->mutex);
}

/**
 * mp_test_server_get_log:
 *
 * Returns: (transfer full): every line the server received from clients,
 *   in order, without line ends (SASL responses included)
 */
char **
mp_test_server_get_log (MpTestServer *self)
{
  GPtrArray *copy = g_ptr_array_new ();

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->log->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (self->log, i)));
  g_mutex_unlock (&self->mutex);
  g_ptr_array_add (copy, NULL);

  return (char **) g_ptr_array_free (copy, FALSE);
}

/**
 * mp_test_server_get_command_count:
 * @verb: a command name, in any case
 *
 * Returns: how many commands with this verb all sessions received (SASL
 *   responses in the mailbox mode are not commands and are not counted)
 */
guint
mp_test_server_get_command_count (MpTestServer *self,
                                  const char   *verb)
{
  g_autofree char *upper = g_ascii_strup (verb, -1);
  guint count;

  g_mutex_lock (&self->mutex);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (self->verb_counts, upper));
  g_mutex_unlock (&self->mutex);

  return count;
}

/**
 * mp_test_server_log_contains:
 * @pattern: a #GPatternSpec glob
 *
 * Returns: whether any logged line matches @pattern
 */
gboolean
mp_test_server_log_contains (MpTestServer *self,
                             const char   *pattern)
{
  g_autoptr(GPatternSpec) spec = g_pattern_spec_new (pattern);
  gboolean found = FALSE;

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->log->len && !found; i++)
    found = g_pattern_spec_match_string (spec, g_ptr_array_index (self->log, i));
  g_mutex_unlock (&self->mutex);

  return found;
}

/**
 * mp_test_server_get_max_depth:
 *
 * Returns: the largest number of commands that had arrived when the
 *   mailbox server began to answer the first of them; 1 means the client
 *   never pipelined
 */
guint
mp_test_server_get_max_depth (MpTestServer *self)
{
  guint depth;

  g_mutex_lock (&self->mutex);
  depth = self->max_depth;
  g_mutex_unlock (&self->mutex);

  return depth;
}

/**
 * mp_test_server_get_failures:
 *
 * Returns: (transfer full): what went against the script (unexpected
 *   lines, timeouts, cleartext after STLS…), one text per failure
 */
char **
mp_test_server_get_failures (MpTestServer *self)
{
  GPtrArray *copy = g_ptr_array_new ();

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->failures->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (self->failures, i)));
  g_mutex_unlock (&self->mutex);
  g_ptr_array_add (copy, NULL);

  return (char **) g_ptr_array_free (copy, FALSE);
}

guint
mp_test_server_get_n_connections (MpTestServer *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->n_connections;
  g_mutex_unlock (&self->mutex);

  return n;
}

/**
 * mp_test_server_get_n_handshakes:
 * @succeeded: count the handshakes that succeeded, or those that failed
 */
guint
mp_test_server_get_n_handshakes (MpTestServer *self,
                                 gboolean      succeeded)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = succeeded ? self->n_handshakes_ok : self->n_handshakes_failed;
  g_mutex_unlock (&self->mutex);

  return n;
}

/**
 * mp_test_server_get_n_messages:
 *
 * Returns: the messages in the maildrop; deletions count only once a
 *   session has answered QUIT with "+OK"
 */
guint
mp_test_server_get_n_messages (MpTestServer *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->messages->len;
  g_mutex_unlock (&self->mutex);

  return n;
}

gboolean
mp_test_server_has_uid (MpTestServer *self,
                        const char   *uid)
{
  gboolean found = FALSE;

  g_mutex_lock (&self->mutex);
  for (guint i = 0; i < self->messages->len && !found; i++)
    found = g_str_equal (((Message *) g_ptr_array_index (self->messages, i))->uid, uid);
  g_mutex_unlock (&self->mutex);

  return found;
}

/**
 * mp_test_server_wait_idle:
 *
 * Waits until every accepted connection has ended, iterating the thread's
 * main context meanwhile so the client can finish its side.
 *
 * Returns: %FALSE if some connection was still open after @timeout_msec
 */
gboolean
mp_test_server_wait_idle (MpTestServer *self,
                          guint         timeout_msec)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  gboolean idle;

  for (;;)
    {
      gint64 now;

      while (g_main_context_iteration (NULL, FALSE))
        ;

      g_mutex_lock (&self->mutex);
      now = g_get_monotonic_time ();
      if (self->n_active > 0 && now < deadline)
        g_cond_wait_until (&self->cond, &self->mutex,
                           MIN (deadline, now + 10 * G_TIME_SPAN_MILLISECOND));
      idle = self->n_active == 0;
      g_mutex_unlock (&self->mutex);

      if (idle || g_get_monotonic_time () >= deadline)
        break;
    }

  return idle;
}

/**
 * mp_test_server_wait_command:
 * @verb: a command name, in any case
 * @count: how many of them to wait for
 *
 * Waits until the server has received @count commands @verb (all
 * sessions), iterating the thread's main context meanwhile. Lets a test
 * act (cancel, say) at a point the server has surely reached.
 *
 * Returns: %FALSE if they did not arrive within @timeout_msec
 */
gboolean
mp_test_server_wait_command (MpTestServer *self,
                             const char   *verb,
                             guint         count,
                             guint         timeout_msec)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_msec * G_TIME_SPAN_MILLISECOND;
  g_autofree char *upper = g_ascii_strup (verb, -1);
  gboolean reached;

  for (;;)
    {
      gint64 now;

      while (g_main_context_iteration (NULL, FALSE))
        ;

      g_mutex_lock (&self->mutex);
      now = g_get_monotonic_time ();
      reached = GPOINTER_TO_UINT (g_hash_table_lookup (self->verb_counts, upper)) >= count;
      if (!reached && now < deadline)
        g_cond_wait_until (&self->cond, &self->mutex,
                           MIN (deadline, now + 10 * G_TIME_SPAN_MILLISECOND));
      reached = GPOINTER_TO_UINT (g_hash_table_lookup (self->verb_counts, upper)) >= count;
      g_mutex_unlock (&self->mutex);

      if (reached || g_get_monotonic_time () >= deadline)
        break;
    }

  return reached;
}

/**
 * mp_test_server_assert_no_failures:
 *
 * Fails the running test with the first recorded failure, after printing
 * all of them.
 */
void
mp_test_server_assert_no_failures (MpTestServer *self)
{
  g_auto(GStrv) failures = mp_test_server_get_failures (self);

  for (guint i = 0; failures[i] != NULL; i++)
    g_test_message ("test server: %s", failures[i]);

  g_assert_cmpstr (failures[0], ==, NULL);
}

static guint
count_pool_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc/self/task", name, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (path, &comm, NULL, NULL) && g_str_has_prefix (comm, "pool-"))
        n++;
    }

  return n;
}

/**
 * mp_test_init:
 *
 * Call after g_test_init(). Makes idle GLib thread-pool workers exit
 * soon; see mp_test_shutdown().
 */
void
mp_test_init (void)
{
  g_thread_pool_set_max_unused_threads (0);
}

/**
 * mp_test_shutdown:
 * @result: what g_test_run() returned
 *
 * Waits (at most a few seconds) for GLib's idle thread-pool workers to
 * exit. LeakSanitizer in Debian 12's GCC 12 and clang 14 crashes while it
 * scans the dynamic TLS of a pool thread that ran a GnuTLS handshake
 * ("Tracer caught signal 11" after "DTLS … at" nonsense ranges); with the
 * workers gone it has nothing to trip on.
 *
 * Returns: @result, so main() can end with `return mp_test_shutdown
 *   (g_test_run ());`
 */
int
mp_test_shutdown (int result)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  g_thread_pool_set_max_unused_threads (0);
  g_thread_pool_stop_unused_threads ();
  while (count_pool_threads () > 0 && g_get_monotonic_time () < deadline)
    {
      g_thread_pool_stop_unused_threads ();
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }

  return result;
}

/**
 * mp_test_make_certificate:
 * @dir: where to write cert.pem and key.pem (the test's own temporary
 *   directory)
 * @cert_path: (out) (optional): the certificate's path, for a CA file
 *
 * Generates a fresh self-signed certificate for localhost and 127.0.0.1
 * with openssl, valid for two days.
 *
 * Returns: (transfer full): the certificate with its key, or %NULL
 */
GTlsCertificate *
mp_test_make_certificate (const char  *dir,
                          char       **cert_path,
                          GError     **error)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *std_err = NULL;
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
    "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "-days", "2",
    "-keyout", key, "-out", cert,
    NULL
  };
  GTlsCertificate *certificate;
  int status;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s", dir);
      return NULL;
    }

  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &std_err, &status, error))
    return NULL;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "openssl req: %s: ", std_err);
      return NULL;
    }

  certificate = g_tls_certificate_new_from_files (cert, key, error);
  if (certificate != NULL && cert_path != NULL)
    *cert_path = g_steal_pointer (&cert);

  return certificate;
}
