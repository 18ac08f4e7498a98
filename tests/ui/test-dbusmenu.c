/* test-dbusmenu.c: com.canonical.dbusmenu exported from a GMenuModel and
 * a GActionGroup, read and clicked the way a tray host does, on a private
 * bus (GTestDBus).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "mp-dbusmenu.h"
#include "mp-test-util.h"
#include "tray-test-util.h"

#define MENU_PATH "/MenuBar"
#define DBUSMENU_INTERFACE "com.canonical.dbusmenu"

typedef struct
{
  GDBusConnection    *connection;
  GDBusConnection    *client;
  MpDbusmenu         *menu;
  GMenu              *model;
  GMenu              *accounts;
  GSimpleActionGroup *actions;
  int                 checks;
  int                 quits;
  char               *opened;
} Fixture;

static void
check_cb (GSimpleAction *action,
          GVariant      *parameter,
          Fixture       *fixture)
{
  fixture->checks++;
}

static void
quit_cb (GSimpleAction *action,
         GVariant      *parameter,
         Fixture       *fixture)
{
  fixture->quits++;
}

static void
open_account_cb (GSimpleAction *action,
                 GVariant      *parameter,
                 Fixture       *fixture)
{
  g_free (fixture->opened);
  fixture->opened = g_variant_dup_string (parameter, NULL);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMenu) first = g_menu_new ();
  g_autoptr(GMenu) toggles = g_menu_new ();
  g_autoptr(GMenu) last = g_menu_new ();
  g_autoptr(GSimpleAction) check = g_simple_action_new ("check", NULL);
  g_autoptr(GSimpleAction) quit = g_simple_action_new ("quit", NULL);
  g_autoptr(GSimpleAction) show = g_simple_action_new ("show", NULL);
  g_autoptr(GSimpleAction) open_account = g_simple_action_new ("open-account", G_VARIANT_TYPE_STRING);
  g_autoptr(GSimpleAction) dnd = g_simple_action_new_stateful ("dnd", NULL, g_variant_new_boolean (FALSE));
  g_autoptr(GSimpleAction) prefs = g_simple_action_new ("preferences", NULL);
  g_autoptr(GMenuItem) work = NULL;

  fixture->connection = tray_test_connect ();
  fixture->client = tray_test_connect ();

  fixture->actions = g_simple_action_group_new ();
  g_signal_connect (check, "activate", G_CALLBACK (check_cb), fixture);
  g_signal_connect (quit, "activate", G_CALLBACK (quit_cb), fixture);
  g_signal_connect (open_account, "activate", G_CALLBACK (open_account_cb), fixture);
  g_simple_action_set_enabled (prefs, FALSE);
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (check));
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (quit));
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (show));
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (open_account));
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (dnd));
  g_action_map_add_action (G_ACTION_MAP (fixture->actions), G_ACTION (prefs));

  /* The shape of the applet's menu: sections become separators */
  g_menu_append (first, "Show _messages", "app.show");
  g_menu_append (first, "_Check now", "app.check");
  fixture->accounts = g_menu_new ();
  /* the app doubles an account name's underscores, as for any GTK label */
  work = g_menu_item_new ("work__box (2/5)", NULL);
  g_menu_item_set_action_and_target_value (work, "app.open-account", g_variant_new_string ("work"));
  g_menu_append_item (fixture->accounts, work);
  g_menu_append (toggles, "Do not _disturb", "app.dnd");
  g_menu_append (toggles, "_Preferences…", "app.preferences");
  g_menu_append (toggles, "Not ours", "win.close");
  g_menu_append (last, "_Quit", "app.quit");
  fixture->model = g_menu_new ();
  g_menu_append_section (fixture->model, NULL, G_MENU_MODEL (first));
  g_menu_append_section (fixture->model, NULL, G_MENU_MODEL (fixture->accounts));
  g_menu_append_section (fixture->model, NULL, G_MENU_MODEL (toggles));
  g_menu_append_section (fixture->model, NULL, G_MENU_MODEL (last));

  fixture->menu = mp_dbusmenu_new (fixture->connection, MENU_PATH, &error);
  g_assert_no_error (error);
  mp_dbusmenu_set_menu (fixture->menu, G_MENU_MODEL (fixture->model), "app",
                        G_ACTION_GROUP (fixture->actions));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_assert_finalize_object (fixture->menu);
  g_clear_object (&fixture->model);
  g_clear_object (&fixture->accounts);
  g_clear_object (&fixture->actions);
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_clear_object (&fixture->client);
  g_free (fixture->opened);
}

static GVariant *
menu_call (Fixture    *fixture,
           const char *method,
           GVariant   *parameters,
           const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = tray_test_call (fixture->client, g_dbus_connection_get_unique_name (fixture->connection),
                                    MENU_PATH, DBUSMENU_INTERFACE, method, parameters, reply_type, &error);

  g_assert_no_error (error);
  return reply;
}

