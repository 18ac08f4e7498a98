/* mp-tray-fallback.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The XEmbed tray icon (GtkStatusIcon), for X11 panels with a system tray
 * but no StatusNotifierWatcher (older XFCE, MATE, LXDE, i3bar, trayer).
 * GtkStatusIcon is deprecated, so it is used in this file only, with the
 * deprecation warnings silenced here and nowhere else; the rest of the
 * applet talks to MpTray, which picks this only when SNI is not there.
 */

#define G_LOG_DOMAIN "mp-tray-fallback"

#include "config.h"

#include "mp-tray-fallback.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif

struct _MpTrayFallback
{
  GObject        parent_instance;

  GtkStatusIcon *icon;
  GtkWidget     *menu;
  GMenuModel    *model;
  char          *action_namespace;
  GActionGroup  *actions;
  char          *icon_theme_path;
  gboolean       embedded;
};

G_DEFINE_FINAL_TYPE (MpTrayFallback, mp_tray_fallback, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EMBEDDED,
  N_PROPS
};

enum {
  SIGNAL_ACTIVATE,
  SIGNAL_SECONDARY_ACTIVATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/**
 * mp_tray_fallback_is_supported:
 * @display: (nullable): a display
 *
 * Returns: whether @display can have an XEmbed tray at all (X11)
 */
gboolean
mp_tray_fallback_is_supported (GdkDisplay *display)
{
#ifdef GDK_WINDOWING_X11
  return display != NULL && GDK_IS_X11_DISPLAY (display);
#else
  return FALSE;
#endif
}

/**
 * mp_tray_fallback_tray_present:
 * @display: (nullable): a display
 *
 * Whether a system tray manager owns the _NET_SYSTEM_TRAY_Sn selection of
 * @display's default screen right now (the XEmbed tray spec's test).
 *
 * Returns: %TRUE if an icon would be embedded
 */
gboolean
mp_tray_fallback_tray_present (GdkDisplay *display)
{
#ifdef GDK_WINDOWING_X11
  g_autofree char *selection = NULL;
  Display *xdisplay;
  Atom atom;

  if (!mp_tray_fallback_is_supported (display))
    return FALSE;

  xdisplay = GDK_DISPLAY_XDISPLAY (display);
  selection = g_strdup_printf ("_NET_SYSTEM_TRAY_S%d", XDefaultScreen (xdisplay));
  atom = XInternAtom (xdisplay, selection, False);
  return XGetSelectionOwner (xdisplay, atom) != None;
#else
  return FALSE;
#endif
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS

static void
embedded_changed_cb (MpTrayFallback *self)
{
  gboolean embedded = gtk_status_icon_is_embedded (self->icon);

  if (embedded == self->embedded)
    return;
  self->embedded = embedded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMBEDDED]);
}

static void
activate_cb (MpTrayFallback *self)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE], 0, 0, 0);
}

static gboolean
button_press_cb (GtkStatusIcon  *icon,
                 GdkEventButton *event,
                 MpTrayFallback *self)
{
  if (event->type != GDK_BUTTON_PRESS || event->button != GDK_BUTTON_MIDDLE)
    return GDK_EVENT_PROPAGATE;

  g_signal_emit (self, signals[SIGNAL_SECONDARY_ACTIVATE], 0,
                 (int) event->x_root, (int) event->y_root);
  return GDK_EVENT_STOP;
}

static void
ensure_menu (MpTrayFallback *self)
{
  if (self->menu != NULL || self->model == NULL)
    return;

  /* The same GMenuModel the dbusmenu exports; GTK follows its changes and
   * the actions' states itself. */
  self->menu = g_object_ref_sink (gtk_menu_new_from_model (self->model));
  if (self->actions != NULL && self->action_namespace != NULL)
    gtk_widget_insert_action_group (self->menu, self->action_namespace, self->actions);
}

static void
popup_menu_cb (GtkStatusIcon  *icon,
               guint           button,
               guint           activate_time,
               MpTrayFallback *self)
{
  ensure_menu (self);
  if (self->menu == NULL)
    return;

  /* the current event is the click, which is where the menu belongs */
  gtk_menu_popup_at_pointer (GTK_MENU (self->menu), NULL);
}

static void
destroy_menu (MpTrayFallback *self)
{
  if (self->menu == NULL)
    return;
  gtk_widget_destroy (self->menu);
  g_clear_object (&self->menu);
}

gboolean
mp_tray_fallback_is_embedded (MpTrayFallback *self)
{
  g_return_val_if_fail (MP_IS_TRAY_FALLBACK (self), FALSE);

  return gtk_status_icon_is_embedded (self->icon);
}

/**
 * mp_tray_fallback_get_status_icon:
 * @self: a #MpTrayFallback
 *
 * For tests: the GtkStatusIcon (as a GObject, so that callers need not
 * use the deprecated type).
 *
 * Returns: (transfer none): the icon
 */
GObject *
mp_tray_fallback_get_status_icon (MpTrayFallback *self)
{
  g_return_val_if_fail (MP_IS_TRAY_FALLBACK (self), NULL);

  return G_OBJECT (self->icon);
}

void
mp_tray_fallback_set_icon_name (MpTrayFallback *self,
                                const char     *icon_name)
{
  g_return_if_fail (MP_IS_TRAY_FALLBACK (self));

  /* never blank: an empty slot in the tray is worse than the app icon */
  gtk_status_icon_set_from_icon_name (self->icon, icon_name != NULL ? icon_name : APP_ID);
}

