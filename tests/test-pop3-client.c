/* test-pop3-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * MpPop3Client against the in-process test server: one test per behaviour
 * of DESIGN.md §2 and per quirk of §6. The client runs in the test's main
 * context; every wait on it has a guard timeout.
 */

#define G_LOG_DOMAIN "test-pop3-client"

#include <string.h>

#include "mp-pop3-client.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_SECONDS 20
#define USER          "alice"
#define PASSWORD      "secret"

/* Declares `result`, starts the call and waits for it with a guard timeout. */
#define AWAIT(call_async, ...)                                  \
  g_autoptr(GAsyncResult) result = NULL;                        \
  call_async (__VA_ARGS__, mp_test_result_cb, &result);         \
  mp_test_await (&result, GUARD_SECONDS)

static gboolean
do_connect_cancellable (MpPop3Client  *client,
                        GCancellable  *cancellable,
                        GError       **error)
{
  AWAIT (mp_pop3_client_connect_async, client, cancellable);
  return mp_pop3_client_connect_finish (client, result, error);
}

static gboolean
do_connect (MpPop3Client  *client,
            GError       **error)
{
  return do_connect_cancellable (client, NULL, error);
}

static gboolean
do_login (MpPop3Client      *client,
          const char        *user,
          const char        *password,
          MpPop3AuthMethod   method,
          GError           **error)
{
  AWAIT (mp_pop3_client_login_async, client, user, password, method, NULL);
  return mp_pop3_client_login_finish (client, result, error);
}

static gboolean
do_stat (MpPop3Client  *client,
         guint         *count,
         guint64       *size,
         GError       **error)
{
  AWAIT (mp_pop3_client_stat_async, client, NULL);
  return mp_pop3_client_stat_finish (client, result, count, size, error);
}

static GArray *
do_list (MpPop3Client  *client,
         GError       **error)
{
  AWAIT (mp_pop3_client_list_async, client, NULL);
  return mp_pop3_client_list_finish (client, result, error);
}

static GPtrArray *
do_uidl (MpPop3Client  *client,
         GError       **error)
{
  AWAIT (mp_pop3_client_uidl_async, client, NULL);
  return mp_pop3_client_uidl_finish (client, result, error);
}

static GBytes *
do_top (MpPop3Client  *client,
        guint          number,
        guint          lines,
        gsize          max_bytes,
        GError       **error)
{
  AWAIT (mp_pop3_client_top_async, client, number, lines, max_bytes, NULL);
  return mp_pop3_client_top_finish (client, result, error);
}

static GBytes *
do_retr (MpPop3Client  *client,
         guint          number,
         gsize          max_bytes,
         GError       **error)
{
  AWAIT (mp_pop3_client_retr_async, client, number, max_bytes, NULL);
  return mp_pop3_client_retr_finish (client, result, error);
}

static gboolean
do_dele (MpPop3Client  *client,
         guint          number,
         GError       **error)
{
  AWAIT (mp_pop3_client_dele_async, client, number, NULL);
  return mp_pop3_client_dele_finish (client, result, error);
}

static gboolean
do_rset (MpPop3Client  *client,
         GError       **error)
{
  AWAIT (mp_pop3_client_rset_async, client, NULL);
  return mp_pop3_client_rset_finish (client, result, error);
}

static gboolean
do_noop_cancellable (MpPop3Client  *client,
                     GCancellable  *cancellable,
                     GError       **error)
{
  AWAIT (mp_pop3_client_noop_async, client, cancellable);
  return mp_pop3_client_noop_finish (client, result, error);
}

static gboolean
do_noop (MpPop3Client  *client,
         GError       **error)
{
  return do_noop_cancellable (client, NULL, error);
}

static gboolean
do_last (MpPop3Client  *client,
         guint         *last,
         GError       **error)
{
  AWAIT (mp_pop3_client_last_async, client, NULL);
  return mp_pop3_client_last_finish (client, result, last, error);
}

static gboolean
do_quit (MpPop3Client  *client,
         GError       **error)
{
  AWAIT (mp_pop3_client_quit_async, client, NULL);
  return mp_pop3_client_quit_finish (client, result, error);
}

static GPtrArray *
do_top_many (MpPop3Client  *client,
             const guint   *numbers,
             guint          n_numbers,
             guint          lines,
             gsize          max_bytes,
             GError       **error)
{
  AWAIT (mp_pop3_client_top_many_async, client, numbers, n_numbers, lines, max_bytes, NULL);
  return mp_pop3_client_top_many_finish (client, result, error);
}

static GPtrArray *
do_dele_many (MpPop3Client  *client,
              const guint   *numbers,
              guint          n_numbers,
              GError       **error)
{
  AWAIT (mp_pop3_client_dele_many_async, client, numbers, n_numbers, NULL);
  return mp_pop3_client_dele_many_finish (client, result, error);
}

/* ---- set-up helpers ---------------------------------------------------- */

static MpTestServer *
mailbox_new (void)
{
  MpTestServer *server = mp_test_server_new ();

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  return server;
}

static void
start (MpTestServer *server)
{
  g_autoptr(GError) error = NULL;

  mp_test_server_start (server, &error);
  g_assert_no_error (error);
}

static MpPop3Client *
client_new (MpTestServer   *server,
            MpPop3Security  security)
{
  MpPop3Client *client = mp_pop3_client_new ("127.0.0.1", mp_test_server_get_port (server), security);

  mp_pop3_client_set_timeout (client, 5);
  return client;
}

/* A client logged in with USER/PASS on a cleartext connection. */
static MpPop3Client *
logged_in_client (MpTestServer *server)
{
  MpPop3Client *client = client_new (server, MP_POP3_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  do_connect (client, &error);
  g_assert_no_error (error);
  do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error);
  g_assert_no_error (error);

  return client;
}

static GTlsCertificate *
make_certificate (char **cert_path)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "tls", NULL);
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;

  certificate = mp_test_make_certificate (dir, cert_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (certificate);

  return certificate;
}

/* The SHA-256 fingerprint as openssl prints it, to check ours against. */
static char *
openssl_fingerprint (const char *cert_path)
{
  const char *argv[] = { "openssl", "x509", "-noout", "-fingerprint", "-sha256",
                         "-in", cert_path, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  const char *eq;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);

  eq = strchr (out, '=');
  g_assert_nonnull (eq);
  return g_ascii_strup (g_strstrip ((char *) eq + 1), -1);
}

static void
assert_no_credentials_sent (MpTestServer *server)
{
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_false (mp_test_server_log_contains (server, "*" PASSWORD "*"));
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_strndup (data, len);
}

/* The start of a scripted session for a USER/PASS login without CAPA. */
static void
script_login (MpTestScript *script)
{
  mp_test_script_send (script, "+OK scripted server ready\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "-ERR no CAPA here\r\n");
  mp_test_script_expect (script, "USER " USER);
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_expect (script, "PASS " PASSWORD);
  mp_test_script_send (script, "+OK logged in\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "-ERR still no CAPA\r\n");
}

static MpTestServer *
script_server (MpTestScript *script)
{
  MpTestServer *server = mp_test_server_new ();

  mp_test_server_add_script (server, script);
  start (server);
  return server;
}

/* ---- greeting and capabilities ----------------------------------------- */

static void
test_greeting (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_greeting (server, "+OK Hello from the test server");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (mp_pop3_client_get_greeting (client), ==, "Hello from the test server");
  g_assert_true (mp_pop3_client_is_connected (client));
  g_assert_false (mp_pop3_client_get_encrypted (client));
  g_assert_true (mp_pop3_client_get_capa_supported (client));
  g_assert_true (mp_pop3_client_has_capability (client, "TOP"));
  g_assert_true (mp_pop3_client_has_capability (client, "uidl"));
  g_assert_true (mp_pop3_client_has_sasl_mechanism (client, "CRAM-MD5"));
  g_assert_false (mp_pop3_client_has_capability (client, "STLS"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "CAPA"), ==, 1);
}

static void
test_greeting_err (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_greeting (server, "-ERR [SYS/TEMP] overloaded, try later");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_SYS_TEMP);
  g_assert_false (mp_pop3_client_is_connected (client));
}

static void
test_greeting_garbage (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_script_send (script, "* OK IMAP4rev1 server ready\r\n");
  mp_test_script_expect_closed (script);
  server = script_server (script);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  mp_test_server_assert_no_failures (server);
}

static void
test_capa_unsupported (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_CAPA);
  mp_test_server_fill (server, 2);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (mp_pop3_client_get_capa_supported (client));

  /* Without CAPA nothing says USER is missing: AUTO must still work. */
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_USER);
  g_assert_false (mp_pop3_client_get_pipelining (client));
}

