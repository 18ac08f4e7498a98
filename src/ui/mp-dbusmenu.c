/* mp-dbusmenu.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * com.canonical.dbusmenu exported from a GMenuModel and a GActionGroup.
 *
 * Why hand-written rather than libdbusmenu-glib/-gtk3 from Debian:
 *
 *  - one GMenuModel is the single description of the tray menu: this
 *    exporter turns it into dbusmenu for the StatusNotifierItem, the XEmbed
 *    fallback hands the same model to gtk_menu_new_from_model(), and the
 *    window can use it as its menu.  libdbusmenu-gtk3 only parses GtkMenu
 *    widget trees and libdbusmenu-glib wants its own DbusmenuMenuitem tree,
 *    so either would need a GMenuModel converter anyway, plus a second
 *    copy of the menu to keep in sync with action state;
 *  - DbusmenuServer always exports on the session bus it looks up itself,
 *    while every D-Bus object of ours is handed its GDBusConnection so the
 *    tests can use a private bus;
 *  - the protocol part we need (GetLayout, GetGroupProperties, GetProperty,
 *    Event, AboutToShow, two signals) is a few hundred lines over GDBus.
 *
 * Item ids are never reused: after the model changes the tree is rebuilt
 * with fresh ids and LayoutUpdated is emitted, so an Event a host sends
 * for an item of the old layout matches nothing instead of the wrong item.
 */

#define G_LOG_DOMAIN "mp-dbusmenu"

#include "config.h"

#include <gtk/gtk.h>

#include "mp-dbusmenu.h"
#include "mp-ui-util.h"

typedef enum
{
  NODE_ROOT,
  NODE_ITEM,
  NODE_SUBMENU,
  NODE_SEPARATOR,
} NodeKind;

typedef struct
{
  gint32     id;
  NodeKind   kind;
  char      *label;
  char      *action;       /* without the namespace; NULL: none or foreign */
  gboolean   foreign;      /* an action outside our namespace: disabled */
  GVariant  *target;
  char      *icon_name;
  char      *hidden_when;
  GPtrArray *children;     /* Node *, owned by MpDbusmenu.nodes */
} Node;

struct _MpDbusmenu
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *object_path;
  guint            registration_id;

  GMenuModel      *model;
  char            *action_namespace;
  GActionGroup    *actions;
  GArray          *action_handlers;   /* gulong */

  GPtrArray       *watched_models;    /* GMenuModel *, parallel to: */
  GArray          *watched_handlers;  /* gulong */

  GHashTable      *nodes;             /* id -> Node * (owned) */
  Node            *root;
  gint32           next_id;
  guint            revision;
  guint            rebuild_idle_id;
};

G_DEFINE_FINAL_TYPE (MpDbusmenu, mp_dbusmenu, G_TYPE_OBJECT)

static const char introspection_xml[] =
  "<node>"
  " <interface name='com.canonical.dbusmenu'>"
  "  <property name='Version' type='u' access='read'/>"
  "  <property name='TextDirection' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='IconThemePath' type='as' access='read'/>"
  "  <method name='GetLayout'>"
  "   <arg type='i' name='parentId' direction='in'/>"
  "   <arg type='i' name='recursionDepth' direction='in'/>"
  "   <arg type='as' name='propertyNames' direction='in'/>"
  "   <arg type='u' name='revision' direction='out'/>"
  "   <arg type='(ia{sv}av)' name='layout' direction='out'/>"
  "  </method>"
  "  <method name='GetGroupProperties'>"
  "   <arg type='ai' name='ids' direction='in'/>"
  "   <arg type='as' name='propertyNames' direction='in'/>"
  "   <arg type='a(ia{sv})' name='properties' direction='out'/>"
  "  </method>"
  "  <method name='GetProperty'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='s' name='name' direction='in'/>"
  "   <arg type='v' name='value' direction='out'/>"
  "  </method>"
  "  <method name='Event'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='s' name='eventId' direction='in'/>"
  "   <arg type='v' name='data' direction='in'/>"
  "   <arg type='u' name='timestamp' direction='in'/>"
  "  </method>"
  "  <method name='EventGroup'>"
  "   <arg type='a(isvu)' name='events' direction='in'/>"
  "   <arg type='ai' name='idErrors' direction='out'/>"
  "  </method>"
  "  <method name='AboutToShow'>"
  "   <arg type='i' name='id' direction='in'/>"
  "   <arg type='b' name='needUpdate' direction='out'/>"
  "  </method>"
  "  <method name='AboutToShowGroup'>"
  "   <arg type='ai' name='ids' direction='in'/>"
  "   <arg type='ai' name='updatesNeeded' direction='out'/>"
  "   <arg type='ai' name='idErrors' direction='out'/>"
  "  </method>"
  "  <signal name='ItemsPropertiesUpdated'>"
  "   <arg type='a(ia{sv})' name='updatedProps'/>"
  "   <arg type='a(ias)' name='removedProps'/>"
  "  </signal>"
  "  <signal name='LayoutUpdated'>"
  "   <arg type='u' name='revision'/>"
  "   <arg type='i' name='parent'/>"
  "  </signal>"
  "  <signal name='ItemActivationRequested'>"
  "   <arg type='i' name='id'/>"
  "   <arg type='u' name='timestamp'/>"
  "  </signal>"
  " </interface>"
  "</node>";

