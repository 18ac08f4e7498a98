/* mp-pop3-connect.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The start of a session: TCP, implicit TLS or STLS (never a fallback to
 * cleartext), the greeting and its APOP timestamp, CAPA.
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"
#include "mp-pop3-sasl.h"

/* Connecting */

typedef struct
{
  GSocketClient *socket_client;
  gulong         cancel_id;
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

static void
connect_fail (GTask        *task,
              const GError *error)
{
  MpPop3Client *self = g_task_get_source_object (task);
  ConnectData *data = g_task_get_task_data (task);

  /* The session is useless after a failed connect; make sure the socket
   * goes now and not when the last reference does.
   */
  if (self->state != STATE_CLOSED)
    {
      self->state = STATE_CLOSED;
      g_clear_error (&self->fatal);
      self->fatal = g_error_copy (error);
      _mp_pop3_client_close_socket (self);
    }
  _mp_pop3_task_return_error (task, &data->cancel_id, error);
}

/* connect_fail() from a step's callback, which holds the task. */
static void
connect_abort (GTask        *task,
               const GError *error)
{
  connect_fail (task, error);
  g_object_unref (task);
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
          g_autofree char *reasons = _mp_pop3_describe_certificate_flags (self->peer_certificate_errors);

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
        mapped = _mp_pop3_client_map_io_error (self, error);
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
      _mp_pop3_client_set_capabilities (self, NULL);
      self->capa_supported = FALSE;
      connect_send_capa (g_steal_pointer (&task));
    }
}

static void connect_start_tls (GTask *task);

static void
connect_start_tls_now (GTask *task)
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
      connect_abort (task, mapped);
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
  ConnectData *data = g_task_get_task_data (task);

  self->state = STATE_AUTHORIZATION;
  _mp_pop3_task_unwatch_cancellable (task, &data->cancel_id);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* RFC 6856 §2: UTF8 goes in the AUTHORIZATION state, before the login and
 * after STLS. A server that refuses it merely keeps its substitutes for
 * 8-bit messages; the session goes on.
 */
static void
utf8_done (MpPop3Client *self,
           Reply        *reply,
           const GError *error,
           gpointer      user_data)
{
  GTask *task = user_data;

  if (error != NULL)
    {
      connect_abort (task, error);
      return;
    }

  self->utf8 = reply->kind == REPLY_OK;
  if (!self->utf8)
    g_debug ("%s: UTF8 refused: %s", self->host, reply->text);
  connect_done (task);
}

static void
connect_send_utf8 (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  if (!mp_pop3_client_has_capability (self, "UTF8"))
    {
      connect_done (task);
      return;
    }

  _mp_pop3_client_queue_command (self, "UTF8", 0, 0, utf8_done, task);
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
      connect_abort (task, error);
      return;
    }

  if (reply->kind != REPLY_OK)
    {
      g_autofree char *clean = _mp_pop3_sanitize_server_text (reply->text);
      g_autoptr(GError) refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE,
                                               _("%s refused STLS (%s); the password "
                                                 "was not sent"),
                                               self->host, clean);
      connect_abort (task, refused);
      return;
    }

  mp_pop3_reader_clear (self->reader);
  connect_start_tls (task);
}

/* @lines: (transfer full) (nullable): the CAPA lines, or %NULL for none */
void
_mp_pop3_client_set_capabilities (MpPop3Client *self,
                                  GStrv         lines)
{
  g_strfreev (self->capabilities);
  self->capabilities = lines ? lines : g_new0 (char *, 1);
}

void
_mp_pop3_client_parse_capabilities (MpPop3Client *self,
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
  _mp_pop3_client_set_capabilities (self, g_strv_builder_end (builder));
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
      connect_abort (task, error);
      return;
    }

  if (reply->kind == REPLY_OK)
    {
      self->capa_supported = TRUE;
      _mp_pop3_client_parse_capabilities (self, reply->data);
    }
  else
    {
      self->capa_supported = FALSE;
      _mp_pop3_client_set_capabilities (self, NULL);
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
          connect_abort (task, missing);
          return;
        }

      _mp_pop3_client_queue_command (self, "STLS", 0, 0, stls_done, task);
      return;
    }

  connect_send_utf8 (task);
}

