/* test-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The read-only check session (mp-check.h) against the in-process test
 * server: which commands it sends (the server's log) and what it makes of
 * UIDL, LIST and TOP replies, odd ones included.
 */

#define G_LOG_DOMAIN "test-check"

#include "config.h"

#include <string.h>

#include "mp-check.h"
#include "mp-headers-private.h"
#include "mp-mailbox-state.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_SECONDS 20
#define USER          "alice"
#define PASSWORD      "secret"

/* ---- helpers ----------------------------------------------------------- */

static MpTestServer *
mailbox_server (MpTestQuirks quirks,
                guint        n_messages)
{
  MpTestServer *server = mp_test_server_new ();
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, quirks);
  mp_test_server_fill (server, n_messages);
  g_assert_true (mp_test_server_start (server, &error));
  g_assert_no_error (error);
  return server;
}

static MpMailboxSnapshot *
run_check (MpTestServer      *server,
           MpPop3AuthMethod   auth,
           GHashTable        *known_uids,
           GError           **error)
{
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(GAsyncResult) result = NULL;
  MpMailboxSnapshot *snapshot;

  mp_pop3_client_set_timeout (client, 5);
  mp_check_mailbox_async (client, USER, PASSWORD, auth, known_uids, NULL,
                          mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, error);
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  mp_test_server_assert_no_failures (server);

  /* A check never changes the mailbox. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  return snapshot;
}

/* run_check() with a retr-header-limit of the test's choosing */
static MpMailboxSnapshot *
run_check_limit (MpTestServer      *server,
                 MpPop3AuthMethod   auth,
                 GHashTable        *known_uids,
                 gint64             retr_header_limit,
                 GError           **error)
{
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(GAsyncResult) result = NULL;
  MpMailboxSnapshot *snapshot;

  mp_pop3_client_set_timeout (client, 5);
  mp_check_mailbox_full_async (client, USER, PASSWORD, auth, known_uids, retr_header_limit,
                               NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, error);
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  mp_test_server_assert_no_failures (server);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  return snapshot;
}

static MpMessageInfo *
info_at (MpMailboxSnapshot *snapshot,
         guint              index)
{
  g_assert_cmpuint (index, <, snapshot->messages->len);
  return g_ptr_array_index (snapshot->messages, index);
}

static GHashTable *
uid_set (const char *first,
         ...)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  va_list args;

  va_start (args, first);
  for (const char *uid = first; uid != NULL; uid = va_arg (args, const char *))
    g_hash_table_add (set, g_strdup (uid));
  va_end (args);
  return set;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_all_new (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, 3);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (snapshot);
  g_assert_cmpuint (snapshot->count, ==, 3);
  g_assert_true (snapshot->uidl_supported);
  g_assert_true (snapshot->pipelining);
  g_assert_true (snapshot->top_supported);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);

  for (guint i = 0; i < 3; i++)
    {
      MpMessageInfo *info = info_at (snapshot, i);
      g_autofree char *uid = g_strdup_printf ("uid-%08u", i + 1);
      g_autofree char *subject = g_strdup_printf ("Message %u", i + 1);

      g_assert_cmpuint (info->number, ==, i + 1);
      g_assert_cmpstr (info->uid, ==, uid);
      g_assert_cmpstr (info->key, ==, uid);
      g_assert_cmpuint (info->size, >, 0);
      g_assert_no_error (info->error);
      g_assert_nonnull (info->headers);
      g_assert_cmpstr (info->headers->subject, ==, subject);
    }

  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 1);
}

static void
test_known_uids (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, 4);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GHashTable) known = uid_set ("uid-00000001", "uid-00000003", "uid-00000004",
                                         "uid-gone", NULL);
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, known, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 4);

  /* TOP only for the one message the caller has no headers for. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "TOP 2 0"));

  for (guint i = 0; i < 4; i++)
    {
      MpMessageInfo *info = info_at (snapshot, i);

      g_assert_nonnull (info->key);
      g_assert_no_error (info->error);
      if (i == 1)
        g_assert_cmpstr (info->headers->subject, ==, "Message 2");
      else
        g_assert_null (info->headers);
    }

  /* All known: no TOP at all, and the session still ends cleanly. */
  g_clear_pointer (&snapshot, mp_mailbox_snapshot_free);
  g_hash_table_add (known, g_strdup ("uid-00000002"));
  snapshot = run_check (server, MP_POP3_AUTH_AUTO, known, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 4);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 2);
}

static void
assert_hash_keys (MpTestQuirks quirks)
{
  g_autoptr(MpTestServer) server = mailbox_server (quirks, 3);
  g_autoptr(MpMailboxSnapshot) first = NULL;
  g_autoptr(MpMailboxSnapshot) second = NULL;
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) known = uid_set ("uid-00000001", NULL);
  g_autoptr(GError) error = NULL;

  first = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (first->uidl_supported);
  g_assert_cmpuint (first->messages->len, ==, 3);

  /* Known UIDs mean nothing without UIDL: every message needs its TOP. */
  second = run_check (server, MP_POP3_AUTH_USER, known, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->messages->len, ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 6);

  for (guint i = 0; i < 3; i++)
    {
      MpMessageInfo *a = info_at (first, i);
      MpMessageInfo *b = info_at (second, i);

      g_assert_null (a->uid);
      g_assert_nonnull (a->key);
      g_assert_true (g_str_has_prefix (a->key, "sha256:"));
      g_assert_cmpuint (strlen (a->key), ==, strlen ("sha256:") + 64);
      g_assert_nonnull (a->headers);
      /* Stable across sessions, distinct between messages. */
      g_assert_cmpstr (a->key, ==, b->key);
      g_assert_true (g_hash_table_add (keys, a->key));
    }
}