#define DBUSMENU_INTERFACE "com.canonical.dbusmenu"

static GDBusInterfaceInfo *
dbusmenu_interface_info (void)
{
  static gsize info;

  return mp_dbus_interface_info_once (&info, introspection_xml);
}

/**
 * mp_dbusmenu_label_from_gtk:
 * @label: a GMenuModel label, in GTK's mnemonic syntax
 *
 * GTK and dbusmenu both mark a mnemonic with `_` and a literal underscore
 * with `__`, but GTK underlines every `_x` while dbusmenu hosts take one
 * mnemonic only and some show the later underscores as text.  Keeps the
 * first mnemonic, drops the others, and keeps a trailing lone `_` as a
 * literal underscore.
 *
 * Returns: (transfer full): the dbusmenu label
 */
char *
mp_dbusmenu_label_from_gtk (const char *label)
{
  GString *out;
  gboolean have_mnemonic = FALSE;

  g_return_val_if_fail (label != NULL, NULL);

  out = g_string_sized_new (strlen (label) + 2);
  for (const char *p = label; *p != '\0'; p++)
    {
      if (*p != '_')
        {
          g_string_append_c (out, *p);
          continue;
        }

      if (p[1] == '_' || p[1] == '\0')
        {
          g_string_append (out, "__");
          if (p[1] == '_')
            p++;
          continue;
        }

      if (!have_mnemonic)
        {
          g_string_append_c (out, '_');
          have_mnemonic = TRUE;
        }
    }

  return g_string_free (out, FALSE);
}

static void
node_free (gpointer data)
{
  Node *node = data;

  g_free (node->label);
  g_free (node->action);
  g_clear_pointer (&node->target, g_variant_unref);
  g_free (node->icon_name);
  g_free (node->hidden_when);
  g_clear_pointer (&node->children, g_ptr_array_unref);
  g_free (node);
}

static Node *
node_new (MpDbusmenu *self,
          NodeKind    kind)
{
  Node *node = g_new0 (Node, 1);

  node->kind = kind;
  node->id = kind == NODE_ROOT ? 0 : self->next_id++;
  node->children = g_ptr_array_new ();
  g_hash_table_insert (self->nodes, GINT_TO_POINTER (node->id), node);

  return node;
}

static void rebuild (MpDbusmenu *self);

static gboolean
rebuild_idle_cb (gpointer user_data)
{
  MpDbusmenu *self = user_data;

  self->rebuild_idle_id = 0;
  rebuild (self);

  return G_SOURCE_REMOVE;
}

static void
model_items_changed_cb (MpDbusmenu *self)
{
  /* A menu is usually rebuilt a few items at a time: one layout update. */
  if (self->rebuild_idle_id == 0)
    self->rebuild_idle_id = g_idle_add (rebuild_idle_cb, self);
}

static void
watch_model (MpDbusmenu *self,
             GMenuModel *model)
{
  gulong id = g_signal_connect_swapped (model, "items-changed",
                                        G_CALLBACK (model_items_changed_cb), self);

  g_ptr_array_add (self->watched_models, g_object_ref (model));
  g_array_append_val (self->watched_handlers, id);
}

static void
unwatch_models (MpDbusmenu *self)
{
  for (guint i = 0; i < self->watched_models->len; i++)
    g_signal_handler_disconnect (g_ptr_array_index (self->watched_models, i),
                                 g_array_index (self->watched_handlers, gulong, i));
  g_ptr_array_set_size (self->watched_models, 0);
  g_array_set_size (self->watched_handlers, 0);
}

