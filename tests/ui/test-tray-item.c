/* test-tray-item.c: the StatusNotifierItem and MpTray's choice of it,
 * on a private bus (GTestDBus) with tests/ui/sni-watcher.py as the watcher.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "mp-test-util.h"
#include "mp-tray.h"
#include "mp-tray-item.h"
#include "tray-test-util.h"

#define SNI_INTERFACE "org.kde.StatusNotifierItem"
#define PROPS_INTERFACE "org.freedesktop.DBus.Properties"

typedef struct
{
  GDBusConnection *connection;   /* the item's */
  GDBusConnection *client;       /* the host's side */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->connection = tray_test_connect ();
  fixture->client = tray_test_connect ();
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_dbus_connection_close_sync (fixture->connection, NULL, NULL);
  g_dbus_connection_close_sync (fixture->client, NULL, NULL);
  g_clear_object (&fixture->connection);
  g_clear_object (&fixture->client);
}

static gboolean
is_registered (gpointer user_data)
{
  return mp_tray_item_get_registered (user_data);
}

static gboolean
is_not_registered (gpointer user_data)
{
  return !mp_tray_item_get_registered (user_data);
}

static GVariant *
get_all (GDBusConnection *client,
         const char      *dest,
         const char      *path,
         const char      *interface)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = tray_test_call (client, dest, path, PROPS_INTERFACE, "GetAll",
                                              g_variant_new ("(s)", interface), "(a{sv})", &error);

  g_assert_no_error (error);
  return g_variant_get_child_value (reply, 0);
}

static void
assert_string_prop (GVariant   *props,
                    const char *name,
                    const char *expected)
{
  const char *value = NULL;

  if (!g_variant_lookup (props, name, "&s", &value))
    g_error ("property %s missing or not a string", name);
  g_assert_cmpstr (value, ==, expected);
}

static gboolean
watcher_lists (GDBusConnection *client,
               const char      *item)
{
  g_autoptr(GVariant) props = get_all (client, "org.kde.StatusNotifierWatcher",
                                       "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher");
  g_autofree const char **items = NULL;

  g_assert_true (g_variant_lookup (props, "RegisteredStatusNotifierItems", "^a&s", &items));
  return g_strv_contains (items, item);
}

