/* test-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Download and delete by UID (mp-transfer.h) against the in-process test
 * server: what reaches the server (its command log and maildrop) and what
 * reaches the disk, for the safe path and for every way it can go wrong.
 */

#define G_LOG_DOMAIN "test-transfer"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mp-test-server.h"
#include "mp-test-util.h"
#include "mp-transfer.h"

#define GUARD_SECONDS 20
#define USER          "alice"
#define PASSWORD      "secret"

/* Three messages with the CRLF line ends the server keeps; the second has
 * lines that go on the wire dot-stuffed (RFC 1939 §3), a lone "." among
 * them.
 */
static const char message_one[] =
  "From: Sender One <one@example.com>\r\n"
  "To: alice@example.com\r\n"
  "Subject: First\r\n"
  "Message-ID: <1@example.com>\r\n"
  "\r\n"
  "Hello, this is the first message.\r\n";

static const char message_dots[] =
  "From: Sender Two <two@example.com>\r\n"
  "To: alice@example.com\r\n"
  "Subject: Dots\r\n"
  "Message-ID: <2@example.com>\r\n"
  "\r\n"
  ".hidden\r\n"
  "..two dots\r\n"
  ".\r\n"
  "after a lone dot\r\n"
  "...\r\n"
  "last line\r\n";

static const char message_three[] =
  "From: Sender Three <three@example.com>\r\n"
  "To: alice@example.com\r\n"
  "Subject: Third\r\n"
  "Message-ID: <3@example.com>\r\n"
  "\r\n"
  "The third message.\r\n";

/* ---- the server and the client ----------------------------------------- */

static MpTestServer *
server_new (MpTestQuirks quirks)
{
  MpTestServer *server = mp_test_server_new ();

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, quirks);
  return server;
}

static void
server_start (MpTestServer *server)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mp_test_server_start (server, &error));
  g_assert_no_error (error);
}

/* A server holding the three messages above as uid-1, uid-2, uid-3. */
static MpTestServer *
three_messages_server (MpTestQuirks quirks)
{
  MpTestServer *server = server_new (quirks);

  mp_test_server_add_message (server, "uid-1", message_one);
  mp_test_server_add_message (server, "uid-2", message_dots);
  mp_test_server_add_message (server, "uid-3", message_three);
  server_start (server);
  return server;
}

static MpPop3Client *
client_new (MpTestServer *server)
{
  MpPop3Client *client = mp_pop3_client_new ("127.0.0.1", mp_test_server_get_port (server),
                                             MP_POP3_SECURITY_NONE);

  mp_pop3_client_set_timeout (client, 5);
  return client;
}

static void
log_outcomes (GPtrArray *outcomes)
{
  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      g_test_message ("%s: deleted=%d path=%s error=%s", outcome->uid, outcome->deleted,
                      outcome->path ? outcome->path : "(none)",
                      outcome->error ? outcome->error->message : "(none)");
    }
}

/* Waits for the session of @result and for the server to be done with
 * it, failing the test on anything the server did not expect.
 */
static void
await_session (MpTestServer  *server,
               GAsyncResult **result)
{
  mp_test_await (result, GUARD_SECONDS);
  g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  mp_test_server_assert_no_failures (server);
}

static GPtrArray *
run_delete (MpTestServer        *server,
            const char * const  *uids,
            GError             **error)
{
  g_autoptr(MpPop3Client) client = client_new (server);
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *outcomes;

  mp_delete_messages_async (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, uids, NULL,
                            mp_test_result_cb, &result);
  await_session (server, &result);
  outcomes = mp_delete_messages_finish (client, result, error);
  if (outcomes != NULL)
    log_outcomes (outcomes);
  return outcomes;
}

static GPtrArray *
run_download (MpTestServer        *server,
              const char * const  *uids,
              const char          *directory,
              MpDownloadFlags      flags,
              GError             **error)
{
  g_autoptr(MpPop3Client) client = client_new (server);
  g_autoptr(GAsyncResult) result = NULL;
  GPtrArray *outcomes;

  mp_download_messages_async (client, USER, PASSWORD, MP_POP3_AUTH_AUTO, uids, directory,
                              flags, NULL, mp_test_result_cb, &result);
  await_session (server, &result);
  outcomes = mp_download_messages_finish (client, result, error);
  if (outcomes != NULL)
    log_outcomes (outcomes);
  return outcomes;
}

