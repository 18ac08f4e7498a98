/* test-mailbox.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The live model (mp-message.h, mp-mailbox.h, mp-poller.h) against the
 * in-process test server: a message notifies only on real changes; the
 * list changes by the smallest edits; messages-arrived exactly once
 * across a restart; one queue per account; snippets cached; accounts
 * removed mid-poll; certificate errors; the summary as JSON. The pollers
 * here do not schedule (mp_poller_set_scheduling()) and run on a fake
 * clock, so nothing happens that a test did not ask for.
 */

#define G_LOG_DOMAIN "test-mailbox"

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mp-account-store.h"
#include "mp-mailbox.h"
#include "mp-mailbox-state.h"
#include "mp-message-private.h"
#include "mp-poller.h"
#include "mp-secrets.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_SECONDS 20
#define GUARD_MSEC    (GUARD_SECONDS * 1000)
#define USER          "alice"
#define PASSWORD      "secret"

/* ---- MpMessage --------------------------------------------------------- */

typedef struct
{
  GPtrArray *names;
} Notes;

static void
note_cb (GObject    *object,
         GParamSpec *pspec,
         Notes      *notes)
{
  g_ptr_array_add (notes->names, g_strdup (pspec->name));
}

static char *
notes_take (Notes *notes)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < notes->names->len; i++)
    {
      const char *name = g_ptr_array_index (notes->names, i);

      if (s->len > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, name);
    }
  g_ptr_array_set_size (notes->names, 0);
  return g_string_free (s, FALSE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
notes_sorted (Notes *notes)
{
  g_ptr_array_sort (notes->names, compare_strings);
  return notes_take (notes);
}

static MpHeaders *
make_headers (const char *from,
              const char *subject)
{
  MpHeaders *headers = mp_headers_new ();

  headers->from = g_strdup (from);
  headers->from_address = g_strdup (from);
  headers->subject = g_strdup (subject);
  headers->date = g_date_time_new_utc (2026, 1, 2, 3, 4, 5);
  return headers;
}

static void
test_message_notify (void)
{
  g_autoptr(MpHeaders) headers = make_headers ("a@example.com", "Hello");
  g_autoptr(MpHeaders) same = make_headers ("a@example.com", "Hello");
  g_autoptr(MpHeaders) other = make_headers ("a@example.com", "Changed");
  g_autoptr(MpMessage) message = mp_message_new ("uid-1", "uid-1", 1, 100, headers);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "TOP failed");
  g_autofree char *text = NULL;
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  g_assert_cmpstr (mp_message_get_key (message), ==, "uid-1");
  g_assert_cmpstr (mp_message_get_uid (message), ==, "uid-1");
  g_assert_cmpuint (mp_message_get_number (message), ==, 1);
  g_assert_cmpuint (mp_message_get_size (message), ==, 100);
  g_assert_cmpstr (mp_message_get_subject (message), ==, "Hello");
  g_assert_cmpstr (mp_message_get_from (message), ==, "a@example.com");
  g_assert_null (mp_message_get_to (message));
  g_assert_null (mp_message_get_message_id (message));
  g_assert_null (mp_message_get_snippet (message));
  g_assert_false (mp_message_get_announced (message));
  g_assert_false (mp_message_get_unseen (message));
  g_assert_true (mp_message_get_headers (message) == headers);

  g_signal_connect (message, "notify", G_CALLBACK (note_cb), &notes);

  /* The same values again: no notify at all. */
  mp_message_set_number (message, 1);
  mp_message_set_size (message, 100);
  mp_message_set_headers (message, same);
  mp_message_set_announced (message, FALSE);
  mp_message_set_unseen (message, FALSE);
  mp_message_set_snippet (message, NULL);
  mp_message_set_error (message, NULL);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "");
  g_clear_pointer (&text, g_free);
  /* Equal content was taken without a notify. */
  g_assert_true (mp_message_get_headers (message) == same);

  /* A changed subject notifies subject and headers, nothing else. */
  mp_message_set_headers (message, other);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "headers subject");
  g_clear_pointer (&text, g_free);

  mp_message_set_headers (message, NULL);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "date from from-address headers subject");
  g_clear_pointer (&text, g_free);
  g_assert_null (mp_message_get_date (message));

  mp_message_set_number (message, 7);
  mp_message_set_size (message, 200);
  mp_message_set_announced (message, TRUE);
  mp_message_set_announced (message, TRUE);
  mp_message_set_unseen (message, TRUE);
  mp_message_set_snippet (message, "Hi there");
  mp_message_set_snippet (message, "Hi there");
  mp_message_set_error (message, error);
  mp_message_set_error (message, error);
  mp_message_set_mailbox (message, owner);
  mp_message_set_mailbox (message, owner);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "announced error mailbox number size snippet unseen");
  g_clear_pointer (&text, g_free);
  g_assert_error (mp_message_get_error (message), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_true (mp_message_get_mailbox (message) == owner);

  /* The owner lets go (as a mailbox does when the message leaves its
   * list, or when it is disposed: see test_items_changed).
   */
  mp_message_set_mailbox (message, NULL);
  g_assert_null (mp_message_get_mailbox (message));
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "mailbox");
  g_clear_pointer (&text, g_free);

  g_signal_handlers_disconnect_by_data (message, &notes);
  g_ptr_array_unref (notes.names);
}

/* ---- the fixture ------------------------------------------------------- */

typedef struct
{
  /* Weak pointers to every mailbox made, which must all go away. */
  GPtrArray    *watched;
  MpTestServer *server;
  MpPoller     *poller;
  MpClock      *clock;
  GPtrArray    *accounts;
  /* items-changed as "position,removed,added" lines, and arrivals */
  GString      *changes;
  GPtrArray    *arrived;   /* GPtrArray of MpMessage per emission */
  GPtrArray    *notes;     /* property names of mailbox notifies */
} Fixture;

static char *
password_func (MpAccount *account,
               gpointer   user_data)
{
  return g_strdup (PASSWORD);
}

static MpPoller *
new_poller (Fixture *fixture)
{
  MpPoller *poller = mp_poller_new ();

  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_clock (poller, fixture->clock);
  mp_poller_set_scheduling (poller, FALSE);
  mp_poller_set_password_func (poller, password_func, fixture);
  return poller;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* Each mailbox ends once its last save and session are over; the
   * tear-down waits for that, so no work outlives the test's directories.
   */
  fixture->watched = mp_test_weak_set_new ();
  fixture->server = mp_test_server_new ();
  mp_test_server_set_mailbox_mode (fixture->server, USER, PASSWORD);
  fixture->clock = mp_clock_new_fake ();
  fixture->poller = new_poller (fixture);
  fixture->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->changes = g_string_new (NULL);
  fixture->arrived = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  fixture->notes = g_ptr_array_new_with_free_func (g_free);
}