static void
test_no_uidl (void)
{
  g_autoptr(MpTestServer) server = NULL;

  assert_hash_keys (MP_TEST_QUIRK_NO_UIDL);

  /* The capability says so: UIDL is not even asked. */
  server = mailbox_server (MP_TEST_QUIRK_NO_UIDL, 1);
  {
    g_autoptr(MpMailboxSnapshot) snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, NULL);

    g_assert_nonnull (snapshot);
    g_assert_cmpuint (mp_test_server_get_command_count (server, "UIDL"), ==, 0);
  }
}

static void
test_no_uidl_no_capa (void)
{
  /* Without CAPA the client must ask, take the -ERR, and hash. */
  assert_hash_keys (MP_TEST_QUIRK_NO_UIDL | MP_TEST_QUIRK_NO_CAPA);
}

static void
test_no_uidl_hash_ignores_body (void)
{
  g_autoptr(MpTestServer) whole = mailbox_server (MP_TEST_QUIRK_NO_UIDL | MP_TEST_QUIRK_TOP_WHOLE, 2);
  g_autoptr(MpTestServer) plain = mailbox_server (MP_TEST_QUIRK_NO_UIDL, 2);
  g_autoptr(MpMailboxSnapshot) a = NULL;
  g_autoptr(MpMailboxSnapshot) b = NULL;

  /* A server that answers TOP n 0 with the whole message gives the same
   * key: only the header block counts.
   */
  a = run_check (whole, MP_POP3_AUTH_USER, NULL, NULL);
  b = run_check (plain, MP_POP3_AUTH_USER, NULL, NULL);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (info_at (a, i)->key, ==, info_at (b, i)->key);
}

static void
test_top_err (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, 3);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  MpMessageInfo *info;

  /* Another session expunged message 2 after our LIST. */
  mp_test_server_set_expunged (server, 2, TRUE);

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);

  info = info_at (snapshot, 1);
  g_assert_nonnull (info->error);
  g_assert_null (info->headers);
  g_assert_cmpstr (info->uid, ==, "uid-00000002");
  /* The maildrop is locked (RFC 1939), so the engine takes the -ERR for
   * a refused TOP: the check tries RETR, which fails too, and the message
   * keeps an error (issue 7).
   */
  g_assert_false (snapshot->top_supported);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 1);
  g_test_message ("TOP -ERR: %s", info->error->message);

  g_assert_no_error (info_at (snapshot, 0)->error);
  g_assert_cmpstr (info_at (snapshot, 0)->headers->subject, ==, "Message 1");
  g_assert_no_error (info_at (snapshot, 2)->error);
  g_assert_cmpstr (info_at (snapshot, 2)->headers->subject, ==, "Message 3");
}

static void
test_top_err_no_uidl (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_UIDL, 2);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_expunged (server, 1, TRUE);

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info_at (snapshot, 0)->error);
  /* Nothing identifies it: no key rather than a made-up one. */
  g_assert_null (info_at (snapshot, 0)->key);
  g_assert_true (g_str_has_prefix (info_at (snapshot, 1)->key, "sha256:"));
}

static void
test_duplicate_uids (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GHashTable) known = uid_set ("twice", NULL);
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_add_message (server, "twice", "Subject: one\r\n\r\nbody\r\n");
  mp_test_server_add_message (server, "once", "Subject: two\r\n\r\nbody\r\n");
  mp_test_server_add_message (server, "twice", "Subject: three\r\n\r\nbody\r\n");
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_cmpstr (info_at (snapshot, 0)->uid, ==, "twice");
  g_assert_cmpstr (info_at (snapshot, 1)->uid, ==, "once");
  g_assert_cmpstr (info_at (snapshot, 2)->uid, ==, "twice");
  g_assert_cmpstr (info_at (snapshot, 2)->headers->subject, ==, "three");

  g_clear_pointer (&snapshot, mp_mailbox_snapshot_free);
  snapshot = run_check (server, MP_POP3_AUTH_AUTO, known, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_true (mp_test_server_log_contains (server, "TOP 2 0"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 4);
}

/* A UIDL reply that names one number twice and one that LIST lacks: every
 * message keeps the first UID given for its own number, none gets another
 * message's, and nothing is fetched for the phantom.
 */
static void
test_duplicate_uidl_lines (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  const char *capa = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n";

  mp_test_script_send (script, "+OK ready\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, capa);
  mp_test_script_expect (script, "USER " USER);
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_expect (script, "PASS " PASSWORD);
  mp_test_script_send (script, "+OK logged in\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, capa);
  mp_test_script_expect (script, "STAT");
  mp_test_script_send (script, "+OK 2 300\r\n");
  mp_test_script_expect (script, "LIST");
  mp_test_script_send (script, "+OK\r\n1 100\r\n2 200\r\n.\r\n");
  mp_test_script_expect (script, "UIDL");
  mp_test_script_send (script, "+OK\r\n1 first\r\n1 again\r\n2 second\r\n3 phantom\r\n.\r\n");
  mp_test_script_expect (script, "TOP 1 0");
  mp_test_script_send (script, "+OK\r\nSubject: one\r\n\r\n.\r\n");
  mp_test_script_expect (script, "TOP 2 0");
  mp_test_script_send (script, "+OK\r\nSubject: two\r\n\r\n.\r\n");
  mp_test_script_expect (script, "QUIT");
  mp_test_script_send (script, "+OK bye\r\n");
  mp_test_script_expect_closed (script);

  mp_test_server_add_script (server, script);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->count, ==, 2);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);
  g_assert_cmpstr (info_at (snapshot, 0)->uid, ==, "first");
  g_assert_cmpstr (info_at (snapshot, 0)->key, ==, "first");
  g_assert_cmpstr (info_at (snapshot, 0)->headers->subject, ==, "one");
  g_assert_cmpuint (info_at (snapshot, 0)->size, ==, 100);
  g_assert_cmpstr (info_at (snapshot, 1)->uid, ==, "second");
  g_assert_cmpstr (info_at (snapshot, 1)->headers->subject, ==, "two");
  g_assert_cmpuint (info_at (snapshot, 1)->size, ==, 200);
}

static void
test_uidl_extra (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_UIDL_EXTRA, 2);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_false (g_str_has_prefix (info_at (snapshot, i)->uid, "ghost"));
  g_assert_false (mp_test_server_log_contains (server, "TOP 3 *"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 2);
}

static void
test_empty_mailbox (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NONE, 0);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->count, ==, 0);
  g_assert_cmpuint (snapshot->messages->len, ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 1);
}