static MpTransferOutcome *
find_outcome (GPtrArray  *outcomes,
              const char *uid)
{
  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      if (g_str_equal (outcome->uid, uid))
        return outcome;
    }
  g_error ("no outcome for %s", uid);
}

/* How many logged client lines match @pattern. */
static guint
count_log_lines (MpTestServer *server,
                 const char   *pattern)
{
  g_auto(GStrv) log = mp_test_server_get_log (server);
  g_autoptr(GPatternSpec) spec = g_pattern_spec_new (pattern);
  guint n = 0;

  for (guint i = 0; log[i] != NULL; i++)
    if (g_pattern_spec_match_string (spec, log[i]))
      n++;
  return n;
}

/* ---- the disk ---------------------------------------------------------- */

static char *
target_dir (const char *name)
{
  return g_build_filename (g_get_home_dir (), name, NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The names in @dir, sorted; an empty list when it does not exist. */
static GStrv
list_dir (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static guint
count_dir (const char *dir)
{
  g_auto(GStrv) names = list_dir (dir);

  return g_strv_length (names);
}

static void
assert_file_contents (const char *path,
                      const char *expected,
                      gsize       expected_len)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (contents, len, expected, expected_len);
}

static char *
crlf_to_lf (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!(p[0] == '\r' && p[1] == '\n'))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/* ---- delete ------------------------------------------------------------ */

static void
test_delete_maps_numbers (void)
{
  g_autoptr(MpTestServer) server = server_new (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) first = NULL;
  g_autoptr(GPtrArray) second = NULL;
  g_autoptr(GError) error = NULL;
  const char *first_uids[] = { "uid-c", NULL };
  const char *second_uids[] = { "uid-d", "uid-a", NULL };
  MpTransferOutcome *outcome;

  mp_test_server_add_message (server, "uid-a", message_one);
  mp_test_server_add_message (server, "uid-b", message_dots);
  mp_test_server_add_message (server, "uid-c", message_three);
  mp_test_server_add_message (server, "uid-d", message_one);
  server_start (server);

  first = run_delete (server, first_uids, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->len, ==, 1);
  outcome = find_outcome (first, "uid-c");
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->deleted);
  g_assert_null (outcome->path);
  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "DELE 3"));
  g_assert_false (mp_test_server_has_uid (server, "uid-c"));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);

  /* uid-d was number 4 and is number 3 now: the delete must use the
   * number of its own session.
   */
  second = run_delete (server, second_uids, &error);
  log_outcomes (second);
  g_assert_no_error (error);
  g_assert_cmpuint (second->len, ==, 2);
  g_assert_true (find_outcome (second, "uid-d")->deleted);
  g_assert_true (find_outcome (second, "uid-a")->deleted);
  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 3);
  g_assert_cmpuint (count_log_lines (server, "DELE 3"), ==, 2);
  g_assert_cmpuint (count_log_lines (server, "DELE 1"), ==, 1);
  g_assert_cmpuint (count_log_lines (server, "DELE 4"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
  g_assert_true (mp_test_server_has_uid (server, "uid-b"));
}

static void
test_delete_not_found (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-gone", "uid-2", "uid-2", NULL };
  MpTransferOutcome *outcome;

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);

  /* The same UID asked for twice is one message, deleted once. */
  g_assert_cmpuint (outcomes->len, ==, 2);
  outcome = find_outcome (outcomes, "uid-gone");
  g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (outcome->error->message, "uid-gone"));
  g_assert_false (outcome->deleted);
  g_assert_true (find_outcome (outcomes, "uid-2")->deleted);

  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "DELE 2"));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
  g_assert_false (mp_test_server_has_uid (server, "uid-2"));
}