/* The root's children as the host sees them. */
static GVariant *
get_layout (Fixture *fixture,
            guint   *revision)
{
  g_autoptr(GVariant) reply = menu_call (fixture, "GetLayout",
                                         g_variant_new ("(ii@as)", 0, -1, g_variant_new_strv (NULL, 0)),
                                         "(u(ia{sv}av))");
  GVariant *layout;

  g_variant_get (reply, "(u@(ia{sv}av))", revision, &layout);
  return layout;
}

typedef struct
{
  gint32    id;
  GVariant *props;
} Entry;

static GArray *
children (GVariant *layout)
{
  g_autoptr(GVariantIter) iter = NULL;
  GArray *entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  GVariant *child;

  g_variant_get (layout, "(i@a{sv}av)", NULL, NULL, &iter);
  while (g_variant_iter_next (iter, "v", &child))
    {
      Entry entry;

      g_variant_get (child, "(i@a{sv}av)", &entry.id, &entry.props, NULL);
      g_array_append_val (entries, entry);
      g_variant_unref (child);
    }
  return entries;
}

static void
entries_free (GArray *entries)
{
  for (guint i = 0; i < entries->len; i++)
    g_variant_unref (g_array_index (entries, Entry, i).props);
  g_array_unref (entries);
}

static const char *
entry_label (Entry *entry)
{
  const char *type = NULL;
  const char *label = NULL;

  if (g_variant_lookup (entry->props, "type", "&s", &type) && g_str_equal (type, "separator"))
    return "---";
  g_assert_true (g_variant_lookup (entry->props, "label", "&s", &label));
  return label;
}

static Entry *
find_entry (GArray     *entries,
            const char *label)
{
  for (guint i = 0; i < entries->len; i++)
    if (g_str_equal (entry_label (&g_array_index (entries, Entry, i)), label))
      return &g_array_index (entries, Entry, i);
  g_error ("no menu item “%s”", label);
}

static gboolean
entry_bool (Entry      *entry,
            const char *name)
{
  gboolean value;

  if (!g_variant_lookup (entry->props, name, "b", &value))
    g_error ("menu item %s has no %s", entry_label (entry), name);
  return value;
}

static void
send_clicked (Fixture *fixture,
              gint32   id)
{
  g_autoptr(GVariant) reply = menu_call (fixture, "Event",
                                         g_variant_new ("(isvu)", id, "clicked",
                                                        g_variant_new_int32 (0), 0),
                                         "()");
}

static void
test_layout (Fixture       *fixture,
             gconstpointer  data)
{
  static const char *expected[] = {
    "Show _messages", "_Check now", "---", "work__box (2/5)", "---",
    "Do not _disturb", "_Preferences…", "Not ours", "---", "_Quit",
  };
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) root_props = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *printed = NULL;
  GArray *entries;
  const char *type, *display;
  gint32 state;
  guint revision;

  layout = get_layout (fixture, &revision);
  printed = g_variant_print (layout, FALSE);
  g_test_message ("layout: %s", printed);
  g_assert_cmpuint (revision, ==, mp_dbusmenu_get_revision (fixture->menu));

  g_variant_get (layout, "(i@a{sv}av)", NULL, &root_props, NULL);
  g_assert_true (g_variant_lookup (root_props, "children-display", "&s", &display));
  g_assert_cmpstr (display, ==, "submenu");

  entries = children (layout);
  g_assert_cmpuint (entries->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < entries->len; i++)
    g_assert_cmpstr (entry_label (&g_array_index (entries, Entry, i)), ==, expected[i]);

  /* the stateful boolean action is a checkmark, unchecked */
  g_assert_true (g_variant_lookup (find_entry (entries, "Do not _disturb")->props, "toggle-type", "&s", &type));
  g_assert_cmpstr (type, ==, "checkmark");
  g_assert_true (g_variant_lookup (find_entry (entries, "Do not _disturb")->props, "toggle-state", "i", &state));
  g_assert_cmpint (state, ==, 0);
  /* a plain action is not a toggle */
  g_assert_false (g_variant_lookup (find_entry (entries, "_Check now")->props, "toggle-type", "&s", &type));

  /* enabled follows the action; a foreign namespace cannot be activated */
  g_assert_true (entry_bool (find_entry (entries, "_Check now"), "enabled"));
  g_assert_false (entry_bool (find_entry (entries, "_Preferences…"), "enabled"));
  g_assert_false (entry_bool (find_entry (entries, "Not ours"), "enabled"));

  /* GetProperty and GetGroupProperties agree with the layout */
  reply = menu_call (fixture, "GetProperty",
                     g_variant_new ("(is)", find_entry (entries, "_Quit")->id, "label"), "(v)");
  {
    g_autoptr(GVariant) value = NULL;

    g_variant_get (reply, "(v)", &value);
    g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "_Quit");
  }
  g_clear_pointer (&reply, g_variant_unref);
  {
    gint32 ids[] = { find_entry (entries, "Do not _disturb")->id };
    const char *names[] = { "toggle-state", NULL };
    g_autoptr(GVariantIter) iter = NULL;
    g_autoptr(GVariant) props = NULL;
    gint32 id;

    reply = menu_call (fixture, "GetGroupProperties",
                       g_variant_new ("(@ai^as)",
                                      g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, ids, 1, sizeof (gint32)),
                                      names),
                       "(a(ia{sv}))");
    g_variant_get (reply, "(a(ia{sv}))", &iter);
    g_assert_cmpuint (g_variant_iter_n_children (iter), ==, 1);
    g_assert_true (g_variant_iter_next (iter, "(i@a{sv})", &id, &props));
    g_assert_cmpint (id, ==, ids[0]);
    g_assert_true (g_variant_lookup (props, "toggle-state", "i", &state));
    g_assert_false (g_variant_lookup (props, "label", "&s", &type));
  }

  entries_free (entries);
}

