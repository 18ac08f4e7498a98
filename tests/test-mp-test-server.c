/* test-mp-test-server.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Checks the scripted test server itself with a plain blocking client, so
 * that an engine test that fails points at the engine and not at the
 * server.
 */

#define G_LOG_DOMAIN "test-mp-test-server"

#include <string.h>

#include "mp-test-server.h"

typedef struct
{
  GSocketConnection *connection;
  GIOStream         *stream;
  GDataInputStream  *in;
} Client;

static void
client_open (Client       *client,
             MpTestServer *server)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;

  g_socket_client_set_enable_proxy (socket_client, FALSE);

  client->connection = g_socket_client_connect_to_host (socket_client, "127.0.0.1",
                                                        mp_test_server_get_port (server),
                                                        NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (client->connection), 10);
  client->stream = g_object_ref (G_IO_STREAM (client->connection));
  client->in = g_data_input_stream_new (g_io_stream_get_input_stream (client->stream));
  g_data_input_stream_set_newline_type (client->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  /* STLS swaps the streams; dropping the old reader must not close them. */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (client->in), FALSE);
}

static void
client_close (Client *client)
{
  g_io_stream_close (client->stream, NULL, NULL);
  g_clear_object (&client->in);
  g_clear_object (&client->stream);
  g_clear_object (&client->connection);
}

static void
client_send (Client     *client,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = g_strconcat (line, "\r\n", NULL);

  g_output_stream_write_all (g_io_stream_get_output_stream (client->stream),
                             data, strlen (data), NULL, NULL, &error);
  g_assert_no_error (error);
}

static char *
client_read_line (Client *client)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (client->in, NULL, NULL, &error);

  g_assert_no_error (error);
  return line;
}

static void
assert_line (Client     *client,
             const char *pattern)
{
  g_autofree char *line = client_read_line (client);

  g_assert_nonnull (line);
  if (!g_pattern_match_simple (pattern, line))
    g_error ("expected \"%s\", got \"%s\"", pattern, line);
}

/* Reads a multi-line reply after its status line, undoing the stuffing. */
static char *
read_data (Client *client)
{
  GString *data = g_string_new (NULL);

  for (;;)
    {
      g_autofree char *line = client_read_line (client);

      g_assert_nonnull (line);
      if (g_str_equal (line, "."))
        break;
      g_string_append_printf (data, "%s\n", line[0] == '.' ? line + 1 : line);
    }

  return g_string_free (data, FALSE);
}

static void
test_script_ok (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(GError) error = NULL;
  Client client = { 0 };

  mp_test_script_send (script, "+OK hello\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, "+OK\r\nTOP\r\n.\r\n");
  mp_test_script_expect_prefix (script, "USER ");
  mp_test_script_expect_glob (script, "PASS *");
  mp_test_script_expect_lines (script, 2);
  mp_test_script_sleep (script, 10);
  mp_test_script_send_huge (script, 100, 8);
  mp_test_script_send (script, "-ERR bye\r\n");
  mp_test_server_add_script (server, script);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  assert_line (&client, "+OK hello");
  client_send (&client, "CAPA");
  assert_line (&client, "+OK");
  assert_line (&client, "TOP");
  assert_line (&client, ".");
  client_send (&client, "USER alice");
  client_send (&client, "PASS secret");
  client_send (&client, "one");
  client_send (&client, "two");
  for (guint i = 0; i < 10; i++)
    assert_line (&client, "xxxxxxxx");
  assert_line (&client, "-ERR bye");
  client_close (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  mp_test_server_assert_no_failures (server);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "pass"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "NOOP"), ==, 0);
  g_assert_true (mp_test_server_log_contains (server, "USER alice"));
}

static void
test_script_mismatch (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) failures = NULL;
  Client client = { 0 };
  g_autofree char *line = NULL;

  mp_test_script_send (script, "+OK hello\r\n");
  mp_test_script_expect (script, "STLS");
  mp_test_script_send (script, "+OK never sent\r\n");
  mp_test_server_add_script (server, script);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  assert_line (&client, "+OK hello");
  client_send (&client, "USER alice");
  /* The server gives up on the script and closes. */
  line = client_read_line (&client);
  g_assert_null (line);
  client_close (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  failures = mp_test_server_get_failures (server);
  g_assert_cmpuint (g_strv_length (failures), ==, 1);
  g_assert_nonnull (strstr (failures[0], "USER alice"));
}

static void
test_script_per_connection (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpTestScript) first = mp_test_script_new ();
  g_autoptr(MpTestScript) second = mp_test_script_new ();
  g_autoptr(GError) error = NULL;

  mp_test_script_send (first, "+OK first\r\n");
  mp_test_script_send (second, "+OK second\r\n");
  mp_test_server_add_script (server, first);
  mp_test_server_add_script (server, second);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 3; i++)
    {
      Client client = { 0 };

      client_open (&client, server);
      assert_line (&client, i == 0 ? "+OK first" : "+OK second");
      client_close (&client);
      g_assert_true (mp_test_server_wait_idle (server, 5000));
    }
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 3);
}

