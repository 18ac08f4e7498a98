/* mp-message-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message-list"

#include "config.h"

#include "mp-ui-resources.h"

#include <glib/gi18n.h>

#include "mp-message-list.h"
#include "mp-message-tree-model.h"

struct _MpMessageList
{
  GtkBox               parent_instance;

  GtkSearchBar        *search_bar;
  GtkSearchEntry      *search_entry;
  GtkStack            *stack;
  GtkTreeView         *tree_view;
  GtkTreeSelection    *selection;
  GtkTreeViewColumn   *unseen_column;
  GtkTreeViewColumn   *from_column;
  GtkTreeViewColumn   *subject_column;
  GtkTreeViewColumn   *account_column;
  GtkTreeViewColumn   *date_column;
  GtkTreeViewColumn   *size_column;
  GtkCellRenderer     *unseen_renderer;
  GtkCellRenderer     *from_renderer;
  GtkCellRenderer     *subject_renderer;
  GtkCellRenderer     *account_renderer;
  GtkCellRenderer     *date_renderer;
  GtkCellRenderer     *unseen_text_renderer;
  GtkCellRenderer     *size_renderer;
  GtkImage            *placeholder_icon;
  GtkSpinner          *placeholder_spinner;
  GtkLabel            *placeholder_title;
  GtkLabel            *placeholder_subtitle;
  GtkButton           *placeholder_button;

  MpMessageTreeModel  *base;

  /* MpMessage* (a reference) -> itself: rows hidden while their deletion
   * can still be undone */
  GHashTable          *hidden;
  char                *needle;
  int                  sort_column;
  gboolean             sort_descending;
  gboolean             placeholder_wanted;
  guint                clock_id;
  GDateTime           *now;
};

G_DEFINE_FINAL_TYPE (MpMessageList, mp_message_list, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_MESSAGES,
  PROP_SHOW_ACCOUNT,
  PROP_SEARCH_MODE,
  PROP_SORT_COLUMN,
  PROP_SORT_DESCENDING,
  PROP_N_VISIBLE,
  N_PROPS
};

enum {
  SELECTION_CHANGED,
  MESSAGE_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char * const sort_nicks[] = {
  [MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN] = "unseen",
  [MP_MESSAGE_TREE_MODEL_COLUMN_FROM] = "from",
  [MP_MESSAGE_TREE_MODEL_COLUMN_SUBJECT] = "subject",
  [MP_MESSAGE_TREE_MODEL_COLUMN_DATE] = "date",
  [MP_MESSAGE_TREE_MODEL_COLUMN_SIZE] = "size",
  [MP_MESSAGE_TREE_MODEL_COLUMN_ACCOUNT] = "account",
};

/**
 * mp_message_list_sort_column_to_nick:
 *
 * Returns: the name of a sort column as the "sort-column" settings key
 *   stores it
 */
const char *
mp_message_list_sort_column_to_nick (int column)
{
  if (column > MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE && column < MP_MESSAGE_TREE_MODEL_N_COLUMNS)
    return sort_nicks[column];
  return "date";
}

int
mp_message_list_sort_column_from_nick (const char *nick)
{
  for (int i = MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN; i < MP_MESSAGE_TREE_MODEL_N_COLUMNS; i++)
    if (g_strcmp0 (sort_nicks[i], nick) == 0)
      return i;
  return MP_MESSAGE_TREE_MODEL_COLUMN_DATE;
}

/**
 * mp_message_list_format_date:
 * @date: (nullable): a date
 * @now: the current time
 *
 * Formats @date in the local time zone: relative for today ("5 minutes
 * ago"), "Yesterday 14:05", "3 Mar 14:05" within the year, "3 Mar 2023"
 * before.
 *
 * Returns: (transfer full): the text for the Date column
 */
char *
mp_message_list_format_date (GDateTime *date,
                             GDateTime *now)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) local_now = NULL;
  g_autoptr(GDateTime) today = NULL;
  GTimeSpan age;

  if (date == NULL)
    return g_strdup ("");

  local = g_date_time_to_local (date);
  local_now = g_date_time_to_local (now);
  today = g_date_time_new_local (g_date_time_get_year (local_now),
                                 g_date_time_get_month (local_now),
                                 g_date_time_get_day_of_month (local_now),
                                 0, 0, 0);
  age = g_date_time_difference (local_now, local);

  if (g_date_time_compare (local, today) >= 0 && age >= -5 * G_TIME_SPAN_MINUTE)
    {
      /* a clock slightly ahead of ours still reads as "now" */
      if (age < G_TIME_SPAN_MINUTE)
        return g_strdup (_("Just now"));
      if (age < G_TIME_SPAN_HOUR)
        {
          int minutes = age / G_TIME_SPAN_MINUTE;

          return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", minutes),
                                  minutes);
        }
      else
        {
          int hours = age / G_TIME_SPAN_HOUR;

          return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", hours),
                                  hours);
        }
    }
  else
    {
      g_autoptr(GDateTime) yesterday = g_date_time_add_days (today, -1);

      if (g_date_time_compare (local, yesterday) >= 0 && g_date_time_compare (local, today) < 0)
        /* Translators: a date in the message list; see g_date_time_format() */
        return g_date_time_format (local, C_("date", "Yesterday %H:%M"));
      if (g_date_time_get_year (local) == g_date_time_get_year (local_now))
        /* Translators: a date in the message list within the current year */
        return g_date_time_format (local, C_("date", "%-d %b %H:%M"));
      /* Translators: a date in the message list before the current year */
      return g_date_time_format (local, C_("date", "%-d %b %Y"));
    }
}