/* Capabilities are asked before STLS, again inside TLS (the cleartext
 * list may have been forged) and again after login. */
static void
test_capa_phases_starttls (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT,
                                   "STLS", "X-CLEARTEXT", "SASL PLAIN", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_TLS,
                                   "USER", "X-INSIDE-TLS", "SASL PLAIN LOGIN", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_LOGGED_IN,
                                   "TOP", "UIDL", "PIPELINING", "X-LOGGED-IN", NULL);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);

  g_assert_true (mp_pop3_client_get_encrypted (client));
  g_assert_true (mp_pop3_client_has_capability (client, "X-INSIDE-TLS"));
  g_assert_false (mp_pop3_client_has_capability (client, "X-CLEARTEXT"));
  g_assert_false (mp_pop3_client_has_capability (client, "STLS"));
  g_assert_true (mp_pop3_client_has_sasl_mechanism (client, "LOGIN"));

  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_true (mp_pop3_client_has_capability (client, "X-LOGGED-IN"));
  g_assert_false (mp_pop3_client_has_capability (client, "X-INSIDE-TLS"));
  g_assert_true (mp_pop3_client_get_pipelining (client));

  g_assert_cmpuint (mp_test_server_get_command_count (server, "CAPA"), ==, 3);
  g_assert_cmpuint (mp_test_server_get_n_handshakes (server, TRUE), ==, 1);
  mp_test_server_assert_no_failures (server);
}

static void
test_capa_phases_cleartext (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT, "USER", "X-BEFORE", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_LOGGED_IN, "TOP", "X-AFTER", NULL);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (mp_pop3_client_has_capability (client, "X-BEFORE"));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_true (mp_pop3_client_has_capability (client, "X-AFTER"));
  g_assert_false (mp_pop3_client_has_capability (client, "X-BEFORE"));
  g_assert_false (mp_pop3_client_get_pipelining (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "CAPA"), ==, 2);
}

/* ---- STLS -------------------------------------------------------------- */

static void
test_stls_missing (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) login_error = NULL;

  /* No certificate: the server does not offer STLS. */
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "STLS"));
  g_assert_false (mp_pop3_client_is_connected (client));

  /* A caller that tries anyway gets nothing on the wire. */
  g_assert_false (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &login_error));
  g_assert_nonnull (login_error);

  g_assert_cmpuint (mp_test_server_get_command_count (server, "STLS"), ==, 0);
  assert_no_credentials_sent (server);
}

/* A man in the middle strips STLS from the cleartext CAPA. */
static void
test_stls_stripped (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (NULL);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT,
                                   "USER", "SASL PLAIN LOGIN CRAM-MD5", "TOP", NULL);
  mp_test_server_set_apop_timestamp (server, "<1896.697170952@dbc.mindspring.com>");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE);

  assert_no_credentials_sent (server);
}

static void
test_stls_refused (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (NULL);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_stls_reply (server, "-ERR [SYS/TEMP] TLS not available right now\r\n");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_UNAVAILABLE);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "STLS"), ==, 1);
  assert_no_credentials_sent (server);
}

/* Bytes injected after "+OK" to STLS (CVE-2011-0411 style) must never be
 * taken for a reply inside TLS. */
static void
test_stls_injected (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_stls_reply (server,
                                 "+OK Begin TLS\r\n"
                                 "+OK injected capability list\r\n"
                                 "X-INJECTED\r\n"
                                 "USER\r\n"
                                 ".\r\n");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));

  if (do_connect (client, &error))
    {
      /* The injected bytes were dropped: what we know came through TLS. */
      g_assert_no_error (error);
      g_assert_true (mp_pop3_client_get_encrypted (client));
      g_assert_false (mp_pop3_client_has_capability (client, "X-INJECTED"));
      g_assert_true (mp_pop3_client_has_capability (client, "UIDL"));
      g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
      g_assert_no_error (error);
    }
  else
    {
      g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_FAILED);
      g_assert_false (mp_pop3_client_has_capability (client, "X-INJECTED"));
      assert_no_credentials_sent (server);
    }

  /* Nothing in cleartext after STLS. */
  mp_test_server_assert_no_failures (server);
}

/* Injected bytes that arrive after the client started its handshake are
 * garbage for TLS: the handshake fails and nothing is accepted. */
static void
test_stls_injected_late (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_script_send (script, "+OK ready\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "+OK\r\nSTLS\r\nUSER\r\n.\r\n");
  mp_test_script_expect (script, "STLS");
  mp_test_script_send (script, "+OK go ahead\r\n");
  mp_test_script_sleep (script, 200);
  mp_test_script_send (script, "+OK\r\nX-INJECTED\r\n.\r\n");
  mp_test_script_start_tls (script);
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "+OK\r\nUSER\r\n.\r\n");
  mp_test_script_hang (script);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_add_script (server, script);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_false (do_connect (client, &error));
  g_assert_nonnull (error);
  g_assert_true (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_FAILED) ||
                 g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED));
  g_assert_false (mp_pop3_client_has_capability (client, "X-INJECTED"));
  g_clear_object (&client);

  assert_no_credentials_sent (server);
}

/* An untrusted certificate after STLS ends the session: no fallback to
 * the cleartext connection that is still there. */
static void
test_stls_untrusted (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) login_error = NULL;

  certificate = make_certificate (NULL);
  mp_test_server_set_certificate (server, certificate);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE);
  g_assert_nonnull (mp_pop3_client_get_peer_certificate (client));
  g_assert_false (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &login_error));
  g_assert_nonnull (login_error);
  g_clear_object (&client);

  assert_no_credentials_sent (server);
}

/* A server without CAPA may still do STLS; the client tries it. */
static void
test_stls_without_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_CAPA);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (mp_pop3_client_get_encrypted (client));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
}

/* The password goes over the wire only after the handshake. */
static void
test_stls_login_inside (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) log = NULL;
  gint stls_at = -1, pass_at = -1;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_true (do_quit (client, &error));
  g_assert_no_error (error);

  log = mp_test_server_get_log (server);
  for (gint i = 0; log[i] != NULL; i++)
    {
      if (g_str_equal (log[i], "STLS"))
        stls_at = i;
      else if (g_str_has_prefix (log[i], "PASS "))
        pass_at = i;
    }
  g_assert_cmpint (stls_at, >=, 0);
  g_assert_cmpint (pass_at, >, stls_at);
  g_assert_cmpuint (mp_test_server_get_n_handshakes (server, TRUE), ==, 1);
}

/* ---- implicit TLS and certificates ------------------------------------- */