static void
test_wrong_password (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NONE, 1);
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_check_mailbox_async (client, USER, "wrong", MP_POP3_AUTH_USER, NULL, NULL,
                          mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, &error);
  g_assert_null (snapshot);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "STAT"), ==, 0);
}

/* ---- issue 6: STAT, LIST and UIDL with the CAPA after the login ------- */

/* A server that announced PIPELINING before the login gets STAT, LIST
 * and UIDL right behind the CAPA that follows the login, before that CAPA
 * is answered: the script answers nothing until all four lines arrived
 * (an engine that waits for the CAPA's answer first fails the "STAT"
 * expectation when it times out).
 */
static void
test_pipelining_listing_with_capa (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  const char *capa = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n";

  mp_test_script_send (script, "+OK ready\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_send (script, capa);
  mp_test_script_expect (script, "USER " USER);
  mp_test_script_send (script, "+OK\r\n");
  mp_test_script_expect (script, "PASS " PASSWORD);
  mp_test_script_send (script, "+OK logged in\r\n");
  mp_test_script_expect (script, "CAPA");
  mp_test_script_expect (script, "STAT");
  mp_test_script_expect (script, "LIST");
  mp_test_script_expect (script, "UIDL");
  mp_test_script_send (script, capa);
  mp_test_script_send (script, "+OK 2 300\r\n");
  mp_test_script_send (script, "+OK\r\n1 100\r\n2 200\r\n.\r\n");
  mp_test_script_send (script, "+OK\r\n1 first\r\n2 second\r\n.\r\n");
  mp_test_script_expect (script, "TOP 2 0");
  mp_test_script_send (script, "+OK\r\nSubject: two\r\n\r\n.\r\n");
  mp_test_script_expect (script, "QUIT");
  mp_test_script_send (script, "+OK bye\r\n");
  mp_test_script_expect_closed (script);

  mp_test_server_add_script (server, script);
  mp_test_server_set_io_timeout (server, 3000);
  g_assert_true (mp_test_server_start (server, &error));

  {
    g_autoptr(GHashTable) known = uid_set ("first", NULL);

    snapshot = run_check (server, MP_POP3_AUTH_USER, known, &error);
  }
  g_assert_no_error (error);
  g_assert_true (snapshot->pipelining);
  g_assert_true (snapshot->uidl_supported);
  g_assert_cmpuint (snapshot->count, ==, 2);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);
  g_assert_cmpstr (info_at (snapshot, 0)->uid, ==, "first");
  g_assert_cmpstr (info_at (snapshot, 1)->uid, ==, "second");
  g_assert_cmpstr (info_at (snapshot, 1)->headers->subject, ==, "two");
}

/* Without PIPELINING, every command of the session waits for the answer
 * to the one before, the CAPA after the login included: the server never
 * finds a second command waiting when it answers one (it answers after a
 * delay, so that a command sent early would be there).
 */
static void
test_pipelining_lockstep_without (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_fill (server, 3);
  mp_test_server_set_reply_delay (server, 20);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->pipelining);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 3);
  g_assert_cmpuint (mp_test_server_get_max_depth (server), ==, 1);
}

/* The pipelined UIDL meets capabilities that changed at the login (RFC
 * 2449 §4): announced before, gone after, and refused. The -ERR does not
 * fail the read-only listing; the messages are known by their headers.
 */
