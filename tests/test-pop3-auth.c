/* test-pop3-auth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The interoperability parts of the engine (issue 7) against the
 * in-process test server: login fallback between methods, QUIT after a
 * failed login, RFC 6856 UTF8, and servers that refuse TOP. Every wait
 * has a guard timeout.
 */

#define G_LOG_DOMAIN "test-pop3-auth"

#include <string.h>

#include "mp-pop3-client.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_SECONDS 20
#define USER          "alice"
#define PASSWORD      "secret"
#define TIMESTAMP     "<12345.1700000000@mailutils.test>"

#define AWAIT(call_async, ...)                                  \
  g_autoptr(GAsyncResult) result = NULL;                        \
  call_async (__VA_ARGS__, mp_test_result_cb, &result);         \
  mp_test_await (&result, GUARD_SECONDS)

static gboolean
do_connect (MpPop3Client  *client,
            GError       **error)
{
  AWAIT (mp_pop3_client_connect_async, client, NULL);
  return mp_pop3_client_connect_finish (client, result, error);
}

static gboolean
do_login (MpPop3Client      *client,
          const char        *password,
          MpPop3AuthMethod   method,
          GError           **error)
{
  AWAIT (mp_pop3_client_login_async, client, USER, password, method, NULL);
  return mp_pop3_client_login_finish (client, result, error);
}

static gboolean
do_stat (MpPop3Client  *client,
         guint         *count,
         GError       **error)
{
  AWAIT (mp_pop3_client_stat_async, client, NULL);
  return mp_pop3_client_stat_finish (client, result, count, NULL, error);
}

static GBytes *
do_top (MpPop3Client  *client,
        guint          number,
        GError       **error)
{
  AWAIT (mp_pop3_client_top_async, client, number, 0, 64 * 1024, NULL);
  return mp_pop3_client_top_finish (client, result, error);
}

static GBytes *
do_retr (MpPop3Client  *client,
         guint          number,
         GError       **error)
{
  AWAIT (mp_pop3_client_retr_async, client, number, 1024 * 1024, NULL);
  return mp_pop3_client_retr_finish (client, result, error);
}

static gboolean
do_noop (MpPop3Client  *client,
         GError       **error)
{
  AWAIT (mp_pop3_client_noop_async, client, NULL);
  return mp_pop3_client_noop_finish (client, result, error);
}

