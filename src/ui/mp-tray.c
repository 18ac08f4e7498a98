/* mp-tray.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The tray as the app sees it: one setter API whatever shows it.  The
 * StatusNotifierItem is always exported (cheap, and a watcher may come
 * later); while no watcher accepts it and the display is X11, the XEmbed
 * GtkStatusIcon stands in.  #MpTray:available tells the app whether the
 * user can see an icon at all (else it presents its window and says so);
 * #MpTray:ready becomes TRUE once the first choice is made.
 */

#define G_LOG_DOMAIN "mp-tray"

#include "config.h"

#include <gtk/gtk.h>

#include "mp-tray-fallback.h"
#include "mp-tray.h"

#define WATCHER_BUS_NAME "org.kde.StatusNotifierWatcher"

/* A watcher that takes longer than this to answer the registration is
 * treated as absent until it does. */
#define REGISTER_GRACE_MSEC 3000

struct _MpTray
{
  GObject          parent_instance;

  GDBusConnection *connection;
  MpTrayItem      *item;
  MpTrayFallback  *fallback;
  guint            watcher_id;
  guint            grace_id;
  gboolean         fallback_tray_seen;

  gboolean         ready;
  MpTrayBackend    backend;

  MpTrayStatus     status;
  char            *icon_name;
  char            *attention_icon_name;
  char            *icon_theme_path;
  char            *title;
  char            *tooltip_title;
  char            *tooltip_body;
  GMenuModel      *model;
  char            *action_namespace;
  GActionGroup    *actions;
};

G_DEFINE_FINAL_TYPE (MpTray, mp_tray, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (MpTrayBackend, mp_tray_backend,
  G_DEFINE_ENUM_VALUE (MP_TRAY_BACKEND_NONE, "none"),
  G_DEFINE_ENUM_VALUE (MP_TRAY_BACKEND_SNI, "sni"),
  G_DEFINE_ENUM_VALUE (MP_TRAY_BACKEND_XEMBED, "xembed"))

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_READY,
  PROP_AVAILABLE,
  PROP_BACKEND,
  N_PROPS
};

enum {
  SIGNAL_ACTIVATE,
  SIGNAL_SECONDARY_ACTIVATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
set_backend (MpTray        *self,
             MpTrayBackend  backend)
{
  gboolean was_available = self->backend != MP_TRAY_BACKEND_NONE;
  gboolean was_ready = self->ready;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->backend != backend)
    {
      g_debug ("Tray backend: %d -> %d", self->backend, backend);
      self->backend = backend;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BACKEND]);
      if (was_available != (backend != MP_TRAY_BACKEND_NONE))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
    }
  self->ready = TRUE;
  if (!was_ready)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
  g_object_thaw_notify (G_OBJECT (self));
}

static const char *
effective_icon (MpTray *self)
{
  if (self->status == MP_TRAY_STATUS_NEEDS_ATTENTION && self->attention_icon_name != NULL)
    return self->attention_icon_name;
  return self->icon_name;
}

static void
fallback_activate_cb (MpTray *self,
                      int     x,
                      int     y)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0, x, y);
}

static void
fallback_secondary_activate_cb (MpTray *self,
                                int     x,
                                int     y)
{
  g_signal_emit (self, signals[SIGNAL_SECONDARY_ACTIVATE], 0, x, y);
}

static void
update_fallback_backend (MpTray *self)
{
  if (self->fallback == NULL)
    return;

  /* A tray manager that owns the selection embeds us within moments; one
   * that goes away (panel restart) leaves the icon waiting for the next. */
  if (mp_tray_fallback_is_embedded (self->fallback) || self->fallback_tray_seen)
    set_backend (self, MP_TRAY_BACKEND_XEMBED);
  else
    set_backend (self, MP_TRAY_BACKEND_NONE);
}

static void
fallback_embedded_cb (MpTray *self)
{
  /* once embedded, only the embedding counts */
  self->fallback_tray_seen = FALSE;
  update_fallback_backend (self);
}