static void
test_pipelining_uidl_gone_after_login (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_UIDL | MP_TEST_QUIRK_PIPELINING);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT,
                                   "USER", "UIDL", "TOP", "PIPELINING", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_LOGGED_IN,
                                   "USER", "TOP", "PIPELINING", NULL);
  mp_test_server_fill (server, 2);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (snapshot->pipelining);
  g_assert_false (snapshot->uidl_supported);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UIDL"), ==, 1);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_null (info_at (snapshot, i)->uid);
      g_assert_true (g_str_has_prefix (info_at (snapshot, i)->key, "sha256:"));
      g_assert_nonnull (info_at (snapshot, i)->headers);
    }
}

/* In lockstep, UIDL waits for the CAPA after the login, and a CAPA
 * without UIDL means it is not sent at all.
 */
static void
test_lockstep_uidl_gone_after_login (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_UIDL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT, "USER", "UIDL", "TOP", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_LOGGED_IN, "USER", "TOP", NULL);
  mp_test_server_fill (server, 2);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->pipelining);
  g_assert_false (snapshot->uidl_supported);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UIDL"), ==, 0);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);
}

/* Nothing goes after a refused login, pipelining or not: the listing
 * queued with the open fails with the login's error, unsent.
 */
static void
test_pipelining_login_refused (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, 1);
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  mp_check_mailbox_async (client, USER, "wrong", MP_POP3_AUTH_USER, NULL, NULL,
                          mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, &error);
  g_assert_null (snapshot);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "PASS"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "STAT"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "LIST"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "UIDL"), ==, 0);
}

/* ---- issue 6: the known UIDs come while the session runs -------------- */

static gboolean
known_waiting (gpointer user_data)
{
  return mp_check_known_get_waiting (user_data);
}

/* What the caller knows arrives while the session lists (before the
 * check needs it) or after (the check waits, listed once): either way
 * only the unknown message gets a TOP. Failing it fails the check.
 */
static void
check_known_later (gboolean after_listing,
                   gboolean fail)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, 3);
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(MpCheckKnown) known = mp_check_known_new ();
  g_autoptr(GHashTable) uids = uid_set ("uid-00000001", "uid-00000003", NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no state");

  mp_pop3_client_set_timeout (client, 5);
  mp_check_mailbox_later_async (client, USER, PASSWORD, MP_POP3_AUTH_USER, known, NULL,
                                mp_test_result_cb, &result);
  if (after_listing)
    mp_test_wait_until (known_waiting, known, GUARD_SECONDS * 1000, "the check to wait");
  else
    g_assert_false (mp_check_known_get_waiting (known));
  if (fail)
    mp_check_known_fail (known, why);
  else
    mp_check_known_resolve (known, uids);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, &error);
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  mp_test_server_assert_no_failures (server);

  if (fail)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
      g_assert_null (snapshot);
      g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "STAT"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "TOP 2 0"));
  g_assert_null (info_at (snapshot, 0)->headers);
  g_assert_nonnull (info_at (snapshot, 1)->headers);
  g_assert_null (info_at (snapshot, 2)->headers);
  g_assert_cmpstr (info_at (snapshot, 1)->uid, ==, "uid-00000002");
}

static void
test_known_later_before (void)
{
  check_known_later (FALSE, FALSE);
}

static void
test_known_later_after (void)
{
  check_known_later (TRUE, FALSE);
}

static void
test_known_later_failed (void)
{
  check_known_later (TRUE, TRUE);
}

/* ---- issue 7: servers without TOP ------------------------------------ */

/* The UIDs of @snapshot's messages that have headers, as a state would
 * remember them.
 */
static GHashTable *
uids_with_headers (MpMailboxSnapshot *snapshot)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      MpMessageInfo *info = info_at (snapshot, i);

      if (info->uid != NULL && info->headers != NULL)
        g_hash_table_add (set, g_strdup (info->uid));
    }
  return set;
}

static void
assert_fill_headers (MpMailboxSnapshot *snapshot,
                     guint              n)
{
  g_assert_cmpuint (snapshot->messages->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      MpMessageInfo *info = info_at (snapshot, i);
      g_autofree char *subject = g_strdup_printf ("Message %u", i + 1);
      g_autofree char *from = g_strdup_printf ("Sender %u <sender%u@example.com>", i + 1, i + 1);

      g_assert_no_error (info->error);
      g_assert_nonnull (info->headers);
      g_assert_cmpstr (info->headers->subject, ==, subject);
      g_assert_cmpstr (info->headers->from, ==, from);
      g_assert_cmpstr (info->headers->to, ==, "alice@example.com");
      /* only the header block was parsed, not the body after it */
      g_assert_nonnull (info->headers->date);
    }
}

/* CAPA without TOP: not one TOP, the headers from RETR, and once they are
 * known (cached by the caller's state) nothing at all is fetched.
 */
static void
test_no_top_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_TOP | MP_TEST_QUIRK_PIPELINING, 3);
  g_autoptr(MpMailboxSnapshot) first = NULL;
  g_autoptr(MpMailboxSnapshot) second = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;

  first = run_check (server, MP_POP3_AUTH_AUTO, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (first->top_supported);
  g_assert_true (first->uidl_supported);
  assert_fill_headers (first, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 3);

  known = uids_with_headers (first);
  g_assert_cmpuint (g_hash_table_size (known), ==, 3);
  mp_test_server_clear_log (server);
  second = run_check (server, MP_POP3_AUTH_AUTO, known, &error);
  g_assert_no_error (error);
  g_assert_false (second->top_supported);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 1);
}

