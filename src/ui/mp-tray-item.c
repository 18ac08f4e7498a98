/* mp-tray-item.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * org.kde.StatusNotifierItem spoken directly over GDBus (hand-written
 * vtable), not through libayatana-appindicator, which never receives a
 * left click and has no tooltip.  The item knows nothing about mail: it is
 * given a status, icon names, a title, a tooltip and a menu, and turns the
 * host's clicks into GObject signals.
 *
 * Lifecycle: own org.kde.StatusNotifierItem-PID-N, export the item at
 * /StatusNotifierItem and the menu at /MenuBar, then register with
 * org.kde.StatusNotifierWatcher every time a watcher appears, since a
 * watcher that restarts (a panel crash, a shell reload) has forgotten us.
 */

#define G_LOG_DOMAIN "mp-tray-item"

#include "config.h"

#include <unistd.h>

#include "mp-dbusmenu.h"
#include "mp-tray-item.h"
#include "mp-ui-util.h"

#define SNI_INTERFACE      "org.kde.StatusNotifierItem"
#define WATCHER_BUS_NAME   "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH       "/StatusNotifierWatcher"
#define WATCHER_INTERFACE  "org.kde.StatusNotifierWatcher"

struct _MpTrayItem
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *id;
  char            *bus_name;
  guint            registration_id;
  guint            owner_id;
  guint            watcher_id;
  GCancellable    *register_cancellable;
  MpDbusmenu      *menu;

  gboolean         registered;
  MpTrayStatus     status;
  char            *title;
  char            *icon_name;
  char            *attention_icon_name;
  char            *icon_theme_path;
  char            *tooltip_title;
  char            *tooltip_body;
  char            *activation_token;
};

static void mp_tray_item_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpTrayItem, mp_tray_item, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      mp_tray_item_initable_iface_init))

G_DEFINE_ENUM_TYPE (MpTrayStatus, mp_tray_status,
  G_DEFINE_ENUM_VALUE (MP_TRAY_STATUS_PASSIVE, "passive"),
  G_DEFINE_ENUM_VALUE (MP_TRAY_STATUS_ACTIVE, "active"),
  G_DEFINE_ENUM_VALUE (MP_TRAY_STATUS_NEEDS_ATTENTION, "needs-attention"))

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_ID,
  PROP_BUS_NAME,
  PROP_REGISTERED,
  PROP_TITLE,
  PROP_STATUS,
  PROP_ICON_NAME,
  PROP_ATTENTION_ICON_NAME,
  PROP_ICON_THEME_PATH,
  PROP_TOOLTIP_TITLE,
  PROP_TOOLTIP_BODY,
  N_PROPS
};

enum {
  SIGNAL_ACTIVATE,
  SIGNAL_SECONDARY_ACTIVATE,
  SIGNAL_CONTEXT_MENU,
  SIGNAL_SCROLL,
  SIGNAL_REGISTRATION_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char introspection_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierItem'>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconThemePath' type='s' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='OverlayIconName' type='s' access='read'/>"
  "  <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='AttentionIconName' type='s' access='read'/>"
  "  <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='AttentionMovieName' type='s' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <method name='ContextMenu'>"
  "   <arg type='i' name='x' direction='in'/>"
  "   <arg type='i' name='y' direction='in'/>"
  "  </method>"
  "  <method name='Activate'>"
  "   <arg type='i' name='x' direction='in'/>"
  "   <arg type='i' name='y' direction='in'/>"
  "  </method>"
  "  <method name='SecondaryActivate'>"
  "   <arg type='i' name='x' direction='in'/>"
  "   <arg type='i' name='y' direction='in'/>"
  "  </method>"
  "  <method name='Scroll'>"
  "   <arg type='i' name='delta' direction='in'/>"
  "   <arg type='s' name='orientation' direction='in'/>"
  "  </method>"
  "  <method name='ProvideXdgActivationToken'>"
  "   <arg type='s' name='token' direction='in'/>"
  "  </method>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewAttentionIcon'/>"
  "  <signal name='NewOverlayIcon'/>"
  "  <signal name='NewMenu'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'>"
  "   <arg type='s' name='status'/>"
  "  </signal>"
  "  <signal name='NewIconThemePath'>"
  "   <arg type='s' name='icon_theme_path'/>"
  "  </signal>"
  " </interface>"
  "</node>";

static GDBusInterfaceInfo *
sni_interface_info (void)
{
  static gsize info;

  return mp_dbus_interface_info_once (&info, introspection_xml);
}

static const char *
status_to_string (MpTrayStatus status)
{
  switch (status)
    {
    case MP_TRAY_STATUS_ACTIVE:
      return "Active";
    case MP_TRAY_STATUS_NEEDS_ATTENTION:
      return "NeedsAttention";
    case MP_TRAY_STATUS_PASSIVE:
    default:
      return "Passive";
    }
}

static void
emit_sni_signal (MpTrayItem *self,
                 const char *name,
                 GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;

  if (self->registration_id == 0)
    {
      if (parameters != NULL)
        g_variant_unref (g_variant_ref_sink (parameters));
      return;
    }

  if (!g_dbus_connection_emit_signal (self->connection, NULL, MP_TRAY_ITEM_OBJECT_PATH,
                                      SNI_INTERFACE, name, parameters, &error))
    g_debug ("Could not emit %s: %s", name, error->message);
}

static void
set_registered (MpTrayItem *self,
                gboolean    registered)
{
  if (self->registered == registered)
    return;

  self->registered = registered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REGISTERED]);
}