static MpMessage *
message_at (GtkTreeModel *model,
            GtkTreeIter  *iter)
{
  return mp_message_tree_model_get_message (MP_MESSAGE_TREE_MODEL (model), iter);
}

static void
unseen_data_func (GtkTreeViewColumn *column,
                  GtkCellRenderer   *cell,
                  GtkTreeModel      *model,
                  GtkTreeIter       *iter,
                  gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);

  g_object_set (cell, "visible", message != NULL && mp_message_get_unseen (message), NULL);
}

static void
unseen_text_data_func (GtkTreeViewColumn *column,
                       GtkCellRenderer   *cell,
                       GtkTreeModel      *model,
                       GtkTreeIter       *iter,
                       gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);

  /* the renderer stays hidden: this is the text a screen reader reads
   * for the icon, which bold From and Subject do not convey either */
  g_object_set (cell,
                "text", message != NULL && mp_message_get_unseen (message) ? _("Unseen") : "",
                "visible", FALSE,
                NULL);
}

static void
set_text (GtkCellRenderer *cell,
          MpMessage       *message,
          const char      *text,
          gboolean         dim)
{
  /* unseen messages stand out by sender and subject, as in mail clients */
  gboolean unseen = message != NULL && mp_message_get_unseen (message)
                    && (g_object_get_data (G_OBJECT (cell), "mp-bold-unseen") != NULL);

  g_object_set (cell,
                "text", text != NULL ? text : "",
                "weight", unseen ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL,
                "foreground-rgba", NULL,
                "sensitive", !dim,
                NULL);
}

static void
from_data_func (GtkTreeViewColumn *column,
                GtkCellRenderer   *cell,
                GtkTreeModel      *model,
                GtkTreeIter       *iter,
                gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);
  const char *from = NULL;

  if (message != NULL)
    {
      /* the name reads better in a column; the address is in the pane */
      from = mp_message_get_from_name (message);
      if (from == NULL || *from == '\0')
        from = mp_message_get_from (message);
    }
  if (from == NULL && message != NULL && mp_message_get_error (message) != NULL)
    set_text (cell, message, _("(headers not available)"), TRUE);
  else
    set_text (cell, message, from, FALSE);
}

static void
subject_data_func (GtkTreeViewColumn *column,
                   GtkCellRenderer   *cell,
                   GtkTreeModel      *model,
                   GtkTreeIter       *iter,
                   gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);
  const char *subject = message != NULL ? mp_message_get_subject (message) : NULL;

  if (subject == NULL || *subject == '\0')
    set_text (cell, message, _("(no subject)"), TRUE);
  else
    set_text (cell, message, subject, FALSE);
}

static void
account_data_func (GtkTreeViewColumn *column,
                   GtkCellRenderer   *cell,
                   GtkTreeModel      *model,
                   GtkTreeIter       *iter,
                   gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);
  g_autofree char *name = message != NULL ? mp_message_dup_account_name (message) : NULL;

  set_text (cell, message, name, FALSE);
}