static void build_children (MpDbusmenu *self, Node *parent, GMenuModel *model);

static Node *
item_node_new (MpDbusmenu *self,
               GMenuModel *model,
               int         index)
{
  g_autoptr(GMenuModel) submenu = NULL;
  g_autoptr(GVariant) icon_value = NULL;
  g_autofree char *label = NULL;
  g_autofree char *action = NULL;
  Node *node;

  submenu = g_menu_model_get_item_link (model, index, G_MENU_LINK_SUBMENU);
  node = node_new (self, submenu != NULL ? NODE_SUBMENU : NODE_ITEM);

  g_menu_model_get_item_attribute (model, index, G_MENU_ATTRIBUTE_LABEL, "s", &label);
  node->label = mp_dbusmenu_label_from_gtk (label != NULL ? label : "");

  if (g_menu_model_get_item_attribute (model, index, G_MENU_ATTRIBUTE_ACTION, "s", &action))
    {
      gsize ns_len = self->action_namespace != NULL ? strlen (self->action_namespace) : 0;

      if (ns_len == 0)
        node->action = g_steal_pointer (&action);
      else if (strncmp (action, self->action_namespace, ns_len) == 0 && action[ns_len] == '.')
        node->action = g_strdup (action + ns_len + 1);
      else
        node->foreign = TRUE;
    }
  node->target = g_menu_model_get_item_attribute_value (model, index, G_MENU_ATTRIBUTE_TARGET, NULL);
  g_menu_model_get_item_attribute (model, index, "hidden-when", "s", &node->hidden_when);

  icon_value = g_menu_model_get_item_attribute_value (model, index, G_MENU_ATTRIBUTE_ICON, NULL);
  if (icon_value != NULL)
    {
      g_autoptr(GIcon) icon = g_icon_deserialize (icon_value);

      if (G_IS_THEMED_ICON (icon))
        node->icon_name = g_strdup (g_themed_icon_get_names (G_THEMED_ICON (icon))[0]);
    }

  if (submenu != NULL)
    build_children (self, node, submenu);

  return node;
}

/* A menu's items split into groups: runs of plain items and (flattened,
 * recursively) sections, which GTK shows between separators. */
static void
build_groups (MpDbusmenu *self,
              GMenuModel *model,
              GPtrArray  *groups)
{
  GPtrArray *current = NULL;
  int n_items;

  watch_model (self, model);
  n_items = g_menu_model_get_n_items (model);
  for (int i = 0; i < n_items; i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (section != NULL)
        {
          current = NULL;
          build_groups (self, section, groups);
          continue;
        }

      if (current == NULL)
        {
          current = g_ptr_array_new ();
          g_ptr_array_add (groups, current);
        }
      g_ptr_array_add (current, item_node_new (self, model, i));
    }
}

static void
build_children (MpDbusmenu *self,
                Node       *parent,
                GMenuModel *model)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);

  build_groups (self, model, groups);
  for (guint g = 0; g < groups->len; g++)
    {
      GPtrArray *group = g_ptr_array_index (groups, g);

      if (parent->children->len > 0)
        g_ptr_array_add (parent->children, node_new (self, NODE_SEPARATOR));
      for (guint i = 0; i < group->len; i++)
        g_ptr_array_add (parent->children, g_ptr_array_index (group, i));
    }
}

static void
build_tree (MpDbusmenu *self)
{
  g_hash_table_remove_all (self->nodes);
  unwatch_models (self);
  self->root = node_new (self, NODE_ROOT);
  if (self->model != NULL)
    build_children (self, self->root, self->model);
}

static void
rebuild (MpDbusmenu *self)
{
  g_clear_handle_id (&self->rebuild_idle_id, g_source_remove);
  build_tree (self);
  self->revision++;

  if (self->registration_id != 0)
    g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                   DBUSMENU_INTERFACE, "LayoutUpdated",
                                   g_variant_new ("(ui)", self->revision, 0),
                                   NULL);
}

/* A pending rebuild is done before answering, so a host never sees a
 * layout older than the model it was told about. */
static void
ensure_tree (MpDbusmenu *self)
{
  if (self->rebuild_idle_id != 0)
    rebuild (self);
}

typedef struct
{
  gboolean  exists;
  gboolean  enabled;
  gboolean  is_toggle;
  gboolean  is_radio;
  gboolean  toggled;
} ActionInfo;

