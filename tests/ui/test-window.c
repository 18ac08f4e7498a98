/* test-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The preview window under a real X server (Xvfb, see tests/meson.build):
 * the tree model over a list of messages and its signals, the model that
 * concatenates mailboxes, the message list's rows, sorting, filtering and
 * hiding, the date column, and that every control has an accessible name;
 * then the whole window over real mailboxes (MpPoller, MpMailbox) checking
 * the scripted POP3 server (mp-test-server.h): rows, the details pane's
 * snippet, and deleting with undo, seen from the server's side.
 */

#define G_LOG_DOMAIN "test-window"

#include "config.h"

#include <string.h>

#include <gtk/gtk.h>

#include "mp-clock.h"
#include "mp-message-list.h"
#include "mp-message-list-model.h"
#include "mp-message-private.h"
#include "mp-message-tree-model.h"
#include "mp-poller.h"
#include "mp-sidebar-row.h"
#include "mp-test-server.h"
#include "mp-test-util.h"
#include "mp-window-private.h"

#define GUARD_SECONDS 20
#define GUARD_MSEC    (GUARD_SECONDS * 1000)
#define USER          "alice"
#define PASSWORD      "secret"

/* ---- helpers ----------------------------------------------------------- */

static MpMessage *
make_message (const char *uid,
              const char *from_name,
              const char *subject,
              gint64      unix_time,
              guint64     size)
{
  g_autoptr(MpHeaders) headers = mp_headers_new ();

  headers->from_name = g_strdup (from_name);
  headers->from_address = g_strdup_printf ("%s@example.org", uid);
  headers->from = g_strdup_printf ("%s <%s>", from_name, headers->from_address);
  headers->subject = g_strdup (subject);
  headers->date = unix_time > 0 ? g_date_time_new_from_unix_utc (unix_time) : NULL;
  return mp_message_new (uid, uid, 1, size, headers);
}

static GListStore *
make_store (void)
{
  GListStore *store = g_list_store_new (MP_TYPE_MESSAGE);
  g_autoptr(MpMessage) a = make_message ("a", "Zoë Young", "Quarterly report", 1700000300, 5000);
  g_autoptr(MpMessage) b = make_message ("b", "Борис Петров", "Отчёт за неделю", 1700000100, 120);
  g_autoptr(MpMessage) c = make_message ("c", "alice Martin", "Holiday photos", 1700000200, 3000000);

  g_list_store_append (store, a);
  g_list_store_append (store, b);
  g_list_store_append (store, c);
  return store;
}

static void
iterate (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static char *
visible_uids (MpMessageList *list)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < mp_message_list_get_n_visible (list); i++)
    g_string_append (s, mp_message_get_uid (mp_message_list_get_visible_message (list, i)));
  return g_string_free (s, FALSE);
}

/* ---- MpMessageTreeModel ------------------------------------------------ */

typedef struct
{
  GString *log;
} Events;

static void
row_inserted_cb (GtkTreeModel *model,
                 GtkTreePath  *path,
                 GtkTreeIter  *iter,
                 Events       *events)
{
  MpMessage *message = mp_message_tree_model_get_message (MP_MESSAGE_TREE_MODEL (model), iter);

  g_string_append_printf (events->log, "+%d%s ", gtk_tree_path_get_indices (path)[0],
                          mp_message_get_uid (message));
}

static void
row_deleted_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                Events       *events)
{
  g_string_append_printf (events->log, "-%d ", gtk_tree_path_get_indices (path)[0]);
}

static void
row_changed_cb (GtkTreeModel *model,
                GtkTreePath  *path,
                GtkTreeIter  *iter,
                Events       *events)
{
  g_string_append_printf (events->log, "~%d ", gtk_tree_path_get_indices (path)[0]);
}

static void
test_tree_model_follows_list (void)
{
  g_autoptr(GListStore) store = make_store ();
  g_autoptr(MpMessageTreeModel) model = mp_message_tree_model_new (G_LIST_MODEL (store));
  g_autoptr(MpMessage) d = make_message ("d", "Dora", "New one", 1700000400, 10);
  Events events = { g_string_new (NULL) };
  GtkTreeIter iter;
  g_autofree char *subject = NULL;
  gint64 date = 0;
  guint64 size = 0;
  gboolean unseen = TRUE;

  g_assert_cmpint (gtk_tree_model_iter_n_children (GTK_TREE_MODEL (model), NULL), ==, 3);
  g_assert_true (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (model), &iter));
  g_assert_true (gtk_tree_model_iter_next (GTK_TREE_MODEL (model), &iter));
  gtk_tree_model_get (GTK_TREE_MODEL (model), &iter,
                      MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT, &subject,
                      MP_MESSAGE_TREE_MODEL_COLUMN_DATE, &date,
                      MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, &size,
                      MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN, &unseen,
                      -1);
  /* newest first until told otherwise */
  g_assert_cmpstr (subject, ==, "Holiday photos");
  g_assert_cmpint (date, ==, 1700000200);
  g_assert_cmpuint (size, ==, 3000000);
  g_assert_false (unseen);

  g_signal_connect (model, "row-inserted", G_CALLBACK (row_inserted_cb), &events);
  g_signal_connect (model, "row-deleted", G_CALLBACK (row_deleted_cb), &events);
  g_signal_connect (model, "row-changed", G_CALLBACK (row_changed_cb), &events);

  g_list_store_insert (store, 1, d);
  g_list_store_remove (store, 0);
  {
    g_autoptr(MpMessage) c = g_list_model_get_item (G_LIST_MODEL (store), 2);

    mp_message_set_unseen (c, TRUE);
    /* a property the list does not show changes no row */
    mp_message_set_announced (c, TRUE);
  }
  /* the newest goes first; "a" was second by then */
  g_assert_cmpstr (events.log->str, ==, "+0d -1 ~1 ");

  /* iterators persist: the row of "d" is found at its place */
  g_assert_true (mp_message_tree_model_find (model, d, &iter));
  {
    g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (model), &iter);

    g_assert_cmpint (gtk_tree_path_get_indices (path)[0], ==, 0);
  }
  g_assert_cmpint (gtk_tree_model_iter_n_children (GTK_TREE_MODEL (model), NULL), ==, 3);

  g_string_free (events.log, TRUE);
}