static void
register_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  MpTrayItem *self;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* not cancelled, so not disposed: the cancellable is cancelled first */
  self = MP_TRAY_ITEM (user_data);
  g_clear_object (&self->register_cancellable);

  if (error != NULL)
    {
      g_debug ("The StatusNotifierWatcher refused %s: %s", self->bus_name, error->message);
      set_registered (self, FALSE);
      g_signal_emit (self, signals[SIGNAL_REGISTRATION_FAILED], 0, error);
      return;
    }

  g_debug ("Registered %s with the StatusNotifierWatcher", self->bus_name);
  set_registered (self, TRUE);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  MpTrayItem *self = user_data;

  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  self->register_cancellable = g_cancellable_new ();

  /* The bus name, not the path: the watcher then finds the item at the
   * spec's /StatusNotifierItem, and every watcher accepts that form. */
  g_dbus_connection_call (connection, WATCHER_BUS_NAME, WATCHER_PATH, WATCHER_INTERFACE,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", self->bus_name),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          self->register_cancellable, register_cb, self);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  MpTrayItem *self = user_data;

  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  set_registered (self, FALSE);
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  MpTrayItem *self = user_data;

  /* Only now: a watcher told about a name nobody owns yet drops it. */
  if (self->watcher_id == 0)
    self->watcher_id = g_bus_watch_name_on_connection (connection, WATCHER_BUS_NAME,
                                                       G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                       watcher_appeared_cb,
                                                       watcher_vanished_cb,
                                                       self, NULL);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  MpTrayItem *self = user_data;

  g_debug ("Lost (or never got) the bus name %s", name);
  g_clear_handle_id (&self->watcher_id, g_bus_unwatch_name);
  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  set_registered (self, FALSE);
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  g_autoptr(MpTrayItem) self = g_object_ref (MP_TRAY_ITEM (user_data));
  gint32 x = 0, y = 0;

  /* Answer before emitting: a handler may present a window or run a
   * dialog, and the host must not wait for that. */
  if (g_str_equal (method_name, "Activate"))
    {
      g_variant_get (parameters, "(ii)", &x, &y);
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0, x, y);
    }
  else if (g_str_equal (method_name, "SecondaryActivate"))
    {
      g_variant_get (parameters, "(ii)", &x, &y);
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_signal_emit (self, signals[SIGNAL_SECONDARY_ACTIVATE], 0, x, y);
    }
  else if (g_str_equal (method_name, "ContextMenu"))
    {
      g_variant_get (parameters, "(ii)", &x, &y);
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_signal_emit (self, signals[SIGNAL_CONTEXT_MENU], 0, x, y);
    }
  else if (g_str_equal (method_name, "Scroll"))
    {
      const char *orientation;
      gint32 delta;

      g_variant_get (parameters, "(i&s)", &delta, &orientation);
      g_dbus_method_invocation_return_value (invocation, NULL);
      g_signal_emit (self, signals[SIGNAL_SCROLL], 0, delta, orientation);
    }
  else if (g_str_equal (method_name, "ProvideXdgActivationToken"))
    {
      /* Hosts send it just before Activate; whoever presents the window
       * takes it then (Wayland gives focus only with a token). */
      g_free (self->activation_token);
      g_variant_get (parameters, "(s)", &self->activation_token);
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "Unknown method %s", method_name);
    }
}

static GVariant *
empty_pixmaps (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
}

static GVariant *
tooltip_variant (MpTrayItem *self)
{
  return g_variant_new ("(s@a(iiay)ss)",
                        self->icon_name != NULL ? self->icon_name : "",
                        empty_pixmaps (),
                        self->tooltip_title != NULL ? self->tooltip_title : "",
                        self->tooltip_body != NULL ? self->tooltip_body : "");
}