static ActionInfo
node_action_info (MpDbusmenu *self,
                  Node       *node)
{
  ActionInfo info = { FALSE, FALSE, FALSE, FALSE, FALSE };
  const GVariantType *param_type = NULL;
  g_autoptr(GVariant) state = NULL;

  if (node->action == NULL || self->actions == NULL)
    return info;
  if (!g_action_group_query_action (self->actions, node->action, &info.enabled,
                                    &param_type, NULL, NULL, &state))
    return info;

  info.exists = TRUE;
  /* an item whose target does not fit the action could only be refused */
  if ((node->target == NULL) != (param_type == NULL) ||
      (node->target != NULL && !g_variant_is_of_type (node->target, param_type)))
    info.enabled = FALSE;

  if (state != NULL)
    {
      if (node->target == NULL && g_variant_is_of_type (state, G_VARIANT_TYPE_BOOLEAN))
        {
          info.is_toggle = TRUE;
          info.toggled = g_variant_get_boolean (state);
        }
      else if (node->target != NULL && g_variant_is_of_type (state, g_variant_get_type (node->target)))
        {
          info.is_radio = TRUE;
          info.toggled = g_variant_equal (state, node->target);
        }
    }

  return info;
}

static gboolean
wanted (const char * const *names,
        const char         *name)
{
  return names == NULL || names[0] == NULL || g_strv_contains (names, name);
}

static GVariant *
node_properties (MpDbusmenu         *self,
                 Node               *node,
                 const char * const *names)
{
  GVariantBuilder builder;
  ActionInfo info;
  gboolean enabled;
  gboolean visible = TRUE;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);

  switch (node->kind)
    {
    case NODE_ROOT:
      if (wanted (names, "children-display"))
        g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));
      return g_variant_builder_end (&builder);

    case NODE_SEPARATOR:
      if (wanted (names, "type"))
        g_variant_builder_add (&builder, "{sv}", "type", g_variant_new_string ("separator"));
      return g_variant_builder_end (&builder);

    case NODE_ITEM:
    case NODE_SUBMENU:
    default:
      break;
    }

  info = node_action_info (self, node);
  if (node->foreign)
    enabled = FALSE;
  else if (node->action == NULL)
    enabled = TRUE;
  else
    enabled = info.exists && info.enabled;

  if (node->hidden_when != NULL)
    {
      if (g_str_equal (node->hidden_when, "action-missing") && !info.exists)
        visible = FALSE;
      else if (g_str_equal (node->hidden_when, "action-disabled") && !enabled)
        visible = FALSE;
    }

  if (wanted (names, "label"))
    g_variant_builder_add (&builder, "{sv}", "label", g_variant_new_string (node->label));
  if (wanted (names, "enabled"))
    g_variant_builder_add (&builder, "{sv}", "enabled", g_variant_new_boolean (enabled));
  if (wanted (names, "visible"))
    g_variant_builder_add (&builder, "{sv}", "visible", g_variant_new_boolean (visible));
  if (node->icon_name != NULL && wanted (names, "icon-name"))
    g_variant_builder_add (&builder, "{sv}", "icon-name", g_variant_new_string (node->icon_name));
  if (node->kind == NODE_SUBMENU && wanted (names, "children-display"))
    g_variant_builder_add (&builder, "{sv}", "children-display", g_variant_new_string ("submenu"));
  if ((info.is_toggle || info.is_radio) && wanted (names, "toggle-type"))
    g_variant_builder_add (&builder, "{sv}", "toggle-type",
                           g_variant_new_string (info.is_toggle ? "checkmark" : "radio"));
  if ((info.is_toggle || info.is_radio) && wanted (names, "toggle-state"))
    g_variant_builder_add (&builder, "{sv}", "toggle-state", g_variant_new_int32 (info.toggled ? 1 : 0));

  return g_variant_builder_end (&builder);
}

static GVariant *
node_layout (MpDbusmenu         *self,
             Node               *node,
             int                 depth,
             const char * const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (depth != 0)
    for (guint i = 0; i < node->children->len; i++)
      g_variant_builder_add (&children, "v",
                             node_layout (self, g_ptr_array_index (node->children, i),
                                          depth < 0 ? -1 : depth - 1, names));

  return g_variant_new ("(i@a{sv}av)", node->id,
                        node_properties (self, node, names), &children);
}