static void
test_tree_model_compare_and_match (void)
{
  g_autoptr(GListStore) store = make_store ();
  g_autoptr(MpMessageTreeModel) model = mp_message_tree_model_new (G_LIST_MODEL (store));
  GtkTreeIter a, b, c;
  g_autofree char *needle = mp_message_tree_model_fold ("ОТЧЁТ");

  g_autoptr(MpMessage) ma = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_autoptr(MpMessage) mb = g_list_model_get_item (G_LIST_MODEL (store), 1);
  g_autoptr(MpMessage) mc = g_list_model_get_item (G_LIST_MODEL (store), 2);

  g_assert_true (mp_message_tree_model_find (model, ma, &a));
  g_assert_true (mp_message_tree_model_find (model, mb, &b));
  g_assert_true (mp_message_tree_model_find (model, mc, &c));

  /* collation, not bytes: "alice" sorts before "Zoë" whatever the case */
  g_assert_cmpint (mp_message_tree_model_compare (model, &c, &a, MP_MESSAGE_TREE_MODEL_COLUMN_FROM), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &b, &c, MP_MESSAGE_TREE_MODEL_COLUMN_DATE), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &b, &a, MP_MESSAGE_TREE_MODEL_COLUMN_SIZE), <, 0);
  g_assert_cmpint (mp_message_tree_model_compare (model, &a, &a, MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT), ==, 0);

  g_assert_true (mp_message_tree_model_matches (model, &b, needle));
  g_assert_false (mp_message_tree_model_matches (model, &a, needle));
  /* From is searched too, including the address */
  g_assert_true (mp_message_tree_model_matches (model, &c, "c@example"));
  g_assert_true (mp_message_tree_model_matches (model, &a, NULL));
}

/* ---- MpMessageListModel ------------------------------------------------ */

typedef struct
{
  guint position, removed, added;
  guint count;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->count++;
}

static void
test_list_model_concatenates (void)
{
  g_autoptr(GListStore) mailboxes = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr(GListStore) first = make_store ();
  g_autoptr(GListStore) second = g_list_store_new (MP_TYPE_MESSAGE);
  g_autoptr(MpMessageListModel) all = NULL;
  g_autoptr(MpMessage) x = make_message ("x", "X", "x", 1, 1);
  g_autoptr(MpMessage) item = NULL;
  Change change = { 0 };

  g_list_store_append (mailboxes, first);
  all = mp_message_list_model_new (G_LIST_MODEL (mailboxes));
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (all)) == MP_TYPE_MESSAGE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 3);
  g_signal_connect (all, "items-changed", G_CALLBACK (items_changed_cb), &change);

  g_list_store_append (mailboxes, second);
  /* an empty mailbox adds nothing, so nothing is emitted */
  g_assert_cmpuint (change.count, ==, 0);

  g_list_store_append (second, x);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 3);
  g_assert_cmpuint (change.added, ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (all), 3);
  g_assert_true (item == x);

  g_list_store_remove (first, 1);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 3);

  g_list_store_remove (mailboxes, 0);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 2);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (all)), ==, 1);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (all), 1));
}

/* ---- MpMessageList ----------------------------------------------------- */

static void
test_list_rows_sort_filter (void)
{
  g_autoptr(GListStore) store = make_store ();
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *widget = mp_message_list_new ();
  MpMessageList *list = MP_MESSAGE_LIST (widget);
  g_autoptr(MpMessage) late = make_message ("e", "Eve", "Late report", 1700000500, 1);
  g_autofree char *uids = NULL;

  gtk_container_add (GTK_CONTAINER (window), widget);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 400);
  gtk_widget_show_all (window);

  mp_message_list_set_messages (list, G_LIST_MODEL (store));
  iterate ();
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 3);

  /* the default: newest first */
  g_assert_cmpint (mp_message_list_get_sort_column (list), ==, MP_MESSAGE_TREE_MODEL_COLUMN_DATE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "acb");
  g_clear_pointer (&uids, g_free);

  mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_FROM, FALSE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cab");
  g_clear_pointer (&uids, g_free);
  g_assert_false (mp_message_list_get_sort_descending (list));

  mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, TRUE);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cab");
  g_clear_pointer (&uids, g_free);

  /* a message that arrives goes to its sorted place */
  g_list_store_append (store, late);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cabe");
  g_clear_pointer (&uids, g_free);

  /* type-to-search filters From and Subject, case- and accent-folded
   * the way GLib folds case */
  mp_message_list_set_search_text (list, "REPORT");
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "ae");
  g_clear_pointer (&uids, g_free);
  mp_message_list_set_search_text (list, "борис");
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "b");
  g_clear_pointer (&uids, g_free);
  mp_message_list_set_search_text (list, "nothing like this");
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 0);
  mp_message_list_set_search_mode (list, FALSE);
  g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 4);

  /* select, hide (a pending deletion), unhide */
  g_assert_true (mp_message_list_select_message (list, late));
  {
    g_autoptr(GPtrArray) selected = mp_message_list_get_selected (list);

    g_assert_cmpuint (selected->len, ==, 1);
    g_assert_true (g_ptr_array_index (selected, 0) == late);
    mp_message_list_hide_messages (list, selected);
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 3);
    g_assert_false (mp_message_list_select_message (list, late));
    mp_message_list_unhide_messages (list, selected);
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 4);
  }

  /* many at once (a first poll) come in sorted, through a reset */
  {
    g_autoptr(GListStore) many = g_list_store_new (MP_TYPE_MESSAGE);
    g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

    mp_message_list_set_messages (list, G_LIST_MODEL (many));
    mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_DATE, TRUE);
    for (guint i = 0; i < 200; i++)
      {
        g_autofree char *uid = g_strdup_printf ("m%03u", i);

        g_ptr_array_add (items, make_message (uid, "Sender", "Bulk", 1700000000 + i, 10));
      }
    g_list_store_splice (many, 0, 0, items->pdata, items->len);
    iterate ();
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 200);
    g_assert_cmpstr (mp_message_get_uid (mp_message_list_get_visible_message (list, 0)), ==, "m199");
    g_assert_cmpstr (mp_message_get_uid (mp_message_list_get_visible_message (list, 199)), ==, "m000");
    g_list_store_splice (many, 50, 100, NULL, 0);
    g_assert_cmpuint (mp_message_list_get_n_visible (list), ==, 100);
    g_assert_cmpstr (mp_message_get_uid (mp_message_list_get_visible_message (list, 49)), ==, "m150");
    mp_message_list_set_messages (list, G_LIST_MODEL (store));
    mp_message_list_set_sort (list, MP_MESSAGE_TREE_MODEL_COLUMN_SIZE, TRUE);
  }

  /* a removed message leaves the list */
  g_list_store_remove (store, 0);
  uids = visible_uids (list);
  g_assert_cmpstr (uids, ==, "cbe");
  g_clear_pointer (&uids, g_free);

  gtk_widget_destroy (window);
  iterate ();
}