static void
use_fallback (MpTray *self)
{
  GdkDisplay *display = gdk_display_get_default ();

  g_clear_handle_id (&self->grace_id, g_source_remove);

  if (!mp_tray_fallback_is_supported (display))
    {
      set_backend (self, MP_TRAY_BACKEND_NONE);
      return;
    }

  if (self->fallback == NULL)
    {
      self->fallback = mp_tray_fallback_new ();
      mp_tray_fallback_set_icon_theme_path (self->fallback, self->icon_theme_path);
      mp_tray_fallback_set_icon_name (self->fallback, effective_icon (self));
      mp_tray_fallback_set_title (self->fallback, self->title);
      mp_tray_fallback_set_tooltip (self->fallback, self->tooltip_title, self->tooltip_body);
      mp_tray_fallback_set_menu (self->fallback, self->model, self->action_namespace, self->actions);
      g_signal_connect_swapped (self->fallback, "activate", G_CALLBACK (fallback_activate_cb), self);
      g_signal_connect_swapped (self->fallback, "secondary-activate",
                                G_CALLBACK (fallback_secondary_activate_cb), self);
      g_signal_connect_swapped (self->fallback, "notify::embedded",
                                G_CALLBACK (fallback_embedded_cb), self);
    }
  self->fallback_tray_seen = mp_tray_fallback_tray_present (display);
  update_fallback_backend (self);
}

static void
drop_fallback (MpTray *self)
{
  if (self->fallback == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->fallback, self);
  g_clear_object (&self->fallback);
}

static void
use_sni (MpTray *self)
{
  g_clear_handle_id (&self->grace_id, g_source_remove);
  drop_fallback (self);
  set_backend (self, MP_TRAY_BACKEND_SNI);
}

static void
item_registered_cb (MpTray *self)
{
  if (mp_tray_item_get_registered (self->item))
    use_sni (self);
  else if (self->backend == MP_TRAY_BACKEND_SNI)
    use_fallback (self);
}

static void
item_registration_failed_cb (MpTray       *self,
                             const GError *error)
{
  g_message ("The tray (StatusNotifierWatcher) refused the icon: %s", error->message);
  use_fallback (self);
}

static gboolean
grace_cb (gpointer user_data)
{
  MpTray *self = user_data;

  self->grace_id = 0;
  if (self->backend != MP_TRAY_BACKEND_SNI)
    use_fallback (self);

  return G_SOURCE_REMOVE;
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  MpTray *self = user_data;

  /* The item registers by itself; wait for its answer, shown meanwhile
   * by whatever shows now. */
  if (mp_tray_item_get_registered (self->item))
    use_sni (self);
  else if (self->grace_id == 0)
    self->grace_id = g_timeout_add (REGISTER_GRACE_MSEC, grace_cb, self);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  use_fallback (user_data);
}

#define FORWARD(call) \
  G_STMT_START { if (self->item != NULL) { call; } } G_STMT_END

void
mp_tray_set_status (MpTray       *self,
                    MpTrayStatus  status)
{
  g_return_if_fail (MP_IS_TRAY (self));

  self->status = status;
  FORWARD (mp_tray_item_set_status (self->item, status));
  if (self->fallback != NULL)
    mp_tray_fallback_set_icon_name (self->fallback, effective_icon (self));
}

void
mp_tray_set_icon_name (MpTray     *self,
                       const char *icon_name)
{
  g_return_if_fail (MP_IS_TRAY (self));

  g_free (self->icon_name);
  self->icon_name = g_strdup (icon_name);
  FORWARD (mp_tray_item_set_icon_name (self->item, icon_name));
  if (self->fallback != NULL)
    mp_tray_fallback_set_icon_name (self->fallback, effective_icon (self));
}

void
mp_tray_set_attention_icon_name (MpTray     *self,
                                 const char *icon_name)
{
  g_return_if_fail (MP_IS_TRAY (self));

  g_free (self->attention_icon_name);
  self->attention_icon_name = g_strdup (icon_name);
  FORWARD (mp_tray_item_set_attention_icon_name (self->item, icon_name));
  if (self->fallback != NULL)
    mp_tray_fallback_set_icon_name (self->fallback, effective_icon (self));
}

/**
 * mp_tray_set_icon_theme_path:
 * @self: a #MpTray
 * @path: (nullable): the folder above `hicolor/` holding our icons when
 *   running uninstalled (the source tree's data/icons); %NULL installed
 */
void
mp_tray_set_icon_theme_path (MpTray     *self,
                             const char *path)
{
  g_return_if_fail (MP_IS_TRAY (self));

  g_free (self->icon_theme_path);
  self->icon_theme_path = g_strdup (path);
  FORWARD (mp_tray_item_set_icon_theme_path (self->item, path));
  if (self->fallback != NULL)
    mp_tray_fallback_set_icon_theme_path (self->fallback, path);
}

void
mp_tray_set_title (MpTray     *self,
                   const char *title)
{
  g_return_if_fail (MP_IS_TRAY (self));

  g_free (self->title);
  self->title = g_strdup (title);
  FORWARD (mp_tray_item_set_title (self->item, title));
  if (self->fallback != NULL)
    mp_tray_fallback_set_title (self->fallback, title);
}