static gboolean
int_positive (gpointer user_data)
{
  return *(int *) user_data > 0;
}

static gboolean
string_set (gpointer user_data)
{
  return *(char **) user_data != NULL;
}

static gboolean
find_toggle_update (GVariant *params,
                    gint32    id,
                    gint32   *state)
{
  g_autoptr(GVariantIter) updated = NULL;
  g_autoptr(GVariant) props = NULL;
  gint32 item;

  g_variant_get (params, "(a(ia{sv})a(ias))", &updated, NULL);
  while (g_variant_iter_next (updated, "(i@a{sv})", &item, &props))
    {
      if (item == id && g_variant_lookup (props, "toggle-state", "i", state))
        return TRUE;
      g_clear_pointer (&props, g_variant_unref);
    }
  return FALSE;
}

static void
test_events (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) reply = NULL;
  TrayTestSignalLog *log;
  GArray *entries;
  gint32 dnd_id, toggled = -1;
  guint revision, i;

  layout = get_layout (fixture, &revision);
  entries = children (layout);
  dnd_id = find_entry (entries, "Do not _disturb")->id;
  log = tray_test_signal_log_new (fixture->client, g_dbus_connection_get_unique_name (fixture->connection),
                                  DBUSMENU_INTERFACE, MENU_PATH);

  /* AboutToShow: nothing to refresh, all changes are pushed */
  reply = menu_call (fixture, "AboutToShow", g_variant_new ("(i)", 0), "(b)");
  g_clear_pointer (&reply, g_variant_unref);

  /* "clicked" activates the item's action, with its target */
  send_clicked (fixture, find_entry (entries, "_Check now")->id);
  mp_test_wait_until (int_positive, &fixture->checks, TRAY_TEST_GUARD_MSEC, "app.check activated");
  g_assert_cmpint (fixture->checks, ==, 1);
  g_assert_cmpint (fixture->quits, ==, 0);

  send_clicked (fixture, find_entry (entries, "work__box (2/5)")->id);
  mp_test_wait_until (string_set, &fixture->opened, TRAY_TEST_GUARD_MSEC, "app.open-account activated");
  g_assert_cmpstr (fixture->opened, ==, "work");

  /* a disabled item does nothing */
  send_clicked (fixture, find_entry (entries, "_Preferences…")->id);
  send_clicked (fixture, find_entry (entries, "_Quit")->id);
  mp_test_wait_until (int_positive, &fixture->quits, TRAY_TEST_GUARD_MSEC, "app.quit activated");

  /* clicking the check item toggles the stateful action, and the host is
   * told the new toggle-state */
  send_clicked (fixture, dnd_id);
  state = g_action_group_get_action_state (G_ACTION_GROUP (fixture->actions), "dnd");
  g_assert_true (g_variant_get_boolean (state));
  i = tray_test_signal_log_wait (log, 0, "ItemsPropertiesUpdated");
  g_assert_true (find_toggle_update (g_ptr_array_index (log->params, i), dnd_id, &toggled));
  g_assert_cmpint (toggled, ==, 1);

  /* the state changed by the app (the window's switch) too */
  g_action_group_change_action_state (G_ACTION_GROUP (fixture->actions), "dnd", g_variant_new_boolean (FALSE));
  i = tray_test_signal_log_wait (log, i + 1, "ItemsPropertiesUpdated");
  g_assert_true (find_toggle_update (g_ptr_array_index (log->params, i), dnd_id, &toggled));
  g_assert_cmpint (toggled, ==, 0);

  /* an action disabled is an item disabled */
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (fixture->actions), "check")),
                               FALSE);
  i = tray_test_signal_log_wait (log, i + 1, "ItemsPropertiesUpdated");
  {
    g_autoptr(GVariantIter) updated = NULL;
    g_autoptr(GVariant) props = NULL;
    gboolean enabled = TRUE;
    gint32 item;

    g_variant_get (g_ptr_array_index (log->params, i), "(a(ia{sv})a(ias))", &updated, NULL);
    g_assert_true (g_variant_iter_next (updated, "(i@a{sv})", &item, &props));
    g_assert_cmpint (item, ==, find_entry (entries, "_Check now")->id);
    g_assert_true (g_variant_lookup (props, "enabled", "b", &enabled));
    g_assert_false (enabled);
  }
  send_clicked (fixture, find_entry (entries, "_Check now")->id);
  g_assert_cmpint (fixture->checks, ==, 1);

  /* an unknown id is an error */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) none = tray_test_call (fixture->client,
                                               g_dbus_connection_get_unique_name (fixture->connection),
                                               MENU_PATH, DBUSMENU_INTERFACE, "Event",
                                               g_variant_new ("(isvu)", 9999, "clicked",
                                                              g_variant_new_int32 (0), 0),
                                               "()", &error);
    g_assert_null (none);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  }

  entries_free (entries);
  tray_test_signal_log_free (log);
}