static gboolean
no_active_sessions (gpointer data)
{
  Fixture *fixture = data;

  return fixture->poller == NULL || mp_poller_get_active_sessions (fixture->poller) == 0;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of all sessions");
  mp_test_unref_finalizes ((gpointer *) &fixture->poller);
  mp_test_wait_until (mp_test_weak_set_empty, fixture->watched, GUARD_MSEC,
                      "the end of every mailbox");
  g_clear_pointer (&fixture->watched, g_ptr_array_unref);

  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  mp_test_server_assert_no_failures (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->clock);
  g_clear_pointer (&fixture->accounts, g_ptr_array_unref);
  g_string_free (fixture->changes, TRUE);
  g_clear_pointer (&fixture->arrived, g_ptr_array_unref);
  g_clear_pointer (&fixture->notes, g_ptr_array_unref);
}

static void
start_server (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mp_test_server_start (fixture->server, &error));
  g_assert_no_error (error);
}

static MpAccount *
new_account (Fixture    *fixture,
             const char *id)
{
  MpAccount *account = mp_account_new (id);

  mp_account_set_host (account, "127.0.0.1");
  mp_account_set_port (account, mp_test_server_get_port (fixture->server));
  mp_account_set_security (account, MP_POP3_SECURITY_NONE);
  mp_account_set_user (account, USER);
  mp_account_set_interval (account, 1);
  g_ptr_array_add (fixture->accounts, account);
  return account;
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *fixture)
{
  g_string_append_printf (fixture->changes, "%s%u,%u,%u",
                          fixture->changes->len ? " " : "", position, removed, added);
}

static void
arrived_cb (MpMailbox *mailbox,
            GPtrArray *messages,
            Fixture   *fixture)
{
  g_assert_nonnull (messages);
  g_ptr_array_add (fixture->arrived, g_ptr_array_ref (messages));
}

static void
mailbox_notify_cb (GObject    *object,
                   GParamSpec *pspec,
                   Fixture    *fixture)
{
  g_ptr_array_add (fixture->notes, g_strdup (pspec->name));
}

static MpMailbox *
add_mailbox (Fixture    *fixture,
             MpPoller   *poller,
             const char *id)
{
  MpMailbox *mailbox = mp_poller_add_account (poller, new_account (fixture, id));

  mp_test_weak_set_add (fixture->watched, mailbox);

  g_signal_connect (mailbox, "items-changed", G_CALLBACK (items_changed_cb), fixture);
  g_signal_connect (mailbox, "messages-arrived", G_CALLBACK (arrived_cb), fixture);
  g_signal_connect (mailbox, "notify", G_CALLBACK (mailbox_notify_cb), fixture);
  return mailbox;
}

static char *
take_changes (Fixture *fixture)
{
  char *text = g_strdup (fixture->changes->str);

  g_string_truncate (fixture->changes, 0);
  return text;
}

static gboolean
check (MpMailbox  *mailbox,
       GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_mailbox_check_async (mailbox, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_mailbox_check_finish (mailbox, result, error);
}

static gboolean
not_busy (gpointer data)
{
  return !mp_mailbox_get_busy (data);
}

/* A check completes with its snapshot; its QUIT may still be on the way,
 * and the mailbox is busy until the session is over.
 */
static void
wait_not_busy (MpMailbox *mailbox)
{
  mp_test_wait_until (not_busy, mailbox, GUARD_MSEC, "the end of the session");
}

static void
check_ok (MpMailbox *mailbox)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (check (mailbox, &error));
  g_assert_no_error (error);
  wait_not_busy (mailbox);
}

static GStrv
keys_of (GPtrArray *messages)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < messages->len; i++)
    g_strv_builder_add (builder, mp_message_get_key (g_ptr_array_index (messages, i)));
  return g_strv_builder_end (builder);
}

static void
mark_announced (MpMailbox          *mailbox,
                const char * const *keys)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mp_mailbox_mark_announced_async (mailbox, keys, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_true (mp_mailbox_mark_announced_finish (mailbox, result, &error));
  g_assert_no_error (error);
}

/* What changes only because a poll ran, whatever it found. */
static gboolean
is_poll_bookkeeping (const char *name)
{
  return g_str_equal (name, "status") || g_str_equal (name, "busy") ||
         g_str_equal (name, "last-checked");
}

static guint
count_real_notes (Fixture *fixture)
{
  guint n = 0;

  for (guint i = 0; i < fixture->notes->len; i++)
    {
      const char *name = g_ptr_array_index (fixture->notes, i);

      if (!is_poll_bookkeeping (name))
        {
          g_test_message ("notify::%s", name);
          n++;
        }
    }
  g_ptr_array_set_size (fixture->notes, 0);
  return n;
}

static guint64
modified_usec (GFile *file)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) when = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_TIME_MODIFIED "," G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC
                            "," G_FILE_ATTRIBUTE_UNIX_INODE,
                            G_FILE_QUERY_INFO_NONE, NULL, &error);
  g_assert_no_error (error);
  when = g_file_info_get_modification_date_time (info);
  /* The inode too: an atomic rewrite replaces the file. */
  return g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when) +
         g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_UNIX_INODE);
}

static MpMessage *
item (MpMailbox *mailbox,
      guint      position)
{
  /* The list keeps its own reference. */
  g_autoptr(MpMessage) message = g_list_model_get_item (G_LIST_MODEL (mailbox), position);

  return message;
}

/* ---- the list ---------------------------------------------------------- */

