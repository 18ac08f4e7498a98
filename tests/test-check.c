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

  return mp_test_shutdown (g_test_run ());
}