static void
test_script_hang_stop (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(GError) error = NULL;
  Client client = { 0 };
  gint64 start;

  mp_test_script_hang (script);
  mp_test_server_add_script (server, script);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  client_send (&client, "NOOP");
  g_assert_true (mp_test_server_wait_command (server, "noop", 1, 5000));
  g_assert_false (mp_test_server_wait_idle (server, 200));

  start = g_get_monotonic_time ();
  mp_test_server_stop (server);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_TIME_SPAN_SECOND);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "NOOP"), ==, 1);
  client_close (&client);
}

static MpTestServer *
mailbox_server (MpTestQuirks quirks)
{
  MpTestServer *server = mp_test_server_new ();
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, "alice", "secret");
  mp_test_server_set_quirks (server, quirks);
  mp_test_server_add_message (server, "uid-a",
                              "Subject: A\n\n.dotted\n.\nend\n");
  mp_test_server_fill (server, 2);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  return server;
}

static void
login (Client *client)
{
  assert_line (client, "+OK *");
  client_send (client, "USER alice");
  assert_line (client, "+OK*");
  client_send (client, "PASS secret");
  assert_line (client, "+OK*");
}

static void
test_mailbox_basic (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NONE);
  g_autofree char *data = NULL;
  g_autofree char *top = NULL;
  Client client = { 0 };

  client_open (&client, server);
  login (&client);
  client_send (&client, "STAT");
  assert_line (&client, "+OK 3 *");
  client_send (&client, "UIDL");
  assert_line (&client, "+OK*");
  g_free (data);
  data = read_data (&client);
  g_assert_cmpstr (data, ==, "1 uid-a\n2 uid-00000002\n3 uid-00000003\n");
  client_send (&client, "RETR 1");
  assert_line (&client, "+OK*");
  g_free (data);
  data = read_data (&client);
  g_assert_cmpstr (data, ==, "Subject: A\n\n.dotted\n.\nend\n");
  client_send (&client, "TOP 2 1");
  assert_line (&client, "+OK*");
  top = read_data (&client);
  g_assert_true (g_str_has_suffix (top, "\n\nBody line 1 of message 2\n"));
  client_send (&client, "LAST");
  assert_line (&client, "+OK 1");
  client_send (&client, "DELE 1");
  assert_line (&client, "+OK*");
  client_send (&client, "DELE 1");
  assert_line (&client, "-ERR*");
  client_send (&client, "QUIT");
  assert_line (&client, "+OK*");
  client_close (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
  g_assert_false (mp_test_server_has_uid (server, "uid-a"));
  g_assert_cmpuint (mp_test_server_get_max_depth (server), ==, 1);
}

static void
test_mailbox_no_quit_keeps (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NONE);
  Client client = { 0 };

  client_open (&client, server);
  login (&client);
  client_send (&client, "DELE 1");
  assert_line (&client, "+OK*");
  client_close (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

/* Two sessions at once, as when another client deletes behind our back. */
static void
test_mailbox_concurrent (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NONE);
  Client first = { 0 };
  Client second = { 0 };

  client_open (&first, server);
  login (&first);
  client_open (&second, server);
  login (&second);

  client_send (&second, "DELE 1");
  assert_line (&second, "+OK*");
  client_send (&second, "QUIT");
  assert_line (&second, "+OK*");
  client_close (&second);

  /* The first session still counts it, but cannot touch it. */
  client_send (&first, "STAT");
  assert_line (&first, "+OK 3 *");
  client_send (&first, "DELE 1");
  assert_line (&first, "-ERR*");
  client_send (&first, "RETR 2");
  assert_line (&first, "+OK*");
  g_free (read_data (&first));
  client_close (&first);

  /* Numbers shift for later sessions; the log can be cleared. */
  mp_test_server_clear_log (server);
  mp_test_server_delete_message (server, 1);
  client_open (&first, server);
  login (&first);
  client_send (&first, "UIDL 1");
  assert_line (&first, "+OK 1 uid-00000003");
  client_close (&first);

  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UIDL"), ==, 1);
}

static void
test_mailbox_pipelined_depth (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(GError) error = NULL;
  GString *batch = g_string_new (NULL);
  Client client = { 0 };

  mp_test_server_set_mailbox_mode (server, "alice", "secret");
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_set_reply_delay (server, 5);
  mp_test_server_fill (server, 10);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  login (&client);
  for (guint i = 1; i <= 10; i++)
    g_string_append_printf (batch, "TOP %u 0\r\n", i);
  g_output_stream_write_all (g_io_stream_get_output_stream (client.stream),
                             batch->str, batch->len, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 1; i <= 10; i++)
    {
      g_autofree char *data = NULL;

      assert_line (&client, "+OK*");
      data = read_data (&client);
      g_assert_nonnull (strstr (data, "Subject: Message"));
    }
  client_close (&client);
  g_string_free (batch, TRUE);

  g_assert_cmpuint (mp_test_server_get_max_depth (server), >, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 10);
}