static void
date_data_func (GtkTreeViewColumn *column,
                GtkCellRenderer   *cell,
                GtkTreeModel      *model,
                GtkTreeIter       *iter,
                gpointer           user_data)
{
  MpMessageList *self = user_data;
  MpMessage *message = message_at (model, iter);
  g_autofree char *text = NULL;

  if (self->now == NULL)
    self->now = g_date_time_new_now_local ();
  text = mp_message_list_format_date (message != NULL ? mp_message_get_date (message) : NULL,
                                      self->now);
  set_text (cell, message, text, FALSE);
}

static void
size_data_func (GtkTreeViewColumn *column,
                GtkCellRenderer   *cell,
                GtkTreeModel      *model,
                GtkTreeIter       *iter,
                gpointer           user_data)
{
  MpMessage *message = message_at (model, iter);
  g_autofree char *text = message != NULL ? g_format_size (mp_message_get_size (message)) : NULL;

  set_text (cell, message, text, FALSE);
}

static gboolean
clock_tick_cb (gpointer user_data)
{
  MpMessageList *self = user_data;

  /* "5 minutes ago" ages: take a new "now" and redraw what is visible */
  g_clear_pointer (&self->now, g_date_time_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self->tree_view));
  return G_SOURCE_CONTINUE;
}

static gboolean
filter_func (MpMessageTreeModel *model,
             GtkTreeIter        *iter,
             MpMessage          *message,
             gpointer            user_data)
{
  MpMessageList *self = user_data;

  if (g_hash_table_contains (self->hidden, message))
    return FALSE;
  return mp_message_tree_model_matches (model, iter, self->needle);
}

static void
update_placeholder (MpMessageList *self)
{
  guint n_visible = mp_message_list_get_n_visible (self);

  if (self->placeholder_wanted)
    gtk_stack_set_visible_child_name (self->stack, "placeholder");
  else if (n_visible == 0 && self->needle != NULL && *self->needle != '\0')
    {
      gtk_image_set_from_icon_name (self->placeholder_icon, "edit-find-symbolic", GTK_ICON_SIZE_DIALOG);
      gtk_widget_show (GTK_WIDGET (self->placeholder_icon));
      gtk_widget_hide (GTK_WIDGET (self->placeholder_spinner));
      gtk_spinner_stop (self->placeholder_spinner);
      gtk_label_set_text (self->placeholder_title, _("No matching messages"));
      gtk_label_set_text (self->placeholder_subtitle, _("No sender or subject contains what you typed."));
      gtk_widget_hide (GTK_WIDGET (self->placeholder_button));
      gtk_stack_set_visible_child_name (self->stack, "placeholder");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "list");
}

static void
filter_rows_changed_cb (MpMessageList *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VISIBLE]);
  update_placeholder (self);
}

static void
sort_column_changed_cb (GtkTreeSortable *sortable,
                        MpMessageList   *self)
{
  int column;
  GtkSortType order;

  if (!gtk_tree_sortable_get_sort_column_id (sortable, &column, &order))
    return;
  if (column != self->sort_column)
    {
      self->sort_column = column;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT_COLUMN]);
    }
  if ((order == GTK_SORT_DESCENDING) != self->sort_descending)
    {
      self->sort_descending = (order == GTK_SORT_DESCENDING);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT_DESCENDING]);
    }
}