static void
test_delete_duplicate (void)
{
  g_autoptr(MpTestServer) server = server_new (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-twice", "uid-once", NULL };
  MpTransferOutcome *outcome;

  mp_test_server_add_message (server, "uid-twice", message_one);
  mp_test_server_add_message (server, "uid-once", message_dots);
  mp_test_server_add_message (server, "uid-twice", message_three);
  server_start (server);

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);

  outcome = find_outcome (outcomes, "uid-twice");
  g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_DUPLICATE);
  g_assert_false (outcome->deleted);
  g_assert_true (find_outcome (outcomes, "uid-once")->deleted);

  /* Nothing was guessed: no DELE for either message with the shared UID. */
  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "DELE 2"));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
  g_assert_true (mp_test_server_has_uid (server, "uid-twice"));
}

static void
test_delete_uidl_extra (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_UIDL_EXTRA);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "ghost-4", "uid-3", NULL };
  MpTransferOutcome *outcome;

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);

  /* A UID for a message the server does not have is not deleted, and its
   * failure does not stop the others.
   */
  outcome = find_outcome (outcomes, "ghost-4");
  g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND);
  g_assert_false (outcome->deleted);
  /* LIST does not know its number: no DELE is sent for it at all. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 1);
  outcome = find_outcome (outcomes, "uid-3");
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->deleted);

  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
  g_assert_false (mp_test_server_has_uid (server, "uid-3"));
  g_assert_true (mp_test_server_has_uid (server, "uid-1"));
  g_assert_true (mp_test_server_has_uid (server, "uid-2"));
}

static void
test_delete_no_uidl (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NO_UIDL);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-1", NULL };

  outcomes = run_delete (server, uids, &error);
  g_assert_null (outcomes);
  g_assert_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NO_UIDL);
  g_assert_nonnull (strstr (error->message, "UIDL"));
  g_test_message ("no UIDL: %s", error->message);

  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

/* @n outcomes, none deleted, each because the server never confirmed it
 * (no QUIT +OK).
 */
static void
assert_none_confirmed (GPtrArray *outcomes,
                       guint      n)
{
  g_assert_cmpuint (outcomes->len, ==, n);

  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      g_assert_false (outcome->deleted);
      g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_CONFIRMED);
    }
}

static void
test_delete_quit_err (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_QUIT_ERR);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-1", "uid-3", NULL };

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);
  assert_none_confirmed (outcomes, 2);

  /* The DELEs went out; the server kept everything because QUIT failed. */
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 1);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_delete_drop_after_dele (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_DROP_AFTER_DELE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-1", "uid-2", NULL };

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);
  assert_none_confirmed (outcomes, 2);

  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), >=, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "QUIT"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_delete_expunged (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-1", "uid-2", "uid-3", NULL };
  MpTransferOutcome *outcome;

  /* Another session removed message 2 after this one listed it. */
  mp_test_server_set_expunged (server, 2, TRUE);

  outcomes = run_delete (server, uids, &error);
  g_assert_no_error (error);

  outcome = find_outcome (outcomes, "uid-2");
  g_assert_false (outcome->deleted);
  g_assert_nonnull (outcome->error);
  g_assert_true (find_outcome (outcomes, "uid-1")->deleted);
  g_assert_true (find_outcome (outcomes, "uid-3")->deleted);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
  g_assert_true (mp_test_server_has_uid (server, "uid-2"));
}

/* ---- download ---------------------------------------------------------- */