static MpTestServer *
tls_server (GTlsCertificate *certificate)
{
  MpTestServer *server = mailbox_new ();

  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_implicit_tls (server, TRUE);
  mp_test_server_fill (server, 1);
  start (server);

  return server;
}

static void
test_tls_untrusted (void)
{
  g_autofree char *cert_path = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&cert_path);
  g_autoptr(MpTestServer) server = tls_server (certificate);
  g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_TLS);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = openssl_fingerprint (cert_path);
  g_autofree char *fingerprint = NULL;
  GTlsCertificate *peer;

  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE);

  peer = mp_pop3_client_get_peer_certificate (client);
  g_assert_nonnull (peer);
  g_assert_true (g_tls_certificate_is_same (peer, certificate));
  g_assert_true (mp_pop3_client_get_peer_certificate_errors (client) & G_TLS_CERTIFICATE_UNKNOWN_CA);

  fingerprint = mp_pop3_certificate_get_fingerprint (peer);
  g_assert_cmpstr (fingerprint, ==, expected);
  g_assert_nonnull (strstr (error->message, fingerprint));
  g_assert_nonnull (strstr (error->message, "certificate"));

  /* Nothing was said in the session. */
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "CAPA"), ==, 0);
  assert_no_credentials_sent (server);
}

static void
test_tls_ca_file (void)
{
  g_autofree char *cert_path = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&cert_path);
  g_autoptr(MpTestServer) server = tls_server (certificate);
  g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_TLS);
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_no_error (error);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (mp_pop3_client_get_encrypted (client));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_true (do_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 1);
}

static void
test_tls_ca_file_missing (void)
{
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1", 995, MP_POP3_SECURITY_TLS);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (g_get_user_cache_dir (), "no-such.pem", NULL);

  g_assert_false (mp_pop3_client_set_ca_file (client, path, &error));
  g_assert_nonnull (error);
}

static void
test_tls_pinned (void)
{
  g_autofree char *cert_path = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&cert_path);
  g_autoptr(MpTestServer) server = tls_server (certificate);
  g_autofree char *fingerprint = openssl_fingerprint (cert_path);
  g_autoptr(GError) error = NULL;

  /* As openssl prints it, and in the other accepted spellings. */
  {
    g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_TLS);

    g_assert_true (mp_pop3_client_set_pinned_fingerprint (client, fingerprint, &error));
    g_assert_no_error (error);
    g_assert_true (do_connect (client, &error));
    g_assert_no_error (error);
    g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_TLS);
    g_autoptr(GString) bare = g_string_new (NULL);

    for (const char *p = fingerprint; *p; p++)
      if (*p != ':')
        g_string_append_c (bare, g_ascii_tolower (*p));

    g_assert_true (mp_pop3_client_set_pinned_fingerprint (client, bare->str, &error));
    g_assert_true (do_connect (client, &error));
    g_assert_no_error (error);
  }
}

static void
test_tls_wrong_pin (void)
{
  g_autofree char *cert_path = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&cert_path);
  g_autoptr(MpTestServer) server = tls_server (certificate);
  g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_TLS);
  g_autofree char *fingerprint = openssl_fingerprint (cert_path);
  g_autoptr(GError) error = NULL;

  /* Another certificate's fingerprint: change one digit. */
  fingerprint[0] = fingerprint[0] == '0' ? '1' : '0';
  g_assert_true (mp_pop3_client_set_pinned_fingerprint (client, fingerprint, &error));
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE);
  g_assert_nonnull (mp_pop3_client_get_peer_certificate (client));

  assert_no_credentials_sent (server);
}

static void
test_tls_bad_pin_format (void)
{
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1", 995, MP_POP3_SECURITY_TLS);
  g_autoptr(GError) error = NULL;

  g_assert_false (mp_pop3_client_set_pinned_fingerprint (client, "12:34:zz", &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT);
}

/* Implicit TLS against a cleartext server: fail, never read the greeting. */
static void
test_tls_against_cleartext (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  start (server);
  client = client_new (server, MP_POP3_SECURITY_TLS);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TLS_FAILED);
  assert_no_credentials_sent (server);
}

/* ---- authentication ---------------------------------------------------- */

static void
test_auth_user_pass (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;

  start (server);
  client = logged_in_client (server);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_USER);
  g_assert_true (mp_test_server_log_contains (server, "USER " USER));
  g_assert_true (mp_test_server_log_contains (server, "PASS " PASSWORD));
  g_assert_cmpuint (mp_pop3_client_get_command_count (client, "PASS"), ==, 1);
}

static void
test_auth_wrong_password (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, USER, "wrong", MP_POP3_AUTH_USER, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "password"));
}

static const char *apop_timestamp = "<1896.697170952@dbc.mindspring.com>";

static void
test_auth_apop (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, apop_timestamp);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_APOP, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_APOP);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
  g_assert_false (mp_test_server_log_contains (server, "*" PASSWORD "*"));
}

static void
test_auth_apop_wrong_password (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, apop_timestamp);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, USER, "wrong", MP_POP3_AUTH_APOP, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
}

static void
test_auth_apop_bad_timestamp (gconstpointer data)
{
  const char *timestamp = data;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, timestamp);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (do_login (client, USER, PASSWORD, MP_POP3_AUTH_APOP, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_clear_object (&client);

  assert_no_credentials_sent (server);
}

static void
test_auth_plain_initial_response (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) log = NULL;
  gboolean found = FALSE;

  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_PLAIN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_PLAIN);

  log = mp_test_server_get_log (server);
  for (guint i = 0; log[i] != NULL; i++)
    {
      if (g_str_has_prefix (log[i], "AUTH PLAIN "))
        {
          /* RFC 5034 §4: 255 octets with the CRLF. */
          g_assert_cmpuint (strlen (log[i]) + 2, <=, 255);
          g_assert_false (found);
          found = TRUE;
          /* No challenge round: the next line is the CAPA after login. */
          g_assert_cmpstr (log[i + 1], ==, "CAPA");
        }
    }
  g_assert_true (found);
}

static void
test_auth_plain_long (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *user = g_strnfill (120, 'u');
  g_autofree char *password = g_strnfill (120, 'p');
  g_auto(GStrv) log = NULL;

  mp_test_server_set_mailbox_mode (server, user, password);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, user, password, MP_POP3_AUTH_PLAIN, &error));
  g_assert_no_error (error);

  /* base64 of 242 octets is 324 characters: too long for an initial
   * response, so "AUTH PLAIN" goes alone and the credentials follow the
   * empty challenge. */
  log = mp_test_server_get_log (server);
  g_assert_true (g_strv_contains ((const char * const *) log, "AUTH PLAIN"));
  g_assert_false (mp_test_server_log_contains (server, "AUTH PLAIN ?*"));
}

static void
test_auth_login (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_LOGIN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_LOGIN);
  g_assert_true (mp_test_server_log_contains (server, "AUTH LOGIN"));
}

static void
test_auth_cram_md5 (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *b64_password = g_base64_encode ((const guchar *) PASSWORD, strlen (PASSWORD));
  g_autofree char *pattern = g_strdup_printf ("*%s*", b64_password);

  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  /* The server checks the HMAC against the password it knows. */
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_CRAM_MD5, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_CRAM_MD5);
  g_assert_false (mp_test_server_log_contains (server, "*" PASSWORD "*"));
  g_assert_false (mp_test_server_log_contains (server, pattern));
}

static void
test_auth_cram_md5_wrong (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, USER, "wrong", MP_POP3_AUTH_CRAM_MD5, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
}