static void
test_items_changed (Fixture       *fixture,
                    gconstpointer  data)
{
  MpMailbox *mailbox;
  MpMessage *first, *third;
  g_autoptr(MpMessage) second = NULL;
  g_autoptr(MpMessage) kept = NULL;
  g_autofree char *changes = NULL;
  g_autoptr(GFile) state_file = NULL;
  guint64 stamp;

  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_IDLE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (mailbox)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (mailbox)) == MP_TYPE_MESSAGE);

  /* The first check: all three added at once. */
  check_ok (mailbox);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,0,3");
  g_clear_pointer (&changes, g_free);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_OK);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 3);
  g_assert_cmpuint (mp_mailbox_get_n_new (mailbox), ==, 3);
  g_assert_true (mp_mailbox_get_uidl_supported (mailbox));
  g_assert_nonnull (mp_mailbox_get_last_checked (mailbox));
  g_assert_null (mp_mailbox_get_next_check (mailbox));
  g_assert_false (mp_mailbox_get_busy (mailbox));
  g_assert_nonnull (mp_mailbox_get_capabilities (mailbox));
  first = item (mailbox, 0);
  third = item (mailbox, 2);
  g_assert_cmpstr (mp_message_get_key (first), ==, "uid-00000001");
  g_assert_cmpstr (mp_message_get_subject (third), ==, "Message 3");
  g_assert_true (mp_message_get_mailbox (first) == (gpointer) mailbox);
  g_assert_true (mp_mailbox_find_message (mailbox, "uid-00000003") == third);
  count_real_notes (fixture);

  state_file = g_object_ref (mp_mailbox_state_get_file (mp_poller_get_state (fixture->poller,
                                                                             mp_mailbox_get_account (mailbox))));
  stamp = modified_usec (state_file);

  /* Unchanged: no items-changed, no notify beyond the poll's own, no
   * TOP, no rewrite of the state file.
   */
  check_ok (mailbox);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "");
  g_clear_pointer (&changes, g_free);
  g_assert_cmpuint (count_real_notes (fixture), ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 3);
  g_assert_cmpuint (modified_usec (state_file), ==, stamp);

  /* One more at the end. */
  mp_test_server_add_message (fixture->server, "uid-late",
                              "From: late@example.com\r\nSubject: Late\r\n\r\nbody\r\n");
  check_ok (mailbox);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "3,0,1");
  g_clear_pointer (&changes, g_free);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 4);

  /* The second one deleted by another client: removed in the middle, the
   * others kept as they were (same objects, numbers updated).
   */
  second = g_object_ref (item (mailbox, 1));
  mp_test_server_delete_message (fixture->server, 2);
  check_ok (mailbox);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "1,1,0");
  /* What left the list belongs to no mailbox. */
  g_assert_null (mp_message_get_mailbox (second));
  g_clear_pointer (&changes, g_free);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 3);
  g_assert_true (item (mailbox, 0) == first);
  g_assert_true (item (mailbox, 1) == third);
  g_assert_cmpuint (mp_message_get_number (third), ==, 2);
  g_assert_cmpstr (mp_message_get_key (item (mailbox, 2)), ==, "uid-late");

  /* Two gone, one at each end, and one new: three runs, applied in
   * order.
   */
  mp_test_server_delete_message (fixture->server, 1);
  mp_test_server_delete_message (fixture->server, 2);
  mp_test_server_add_message (fixture->server, "uid-later",
                              "From: later@example.com\r\nSubject: Later\r\n\r\nbody\r\n");
  check_ok (mailbox);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,1,0 1,1,1");
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 2);
  g_assert_true (item (mailbox, 0) == third);
  g_assert_cmpstr (mp_message_get_key (item (mailbox, 1)), ==, "uid-later");

  /* A message outliving its mailbox sees it gone. */
  kept = g_object_ref (third);
  g_assert_true (mp_message_get_mailbox (kept) == (gpointer) mailbox);
  mp_poller_remove_account (fixture->poller, mp_mailbox_get_account (mailbox));
  mp_test_wait_until (mp_test_weak_set_empty, fixture->watched, GUARD_MSEC,
                      "the mailbox to go");
  g_assert_null (mp_message_get_mailbox (kept));
}

/* ---- a large first poll, spread over main-loop iterations ------------- */

#define MANY_MESSAGES 500

typedef struct
{
  Fixture   *fixture;
  MpMailbox *mailbox;
  gboolean   remove;
  gboolean   mark;
  /* What an idle saw between two main-loop iterations. */
  gboolean   saw_merged_not_listed;
  gboolean   saw_listed_not_announced;
} StepWatch;

/* At the priority of the poll's steps and added before them, so it runs
 * in every iteration that runs a step, before it.
 */