static void
rebuild_models (MpMessageList *self,
                GListModel    *messages)
{
  g_autoptr(MpMessageTreeModel) base = mp_message_tree_model_new (messages);

  mp_message_tree_model_set_filter_func (base, filter_func, self, NULL);
  /* sorted before the view sees it, so the first draw is the only one */
  gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (base), self->sort_column,
                                        self->sort_descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
  g_signal_connect_object (base, "sort-column-changed",
                           G_CALLBACK (sort_column_changed_cb), self, 0);
  g_signal_connect_object (base, "row-inserted",
                           G_CALLBACK (filter_rows_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (base, "row-deleted",
                           G_CALLBACK (filter_rows_changed_cb), self, G_CONNECT_SWAPPED);

  g_set_object (&self->base, base);
  gtk_tree_view_set_model (self->tree_view, GTK_TREE_MODEL (base));
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   MpMessageList  *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (entry));
  g_autofree char *needle = mp_message_tree_model_fold (text);

  g_strstrip (needle);
  if (g_strcmp0 (needle, self->needle) == 0)
    return;
  g_free (self->needle);
  self->needle = g_steal_pointer (&needle);
  mp_message_tree_model_refilter (self->base);
  update_placeholder (self);
}

static void
search_mode_notify_cb (GtkSearchBar  *search_bar,
                       GParamSpec    *pspec,
                       MpMessageList *self)
{
  /* closing the bar (its close button, Escape) shows everything again */
  if (!gtk_search_bar_get_search_mode (search_bar)
      && *gtk_entry_get_text (GTK_ENTRY (self->search_entry)) != '\0')
    {
      gtk_entry_set_text (GTK_ENTRY (self->search_entry), "");
      search_changed_cb (self->search_entry, self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

static void
stop_search_cb (GtkSearchEntry *entry,
                MpMessageList  *self)
{
  mp_message_list_set_search_mode (self, FALSE);
}

static void
search_activate_cb (GtkEntry      *entry,
                    MpMessageList *self)
{
  GtkTreeIter iter;

  /* Enter in the search entry goes to the first match, so the keyboard
   * can go on from there */
  if (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->base), &iter))
    {
      g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->base), &iter);

      gtk_tree_view_set_cursor (self->tree_view, path, NULL, FALSE);
      gtk_widget_grab_focus (GTK_WIDGET (self->tree_view));
    }
}

static void
row_activated_cb (GtkTreeView       *tree_view,
                  GtkTreePath       *path,
                  GtkTreeViewColumn *column,
                  MpMessageList     *self)
{
  GtkTreeIter iter;

  if (gtk_tree_model_get_iter (GTK_TREE_MODEL (self->base), &iter, path))
    g_signal_emit (self, signals[MESSAGE_ACTIVATED], 0, message_at (GTK_TREE_MODEL (self->base), &iter));
}