static void
test_format_date (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_local (2026, 6, 15, 14, 30, 0);
  g_autoptr(GDateTime) just_now = g_date_time_add_seconds (now, -20);
  g_autoptr(GDateTime) minutes = g_date_time_add_minutes (now, -5);
  g_autoptr(GDateTime) hours = g_date_time_add_hours (now, -3);
  g_autoptr(GDateTime) yesterday = g_date_time_new_local (2026, 6, 14, 9, 5, 0);
  g_autoptr(GDateTime) march = g_date_time_new_local (2026, 3, 3, 8, 0, 0);
  g_autoptr(GDateTime) old = g_date_time_new_local (2023, 3, 3, 8, 0, 0);
  g_autofree char *s1 = mp_message_list_format_date (just_now, now);
  g_autofree char *s2 = mp_message_list_format_date (minutes, now);
  g_autofree char *s3 = mp_message_list_format_date (hours, now);
  g_autofree char *s4 = mp_message_list_format_date (yesterday, now);
  g_autofree char *s5 = mp_message_list_format_date (march, now);
  g_autofree char *s6 = mp_message_list_format_date (old, now);
  g_autofree char *s7 = mp_message_list_format_date (NULL, now);

  g_assert_cmpstr (s1, ==, "Just now");
  g_assert_cmpstr (s2, ==, "5 minutes ago");
  g_assert_cmpstr (s3, ==, "3 hours ago");
  g_assert_cmpstr (s4, ==, "Yesterday 09:05");
  g_assert_cmpstr (s5, ==, "3 Mar 08:00");
  g_assert_cmpstr (s6, ==, "3 Mar 2023");
  g_assert_cmpstr (s7, ==, "");
}

/* ---- accessibility ----------------------------------------------------- */

static const AtkRole named_roles[] = {
  ATK_ROLE_PUSH_BUTTON, ATK_ROLE_TOGGLE_BUTTON, ATK_ROLE_ENTRY, ATK_ROLE_TEXT,
  ATK_ROLE_TREE_TABLE, ATK_ROLE_TABLE, ATK_ROLE_LIST, ATK_ROLE_LIST_BOX,
  ATK_ROLE_LIST_ITEM, ATK_ROLE_MENU_ITEM, ATK_ROLE_CHECK_BOX,
  ATK_ROLE_PROGRESS_BAR,
};

static gboolean
role_needs_name (AtkRole role)
{
  for (guint i = 0; i < G_N_ELEMENTS (named_roles); i++)
    if (named_roles[i] == role)
      return TRUE;
  return FALSE;
}

/* Walks the accessible tree below @object as a screen reader or AT-SPI
 * sees it, and adds "role (path)" for every control without a name to
 * @missing. A table's cells are its data, not controls; its column
 * headers are checked instead. Editable text with a label would name
 * itself through it; ours have none, so they must be named. */
static void
check_names (AtkObject *object,
             GString   *path,
             GString   *missing,
             guint     *n_checked)
{
  AtkRole role = atk_object_get_role (object);
  const char *name = atk_object_get_name (object);
  gsize len = path->len;
  int n;

  g_string_append_printf (path, "/%s", atk_role_get_name (role));
  if (role_needs_name (role))
    {
      (*n_checked)++;
      if (name == NULL || *name == '\0')
        g_string_append_printf (missing, "%s\n", path->str);
    }

  if (role == ATK_ROLE_TREE_TABLE || role == ATK_ROLE_TABLE)
    {
      n = atk_table_get_n_columns (ATK_TABLE (object));
      for (int i = 0; i < n; i++)
        {
          AtkObject *header = atk_table_get_column_header (ATK_TABLE (object), i);

          (*n_checked)++;
          if (header == NULL || atk_object_get_name (header) == NULL
              || *atk_object_get_name (header) == '\0')
            g_string_append_printf (missing, "%s/column-header[%d]\n", path->str, i);
        }
      g_string_truncate (path, len);
      return;
    }

  n = atk_object_get_n_accessible_children (object);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(AtkObject) child = atk_object_ref_accessible_child (object, i);

      if (child != NULL)
        check_names (child, path, missing, n_checked);
    }
  g_string_truncate (path, len);
}