static gboolean
watch_steps_cb (gpointer data)
{
  StepWatch *watch = data;
  MpMailboxState *state = mp_poller_get_state (watch->fixture->poller,
                                               mp_mailbox_get_account (watch->mailbox));
  guint listed = g_list_model_get_n_items (G_LIST_MODEL (watch->mailbox));

  if (state != NULL && mp_mailbox_state_contains (state, "uid-00000500") && listed == 0)
    watch->saw_merged_not_listed = TRUE;
  if (listed == MANY_MESSAGES && watch->fixture->arrived->len == 0)
    watch->saw_listed_not_announced = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
step_items_changed_cb (GListModel *model,
                       guint       position,
                       guint       removed,
                       guint       added,
                       StepWatch  *watch)
{
  /* Before ::messages-arrived: what is marked now is not announced. */
  if (watch->mark)
    {
      const char *keys[] = { "uid-00000001", "uid-00000002", NULL };

      mp_mailbox_mark_announced_async (watch->mailbox, keys, NULL, NULL, NULL);
    }
  if (watch->remove)
    mp_poller_remove_account (watch->fixture->poller, mp_mailbox_get_account (watch->mailbox));
}

/* One items-changed for the whole first poll, one ::messages-arrived with
 * exactly the messages not announced when it is emitted, and the main
 * loop runs between the merge, the list and the announcement.
 */
static void
test_first_poll_steps (Fixture       *fixture,
                       gconstpointer  data)
{
  StepWatch watch = { fixture, NULL, FALSE, TRUE, FALSE, FALSE };
  g_autofree char *changes = NULL;
  GPtrArray *arrived;
  guint idle;

  mp_test_server_set_quirks (fixture->server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_fill (fixture->server, MANY_MESSAGES);
  start_server (fixture);
  watch.mailbox = add_mailbox (fixture, fixture->poller, "first");
  g_signal_connect (watch.mailbox, "items-changed", G_CALLBACK (step_items_changed_cb), &watch);
  idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, watch_steps_cb, &watch, NULL);

  check_ok (watch.mailbox);
  g_source_remove (idle);

  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,0,500");
  g_assert_cmpuint (mp_mailbox_get_n_messages (watch.mailbox), ==, MANY_MESSAGES);
  g_assert_cmpuint (fixture->arrived->len, ==, 1);
  arrived = g_ptr_array_index (fixture->arrived, 0);
  g_assert_cmpuint (arrived->len, ==, MANY_MESSAGES - 2);
  g_assert_cmpstr (mp_message_get_key (g_ptr_array_index (arrived, 0)), ==, "uid-00000003");
  g_assert_cmpstr (mp_message_get_subject (item (watch.mailbox, MANY_MESSAGES - 1)), ==,
                   "Message 500");
  g_assert_cmpuint (mp_mailbox_get_n_new (watch.mailbox), ==, MANY_MESSAGES - 2);
  /* The main loop ran between the merge into the state and the list, and
   * between the list and the announcement.
   */
  g_assert_true (watch.saw_merged_not_listed);
  g_assert_true (watch.saw_listed_not_announced);
}

/* The account removed while the poll's result is being applied: the list
 * got it, but nothing is announced, and the check reports the removal.
 */
static void
test_removed_while_applying (Fixture       *fixture,
                             gconstpointer  data)
{
  StepWatch watch = { fixture, NULL, TRUE, FALSE, FALSE, FALSE };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  watch.mailbox = add_mailbox (fixture, fixture->poller, "first");
  g_signal_connect (watch.mailbox, "items-changed", G_CALLBACK (step_items_changed_cb), &watch);

  mp_mailbox_check_async (watch.mailbox, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_false (mp_mailbox_check_finish (watch.mailbox, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fixture->arrived->len, ==, 0);
  /* The result holds the mailbox (its source object). */
  g_clear_object (&result);
  mp_test_wait_until (mp_test_weak_set_empty, fixture->watched, GUARD_MSEC, "the mailbox to go");
}

/* ---- messages-arrived ------------------------------------------------- */

static void
test_arrived_once (Fixture       *fixture,
                   gconstpointer  data)
{
  MpMailbox *mailbox;
  GPtrArray *arrived;
  g_auto(GStrv) keys = NULL;
  g_autoptr(MpPoller) second = NULL;

  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");

  check_ok (mailbox);
  g_assert_cmpuint (fixture->arrived->len, ==, 1);
  arrived = g_ptr_array_index (fixture->arrived, 0);
  g_assert_cmpuint (arrived->len, ==, 2);
  g_assert_false (mp_message_get_announced (g_ptr_array_index (arrived, 0)));
  g_assert_true (mp_message_get_unseen (g_ptr_array_index (arrived, 0)));

  /* Not marked: told again. */
  check_ok (mailbox);
  g_assert_cmpuint (fixture->arrived->len, ==, 2);
  g_assert_cmpuint (((GPtrArray *) g_ptr_array_index (fixture->arrived, 1))->len, ==, 2);

  keys = keys_of (arrived);
  mark_announced (mailbox, (const char * const *) keys);
  g_assert_true (mp_message_get_announced (g_ptr_array_index (arrived, 0)));
  g_assert_cmpuint (mp_mailbox_get_n_new (mailbox), ==, 0);
  check_ok (mailbox);
  g_assert_cmpuint (fixture->arrived->len, ==, 2);

  /* A restart: a new poller and mailbox over the same state. */
  second = new_poller (fixture);
  mailbox = add_mailbox (fixture, second, "first");
  check_ok (mailbox);
  g_assert_cmpuint (fixture->arrived->len, ==, 2);
  g_assert_cmpuint (mp_mailbox_get_n_new (mailbox), ==, 0);
  g_assert_true (mp_message_get_announced (item (mailbox, 0)));

  /* Only the new one. */
  mp_test_server_add_message (fixture->server, "uid-late",
                              "From: late@example.com\r\nSubject: Late\r\n\r\nbody\r\n");
  check_ok (mailbox);
  g_assert_cmpuint (fixture->arrived->len, ==, 3);
  arrived = g_ptr_array_index (fixture->arrived, 2);
  g_assert_cmpuint (arrived->len, ==, 1);
  g_assert_cmpstr (mp_message_get_key (g_ptr_array_index (arrived, 0)), ==, "uid-late");
  g_assert_cmpuint (mp_mailbox_get_n_new (mailbox), ==, 1);

  {
    g_autoptr(MpPoller) doomed = g_steal_pointer (&second);

    mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of all sessions");
  }
}

static void
test_mark_seen (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpPoller) second = NULL;
  const char *keys[] = { "uid-00000001", NULL };
  MpMailbox *mailbox;
  MpMessage *first;
  guint notified = 0;

  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  check_ok (mailbox);
  first = item (mailbox, 0);
  g_assert_cmpuint (mp_mailbox_get_n_unseen (mailbox), ==, 2);
  g_assert_true (mp_message_get_unseen (first));
  g_signal_connect_swapped (first, "notify::unseen", G_CALLBACK (g_nullify_pointer), &notified);
  notified = 1;

  mp_mailbox_mark_seen_async (mailbox, keys, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_true (mp_mailbox_mark_seen_finish (mailbox, result, &error));
  g_assert_no_error (error);
  g_assert_false (mp_message_get_unseen (first));
  g_assert_cmpuint (notified, ==, 0);
  g_assert_cmpuint (mp_mailbox_get_n_unseen (mailbox), ==, 1);
  /* Seen is not announced: both are still new. */
  g_assert_cmpuint (mp_mailbox_get_n_new (mailbox), ==, 2);

  /* Saved: a new process agrees. */
  second = new_poller (fixture);
  mailbox = add_mailbox (fixture, second, "first");
  check_ok (mailbox);
  g_assert_cmpuint (mp_mailbox_get_n_unseen (mailbox), ==, 1);
  g_assert_false (mp_message_get_unseen (item (mailbox, 0)));
  g_assert_true (mp_message_get_unseen (item (mailbox, 1)));
}

/* Checks asked for while one waits share it; one caller giving up does
 * not end it for the others.
 */
static void
test_checks_join (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) running = NULL;
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GAsyncResult) third = NULL;
  g_autoptr(GError) error = NULL;
  MpMailbox *mailbox;

  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");

  /* One runs; the next three wait as one poll. */
  mp_mailbox_check_async (mailbox, NULL, mp_test_result_cb, &running);
  mp_mailbox_check_async (mailbox, cancellable, mp_test_result_cb, &first);
  mp_mailbox_check_async (mailbox, NULL, mp_test_result_cb, &second);
  mp_mailbox_check_async (mailbox, NULL, mp_test_result_cb, &third);
  g_cancellable_cancel (cancellable);

  mp_test_await (&first, GUARD_SECONDS);
  g_assert_false (mp_mailbox_check_finish (mailbox, first, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  mp_test_await (&second, GUARD_SECONDS);
  g_assert_true (mp_mailbox_check_finish (mailbox, second, &error));
  g_assert_no_error (error);
  mp_test_await (&third, GUARD_SECONDS);
  g_assert_true (mp_mailbox_check_finish (mailbox, third, &error));
  g_assert_no_error (error);
  mp_test_await (&running, GUARD_SECONDS);
  g_assert_true (mp_mailbox_check_finish (mailbox, running, &error));
  g_assert_no_error (error);
  wait_not_busy (mailbox);

  /* Two sessions: the running poll and the one the others shared. */
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 2);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 1);
}

/* ---- the summary ------------------------------------------------------ */

static char *
summary_json (MpMailbox *mailbox,
              gboolean   with_headers)
{
  g_autoptr(GVariant) summary = mp_mailbox_dup_summary (mailbox, with_headers);
  g_autoptr(JsonNode) node = NULL;

  g_assert_true (g_variant_is_of_type (summary, G_VARIANT_TYPE_VARDICT));
  node = json_gvariant_serialize (summary);
  return json_to_string (node, FALSE);
}

static void
test_summary (Fixture       *fixture,
              gconstpointer  data)
{
  MpMailbox *mailbox;
  g_autofree char *json = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *label = NULL;
  guint64 size1, size2;

  mp_test_server_fill (fixture->server, 2);
  mp_test_server_add_message (fixture->server, "uid-bare", "X-Nothing: here\r\n\r\nbody\r\n");
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  label = mp_account_dup_label (mp_mailbox_get_account (mailbox));

  /* Before any check: nothing known. */
  json = summary_json (mailbox, TRUE);
  expected = g_strdup_printf ("{\"account\":\"%s\",\"name\":null,\"status\":\"ok\",\"error\":null,"
                              "\"messages\":null,\"bytes\":null,\"new\":null,\"headers\":[],"
                              "\"unseen\":null,\"state\":\"idle\"}", label);
  g_assert_cmpstr (json, ==, expected);
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&expected, g_free);

  check_ok (mailbox);
  size1 = mp_message_get_size (item (mailbox, 0));
  size2 = mp_message_get_size (item (mailbox, 1));

  /* The JSON of `--check --json` (README), plus unseen and state; a
   * header the message lacks is null.
   */
  json = summary_json (mailbox, TRUE);
  expected = g_strdup_printf ("{\"account\":\"%s\",\"name\":null,\"status\":\"ok\",\"error\":null,"
                              "\"messages\":3,\"bytes\":%" G_GUINT64_FORMAT ",\"new\":3,"
                              "\"pipelining\":false,\"uidl\":true,\"top\":true,"
                              "\"headers\":["
                              "{\"number\":1,\"uidl\":\"uid-00000001\",\"size\":%" G_GUINT64_FORMAT ",\"new\":true,"
                              "\"from\":\"Sender 1 <sender1@example.com>\",\"from_name\":\"Sender 1\","
                              "\"from_address\":\"sender1@example.com\",\"to\":\"alice@example.com\","
                              "\"subject\":\"Message 1\",\"date\":\"2025-11-24T16:00:00Z\","
                              "\"message_id\":\"<1@example.com>\"},"
                              "{\"number\":2,\"uidl\":\"uid-00000002\",\"size\":%" G_GUINT64_FORMAT ",\"new\":true,"
                              "\"from\":\"Sender 2 <sender2@example.com>\",\"from_name\":\"Sender 2\","
                              "\"from_address\":\"sender2@example.com\",\"to\":\"alice@example.com\","
                              "\"subject\":\"Message 2\",\"date\":\"2025-11-24T16:00:00Z\","
                              "\"message_id\":\"<2@example.com>\"},"
                              "{\"number\":3,\"uidl\":\"uid-bare\",\"size\":%" G_GUINT64_FORMAT ",\"new\":true,"
                              "\"from\":null,\"from_name\":null,\"from_address\":null,\"to\":null,"
                              "\"subject\":null,\"date\":null,\"message_id\":null}"
                              "],\"unseen\":3,\"state\":\"ok\"}",
                              label, mp_mailbox_get_size (mailbox), size1, size2,
                              mp_message_get_size (item (mailbox, 2)));
  g_assert_cmpstr (json, ==, expected);
  g_assert_cmpuint (mp_mailbox_get_size (mailbox), ==, size1 + size2 + mp_message_get_size (item (mailbox, 2)));
  g_clear_pointer (&json, g_free);
  g_clear_pointer (&expected, g_free);

  /* Without headers, for the status interface. */
  json = summary_json (mailbox, FALSE);
  g_assert_null (strstr (json, "\"headers\""));
  g_assert_nonnull (strstr (json, "\"new\":3,\"pipelining\":false,\"uidl\":true,\"top\":true,\"unseen\":3,\"state\":\"ok\"}"));
  g_clear_pointer (&json, g_free);

  /* A failed check: status error, the message, and null counts. */
  mp_test_server_set_login_error (fixture->server, "-ERR [SYS/TEMP] Try later");
  {
    g_autoptr(GError) error = NULL;

    g_assert_false (check (mailbox, &error));
    g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_SYS_TEMP);
    wait_not_busy (mailbox);
    g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_ERROR);
    g_assert_error (mp_mailbox_get_error (mailbox), MP_POP3_ERROR, MP_POP3_ERROR_SYS_TEMP);

    json = summary_json (mailbox, TRUE);
    expected = g_strdup_printf ("{\"account\":\"%s\",\"name\":null,\"status\":\"error\",\"error\":\"%s\","
                                "\"messages\":null,\"bytes\":null,\"new\":null,\"headers\":[],"
                                "\"unseen\":null,\"state\":\"error\"}", label, error->message);
    g_assert_cmpstr (json, ==, expected);
  }
  /* The list stays as it was for the window. */
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 3);
}