static void
test_auth_odd_challenge (gconstpointer data)
{
  MpPop3AuthMethod method = GPOINTER_TO_INT (data);
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_sasl_challenge (server, "!!! this is not base64 !!!");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, USER, PASSWORD, method, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_clear_object (&client);

  /* RFC 5034 §4: the client cancels the exchange with "*". */
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  {
    g_auto(GStrv) log = mp_test_server_get_log (server);

    g_assert_true (g_strv_contains ((const char * const *) log, "*"));
  }
  g_assert_false (mp_test_server_log_contains (server, "*" PASSWORD "*"));
}

/* PLAIN has an empty challenge (RFC 4616); anything that is not base64
 * is as odd there as anywhere, and no credentials go out in answer. */
static void
test_auth_odd_challenge_plain (void)
{
  g_autofree char *user = g_strnfill (120, 'u');
  g_autofree char *password = g_strnfill (120, 'p');
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) log = NULL;

  /* Credentials too long for an initial response, so the client waits
   * for the server's challenge. */
  mp_test_server_set_mailbox_mode (server, user, password);
  mp_test_server_set_sasl_challenge (server, "!!! this is not base64 !!!");
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, user, password, MP_POP3_AUTH_PLAIN, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_clear_object (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  log = mp_test_server_get_log (server);
  g_assert_true (g_strv_contains ((const char * const *) log, "AUTH PLAIN"));
  g_assert_true (g_strv_contains ((const char * const *) log, "*"));
}

static void
test_auth_line_breaks (void)
{
  static const struct {
    const char *user;
    const char *password;
  } cases[] = {
    { "ali\r\nce", PASSWORD },
    { "alice\n", PASSWORD },
    { USER, "sec\rret" },
    { USER, "secret\r\nDELE 1" },
  };
  static const MpPop3AuthMethod methods[] = {
    MP_POP3_AUTH_AUTO, MP_POP3_AUTH_USER, MP_POP3_AUTH_APOP,
    MP_POP3_AUTH_PLAIN, MP_POP3_AUTH_LOGIN, MP_POP3_AUTH_CRAM_MD5,
  };
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, apop_timestamp);
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
      {
        g_assert_false (do_login (client, cases[i].user, cases[i].password, methods[m], &error));
        g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT);
        g_clear_error (&error);
      }

  /* Nothing went out; the session is still usable. */
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_false (mp_test_server_log_contains (server, "DELE*"));
}

/* A cleartext account the user chose: prefer what hides the password. */
static void
test_auth_auto_cleartext_cram (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, apop_timestamp);
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_CRAM_MD5);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
  g_assert_false (mp_test_server_log_contains (server, "*" PASSWORD "*"));
}

static void
test_auth_auto_cleartext_apop (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, apop_timestamp);
  mp_test_server_set_sasl_mechanisms (server, "PLAIN LOGIN");
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_APOP);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 0);
}

/* With a bad timestamp APOP is not an option, not an error. */
static void
test_auth_auto_bad_apop (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, "<no-at-sign>");
  mp_test_server_set_sasl_mechanisms (server, "");
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_USER);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
}

static void
test_auth_unsupported_mechanism (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_sasl_mechanisms (server, "PLAIN");
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, USER, PASSWORD, MP_POP3_AUTH_CRAM_MD5, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH_UNSUPPORTED);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 0);
}

typedef struct
{
  const char  *reply;
  MpPop3Error  code;
} CodeCase;

static const CodeCase code_cases[] = {
  { "-ERR [IN-USE] Mailbox locked by another session", MP_POP3_ERROR_IN_USE },
  { "-ERR [LOGIN-DELAY] Wait 5 minutes between logins", MP_POP3_ERROR_LOGIN_DELAY },
  { "-ERR [SYS/TEMP] Storage is busy", MP_POP3_ERROR_SYS_TEMP },
  { "-ERR [SYS/TEMP/DISK] Disk full, try later", MP_POP3_ERROR_SYS_TEMP },
  { "-ERR [SYS/PERM] Mailbox is corrupt", MP_POP3_ERROR_SYS_PERM },
  { "-ERR [AUTH] Account disabled", MP_POP3_ERROR_AUTH },
  { "-ERR Login failed", MP_POP3_ERROR_AUTH },
};

static void
test_auth_response_code (gconstpointer data)
{
  const CodeCase *c = data;
  static const MpPop3AuthMethod methods[] = {
    MP_POP3_AUTH_USER, MP_POP3_AUTH_PLAIN, MP_POP3_AUTH_CRAM_MD5,
  };

  for (guint m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      g_autoptr(MpTestServer) server = mailbox_new ();
      g_autoptr(MpPop3Client) client = NULL;
      g_autoptr(GError) error = NULL;

      mp_test_server_set_login_error (server, c->reply);
      start (server);
      client = client_new (server, MP_POP3_SECURITY_NONE);
      g_assert_true (do_connect (client, &error));
      g_assert_false (do_login (client, USER, PASSWORD, methods[m], &error));
      g_assert_error (error, MP_POP3_ERROR, (gint) c->code);
    }
}

/* ---- transaction commands ---------------------------------------------- */

static const char message_one[] =
  "From: Boris <boris@example.ru>\r\n"
  "Subject: dots\r\n"
  "\r\n"
  "first body line\r\n"
  ".leading dot\r\n"
  ".\r\n"
  "..\r\n"
  "last line\r\n";

static MpTestServer *
commands_server (MpTestQuirks quirks)
{
  MpTestServer *server = mailbox_new ();

  mp_test_server_set_quirks (server, quirks);
  mp_test_server_add_message (server, "uid-one", message_one);
  mp_test_server_fill (server, 2);
  start (server);

  return server;
}

static void
test_cmd_stat (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = NULL;
  guint count = 0;
  guint64 size = 0, sum = 0;

  g_assert_true (do_stat (client, &count, &size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 3);

  list = do_list (client, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    sum += g_array_index (list, MpPop3ListEntry, i).size;
  g_assert_cmpuint (size, ==, sum);
}

static void
test_cmd_list (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = NULL;

  list = do_list (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  for (guint i = 0; i < list->len; i++)
    g_assert_cmpuint (g_array_index (list, MpPop3ListEntry, i).number, ==, i + 1);
  /* LIST counts octets with CRLF line ends, before stuffing. */
  g_assert_cmpuint (g_array_index (list, MpPop3ListEntry, 0).size, ==, strlen (message_one));
}

static void
test_cmd_uidl (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autofree char *long_uid = g_strnfill (70, 'Z');
  MpPop3UidlEntry *entry;

  mp_test_server_add_message (server, "plain-uid", "Subject: 1\r\n\r\n");
  mp_test_server_add_message (server, long_uid, "Subject: 2\r\n\r\n");
  /* Outside 0x21..0x7E (and '%' itself): escaped by the client. */
  mp_test_server_add_message (server, "odd\xe9%uid", "Subject: 3\r\n\r\n");
  start (server);
  client = logged_in_client (server);

  uidl = do_uidl (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, 3);
  entry = g_ptr_array_index (uidl, 0);
  g_assert_cmpuint (entry->number, ==, 1);
  g_assert_cmpstr (entry->uid, ==, "plain-uid");
  entry = g_ptr_array_index (uidl, 1);
  g_assert_cmpstr (entry->uid, ==, long_uid);
  entry = g_ptr_array_index (uidl, 2);
  g_assert_cmpuint (entry->number, ==, 3);
  g_assert_true (g_utf8_validate (entry->uid, -1, NULL));
  g_assert_cmpstr (entry->uid, ==, "odd%E9%25uid");
}

static void
test_cmd_uidl_unsupported (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NO_UIDL);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uidl = NULL;

  g_assert_false (mp_pop3_client_has_capability (client, "UIDL"));
  uidl = do_uidl (client, &error);
  g_assert_null (uidl);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);

  /* The session survives. */
  g_clear_error (&error);
  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
}

/* The engine reports what the server says; judging duplicates and ghost
 * numbers is for the core (which must see them to refuse to guess). */
static void
test_cmd_uidl_odd_listing (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GArray) list = NULL;

  mp_test_server_add_message (server, "same", "Subject: a\r\n\r\n");
  mp_test_server_add_message (server, "same", "Subject: b\r\n\r\n");
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_UIDL_EXTRA);
  start (server);
  client = logged_in_client (server);

  list = do_list (client, &error);
  g_assert_no_error (error);
  uidl = do_uidl (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpuint (uidl->len, ==, 3);
  g_assert_cmpstr (((MpPop3UidlEntry *) g_ptr_array_index (uidl, 0))->uid, ==, "same");
  g_assert_cmpstr (((MpPop3UidlEntry *) g_ptr_array_index (uidl, 1))->uid, ==, "same");
  g_assert_cmpuint (((MpPop3UidlEntry *) g_ptr_array_index (uidl, 2))->number, ==, 3);
}