/* CAPA claims TOP, and every TOP is refused: the first -ERR ends TOP for
 * the session, everything comes from RETR.
 */
static void
test_top_refused_all (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  guint n_top;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_TOP);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_CLEARTEXT, "USER", "UIDL", "TOP", NULL);
  mp_test_server_set_capabilities (server, MP_TEST_CAPA_LOGGED_IN, "USER", "UIDL", "TOP", NULL);
  mp_test_server_fill (server, 3);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->top_supported);
  assert_fill_headers (snapshot, 3);
  /* after the first -ERR, no more TOPs */
  n_top = mp_test_server_get_command_count (server, "TOP");
  g_assert_cmpuint (n_top, ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 3);
}

/* No CAPA at all, and TOP unknown: the first TOP goes alone, and after its
 * -ERR no other TOP is sent.
 */
static void
test_top_refused_no_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_TOP | MP_TEST_QUIRK_NO_CAPA, 4);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->top_supported);
  assert_fill_headers (snapshot, 4);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "TOP 1 0"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 4);
}

/* No CAPA, TOP works: the probe costs nothing but its order. */
static void
test_top_probe_no_capa (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_CAPA, 3);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (snapshot->top_supported);
  assert_fill_headers (snapshot, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 0);
}

/* A message over the limit is listed with its size and an error, never
 * RETRed; one under it is; both with UIDL. A limit of 0 RETRs nothing.
 */
static void
test_no_top_size_limit (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GString) big = g_string_new ("From: Big <big@example.com>\r\nSubject: big\r\n\r\n");
  g_autoptr(GError) error = NULL;
  MpMessageInfo *info;

  for (guint i = 0; i < 100; i++)
    g_string_append (big, "0123456789012345678901234567890123456789012345678901234567890123456789\r\n");

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_NO_TOP);
  mp_test_server_add_message (server, "small", "From: Small <small@example.com>\r\nSubject: small\r\n\r\nhi\r\n");
  mp_test_server_add_message (server, "big", big->str);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check_limit (server, MP_POP3_AUTH_USER, NULL, 4096, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->top_supported);
  g_assert_cmpuint (snapshot->messages->len, ==, 2);

  info = info_at (snapshot, 0);
  g_assert_no_error (info->error);
  g_assert_cmpstr (info->headers->subject, ==, "small");

  info = info_at (snapshot, 1);
  g_assert_cmpstr (info->uid, ==, "big");
  g_assert_cmpstr (info->key, ==, "big");
  g_assert_cmpuint (info->size, >, 4096);
  g_assert_null (info->headers);
  g_assert_error (info->error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);
  g_assert_cmpstr (info->error->message, ==, "headers not available: the server does not offer TOP");

  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "RETR 1"));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);

  g_clear_pointer (&snapshot, mp_mailbox_snapshot_free);
  mp_test_server_clear_log (server);
  snapshot = run_check_limit (server, MP_POP3_AUTH_USER, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 0);
  for (guint i = 0; i < 2; i++)
    g_assert_error (info_at (snapshot, i)->error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);
}

/* Without a limit from the caller, the retr-header-limit setting counts. */
static void
test_no_top_limit_setting (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_TOP, 2);
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_settings_get_uint (settings, "retr-header-limit"), ==,
                    MP_CHECK_DEFAULT_RETR_HEADER_LIMIT);

  g_assert_true (g_settings_set_uint (settings, "retr-header-limit", 10));
  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 0);
  g_assert_error (info_at (snapshot, 0)->error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED);

  g_settings_reset (settings, "retr-header-limit");
  g_clear_pointer (&snapshot, mp_mailbox_snapshot_free);
  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  assert_fill_headers (snapshot, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "RETR"), ==, 2);
}

/* TOP refused for one message only (the last): that one comes from RETR, the others keep their TOP, and the next session, with
 * all of them known, sends neither.
 */