/* ---- one queue per account -------------------------------------------- */

static int
log_index (char       **log,
           const char  *line,
           int          from)
{
  for (int i = from; log[i] != NULL; i++)
    if (g_str_equal (log[i], line))
      return i;
  return -1;
}

static guint
count_before (char       **log,
              const char  *line,
              int          end)
{
  guint n = 0;

  for (int i = 0; i < end && log[i] != NULL; i++)
    n += g_str_equal (log[i], line);
  return n;
}

static void
progress_cb (guint    done,
             guint    total,
             guint64  bytes,
             guint64  total_bytes,
             gpointer user_data)
{
  guint *calls = user_data;

  g_assert_cmpuint (done, <=, total);
  (*calls)++;
}

static void
test_delete_behind_poll (Fixture       *fixture,
                         gconstpointer  data)
{
  MpMailbox *mailbox;
  g_autoptr(GAsyncResult) check_result = NULL;
  g_autoptr(GAsyncResult) delete_result = NULL;
  g_autoptr(GPtrArray) doomed = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) log = NULL;
  MpTransferOutcome *outcome;
  g_autofree char *changes = NULL;
  int quit, dele;
  guint progress_calls = 0;

  /* Every reply takes a while, so the delete is asked for while the poll
   * runs; it must wait for the poll's session to end.
   */
  mp_test_server_set_reply_delay (fixture->server, 20);
  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  check_ok (mailbox);
  g_free (take_changes (fixture));
  g_ptr_array_add (doomed, g_object_ref (item (mailbox, 1)));

  mp_test_server_clear_log (fixture->server);
  mp_mailbox_check_async (mailbox, NULL, mp_test_result_cb, &check_result);
  g_assert_true (mp_test_server_wait_command (fixture->server, "STAT", 1, GUARD_MSEC));
  mp_mailbox_delete_async (mailbox, doomed, progress_cb, &progress_calls, NULL,
                           mp_test_result_cb, &delete_result);
  g_assert_true (mp_mailbox_get_busy (mailbox));

  mp_test_await (&check_result, GUARD_SECONDS);
  g_assert_true (mp_mailbox_check_finish (mailbox, check_result, &error));
  g_assert_no_error (error);
  mp_test_await (&delete_result, GUARD_SECONDS);
  outcomes = mp_mailbox_delete_finish (mailbox, delete_result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (outcomes);
  g_assert_cmpuint (outcomes->len, ==, 1);
  outcome = g_ptr_array_index (outcomes, 0);
  g_assert_no_error (outcome->error);
  g_assert_true (outcome->deleted);
  g_assert_cmpstr (outcome->uid, ==, "uid-00000002");
  g_assert_cmpuint (progress_calls, >=, 2);

  /* The server log: the poll's session ended (QUIT) before the delete's
   * began, so the delete's UIDL and DELE come after it, and nothing was
   * refused as in use.
   */
  log = mp_test_server_get_log (fixture->server);
  quit = log_index (log, "QUIT", 0);
  dele = log_index (log, "DELE 2", 0);
  g_assert_cmpint (quit, >=, 0);
  g_assert_cmpint (dele, >, quit);
  g_assert_cmpuint (count_before (log, "UIDL", quit), ==, 1);
  g_assert_cmpuint (count_before (log, "STAT", quit), ==, 1);
  g_assert_cmpint (log_index (log, "QUIT", quit + 1), >, dele);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 3);

  /* Confirmed: gone from the server, the list and the state. */
  g_assert_false (mp_test_server_has_uid (fixture->server, "uid-00000002"));
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "1,1,0");
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 2);
  g_assert_null (mp_mailbox_find_message (mailbox, "uid-00000002"));
  g_assert_false (mp_mailbox_state_contains (mp_poller_get_state (fixture->poller,
                                                                  mp_mailbox_get_account (mailbox)),
                                             "uid-00000002"));
  wait_not_busy (mailbox);

  /* The next poll agrees and changes nothing. */
  check_ok (mailbox);
  g_clear_pointer (&changes, g_free);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "");
}