static void
selection_changed_cb (GtkTreeSelection *selection,
                      MpMessageList    *self)
{
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

static void
popup_menu (MpMessageList  *self,
            const GdkEvent *event)
{
  g_autoptr(GMenu) menu = g_menu_new ();
  GtkWidget *popup;

  g_menu_append (menu, _("_Open in Mail Client"), "win.open");
  g_menu_append (menu, _("_Download…"), "win.download");
  g_menu_append (menu, _("Mark as _Read"), "win.mark-read");
  g_menu_append (menu, _("De_lete"), "win.delete");

  popup = gtk_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_menu_attach_to_widget (GTK_MENU (popup), GTK_WIDGET (self->tree_view), NULL);
  g_signal_connect (popup, "deactivate", G_CALLBACK (gtk_widget_destroy), NULL);
  if (event != NULL)
    gtk_menu_popup_at_pointer (GTK_MENU (popup), event);
  else
    gtk_menu_popup_at_widget (GTK_MENU (popup), GTK_WIDGET (self->tree_view),
                              GDK_GRAVITY_CENTER, GDK_GRAVITY_NORTH_WEST, NULL);
}

static gboolean
tree_button_press_cb (GtkWidget      *widget,
                      GdkEventButton *event,
                      MpMessageList  *self)
{
  g_autoptr(GtkTreePath) path = NULL;

  if (!gdk_event_triggers_context_menu ((GdkEvent *) event)
      || event->window != gtk_tree_view_get_bin_window (self->tree_view))
    return GDK_EVENT_PROPAGATE;

  /* right-clicking outside the selection acts on the clicked row only */
  if (gtk_tree_view_get_path_at_pos (self->tree_view, event->x, event->y, &path, NULL, NULL, NULL)
      && !gtk_tree_selection_path_is_selected (self->selection, path))
    {
      gtk_tree_selection_unselect_all (self->selection);
      gtk_tree_selection_select_path (self->selection, path);
    }
  if (gtk_tree_selection_count_selected_rows (self->selection) > 0)
    popup_menu (self, (GdkEvent *) event);
  return GDK_EVENT_STOP;
}

static gboolean
tree_popup_menu_cb (GtkWidget     *widget,
                    MpMessageList *self)
{
  if (gtk_tree_selection_count_selected_rows (self->selection) == 0)
    return FALSE;
  popup_menu (self, NULL);
  return TRUE;
}

static void
name_internal_buttons (GtkWidget *widget,
                       gpointer   user_data)
{
  if (GTK_IS_BUTTON (widget))
    atk_object_set_name (gtk_widget_get_accessible (widget), user_data);
  else if (GTK_IS_CONTAINER (widget) && !GTK_IS_ENTRY (widget))
    gtk_container_forall (GTK_CONTAINER (widget), name_internal_buttons, user_data);
}

static void
mp_message_list_dispose (GObject *object)
{
  MpMessageList *self = MP_MESSAGE_LIST (object);

  g_clear_handle_id (&self->clock_id, g_source_remove);
  if (self->tree_view != NULL)
    gtk_tree_view_set_model (self->tree_view, NULL);
  g_clear_object (&self->base);
  if (self->hidden != NULL)
    g_hash_table_remove_all (self->hidden);

  G_OBJECT_CLASS (mp_message_list_parent_class)->dispose (object);
}

static void
mp_message_list_finalize (GObject *object)
{
  MpMessageList *self = MP_MESSAGE_LIST (object);

  g_clear_pointer (&self->hidden, g_hash_table_unref);
  g_clear_pointer (&self->needle, g_free);
  g_clear_pointer (&self->now, g_date_time_unref);

  G_OBJECT_CLASS (mp_message_list_parent_class)->finalize (object);
}

static void
mp_message_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MpMessageList *self = MP_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_MESSAGES:
      g_value_set_object (value, mp_message_list_get_messages (self));
      break;
    case PROP_SHOW_ACCOUNT:
      g_value_set_boolean (value, gtk_tree_view_column_get_visible (self->account_column));
      break;
    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, mp_message_list_get_search_mode (self));
      break;
    case PROP_SORT_COLUMN:
      g_value_set_int (value, self->sort_column);
      break;
    case PROP_SORT_DESCENDING:
      g_value_set_boolean (value, self->sort_descending);
      break;
    case PROP_N_VISIBLE:
      g_value_set_uint (value, mp_message_list_get_n_visible (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_list_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  MpMessageList *self = MP_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_MESSAGES:
      mp_message_list_set_messages (self, g_value_get_object (value));
      break;
    case PROP_SHOW_ACCOUNT:
      mp_message_list_set_show_account (self, g_value_get_boolean (value));
      break;
    case PROP_SEARCH_MODE:
      mp_message_list_set_search_mode (self, g_value_get_boolean (value));
      break;
    case PROP_SORT_COLUMN:
      mp_message_list_set_sort (self, g_value_get_int (value), self->sort_descending);
      break;
    case PROP_SORT_DESCENDING:
      mp_message_list_set_sort (self, self->sort_column, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_list_class_init (MpMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mp_message_list_dispose;
  object_class->finalize = mp_message_list_finalize;
  object_class->get_property = mp_message_list_get_property;
  object_class->set_property = mp_message_list_set_property;

  properties[PROP_MESSAGES] =
    g_param_spec_object ("messages", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SHOW_ACCOUNT] =
    g_param_spec_boolean ("show-account", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SORT_COLUMN] =
    g_param_spec_int ("sort-column", NULL, NULL,
                      MP_MESSAGE_TREE_MODEL_COLUMN_UNSEEN, MP_MESSAGE_TREE_MODEL_N_COLUMNS - 1,
                      MP_MESSAGE_TREE_MODEL_COLUMN_DATE,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SORT_DESCENDING] =
    g_param_spec_boolean ("sort-descending", NULL, NULL,
                          TRUE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_N_VISIBLE] =
    g_param_spec_uint ("n-visible", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[MESSAGE_ACTIVATED] =
    g_signal_new ("message-activated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, MP_TYPE_MESSAGE);

  /* the templates' bundle registers itself when it is linked in, and a
   * static library links only what is referenced */
  mp_ui_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/mp-message-list.ui");
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, search_bar);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, search_entry);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, stack);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, tree_view);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, selection);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, unseen_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, from_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, subject_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, account_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, date_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, size_column);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, unseen_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, from_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, subject_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, account_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, date_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, unseen_text_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, size_renderer);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, placeholder_icon);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, placeholder_spinner);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, placeholder_title);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, placeholder_subtitle);
  gtk_widget_class_bind_template_child (widget_class, MpMessageList, placeholder_button);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, tree_button_press_cb);
  gtk_widget_class_bind_template_callback (widget_class, tree_popup_menu_cb);
}