static void
test_top_refused_one (void)
{
  g_autoptr(MpTestScript) script = mp_test_script_new ();
  g_autoptr(MpTestScript) again = mp_test_script_new ();
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;
  const char *capa = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n";
  MpTestScript *scripts[] = { script, again };

  for (guint i = 0; i < 2; i++)
    {
      mp_test_script_send (scripts[i], "+OK ready\r\n");
      mp_test_script_expect (scripts[i], "CAPA");
      mp_test_script_send (scripts[i], capa);
      mp_test_script_expect (scripts[i], "USER " USER);
      mp_test_script_send (scripts[i], "+OK\r\n");
      mp_test_script_expect (scripts[i], "PASS " PASSWORD);
      mp_test_script_send (scripts[i], "+OK logged in\r\n");
      mp_test_script_expect (scripts[i], "CAPA");
      mp_test_script_send (scripts[i], capa);
      mp_test_script_expect (scripts[i], "STAT");
      mp_test_script_send (scripts[i], "+OK 3 600\r\n");
      mp_test_script_expect (scripts[i], "LIST");
      mp_test_script_send (scripts[i], "+OK\r\n1 100\r\n2 200\r\n3 300\r\n.\r\n");
      mp_test_script_expect (scripts[i], "UIDL");
      mp_test_script_send (scripts[i], "+OK\r\n1 u1\r\n2 u2\r\n3 u3\r\n.\r\n");
    }

  mp_test_script_expect (script, "TOP 1 0");
  mp_test_script_send (script, "+OK\r\nSubject: one\r\nFrom: a@example.org\r\n\r\n.\r\n");
  mp_test_script_expect (script, "TOP 2 0");
  mp_test_script_send (script, "+OK\r\nSubject: two\r\nFrom: b@example.org\r\n\r\n.\r\n");
  mp_test_script_expect (script, "TOP 3 0");
  mp_test_script_send (script, "-ERR cannot TOP this one\r\n");
  mp_test_script_expect (script, "RETR 3");
  mp_test_script_send (script, "+OK\r\nSubject: three\r\nFrom: c@example.org\r\n"
                               "Content-Type: text/plain\r\n\r\nSubject: not this\r\n..dot\r\n.\r\n");
  mp_test_script_expect (script, "QUIT");
  mp_test_script_send (script, "+OK bye\r\n");
  mp_test_script_expect_closed (script);

  /* the next session: everything known, no TOP, no RETR */
  mp_test_script_expect (again, "QUIT");
  mp_test_script_send (again, "+OK bye\r\n");
  mp_test_script_expect_closed (again);

  mp_test_server_add_script (server, script);
  mp_test_server_add_script (server, again);
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (snapshot->top_supported);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_cmpstr (info_at (snapshot, 0)->headers->subject, ==, "one");
  g_assert_cmpstr (info_at (snapshot, 1)->headers->subject, ==, "two");
  g_assert_no_error (info_at (snapshot, 2)->error);
  g_assert_cmpstr (info_at (snapshot, 2)->headers->subject, ==, "three");
  g_assert_cmpstr (info_at (snapshot, 2)->headers->from, ==, "c@example.org");
  g_assert_cmpstr (info_at (snapshot, 2)->key, ==, "u3");

  known = uids_with_headers (snapshot);
  g_assert_cmpuint (g_hash_table_size (known), ==, 3);
  g_clear_pointer (&snapshot, mp_mailbox_snapshot_free);
  snapshot = run_check (server, MP_POP3_AUTH_USER, known, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (snapshot->messages->len, ==, 3);
  g_assert_cmpuint (mp_test_server_get_n_connections (server), ==, 2);
}

/* ---- issue 7: headers through a whole check --------------------------- */

/* Empty and missing Subject, several From mailboxes, as a check reports
 * them and as the seen-state keeps them.
 */
static void
test_subject_and_from (void)
{
  g_autoptr(MpTestServer) server = mp_test_server_new ();
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  const MpHeaders *h;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_add_message (server, "empty", "From: a@example.org\r\nSubject:\r\n\r\nbody\r\n");
  mp_test_server_add_message (server, "missing", "From: b@example.org\r\n\r\nbody\r\n");
  mp_test_server_add_message (server, "several",
                              "From: Alice <alice@example.org>, =?utf-8?Q?Bj=C3=B6rn?= <bjorn@example.se>,\r\n"
                              " carol@example.net\r\nSubject: three authors\r\n\r\nbody\r\n");
  g_assert_true (mp_test_server_start (server, &error));

  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info_at (snapshot, 0)->headers->subject, ==, "");
  g_assert_null (info_at (snapshot, 1)->headers->subject);
  h = info_at (snapshot, 2)->headers;
  g_assert_cmpstr (h->from, ==, "Alice <alice@example.org>, Björn <bjorn@example.se>, carol@example.net");
  g_assert_cmpstr (h->from_name, ==, "Alice");
  g_assert_cmpstr (h->from_address, ==, "alice@example.org");

  state = mp_mailbox_state_load ("alice@subject-and-from");
  mp_mailbox_state_merge (state, snapshot);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  reloaded = mp_mailbox_state_load ("alice@subject-and-from");
  g_assert_cmpstr (mp_mailbox_state_get_headers (reloaded, "empty")->subject, ==, "");
  g_assert_null (mp_mailbox_state_get_headers (reloaded, "missing")->subject);
  h = mp_mailbox_state_get_headers (reloaded, "several");
  g_assert_cmpstr (h->from, ==, "Alice <alice@example.org>, Björn <bjorn@example.se>, carol@example.net");
  g_assert_cmpstr (h->from_address, ==, "alice@example.org");
}

/* ---- issue 7: no UIDL, a message rebuilt each session ------------------ */

static char *
regenerated_message (const char *boundary,
                     const char *received)
{
  return g_strdup_printf ("Received: from relay by pop.example.org; %s\r\n"
                          "From: Boris <boris@example.ru>\r\n"
                          "Subject: the same message\r\n"
                          "Date: Mon, 24 Nov 2025 16:00:00 +0000\r\n"
                          "Message-ID: <same@example.ru>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
                          "\r\n"
                          "--%s\r\nContent-Type: text/plain\r\n\r\nhello\r\n--%s--\r\n",
                          received, boundary, boundary, boundary);
}

/* A no-UIDL server that gives the message a new MIME boundary (and a new
 * trace line) each session: the key stays, so the seen-state does not
 * announce it again; a really different message still gets its own key.
 */