typedef struct
{
  guint   calls;
  guint   partial;
  guint   done;
  guint   total;
  guint64 bytes;
  guint64 total_bytes;
} Progress;

static void
record_progress_cb (guint    done,
                    guint    total,
                    guint64  bytes,
                    guint64  total_bytes,
                    gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpuint (done, >=, progress->done);
  g_assert_cmpuint (bytes, >=, progress->bytes);
  progress->calls++;
  progress->partial += done > 0 && done < total;
  progress->done = done;
  progress->total = total;
  progress->bytes = bytes;
  progress->total_bytes = total_bytes;
}

static void
test_download_and_delete (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "downloads", NULL);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *contents = NULL;
  Progress progress = { 0 };
  MpMailbox *mailbox;
  guint64 size;

  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  check_ok (mailbox);
  g_free (take_changes (fixture));
  g_ptr_array_add (wanted, g_object_ref (item (mailbox, 0)));
  g_ptr_array_add (wanted, g_object_ref (item (mailbox, 2)));
  size = mp_message_get_size (item (mailbox, 0)) + mp_message_get_size (item (mailbox, 2));

  mp_mailbox_download_async (mailbox, wanted, dir, MP_DOWNLOAD_DELETE_AFTER,
                             record_progress_cb, &progress, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  outcomes = mp_mailbox_download_finish (mailbox, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 2);
  for (guint i = 0; i < outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      g_assert_no_error (outcome->error);
      g_assert_nonnull (outcome->path);
      g_assert_true (outcome->deleted);
    }
  g_assert_true (g_file_get_contents (((MpTransferOutcome *) g_ptr_array_index (outcomes, 0))->path,
                                      &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "Subject: Message 1"));

  /* Progress: from nothing, message by message, to everything, in bytes
   * too.
   */
  g_assert_cmpuint (progress.calls, >=, 3);
  g_assert_cmpuint (progress.partial, ==, 1);
  g_assert_cmpuint (progress.done, ==, 2);
  g_assert_cmpuint (progress.total, ==, 2);
  g_assert_cmpuint (progress.bytes, ==, size);
  g_assert_cmpuint (progress.total_bytes, ==, size);

  /* Deleted after the download: two runs left the list. */
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "2,1,0 0,1,0");
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 1);
  g_assert_cmpstr (mp_message_get_key (item (mailbox, 0)), ==, "uid-00000002");
  g_assert_cmpuint (mp_test_server_get_n_messages (fixture->server), ==, 1);
  wait_not_busy (mailbox);

  /* A cancelled download waits in the queue no more and touches nothing. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
    g_autoptr(GAsyncResult) cancelled = NULL;
    g_autoptr(GPtrArray) none = NULL;

    g_ptr_array_add (one, g_object_ref (item (mailbox, 0)));
    g_cancellable_cancel (cancellable);
    mp_mailbox_delete_async (mailbox, one, NULL, NULL, cancellable, mp_test_result_cb, &cancelled);
    mp_test_await (&cancelled, GUARD_SECONDS);
    g_clear_error (&error);
    none = mp_mailbox_delete_finish (mailbox, cancelled, &error);
    g_assert_null (none);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    wait_not_busy (mailbox);
    g_assert_cmpuint (mp_test_server_get_n_messages (fixture->server), ==, 1);
    g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 2);
  }
}

/* ---- snippets ---------------------------------------------------------- */

static char *
fetch_snippet (MpMailbox  *mailbox,
               MpMessage  *message,
               GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_mailbox_fetch_snippet_async (mailbox, message, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_mailbox_fetch_snippet_finish (mailbox, result, error);
}

static void
test_snippet_cached (Fixture       *fixture,
                     gconstpointer  data)
{
  MpMailbox *mailbox;
  MpMessage *message;
  g_autofree char *snippet = NULL;
  g_autofree char *again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpPoller) second = NULL;
  guint connections;

  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  check_ok (mailbox);
  message = item (mailbox, 1);
  g_assert_null (mp_message_get_snippet (message));
  g_assert_false (mp_test_server_log_contains (fixture->server, "TOP * 50"));

  snippet = fetch_snippet (mailbox, message, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (snippet, "Body line 1 of message 2"));
  g_assert_cmpstr (mp_message_get_snippet (message), ==, snippet);
  /* In a session of its own that named the message by its UID. */
  g_assert_true (mp_test_server_log_contains (fixture->server, "TOP 2 50"));
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "UIDL"), ==, 2);
  wait_not_busy (mailbox);
  connections = mp_test_server_get_n_connections (fixture->server);
  g_assert_cmpuint (connections, ==, 2);

  /* A second look needs no session. */
  again = fetch_snippet (mailbox, message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, snippet);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, connections);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 4);
}

/* ---- removal and errors ------------------------------------------------ */