static Node *
lookup_node (MpDbusmenu *self,
             gint32      id)
{
  return g_hash_table_lookup (self->nodes, GINT_TO_POINTER (id));
}

static void
node_activate (MpDbusmenu *self,
               Node       *node)
{
  ActionInfo info = node_action_info (self, node);

  if (!info.exists || !info.enabled)
    return;

  /* A stateful boolean action toggles itself when activated without a
   * parameter, as GTK's own menus rely on. */
  g_action_group_activate_action (self->actions, node->action, node->target);
}

static gboolean
handle_event (MpDbusmenu *self,
              gint32      id,
              const char *event_id)
{
  Node *node = lookup_node (self, id);

  if (node == NULL)
    return FALSE;
  if (g_str_equal (event_id, "clicked"))
    node_activate (self, node);

  return TRUE;
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
  MpDbusmenu *self = user_data;

  ensure_tree (self);

  if (g_str_equal (method_name, "GetLayout"))
    {
      g_autofree const char **names = NULL;
      gint32 parent_id, depth;
      Node *node;

      g_variant_get (parameters, "(ii^a&s)", &parent_id, &depth, &names);
      node = lookup_node (self, parent_id);
      if (node == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "No menu item with id %d", parent_id);
          return;
        }
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                            node_layout (self, node, depth, names)));
    }
  else if (g_str_equal (method_name, "GetGroupProperties"))
    {
      g_autoptr(GVariantIter) ids = NULL;
      g_autofree const char **names = NULL;
      GVariantBuilder builder;
      gint32 id;

      g_variant_get (parameters, "(ai^a&s)", &ids, &names);
      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ia{sv})"));
      if (g_variant_iter_n_children (ids) == 0)
        {
          /* no ids: every item, as libdbusmenu answers */
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, self->nodes);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            {
              Node *node = value;

              g_variant_builder_add (&builder, "(i@a{sv})", node->id,
                                     node_properties (self, node, names));
            }
        }
      while (g_variant_iter_next (ids, "i", &id))
        {
          Node *node = lookup_node (self, id);

          if (node != NULL)
            g_variant_builder_add (&builder, "(i@a{sv})", id, node_properties (self, node, names));
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &builder));
    }
  else if (g_str_equal (method_name, "GetProperty"))
    {
      const char *names[2] = { NULL, NULL };
      g_autoptr(GVariant) props = NULL;
      g_autoptr(GVariant) value = NULL;
      gint32 id;
      Node *node;

      g_variant_get (parameters, "(i&s)", &id, &names[0]);
      node = lookup_node (self, id);
      if (node != NULL)
        {
          props = g_variant_ref_sink (node_properties (self, node, names));
          value = g_variant_lookup_value (props, names[0], NULL);
        }
      if (value == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "Menu item %d has no property “%s”", id, names[0]);
          return;
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
    }
  else if (g_str_equal (method_name, "Event"))
    {
      const char *event_id;
      gint32 id;
      Node *node;

      g_variant_get (parameters, "(i&svu)", &id, &event_id, NULL, NULL);
      node = lookup_node (self, id);
      if (node == NULL)
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                                 "No menu item with id %d", id);
          return;
        }
      /* answer first: an action may run a nested loop (a dialog) */
      g_object_ref (self);
      g_dbus_method_invocation_return_value (invocation, NULL);
      handle_event (self, id, event_id);
      g_object_unref (self);
    }
  else if (g_str_equal (method_name, "EventGroup"))
    {
      g_autoptr(GVariantIter) events = NULL;
      g_autoptr(GVariantIter) again = NULL;
      GVariantBuilder errors;
      const char *event_id;
      gint32 id;

      g_variant_get (parameters, "(a(isvu))", &events);
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      while (g_variant_iter_next (events, "(i&svu)", &id, &event_id, NULL, NULL))
        {
          if (lookup_node (self, id) == NULL)
            g_variant_builder_add (&errors, "i", id);
        }
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));

      g_object_ref (self);
      g_variant_get (parameters, "(a(isvu))", &again);
      while (g_variant_iter_next (again, "(i&svu)", &id, &event_id, NULL, NULL))
        handle_event (self, id, event_id);
      g_object_unref (self);
    }
  else if (g_str_equal (method_name, "AboutToShow"))
    {
      /* every change is pushed by a signal: nothing to refresh */
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
    }
  else if (g_str_equal (method_name, "AboutToShowGroup"))
    {
      g_autoptr(GVariantIter) ids = NULL;
      GVariantBuilder updates, errors;
      gint32 id;

      g_variant_get (parameters, "(ai)", &ids);
      g_variant_builder_init (&updates, G_VARIANT_TYPE ("ai"));
      g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
      while (g_variant_iter_next (ids, "i", &id))
        if (lookup_node (self, id) == NULL)
          g_variant_builder_add (&errors, "i", id);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aiai)", &updates, &errors));
    }
  else
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                             "Unknown method %s", method_name);
    }
}