/* The columns have fixed widths (fixed-height-mode needs them) chosen
 * for the English titles; a longer translation ("Учётная запись") would
 * be clipped in its header. Widen such a column to its title and take
 * the width from Subject, which expands anyway, so that the list does
 * not ask for a wider window. */
#define SUBJECT_MIN_WIDTH 100

static void
fit_headers_cb (GtkWidget     *tree_view,
                MpMessageList *self)
{
  GtkTreeViewColumn *columns[] = { self->from_column, self->account_column,
                                   self->date_column, self->size_column };
  int extra = 0;
  int subject;

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      int natural = 0;

      gtk_widget_get_preferred_width (gtk_tree_view_column_get_button (columns[i]), NULL, &natural);
      if (natural > gtk_tree_view_column_get_fixed_width (columns[i]))
        {
          extra += natural - gtk_tree_view_column_get_fixed_width (columns[i]);
          gtk_tree_view_column_set_fixed_width (columns[i], natural);
        }
    }
  subject = gtk_tree_view_column_get_fixed_width (self->subject_column);
  if (extra > 0 && subject > SUBJECT_MIN_WIDTH)
    gtk_tree_view_column_set_fixed_width (self->subject_column, MAX (SUBJECT_MIN_WIDTH, subject - extra));
}

static void
mp_message_list_init (MpMessageList *self)
{
  self->hidden = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->sort_column = MP_MESSAGE_TREE_MODEL_COLUMN_DATE;
  self->sort_descending = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_search_bar_connect_entry (self->search_bar, GTK_ENTRY (self->search_entry));
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_notify_cb), self, 0);

  g_object_set_data (G_OBJECT (self->from_renderer), "mp-bold-unseen", GINT_TO_POINTER (TRUE));
  g_object_set_data (G_OBJECT (self->subject_renderer), "mp-bold-unseen", GINT_TO_POINTER (TRUE));
  gtk_tree_view_column_set_cell_data_func (self->unseen_column, self->unseen_renderer,
                                           unseen_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->unseen_column, self->unseen_text_renderer,
                                           unseen_text_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->from_column, self->from_renderer,
                                           from_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->subject_column, self->subject_renderer,
                                           subject_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->account_column, self->account_renderer,
                                           account_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->date_column, self->date_renderer,
                                           date_data_func, self, NULL);
  gtk_tree_view_column_set_cell_data_func (self->size_column, self->size_renderer,
                                           size_data_func, self, NULL);

  /* the search bar's own close button, hidden but in the accessible tree */
  gtk_container_forall (GTK_CONTAINER (self->search_bar), name_internal_buttons,
                        (gpointer) _("Close search"));
  /* the column shows an icon in its header, which names nothing */
  atk_object_set_name (gtk_widget_get_accessible (gtk_tree_view_column_get_button (self->unseen_column)),
                       _("Unseen"));

  g_signal_connect (self->tree_view, "style-updated", G_CALLBACK (fit_headers_cb), self);
  fit_headers_cb (GTK_WIDGET (self->tree_view), self);

  rebuild_models (self, NULL);
  update_placeholder (self);
  self->clock_id = g_timeout_add_seconds (60, clock_tick_cb, self);
}

GtkWidget *
mp_message_list_new (void)
{
  return g_object_new (MP_TYPE_MESSAGE_LIST, NULL);
}

/**
 * mp_message_list_get_messages:
 *
 * Returns: (transfer none): the messages it shows
 */
GListModel *
mp_message_list_get_messages (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), NULL);

  return mp_message_tree_model_get_messages (self->base);
}

/**
 * mp_message_list_set_messages:
 * @messages: (nullable): a #GListModel of #MpMessage
 *
 * Shows @messages. Hidden messages stay hidden: their deletion is still
 * pending whichever list is shown.
 */
void
mp_message_list_set_messages (MpMessageList *self,
                              GListModel    *messages)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));
  g_return_if_fail (messages == NULL || G_IS_LIST_MODEL (messages));

  if (messages != NULL && messages == mp_message_list_get_messages (self))
    return;
  rebuild_models (self, messages);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_VISIBLE]);
  update_placeholder (self);
}