#define STR_OR_EMPTY(s) ((s) != NULL ? (s) : "")

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  MpTrayItem *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("Communications");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (self->id);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (STR_OR_EMPTY (self->title));
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string (status_to_string (self->status));
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_string (STR_OR_EMPTY (self->icon_theme_path));
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (STR_OR_EMPTY (self->icon_name));
  if (g_str_equal (property_name, "AttentionIconName"))
    return g_variant_new_string (STR_OR_EMPTY (self->attention_icon_name));
  if (g_str_equal (property_name, "OverlayIconName") ||
      g_str_equal (property_name, "AttentionMovieName"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "IconPixmap") ||
      g_str_equal (property_name, "OverlayIconPixmap") ||
      g_str_equal (property_name, "AttentionIconPixmap"))
    return empty_pixmaps ();
  if (g_str_equal (property_name, "ToolTip"))
    return tooltip_variant (self);
  /* Explicitly false: XFCE and waybar take a missing ItemIsMenu for true
   * and then never send Activate. */
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (MP_TRAY_ITEM_MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "Unknown property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable sni_vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
  { 0 },
};

static gboolean
replace_string (char       **slot,
                const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;

  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

void
mp_tray_item_set_title (MpTrayItem *self,
                        const char *title)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  if (!replace_string (&self->title, title))
    return;
  emit_sni_signal (self, "NewTitle", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
mp_tray_item_get_title (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->title;
}

void
mp_tray_item_set_status (MpTrayItem   *self,
                         MpTrayStatus  status)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  if (self->status == status)
    return;
  self->status = status;
  emit_sni_signal (self, "NewStatus", g_variant_new ("(s)", status_to_string (status)));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

MpTrayStatus
mp_tray_item_get_status (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), MP_TRAY_STATUS_PASSIVE);

  return self->status;
}

void
mp_tray_item_set_icon_name (MpTrayItem *self,
                            const char *icon_name)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  if (!replace_string (&self->icon_name, icon_name))
    return;
  emit_sni_signal (self, "NewIcon", NULL);
  /* the tooltip carries the icon name too */
  emit_sni_signal (self, "NewToolTip", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
}

const char *
mp_tray_item_get_icon_name (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->icon_name;
}

void
mp_tray_item_set_attention_icon_name (MpTrayItem *self,
                                      const char *icon_name)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  if (!replace_string (&self->attention_icon_name, icon_name))
    return;
  emit_sni_signal (self, "NewAttentionIcon", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTENTION_ICON_NAME]);
}

const char *
mp_tray_item_get_attention_icon_name (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->attention_icon_name;
}

/**
 * mp_tray_item_set_icon_theme_path:
 * @self: a #MpTrayItem
 * @path: (nullable): a folder holding `hicolor/…` with our icons, for an
 *   uninstalled build; %NULL when they are installed
 */
void
mp_tray_item_set_icon_theme_path (MpTrayItem *self,
                                  const char *path)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  if (!replace_string (&self->icon_theme_path, path))
    return;
  emit_sni_signal (self, "NewIconThemePath", g_variant_new ("(s)", STR_OR_EMPTY (path)));
  emit_sni_signal (self, "NewIcon", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_THEME_PATH]);
}

const char *
mp_tray_item_get_icon_theme_path (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->icon_theme_path;
}

/**
 * mp_tray_item_set_tooltip:
 * @self: a #MpTrayItem
 * @title: (nullable): plain text
 * @body_markup: (nullable): Pango-style markup, as the SNI spec says: the
 *   caller escapes every text it did not write (g_markup_escape_text())
 */
void
mp_tray_item_set_tooltip (MpTrayItem *self,
                          const char *title,
                          const char *body_markup)
{
  gboolean title_changed, body_changed;

  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  title_changed = replace_string (&self->tooltip_title, title);
  body_changed = replace_string (&self->tooltip_body, body_markup);
  if (!title_changed && !body_changed)
    return;

  emit_sni_signal (self, "NewToolTip", NULL);
  if (title_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOOLTIP_TITLE]);
  if (body_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOOLTIP_BODY]);
}

const char *
mp_tray_item_get_tooltip_title (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->tooltip_title;
}

const char *
mp_tray_item_get_tooltip_body (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->tooltip_body;
}

/**
 * mp_tray_item_set_menu:
 * @self: a #MpTrayItem
 * @model: (nullable): the menu
 * @action_namespace: (nullable): the prefix in @model's action names that
 *   @actions answers to ("app" for "app.quit")
 * @actions: (nullable): the actions behind the items
 *
 * Exports @model as com.canonical.dbusmenu at /MenuBar (see
 * mp_dbusmenu_set_menu()).
 */