static GVariant *
get_property_cb (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property_name,
                 GError          **error,
                 gpointer          user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (3);
  if (g_str_equal (property_name, "TextDirection"))
    return g_variant_new_string (gtk_widget_get_default_direction () == GTK_TEXT_DIR_RTL ? "rtl" : "ltr");
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "Unknown property %s", property_name);
  return NULL;
}

static const GDBusInterfaceVTable dbusmenu_vtable = {
  method_call_cb,
  get_property_cb,
  NULL,
  { 0 },
};

/* An action's state or enabled flag changed, or it came or went: the
 * items using it get their properties again. */
static void
action_changed (MpDbusmenu *self,
                const char *action_name)
{
  static const char * const toggle_props[] = { "toggle-type", "toggle-state", NULL };
  GVariantBuilder updated, removed;
  GHashTableIter iter;
  gpointer value;
  gboolean any = FALSE;

  if (self->rebuild_idle_id != 0 || self->registration_id == 0)
    return;  /* the coming LayoutUpdated covers it */

  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  g_variant_builder_init (&removed, G_VARIANT_TYPE ("a(ias)"));
  g_hash_table_iter_init (&iter, self->nodes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Node *node = value;
      ActionInfo info;

      if (node->action == NULL || !g_str_equal (node->action, action_name))
        continue;

      any = TRUE;
      g_variant_builder_add (&updated, "(i@a{sv})", node->id, node_properties (self, node, NULL));
      info = node_action_info (self, node);
      if (!info.is_toggle && !info.is_radio)
        g_variant_builder_add (&removed, "(i^as)", node->id, toggle_props);
    }

  if (!any)
    {
      g_variant_builder_clear (&updated);
      g_variant_builder_clear (&removed);
      return;
    }

  g_dbus_connection_emit_signal (self->connection, NULL, self->object_path,
                                 DBUSMENU_INTERFACE, "ItemsPropertiesUpdated",
                                 g_variant_new ("(a(ia{sv})a(ias))", &updated, &removed),
                                 NULL);
}

static void
action_added_cb (GActionGroup *group,
                 const char   *action_name,
                 gpointer      user_data)
{
  action_changed (user_data, action_name);
}

static void
action_enabled_changed_cb (GActionGroup *group,
                           const char   *action_name,
                           gboolean      enabled,
                           gpointer      user_data)
{
  action_changed (user_data, action_name);
}

static void
action_state_changed_cb (GActionGroup *group,
                         const char   *action_name,
                         GVariant     *state,
                         gpointer      user_data)
{
  action_changed (user_data, action_name);
}

static void
disconnect_actions (MpDbusmenu *self)
{
  if (self->actions == NULL)
    return;
  for (guint i = 0; i < self->action_handlers->len; i++)
    g_signal_handler_disconnect (self->actions, g_array_index (self->action_handlers, gulong, i));
  g_array_set_size (self->action_handlers, 0);
  g_clear_object (&self->actions);
}

/**
 * mp_dbusmenu_set_menu:
 * @self: a #MpDbusmenu
 * @model: (nullable): the menu
 * @action_namespace: (nullable): the prefix of the model's action names
 *   that @actions answers to, such as "app" for "app.quit"; %NULL when
 *   the model names @actions' actions without a prefix
 * @actions: (nullable): the actions the items activate
 *
 * Exports @model from now on, follows its changes and those of @actions'
 * states and enabled flags, and tells the hosts (LayoutUpdated).  Items
 * whose action is outside @action_namespace are shown disabled.
 */