static void
test_download_eml (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_PIPELINING);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  g_autofree char *one = g_build_filename (dir, "uid-1.eml", NULL);
  g_autofree char *dots = g_build_filename (dir, "uid-2.eml", NULL);
  g_autofree char *again = g_build_filename (dir, "uid-1-1.eml", NULL);
  g_auto(GStrv) names = NULL;
  const char *uids[] = { "uid-1", "uid-2", NULL };
  const char *uids_again[] = { "uid-1", NULL };
  GStatBuf st;

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 2);

  g_assert_no_error (find_outcome (outcomes, "uid-1")->error);
  g_assert_cmpstr (find_outcome (outcomes, "uid-1")->path, ==, one);
  g_assert_false (find_outcome (outcomes, "uid-1")->deleted);
  g_assert_no_error (find_outcome (outcomes, "uid-2")->error);
  g_assert_cmpstr (find_outcome (outcomes, "uid-2")->path, ==, dots);

  /* The bytes as the server holds them: CRLF kept, stuffing undone. */
  assert_file_contents (one, message_one, strlen (message_one));
  assert_file_contents (dots, message_dots, strlen (message_dots));
  g_assert_cmpint (g_stat (one, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Nothing else in the folder (no temporary file), nothing deleted. */
  names = list_dir (dir);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);

  /* A second download never overwrites the first. */
  g_clear_pointer (&outcomes, g_ptr_array_unref);
  outcomes = run_download (server, uids_again, dir, MP_DOWNLOAD_NONE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (find_outcome (outcomes, "uid-1")->path, ==, again);
  assert_file_contents (again, message_one, strlen (message_one));
  assert_file_contents (one, message_one, strlen (message_one));
  g_assert_cmpuint (count_dir (dir), ==, 3);
}

static void
test_download_unsafe_uid (void)
{
  g_autoptr(MpTestServer) server = server_new (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  g_autofree char *parent = NULL;
  const char *uids[] = { "../../escape", NULL };
  MpTransferOutcome *outcome;

  mp_test_server_add_message (server, "../../escape", message_one);
  server_start (server);

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_NONE, &error);
  g_assert_no_error (error);
  outcome = find_outcome (outcomes, "../../escape");
  g_assert_no_error (outcome->error);

  /* A UID is the server's text: it must not pick the folder. */
  parent = g_path_get_dirname (outcome->path);
  g_assert_cmpstr (parent, ==, dir);
  g_assert_cmpuint (count_dir (dir), ==, 1);
  assert_file_contents (outcome->path, message_one, strlen (message_one));
}

static void
test_download_maildir (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Maildir");
  g_autofree char *new_dir = g_build_filename (dir, "new", NULL);
  g_autofree char *tmp_dir = g_build_filename (dir, "tmp", NULL);
  g_autofree char *cur_dir = g_build_filename (dir, "cur", NULL);
  g_autofree char *lf_one = crlf_to_lf (message_one);
  g_autofree char *lf_dots = crlf_to_lf (message_dots);
  const char *uids[] = { "uid-1", "uid-2", NULL };
  MpTransferOutcome *one;
  MpTransferOutcome *dots;
  g_autofree char *one_dir = NULL;

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_MAILDIR, &error);
  g_assert_no_error (error);

  one = find_outcome (outcomes, "uid-1");
  dots = find_outcome (outcomes, "uid-2");
  g_assert_no_error (one->error);
  g_assert_no_error (dots->error);
  one_dir = g_path_get_dirname (one->path);
  g_assert_cmpstr (one_dir, ==, new_dir);
  g_assert_cmpstr (one->path, !=, dots->path);

  /* Maildir readers expect the local line end. */
  assert_file_contents (one->path, lf_one, strlen (lf_one));
  assert_file_contents (dots->path, lf_dots, strlen (lf_dots));

  g_assert_cmpuint (count_dir (new_dir), ==, 2);
  g_assert_cmpuint (count_dir (tmp_dir), ==, 0);
  g_assert_true (g_file_test (cur_dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_dir (dir), ==, 3);
}

static void
test_download_uidl_extra (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_UIDL_EXTRA);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  const char *uids[] = { "ghost-4", "uid-1", NULL };
  MpTransferOutcome *outcome;

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_DELETE_AFTER, &error);
  g_assert_no_error (error);

  /* The phantom has no file and deletes nothing; the real one is fine. */
  outcome = find_outcome (outcomes, "ghost-4");
  g_assert_nonnull (outcome->error);
  g_assert_null (outcome->path);
  g_assert_false (outcome->deleted);
  outcome = find_outcome (outcomes, "uid-1");
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->deleted);
  assert_file_contents (outcome->path, message_one, strlen (message_one));

  g_assert_cmpuint (count_dir (dir), ==, 1);
  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 1);
  g_assert_true (mp_test_server_log_contains (server, "DELE 1"));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 2);
}