static void
test_mailbox_quirks (void)
{
  g_autoptr(MpTestServer) server =
    mailbox_server (MP_TEST_QUIRK_NO_DOT_STUFFING | MP_TEST_QUIRK_UIDL_EXTRA | MP_TEST_QUIRK_TOP_WHOLE);

  g_autofree char *uidl = NULL;
  Client client = { 0 };

  client_open (&client, server);
  login (&client);
  client_send (&client, "TOP 1 0");
  assert_line (&client, "+OK*");
  assert_line (&client, "Subject: A");
  assert_line (&client, "");
  /* Not stuffed: ".dotted" and "." as they are. */
  assert_line (&client, ".dotted");
  assert_line (&client, ".");
  assert_line (&client, "end");
  assert_line (&client, ".");
  client_send (&client, "UIDL");
  assert_line (&client, "+OK*");
  uidl = read_data (&client);
  g_assert_true (g_str_has_suffix (uidl, "3 uid-00000003\n4 ghost-4\n"));
  client_close (&client);
}

static void
test_mailbox_login_error (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(GError) error = NULL;
  Client client = { 0 };

  mp_test_server_set_mailbox_mode (server, "alice", "secret");
  mp_test_server_set_login_error (server, "-ERR [IN-USE] locked");
  mp_test_server_set_max_errors (server, 2);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  assert_line (&client, "+OK*");
  client_send (&client, "USER alice");
  assert_line (&client, "+OK*");
  client_send (&client, "PASS wrong");
  assert_line (&client, "-ERR [AUTH]*");
  client_send (&client, "USER alice");
  assert_line (&client, "+OK*");
  client_send (&client, "PASS secret");
  assert_line (&client, "-ERR Too many*");
  g_free (client_read_line (&client));
  client_close (&client);
}

static gboolean
accept_any_cb (GTlsConnection       *connection,
               GTlsCertificate      *certificate,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  return TRUE;
}

static void
test_tls (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autofree char *cert_path = NULL;
  Client client = { 0 };

  certificate = mp_test_make_certificate (g_get_user_cache_dir (), &cert_path, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (cert_path, G_FILE_TEST_EXISTS));

  mp_test_server_set_mailbox_mode (server, "alice", "secret");
  mp_test_server_set_certificate (server, certificate);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);

  client_open (&client, server);
  assert_line (&client, "+OK*");
  client_send (&client, "CAPA");
  assert_line (&client, "+OK*");
  {
    g_autofree char *caps = read_data (&client);

    g_assert_nonnull (strstr (caps, "STLS\n"));
  }
  client_send (&client, "STLS");
  assert_line (&client, "+OK*");

  tls = g_tls_client_connection_new (G_IO_STREAM (client.connection), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
  g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&client.in);
  g_clear_object (&client.stream);
  client.stream = g_object_ref (tls);
  client.in = g_data_input_stream_new (g_io_stream_get_input_stream (tls));
  g_data_input_stream_set_newline_type (client.in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  client_send (&client, "CAPA");
  assert_line (&client, "+OK*");
  {
    g_autofree char *caps = read_data (&client);

    g_assert_null (strstr (caps, "STLS"));
  }
  client_send (&client, "USER alice");
  assert_line (&client, "+OK*");
  client_send (&client, "PASS secret");
  assert_line (&client, "+OK*");
  client_send (&client, "QUIT");
  assert_line (&client, "+OK*");
  client_close (&client);

  g_assert_true (mp_test_server_wait_idle (server, 5000));
  g_assert_cmpuint (mp_test_server_get_n_handshakes (server, TRUE), ==, 1);
  mp_test_server_assert_no_failures (server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/test-server/script/ok", test_script_ok);
  g_test_add_func ("/test-server/script/mismatch", test_script_mismatch);
  g_test_add_func ("/test-server/script/per-connection", test_script_per_connection);
  g_test_add_func ("/test-server/script/hang-stop", test_script_hang_stop);
  g_test_add_func ("/test-server/mailbox/basic", test_mailbox_basic);
  g_test_add_func ("/test-server/mailbox/no-quit-keeps", test_mailbox_no_quit_keeps);
  g_test_add_func ("/test-server/mailbox/concurrent", test_mailbox_concurrent);
  g_test_add_func ("/test-server/mailbox/pipelined-depth", test_mailbox_pipelined_depth);
  g_test_add_func ("/test-server/mailbox/quirks", test_mailbox_quirks);
  g_test_add_func ("/test-server/mailbox/login-error", test_mailbox_login_error);
  g_test_add_func ("/test-server/mailbox/tls", test_tls);

  return mp_test_shutdown (g_test_run ());
}