/**
 * mp_tray_fallback_set_icon_theme_path:
 * @self: a #MpTrayFallback
 * @path: (nullable): a folder holding hicolor/… for an uninstalled build
 *
 * Adds @path to the default icon theme's search path (once; a search path
 * cannot be taken back without resetting everyone's).
 */
void
mp_tray_fallback_set_icon_theme_path (MpTrayFallback *self,
                                      const char     *path)
{
  g_return_if_fail (MP_IS_TRAY_FALLBACK (self));

  if (path == NULL || path[0] == '\0' || g_strcmp0 (path, self->icon_theme_path) == 0)
    return;

  g_free (self->icon_theme_path);
  self->icon_theme_path = g_strdup (path);
  gtk_icon_theme_append_search_path (gtk_icon_theme_get_default (), path);
}

void
mp_tray_fallback_set_title (MpTrayFallback *self,
                            const char     *title)
{
  g_return_if_fail (MP_IS_TRAY_FALLBACK (self));

  /* what screen readers and some trays call the icon */
  gtk_status_icon_set_title (self->icon, title != NULL ? title : "");
}

/**
 * mp_tray_fallback_set_tooltip:
 * @self: a #MpTrayFallback
 * @title: (nullable): plain text, shown in bold
 * @body_markup: (nullable): markup, already escaped by the caller
 */
void
mp_tray_fallback_set_tooltip (MpTrayFallback *self,
                              const char     *title,
                              const char     *body_markup)
{
  g_autoptr(GString) markup = g_string_new (NULL);

  g_return_if_fail (MP_IS_TRAY_FALLBACK (self));

  if (title != NULL && title[0] != '\0')
    {
      g_autofree char *escaped = g_markup_escape_text (title, -1);

      g_string_append_printf (markup, "<b>%s</b>", escaped);
    }
  if (body_markup != NULL && body_markup[0] != '\0')
    {
      if (markup->len > 0)
        g_string_append_c (markup, '\n');
      g_string_append (markup, body_markup);
    }

  gtk_status_icon_set_tooltip_markup (self->icon, markup->len > 0 ? markup->str : NULL);
}

/**
 * mp_tray_fallback_set_menu:
 * @self: a #MpTrayFallback
 * @model: (nullable): the menu shown on a right click
 * @action_namespace: (nullable): the prefix @model's actions use
 * @actions: (nullable): inserted into the menu under @action_namespace
 */
void
mp_tray_fallback_set_menu (MpTrayFallback *self,
                           GMenuModel     *model,
                           const char     *action_namespace,
                           GActionGroup   *actions)
{
  g_return_if_fail (MP_IS_TRAY_FALLBACK (self));

  destroy_menu (self);
  g_set_object (&self->model, model);
  g_set_object (&self->actions, actions);
  g_free (self->action_namespace);
  self->action_namespace = g_strdup (action_namespace);
}

static void
mp_tray_fallback_dispose (GObject *object)
{
  MpTrayFallback *self = MP_TRAY_FALLBACK (object);

  destroy_menu (self);
  if (self->icon != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->icon, self);
      /* takes it out of the tray at once */
      gtk_status_icon_set_visible (self->icon, FALSE);
      g_clear_object (&self->icon);
    }
  g_clear_object (&self->model);
  g_clear_object (&self->actions);

  G_OBJECT_CLASS (mp_tray_fallback_parent_class)->dispose (object);
}

static void
mp_tray_fallback_init (MpTrayFallback *self)
{
  self->icon = gtk_status_icon_new_from_icon_name (APP_ID);
  gtk_status_icon_set_name (self->icon, APP_ID);
  g_signal_connect_swapped (self->icon, "notify::embedded", G_CALLBACK (embedded_changed_cb), self);
  g_signal_connect_swapped (self->icon, "activate", G_CALLBACK (activate_cb), self);
  g_signal_connect (self->icon, "button-press-event", G_CALLBACK (button_press_cb), self);
  g_signal_connect (self->icon, "popup-menu", G_CALLBACK (popup_menu_cb), self);
}

G_GNUC_END_IGNORE_DEPRECATIONS

static void
mp_tray_fallback_finalize (GObject *object)
{
  MpTrayFallback *self = MP_TRAY_FALLBACK (object);

  g_free (self->action_namespace);
  g_free (self->icon_theme_path);

  G_OBJECT_CLASS (mp_tray_fallback_parent_class)->finalize (object);
}

static void
mp_tray_fallback_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MpTrayFallback *self = MP_TRAY_FALLBACK (object);

  switch (prop_id)
    {
    case PROP_EMBEDDED:
      g_value_set_boolean (value, self->embedded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_tray_fallback_class_init (MpTrayFallbackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_tray_fallback_dispose;
  object_class->finalize = mp_tray_fallback_finalize;
  object_class->get_property = mp_tray_fallback_get_property;

  properties[PROP_EMBEDDED] =
    g_param_spec_boolean ("embedded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ACTIVATE] =
    g_signal_new ("activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_SECONDARY_ACTIVATE] =
    g_signal_new ("secondary-activate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

/**
 * mp_tray_fallback_new:
 *
 * A visible XEmbed icon on the default display, embedded whenever a tray
 * manager is (or later comes) there; see #MpTrayFallback:embedded.
 *
 * Returns: (transfer full): the icon
 */
MpTrayFallback *
mp_tray_fallback_new (void)
{
  return g_object_new (MP_TYPE_TRAY_FALLBACK, NULL);
}