static void
test_cmd_top (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) header = NULL;
  g_autoptr(GBytes) more = NULL;
  g_autofree char *header_text = NULL;
  g_autofree char *more_text = NULL;

  header = do_top (client, 1, 0, 64 * 1024, &error);
  g_assert_no_error (error);
  header_text = bytes_to_string (header);
  g_assert_cmpstr (header_text, ==, "From: Boris <boris@example.ru>\r\nSubject: dots\r\n\r\n");

  more = do_top (client, 1, 2, 64 * 1024, &error);
  g_assert_no_error (error);
  more_text = bytes_to_string (more);
  g_assert_cmpstr (more_text, ==,
                   "From: Boris <boris@example.ru>\r\nSubject: dots\r\n\r\n"
                   "first body line\r\n.leading dot\r\n");
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 2);
}

static void
test_cmd_top_missing (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = do_top (client, 42, 0, 64 * 1024, &error);
  g_assert_null (data);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_true (do_noop (client, &error));
}

static void
test_cmd_retr (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = do_retr (client, 1, 1024 * 1024, &error);
  g_assert_no_error (error);
  /* Byte-identical to the message: stuffing undone, "." and ".." kept. */
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   message_one, strlen (message_one));
}

static void
test_cmd_dele_quit (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_assert_true (do_dele (client, 1, &error));
  g_assert_no_error (error);
  g_assert_true (do_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 2);
  /* Marked, not deleted. */
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);

  g_assert_true (do_quit (client, &error));
  g_assert_no_error (error);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
  g_assert_false (mp_test_server_has_uid (server, "uid-one"));
}

static void
test_cmd_dele_twice (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_dele (client, 2, &error));
  g_assert_false (do_dele (client, 2, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
}

static void
test_cmd_dele_rset (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_dele (client, 1, &error));
  g_assert_true (do_rset (client, &error));
  g_assert_no_error (error);
  g_assert_true (do_quit (client, &error));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_cmd_dele_close (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_dele (client, 1, &error));
  mp_pop3_client_close (client);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);

  /* A closed session refuses commands. */
  g_assert_false (do_noop (client, &error));
  g_assert_nonnull (error);
}

static void
test_cmd_dele_many (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_PIPELINING);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  const guint numbers[] = { 1, 3, 7 };

  results = do_dele_many (client, numbers, G_N_ELEMENTS (numbers), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 3);
  g_assert_no_error (((MpPop3Result *) g_ptr_array_index (results, 0))->error);
  g_assert_no_error (((MpPop3Result *) g_ptr_array_index (results, 1))->error);
  g_assert_nonnull (((MpPop3Result *) g_ptr_array_index (results, 2))->error);
  g_assert_cmpuint (((MpPop3Result *) g_ptr_array_index (results, 2))->number, ==, 7);

  g_assert_true (do_quit (client, &error));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
  g_assert_true (mp_test_server_has_uid (server, "uid-00000002"));
}

static void
test_cmd_noop (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "NOOP"), ==, 1);
  g_assert_cmpuint (mp_pop3_client_get_command_count (client, "noop"), ==, 1);
}