static void
connect_send_capa (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  _mp_pop3_client_queue_command (self, "CAPA", CMD_MULTILINE, MP_POP3_MAX_CAPA_REPLY,
                                 capa_done, task);
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
      connect_abort (task, error);
      return;
    }

  if (reply->kind != REPLY_OK)
    {
      g_autoptr(GError) refused = NULL;

      refused = _mp_pop3_client_error_from_reply (self, reply->text, MP_POP3_ERROR_FAILED,
                                                  _("The server refused the connection"));
      connect_abort (task, refused);
      return;
    }

  g_free (self->greeting);
  self->greeting = _mp_pop3_sanitize_server_text (reply->text);
  g_free (self->apop_timestamp);
  self->apop_timestamp = mp_pop3_apop_extract_timestamp (reply->text);

  connect_send_capa (task);
}

static void
connect_read_greeting (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);

  _mp_pop3_client_queue_command (self, NULL, 0, 0, greeting_done, task);
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
        mapped = _mp_pop3_client_map_io_error (self, error);
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

/* The system's trusted certificates take the TLS back end a while to
 * parse, the first time in a process (some 10 to 30 ms): a worker does it
 * while the socket connects (and, with STLS, while the greeting, CAPA and
 * STLS go back and forth). A handshake that would start before the worker
 * is done waits for it without blocking (connect_start_tls()): making the
 * TLS connection takes the back end's lock, which the worker holds, so
 * the main thread would otherwise sit out the parse. The back end keeps
 * the database for the life of the process.
 */
static GMutex trust_lock;
static gboolean trust_started;
static gboolean trust_loaded;
static GPtrArray *trust_waiters;  /* connect GTasks, each with its reference */

static gboolean
resume_tls_cb (gpointer user_data)
{
  connect_start_tls_now (user_data);
  return G_SOURCE_REMOVE;
}

static void
load_trust_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_autoptr(GTlsDatabase) database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  g_autoptr(GPtrArray) waiters = NULL;

  g_mutex_lock (&trust_lock);
  trust_loaded = TRUE;
  waiters = g_steal_pointer (&trust_waiters);
  g_mutex_unlock (&trust_lock);

  /* Each handshake goes on in its own main context, never here. */
  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);
      g_autoptr(GSource) source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_static_name (source, "[mailpeek] TLS after the trust store");
      g_source_set_callback (source, resume_tls_cb, waiter, NULL);
      g_source_attach (source, g_task_get_context (waiter));
    }

  g_task_return_boolean (task, database != NULL);
}

static void
preload_trust (MpPop3Client *self)
{
  g_autoptr(GTask) task = NULL;
  gboolean start;

  if (self->security == MP_POP3_SECURITY_NONE)
    return;

  g_mutex_lock (&trust_lock);
  start = !trust_started;
  trust_started = TRUE;
  g_mutex_unlock (&trust_lock);
  if (!start)
    return;

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, preload_trust);
  g_task_set_name (task, "[mailpeek] load the trust store");
  g_task_run_in_thread (task, load_trust_thread);
}

/* @task: (transfer full): the connect task, once the socket is up */
static void
connect_start_tls (GTask *task)
{
  gboolean wait;

  g_mutex_lock (&trust_lock);
  wait = trust_started && !trust_loaded;
  if (wait)
    {
      if (trust_waiters == NULL)
        trust_waiters = g_ptr_array_new ();
      g_ptr_array_add (trust_waiters, task);
    }
  g_mutex_unlock (&trust_lock);

  if (!wait)
    connect_start_tls_now (task);
}

/* @task: (transfer full): a connect task with its ConnectData */
static void
start_connect (MpPop3Client *self,
               GTask        *task)
{
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnectable) address = NULL;

  self->state = STATE_CONNECTING;
  self->io_cancellable = g_cancellable_new ();
  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);

  preload_trust (self);
  data->socket_client = g_socket_client_new ();
  g_socket_client_set_timeout (data->socket_client, self->timeout);
  address = g_network_address_new (self->host, self->port);
  g_socket_client_connect_async (data->socket_client,
                                 address,
                                 self->io_cancellable,
                                 socket_connected_cb,
                                 task);
}