/**
 * mp_tray_set_tooltip:
 * @self: a #MpTray
 * @title: (nullable): plain text (the SNI tooltip title; bold in XEmbed)
 * @body_markup: (nullable): markup; escape every account name and server
 *   text with g_markup_escape_text(), some hosts render it unescaped
 */
void
mp_tray_set_tooltip (MpTray     *self,
                     const char *title,
                     const char *body_markup)
{
  g_return_if_fail (MP_IS_TRAY (self));

  g_free (self->tooltip_title);
  self->tooltip_title = g_strdup (title);
  g_free (self->tooltip_body);
  self->tooltip_body = g_strdup (body_markup);
  FORWARD (mp_tray_item_set_tooltip (self->item, title, body_markup));
  if (self->fallback != NULL)
    mp_tray_fallback_set_tooltip (self->fallback, title, body_markup);
}

/**
 * mp_tray_set_menu:
 * @self: a #MpTray
 * @model: (nullable): the menu
 * @action_namespace: the prefix of @model's action names that @actions
 *   answers to, e.g. "app" for "app.quit" with the GtkApplication
 * @actions: (nullable): the actions
 *
 * One model for every backend: exported over dbusmenu for SNI, given to
 * gtk_menu_new_from_model() for XEmbed.
 */
void
mp_tray_set_menu (MpTray       *self,
                  GMenuModel   *model,
                  const char   *action_namespace,
                  GActionGroup *actions)
{
  g_return_if_fail (MP_IS_TRAY (self));
  g_return_if_fail (action_namespace != NULL);

  g_set_object (&self->model, model);
  g_set_object (&self->actions, actions);
  g_free (self->action_namespace);
  self->action_namespace = g_strdup (action_namespace);
  FORWARD (mp_tray_item_set_menu (self->item, model, action_namespace, actions));
  if (self->fallback != NULL)
    mp_tray_fallback_set_menu (self->fallback, model, action_namespace, actions);
}

/**
 * mp_tray_take_activation_token:
 * @self: a #MpTray
 *
 * See mp_tray_item_take_activation_token(); %NULL with XEmbed.
 *
 * Returns: (transfer full) (nullable): the host's XDG activation token
 */
char *
mp_tray_take_activation_token (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), NULL);

  if (self->item == NULL)
    return NULL;
  return mp_tray_item_take_activation_token (self->item);
}

gboolean
mp_tray_get_ready (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), FALSE);

  return self->ready;
}

/**
 * mp_tray_get_available:
 * @self: a #MpTray
 *
 * Returns: whether the user can see a tray icon (meaningful once
 *   #MpTray:ready)
 */
gboolean
mp_tray_get_available (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), FALSE);

  return self->backend != MP_TRAY_BACKEND_NONE;
}

MpTrayBackend
mp_tray_get_backend (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), MP_TRAY_BACKEND_NONE);

  return self->backend;
}

/**
 * mp_tray_get_item:
 * @self: a #MpTray
 *
 * Returns: (transfer none) (nullable): the StatusNotifierItem, %NULL
 *   without a bus
 */
MpTrayItem *
mp_tray_get_item (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), NULL);

  return self->item;
}

/**
 * mp_tray_get_fallback:
 * @self: a #MpTray
 *
 * Returns: (transfer none) (nullable): the MpTrayFallback while XEmbed is
 *   in use or waited for
 */
GObject *
mp_tray_get_fallback (MpTray *self)
{
  g_return_val_if_fail (MP_IS_TRAY (self), NULL);

  return (GObject *) self->fallback;
}

static void
item_activate_cb (MpTray *self,
                  int     x,
                  int     y)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0, x, y);
}

static void
item_secondary_activate_cb (MpTray *self,
                            int     x,
                            int     y)
{
  g_signal_emit (self, signals[SIGNAL_SECONDARY_ACTIVATE], 0, x, y);
}

static void
mp_tray_constructed (GObject *object)
{
  MpTray *self = MP_TRAY (object);
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (mp_tray_parent_class)->constructed (object);

  if (self->connection != NULL)
    self->item = mp_tray_item_new (self->connection, NULL, &error);
  if (self->item == NULL)
    {
      if (error != NULL)
        g_warning ("No StatusNotifierItem: %s", error->message);
      use_fallback (self);
      return;
    }

  g_signal_connect_swapped (self->item, "notify::registered", G_CALLBACK (item_registered_cb), self);
  g_signal_connect_swapped (self->item, "registration-failed",
                            G_CALLBACK (item_registration_failed_cb), self);
  g_signal_connect_swapped (self->item, "activate", G_CALLBACK (item_activate_cb), self);
  g_signal_connect_swapped (self->item, "secondary-activate",
                            G_CALLBACK (item_secondary_activate_cb), self);
  self->watcher_id = g_bus_watch_name_on_connection (self->connection, WATCHER_BUS_NAME,
                                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                     watcher_appeared_cb, watcher_vanished_cb,
                                                     self, NULL);
}