static void
test_cmd_last (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  guint last = 99;

  g_assert_true (do_last (client, &last, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (last, ==, 0);

  data = do_retr (client, 2, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_true (do_last (client, &last, &error));
  g_assert_cmpuint (last, ==, 2);
}

static void
test_cmd_quit_err (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_QUIT_ERR);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_dele (client, 1, &error));
  g_assert_false (do_quit (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_cmd_drop_after_dele (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_DROP_AFTER_DELE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;

  g_assert_true (do_dele (client, 1, &error));
  g_assert_no_error (error);
  g_assert_false (do_quit (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_cmd_not_logged_in (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = client_new (server, MP_POP3_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  g_assert_true (do_connect (client, &error));
  g_assert_false (do_stat (client, NULL, NULL, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "STAT"), ==, 0);
}

/* ---- pipelining -------------------------------------------------------- */

#define N_PIPELINE   500
#define DELAY_MSEC   20

static void
test_pipelining_top_many (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree guint *numbers = g_new (guint, N_PIPELINE);
  gint64 start_time, elapsed;

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_set_reply_delay (server, DELAY_MSEC);
  mp_test_server_fill (server, N_PIPELINE);
  start (server);
  client = logged_in_client (server);
  g_assert_true (mp_pop3_client_get_pipelining (client));

  for (guint i = 0; i < N_PIPELINE; i++)
    numbers[i] = i + 1;

  start_time = g_get_monotonic_time ();
  results = do_top_many (client, numbers, N_PIPELINE, 0, 64 * 1024, &error);
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, N_PIPELINE);

  for (guint i = 0; i < N_PIPELINE; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);
      g_autofree char *text = NULL;
      g_autofree char *subject = g_strdup_printf ("\r\nSubject: Message %u\r\n", i + 1);

      g_assert_no_error (r->error);
      g_assert_cmpuint (r->number, ==, i + 1);
      text = bytes_to_string (r->data);
      /* In order: each reply belongs to its own command. */
      g_assert_nonnull (strstr (text, subject));
    }

  g_test_message ("%u TOPs with %u ms per reply: %.3f s, depth %u",
                  N_PIPELINE, DELAY_MSEC, elapsed / 1e6, mp_test_server_get_max_depth (server));
  g_assert_cmpuint (mp_test_server_get_max_depth (server), >, 1);
  /* One at a time would need N_PIPELINE × DELAY_MSEC = 10 s. */
  g_assert_cmpint (elapsed, <, (gint64) N_PIPELINE * DELAY_MSEC * 1000 / 5);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, N_PIPELINE);
}

static void
run_sequential (MpTestQuirks quirks,
                gboolean     allowed)
{
  const guint n = 25;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree guint *numbers = g_new (guint, n);
  gint64 start_time, elapsed;

  mp_test_server_set_quirks (server, quirks);
  mp_test_server_set_reply_delay (server, DELAY_MSEC);
  mp_test_server_fill (server, n);
  start (server);
  client = client_new (server, MP_POP3_SECURITY_NONE);

  mp_pop3_client_set_pipelining_allowed (client, allowed);
  g_assert_true (do_connect (client, &error));
  g_assert_true (do_login (client, USER, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_false (mp_pop3_client_get_pipelining (client));

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;

  start_time = g_get_monotonic_time ();
  results = do_top_many (client, numbers, n, 0, 64 * 1024, &error);
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n);

  g_assert_cmpuint (mp_test_server_get_max_depth (server), ==, 1);
  /* The delay works: one round trip per command. */
  g_assert_cmpint (elapsed, >=, (gint64) n * DELAY_MSEC * 1000);
}

static void
test_pipelining_not_advertised (void)
{
  run_sequential (MP_TEST_QUIRK_NONE, TRUE);
}

static void
test_pipelining_not_allowed (void)
{
  run_sequential (MP_TEST_QUIRK_PIPELINING, FALSE);
}

static void
test_pipelining_expunged (void)
{
  const guint n = 60;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree guint *numbers = g_new (guint, n);

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_fill (server, n);
  start (server);
  client = logged_in_client (server);

  /* Another session removes message 30 after our LIST. */
  mp_test_server_set_expunged (server, 30, TRUE);

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;
  results = do_top_many (client, numbers, n, 0, 64 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, n);

  for (guint i = 0; i < n; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);

      g_assert_cmpuint (r->number, ==, i + 1);
      if (i + 1 == 30)
        {
          g_assert_error (r->error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
          g_assert_null (r->data);
        }
      else
        {
          g_autofree char *text = bytes_to_string (r->data);
          g_autofree char *subject = g_strdup_printf ("Subject: Message %u\r\n", i + 1);

          g_assert_no_error (r->error);
          g_assert_nonnull (strstr (text, subject));
        }
    }

  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
}

/* ---- reading and parsing quirks ---------------------------------------- */

/* A server that does not stuff a lone "." ends its reply early; what
 * follows must never be taken for the next reply. */
static void
test_quirk_unstuffed_dot (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NO_DOT_STUFFING);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *text = NULL;

  data = do_retr (client, 1, 1024 * 1024, &error);
  g_assert_no_error (error);
  text = bytes_to_string (data);
  g_assert_true (g_str_has_suffix (text, "first body line\r\nleading dot\r\n"));

  /* "..", "last line" and the real "." are left: garbage as a reply. */
  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_assert_false (mp_pop3_client_is_connected (client));
}

static void
test_quirk_bare_lf (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_BARE_LF);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  guint count = 0;

  g_assert_true (do_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, 3);
  uidl = do_uidl (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, 3);
  g_assert_cmpstr (((MpPop3UidlEntry *) g_ptr_array_index (uidl, 0))->uid, ==, "uid-one");

  data = do_retr (client, 1, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   message_one, strlen (message_one));
}

static void
test_quirk_first_line_dots (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  script_login (script);
  mp_test_script_expect (script, "TOP 1 0");
  mp_test_script_send (script, "+OK\r\n..\r\n...dots\r\nSubject: x\r\n\r\n.\r\n");
  mp_test_script_expect (script, "NOOP");
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_expect_closed (script);
  server = script_server (script);

  client = logged_in_client (server);
  data = do_top (client, 1, 0, 64 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   ".\r\n..dots\r\nSubject: x\r\n\r\n", strlen (".\r\n..dots\r\nSubject: x\r\n\r\n"));
  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
  g_clear_object (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  mp_test_server_assert_no_failures (server);
}

static void
test_quirk_endless_greeting (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_script_send (script, "+OK ");
  mp_test_script_send_huge (script, 64 * 1024 * 1024, 0);
  server = script_server (script);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG);
  g_clear_object (&client);

  /* The client hung up long before 64 MiB. */
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

static void
test_quirk_endless_status_line (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  script_login (script);
  mp_test_script_expect (script, "NOOP");
  mp_test_script_send (script, "+OK ");
  mp_test_script_send_huge (script, 64 * 1024 * 1024, 0);
  server = script_server (script);

  client = logged_in_client (server);
  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_clear_object (&client);
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

static void
test_quirk_huge_reply (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  script_login (script);
  mp_test_script_expect (script, "TOP 1 0");
  mp_test_script_send (script, "+OK here is a lot\r\n");
  mp_test_script_send_huge (script, G_GUINT64_CONSTANT (4) << 30, 76);
  server = script_server (script);

  client = logged_in_client (server);
  data = do_top (client, 1, 0, 256 * 1024, &error);
  g_assert_null (data);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE);
  g_clear_object (&client);
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

static MpTestServer *
top_whole_server (gsize body_size)
{
  MpTestServer *server = mailbox_new ();
  g_autoptr(GString) content = g_string_new ("Subject: big\r\n\r\n");

  while (content->len < body_size)
    g_string_append (content, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_TOP_WHOLE);
  mp_test_server_add_message (server, "big", content->str);
  start (server);

  return server;
}

static void
test_quirk_top_whole (void)
{
  g_autoptr(MpTestServer) server = top_whole_server (100 * 1024);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GArray) list = NULL;

  list = do_list (client, &error);
  g_assert_no_error (error);
  data = do_top (client, 1, 0, 1024 * 1024, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (data), ==, g_array_index (list, MpPop3ListEntry, 0).size);
  g_assert_true (do_noop (client, &error));
}

static void
test_quirk_top_whole_capped (void)
{
  g_autoptr(MpTestServer) server = top_whole_server (1024 * 1024);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = do_top (client, 1, 0, 16 * 1024, &error);
  g_assert_null (data);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE);
}

typedef struct
{
  const char *command;
  const char *reply;
} MalformedCase;

static const MalformedCase malformed_cases[] = {
  { "STAT", "+OK lots of mail\r\n" },
  { "LIST", "+OK\r\n1 120\r\ntwo 200\r\n.\r\n" },
  { "UIDL", "+OK\r\n1\r\n.\r\n" },
  { "LAST", "+OK many\r\n" },
};

/* Replies whose status is fine but whose content is not. */
static void
test_quirk_malformed (gconstpointer data)
{
  const MalformedCase *c = data;
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  script_login (script);
  mp_test_script_expect (script, c->command);
  mp_test_script_send (script, c->reply);
  mp_test_script_hang (script);
  server = script_server (script);
  client = logged_in_client (server);

  if (g_str_equal (c->command, "STAT"))
    ok = do_stat (client, NULL, NULL, &error);
  else if (g_str_equal (c->command, "LIST"))
    {
      g_autoptr(GArray) list = do_list (client, &error);
      ok = list != NULL;
    }
  else if (g_str_equal (c->command, "UIDL"))
    {
      g_autoptr(GPtrArray) uidl = do_uidl (client, &error);
      ok = uidl != NULL;
    }
  else
    ok = do_last (client, NULL, &error);

  g_assert_false (ok);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
}

static void
test_quirk_garbage_reply (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  script_login (script);
  mp_test_script_expect (script, "NOOP");
  mp_test_script_send (script, "+OKAY fine\r\n");
  mp_test_script_expect_closed (script);
  server = script_server (script);

  client = logged_in_client (server);
  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_clear_object (&client);
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  mp_test_server_assert_no_failures (server);
}

/* ---- connections that go wrong ----------------------------------------- */

static void
test_drop_mid_top (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_DROP_MID_TOP);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = do_top (client, 1, 10, 64 * 1024, &error);
  g_assert_null (data);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
  g_assert_false (mp_pop3_client_is_connected (client));
}

static void
test_drop_mid_retr (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_DROP_MID_RETR);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  data = do_retr (client, 1, 1024 * 1024, &error);
  g_assert_null (data);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);

  /* Later commands report the same end of the session. */
  g_clear_error (&error);
  g_assert_false (do_noop (client, &error));
  g_assert_nonnull (error);
}

static void
test_drop_mid_pipeline (void)
{
  const guint n = 40;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree guint *numbers = g_new (guint, n);

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  /* USER, PASS, CAPA, CAPA, then the tenth TOP. */
  mp_test_server_set_drop_after (server, 14);
  mp_test_server_fill (server, n);
  start (server);
  client = logged_in_client (server);

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;
  results = do_top_many (client, numbers, n, 0, 64 * 1024, &error);
  g_assert_null (results);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
}

static void
test_drop_after_greeting (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_script_send (script, "+OK ready\r\n");
  mp_test_script_close (script);
  server = script_server (script);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_false (do_connect (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
}

static void
test_drop_after_commands (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  /* CAPA, USER, PASS, CAPA, NOOP, then the second NOOP is never answered. */
  mp_test_server_set_drop_after (server, 6);
  start (server);
  client = logged_in_client (server);
  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
}

static void
test_too_many_errors (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_fill (server, 2);
  mp_test_server_set_max_errors (server, 3);
  start (server);
  client = logged_in_client (server);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) data = do_top (client, 100 + i, 0, 1024, &error);

      g_assert_null (data);
      g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
      g_clear_error (&error);
    }

  /* The server hung up after the third error. */
  g_assert_false (do_noop (client, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED);
}

static void
test_timeout_greeting (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start_time, elapsed;

  mp_test_script_hang (script);
  server = script_server (script);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  mp_pop3_client_set_timeout (client, 1);
  start_time = g_get_monotonic_time ();
  g_assert_false (do_connect (client, &error));
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC * 9 / 10);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
}

static void
test_timeout_command (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start_time, elapsed;

  script_login (script);
  mp_test_script_hang (script);
  server = script_server (script);

  client = logged_in_client (server);
  mp_pop3_client_set_timeout (client, 1);
  start_time = g_get_monotonic_time ();
  g_assert_false (do_noop (client, &error));
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, >=, G_USEC_PER_SEC * 9 / 10);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
  g_assert_false (mp_pop3_client_is_connected (client));

  /* The socket is closed: the hanging server sees the end. */
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

/* A TLS server that accepts the connection and never starts the
 * handshake. */
static void
test_timeout_tls_handshake (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start_time, elapsed;

  mp_test_script_hang (script);
  server = script_server (script);

  client = client_new (server, MP_POP3_SECURITY_TLS);
  mp_pop3_client_set_timeout (client, 1);
  start_time = g_get_monotonic_time ();
  g_assert_false (do_connect (client, &error));
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
}

/* The timeout holds inside TLS too: a server that completes the handshake
 * and then says nothing. */
static void
test_timeout_tls_greeting (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autofree char *cert_path = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&cert_path);
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start_time, elapsed;

  mp_test_script_start_tls (script);
  mp_test_script_hang (script);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_add_script (server, script);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_TLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  mp_pop3_client_set_timeout (client, 1);
  start_time = g_get_monotonic_time ();
  g_assert_false (do_connect (client, &error));
  elapsed = g_get_monotonic_time () - start_time;
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);
  g_assert_cmpuint (mp_test_server_get_n_handshakes (server, TRUE), ==, 1);
}