static void
test_register_properties_signals (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTrayItem) item = NULL;
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) tooltip = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *registered_line = NULL;
  g_autofree char *item_address = NULL;
  g_autofree char *printed = NULL;
  TrayTestWatcher *watcher = tray_test_watcher_start (NULL);
  TrayTestSignalLog *log;
  const char *icon, *title, *body, *status;
  gboolean item_is_menu = TRUE;
  guint i, before;

  item = mp_tray_item_new (fixture->connection, "mailpeek-test", &error);
  g_assert_no_error (error);
  mp_tray_item_set_title (item, "Mailpeek");
  mp_tray_item_set_icon_name (item, "mailpeek-no-mail");
  mp_tray_item_set_attention_icon_name (item, "mailpeek-new-mail");
  mp_tray_item_set_icon_theme_path (item, "/tmp/icons");
  mp_tray_item_set_tooltip (item, "Mailpeek", "work: 0 new, 3 messages");

  mp_test_wait_until (is_registered, item, TRAY_TEST_GUARD_MSEC, "the item's registration");
  g_assert_true (g_str_has_prefix (mp_tray_item_get_bus_name (item), "org.kde.StatusNotifierItem-"));
  item_address = g_strdup_printf ("%s/StatusNotifierItem", mp_tray_item_get_bus_name (item));
  registered_line = g_strdup_printf ("REGISTERED %s ", item_address);
  tray_test_watcher_wait_line (watcher, registered_line);
  g_assert_true (watcher_lists (fixture->client, item_address));

  /* What a host reads, through org.freedesktop.DBus.Properties */
  props = get_all (fixture->client, mp_tray_item_get_bus_name (item), "/StatusNotifierItem", SNI_INTERFACE);
  printed = g_variant_print (props, TRUE);
  g_test_message ("item properties: %s", printed);
  g_assert_true (g_variant_lookup (props, "ItemIsMenu", "b", &item_is_menu));
  g_assert_false (item_is_menu);
  assert_string_prop (props, "Category", "Communications");
  assert_string_prop (props, "Id", "mailpeek-test");
  assert_string_prop (props, "Title", "Mailpeek");
  assert_string_prop (props, "Status", "Passive");
  assert_string_prop (props, "IconName", "mailpeek-no-mail");
  assert_string_prop (props, "AttentionIconName", "mailpeek-new-mail");
  assert_string_prop (props, "IconThemePath", "/tmp/icons");
  {
    const char *menu_path = NULL;

    g_assert_true (g_variant_lookup (props, "Menu", "&o", &menu_path));
    g_assert_cmpstr (menu_path, ==, "/MenuBar");
  }
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_assert_nonnull (tooltip);
  g_variant_get (tooltip, "(&sa(iiay)&s&s)", &icon, NULL, &title, &body);
  g_assert_cmpstr (icon, ==, "mailpeek-no-mail");
  g_assert_cmpstr (title, ==, "Mailpeek");
  g_assert_cmpstr (body, ==, "work: 0 new, 3 messages");

  /* The menu object the Menu property names is there */
  reply = tray_test_call (fixture->client, mp_tray_item_get_bus_name (item), "/MenuBar",
                          PROPS_INTERFACE, "Get",
                          g_variant_new ("(ss)", "com.canonical.dbusmenu", "Version"), "(v)", &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);

  /* Changes come as signals */
  log = tray_test_signal_log_new (fixture->client, g_dbus_connection_get_unique_name (fixture->connection),
                                  SNI_INTERFACE, "/StatusNotifierItem");
  mp_tray_item_set_status (item, MP_TRAY_STATUS_NEEDS_ATTENTION);
  i = tray_test_signal_log_wait (log, 0, "NewStatus");
  g_variant_get (g_ptr_array_index (log->params, i), "(&s)", &status);
  g_assert_cmpstr (status, ==, "NeedsAttention");

  mp_tray_item_set_icon_name (item, "mailpeek-new-mail");
  i = tray_test_signal_log_wait (log, i + 1, "NewIcon");
  /* the tooltip names the icon too */
  i = tray_test_signal_log_wait (log, i + 1, "NewToolTip");

  mp_tray_item_set_tooltip (item, "Mailpeek", "<b>work</b>: 1 new, 4 messages");
  i = tray_test_signal_log_wait (log, i + 1, "NewToolTip");

  /* the same status again says nothing: the next signal is NewTitle */
  mp_tray_item_set_status (item, MP_TRAY_STATUS_NEEDS_ATTENTION);
  mp_tray_item_set_title (item, "Mailpeek (1)");
  before = i;
  i = tray_test_signal_log_wait (log, i + 1, "NewTitle");
  g_assert_cmpuint (i, ==, before + 1);

  mp_tray_item_set_attention_icon_name (item, "mailpeek-error");
  i = tray_test_signal_log_wait (log, i + 1, "NewAttentionIcon");

  mp_tray_item_set_status (item, MP_TRAY_STATUS_ACTIVE);
  i = tray_test_signal_log_wait (log, i + 1, "NewStatus");
  g_variant_get (g_ptr_array_index (log->params, i), "(&s)", &status);
  g_assert_cmpstr (status, ==, "Active");

  /* and the host reads the new values */
  g_clear_pointer (&props, g_variant_unref);
  g_clear_pointer (&tooltip, g_variant_unref);
  props = get_all (fixture->client, mp_tray_item_get_bus_name (item), "/StatusNotifierItem", SNI_INTERFACE);
  assert_string_prop (props, "Status", "Active");
  assert_string_prop (props, "IconName", "mailpeek-new-mail");
  assert_string_prop (props, "Title", "Mailpeek (1)");
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_variant_get (tooltip, "(&sa(iiay)&s&s)", &icon, NULL, &title, &body);
  g_assert_cmpstr (body, ==, "<b>work</b>: 1 new, 4 messages");
  g_assert_cmpstr (icon, ==, "mailpeek-new-mail");

  tray_test_signal_log_free (log);
  tray_test_watcher_stop (watcher, FALSE);
}