/**
 * mp_pop3_client_connect_async:
 *
 * Connects, sets up TLS as the security mode asks (implicit, or STLS with
 * no fallback), reads the greeting and the capabilities, and sends `UTF8`
 * (RFC 6856) when the capabilities list it; a server that refuses it is
 * not an error (see mp_pop3_client_get_utf8()). A certificate that
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
  start_connect (self, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_connect_finish (MpPop3Client  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return _mp_pop3_client_propagate_boolean (self, result, error);
}


/* A new session on the same object, for a login that goes on after the
 * server hung up on a refused method. Waits for the old connection's
 * last I/O callback, forgets everything learnt on it, and connects as
 * mp_pop3_client_connect_async() does (TLS, STLS, CAPA, UTF8 again).
 */
static void
reconnect_quiescent (MpPop3Client *self,
                     gpointer      user_data)
{
  GTask *task = user_data;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  _mp_pop3_client_reset_connection (self);
  start_connect (self, task);
}

void
_mp_pop3_client_reconnect_async (MpPop3Client        *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _mp_pop3_client_reconnect_async);
  g_task_set_task_data (task, g_new0 (ConnectData, 1), (GDestroyNotify) connect_data_free);

  if (self->state != STATE_CLOSED)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("The session is still open"));
      return;
    }

  _mp_pop3_client_when_quiescent (self, reconnect_quiescent, g_steal_pointer (&task));
}

gboolean
_mp_pop3_client_reconnect_finish (MpPop3Client  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return _mp_pop3_client_propagate_boolean (self, result, error);
}

/* Ending a session that will not log in: QUIT, then a TLS close_notify,
 * so that the server logs a clean logout rather than a dropped client.
 * Never fails; the session is closed when it completes.
 */
static void
shutdown_end (GTask *task)
{
  MpPop3Client *self = g_task_get_source_object (task);
  g_autoptr(GError) ended = NULL;

  ended = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("The session has ended"));
  _mp_pop3_client_fail_connection (self, ended);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
shutdown_closed_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  g_autoptr(GError) error = NULL;

  /* The server may well have closed first: nothing to do about it. */
  if (!g_io_stream_close_finish (G_IO_STREAM (object), result, &error))
    g_debug ("closing the TLS connection: %s", error->message);
  shutdown_end (task);
}

static void
shutdown_quit_done (MpPop3Client *self,
                    Reply        *reply,
                    const GError *error,
                    gpointer      user_data)
{
  GTask *task = user_data;

  if (error == NULL && G_IS_TLS_CONNECTION (self->stream))
    {
      g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL,
                               shutdown_closed_cb, task);
      return;
    }

  shutdown_end (task);
}

void
_mp_pop3_client_shutdown_async (MpPop3Client        *self,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, _mp_pop3_client_shutdown_async);

  if (self->state != STATE_AUTHORIZATION && self->state != STATE_TRANSACTION)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  _mp_pop3_client_queue_command (self, "QUIT", 0, 0, shutdown_quit_done,
                                 g_steal_pointer (&task));
}

/* What the greeting and CAPA said */

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

/**
 * mp_pop3_client_get_utf8:
 *
 * Returns: %TRUE if the server advertised `UTF8` (RFC 6856) and accepted
 *   the `UTF8` command this session sent before logging in: the headers
 *   of the messages may then hold raw UTF-8
 */
gboolean
mp_pop3_client_get_utf8 (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  return self->utf8;
}

/**
 * mp_pop3_client_get_top_refused:
 *
 * Whether TOP is unusable in this session (TOP is optional in RFC 1939):
 * %TRUE when the last CAPA that worked did not list `TOP`, or once the
 * server answered `-ERR` to a TOP of mp_pop3_client_top_many_async() for
 * a message that exists: one within the size of the maildrop that STAT or
 * LIST reported in this session (or any message, before either did). In
 * a POP3 session the messages are fixed (RFC 1939 §8: the maildrop is
 * locked), so such a `-ERR` is about TOP; a server that lets another
 * session expunge under us is taken for one that refuses TOP, which only
 * costs the caller a RETR.
 *
 * From then on mp_pop3_client_top_async() and every item of
 * mp_pop3_client_top_many_async() not yet sent fail at once with
 * %MP_POP3_ERROR_NOT_SUPPORTED, without sending TOP; a caller takes the
 * headers from a RETR instead (for small messages) or does without.
 *
 * Returns: %TRUE if TOP is known not to work in this session
 */
gboolean
mp_pop3_client_get_top_refused (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  if (self->top_refused)
    return TRUE;
  return self->capa_supported && find_capability (self, "TOP") == NULL;
}