static void
test_cancel_command (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  script_login (script);
  mp_test_script_hang (script);
  server = script_server (script);
  client = logged_in_client (server);

  mp_pop3_client_noop_async (client, cancellable, mp_test_result_cb, &result);
  g_assert_true (mp_test_server_wait_command (server, "NOOP", 1, 5000));
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  mp_test_await (&result, GUARD_SECONDS);

  g_assert_false (mp_pop3_client_noop_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (mp_pop3_client_is_connected (client));

  /* Cancelling closed the socket: the server's hang ends with EOF while
   * the client object is still alive. */
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

static void
test_cancel_connect (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_script_hang (script);
  server = script_server (script);
  client = client_new (server, MP_POP3_SECURITY_NONE);

  mp_pop3_client_connect_async (client, cancellable, mp_test_result_cb, &result);
  for (guint i = 0; i < 5000 && result == NULL; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (mp_test_server_get_n_connections (server) > 0)
        break;
      g_usleep (1000);
    }
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 1);
  g_cancellable_cancel (cancellable);
  mp_test_await (&result, GUARD_SECONDS);

  g_assert_false (mp_pop3_client_connect_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (mp_test_server_wait_idle (server, 5000));
}

static void
test_cancel_job (void)
{
  const guint n = 200;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autofree guint *numbers = g_new (guint, n);

  mp_test_server_set_reply_delay (server, 50);
  mp_test_server_fill (server, n);
  start (server);
  client = logged_in_client (server);

  for (guint i = 0; i < n; i++)
    numbers[i] = i + 1;
  mp_pop3_client_top_many_async (client, numbers, n, 0, 64 * 1024, cancellable,
                                 mp_test_result_cb, &result);
  g_assert_true (mp_test_server_wait_command (server, "TOP", 2, 5000));
  g_cancellable_cancel (cancellable);
  mp_test_await (&result, GUARD_SECONDS);

  results = mp_pop3_client_top_many_finish (client, result, &error);
  g_assert_null (results);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), <, n);
}

static void
test_cancel_already (void)
{
  g_autoptr(MpTestServer) server = commands_server (MP_TEST_QUIRK_NONE);
  g_autoptr(MpPop3Client) client = logged_in_client (server);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (do_noop_cancellable (client, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "NOOP"), ==, 0);
}

static void
test_connection_refused (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  guint16 port;

  start (server);
  port = mp_test_server_get_port (server);
  mp_test_server_stop (server);

  client = mp_pop3_client_new ("127.0.0.1", port, MP_POP3_SECURITY_NONE);
  mp_pop3_client_set_timeout (client, 5);
  g_assert_false (do_connect (client, &error));
  g_assert_nonnull (error);
}

/* ---- size -------------------------------------------------------------- */

static void
test_uidl_50000 (void)
{
  const guint n = 50000;
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uidl = NULL;
  g_autoptr(GArray) list = NULL;
  guint count = 0;

  mp_test_server_fill (server, n);
  start (server);
  client = logged_in_client (server);

  g_assert_true (do_stat (client, &count, NULL, &error));
  g_assert_cmpuint (count, ==, n);
  uidl = do_uidl (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uidl->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      MpPop3UidlEntry *entry = g_ptr_array_index (uidl, i);
      char expected[32];

      g_snprintf (expected, sizeof expected, "uid-%08u", i + 1);
      g_assert_cmpuint (entry->number, ==, i + 1);
      g_assert_cmpstr (entry->uid, ==, expected);
    }

  list = do_list (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, n);
}