static void
test_reregister (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTrayItem) item = NULL;
  g_autofree char *registered_line = NULL;
  g_autofree char *item_address = NULL;
  TrayTestWatcher *watcher = tray_test_watcher_start (NULL);

  item = mp_tray_item_new (fixture->connection, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mp_tray_item_get_id (item), ==, "io.github.mailpeek.Mailpeek");
  item_address = g_strdup_printf ("%s/StatusNotifierItem", mp_tray_item_get_bus_name (item));
  registered_line = g_strdup_printf ("REGISTERED %s ", item_address);
  mp_test_wait_until (is_registered, item, TRAY_TEST_GUARD_MSEC, "the first registration");
  tray_test_watcher_wait_line (watcher, registered_line);

  /* a panel that crashes */
  tray_test_watcher_stop (watcher, TRUE);
  mp_test_wait_until (is_not_registered, item, TRAY_TEST_GUARD_MSEC, "the item noticing the watcher left");

  watcher = tray_test_watcher_start (NULL);
  mp_test_wait_until (is_registered, item, TRAY_TEST_GUARD_MSEC, "the registration with the new watcher");
  tray_test_watcher_wait_line (watcher, registered_line);
  g_assert_true (watcher_lists (fixture->client, item_address));

  /* and one that quits cleanly and comes back */
  tray_test_watcher_stop (watcher, FALSE);
  mp_test_wait_until (is_not_registered, item, TRAY_TEST_GUARD_MSEC, "the item noticing the watcher quit");
  watcher = tray_test_watcher_start (NULL);
  mp_test_wait_until (is_registered, item, TRAY_TEST_GUARD_MSEC, "the third registration");
  tray_test_watcher_wait_line (watcher, "REGISTERED ");

  tray_test_watcher_stop (watcher, FALSE);
}

typedef struct
{
  int   activated;
  int   secondary;
  int   context;
  int   scrolled;
  int   x, y;
  int   delta;
  char *orientation;
} Clicks;

static void
activate_cb (MpTrayItem *item,
             int         x,
             int         y,
             Clicks     *clicks)
{
  clicks->activated++;
  clicks->x = x;
  clicks->y = y;
}

static void
secondary_cb (MpTrayItem *item,
              int         x,
              int         y,
              Clicks     *clicks)
{
  clicks->secondary++;
  clicks->x = x;
  clicks->y = y;
}

static void
context_cb (MpTrayItem *item,
            int         x,
            int         y,
            Clicks     *clicks)
{
  clicks->context++;
}

static void
scroll_cb (MpTrayItem *item,
           int         delta,
           const char *orientation,
           Clicks     *clicks)
{
  clicks->scrolled++;
  clicks->delta = delta;
  g_free (clicks->orientation);
  clicks->orientation = g_strdup (orientation);
}