void
mp_message_list_set_show_account (MpMessageList *self,
                                  gboolean       show_account)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  show_account = !!show_account;
  if (show_account == gtk_tree_view_column_get_visible (self->account_column))
    return;
  gtk_tree_view_column_set_visible (self->account_column, show_account);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_ACCOUNT]);
}

gboolean
mp_message_list_get_search_mode (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), FALSE);

  return gtk_search_bar_get_search_mode (self->search_bar);
}

/**
 * mp_message_list_set_search_mode:
 *
 * Shows the search bar and focuses its entry, or hides it and shows every
 * message again.
 */
void
mp_message_list_set_search_mode (MpMessageList *self,
                                 gboolean       search_mode)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  gtk_search_bar_set_search_mode (self->search_bar, search_mode);
  if (search_mode)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  else
    {
      gtk_entry_set_text (GTK_ENTRY (self->search_entry), "");
      /* at once, not after the entry's search delay */
      search_changed_cb (self->search_entry, self);
      gtk_widget_grab_focus (GTK_WIDGET (self->tree_view));
    }
}

/**
 * mp_message_list_set_search_text:
 *
 * Opens the search bar with @text and filters at once.
 */
void
mp_message_list_set_search_text (MpMessageList *self,
                                 const char    *text)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_entry_set_text (GTK_ENTRY (self->search_entry), text != NULL ? text : "");
  search_changed_cb (self->search_entry, self);
}

/**
 * mp_message_list_handle_event:
 *
 * Type-to-search: a printable key pressed anywhere in the window opens
 * the search bar with it.
 *
 * Returns: %GDK_EVENT_STOP if the search bar took the event
 */
gboolean
mp_message_list_handle_event (MpMessageList *self,
                              GdkEvent      *event)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), FALSE);

  return gtk_search_bar_handle_event (self->search_bar, event);
}

int
mp_message_list_get_sort_column (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), 0);

  return self->sort_column;
}

gboolean
mp_message_list_get_sort_descending (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), FALSE);

  return self->sort_descending;
}

void
mp_message_list_set_sort (MpMessageList *self,
                          int            column,
                          gboolean       descending)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));
  g_return_if_fail (column > MP_MESSAGE_TREE_MODEL_COLUMN_MESSAGE
                    && column < MP_MESSAGE_TREE_MODEL_N_COLUMNS);

  /* the sortable's ::sort-column-changed updates our fields and notifies */
  gtk_tree_sortable_set_sort_column_id (GTK_TREE_SORTABLE (self->base), column,
                                        descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
}

/**
 * mp_message_list_get_selected:
 *
 * Returns: (transfer container) (element-type MpMessage): the selected
 *   messages, in the order shown
 */
GPtrArray *
mp_message_list_get_selected (MpMessageList *self)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  GList *rows;

  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), messages);

  rows = gtk_tree_selection_get_selected_rows (self->selection, NULL);
  for (GList *l = rows; l != NULL; l = l->next)
    {
      GtkTreeIter iter;

      if (gtk_tree_model_get_iter (GTK_TREE_MODEL (self->base), &iter, l->data))
        g_ptr_array_add (messages, g_object_ref (message_at (GTK_TREE_MODEL (self->base), &iter)));
    }
  g_list_free_full (rows, (GDestroyNotify) gtk_tree_path_free);
  return messages;
}

guint
mp_message_list_get_n_selected (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), 0);

  return gtk_tree_selection_count_selected_rows (self->selection);
}

/**
 * mp_message_list_select_message:
 *
 * Selects @message alone and scrolls to it.
 *
 * Returns: %TRUE if @message is shown
 */
gboolean
mp_message_list_select_message (MpMessageList *self,
                                MpMessage     *message)
{
  GtkTreeIter iter;
  g_autoptr(GtkTreePath) path = NULL;

  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), FALSE);

  if (!mp_message_tree_model_find (self->base, message, &iter))
    return FALSE;

  path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->base), &iter);
  gtk_tree_selection_unselect_all (self->selection);
  gtk_tree_view_set_cursor (self->tree_view, path, NULL, FALSE);
  gtk_tree_view_scroll_to_cell (self->tree_view, path, NULL, FALSE, 0, 0);
  return TRUE;
}