static void
assert_all_named (GtkWidget *toplevel,
                  guint      min_checked)
{
  g_autoptr(GString) path = g_string_new (NULL);
  g_autoptr(GString) missing = g_string_new (NULL);
  guint n_checked = 0;

  check_names (gtk_widget_get_accessible (toplevel), path, missing, &n_checked);
  if (missing->len > 0)
    g_error ("controls without an accessible name:\n%s", missing->str);
  g_assert_cmpuint (n_checked, >=, min_checked);
}

static void
test_list_accessible_names (void)
{
  g_autoptr(GListStore) store = make_store ();
  GtkWidget *window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  GtkWidget *widget = mp_message_list_new ();

  gtk_container_add (GTK_CONTAINER (window), widget);
  mp_message_list_set_messages (MP_MESSAGE_LIST (widget), G_LIST_MODEL (store));
  gtk_widget_show_all (window);
  iterate ();

  /* the search entry and its bar's close button, the tree view and its
   * five visible column headers */
  assert_all_named (window, 8);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (
                     GTK_WIDGET (mp_message_list_get_tree_view (MP_MESSAGE_LIST (widget))))),
                   ==, "Messages");

  gtk_widget_destroy (window);
  iterate ();
}

/* ---- MpWindow over real mailboxes ------------------------------------- */

typedef struct
{
  MpTestServer *server;
  MpClock      *clock;
  MpPoller     *poller;
  MpAccount    *account;
  MpMailbox    *mailbox;
  MpWindow     *window;
} Fixture;

static char *
password_func (MpAccount *account,
               gpointer   user_data)
{
  return g_strdup (PASSWORD);
}

static gboolean
not_busy (gpointer data)
{
  return !mp_mailbox_get_busy (data);
}

static gboolean
no_active_sessions (gpointer data)
{
  Fixture *fixture = data;

  return mp_poller_get_active_sessions (fixture->poller) == 0
         && !mp_mailbox_get_busy (fixture->mailbox);
}

static void
check_mailbox (Fixture *fixture)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mp_mailbox_check_async (fixture->mailbox, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_true (mp_mailbox_check_finish (fixture->mailbox, result, &error));
  g_assert_no_error (error);
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of the check");
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->server = mp_test_server_new ();
  mp_test_server_set_mailbox_mode (fixture->server, USER, PASSWORD);
  mp_test_server_add_message (fixture->server, "uid-1",
                              "From: Alice Martin <alice@example.org>\r\n"
                              "To: bob@example.org\r\n"
                              "Subject: Quarterly report\r\n"
                              "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                              "Message-ID: <q1@example.org>\r\n"
                              "\r\n"
                              "The figures are in.\r\nSee you on Monday.\r\n");
  mp_test_server_add_message (fixture->server, "uid-2",
                              "From: =?UTF-8?B?0JHQvtGA0LjRgQ==?= <boris@example.org>\r\n"
                              "Subject: =?UTF-8?B?0J/RgNC40LLQtdGCLCDQvNC40YA=?=\r\n"
                              "Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n"
                              "\r\n"
                              "Hello\r\n");
  mp_test_server_add_message (fixture->server, "uid-3",
                              "From: Chloe <chloe@example.org>\r\n"
                              "Subject: Holiday photos\r\n"
                              "Date: Tue, 14 Nov 2023 22:20:00 +0000\r\n"
                              "\r\n"
                              "Photos attached.\r\n");
  g_assert_true (mp_test_server_start (fixture->server, &error));
  g_assert_no_error (error);

  fixture->clock = mp_clock_new_fake ();
  fixture->poller = mp_poller_new ();
  mp_poller_set_network_monitor (fixture->poller, NULL);
  mp_poller_set_clock (fixture->poller, fixture->clock);
  mp_poller_set_scheduling (fixture->poller, FALSE);
  mp_poller_set_password_func (fixture->poller, password_func, fixture);

  fixture->account = mp_account_new ("test-account");
  mp_account_set_name (fixture->account, "Work");
  mp_account_set_host (fixture->account, "127.0.0.1");
  mp_account_set_port (fixture->account, mp_test_server_get_port (fixture->server));
  mp_account_set_security (fixture->account, MP_POP3_SECURITY_NONE);
  mp_account_set_user (fixture->account, USER);
  fixture->mailbox = g_object_ref (mp_poller_add_account (fixture->poller, fixture->account));
  check_mailbox (fixture);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->mailbox)), ==, 3);

  fixture->window = MP_WINDOW (mp_window_new (NULL, G_LIST_MODEL (fixture->poller)));
  g_object_ref_sink (fixture->window);
  mp_window_set_undo_timeout (fixture->window, 300);
  gtk_window_present (GTK_WINDOW (fixture->window));
  iterate ();
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;

  g_assert_true (mp_mailbox_mark_announced_finish (MP_MAILBOX (object), result, NULL));
  *done = TRUE;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *none[] = { NULL };
  gboolean saved = FALSE;

  gtk_widget_destroy (GTK_WIDGET (fixture->window));
  g_clear_object (&fixture->window);
  iterate ();
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of all sessions");
  /* Saves run one after another: once this one is done, so is any save
   * the window started (marking seen), before the isolated state dir goes.
   */
  mp_mailbox_mark_announced_async (fixture->mailbox, none, NULL, saved_cb, &saved);
  mp_test_wait_until (flag_set, &saved, GUARD_MSEC, "the last save");
  g_clear_object (&fixture->mailbox);
  g_object_add_weak_pointer (G_OBJECT (fixture->poller), (gpointer *) &fixture->poller);
  g_object_unref (fixture->poller);
  g_assert_null (fixture->poller);
  g_clear_object (&fixture->account);
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  mp_test_server_assert_no_failures (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->clock);
}