static gboolean
counter_positive (gpointer user_data)
{
  return *(int *) user_data > 0;
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

/* The item asks for its bus name on its own connection: a caller on
 * another connection must wait until the bus has given it, as a host does
 * (it learns the name from the watcher, after the item registered).
 */
static void
wait_for_bus_name (Fixture    *fixture,
                   MpTrayItem *item)
{
  gboolean owned = FALSE;
  guint watch = g_bus_watch_name_on_connection (fixture->client, mp_tray_item_get_bus_name (item),
                                                G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                name_appeared_cb, NULL, &owned, NULL);

  mp_test_wait_until (flag_is_set, &owned, TRAY_TEST_GUARD_MSEC, "the item's bus name");
  g_bus_unwatch_name (watch);
}

static void
call_item (Fixture    *fixture,
           MpTrayItem *item,
           const char *method,
           GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = tray_test_call (fixture->client, mp_tray_item_get_bus_name (item),
                                              "/StatusNotifierItem", SNI_INTERFACE, method,
                                              parameters, "()", &error);

  g_assert_no_error (error);
}

static void
test_methods (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTrayItem) item = NULL;
  g_autofree char *token = NULL;
  g_autofree char *none = NULL;
  g_autoptr(GVariant) reply = NULL;
  Clicks clicks = { 0 };

  item = mp_tray_item_new (fixture->connection, "mailpeek-test", &error);
  g_assert_no_error (error);
  g_signal_connect (item, "activate", G_CALLBACK (activate_cb), &clicks);
  g_signal_connect (item, "secondary-activate", G_CALLBACK (secondary_cb), &clicks);
  g_signal_connect (item, "context-menu", G_CALLBACK (context_cb), &clicks);
  g_signal_connect (item, "scroll", G_CALLBACK (scroll_cb), &clicks);
  wait_for_bus_name (fixture, item);

  /* methods work without a watcher: a host may call before registering */
  call_item (fixture, item, "ProvideXdgActivationToken", g_variant_new ("(s)", "token-42"));
  call_item (fixture, item, "Activate", g_variant_new ("(ii)", 10, 20));
  mp_test_wait_until (counter_positive, &clicks.activated, TRAY_TEST_GUARD_MSEC, "the activate signal");
  g_assert_cmpint (clicks.activated, ==, 1);
  g_assert_cmpint (clicks.x, ==, 10);
  g_assert_cmpint (clicks.y, ==, 20);
  g_assert_cmpint (clicks.secondary, ==, 0);

  token = mp_tray_item_take_activation_token (item);
  g_assert_cmpstr (token, ==, "token-42");
  none = mp_tray_item_take_activation_token (item);
  g_assert_null (none);

  call_item (fixture, item, "SecondaryActivate", g_variant_new ("(ii)", 3, 4));
  mp_test_wait_until (counter_positive, &clicks.secondary, TRAY_TEST_GUARD_MSEC, "secondary-activate");
  g_assert_cmpint (clicks.x, ==, 3);
  g_assert_cmpint (clicks.activated, ==, 1);

  call_item (fixture, item, "ContextMenu", g_variant_new ("(ii)", 0, 0));
  mp_test_wait_until (counter_positive, &clicks.context, TRAY_TEST_GUARD_MSEC, "context-menu");

  call_item (fixture, item, "Scroll", g_variant_new ("(is)", -2, "vertical"));
  mp_test_wait_until (counter_positive, &clicks.scrolled, TRAY_TEST_GUARD_MSEC, "scroll");
  g_assert_cmpint (clicks.delta, ==, -2);
  g_assert_cmpstr (clicks.orientation, ==, "vertical");

  /* a method the item does not have is an error, not a crash */
  reply = tray_test_call (fixture->client, mp_tray_item_get_bus_name (item), "/StatusNotifierItem",
                          SNI_INTERFACE, "Explode", NULL, NULL, &error);
  g_assert_null (reply);
  g_assert_nonnull (error);

  g_free (clicks.orientation);
}

static void
failed_cb (MpTrayItem   *item,
           const GError *error,
           int          *failures)
{
  g_assert_nonnull (error);
  (*failures)++;
}

static void
test_refused (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTrayItem) item = NULL;
  TrayTestWatcher *watcher = tray_test_watcher_start ("--refuse");
  int failures = 0;

  item = mp_tray_item_new (fixture->connection, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (item, "registration-failed", G_CALLBACK (failed_cb), &failures);
  mp_test_wait_until (counter_positive, &failures, TRAY_TEST_GUARD_MSEC, "registration-failed");
  g_assert_false (mp_tray_item_get_registered (item));

  tray_test_watcher_stop (watcher, FALSE);
}

static gboolean
tray_backend_is_none (gpointer user_data)
{
  return mp_tray_get_backend (user_data) == MP_TRAY_BACKEND_NONE;
}

static gboolean
tray_backend_is_sni (gpointer user_data)
{
  return mp_tray_get_backend (user_data) == MP_TRAY_BACKEND_SNI;
}