void
mp_dbusmenu_set_menu (MpDbusmenu   *self,
                      GMenuModel   *model,
                      const char   *action_namespace,
                      GActionGroup *actions)
{
  g_return_if_fail (MP_IS_DBUSMENU (self));
  g_return_if_fail (model == NULL || G_IS_MENU_MODEL (model));
  g_return_if_fail (actions == NULL || G_IS_ACTION_GROUP (actions));

  g_set_object (&self->model, model);
  g_free (self->action_namespace);
  self->action_namespace = g_strdup (action_namespace);

  if (actions != self->actions)
    {
      disconnect_actions (self);
      if (actions != NULL)
        {
          gulong id;

          self->actions = g_object_ref (actions);
          id = g_signal_connect (actions, "action-added", G_CALLBACK (action_added_cb), self);
          g_array_append_val (self->action_handlers, id);
          id = g_signal_connect (actions, "action-removed", G_CALLBACK (action_added_cb), self);
          g_array_append_val (self->action_handlers, id);
          id = g_signal_connect (actions, "action-enabled-changed", G_CALLBACK (action_enabled_changed_cb), self);
          g_array_append_val (self->action_handlers, id);
          id = g_signal_connect (actions, "action-state-changed", G_CALLBACK (action_state_changed_cb), self);
          g_array_append_val (self->action_handlers, id);
        }
    }

  rebuild (self);
}

const char *
mp_dbusmenu_get_object_path (MpDbusmenu *self)
{
  g_return_val_if_fail (MP_IS_DBUSMENU (self), NULL);

  return self->object_path;
}

/**
 * mp_dbusmenu_get_revision:
 * @self: a #MpDbusmenu
 *
 * Returns: the layout revision the hosts were last told about; it grows
 *   by one with every LayoutUpdated
 */
guint
mp_dbusmenu_get_revision (MpDbusmenu *self)
{
  g_return_val_if_fail (MP_IS_DBUSMENU (self), 0);

  ensure_tree (self);
  return self->revision;
}

static void
mp_dbusmenu_dispose (GObject *object)
{
  MpDbusmenu *self = MP_DBUSMENU (object);

  mp_dbus_clear_registration (self->connection, &self->registration_id);
  g_clear_handle_id (&self->rebuild_idle_id, g_source_remove);
  unwatch_models (self);
  disconnect_actions (self);
  g_clear_object (&self->model);
  g_clear_object (&self->connection);
  g_hash_table_remove_all (self->nodes);
  self->root = NULL;

  G_OBJECT_CLASS (mp_dbusmenu_parent_class)->dispose (object);
}

static void
mp_dbusmenu_finalize (GObject *object)
{
  MpDbusmenu *self = MP_DBUSMENU (object);

  g_free (self->object_path);
  g_free (self->action_namespace);
  g_array_unref (self->action_handlers);
  g_ptr_array_unref (self->watched_models);
  g_array_unref (self->watched_handlers);
  g_hash_table_unref (self->nodes);

  G_OBJECT_CLASS (mp_dbusmenu_parent_class)->finalize (object);
}

static void
mp_dbusmenu_class_init (MpDbusmenuClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_dbusmenu_dispose;
  object_class->finalize = mp_dbusmenu_finalize;
}

static void
mp_dbusmenu_init (MpDbusmenu *self)
{
  self->action_handlers = g_array_new (FALSE, FALSE, sizeof (gulong));
  self->watched_models = g_ptr_array_new_with_free_func (g_object_unref);
  self->watched_handlers = g_array_new (FALSE, FALSE, sizeof (gulong));
  self->nodes = g_hash_table_new_full (NULL, NULL, NULL, node_free);
  self->next_id = 1;
}

/**
 * mp_dbusmenu_new:
 * @connection: the bus to export on
 * @object_path: where, e.g. "/MenuBar"
 * @error: return location for an error
 *
 * Exports an empty menu at @object_path; give it one with
 * mp_dbusmenu_set_menu().  Unexported when the object is disposed.
 *
 * Returns: (transfer full): the exporter, or %NULL with @error set when
 *   the path is taken
 */
MpDbusmenu *
mp_dbusmenu_new (GDBusConnection  *connection,
                 const char       *object_path,
                 GError          **error)
{
  g_autoptr(MpDbusmenu) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (g_variant_is_object_path (object_path), NULL);

  self = g_object_new (MP_TYPE_DBUSMENU, NULL);
  self->connection = g_object_ref (connection);
  self->object_path = g_strdup (object_path);
  build_tree (self);
  self->revision = 1;
  self->registration_id = g_dbus_connection_register_object (connection, object_path,
                                                             dbusmenu_interface_info (),
                                                             &dbusmenu_vtable, self, NULL, error);
  if (self->registration_id == 0)
    return NULL;

  return g_steal_pointer (&self);
}