static MpMessage *
find_by_uid (MpMailbox  *mailbox,
             const char *uid)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (mailbox));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (G_LIST_MODEL (mailbox), i);

      if (g_strcmp0 (mp_message_get_uid (message), uid) == 0)
        return message;
    }
  return NULL;
}

/* MP_TEST_WINDOW_SCREENSHOT=DIR: how it looks, for a person, in
 * DIR/NAME.png */
static void
maybe_screenshot (GtkWidget  *window,
                  const char *name)
{
  g_autoptr(GdkPixbuf) shot = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *file = NULL;
  GdkWindow *gdk_window = gtk_widget_get_window (window);

  if (g_getenv ("MP_TEST_WINDOW_SCREENSHOT") == NULL)
    return;
  mp_test_run_for (500);
  file = g_strdup_printf ("%s/%s.png", g_getenv ("MP_TEST_WINDOW_SCREENSHOT"), name);
  shot = gdk_pixbuf_get_from_window (gdk_window, 0, 0,
                                     gdk_window_get_width (gdk_window),
                                     gdk_window_get_height (gdk_window));
  g_assert_nonnull (shot);
  g_assert_true (gdk_pixbuf_save (shot, file, "png", &error, NULL));
  g_assert_no_error (error);
}

static void
test_window_rows (Fixture       *fixture,
                  gconstpointer  data)
{
  MpWindow *window = fixture->window;
  GtkWidget *row;
  g_autofree char *uids = NULL;

  /* "All accounts" first and selected; with one account, no Account
   * column (it would repeat one name on every row)
   */
  g_assert_null (mp_sidebar_get_selected_mailbox (window->sidebar));
  g_assert_false (gtk_tree_view_column_get_visible (
                   gtk_tree_view_get_column (mp_message_list_get_tree_view (window->message_list), 3)));
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);
  uids = visible_uids (window->message_list);
  g_assert_cmpstr (uids, ==, "uid-3uid-2uid-1");
  /* decoded, as the server sent them in RFC 2047 */
  g_assert_cmpstr (mp_message_get_subject (mp_message_list_get_visible_message (window->message_list, 1)),
                   ==, "Привет, мир");
  g_assert_cmpstr (mp_message_get_from_name (mp_message_list_get_visible_message (window->message_list, 1)),
                   ==, "Борис");

  row = mp_sidebar_get_row (window->sidebar, fixture->mailbox);
  g_assert_nonnull (row);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (row)), ==, "Work");
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (mp_sidebar_get_row (window->sidebar, NULL))),
                   ==, "All accounts");
  g_assert_null (mp_sidebar_row_get_status_text (MP_SIDEBAR_ROW (row)));

  /* one account: no Account column */
  mp_window_show (window, fixture->mailbox, NULL);
  g_assert_true (mp_sidebar_get_selected_mailbox (window->sidebar) == fixture->mailbox);
  g_assert_false (gtk_tree_view_column_get_visible (
                    gtk_tree_view_get_column (mp_message_list_get_tree_view (window->message_list), 3)));
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);

  /* Ctrl+F's action filters From and Subject */
  g_action_group_activate_action (G_ACTION_GROUP (window), "find", NULL);
  g_assert_true (mp_message_list_get_search_mode (window->message_list));
  mp_message_list_set_search_text (window->message_list, "chloe");
  g_clear_pointer (&uids, g_free);
  uids = visible_uids (window->message_list);
  g_assert_cmpstr (uids, ==, "uid-3");
  maybe_screenshot (GTK_WIDGET (window), "window-search");
  mp_message_list_set_search_mode (window->message_list, FALSE);
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);

  /* sorting is saved */
  mp_message_list_set_sort (window->message_list, MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT, FALSE);
  {
    g_autofree char *column = g_settings_get_string (window->settings, "sort-column");

    g_assert_cmpstr (column, ==, "subject");
    g_assert_false (g_settings_get_boolean (window->settings, "sort-descending"));
  }
  g_clear_pointer (&uids, g_free);
  uids = visible_uids (window->message_list);
  g_assert_cmpstr (uids, ==, "uid-3uid-1uid-2");

  /* a second account: "All accounts" gets the Account column, and loses
   * it again when the account goes
   */
  {
    g_autoptr(MpAccount) second = mp_account_new ("second-account");

    mp_account_set_name (second, "Home");
    mp_account_set_host (second, "127.0.0.1");
    mp_account_set_port (second, mp_test_server_get_port (fixture->server));
    mp_account_set_security (second, MP_POP3_SECURITY_NONE);
    mp_account_set_user (second, USER);
    mp_window_show (window, NULL, NULL);
    mp_poller_add_account (fixture->poller, second);
    g_assert_true (gtk_tree_view_column_get_visible (
                     gtk_tree_view_get_column (mp_message_list_get_tree_view (window->message_list), 3)));
    mp_poller_remove_account (fixture->poller, second);
    g_assert_false (gtk_tree_view_column_get_visible (
                      gtk_tree_view_get_column (mp_message_list_get_tree_view (window->message_list), 3)));
  }
}

static gboolean
snippet_shown (gpointer data)
{
  MpMessageView *view = data;

  return mp_message_view_get_snippet (view) != NULL || mp_message_view_get_error (view) != NULL;
}

