/* mp-sidebar.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-sidebar"

#include "config.h"

#include "mp-ui-resources.h"

#include "mp-sidebar.h"
#include "mp-sidebar-row.h"

struct _MpSidebar
{
  GtkBox      parent_instance;

  GtkListBox *list_box;
  GtkWidget  *all_row;

  GListModel *mailboxes;
  gulong      items_changed_id;
  /* of MpMailbox, in the order of the rows after "All accounts" */
  GPtrArray  *tracked;
  MpMailbox  *selected;
  gboolean    all_selected;
};

G_DEFINE_FINAL_TYPE (MpSidebar, mp_sidebar, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_MAILBOXES,
  PROP_SELECTED_MAILBOX,
  PROP_ALL_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mailbox_notify_cb (MpMailbox  *mailbox,
                   GParamSpec *pspec,
                   MpSidebar  *self)
{
  GtkWidget *row = mp_sidebar_get_row (self, mailbox);

  if (row != NULL)
    mp_sidebar_row_update (MP_SIDEBAR_ROW (row));
  if (self->all_row != NULL)
    mp_sidebar_row_update (MP_SIDEBAR_ROW (self->all_row));
}

static void
untrack (gpointer data)
{
  MpMailbox *mailbox = data;

  g_signal_handlers_disconnect_matched (mailbox, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        mailbox_notify_cb, NULL);
  g_object_unref (mailbox);
}

static void
set_selection (MpSidebar *self,
               MpMailbox *mailbox,
               gboolean   all)
{
  if (mailbox == self->selected && all == self->all_selected)
    return;
  g_set_object (&self->selected, mailbox);
  self->all_selected = all;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_MAILBOX]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ALL_SELECTED]);
}

static void
row_selected_cb (GtkListBox    *list_box,
                 GtkListBoxRow *row,
                 MpSidebar     *self)
{
  if (row == NULL)
    return;
  set_selection (self, mp_sidebar_row_get_mailbox (MP_SIDEBAR_ROW (row)), row == (GtkListBoxRow *) self->all_row);
}

static void
items_changed_cb (GListModel *mailboxes,
                  guint       position,
                  guint       removed,
                  guint       added,
                  MpSidebar  *self)
{
  gboolean lost_selection = FALSE;

  for (guint i = 0; i < removed; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->tracked, position);
      GtkWidget *row = mp_sidebar_get_row (self, mailbox);

      if (mailbox == self->selected)
        lost_selection = TRUE;
      if (row != NULL)
        gtk_widget_destroy (row);
      g_ptr_array_remove_index (self->tracked, position);
    }

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (mailboxes, position + i);
      GtkWidget *row = mp_sidebar_row_new_for_mailbox (mailbox);

      g_ptr_array_insert (self->tracked, position + i, g_object_ref (mailbox));
      g_signal_connect_object (mailbox, "notify", G_CALLBACK (mailbox_notify_cb), self, 0);
      gtk_list_box_insert (self->list_box, row, position + i + 1);
    }

  mp_sidebar_row_update (MP_SIDEBAR_ROW (self->all_row));
  if (lost_selection)
    mp_sidebar_select_mailbox (self, NULL);
}

static void
mp_sidebar_dispose (GObject *object)
{
  MpSidebar *self = MP_SIDEBAR (object);

  if (self->mailboxes != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->mailboxes);
  g_clear_object (&self->mailboxes);
  if (self->tracked != NULL)
    g_ptr_array_set_size (self->tracked, 0);
  g_clear_object (&self->selected);

  G_OBJECT_CLASS (mp_sidebar_parent_class)->dispose (object);
}

static void
mp_sidebar_finalize (GObject *object)
{
  MpSidebar *self = MP_SIDEBAR (object);

  g_clear_pointer (&self->tracked, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_sidebar_parent_class)->finalize (object);
}