static void
test_removed_mid_poll (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MpAccountStore) store = mp_account_store_new ();
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpPoller) poller = NULL;
  g_autoptr(MpMailbox) mailbox = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *changes = NULL;
  MpAccount *template;

  mp_test_server_set_reply_delay (fixture->server, 30);
  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);

  /* A poller that follows the store and schedules (on the fake clock). */
  poller = mp_poller_new_for_store (store);
  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_password_func (poller, password_func, fixture);
  g_signal_connect (poller, "items-changed", G_CALLBACK (items_changed_cb), fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (poller)), ==, 0);

  template = new_account (fixture, NULL);
  added = mp_account_store_add (store, template, &error);
  g_assert_no_error (error);
  g_assert_nonnull (added);

  /* It appears, and its first poll starts. */
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,0,1");
  g_clear_pointer (&changes, g_free);
  mailbox = g_list_model_get_item (G_LIST_MODEL (poller), 0);
  mp_test_weak_set_add (fixture->watched, mailbox);
  g_assert_true (mp_poller_lookup_mailbox (poller, mp_account_get_id (added)) == mailbox);
  g_signal_connect (mailbox, "messages-arrived", G_CALLBACK (arrived_cb), fixture);
  g_assert_true (mp_test_server_wait_command (fixture->server, "STAT", 1, GUARD_MSEC));
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_CHECKING);

  /* Removed mid-poll: it disappears, its session is cancelled (the
   * connection dropped, no QUIT) and it reports nothing.
   */
  g_assert_true (mp_account_store_remove (store, added, &error));
  g_assert_no_error (error);
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,1,0");
  g_assert_null (mp_poller_lookup_mailbox (poller, mp_account_get_id (added)));
  mp_test_wait_until (not_busy, mailbox, GUARD_MSEC, "the cancelled session to end");
  g_assert_cmpuint (mp_poller_get_active_sessions (poller), ==, 0);
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "QUIT"), ==, 0);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 0);
  g_assert_cmpuint (fixture->arrived->len, ==, 0);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_IDLE);

  /* A removed mailbox refuses work. */
  g_assert_false (check (mailbox, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_bad_certificate (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "tls", NULL);
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  MpMailbox *mailbox;
  MpAccount *account;

  certificate = mp_test_make_certificate (dir, NULL, &error);
  g_assert_no_error (error);
  mp_test_server_set_certificate (fixture->server, certificate);
  mp_test_server_set_implicit_tls (fixture->server, TRUE);
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);

  mailbox = add_mailbox (fixture, fixture->poller, "first");
  account = mp_mailbox_get_account (mailbox);
  mp_account_set_security (account, MP_POP3_SECURITY_TLS);

  g_assert_false (check (mailbox, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE);
  wait_not_busy (mailbox);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE);
  g_assert_error (mp_mailbox_get_error (mailbox), MP_POP3_ERROR, MP_POP3_ERROR_CERTIFICATE);
  /* The certificate itself, for the prompt that offers to pin it. */
  g_assert_nonnull (mp_mailbox_get_certificate (mailbox));
  g_assert_true (g_tls_certificate_is_same (mp_mailbox_get_certificate (mailbox), certificate));
  g_assert_true (mp_mailbox_get_certificate_errors (mailbox) & G_TLS_CERTIFICATE_UNKNOWN_CA);
  json = summary_json (mailbox, FALSE);
  g_assert_nonnull (strstr (json, "\"state\":\"untrusted-certificate\""));
  g_assert_nonnull (strstr (json, "\"status\":\"error\""));

  /* Pinned: trusted, and the certificate is gone from the mailbox. */
  {
    g_autofree char *fingerprint = mp_pop3_certificate_get_fingerprint (certificate);

    g_clear_error (&error);
    mp_account_set_pinned_fingerprint (account, fingerprint);
    check_ok (mailbox);
    g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_OK);
    g_assert_null (mp_mailbox_get_certificate (mailbox));
    g_assert_cmpuint (mp_mailbox_get_certificate_errors (mailbox), ==, 0);
    g_assert_null (mp_mailbox_get_error (mailbox));
  }
}

static void
test_needs_password (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MpMailbox *mailbox;

  mp_test_server_fill (fixture->server, 1);
  mp_test_server_set_login_error (fixture->server, "-ERR [AUTH] Wrong password");
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");

  g_assert_false (check (mailbox, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  wait_not_busy (mailbox);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_NEEDS_PASSWORD);

  g_clear_error (&error);
  mp_test_server_set_login_error (fixture->server, "-ERR [IN-USE] Locked");
  g_assert_false (check (mailbox, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_IN_USE);
  wait_not_busy (mailbox);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_LOGIN_DELAY);
}

static void
test_delete_account (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MpAccountStore) store = mp_account_store_new ();
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpPoller) poller = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) state_file = NULL;
  g_autoptr(GFile) aside = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *aside_path = NULL;
  MpMailbox *mailbox;

  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);

  poller = mp_poller_new_for_store (store);
  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_clock (poller, fixture->clock);
  mp_poller_set_scheduling (poller, FALSE);
  mp_poller_set_password_func (poller, password_func, fixture);
  g_signal_connect (poller, "items-changed", G_CALLBACK (items_changed_cb), fixture);

  added = mp_account_store_add (store, new_account (fixture, NULL), &error);
  g_assert_no_error (error);
  mailbox = mp_poller_lookup_mailbox (poller, mp_account_get_id (added));
  g_assert_nonnull (mailbox);
  mp_test_weak_set_add (fixture->watched, mailbox);
  check_ok (mailbox);
  state_file = g_object_ref (mp_mailbox_state_get_file (mp_poller_get_state (poller, added)));
  g_assert_true (g_file_query_exists (state_file, NULL));
  /* A copy set aside from a corrupt file goes too. */
  aside_path = g_strconcat (g_file_peek_path (state_file), ".corrupt-20260101T000000", NULL);
  g_assert_true (g_file_set_contents (aside_path, "junk", -1, NULL));
  aside = g_file_new_for_path (aside_path);
  g_free (take_changes (fixture));

  mp_account_store_delete_async (store, added, NULL, mp_test_result_cb, &result);
  /* Gone from the store, and so from the poller, at once. */
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,1,0");
  g_assert_null (mp_poller_lookup_mailbox (poller, mp_account_get_id (added)));
  mp_test_await (&result, GUARD_SECONDS);
  if (!mp_account_store_delete_finish (store, result, &error))
    {
      /* No keyring in this test: only the password may be left. */
      g_test_message ("delete: %s", error->message);
      g_assert_true (error->domain == MP_SECRETS_ERROR);
    }
  g_assert_false (g_file_query_exists (state_file, NULL));
  g_assert_false (g_file_query_exists (aside, NULL));
  g_assert_null (mp_account_store_find (store, mp_account_get_id (added)));

  /* Deleting it again changes nothing and says so. */
  g_clear_object (&result);
  g_clear_error (&error);
  mp_account_store_delete_async (store, added, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_false (mp_account_store_delete_finish (store, result, &error));
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_NOT_FOUND);
}

/* `mailpeek --check`: a poller over the store that only polls when asked. */
static void
test_one_shot (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(MpAccountStore) store = mp_account_store_new ();
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpPoller) poller = NULL;
  g_autoptr(GError) error = NULL;
  MpMailbox *mailbox;

  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  added = mp_account_store_add (store, new_account (fixture, NULL), &error);
  g_assert_no_error (error);

  poller = mp_poller_new_for_store (store);
  mp_poller_set_scheduling (poller, FALSE);
  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_clock (poller, fixture->clock);
  mp_poller_set_password_func (poller, password_func, fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (poller)), ==, 1);
  mailbox = mp_poller_lookup_mailbox (poller, mp_account_get_id (added));
  mp_test_weak_set_add (fixture->watched, mailbox);

  /* The first poll the store's account got is dropped unsent. */
  wait_not_busy (mailbox);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 0);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_IDLE);

  check_ok (mailbox);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 1);
  g_assert_null (mp_mailbox_get_next_check (mailbox));
  g_assert_cmpuint (mp_clock_get_n_pending (fixture->clock), ==, 0);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 1);

  /* The settings backend outlives the test. */
  g_assert_true (mp_account_store_remove (store, added, &error));
  g_assert_no_error (error);
}

static gboolean
all_mailboxes_gone_or_one (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data)) == 1;
}

static gboolean
no_mailboxes (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data)) == 0;
}

static gboolean
user_is_bob (gpointer data)
{
  return g_strcmp0 (mp_account_get_user (data), "bob") == 0;
}