static void
mp_tray_dispose (GObject *object)
{
  MpTray *self = MP_TRAY (object);

  g_clear_handle_id (&self->watcher_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->grace_id, g_source_remove);
  drop_fallback (self);
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_object (&self->item);
  g_clear_object (&self->connection);
  g_clear_object (&self->model);
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (mp_tray_parent_class)->dispose (object);
}

static void
mp_tray_finalize (GObject *object)
{
  MpTray *self = MP_TRAY (object);

  g_free (self->icon_name);
  g_free (self->attention_icon_name);
  g_free (self->icon_theme_path);
  g_free (self->title);
  g_free (self->tooltip_title);
  g_free (self->tooltip_body);
  g_free (self->action_namespace);

  G_OBJECT_CLASS (mp_tray_parent_class)->finalize (object);
}

static void
mp_tray_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  MpTray *self = MP_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    case PROP_AVAILABLE:
      g_value_set_boolean (value, mp_tray_get_available (self));
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_tray_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  MpTray *self = MP_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    case PROP_READY:
    case PROP_AVAILABLE:
    case PROP_BACKEND:
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_tray_class_init (MpTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = mp_tray_constructed;
  object_class->dispose = mp_tray_dispose;
  object_class->finalize = mp_tray_finalize;
  object_class->get_property = mp_tray_get_property;
  object_class->set_property = mp_tray_set_property;

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE, ro);
  properties[PROP_AVAILABLE] = g_param_spec_boolean ("available", NULL, NULL, FALSE, ro);
  properties[PROP_BACKEND] =
    g_param_spec_enum ("backend", NULL, NULL, MP_TYPE_TRAY_BACKEND, MP_TRAY_BACKEND_NONE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpTray::activate:
   * @x: screen x, 0 when the host does not say
   * @y: screen y
   *
   * A primary click on the icon (SNI Activate, or a left click in XEmbed).
   */
  signals[SIGNAL_ACTIVATE] =
    g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  /**
   * MpTray::secondary-activate:
   * @x: screen x
   * @y: screen y
   *
   * A middle click (SNI SecondaryActivate).
   */
  signals[SIGNAL_SECONDARY_ACTIVATE] =
    g_signal_new ("secondary-activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
mp_tray_init (MpTray *self)
{
  self->backend = MP_TRAY_BACKEND_NONE;
}

/**
 * mp_tray_new:
 * @connection: (nullable): the session bus; %NULL when there is none
 *
 * Starts looking for a tray at once; #MpTray:ready and
 * #MpTray:available tell what it found (mp_tray_new_async() waits for
 * that).
 *
 * Returns: (transfer full): the tray
 */
MpTray *
mp_tray_new (GDBusConnection *connection)
{
  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_new (MP_TYPE_TRAY, "connection", connection, NULL);
}

static void
ready_cb (MpTray     *self,
          GParamSpec *pspec,
          GTask      *task)
{
  if (!self->ready)
    return;
  g_signal_handlers_disconnect_by_data (self, task);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
  g_object_unref (task);
}

/**
 * mp_tray_new_async:
 * @connection: (nullable): the session bus
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the tray has made its first choice
 * @user_data: for @callback
 *
 * Like mp_tray_new(), and completes when #MpTray:ready: at once without
 * a watcher, or when the watcher answered the registration (within a few
 * seconds in any case).  @cancellable only stops the wait from being
 * reported as a success; the choice itself takes no network.
 */
void
mp_tray_new_async (GDBusConnection     *connection,
                   GCancellable        *cancellable,
                   GAsyncReadyCallback  callback,
                   gpointer             user_data)
{
  g_autoptr(MpTray) self = mp_tray_new (connection);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mp_tray_new_async);
  if (self->ready)
    {
      g_task_return_pointer (task, g_object_ref (self), g_object_unref);
      g_object_unref (task);
      return;
    }
  g_signal_connect (self, "notify::ready", G_CALLBACK (ready_cb), task);
}

/**
 * mp_tray_new_finish:
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer full): the tray, ready
 */
MpTray *
mp_tray_new_finish (GAsyncResult  *result,
                    GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mp_tray_new_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