static void
test_no_uidl_regenerated (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_UIDL, 0);
  g_autoptr(MpMailboxSnapshot) first = NULL;
  g_autoptr(MpMailboxSnapshot) second = NULL;
  g_autoptr(MpMailboxSnapshot) third = NULL;
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("alice@no-uidl-regenerated");
  g_autofree char *a = regenerated_message ("=_boundary_AAAAAAAA", "Mon, 24 Nov 2025 16:00:01 +0000");
  g_autofree char *b = regenerated_message ("=_boundary_BBBBBBBB", "Mon, 24 Nov 2025 16:05:02 +0000");
  g_autofree char *other = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (strlen (a), ==, strlen (b));
  mp_test_server_add_message (server, NULL, a);
  first = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (first->uidl_supported);
  g_assert_true (g_str_has_prefix (info_at (first, 0)->key, "sha256:"));
  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, 1);
  mp_mailbox_state_mark_all_announced (state);

  /* the server rebuilds it for the next session */
  mp_test_server_delete_message (server, 1);
  mp_test_server_add_message (server, NULL, b);
  second = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->messages->len, ==, 1);
  g_assert_cmpuint (info_at (second, 0)->size, ==, info_at (first, 0)->size);
  g_assert_cmpstr (info_at (second, 0)->key, ==, info_at (first, 0)->key);
  g_assert_cmpuint (mp_mailbox_state_merge (state, second), ==, 0);
  g_assert_true (mp_mailbox_state_is_announced (state, info_at (second, 0)->key));

  /* another message with another Message-ID is new */
  other = g_strdup (b);
  memcpy (strstr (other, "<same@"), "<diff@", 6);
  mp_test_server_add_message (server, NULL, other);
  third = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (third->messages->len, ==, 2);
  g_assert_cmpstr (info_at (third, 0)->key, ==, info_at (first, 0)->key);
  g_assert_cmpstr (info_at (third, 1)->key, !=, info_at (first, 0)->key);
  g_assert_cmpuint (mp_mailbox_state_merge (state, third), ==, 1);
  g_assert_false (mp_mailbox_state_is_announced (state, info_at (third, 1)->key));
}

/* No UIDL and no TOP: the key comes from the headers in the RETR. */
static void
test_no_uidl_no_top (void)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_NO_UIDL | MP_TEST_QUIRK_NO_TOP, 2);
  g_autoptr(MpTestServer) with_top = mailbox_server (MP_TEST_QUIRK_NO_UIDL, 2);
  g_autoptr(MpMailboxSnapshot) a = NULL;
  g_autoptr(MpMailboxSnapshot) b = NULL;
  g_autoptr(GError) error = NULL;

  a = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  b = run_check (with_top, MP_POP3_AUTH_USER, NULL, &error);
  g_assert_no_error (error);
  assert_fill_headers (a, 2);
  /* the same key as from TOP: only the header block counts */
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (info_at (a, i)->key, ==, info_at (b, i)->key);
  g_assert_cmpstr (info_at (a, 0)->key, !=, info_at (a, 1)->key);
}

/* ---- decoding off the main thread ---------------------------------------
 *
 * A first poll of a large mailbox decodes thousands of header blocks; that
 * happens in a worker thread, never on the main loop. The parse hook of
 * mp-headers-private.h sees every mp_headers_parse() and the thread it
 * runs in.
 */

#define MANY_MESSAGES 400
/* More than one batch of replies (TOP_BATCH in mp-check.c is 500). */
#define MORE_MESSAGES 1100

typedef struct
{
  GThread      *main_thread;
  gint          parses;            /* atomic */
  gint          main_parses;       /* atomic */
  guint         cancel_at;         /* cancel at this parse, 0 for never */
  GCancellable *cancellable;
} ParseWatch;

static void
parse_hook (gpointer user_data)
{
  ParseWatch *watch = user_data;
  guint n = g_atomic_int_add (&watch->parses, 1) + 1;

  if (g_thread_self () == watch->main_thread)
    g_atomic_int_inc (&watch->main_parses);
  if (watch->cancel_at != 0 && n == watch->cancel_at)
    g_cancellable_cancel (watch->cancellable);
}

static void
assert_decoded_off_main_thread (MpTestQuirks quirks,
                                const char  *command,
                                guint        n)
{
  g_autoptr(MpTestServer) server = mailbox_server (quirks, n);
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GHashTable) keys = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  ParseWatch watch = { g_thread_self (), 0, 0, 0, NULL };

  mp_headers_set_parse_hook (parse_hook, &watch);
  snapshot = run_check (server, MP_POP3_AUTH_USER, NULL, &error);
  mp_headers_set_parse_hook (NULL, NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (mp_test_server_get_command_count (server, command), ==, n);
  assert_fill_headers (snapshot, n);
  for (guint i = 0; i < n; i++)
    {
      MpMessageInfo *info = info_at (snapshot, i);

      g_assert_nonnull (info->key);
      g_hash_table_add (keys, info->key);
    }
  /* With UIDL the keys are the UIDs; without, hashes made in the worker. */
  g_assert_cmpuint (g_hash_table_size (keys), ==, n);

  g_assert_cmpint (g_atomic_int_get (&watch.parses), ==, n);
  g_assert_cmpint (g_atomic_int_get (&watch.main_parses), ==, 0);
}

static void
test_decode_off_main_thread (void)
{
  assert_decoded_off_main_thread (MP_TEST_QUIRK_PIPELINING, "TOP", MORE_MESSAGES);
}