static gboolean
user_is_alice (gpointer data)
{
  return g_strcmp0 (mp_account_get_user (data), USER) == 0;
}

static gboolean
is_disabled (gpointer data)
{
  return !mp_account_get_enabled (data);
}

static gboolean
connections_at_least (gpointer data)
{
  Fixture *fixture = data;

  return mp_test_server_get_n_connections (fixture->server) >= GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (fixture->server), "want"));
}

static void
wait_connections (Fixture *fixture,
                  guint    n)
{
  g_object_set_data (G_OBJECT (fixture->server), "want", GUINT_TO_POINTER (n));
  mp_test_wait_until (connections_at_least, fixture, GUARD_MSEC, "a connection");
}

/* Another store over the same settings stands for the CLI or a dialog in
 * another process: the poller follows what it does.
 */
static void
test_follow_store (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(MpAccountStore) store = mp_account_store_new ();
  g_autoptr(MpAccountStore) other = mp_account_store_new ();
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpAccount) ours = NULL;
  g_autoptr(MpPoller) poller = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *changes = NULL;
  MpMailbox *mailbox;

  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  /* The settings backend lives as long as the process: start from none. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  poller = mp_poller_new_for_store (store);
  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_clock (poller, fixture->clock);
  mp_poller_set_password_func (poller, password_func, fixture);
  g_signal_connect (poller, "items-changed", G_CALLBACK (items_changed_cb), fixture);

  /* Added elsewhere: it appears and is polled. */
  added = mp_account_store_add (other, new_account (fixture, NULL), &error);
  g_assert_no_error (error);
  mp_test_wait_until (all_mailboxes_gone_or_one, poller, GUARD_MSEC, "the account to appear");
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,0,1");
  g_clear_pointer (&changes, g_free);
  mailbox = mp_poller_lookup_mailbox (poller, mp_account_get_id (added));
  g_assert_nonnull (mailbox);
  mp_test_weak_set_add (fixture->watched, mailbox);
  wait_connections (fixture, 1);
  wait_not_busy (mailbox);
  g_assert_nonnull (mp_mailbox_get_next_check (mailbox));

  /* Changed elsewhere: polled again soon, before its interval is up. */
  ours = mp_account_store_find (store, mp_account_get_id (added));
  mp_account_set_user (added, "bob");
  mp_test_wait_until (user_is_bob, ours, GUARD_MSEC, "the change to arrive");
  mp_clock_advance (fixture->clock, 1);
  wait_connections (fixture, 2);
  wait_not_busy (mailbox);
  /* bob is refused: the user must act, so no timer. */
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_NEEDS_PASSWORD);
  g_assert_null (mp_mailbox_get_next_check (mailbox));

  mp_account_set_user (added, USER);
  mp_test_wait_until (user_is_alice, ours, GUARD_MSEC, "the change to arrive");
  mp_clock_advance (fixture->clock, 1);
  wait_connections (fixture, 3);
  wait_not_busy (mailbox);
  g_assert_cmpint (mp_mailbox_get_status (mailbox), ==, MP_MAILBOX_STATUS_OK);

  /* Disabled elsewhere: it stays in the list but stops. */
  mp_account_set_enabled (added, FALSE);
  mp_test_wait_until (is_disabled, ours, GUARD_MSEC, "the change to arrive");
  g_assert_null (mp_mailbox_get_next_check (mailbox));
  mp_clock_advance (fixture->clock, 3600);
  g_assert_false (mp_mailbox_get_busy (mailbox));
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (poller)), ==, 1);

  /* Removed elsewhere: gone. */
  g_assert_true (mp_account_store_remove (other, added, &error));
  g_assert_no_error (error);
  mp_test_wait_until (no_mailboxes, poller, GUARD_MSEC, "the account to disappear");
  changes = take_changes (fixture);
  g_assert_cmpstr (changes, ==, "0,1,0");
}

/* ---- performance (-m perf) -------------------------------------------- */

typedef struct
{
  gint64 last;
  gint64 worst;
} Stall;

static gboolean
tick_cb (gpointer data)
{
  Stall *stall = data;
  gint64 now = g_get_monotonic_time ();

  if (stall->last != 0)
    stall->worst = MAX (stall->worst, now - stall->last);
  stall->last = now;
  return G_SOURCE_CONTINUE;
}

/* The first poll of a large maildrop and the unchanged one after it: the
 * longest the main loop went without running, of which the list's part
 * (the rest is the engine's header decoding and the state's load).
 */
static void
test_perf_large (Fixture       *fixture,
                 gconstpointer  data)
{
  MpMailbox *mailbox;
  Stall stall = { 0 };
  gint64 start;
  guint id;

  if (!g_test_perf ())
    {
      g_test_skip ("performance test; run with -m perf");
      return;
    }

  mp_test_server_set_quirks (fixture->server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_fill (fixture->server, 10000);
  start_server (fixture);
  mailbox = add_mailbox (fixture, fixture->poller, "first");
  id = g_timeout_add (1, tick_cb, &stall);

  start = g_get_monotonic_time ();
  check_ok (mailbox);
  g_test_minimized_result ((g_get_monotonic_time () - start) / 1e6,
                           "first poll of 10,000: %.3f s", (g_get_monotonic_time () - start) / 1e6);
  g_test_message ("longest main-loop stall, first poll: %.1f ms", stall.worst / 1e3);
  g_assert_cmpuint (mp_mailbox_get_n_messages (mailbox), ==, 10000);

  stall.worst = 0;
  stall.last = 0;
  start = g_get_monotonic_time ();
  check_ok (mailbox);
  g_test_message ("unchanged poll of 10,000: %.3f s, longest stall %.1f ms",
                  (g_get_monotonic_time () - start) / 1e6, stall.worst / 1e3);
  g_source_remove (id);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  mp_test_init ();

  g_test_add_func ("/message/notify", test_message_notify);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/mailbox/items-changed", test_items_changed);
  ADD ("/mailbox/arrived-once", test_arrived_once);
  ADD ("/mailbox/mark-seen", test_mark_seen);
  ADD ("/mailbox/checks-join", test_checks_join);
  ADD ("/mailbox/summary", test_summary);
  ADD ("/mailbox/delete-behind-poll", test_delete_behind_poll);
  ADD ("/mailbox/download-and-delete", test_download_and_delete);
  ADD ("/mailbox/snippet-cached", test_snippet_cached);
  ADD ("/mailbox/removed-mid-poll", test_removed_mid_poll);
  ADD ("/mailbox/first-poll-steps", test_first_poll_steps);
  ADD ("/mailbox/removed-while-applying", test_removed_while_applying);
  ADD ("/mailbox/bad-certificate", test_bad_certificate);
  ADD ("/mailbox/needs-password", test_needs_password);
  ADD ("/mailbox/delete-account", test_delete_account);
  ADD ("/mailbox/one-shot", test_one_shot);
  ADD ("/mailbox/follow-store", test_follow_store);
  ADD ("/mailbox/perf/large", test_perf_large);

#undef ADD

  return mp_test_shutdown (g_test_run ());
}