void
mp_tray_item_set_menu (MpTrayItem   *self,
                       GMenuModel   *model,
                       const char   *action_namespace,
                       GActionGroup *actions)
{
  g_return_if_fail (MP_IS_TRAY_ITEM (self));

  mp_dbusmenu_set_menu (self->menu, model, action_namespace, actions);
}

/**
 * mp_tray_item_take_activation_token:
 * @self: a #MpTrayItem
 *
 * The XDG activation token the host gave with ProvideXdgActivationToken,
 * once: call it in an #MpTrayItem::activate handler and hand the token to
 * the window being presented (gtk_window_set_startup_id()).
 *
 * Returns: (transfer full) (nullable): the token, or %NULL if none came
 *   since the last call
 */
char *
mp_tray_item_take_activation_token (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return g_steal_pointer (&self->activation_token);
}

GDBusConnection *
mp_tray_item_get_connection (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->connection;
}

/**
 * mp_tray_item_get_bus_name:
 * @self: a #MpTrayItem
 *
 * Returns: the well-known name the item owns, org.kde.StatusNotifierItem-PID-N
 */
const char *
mp_tray_item_get_bus_name (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->bus_name;
}

const char *
mp_tray_item_get_id (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), NULL);

  return self->id;
}

/**
 * mp_tray_item_get_registered:
 * @self: a #MpTrayItem
 *
 * Returns: whether a StatusNotifierWatcher accepted the item and is still
 *   there
 */
gboolean
mp_tray_item_get_registered (MpTrayItem *self)
{
  g_return_val_if_fail (MP_IS_TRAY_ITEM (self), FALSE);

  return self->registered;
}

static gboolean
mp_tray_item_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  MpTrayItem *self = MP_TRAY_ITEM (initable);
  static gint counter;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (self->connection), FALSE);

  if (self->registration_id != 0)
    return TRUE;

  self->menu = mp_dbusmenu_new (self->connection, MP_TRAY_ITEM_MENU_PATH, error);
  if (self->menu == NULL)
    return FALSE;

  self->registration_id = g_dbus_connection_register_object (self->connection,
                                                             MP_TRAY_ITEM_OBJECT_PATH,
                                                             sni_interface_info (),
                                                             &sni_vtable, self, NULL, error);
  if (self->registration_id == 0)
    {
      g_clear_object (&self->menu);
      return FALSE;
    }

  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-%d",
                                    (int) getpid (), g_atomic_int_add (&counter, 1) + 1);
  self->owner_id = g_bus_own_name_on_connection (self->connection, self->bus_name,
                                                 G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                                 name_acquired_cb, name_lost_cb,
                                                 self, NULL);

  return TRUE;
}

static void
mp_tray_item_initable_iface_init (GInitableIface *iface)
{
  iface->init = mp_tray_item_initable_init;
}

static void
mp_tray_item_dispose (GObject *object)
{
  MpTrayItem *self = MP_TRAY_ITEM (object);

  g_cancellable_cancel (self->register_cancellable);
  g_clear_object (&self->register_cancellable);
  g_clear_handle_id (&self->watcher_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->owner_id, g_bus_unown_name);
  mp_dbus_clear_registration (self->connection, &self->registration_id);
  g_clear_object (&self->menu);
  g_clear_object (&self->connection);

  G_OBJECT_CLASS (mp_tray_item_parent_class)->dispose (object);
}

static void
mp_tray_item_finalize (GObject *object)
{
  MpTrayItem *self = MP_TRAY_ITEM (object);

  g_free (self->id);
  g_free (self->bus_name);
  g_free (self->title);
  g_free (self->icon_name);
  g_free (self->attention_icon_name);
  g_free (self->icon_theme_path);
  g_free (self->tooltip_title);
  g_free (self->tooltip_body);
  g_free (self->activation_token);

  G_OBJECT_CLASS (mp_tray_item_parent_class)->finalize (object);
}