static void
test_layout_updated (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) old_layout = NULL;
  TrayTestSignalLog *log;
  GArray *entries, *old_entries;
  guint revision, new_revision, signalled, i;
  gint32 old_quit;

  old_layout = get_layout (fixture, &revision);
  old_entries = children (old_layout);
  old_quit = find_entry (old_entries, "_Quit")->id;
  log = tray_test_signal_log_new (fixture->client, g_dbus_connection_get_unique_name (fixture->connection),
                                  DBUSMENU_INTERFACE, MENU_PATH);

  /* a second account appears in the menu */
  g_menu_append (fixture->accounts, "home (0/1)", "app.check");
  i = tray_test_signal_log_wait (log, 0, "LayoutUpdated");
  g_variant_get (g_ptr_array_index (log->params, i), "(ui)", &signalled, NULL);
  g_assert_cmpuint (signalled, >, revision);

  layout = get_layout (fixture, &new_revision);
  g_assert_cmpuint (new_revision, ==, signalled);
  entries = children (layout);
  g_assert_cmpstr (entry_label (&g_array_index (entries, Entry, 4)), ==, "home (0/1)");
  g_assert_cmpuint (entries->len, ==, old_entries->len + 1);

  /* ids of the old layout are not reused for other items */
  g_assert_cmpint (find_entry (entries, "_Quit")->id, !=, old_quit);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) none = tray_test_call (fixture->client,
                                               g_dbus_connection_get_unique_name (fixture->connection),
                                               MENU_PATH, DBUSMENU_INTERFACE, "Event",
                                               g_variant_new ("(isvu)", old_quit, "clicked",
                                                              g_variant_new_int32 (0), 0),
                                               "()", &error);
    g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);
  }
  g_assert_cmpint (fixture->quits, ==, 0);

  /* a new model altogether */
  mp_dbusmenu_set_menu (fixture->menu, NULL, NULL, NULL);
  i = tray_test_signal_log_wait (log, i + 1, "LayoutUpdated");
  entries_free (entries);
  g_clear_pointer (&layout, g_variant_unref);
  layout = get_layout (fixture, &new_revision);
  entries = children (layout);
  g_assert_cmpuint (entries->len, ==, 0);

  entries_free (entries);
  entries_free (old_entries);
  tray_test_signal_log_free (log);
}

static void
test_label_from_gtk (void)
{
  static const struct { const char *gtk; const char *dbusmenu; } cases[] = {
    { "_Quit", "_Quit" },
    { "Quit", "Quit" },
    { "my__box", "my__box" },
    { "_Do _not", "_Do not" },
    { "trailing_", "trailing__" },
    { "Почта _1", "Почта _1" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *label = mp_dbusmenu_label_from_gtk (cases[i].gtk);

      g_assert_cmpstr (label, ==, cases[i].dbusmenu);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  int rc;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  g_test_add_func ("/dbusmenu/label-from-gtk", test_label_from_gtk);
  g_test_add ("/dbusmenu/layout", Fixture, NULL, fixture_setup, test_layout, fixture_teardown);
  g_test_add ("/dbusmenu/events", Fixture, NULL, fixture_setup, test_events, fixture_teardown);
  g_test_add ("/dbusmenu/layout-updated", Fixture, NULL, fixture_setup, test_layout_updated, fixture_teardown);

  rc = g_test_run ();
  g_test_dbus_down (bus);

  return rc;
}