int
main (int   argc,
      char *argv[])
{
  static const char *bad_timestamps[] = {
    "<no-at-sign>",
    "<has space@example.com>",
    "no-brackets@example.com",
    "<@>",
    "<unterminated@example.com",
  };

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/pop3/client/greeting", test_greeting);
  g_test_add_func ("/pop3/client/greeting/err", test_greeting_err);
  g_test_add_func ("/pop3/client/greeting/garbage", test_greeting_garbage);
  g_test_add_func ("/pop3/client/capa/unsupported", test_capa_unsupported);
  g_test_add_func ("/pop3/client/capa/phases-starttls", test_capa_phases_starttls);
  g_test_add_func ("/pop3/client/capa/phases-cleartext", test_capa_phases_cleartext);

  g_test_add_func ("/pop3/client/stls/missing", test_stls_missing);
  g_test_add_func ("/pop3/client/stls/stripped", test_stls_stripped);
  g_test_add_func ("/pop3/client/stls/refused", test_stls_refused);
  g_test_add_func ("/pop3/client/stls/injected", test_stls_injected);
  g_test_add_func ("/pop3/client/stls/injected-late", test_stls_injected_late);
  g_test_add_func ("/pop3/client/stls/untrusted", test_stls_untrusted);
  g_test_add_func ("/pop3/client/stls/without-capa", test_stls_without_capa);
  g_test_add_func ("/pop3/client/stls/login-inside", test_stls_login_inside);

  g_test_add_func ("/pop3/client/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/pop3/client/tls/ca-file", test_tls_ca_file);
  g_test_add_func ("/pop3/client/tls/ca-file-missing", test_tls_ca_file_missing);
  g_test_add_func ("/pop3/client/tls/pinned", test_tls_pinned);
  g_test_add_func ("/pop3/client/tls/wrong-pin", test_tls_wrong_pin);
  g_test_add_func ("/pop3/client/tls/bad-pin-format", test_tls_bad_pin_format);
  g_test_add_func ("/pop3/client/tls/against-cleartext", test_tls_against_cleartext);

  g_test_add_func ("/pop3/client/auth/user-pass", test_auth_user_pass);
  g_test_add_func ("/pop3/client/auth/wrong-password", test_auth_wrong_password);
  g_test_add_func ("/pop3/client/auth/apop", test_auth_apop);
  g_test_add_func ("/pop3/client/auth/apop-wrong-password", test_auth_apop_wrong_password);
  for (guint i = 0; i < G_N_ELEMENTS (bad_timestamps); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3/client/auth/apop-bad-timestamp/%u", i);

      g_test_add_data_func (path, bad_timestamps[i], test_auth_apop_bad_timestamp);
    }
  g_test_add_func ("/pop3/client/auth/plain-initial-response", test_auth_plain_initial_response);
  g_test_add_func ("/pop3/client/auth/plain-long", test_auth_plain_long);
  g_test_add_func ("/pop3/client/auth/login", test_auth_login);
  g_test_add_func ("/pop3/client/auth/cram-md5", test_auth_cram_md5);
  g_test_add_func ("/pop3/client/auth/cram-md5-wrong", test_auth_cram_md5_wrong);
  g_test_add_data_func ("/pop3/client/auth/odd-challenge/cram-md5",
                        GINT_TO_POINTER (MP_POP3_AUTH_CRAM_MD5), test_auth_odd_challenge);
  g_test_add_data_func ("/pop3/client/auth/odd-challenge/login",
                        GINT_TO_POINTER (MP_POP3_AUTH_LOGIN), test_auth_odd_challenge);
  g_test_add_func ("/pop3/client/auth/odd-challenge/plain", test_auth_odd_challenge_plain);
  g_test_add_func ("/pop3/client/auth/line-breaks", test_auth_line_breaks);
  g_test_add_func ("/pop3/client/auth/auto-cleartext-cram", test_auth_auto_cleartext_cram);
  g_test_add_func ("/pop3/client/auth/auto-cleartext-apop", test_auth_auto_cleartext_apop);
  g_test_add_func ("/pop3/client/auth/auto-bad-apop", test_auth_auto_bad_apop);
  g_test_add_func ("/pop3/client/auth/unsupported-mechanism", test_auth_unsupported_mechanism);
  for (guint i = 0; i < G_N_ELEMENTS (code_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3/client/auth/response-code/%u", i);

      g_test_add_data_func (path, &code_cases[i], test_auth_response_code);
    }

  g_test_add_func ("/pop3/client/cmd/stat", test_cmd_stat);
  g_test_add_func ("/pop3/client/cmd/list", test_cmd_list);
  g_test_add_func ("/pop3/client/cmd/uidl", test_cmd_uidl);
  g_test_add_func ("/pop3/client/cmd/uidl-unsupported", test_cmd_uidl_unsupported);
  g_test_add_func ("/pop3/client/cmd/uidl-odd-listing", test_cmd_uidl_odd_listing);
  g_test_add_func ("/pop3/client/cmd/top", test_cmd_top);
  g_test_add_func ("/pop3/client/cmd/top-missing", test_cmd_top_missing);
  g_test_add_func ("/pop3/client/cmd/retr", test_cmd_retr);
  g_test_add_func ("/pop3/client/cmd/dele-quit", test_cmd_dele_quit);
  g_test_add_func ("/pop3/client/cmd/dele-twice", test_cmd_dele_twice);
  g_test_add_func ("/pop3/client/cmd/dele-rset", test_cmd_dele_rset);
  g_test_add_func ("/pop3/client/cmd/dele-close", test_cmd_dele_close);
  g_test_add_func ("/pop3/client/cmd/dele-many", test_cmd_dele_many);
  g_test_add_func ("/pop3/client/cmd/noop", test_cmd_noop);
  g_test_add_func ("/pop3/client/cmd/last", test_cmd_last);
  g_test_add_func ("/pop3/client/cmd/quit-err", test_cmd_quit_err);
  g_test_add_func ("/pop3/client/cmd/drop-after-dele", test_cmd_drop_after_dele);
  g_test_add_func ("/pop3/client/cmd/not-logged-in", test_cmd_not_logged_in);

  g_test_add_func ("/pop3/client/pipelining/top-many", test_pipelining_top_many);
  g_test_add_func ("/pop3/client/pipelining/not-advertised", test_pipelining_not_advertised);
  g_test_add_func ("/pop3/client/pipelining/not-allowed", test_pipelining_not_allowed);
  g_test_add_func ("/pop3/client/pipelining/expunged", test_pipelining_expunged);

  g_test_add_func ("/pop3/client/quirk/unstuffed-dot", test_quirk_unstuffed_dot);
  g_test_add_func ("/pop3/client/quirk/bare-lf", test_quirk_bare_lf);
  g_test_add_func ("/pop3/client/quirk/first-line-dots", test_quirk_first_line_dots);
  g_test_add_func ("/pop3/client/quirk/endless-greeting", test_quirk_endless_greeting);
  g_test_add_func ("/pop3/client/quirk/endless-status-line", test_quirk_endless_status_line);
  g_test_add_func ("/pop3/client/quirk/huge-reply", test_quirk_huge_reply);
  g_test_add_func ("/pop3/client/quirk/top-whole", test_quirk_top_whole);
  g_test_add_func ("/pop3/client/quirk/top-whole-capped", test_quirk_top_whole_capped);
  g_test_add_func ("/pop3/client/quirk/garbage-reply", test_quirk_garbage_reply);
  for (guint i = 0; i < G_N_ELEMENTS (malformed_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/pop3/client/quirk/malformed/%s",
                                               malformed_cases[i].command);

      g_test_add_data_func (path, &malformed_cases[i], test_quirk_malformed);
    }

  g_test_add_func ("/pop3/client/drop/mid-top", test_drop_mid_top);
  g_test_add_func ("/pop3/client/drop/mid-retr", test_drop_mid_retr);
  g_test_add_func ("/pop3/client/drop/mid-pipeline", test_drop_mid_pipeline);
  g_test_add_func ("/pop3/client/drop/after-greeting", test_drop_after_greeting);
  g_test_add_func ("/pop3/client/drop/after-commands", test_drop_after_commands);
  g_test_add_func ("/pop3/client/drop/too-many-errors", test_too_many_errors);
  g_test_add_func ("/pop3/client/timeout/greeting", test_timeout_greeting);
  g_test_add_func ("/pop3/client/timeout/command", test_timeout_command);
  g_test_add_func ("/pop3/client/timeout/tls-handshake", test_timeout_tls_handshake);
  g_test_add_func ("/pop3/client/timeout/tls-greeting", test_timeout_tls_greeting);
  g_test_add_func ("/pop3/client/cancel/command", test_cancel_command);
  g_test_add_func ("/pop3/client/cancel/connect", test_cancel_connect);
  g_test_add_func ("/pop3/client/cancel/job", test_cancel_job);
  g_test_add_func ("/pop3/client/cancel/already", test_cancel_already);
  g_test_add_func ("/pop3/client/connection-refused", test_connection_refused);

  g_test_add_func ("/pop3/client/size/uidl-50000", test_uidl_50000);

  return mp_test_shutdown (g_test_run ());
}