static void
test_window_snippet (Fixture       *fixture,
                     gconstpointer  data)
{
  MpWindow *window = fixture->window;
  MpMessage *message = find_by_uid (fixture->mailbox, "uid-1");

  g_assert_true (mp_message_list_select_message (window->message_list, message));
  g_assert_true (mp_message_view_get_message (window->message_view) == message);
  /* a spinner while the server is asked */
  g_assert_true (mp_message_view_get_loading (window->message_view));
  g_assert_null (mp_message_list_get_placeholder (window->message_list));
  mp_test_wait_until (snippet_shown, window->message_view, GUARD_MSEC, "the snippet");
  g_assert_null (mp_message_view_get_error (window->message_view));
  g_assert_nonnull (strstr (mp_message_view_get_snippet (window->message_view), "The figures are in."));
  g_assert_false (mp_message_view_get_loading (window->message_view));
}

static gboolean
delete_finished (gpointer data)
{
  MpWindow *window = data;
  const char *notice = mp_window_get_notice (window);

  return window->deletes_running == 0 && notice != NULL && strstr (notice, "from the server") != NULL;
}

static void
test_window_delete_undo (Fixture       *fixture,
                         gconstpointer  data)
{
  MpWindow *window = fixture->window;
  MpMessage *message = find_by_uid (fixture->mailbox, "uid-2");

  mp_test_server_clear_log (fixture->server);

  /* Delete: the row goes at once, the bar offers Undo, nothing is sent */
  g_assert_true (mp_message_list_select_message (window->message_list, message));
  g_assert_true (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "delete"));
  g_action_group_activate_action (G_ACTION_GROUP (window), "delete", NULL);
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 2);
  g_assert_cmpstr (mp_window_get_notice (window), ==, "1 message deleted");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window->undo_button)));
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 0);

  /* Undo: the row is back and no session will start */
  gtk_button_clicked (window->undo_button);
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);
  g_assert_null (window->pending);
  g_assert_cmpuint (window->pending_id, ==, 0);
  g_assert_cmpuint (window->deletes_running, ==, 0);
  /* sessions of an account run in order: once a check that starts now
   * is over, anything queued before it would have been sent */
  check_mailbox (fixture);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 0);
  g_assert_true (mp_test_server_has_uid (fixture->server, "uid-2"));

  /* Delete again and let the bar expire: exactly that UID goes */
  g_assert_true (mp_message_list_select_message (window->message_list, message));
  g_action_group_activate_action (G_ACTION_GROUP (window), "delete", NULL);
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 2);
  mp_test_wait_until (delete_finished, window, GUARD_MSEC, "the server's answer to the deletion");
  g_assert_cmpstr (mp_window_get_notice (window), ==, "1 message deleted from the server");
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 1);
  g_assert_false (mp_test_server_has_uid (fixture->server, "uid-2"));
  g_assert_true (mp_test_server_has_uid (fixture->server, "uid-1"));
  g_assert_true (mp_test_server_has_uid (fixture->server, "uid-3"));
  g_assert_cmpuint (mp_test_server_get_n_messages (fixture->server), ==, 2);
  /* the mailbox dropped it, and so did the list */
  g_assert_null (find_by_uid (fixture->mailbox, "uid-2"));
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 2);
}

static void
test_window_accessible_names (Fixture       *fixture,
                              gconstpointer  data)
{
  MpWindow *window = fixture->window;
  g_autoptr(MpAccount) broken = mp_account_new ("broken-account");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  MpMailbox *failing;
  GtkWidget *row;

  /* an account whose server refuses the password: its row says why */
  mp_account_set_name (broken, "Home");
  mp_account_set_host (broken, "127.0.0.1");
  mp_account_set_port (broken, mp_test_server_get_port (fixture->server));
  mp_account_set_security (broken, MP_POP3_SECURITY_NONE);
  mp_account_set_user (broken, "mallory");
  failing = mp_poller_add_account (fixture->poller, broken);
  mp_mailbox_check_async (failing, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_false (mp_mailbox_check_finish (failing, result, &error));
  g_assert_nonnull (error);
  mp_test_wait_until (not_busy, failing, GUARD_MSEC, "the end of the failed check");
  row = mp_sidebar_get_row (window->sidebar, failing);
  g_assert_nonnull (row);
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (row)), ==, "Home");
  g_assert_nonnull (mp_sidebar_row_get_status_text (MP_SIDEBAR_ROW (row)));

  /* a message selected, so the details pane's buttons are there too */
  g_assert_true (mp_message_list_select_message (window->message_list,
                                                 find_by_uid (fixture->mailbox, "uid-1")));
  mp_window_show_no_tray_notice (window);
  iterate ();
  /* header bar (4), sidebar list and its 3 rows, search entry and close,
   * tree view and 6 column headers, 3 action buttons, Undo, Dismiss,
   * the progress bar */
  assert_all_named (GTK_WIDGET (window), 20);
  mp_test_wait_until (snippet_shown, window->message_view, GUARD_MSEC, "the snippet");

  maybe_screenshot (GTK_WIDGET (window), "window");
}

/* A key press as the window receives it from the X server, without
 * needing the focus a window manager would give. */
static void
send_key (GtkWidget       *window,
          guint            keyval,
          GdkModifierType  state)
{
  GdkEvent *event = gdk_event_new (GDK_KEY_PRESS);
  GdkKeymapKey *keys = NULL;
  int n_keys = 0;

  event->key.window = g_object_ref (gtk_widget_get_window (window));
  event->key.send_event = TRUE;
  event->key.time = GDK_CURRENT_TIME;
  event->key.state = state;
  event->key.keyval = keyval;
  if (gdk_keymap_get_entries_for_keyval (gdk_keymap_get_for_display (gtk_widget_get_display (window)),
                                         keyval, &keys, &n_keys) && n_keys > 0)
    event->key.hardware_keycode = keys[0].keycode;
  gdk_event_set_device (event, gdk_seat_get_keyboard (gdk_display_get_default_seat (gtk_widget_get_display (window))));
  gtk_main_do_event (event);
  gdk_event_free (event);
  g_free (keys);
  iterate ();
}