static void
mp_tray_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MpTrayItem *self = MP_TRAY_ITEM (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_BUS_NAME:
      g_value_set_string (value, self->bus_name);
      break;
    case PROP_REGISTERED:
      g_value_set_boolean (value, self->registered);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, self->icon_name);
      break;
    case PROP_ATTENTION_ICON_NAME:
      g_value_set_string (value, self->attention_icon_name);
      break;
    case PROP_ICON_THEME_PATH:
      g_value_set_string (value, self->icon_theme_path);
      break;
    case PROP_TOOLTIP_TITLE:
      g_value_set_string (value, self->tooltip_title);
      break;
    case PROP_TOOLTIP_BODY:
      g_value_set_string (value, self->tooltip_body);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_tray_item_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MpTrayItem *self = MP_TRAY_ITEM (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_ID:
      self->id = g_value_dup_string (value);
      if (self->id == NULL)
        self->id = g_strdup (APP_ID);
      break;
    case PROP_TITLE:
      mp_tray_item_set_title (self, g_value_get_string (value));
      break;
    case PROP_STATUS:
      mp_tray_item_set_status (self, g_value_get_enum (value));
      break;
    case PROP_ICON_NAME:
      mp_tray_item_set_icon_name (self, g_value_get_string (value));
      break;
    case PROP_ATTENTION_ICON_NAME:
      mp_tray_item_set_attention_icon_name (self, g_value_get_string (value));
      break;
    case PROP_ICON_THEME_PATH:
      mp_tray_item_set_icon_theme_path (self, g_value_get_string (value));
      break;
    case PROP_TOOLTIP_TITLE:
      mp_tray_item_set_tooltip (self, g_value_get_string (value), self->tooltip_body);
      break;
    case PROP_TOOLTIP_BODY:
      mp_tray_item_set_tooltip (self, self->tooltip_title, g_value_get_string (value));
      break;
    case PROP_BUS_NAME:
    case PROP_REGISTERED:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_tray_item_class_init (MpTrayItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = mp_tray_item_dispose;
  object_class->finalize = mp_tray_item_finalize;
  object_class->get_property = mp_tray_item_get_property;
  object_class->set_property = mp_tray_item_set_property;

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, APP_ID,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUS_NAME] =
    g_param_spec_string ("bus-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REGISTERED] =
    g_param_spec_boolean ("registered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, rw);
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, MP_TYPE_TRAY_STATUS, MP_TRAY_STATUS_PASSIVE, rw);
  properties[PROP_ICON_NAME] = g_param_spec_string ("icon-name", NULL, NULL, NULL, rw);
  properties[PROP_ATTENTION_ICON_NAME] =
    g_param_spec_string ("attention-icon-name", NULL, NULL, NULL, rw);
  properties[PROP_ICON_THEME_PATH] = g_param_spec_string ("icon-theme-path", NULL, NULL, NULL, rw);
  properties[PROP_TOOLTIP_TITLE] = g_param_spec_string ("tooltip-title", NULL, NULL, NULL, rw);
  properties[PROP_TOOLTIP_BODY] = g_param_spec_string ("tooltip-body", NULL, NULL, NULL, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpTrayItem::activate:
   * @x: screen x of the click, as the host reports it (often 0)
   * @y: screen y
   *
   * A primary click on the icon.
   */
  signals[SIGNAL_ACTIVATE] =
    g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  /**
   * MpTrayItem::secondary-activate:
   * @x: screen x
   * @y: screen y
   *
   * A middle click on the icon.
   */
  signals[SIGNAL_SECONDARY_ACTIVATE] =
    g_signal_new ("secondary-activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  /**
   * MpTrayItem::context-menu:
   * @x: screen x
   * @y: screen y
   *
   * A host that does not speak dbusmenu asks the item to show its menu.
   */
  signals[SIGNAL_CONTEXT_MENU] =
    g_signal_new ("context-menu", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  /**
   * MpTrayItem::scroll:
   * @delta: the wheel steps
   * @orientation: "vertical" or "horizontal"
   */
  signals[SIGNAL_SCROLL] =
    g_signal_new ("scroll", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  /**
   * MpTrayItem::registration-failed:
   * @error: what the watcher answered
   *
   * A watcher is there but RegisterStatusNotifierItem failed.
   */
  signals[SIGNAL_REGISTRATION_FAILED] =
    g_signal_new ("registration-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
mp_tray_item_init (MpTrayItem *self)
{
  self->status = MP_TRAY_STATUS_PASSIVE;
}

/**
 * mp_tray_item_new:
 * @connection: the session bus (or a test's private bus)
 * @id: (nullable): the SNI Id, stable across runs; %NULL for the app id
 * @error: return location for an error
 *
 * Exports the item and its (empty) menu, takes a bus name and registers
 * with the StatusNotifierWatcher as soon as one is there; see
 * #MpTrayItem:registered.
 *
 * Returns: (transfer full): the item, or %NULL with @error set when its
 *   object paths are taken on @connection
 */
MpTrayItem *
mp_tray_item_new (GDBusConnection  *connection,
                  const char       *id,
                  GError          **error)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);

  return g_initable_new (MP_TYPE_TRAY_ITEM, NULL, error,
                         "connection", connection,
                         "id", id,
                         NULL);
}