static void
test_tray_chooses_sni (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTray) tray = NULL;
  TrayTestWatcher *watcher = tray_test_watcher_start (NULL);
  MpTrayItem *item;
  Clicks clicks = { 0 };

  mp_tray_new_async (fixture->connection, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  tray = mp_tray_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (mp_tray_get_ready (tray));
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_SNI);
  g_assert_true (mp_tray_get_available (tray));
  g_assert_null (mp_tray_get_fallback (tray));

  /* the setters reach the item */
  item = mp_tray_get_item (tray);
  mp_tray_set_status (tray, MP_TRAY_STATUS_ACTIVE);
  mp_tray_set_icon_name (tray, "mailpeek-mail");
  mp_tray_set_tooltip (tray, "Mailpeek", "a &amp; b");
  g_assert_cmpint (mp_tray_item_get_status (item), ==, MP_TRAY_STATUS_ACTIVE);
  g_assert_cmpstr (mp_tray_item_get_icon_name (item), ==, "mailpeek-mail");
  g_assert_cmpstr (mp_tray_item_get_tooltip_body (item), ==, "a &amp; b");

  /* and the item's clicks reach the tray's signal */
  g_signal_connect (tray, "activate", G_CALLBACK (activate_cb), &clicks);
  call_item (fixture, item, "Activate", g_variant_new ("(ii)", 5, 6));
  mp_test_wait_until (counter_positive, &clicks.activated, TRAY_TEST_GUARD_MSEC, "MpTray::activate");
  g_assert_cmpint (clicks.x, ==, 5);

  /* no watcher and no display: no tray at all */
  tray_test_watcher_stop (watcher, FALSE);
  mp_test_wait_until (tray_backend_is_none, tray, TRAY_TEST_GUARD_MSEC, "the backend becoming none");
  g_assert_false (mp_tray_get_available (tray));

  /* a watcher coming later is used */
  watcher = tray_test_watcher_start (NULL);
  mp_test_wait_until (tray_backend_is_sni, tray, TRAY_TEST_GUARD_MSEC, "the backend becoming SNI again");
  g_assert_true (mp_tray_get_available (tray));

  tray_test_watcher_stop (watcher, FALSE);
}

static void
test_tray_without_watcher (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpTray) tray = NULL;
  g_autoptr(MpTray) busless = NULL;

  mp_tray_new_async (fixture->connection, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, TRAY_TEST_GUARD_MSEC / 1000);
  tray = mp_tray_new_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (mp_tray_get_ready (tray));
  g_assert_cmpint (mp_tray_get_backend (tray), ==, MP_TRAY_BACKEND_NONE);
  g_assert_false (mp_tray_get_available (tray));

  /* no session bus at all: ready at once, nothing to show */
  busless = mp_tray_new (NULL);
  g_assert_true (mp_tray_get_ready (busless));
  g_assert_false (mp_tray_get_available (busless));
  g_assert_null (mp_tray_get_item (busless));
  mp_tray_set_status (busless, MP_TRAY_STATUS_ACTIVE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTestDBus) bus = NULL;
  int rc;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* a display would let MpTray pick XEmbed; that is test-tray-fallback's */
  g_unsetenv ("DISPLAY");
  g_unsetenv ("WAYLAND_DISPLAY");

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  g_test_add ("/tray/item/register-properties-signals", Fixture, NULL,
              fixture_setup, test_register_properties_signals, fixture_teardown);
  g_test_add ("/tray/item/reregister", Fixture, NULL,
              fixture_setup, test_reregister, fixture_teardown);
  g_test_add ("/tray/item/methods", Fixture, NULL,
              fixture_setup, test_methods, fixture_teardown);
  g_test_add ("/tray/item/refused", Fixture, NULL,
              fixture_setup, test_refused, fixture_teardown);
  g_test_add ("/tray/tray/chooses-sni", Fixture, NULL,
              fixture_setup, test_tray_chooses_sni, fixture_teardown);
  g_test_add ("/tray/tray/without-watcher", Fixture, NULL,
              fixture_setup, test_tray_without_watcher, fixture_teardown);

  rc = g_test_run ();
  g_test_dbus_down (bus);

  return rc;
}