static void
test_decode_off_main_thread_no_uidl (void)
{
  assert_decoded_off_main_thread (MP_TEST_QUIRK_PIPELINING | MP_TEST_QUIRK_NO_UIDL, "TOP",
                                  MANY_MESSAGES);
}

static void
test_decode_off_main_thread_retr (void)
{
  assert_decoded_off_main_thread (MP_TEST_QUIRK_PIPELINING | MP_TEST_QUIRK_NO_TOP, "RETR",
                                  MANY_MESSAGES);
}

/* Cancelled in the middle of the decoding (from the worker, at its tenth
 * message): the check fails with G_IO_ERROR_CANCELLED once the worker
 * stops, which is at the next message, and sends no QUIT. With one batch
 * of replies every TOP was answered by then; with more, the cancel also
 * ends the transfer of the others.
 */
static void
assert_decode_cancelled (guint n)
{
  g_autoptr(MpTestServer) server = mailbox_server (MP_TEST_QUIRK_PIPELINING, n);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("127.0.0.1",
                                                       mp_test_server_get_port (server),
                                                       MP_POP3_SECURITY_NONE);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = NULL;
  g_autoptr(GError) error = NULL;
  ParseWatch watch = { g_thread_self (), 0, 0, 10, cancellable };

  mp_pop3_client_set_timeout (client, 5);
  mp_headers_set_parse_hook (parse_hook, &watch);
  mp_check_mailbox_async (client, USER, PASSWORD, MP_POP3_AUTH_USER, NULL, cancellable,
                          mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  snapshot = mp_check_mailbox_finish (client, result, &error);
  mp_headers_set_parse_hook (NULL, NULL);

  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (snapshot);
  if (n <= MANY_MESSAGES)
    g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, n);
  g_assert_cmpint (g_atomic_int_get (&watch.parses), ==, 10);
  g_assert_cmpint (g_atomic_int_get (&watch.main_parses), ==, 0);
  g_assert_false (mp_pop3_client_is_connected (client));
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 0);
}

static void
test_decode_cancelled (void)
{
  assert_decode_cancelled (MANY_MESSAGES);
}

static void
test_decode_cancelled_batches (void)
{
  assert_decode_cancelled (MORE_MESSAGES);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/check/all-new", test_all_new);
  g_test_add_func ("/check/known-uids", test_known_uids);
  g_test_add_func ("/check/no-uidl", test_no_uidl);
  g_test_add_func ("/check/no-uidl-no-capa", test_no_uidl_no_capa);
  g_test_add_func ("/check/no-uidl-hash-ignores-body", test_no_uidl_hash_ignores_body);
  g_test_add_func ("/check/top-err", test_top_err);
  g_test_add_func ("/check/top-err-no-uidl", test_top_err_no_uidl);
  g_test_add_func ("/check/duplicate-uids", test_duplicate_uids);
  g_test_add_func ("/check/duplicate-uidl-lines", test_duplicate_uidl_lines);
  g_test_add_func ("/check/uidl-extra", test_uidl_extra);
  g_test_add_func ("/check/empty-mailbox", test_empty_mailbox);
  g_test_add_func ("/check/wrong-password", test_wrong_password);
  g_test_add_func ("/check/pipelining/listing-with-capa", test_pipelining_listing_with_capa);
  g_test_add_func ("/check/pipelining/lockstep-without", test_pipelining_lockstep_without);
  g_test_add_func ("/check/pipelining/uidl-gone-after-login", test_pipelining_uidl_gone_after_login);
  g_test_add_func ("/check/pipelining/lockstep-uidl-gone-after-login",
                   test_lockstep_uidl_gone_after_login);
  g_test_add_func ("/check/pipelining/login-refused", test_pipelining_login_refused);
  g_test_add_func ("/check/known-later/before-listing", test_known_later_before);
  g_test_add_func ("/check/known-later/after-listing", test_known_later_after);
  g_test_add_func ("/check/known-later/failed", test_known_later_failed);
  g_test_add_func ("/check/no-top/capa", test_no_top_capa);
  g_test_add_func ("/check/no-top/refused-all", test_top_refused_all);
  g_test_add_func ("/check/no-top/refused-no-capa", test_top_refused_no_capa);
  g_test_add_func ("/check/no-top/probe-no-capa", test_top_probe_no_capa);
  g_test_add_func ("/check/no-top/refused-one", test_top_refused_one);
  g_test_add_func ("/check/no-top/size-limit", test_no_top_size_limit);
  g_test_add_func ("/check/no-top/limit-setting", test_no_top_limit_setting);
  g_test_add_func ("/check/headers/subject-and-from", test_subject_and_from);
  g_test_add_func ("/check/no-uidl/regenerated", test_no_uidl_regenerated);
  g_test_add_func ("/check/no-uidl/no-top", test_no_uidl_no_top);
  g_test_add_func ("/check/decode/off-main-thread", test_decode_off_main_thread);
  g_test_add_func ("/check/decode/off-main-thread-no-uidl", test_decode_off_main_thread_no_uidl);
  g_test_add_func ("/check/decode/off-main-thread-retr", test_decode_off_main_thread_retr);
  g_test_add_func ("/check/decode/cancelled", test_decode_cancelled);
  g_test_add_func ("/check/decode/cancelled-batches", test_decode_cancelled_batches);

  return mp_test_shutdown (g_test_run ());
}