static void
mp_sidebar_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  MpSidebar *self = MP_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      g_value_set_object (value, self->mailboxes);
      break;
    case PROP_SELECTED_MAILBOX:
      g_value_set_object (value, self->selected);
      break;
    case PROP_ALL_SELECTED:
      g_value_set_boolean (value, self->all_selected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_sidebar_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  MpSidebar *self = MP_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      mp_sidebar_set_mailboxes (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* GtkListBox makes each row a Tab stop, and a row that gets the focus
 * in browse mode is selected: tabbing from the header bar to the message
 * list would switch accounts on the way. The list is one Tab stop, as a
 * tree view is; the arrow keys move between accounts. */
static gboolean
list_box_focus_cb (GtkWidget        *list_box,
                   GtkDirectionType  direction,
                   MpSidebar        *self)
{
  GtkWidget *focus_child = gtk_container_get_focus_child (GTK_CONTAINER (list_box));

  if (focus_child == NULL
      || (direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD))
    return GDK_EVENT_PROPAGATE;

  /* a row's own controls (the button that fixes an account) come first */
  g_signal_stop_emission_by_name (list_box, "focus");
  return gtk_widget_child_focus (focus_child, direction);
}

static void
mp_sidebar_class_init (MpSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mp_sidebar_dispose;
  object_class->finalize = mp_sidebar_finalize;
  object_class->get_property = mp_sidebar_get_property;
  object_class->set_property = mp_sidebar_set_property;

  properties[PROP_MAILBOXES] =
    g_param_spec_object ("mailboxes", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SELECTED_MAILBOX] =
    g_param_spec_object ("selected-mailbox", NULL, NULL,
                         MP_TYPE_MAILBOX,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_ALL_SELECTED] =
    g_param_spec_boolean ("all-selected", NULL, NULL,
                          TRUE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* the templates' bundle registers itself when it is linked in, and a
   * static library links only what is referenced */
  mp_ui_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/mp-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, MpSidebar, list_box);
  gtk_widget_class_bind_template_callback (widget_class, row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_box_focus_cb);
}

static void
mp_sidebar_init (MpSidebar *self)
{
  self->tracked = g_ptr_array_new_with_free_func (untrack);
  self->all_selected = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mp_sidebar_new (void)
{
  return g_object_new (MP_TYPE_SIDEBAR, NULL);
}

/**
 * mp_sidebar_get_mailboxes:
 *
 * Returns: (transfer none) (nullable): the list of mailboxes
 */
GListModel *
mp_sidebar_get_mailboxes (MpSidebar *self)
{
  g_return_val_if_fail (MP_IS_SIDEBAR (self), NULL);

  return self->mailboxes;
}

/**
 * mp_sidebar_set_mailboxes:
 * @mailboxes: a #GListModel of #MpMailbox
 *
 * Shows @mailboxes and selects "All accounts".
 */
void
mp_sidebar_set_mailboxes (MpSidebar  *self,
                          GListModel *mailboxes)
{
  g_return_if_fail (MP_IS_SIDEBAR (self));
  g_return_if_fail (mailboxes == NULL || G_IS_LIST_MODEL (mailboxes));

  if (mailboxes == self->mailboxes)
    return;

  if (self->mailboxes != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->mailboxes);
  g_ptr_array_set_size (self->tracked, 0);
  gtk_container_foreach (GTK_CONTAINER (self->list_box), (GtkCallback) gtk_widget_destroy, NULL);
  self->all_row = NULL;
  g_set_object (&self->mailboxes, mailboxes);

  if (mailboxes != NULL)
    {
      self->all_row = mp_sidebar_row_new_for_all (mailboxes);
      gtk_list_box_insert (self->list_box, self->all_row, 0);
      self->items_changed_id = g_signal_connect (mailboxes, "items-changed",
                                                 G_CALLBACK (items_changed_cb), self);
      items_changed_cb (mailboxes, 0, 0, g_list_model_get_n_items (mailboxes), self);
      gtk_list_box_select_row (self->list_box, GTK_LIST_BOX_ROW (self->all_row));
    }
  set_selection (self, NULL, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAILBOXES]);
}

/**
 * mp_sidebar_get_selected_mailbox:
 *
 * Returns: (transfer none) (nullable): the selected mailbox, %NULL when
 *   "All accounts" is selected
 */
MpMailbox *
mp_sidebar_get_selected_mailbox (MpSidebar *self)
{
  g_return_val_if_fail (MP_IS_SIDEBAR (self), NULL);

  return self->selected;
}

/**
 * mp_sidebar_select_mailbox:
 * @mailbox: (nullable): a mailbox, or %NULL for "All accounts"
 */
void
mp_sidebar_select_mailbox (MpSidebar *self,
                           MpMailbox *mailbox)
{
  GtkWidget *row;

  g_return_if_fail (MP_IS_SIDEBAR (self));

  row = mailbox != NULL ? mp_sidebar_get_row (self, mailbox) : self->all_row;
  if (row == NULL)
    row = self->all_row;
  if (row != NULL)
    gtk_list_box_select_row (self->list_box, GTK_LIST_BOX_ROW (row));
  else
    set_selection (self, NULL, TRUE);
}

/**
 * mp_sidebar_get_row:
 * @mailbox: (nullable): a mailbox, or %NULL for "All accounts"
 *
 * Returns: (transfer none) (nullable): its row
 */
GtkWidget *
mp_sidebar_get_row (MpSidebar *self,
                    MpMailbox *mailbox)
{
  guint index;

  g_return_val_if_fail (MP_IS_SIDEBAR (self), NULL);

  if (mailbox == NULL)
    return self->all_row;
  if (!g_ptr_array_find (self->tracked, mailbox, &index))
    return NULL;
  return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list_box, index + 1));
}