static void
test_download_drop_mid_retr (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_DROP_MID_RETR);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  const char *uids[] = { "uid-1", "uid-2", NULL };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_DELETE_AFTER, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 2);

  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      g_assert_nonnull (outcome->error);
      g_assert_null (outcome->path);
      g_assert_false (outcome->deleted);
    }

  /* Half a message never reaches the folder, under any name. */
  g_assert_cmpuint (count_dir (dir), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_download_drop_after_first (void)
{
  g_autoptr(MpTestServer) server = server_new (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  g_auto(GStrv) log = NULL;
  const char *uids[] = { "uid-1", "uid-2", NULL };
  MpTransferOutcome *outcome;

  /* CAPA, USER, PASS, CAPA, UIDL, LIST, RETR 1, and the connection goes
   * away when RETR 2 arrives.
   */
  mp_test_server_set_drop_after (server, 8);
  mp_test_server_add_message (server, "uid-1", message_one);
  mp_test_server_add_message (server, "uid-2", message_dots);
  mp_test_server_add_message (server, "uid-3", message_three);
  server_start (server);

  {
    g_autoptr(MpPop3Client) client = client_new (server);
    g_autoptr(GAsyncResult) result = NULL;

    mp_download_messages_async (client, USER, PASSWORD, MP_POP3_AUTH_USER, uids, dir,
                                MP_DOWNLOAD_DELETE_AFTER, NULL, mp_test_result_cb, &result);
    mp_test_await (&result, GUARD_SECONDS);
    outcomes = mp_download_messages_finish (client, result, &error);
    g_assert_true (mp_test_server_wait_idle (server, GUARD_SECONDS * 1000));
  }
  log_outcomes (outcomes);
  g_assert_no_error (error);
  log = mp_test_server_get_log (server);
  g_assert_cmpuint (g_strv_length (log), ==, 8);
  g_assert_cmpstr (log[7], ==, "RETR 2");

  /* The first message is safe on disk but was not deleted, and says so. */
  outcome = find_outcome (outcomes, "uid-1");
  g_assert_nonnull (outcome->path);
  assert_file_contents (outcome->path, message_one, strlen (message_one));
  g_assert_false (outcome->deleted);
  g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_CONFIRMED);

  outcome = find_outcome (outcomes, "uid-2");
  g_assert_null (outcome->path);
  g_assert_false (outcome->deleted);
  g_assert_nonnull (outcome->error);

  g_assert_cmpuint (count_dir (dir), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_download_expunged (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  const char *uids[] = { "uid-1", "uid-2", "uid-3", NULL };
  MpTransferOutcome *outcome;

  mp_test_server_set_expunged (server, 2, TRUE);

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_NONE, &error);
  g_assert_no_error (error);

  outcome = find_outcome (outcomes, "uid-2");
  g_assert_nonnull (outcome->error);
  g_assert_null (outcome->path);
  g_assert_nonnull (find_outcome (outcomes, "uid-1")->path);
  g_assert_nonnull (find_outcome (outcomes, "uid-3")->path);
  assert_file_contents (find_outcome (outcomes, "uid-3")->path, message_three,
                        strlen (message_three));
  g_assert_cmpuint (count_dir (dir), ==, 2);
}

static void
test_download_delete_after (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = target_dir ("Downloads");
  const char *uids[] = { "uid-1", "uid-2", "uid-3", "uid-missing", NULL };
  MpTransferOutcome *outcome;

  /* The RETR of message 2 fails: it must stay on the server. */
  mp_test_server_set_expunged (server, 2, TRUE);

  outcomes = run_download (server, uids, dir, MP_DOWNLOAD_DELETE_AFTER, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < 2; i++)
    {
      outcome = find_outcome (outcomes, i == 0 ? "uid-1" : "uid-3");
      g_assert_no_error (outcome->error);
      g_assert_nonnull (outcome->path);
      g_assert_true (outcome->deleted);
    }
  outcome = find_outcome (outcomes, "uid-2");
  g_assert_false (outcome->deleted);
  g_assert_null (outcome->path);
  g_assert_nonnull (outcome->error);
  outcome = find_outcome (outcomes, "uid-missing");
  g_assert_false (outcome->deleted);
  g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND);

  g_assert_cmpuint (count_log_lines (server, "DELE *"), ==, 2);
  g_assert_true (mp_test_server_log_contains (server, "DELE 1"));
  g_assert_true (mp_test_server_log_contains (server, "DELE 3"));
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
  g_assert_true (mp_test_server_has_uid (server, "uid-2"));
  g_assert_cmpuint (count_dir (dir), ==, 2);
}

/* A download that cannot write: the error names the cause, nothing lands
 * in the folder and, with delete-after, nothing is deleted.
 */
static void
assert_write_refused (MpTestServer *server,
                      const char   *dir,
                      const char   *inspect_dir,
                      const char   *reason,
                      gboolean      maildir)
{
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  const char *uids[] = { "uid-1", "uid-2", NULL };
  guint before = count_dir (inspect_dir);
  MpDownloadFlags flags = MP_DOWNLOAD_DELETE_AFTER | (maildir ? MP_DOWNLOAD_MAILDIR : 0);

  outcomes = run_download (server, uids, dir, flags, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 2);

  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE);
      g_assert_nonnull (strstr (outcome->error->message, reason));
      g_assert_null (outcome->path);
      g_assert_false (outcome->deleted);
    }
  g_test_message ("write refused: %s",
                  ((MpTransferOutcome *) g_ptr_array_index (outcomes, 0))->error->message);

  g_assert_cmpuint (count_dir (inspect_dir), ==, before);
  g_assert_cmpuint (mp_test_server_get_command_count (server, "DELE"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 3);
}