static gboolean
one_visible (gpointer data)
{
  return mp_message_list_get_n_visible (data) == 1;
}

static void
test_window_keyboard (Fixture       *fixture,
                      gconstpointer  data)
{
  MpWindow *window = fixture->window;
  g_autofree char *uids = NULL;

  /* long enough for a slow (sanitized) run to look at the bar */
  mp_window_set_undo_timeout (window, 60000);

  /* Delete, with the focus in the list */
  g_assert_true (mp_message_list_select_message (window->message_list,
                                                 find_by_uid (fixture->mailbox, "uid-1")));
  gtk_widget_grab_focus (GTK_WIDGET (mp_message_list_get_tree_view (window->message_list)));
  send_key (GTK_WIDGET (window), GDK_KEY_Delete, 0);
  g_assert_cmpstr (mp_window_get_notice (window), ==, "1 message deleted");
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 2);
  /* Escape does not dismiss a deletion that can still be undone */
  send_key (GTK_WIDGET (window), GDK_KEY_Escape, 0);
  g_assert_cmpstr (mp_window_get_notice (window), ==, "1 message deleted");
  gtk_button_clicked (window->undo_button);
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);

  /* typing in the list searches; Escape ends the search */
  gtk_widget_grab_focus (GTK_WIDGET (mp_message_list_get_tree_view (window->message_list)));
  send_key (GTK_WIDGET (window), GDK_KEY_h, 0);
  g_assert_true (mp_message_list_get_search_mode (window->message_list));
  /* the entry filters after its delay; wait for it, not for a time */
  mp_test_wait_until (one_visible, window->message_list, GUARD_MSEC, "the search");
  uids = visible_uids (window->message_list);
  g_assert_cmpstr (uids, ==, "uid-3");
  send_key (GTK_WIDGET (window), GDK_KEY_Escape, 0);
  g_assert_false (mp_message_list_get_search_mode (window->message_list));
  g_assert_cmpuint (mp_message_list_get_n_visible (window->message_list), ==, 3);

  /* Delete in the search entry edits the text, it deletes no message */
  mp_message_list_set_search_mode (window->message_list, TRUE);
  g_assert_true (mp_message_list_select_message (window->message_list,
                                                 find_by_uid (fixture->mailbox, "uid-1")));
  mp_message_list_set_search_mode (window->message_list, TRUE);
  send_key (GTK_WIDGET (window), GDK_KEY_Delete, 0);
  g_assert_null (window->pending);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 0);
}

static gboolean
focus_mapped (gpointer data)
{
  GtkWidget *focus = gtk_window_get_focus (data);

  return focus != NULL && gtk_widget_get_mapped (focus) && gtk_widget_get_realized (focus);
}

static void
test_window_accelerators (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GtkApplication) app = gtk_application_new ("io.github.mailpeek.MailpeekTest",
                                                       G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSimpleAction) dnd = g_simple_action_new_stateful ("dnd", NULL, g_variant_new_boolean (FALSE));
  GtkWidget *window;
  MpWindow *self;
  g_autoptr(GVariant) state = NULL;

  /* no session bus here: a non-unique application registers without one */
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (dnd));

  window = mp_window_new (app, G_LIST_MODEL (fixture->poller));
  self = MP_WINDOW (window);
  gtk_window_present (GTK_WINDOW (window));
  iterate ();

  /* the accelerators the window sets on its application */
  send_key (window, GDK_KEY_f, GDK_CONTROL_MASK);
  g_assert_true (mp_message_list_get_search_mode (self->message_list));
  /* events come one frame apart for a person: the entry is on screen */
  mp_test_wait_until (focus_mapped, window, GUARD_MSEC, "the search entry");
  g_assert_true (GTK_IS_ENTRY (gtk_window_get_focus (GTK_WINDOW (window))));
  send_key (window, GDK_KEY_Escape, 0);
  g_assert_false (mp_message_list_get_search_mode (self->message_list));

  /* the header's Do not disturb follows app.dnd both ways */
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (self->header_bar)));
  g_action_change_state (G_ACTION (dnd), g_variant_new_boolean (TRUE));
  iterate ();
  {
    GList *children = gtk_container_get_children (GTK_CONTAINER (self->header_bar));
    GtkToggleButton *toggle = NULL;

    for (GList *l = children; l != NULL; l = l->next)
      if (GTK_IS_TOGGLE_BUTTON (l->data) && !GTK_IS_MENU_BUTTON (l->data)
          && g_strcmp0 (gtk_actionable_get_action_name (l->data), "app.dnd") == 0)
        toggle = l->data;
    g_list_free (children);
    g_assert_nonnull (toggle);
    g_assert_true (gtk_toggle_button_get_active (toggle));
    gtk_button_clicked (GTK_BUTTON (toggle));
    iterate ();
    state = g_action_get_state (G_ACTION (dnd));
    g_assert_false (g_variant_get_boolean (state));
  }

  /* Ctrl+W closes the window */
  send_key (window, GDK_KEY_w, GDK_CONTROL_MASK);
  g_assert_null (gtk_application_get_windows (app));
}

static gboolean
download_finished (gpointer data)
{
  const char *notice = mp_window_get_notice (data);

  return notice != NULL && (strstr (notice, "saved") != NULL);
}