static GPtrArray *
do_top_many (MpPop3Client  *client,
             guint          first,
             guint          n_numbers,
             GError       **error)
{
  g_autofree guint *numbers = g_new (guint, n_numbers);

  for (guint i = 0; i < n_numbers; i++)
    numbers[i] = first + i;

  {
    AWAIT (mp_pop3_client_top_many_async, client, numbers, n_numbers, 0, 64 * 1024, NULL);
    return mp_pop3_client_top_many_finish (client, result, error);
  }
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

static MpPop3Client *
connected_client (MpTestServer *server)
{
  MpPop3Client *client = client_new (server, MP_POP3_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  do_connect (client, &error);
  g_assert_no_error (error);
  return client;
}

static MpPop3Client *
logged_in_client (MpTestServer *server)
{
  MpPop3Client *client = connected_client (server);
  g_autoptr(GError) error = NULL;

  do_login (client, PASSWORD, MP_POP3_AUTH_USER, &error);
  g_assert_no_error (error);
  return client;
}

/* Where @pattern first matches in the server's log, or -1. */
static int
log_index (MpTestServer *server,
           const char   *pattern)
{
  g_auto(GStrv) log = mp_test_server_get_log (server);

  for (guint i = 0; log[i] != NULL; i++)
    if (g_pattern_match_simple (pattern, log[i]))
      return i;
  return -1;
}

static void
assert_before (MpTestServer *server,
               const char   *first,
               const char   *second)
{
  int a = log_index (server, first);
  int b = log_index (server, second);

  g_test_message ("“%s” at %d, “%s” at %d", first, a, second, b);
  g_assert_cmpint (a, >=, 0);
  g_assert_cmpint (b, >, a);
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

/* ---- login fallback ---------------------------------------------------- */

/* CRAM-MD5 refused: APOP needs the same kind of secret and is skipped,
 * LOGIN goes next in the same session. */
static void
test_fallback_same_session (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;

  mp_test_server_fill (server, 3);
  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_sasl_mechanisms (server, "CRAM-MD5 LOGIN");
  mp_test_server_set_refused_logins (server, "CRAM-MD5");
  start (server);

  client = connected_client (server);
  g_assert_true (do_login (client, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_LOGIN);
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
  assert_before (server, "AUTH CRAM-MD5", "AUTH LOGIN");

  g_assert_true (do_stat (client, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 3);
}

/* GNU Mailutils: a timestamp in every greeting, no APOP secrets. */
static void
test_fallback_apop_refused (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_sasl_mechanisms (server, "");
  mp_test_server_set_refused_logins (server, "APOP");
  start (server);

  client = connected_client (server);
  g_assert_true (do_login (client, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_USER);
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 1);
  assert_before (server, "APOP *", "USER " USER);
}

/* Courier with a PAM back end offers CRAM-MD5 and cannot do it. */
static void
test_fallback_cram_refused (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_sasl_mechanisms (server, "CRAM-MD5 PLAIN");
  mp_test_server_set_refused_logins (server, "CRAM-MD5");
  start (server);

  client = connected_client (server);
  g_assert_true (do_login (client, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  /* The account is "none": after what hides the password, PLAIN. */
  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_PLAIN);
  assert_before (server, "AUTH CRAM-MD5", "AUTH PLAIN *");
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 2);
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 1);
}

/* A server that hangs up after the refused method: a new session. */
static void
test_fallback_new_session (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  guint count = 0;

  mp_test_server_fill (server, 2);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_CLOSE_AFTER_LOGIN_ERR);
  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_sasl_mechanisms (server, "");
  mp_test_server_set_refused_logins (server, "APOP");
  start (server);

  client = connected_client (server);
  g_assert_true (do_login (client, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_no_error (error);

  g_assert_cmpint (mp_pop3_client_get_auth_method_used (client), ==, MP_POP3_AUTH_USER);
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 1);
  /* The new session was set up in full before the next method. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "CAPA"), ==, 3);
  g_assert_true (mp_pop3_client_is_connected (client));

  g_assert_true (do_stat (client, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
}

/* A wrong password: the first challenge-response method refuses it, then
 * the first method that sends the password, and that one is final:
 * MP_POP3_ERROR_AUTH, the methods named, QUIT at the end. */
static void
test_fallback_wrong_password (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  start (server);

  client = connected_client (server);
  g_assert_false (do_login (client, "wrong", MP_POP3_AUTH_AUTO, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "(CRAM-MD5, PLAIN)"));
  g_assert_nonnull (strstr (error->message, "password"));

  g_assert_true (mp_test_server_wait_command (server, "QUIT", 1, 5000));
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 0);
  assert_before (server, "AUTH PLAIN *", "QUIT");
}

/* The hang-up server with a wrong password: a new session for the second
 * method, then the same AUTH error. */
static void
test_fallback_wrong_password_new_sessions (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_CLOSE_AFTER_LOGIN_ERR);
  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_sasl_mechanisms (server, "");
  start (server);

  client = connected_client (server);
  g_assert_false (do_login (client, "wrong", MP_POP3_AUTH_AUTO, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "(APOP, USER/PASS)"));
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 1);
  g_assert_false (mp_pop3_client_is_connected (client));
}

/* [IN-USE] is not a refused method: no other is tried. */
static void
test_fallback_stops_on_in_use (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_login_error (server, "-ERR [IN-USE] Mailbox locked by another session");
  start (server);

  client = connected_client (server);
  g_assert_false (do_login (client, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_IN_USE);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 0);
  g_assert_true (mp_test_server_wait_command (server, "QUIT", 1, 5000));
}

/* A method the user chose is the only one tried. */
static void
test_explicit_method_only (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  mp_test_server_set_refused_logins (server, "APOP");
  start (server);

  client = connected_client (server);
  g_assert_false (do_login (client, PASSWORD, MP_POP3_AUTH_APOP, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  /* One method: the message has no list. */
  g_assert_null (strstr (error->message, "every method"));
  g_assert_true (mp_test_server_wait_command (server, "QUIT", 1, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 0);
}

/* A failed login ends with QUIT, not with a dropped connection. */
static void
test_quit_after_failed_login (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) noop_error = NULL;
  g_auto(GStrv) log = NULL;
  guint n;

  start (server);
  client = connected_client (server);
  g_assert_false (do_login (client, "wrong", MP_POP3_AUTH_USER, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);

  /* Sent before the login reported its failure. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 1);
  g_assert_true (mp_test_server_wait_idle (server, 5000));
  log = mp_test_server_get_log (server);
  n = g_strv_length (log);
  g_assert_cmpuint (n, >=, 2);
  g_assert_cmpstr (log[n - 1], ==, "QUIT");
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_false (do_noop (client, &noop_error));
  g_assert_nonnull (noop_error);
}

/* Inside TLS the methods that send the password come first, and the
 * refusal of one is final; after a refused challenge-response method the
 * other one is not tried. QUIT goes over TLS. */
static void
test_fallback_tls (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpTestServer) cram_only = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(MpPop3Client) second = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_implicit_tls (server, TRUE);
  mp_test_server_set_apop_timestamp (server, TIMESTAMP);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_TLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_true (do_connect (client, &error));
  g_assert_false (do_login (client, "wrong", MP_POP3_AUTH_AUTO, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_null (strstr (error->message, "every method"));
  g_assert_true (mp_test_server_wait_command (server, "QUIT", 1, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "AUTH"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "AUTH PLAIN *"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "USER"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "APOP"), ==, 0);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_clear_error (&error);

  mp_test_server_set_certificate (cram_only, certificate);
  mp_test_server_set_implicit_tls (cram_only, TRUE);
  mp_test_server_set_apop_timestamp (cram_only, TIMESTAMP);
  mp_test_server_set_capabilities (cram_only, MP_TEST_CAPA_TLS, "SASL CRAM-MD5", NULL);
  mp_test_server_set_refused_logins (cram_only, "CRAM-MD5");
  start (cram_only);

  second = client_new (cram_only, MP_POP3_SECURITY_TLS);
  g_assert_true (mp_pop3_client_set_ca_file (second, cert_path, &error));
  g_assert_true (do_connect (second, &error));
  g_assert_false (do_login (second, PASSWORD, MP_POP3_AUTH_AUTO, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  /* CAPA lists no USER and no SASL that sends the password. */
  g_assert_true (mp_test_server_wait_command (cram_only, "QUIT", 1, 5000));
  g_assert_cmpuint (mp_test_server_get_command_count (cram_only, "AUTH"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (cram_only, "APOP"), ==, 0);
}

/* ---- RFC 6856 UTF8 ----------------------------------------------------- */

static const char message_8bit[] =
  "From: =?utf-8?q?Jos=C3=A9?= <jose@example.org>\r\n"
  "Subject: Привет, мир\r\n"
  "\r\n"
  "body\r\n";

static void
test_utf8_advertised (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  mp_test_server_set_quirks (server, MP_TEST_QUIRK_UTF8);
  mp_test_server_add_message (server, "uid-8bit", message_8bit);
  start (server);

  client = logged_in_client (server);
  g_assert_true (mp_pop3_client_get_utf8 (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UTF8"), ==, 1);
  /* RFC 6856 §2: before authentication, after CAPA. */
  assert_before (server, "CAPA", "UTF8");
  assert_before (server, "UTF8", "USER " USER);

  /* Not the server's "cannot be displayed" substitute. */
  data = do_retr (client, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   message_8bit, strlen (message_8bit));
}

static void
test_utf8_not_advertised (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  mp_test_server_add_message (server, "uid-8bit", message_8bit);
  start (server);

  client = logged_in_client (server);
  g_assert_false (mp_pop3_client_get_utf8 (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UTF8"), ==, 0);

  data = do_retr (client, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                   message_8bit, strlen (message_8bit));
}

/* Over STLS, UTF8 goes after the encrypted CAPA, never in the clear. */
static void
test_utf8_after_stls (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autofree char *cert_path = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  certificate = make_certificate (&cert_path);
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_UTF8);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_STARTTLS);
  g_assert_true (mp_pop3_client_set_ca_file (client, cert_path, &error));
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (mp_pop3_client_get_utf8 (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UTF8"), ==, 1);
  assert_before (server, "STLS", "UTF8");
}

/* A -ERR to UTF8 is no reason to stop. */
static void
test_utf8_refused (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_script_send (script, "+OK ready\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "+OK\r\nUSER\r\nUTF8\r\n.\r\n");
  mp_test_script_expect (script, "UTF8");
  mp_test_script_send (script, "-ERR not today\r\n");
  mp_test_script_expect (script, "USER " USER);
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_expect (script, "PASS " PASSWORD);
  mp_test_script_send (script, "+OK logged in\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "+OK\r\nUSER\r\n.\r\n");
  mp_test_script_expect (script, "NOOP");
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_hang (script);
  mp_test_server_add_script (server, script);
  start (server);

  client = client_new (server, MP_POP3_SECURITY_NONE);
  g_assert_true (do_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (mp_pop3_client_get_utf8 (client));
  g_assert_true (do_login (client, PASSWORD, MP_POP3_AUTH_USER, &error));
  g_assert_no_error (error);
  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
  mp_test_server_assert_no_failures (server);
}

/* ---- servers that refuse TOP ------------------------------------------- */

static void
assert_all_not_supported (GPtrArray *results,
                          guint      from)
{
  for (guint i = from; i < results->len; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);

      g_assert_null (r->data);
      g_assert_error (r->error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);
    }
}

/* The item the server refused has its words; the ones never sent say TOP
 * is not offered; with PIPELINING, the TOPs already on the wire when the
 * first -ERR came back were refused too. */
static void
assert_refused (GPtrArray *results,
                guint      from,
                guint      n_sent)
{
  for (guint i = from; i < results->len; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);

      g_assert_null (r->data);
      if (i < from + n_sent)
        {
          g_assert_error (r->error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
          g_assert_nonnull (strstr (r->error->message, "TOP"));
        }
      else
        g_assert_error (r->error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);
    }
}

/* TOP in CAPA, -ERR for every message: one TOP (or the pipelined burst)
 * and nothing more. */
static void
test_top_refused_all (gconstpointer data)
{
  gboolean pipelining = GPOINTER_TO_INT (data);
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GBytes) top = NULL;
  guint n_tops;

  mp_test_server_fill (server, 20);
  mp_test_server_set_top_refused (server, 0);
  if (pipelining)
    mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  start (server);
  client = logged_in_client (server);
  g_assert_false (mp_pop3_client_get_top_refused (client));

  results = do_top_many (client, 1, 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 20);
  g_assert_true (mp_pop3_client_get_top_refused (client));

  n_tops = mp_test_server_get_command_count (server, "TOP");
  if (pipelining)
    g_assert_cmpuint (n_tops, <=, 20);
  else
    g_assert_cmpuint (n_tops, ==, 1);
  assert_refused (results, 0, n_tops);

  /* Later TOPs fail at once and send nothing. */
  again = do_top_many (client, 1, 5, &error);
  g_assert_no_error (error);
  assert_all_not_supported (again, 0);
  top = do_top (client, 1, &error);
  g_assert_null (top);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, n_tops);

  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
}

/* TOP refused for message 3 of 5: 1 and 2 kept, 4 and 5 never asked. */
static void
test_top_refused_one (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  mp_test_server_fill (server, 5);
  mp_test_server_set_top_refused (server, 3);
  start (server);
  client = logged_in_client (server);

  results = do_top_many (client, 1, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 5);
  for (guint i = 0; i < 2; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);
      g_autofree char *subject = g_strdup_printf ("Subject: Message %u\r\n", i + 1);

      g_assert_no_error (r->error);
      g_assert_nonnull (g_strstr_len (g_bytes_get_data (r->data, NULL),
                                      g_bytes_get_size (r->data), subject));
    }
  assert_refused (results, 2, 1);
  g_assert_true (mp_pop3_client_get_top_refused (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 3);
}

/* A -ERR for a message past the end of the maildrop STAT reported is not
 * about TOP. */
static void
test_top_missing_message_is_not_refusal (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;
  guint count = 0;

  mp_test_server_fill (server, 4);
  start (server);
  client = logged_in_client (server);
  g_assert_true (do_stat (client, &count, &error));
  g_assert_cmpuint (count, ==, 4);

  results = do_top_many (client, 3, 4, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 4; i++)
    {
      MpPop3Result *r = g_ptr_array_index (results, i);

      if (i < 2)
        {
          g_assert_no_error (r->error);
          g_assert_nonnull (r->data);
        }
      else
        g_assert_error (r->error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
    }
  g_assert_false (mp_pop3_client_get_top_refused (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 4);
}

/* CAPA without TOP says it all: no TOP is sent. */
static void
test_top_not_in_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  mp_test_server_fill (server, 3);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_TOP);
  start (server);
  client = logged_in_client (server);
  g_assert_true (mp_pop3_client_get_top_refused (client));

  results = do_top_many (client, 1, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (results->len, ==, 3);
  assert_all_not_supported (results, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
}

/* Without CAPA the first refused TOP is what tells. */
static void
test_top_refused_without_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_new ();
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = NULL;

  mp_test_server_fill (server, 3);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_CAPA | MP_TEST_QUIRK_NO_TOP);
  start (server);
  client = logged_in_client (server);
  g_assert_false (mp_pop3_client_get_top_refused (client));

  results = do_top_many (client, 1, 3, &error);
  g_assert_no_error (error);
  assert_refused (results, 0, 1);
  g_assert_true (mp_pop3_client_get_top_refused (client));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/pop3/auth/fallback/same-session", test_fallback_same_session);
  g_test_add_func ("/pop3/auth/fallback/apop-refused", test_fallback_apop_refused);
  g_test_add_func ("/pop3/auth/fallback/cram-md5-refused", test_fallback_cram_refused);
  g_test_add_func ("/pop3/auth/fallback/new-session", test_fallback_new_session);
  g_test_add_func ("/pop3/auth/fallback/wrong-password", test_fallback_wrong_password);
  g_test_add_func ("/pop3/auth/fallback/wrong-password-new-sessions",
                   test_fallback_wrong_password_new_sessions);
  g_test_add_func ("/pop3/auth/fallback/in-use", test_fallback_stops_on_in_use);
  g_test_add_func ("/pop3/auth/fallback/tls", test_fallback_tls);
  g_test_add_func ("/pop3/auth/explicit-method-only", test_explicit_method_only);
  g_test_add_func ("/pop3/auth/quit-after-failed-login", test_quit_after_failed_login);

  g_test_add_func ("/pop3/utf8/advertised", test_utf8_advertised);
  g_test_add_func ("/pop3/utf8/not-advertised", test_utf8_not_advertised);
  g_test_add_func ("/pop3/utf8/after-stls", test_utf8_after_stls);
  g_test_add_func ("/pop3/utf8/refused", test_utf8_refused);

  g_test_add_data_func ("/pop3/top/refused-all", GINT_TO_POINTER (FALSE), test_top_refused_all);
  g_test_add_data_func ("/pop3/top/refused-all-pipelined", GINT_TO_POINTER (TRUE),
                        test_top_refused_all);
  g_test_add_func ("/pop3/top/refused-one", test_top_refused_one);
  g_test_add_func ("/pop3/top/missing-message-is-not-refusal",
                   test_top_missing_message_is_not_refusal);
  g_test_add_func ("/pop3/top/not-in-capa", test_top_not_in_capa);
  g_test_add_func ("/pop3/top/refused-without-capa", test_top_refused_without_capa);

  return mp_test_shutdown (g_test_run ());
}