void
mp_message_list_unselect_all (MpMessageList *self)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  gtk_tree_selection_unselect_all (self->selection);
}

/**
 * mp_message_list_hide_messages:
 * @messages: (element-type MpMessage): messages to hide
 *
 * Hides @messages until mp_message_list_unhide_messages(), in every list
 * it shows: the window hides messages whose deletion can still be undone.
 */
void
mp_message_list_hide_messages (MpMessageList *self,
                               GPtrArray     *messages)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  for (guint i = 0; i < messages->len; i++)
    g_hash_table_add (self->hidden, g_object_ref (g_ptr_array_index (messages, i)));
  mp_message_tree_model_refilter (self->base);
}

void
mp_message_list_unhide_messages (MpMessageList *self,
                                 GPtrArray     *messages)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  for (guint i = 0; i < messages->len; i++)
    g_hash_table_remove (self->hidden, g_ptr_array_index (messages, i));
  mp_message_tree_model_refilter (self->base);
}

guint
mp_message_list_get_n_visible (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), 0);

  return self->base != NULL ? gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->base), NULL) : 0;
}

/**
 * mp_message_list_get_visible_message:
 *
 * Returns: (transfer none) (nullable): the message shown at @position,
 *   in the current sort order
 */
MpMessage *
mp_message_list_get_visible_message (MpMessageList *self,
                                     guint          position)
{
  GtkTreeIter iter;

  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), NULL);

  if (!gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->base), &iter, NULL, position))
    return NULL;
  return message_at (GTK_TREE_MODEL (self->base), &iter);
}

GtkTreeView *
mp_message_list_get_tree_view (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), NULL);

  return self->tree_view;
}

/**
 * mp_message_list_set_placeholder:
 * @button_label: (nullable): a button to show, with a mnemonic
 * @button_action: (nullable): the detailed action it activates
 *
 * Shows an empty or error state instead of the list.
 */
void
mp_message_list_set_placeholder (MpMessageList *self,
                                 const char    *icon_name,
                                 const char    *title,
                                 const char    *subtitle,
                                 const char    *button_label,
                                 const char    *button_action)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  gtk_spinner_stop (self->placeholder_spinner);
  gtk_widget_hide (GTK_WIDGET (self->placeholder_spinner));
  gtk_image_set_from_icon_name (self->placeholder_icon, icon_name, GTK_ICON_SIZE_DIALOG);
  gtk_widget_show (GTK_WIDGET (self->placeholder_icon));
  gtk_label_set_text (self->placeholder_title, title);
  gtk_label_set_text (self->placeholder_subtitle, subtitle != NULL ? subtitle : "");
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_subtitle), subtitle != NULL);
  if (button_label != NULL)
    {
      gtk_button_set_label (self->placeholder_button, button_label);
      gtk_button_set_use_underline (self->placeholder_button, TRUE);
      /* its accessible name is its label */
      gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (self->placeholder_button), button_action);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_button), button_label != NULL);
  self->placeholder_wanted = TRUE;
  update_placeholder (self);
}

/**
 * mp_message_list_set_busy_placeholder:
 *
 * Shows a spinner and @title instead of the list ("Checking…").
 */
void
mp_message_list_set_busy_placeholder (MpMessageList *self,
                                      const char    *title)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  mp_message_list_set_placeholder (self, NULL, title, NULL, NULL, NULL);
  gtk_widget_hide (GTK_WIDGET (self->placeholder_icon));
  gtk_widget_show (GTK_WIDGET (self->placeholder_spinner));
  gtk_spinner_start (self->placeholder_spinner);
}

void
mp_message_list_clear_placeholder (MpMessageList *self)
{
  g_return_if_fail (MP_IS_MESSAGE_LIST (self));

  gtk_spinner_stop (self->placeholder_spinner);
  self->placeholder_wanted = FALSE;
  update_placeholder (self);
}

/**
 * mp_message_list_get_placeholder:
 *
 * Returns: (nullable): the title of the empty or error state shown
 *   instead of the list, %NULL while the list is shown
 */
const char *
mp_message_list_get_placeholder (MpMessageList *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_LIST (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "placeholder") != 0)
    return NULL;
  return gtk_label_get_text (self->placeholder_title);
}