static void
test_window_download (Fixture       *fixture,
                      gconstpointer  data)
{
  MpWindow *window = fixture->window;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "downloads", NULL);
  g_autoptr(GPtrArray) selected = NULL;
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  const char *name;
  gsize length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (mp_message_list_select_message (window->message_list,
                                                 find_by_uid (fixture->mailbox, "uid-3")));
  selected = mp_message_list_get_selected (window->message_list);
  mp_window_download_to (window, selected, dir);
  mp_test_wait_until (download_finished, window, GUARD_MSEC, "the download");
  g_assert_cmpstr (mp_window_get_notice (window), ==, "1 message saved in “downloads”");

  /* one file, the message as the server sent it */
  listing = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  name = g_dir_read_name (listing);
  g_assert_nonnull (name);
  g_assert_true (g_str_has_suffix (name, ".eml"));
  g_assert_null (g_dir_read_name (listing));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==,
                   "From: Chloe <chloe@example.org>\r\n"
                   "Subject: Holiday photos\r\n"
                   "Date: Tue, 14 Nov 2023 22:20:00 +0000\r\n"
                   "\r\n"
                   "Photos attached.\r\n");
  /* a download deletes nothing */
  g_assert_true (mp_test_server_has_uid (fixture->server, "uid-3"));
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 0);
}

static gboolean
all_seen (gpointer data)
{
  return mp_mailbox_get_n_unseen (data) == 0;
}

static gboolean
window_active (gpointer data)
{
  return gtk_window_is_active (data);
}

static void
test_window_marks_seen (Fixture       *fixture,
                        gconstpointer  data)
{
  MpWindow *window = fixture->window;
  GdkWindow *gdk_window = gtk_widget_get_window (GTK_WIDGET (window));

  /* new mail is unseen until the user looks at its account */
  g_assert_cmpuint (mp_mailbox_get_n_unseen (fixture->mailbox), ==, 3);
  g_assert_true (mp_message_get_unseen (find_by_uid (fixture->mailbox, "uid-1")));

  /* not while the window has no focus */
  mp_window_set_seen_delay (window, 100);
  mp_window_show (window, fixture->mailbox, NULL);
  g_assert_cmpuint (mp_mailbox_get_n_unseen (fixture->mailbox), ==, 3);

  /* Xvfb has no window manager: give the window the focus by hand */
  gdk_window_focus (gdk_window, GDK_CURRENT_TIME);
  mp_test_wait_until (window_active, window, GUARD_MSEC, "the window's focus");
  mp_test_wait_until (all_seen, fixture->mailbox, GUARD_MSEC, "the messages marked seen");
  g_assert_false (mp_message_get_unseen (find_by_uid (fixture->mailbox, "uid-1")));
}

static void
test_window_empty_states (void)
{
  g_autoptr(GListStore) none = g_list_store_new (MP_TYPE_MAILBOX);
  GtkWidget *window = mp_window_new (NULL, G_LIST_MODEL (none));
  MpWindow *self = MP_WINDOW (window);

  gtk_window_present (GTK_WINDOW (window));
  iterate ();
  g_assert_cmpstr (mp_message_list_get_placeholder (self->message_list), ==, "No accounts yet");
  assert_all_named (window, 5);
  maybe_screenshot (window, "window-empty");
  gtk_widget_destroy (window);
  iterate ();
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *data_dirs = g_strdup (g_getenv ("XDG_DATA_DIRS"));

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* the system's data dirs, read-only, are where the icon theme and the
   * MIME database that GdkPixbuf sniffs icons with live; everything the
   * test writes stays in the isolated home */
  g_setenv ("XDG_DATA_DIRS", data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", TRUE);
  gtk_init (&argc, &argv);
  {
    /* GLib already resolved the isolated data dirs: point the icon theme
     * at the system's own */
    g_auto(GStrv) dirs = g_strsplit (data_dirs != NULL ? data_dirs : "/usr/local/share:/usr/share", ":", -1);
    g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; dirs[i] != NULL; i++)
      if (*dirs[i] != '\0')
        g_ptr_array_add (path, g_build_filename (dirs[i], "icons", NULL));
    gtk_icon_theme_set_search_path (gtk_icon_theme_get_default (),
                                    (const char **) path->pdata, path->len);
  }
  mp_headers_init_library ();

  g_test_add_func ("/window/tree-model/follows-list", test_tree_model_follows_list);
  g_test_add_func ("/window/tree-model/compare-and-match", test_tree_model_compare_and_match);
  g_test_add_func ("/window/list-model/concatenates", test_list_model_concatenates);
  g_test_add_func ("/window/list/rows-sort-filter", test_list_rows_sort_filter);
  g_test_add_func ("/window/list/format-date", test_format_date);
  g_test_add_func ("/window/list/accessible-names", test_list_accessible_names);
  g_test_add_func ("/window/window/empty-states", test_window_empty_states);
  g_test_add ("/window/window/rows", Fixture, NULL, fixture_set_up, test_window_rows, fixture_tear_down);
  g_test_add ("/window/window/snippet", Fixture, NULL, fixture_set_up, test_window_snippet, fixture_tear_down);
  g_test_add ("/window/window/delete-undo", Fixture, NULL, fixture_set_up, test_window_delete_undo, fixture_tear_down);
  g_test_add ("/window/window/keyboard", Fixture, NULL, fixture_set_up, test_window_keyboard, fixture_tear_down);
  g_test_add ("/window/window/accelerators", Fixture, NULL, fixture_set_up, test_window_accelerators,
              fixture_tear_down);
  g_test_add ("/window/window/download", Fixture, NULL, fixture_set_up, test_window_download, fixture_tear_down);
  g_test_add ("/window/window/marks-seen", Fixture, NULL, fixture_set_up,
              test_window_marks_seen, fixture_tear_down);
  g_test_add ("/window/window/accessible-names", Fixture, NULL, fixture_set_up,
              test_window_accessible_names, fixture_tear_down);

  return g_test_run ();
}