static void
test_download_not_a_directory (void)
{
  g_autoptr(MpTestServer) server = three_messages_server (MP_TEST_QUIRK_NONE);
  g_autofree char *file = target_dir ("plain-file");
  g_autofree char *dir = g_build_filename (file, "Downloads", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_home_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "not a folder", -1, NULL));
  assert_write_refused (server, dir, g_get_home_dir (), g_strerror (ENOTDIR), FALSE);
  assert_write_refused (server, file, g_get_home_dir (), g_strerror (ENOTDIR), TRUE);
  assert_file_contents (file, "not a folder", 12);
}

static void
test_download_read_only (void)
{
  g_autoptr(MpTestServer) server = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *maildir = NULL;

  if (!mp_test_in_mount_subprocess ())
    return;

  /* Before any thread starts: the mount namespace is per thread. */
  dir = target_dir ("Downloads");
  maildir = g_build_filename (dir, "Maildir", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  mp_test_mount_private_tmpfs (dir, "size=1m,mode=0700");
  g_assert_cmpint (g_mkdir (maildir, 0700), ==, 0);
  mp_test_remount_tmpfs (dir, "size=1m", TRUE);

  server = three_messages_server (MP_TEST_QUIRK_NONE);
  assert_write_refused (server, dir, dir, g_strerror (EROFS), FALSE);
  assert_write_refused (server, maildir, maildir, g_strerror (EROFS), TRUE);
  g_assert_cmpuint (count_dir (dir), ==, 1);
}

/* A message bigger than the whole device. */
static char *
big_message (gsize size)
{
  GString *out = g_string_new ("From: big@example.com\r\n"
                               "Subject: Big\r\n"
                               "\r\n");

  while (out->len < size)
    g_string_append (out, "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n");
  return g_string_free (out, FALSE);
}

static void
test_download_full_device (void)
{
  g_autoptr(MpTestServer) server = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *maildir = NULL;
  g_autofree char *big = big_message (512 * 1024);
  g_autofree char *lf_one = crlf_to_lf (message_one);
  const char *uids[] = { "uid-big", "uid-small", NULL };

  if (!mp_test_in_mount_subprocess ())
    return;

  dir = target_dir ("Downloads");
  maildir = g_build_filename (dir, "Maildir", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  mp_test_mount_private_tmpfs (dir, "size=256k,mode=0700");

  server = server_new (MP_TEST_QUIRK_NONE);
  mp_test_server_add_message (server, "uid-big", big);
  mp_test_server_add_message (server, "uid-small", message_one);
  server_start (server);

  /* The big message fills the device part way and fails; the small one
   * still fits once the partial file is gone, so its success proves the
   * space was given back.
   */
  for (guint round = 0; round < 2; round++)
    {
      const char *target = round == 0 ? dir : maildir;
      MpTransferOutcome *outcome;

      outcomes = run_download (server, uids, target,
                               MP_DOWNLOAD_DELETE_AFTER | (round == 1 ? MP_DOWNLOAD_MAILDIR : 0),
                               &error);
      g_assert_no_error (error);

      outcome = find_outcome (outcomes, "uid-big");
      g_assert_error (outcome->error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE);
      g_assert_nonnull (strstr (outcome->error->message, g_strerror (ENOSPC)));
      g_assert_null (outcome->path);
      g_assert_false (outcome->deleted);
      g_test_message ("full device: %s", outcome->error->message);

      outcome = find_outcome (outcomes, "uid-small");
      g_assert_no_error (outcome->error);
      g_assert_nonnull (outcome->path);
      g_assert_true (outcome->deleted);
      if (round == 0)
        assert_file_contents (outcome->path, message_one, strlen (message_one));
      else
        assert_file_contents (outcome->path, lf_one, strlen (lf_one));
      g_clear_pointer (&outcomes, g_ptr_array_unref);

      /* The small message went, the big one stays. */
      g_assert_true (mp_test_server_has_uid (server, "uid-big"));
      g_assert_cmpuint (mp_test_server_get_n_messages (server), ==, 1);
      mp_test_server_add_message (server, "uid-small", message_one);
    }

  /* Exactly the two small files: no partial or temporary one. */
  {
    g_autofree char *tmp = g_build_filename (maildir, "tmp", NULL);
    g_autofree char *new_dir = g_build_filename (maildir, "new", NULL);
    g_auto(GStrv) names = list_dir (dir);

    g_assert_cmpuint (g_strv_length (names), ==, 2);
    g_assert_cmpstr (names[0], ==, "Maildir");
    g_assert_cmpstr (names[1], ==, "uid-small.eml");
    g_assert_cmpuint (count_dir (tmp), ==, 0);
    g_assert_cmpuint (count_dir (new_dir), ==, 1);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/transfer/delete/maps-numbers", test_delete_maps_numbers);
  g_test_add_func ("/transfer/delete/not-found", test_delete_not_found);
  g_test_add_func ("/transfer/delete/duplicate", test_delete_duplicate);
  g_test_add_func ("/transfer/delete/uidl-extra", test_delete_uidl_extra);
  g_test_add_func ("/transfer/delete/no-uidl", test_delete_no_uidl);
  g_test_add_func ("/transfer/delete/quit-err", test_delete_quit_err);
  g_test_add_func ("/transfer/delete/drop-after-dele", test_delete_drop_after_dele);
  g_test_add_func ("/transfer/delete/expunged", test_delete_expunged);

  g_test_add_func ("/transfer/download/eml", test_download_eml);
  g_test_add_func ("/transfer/download/unsafe-uid", test_download_unsafe_uid);
  g_test_add_func ("/transfer/download/maildir", test_download_maildir);
  g_test_add_func ("/transfer/download/uidl-extra", test_download_uidl_extra);
  g_test_add_func ("/transfer/download/drop-mid-retr", test_download_drop_mid_retr);
  g_test_add_func ("/transfer/download/drop-after-first", test_download_drop_after_first);
  g_test_add_func ("/transfer/download/expunged", test_download_expunged);
  g_test_add_func ("/transfer/download/delete-after", test_download_delete_after);
  g_test_add_func ("/transfer/download/not-a-directory", test_download_not_a_directory);
  g_test_add_func ("/transfer/download/read-only", test_download_read_only);
  g_test_add_func ("/transfer/download/full-device", test_download_full_device);

  return mp_test_shutdown (g_test_run ());
}
