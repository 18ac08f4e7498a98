/* mp-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-window"

#include "config.h"

#include "mp-ui-resources.h"

#include <glib/gi18n.h>

#include "mp-message-list-model.h"
#include "mp-message-tree-model.h"
#include "mp-sidebar-row.h"
#include "mp-window-private.h"

/* How long an account must be shown in the focused window before its
 * messages stop counting as unseen: a glance, not a pass through. */
#define SEEN_DELAY_MSEC 2000
#define UNDO_TIMEOUT_MSEC 5000

G_DEFINE_FINAL_TYPE (MpWindow, mp_window, GTK_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_MAILBOXES,
  PROP_UNDO_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The notice bar */

static gboolean
notice_timeout_cb (gpointer user_data)
{
  MpWindow *self = user_data;

  self->notice_id = 0;
  gtk_revealer_set_reveal_child (self->notice_revealer, FALSE);
  return G_SOURCE_REMOVE;
}

/*
 * mp_window_set_notice:
 * @timeout_msec: hide it after this long; 0 keeps it until replaced
 *
 * Shows @text in the in-window notification bar.
 */
void
mp_window_set_notice (MpWindow   *self,
                      const char *text,
                      gboolean    with_undo,
                      guint       timeout_msec)
{
  g_clear_handle_id (&self->notice_id, g_source_remove);
  gtk_label_set_text (self->notice_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->undo_button), with_undo);
  gtk_widget_hide (GTK_WIDGET (self->notice_progress));
  gtk_revealer_set_reveal_child (self->notice_revealer, TRUE);
  if (timeout_msec > 0)
    self->notice_id = g_timeout_add (timeout_msec, notice_timeout_cb, self);
}

void
mp_window_hide_notice (MpWindow *self)
{
  g_clear_handle_id (&self->notice_id, g_source_remove);
  gtk_revealer_set_reveal_child (self->notice_revealer, FALSE);
}

static void
notice_close_clicked_cb (GtkButton *button,
                         MpWindow  *self)
{
  /* dismissing the bar of a pending deletion lets it go ahead now */
  if (self->pending != NULL)
    mp_window_commit_pending (self);
  mp_window_hide_notice (self);
}

static void
undo_clicked_cb (GtkButton *button,
                 MpWindow  *self)
{
  g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending);

  g_clear_handle_id (&self->pending_id, g_source_remove);
  if (pending != NULL)
    mp_message_list_unhide_messages (self->message_list, pending);
  mp_window_hide_notice (self);
}

static void
no_tray_response_cb (GtkInfoBar *info_bar,
                     int         response,
                     MpWindow   *self)
{
  gtk_info_bar_set_revealed (info_bar, FALSE);
}

/* GtkContainer orders Tab by the children's positions, and in a
 * GtkPaned, whose children sit in windows of their own, that put the
 * details pane's buttons before the message list: the list comes first,
 * then the buttons that act on its selection. */
static gboolean
content_paned_focus_cb (GtkWidget        *paned,
                        GtkDirectionType  direction,
                        MpWindow         *self)
{
  GtkWidget *order[] = { GTK_WIDGET (self->message_list), GTK_WIDGET (self->message_view) };
  GtkWidget *focus_child;
  int step, i;

  if (direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD)
    return GDK_EVENT_PROPAGATE;

  g_signal_stop_emission_by_name (paned, "focus");
  step = direction == GTK_DIR_TAB_FORWARD ? 1 : -1;
  i = step > 0 ? 0 : (int) G_N_ELEMENTS (order) - 1;
  focus_child = gtk_container_get_focus_child (GTK_CONTAINER (paned));
  for (int j = 0; focus_child != NULL && j < (int) G_N_ELEMENTS (order); j++)
    if (order[j] == focus_child)
      i = j;
  for (; i >= 0 && i < (int) G_N_ELEMENTS (order); i += step)
    if (gtk_widget_is_drawable (order[i]) && gtk_widget_child_focus (order[i], direction))
      return TRUE;
  return FALSE;
}

/* Empty and error states */

static void
update_state (MpWindow *self)
{
  static const char * const account_actions[] = { "check-now", "find" };
  gboolean any_busy = FALSE, all_offline = TRUE;
  guint n_messages = 0;
  MpMailbox *error_mailbox = NULL;
  gboolean any_account = self->mailboxes != NULL && g_list_model_get_n_items (self->mailboxes) > 0;

  /* with nothing to list, the page is the invitation alone, and there is
   * nothing to check or search */
  for (guint i = 0; i < G_N_ELEMENTS (account_actions); i++)
    {
      GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), account_actions[i]);

      if (action != NULL)
        g_simple_action_set_enabled (G_SIMPLE_ACTION (action), any_account);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_button), any_account);
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar), any_account);
  gtk_widget_set_visible (GTK_WIDGET (self->message_view), any_account);
  if (!any_account)
    {
      mp_message_list_set_placeholder (self->message_list, "mail-unread-symbolic",
                                       _("No accounts yet"),
                                       _("Add a POP3 account to see who wrote to you, without downloading anything."),
                                       _("_Add an Account…"), "app.accounts");
      return;
    }

  for (guint i = 0; i < self->shown->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->shown, i);
      MpMailboxStatus status = mp_mailbox_get_status (mailbox);

      n_messages += mp_mailbox_get_n_messages (mailbox);
      any_busy |= (status == MP_MAILBOX_STATUS_CHECKING
                   || (status == MP_MAILBOX_STATUS_IDLE && mp_mailbox_get_busy (mailbox)));
      all_offline &= (status == MP_MAILBOX_STATUS_OFFLINE);
      if (status == MP_MAILBOX_STATUS_ERROR
          || status == MP_MAILBOX_STATUS_NEEDS_PASSWORD
          || status == MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE
          || status == MP_MAILBOX_STATUS_LOGIN_DELAY)
        error_mailbox = mailbox;
    }

  /* "Select a message" under an empty or error state invites to select
   * what is not there: the state takes the whole height instead */
  gtk_widget_set_visible (GTK_WIDGET (self->message_view), n_messages > 0);
  if (n_messages > 0)
    mp_message_list_clear_placeholder (self->message_list);
  else if (any_busy)
    mp_message_list_set_busy_placeholder (self->message_list, _("Checking…"));
  else if (all_offline && self->shown->len > 0)
    mp_message_list_set_placeholder (self->message_list, "network-offline-symbolic",
                                     _("Offline"),
                                     _("Mailboxes are checked again as soon as the network is back."),
                                     NULL, NULL);
  else if (error_mailbox != NULL && self->shown->len == 1)
    {
      g_autofree char *why = mp_sidebar_row_describe_status (error_mailbox);

      mp_message_list_set_placeholder (self->message_list, "dialog-warning-symbolic",
                                       _("This account could not be checked"),
                                       why, NULL, NULL);
    }
  else
    mp_message_list_set_placeholder (self->message_list, "mail-read-symbolic",
                                     _("No messages"),
                                     self->shown->len > 1
                                     ? _("There is no mail on any of your servers.")
                                     : _("There is no mail on this server."),
                                     NULL, NULL);
}

/* Marking as seen */

static gboolean
seen_timeout_cb (gpointer user_data)
{
  MpWindow *self = user_data;

  self->seen_id = 0;
  for (guint i = 0; i < self->shown->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (self->shown, i);
      guint n = g_list_model_get_n_items (G_LIST_MODEL (mailbox));
      g_autoptr(GPtrArray) keys = g_ptr_array_new ();

      if (mp_mailbox_get_n_unseen (mailbox) == 0)
        continue;
      for (guint j = 0; j < n; j++)
        {
          g_autoptr(MpMessage) message = g_list_model_get_item (G_LIST_MODEL (mailbox), j);

          if (mp_message_get_unseen (message))
            g_ptr_array_add (keys, (gpointer) mp_message_get_key (message));
        }
      g_ptr_array_add (keys, NULL);
      /* the keys are the messages' own strings: the call copies what it
       * keeps before it returns */
      mp_mailbox_mark_seen_async (mailbox, (const char * const *) keys->pdata, NULL, NULL, NULL);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_seen (MpWindow *self)
{
  g_clear_handle_id (&self->seen_id, g_source_remove);
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || !gtk_window_is_active (GTK_WINDOW (self)))
    return;
  for (guint i = 0; i < self->shown->len; i++)
    if (mp_mailbox_get_n_unseen (g_ptr_array_index (self->shown, i)) > 0)
      {
        self->seen_id = g_timeout_add (self->seen_delay, seen_timeout_cb, self);
        return;
      }
}

static void
shown_mailbox_notify_cb (MpMailbox  *mailbox,
                         GParamSpec *pspec,
                         MpWindow   *self)
{
  if (g_strcmp0 (pspec->name, "n-unseen") == 0)
    {
      /* mail that arrives while the user looks is seen a moment later */
      if (self->seen_id == 0)
        schedule_seen (self);
    }
  else if (g_strcmp0 (pspec->name, "status") == 0
           || g_strcmp0 (pspec->name, "n-messages") == 0
           || g_strcmp0 (pspec->name, "busy") == 0)
    update_state (self);
}

static void
unwatch_mailbox (gpointer data)
{
  MpMailbox *mailbox = data;

  g_signal_handlers_disconnect_matched (mailbox, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        shown_mailbox_notify_cb, NULL);
  g_object_unref (mailbox);
}

static void
watch_mailbox (MpWindow  *self,
               MpMailbox *mailbox)
{
  g_ptr_array_add (self->shown, g_object_ref (mailbox));
  g_signal_connect_object (mailbox, "notify", G_CALLBACK (shown_mailbox_notify_cb), self, 0);
}

static void
show_selected_account (MpWindow *self)
{
  MpMailbox *mailbox = mp_sidebar_get_selected_mailbox (self->sidebar);
  guint n = self->mailboxes != NULL ? g_list_model_get_n_items (self->mailboxes) : 0;

  g_ptr_array_set_size (self->shown, 0);
  if (mailbox != NULL)
    {
      MpAccount *account = mp_mailbox_get_account (mailbox);
      g_autofree char *label = NULL;

      /* the name the sidebar shows, else user@host */
      if (account != NULL && mp_account_get_name (account) != NULL && *mp_account_get_name (account) != '\0')
        label = g_strdup (mp_account_get_name (account));
      else if (account != NULL)
        label = mp_account_dup_label (account);
      watch_mailbox (self, mailbox);
      mp_message_list_set_messages (self->message_list, G_LIST_MODEL (mailbox));
      mp_message_list_set_show_account (self->message_list, FALSE);
      gtk_header_bar_set_subtitle (self->header_bar, label);
    }
  else
    {
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(MpMailbox) each = g_list_model_get_item (self->mailboxes, i);

          watch_mailbox (self, each);
        }
      mp_message_list_set_messages (self->message_list, self->all_messages);
      /* With a single account the column would repeat one name on every
       * row and take the width Subject needs.
       */
      mp_message_list_set_show_account (self->message_list, n > 1);
      gtk_header_bar_set_subtitle (self->header_bar, n > 0 ? _("All accounts") : NULL);
    }
  update_state (self);
  schedule_seen (self);
}

static void
sidebar_selection_cb (MpSidebar  *sidebar,
                      GParamSpec *pspec,
                      MpWindow   *self)
{
  show_selected_account (self);
}

static void
mailboxes_changed_cb (GListModel *mailboxes,
                      guint       position,
                      guint       removed,
                      guint       added,
                      MpWindow   *self)
{
  /* "All accounts" follows the set of mailboxes; a single one that was
   * removed is handled by the sidebar falling back to "All accounts" */
  if (mp_sidebar_get_selected_mailbox (self->sidebar) == NULL)
    {
      g_ptr_array_set_size (self->shown, 0);
      show_selected_account (self);
    }
  else
    update_state (self);
}

static void
list_selection_changed_cb (MpMessageList *list,
                           MpWindow      *self)
{
  g_autoptr(GPtrArray) selected = mp_message_list_get_selected (list);

  mp_message_view_set_selection (self->message_view,
                                 selected->len == 1 ? g_ptr_array_index (selected, 0) : NULL,
                                 selected->len);
  mp_window_update_actions (self);
}

static void
message_activated_cb (MpMessageList *list,
                      MpMessage     *message,
                      MpWindow      *self)
{
  g_action_group_activate_action (G_ACTION_GROUP (self), "open", NULL);
}

/* Settings */

static void
sort_changed_cb (MpMessageList *list,
                 GParamSpec    *pspec,
                 MpWindow      *self)
{
  g_settings_set_string (self->settings, "sort-column",
                         mp_message_list_sort_column_to_nick (mp_message_list_get_sort_column (list)));
  g_settings_set_boolean (self->settings, "sort-descending",
                          mp_message_list_get_sort_descending (list));
}

static void
load_settings (MpWindow *self)
{
  g_autofree char *sort = g_settings_get_string (self->settings, "sort-column");
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  mp_message_list_set_sort (self->message_list,
                            mp_message_list_sort_column_from_nick (sort),
                            g_settings_get_boolean (self->settings, "sort-descending"));

  g_signal_connect_object (self->message_list, "notify::sort-column",
                           G_CALLBACK (sort_changed_cb), self, 0);
  g_signal_connect_object (self->message_list, "notify::sort-descending",
                           G_CALLBACK (sort_changed_cb), self, 0);
}

static void
save_settings (MpWindow *self)
{
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
  if (!maximized)
    {
      int width, height;

      /* the unmaximized size, which is what the next start should use */
      gtk_window_get_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  /* within the schema's ranges, which writing outside of is a critical */
  g_settings_set_int (self->settings, "sidebar-width",
                      CLAMP (gtk_paned_get_position (self->sidebar_paned), 120, 1000));
  g_settings_set_int (self->settings, "pane-position",
                      CLAMP (gtk_paned_get_position (self->content_paned), 80, 4000));
  g_settings_apply (self->settings);
}

/* GtkWidget */

static gboolean
focus_is_editable (MpWindow *self)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));

  return focus != NULL && GTK_IS_EDITABLE (focus);
}

static gboolean
mp_window_key_press_event (GtkWidget   *widget,
                           GdkEventKey *event)
{
  MpWindow *self = MP_WINDOW (widget);
  GdkModifierType mods = event->state & gtk_accelerator_get_default_mod_mask ();

  /* Delete is not an accelerator: as one it would be taken from the
   * search entry too */
  if ((event->keyval == GDK_KEY_Delete || event->keyval == GDK_KEY_KP_Delete)
      && mods == 0 && !focus_is_editable (self))
    {
      if (g_action_group_get_action_enabled (G_ACTION_GROUP (self), "delete"))
        g_action_group_activate_action (G_ACTION_GROUP (self), "delete", NULL);
      return GDK_EVENT_STOP;
    }

  if (GTK_WIDGET_CLASS (mp_window_parent_class)->key_press_event (widget, event))
    return GDK_EVENT_STOP;

  if (event->keyval == GDK_KEY_Escape && mods == 0)
    {
      if (mp_message_list_get_search_mode (self->message_list))
        mp_message_list_set_search_mode (self->message_list, FALSE);
      else if (gtk_revealer_get_reveal_child (self->notice_revealer) && self->pending == NULL)
        mp_window_hide_notice (self);
      else
        mp_message_list_unselect_all (self->message_list);
      return GDK_EVENT_STOP;
    }

  /* type-to-search */
  if (!focus_is_editable (self))
    return mp_message_list_handle_event (self->message_list, (GdkEvent *) event);
  return GDK_EVENT_PROPAGATE;
}

static void
is_active_cb (MpWindow   *self,
              GParamSpec *pspec,
              gpointer    user_data)
{
  /* a glance counts only while the window has the focus */
  if (gtk_window_is_active (GTK_WINDOW (self)))
    schedule_seen (self);
  else
    g_clear_handle_id (&self->seen_id, g_source_remove);
}

static void
mp_window_size_allocate (GtkWidget     *widget,
                         GtkAllocation *allocation)
{
  MpWindow *self = MP_WINDOW (widget);

  GTK_WIDGET_CLASS (mp_window_parent_class)->size_allocate (widget, allocation);

  /* the panes keep a position clamped by the first, smaller allocations
   * a new window goes through: restore them once it is on screen */
  if (!self->panes_restored && gtk_widget_get_mapped (widget) && self->settings != NULL)
    {
      self->panes_restored = TRUE;
      gtk_paned_set_position (self->sidebar_paned, g_settings_get_int (self->settings, "sidebar-width"));
      gtk_paned_set_position (self->content_paned, g_settings_get_int (self->settings, "pane-position"));
    }
}

static void
mp_window_unmap (GtkWidget *widget)
{
  MpWindow *self = MP_WINDOW (widget);

  if (self->settings != NULL && self->panes_restored)
    save_settings (self);
  g_clear_handle_id (&self->seen_id, g_source_remove);
  /* a deletion the user did not undo goes ahead when the window closes */
  if (self->pending != NULL)
    mp_window_commit_pending (self);

  GTK_WIDGET_CLASS (mp_window_parent_class)->unmap (widget);
}

/* GObject */

static void
search_button_cb (GtkToggleButton *button,
                  MpWindow        *self)
{
  if (gtk_toggle_button_get_active (button) != mp_message_list_get_search_mode (self->message_list))
    mp_message_list_set_search_mode (self->message_list, gtk_toggle_button_get_active (button));
}

static void
search_mode_cb (MpMessageList *list,
                GParamSpec    *pspec,
                MpWindow      *self)
{
  gtk_toggle_button_set_active (self->search_button, mp_message_list_get_search_mode (list));
}

/* "application" is not a construct property: it is set after
 * constructed(), so the accelerators follow it here */
static void
application_notify_cb (MpWindow   *self,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "win.check-now", { "F5", "<Control>r", NULL } },
    { "win.download", { "<Control>s", NULL, NULL } },
    { "win.find", { "<Control>f", NULL, NULL } },
    { "win.close", { "<Control>w", NULL, NULL } },
    { "app.quit", { "<Control>q", NULL, NULL } },
  };
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (app == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

static void
mp_window_constructed (GObject *object)
{
  MpWindow *self = MP_WINDOW (object);

  G_OBJECT_CLASS (mp_window_parent_class)->constructed (object);

  if (self->mailboxes == NULL)
    self->mailboxes = G_LIST_MODEL (g_list_store_new (MP_TYPE_MAILBOX));
  self->all_messages = G_LIST_MODEL (mp_message_list_model_new (self->mailboxes));
  g_signal_connect_object (self->mailboxes, "items-changed",
                           G_CALLBACK (mailboxes_changed_cb), self, G_CONNECT_AFTER);

  load_settings (self);
  mp_sidebar_set_mailboxes (self->sidebar, self->mailboxes);
  show_selected_account (self);
  mp_window_update_actions (self);
}

static void
mp_window_dispose (GObject *object)
{
  MpWindow *self = MP_WINDOW (object);

  if (self->pending != NULL)
    mp_window_commit_pending (self);
  g_clear_handle_id (&self->seen_id, g_source_remove);
  g_clear_handle_id (&self->notice_id, g_source_remove);
  g_clear_handle_id (&self->pending_id, g_source_remove);
  if (self->shown != NULL)
    g_ptr_array_set_size (self->shown, 0);

  /* the parent's dispose unmaps the window, which saves its settings */
  G_OBJECT_CLASS (mp_window_parent_class)->dispose (object);

  g_clear_object (&self->all_messages);
  g_clear_object (&self->mailboxes);
  g_clear_object (&self->settings);
}

static void
mp_window_finalize (GObject *object)
{
  MpWindow *self = MP_WINDOW (object);

  g_clear_pointer (&self->shown, g_ptr_array_unref);

  G_OBJECT_CLASS (mp_window_parent_class)->finalize (object);
}

static void
mp_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  MpWindow *self = MP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      g_value_set_object (value, self->mailboxes);
      break;
    case PROP_UNDO_TIMEOUT:
      g_value_set_uint (value, self->undo_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  MpWindow *self = MP_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      self->mailboxes = g_value_dup_object (value);
      break;
    case PROP_UNDO_TIMEOUT:
      mp_window_set_undo_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_window_class_init (MpWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = mp_window_constructed;
  object_class->dispose = mp_window_dispose;
  object_class->finalize = mp_window_finalize;
  object_class->get_property = mp_window_get_property;
  object_class->set_property = mp_window_set_property;

  widget_class->key_press_event = mp_window_key_press_event;
  widget_class->unmap = mp_window_unmap;
  widget_class->size_allocate = mp_window_size_allocate;

  properties[PROP_MAILBOXES] =
    g_param_spec_object ("mailboxes", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));
  properties[PROP_UNDO_TIMEOUT] =
    g_param_spec_uint ("undo-timeout", NULL, NULL,
                       0, G_MAXUINT, UNDO_TIMEOUT_MSEC,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (MP_TYPE_SIDEBAR);
  g_type_ensure (MP_TYPE_MESSAGE_LIST);
  g_type_ensure (MP_TYPE_MESSAGE_VIEW);

  /* the templates' bundle registers itself when it is linked in, and a
   * static library links only what is referenced */
  mp_ui_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/mp-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MpWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, no_tray_bar);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, sidebar_paned);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, content_paned);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, message_list);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, message_view);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, notice_revealer);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, notice_label);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, notice_progress);
  gtk_widget_class_bind_template_child (widget_class, MpWindow, undo_button);
  gtk_widget_class_bind_template_callback (widget_class, notice_close_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, undo_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, no_tray_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, content_paned_focus_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_selection_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, message_activated_cb);
}

static void
name_internal_buttons (GtkWidget *widget,
                       gpointer   user_data)
{
  if (GTK_IS_BUTTON (widget))
    atk_object_set_name (gtk_widget_get_accessible (widget), user_data);
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), name_internal_buttons, user_data);
}

static void
mp_window_init (MpWindow *self)
{
  self->shown = g_ptr_array_new_with_free_func (unwatch_mailbox);
  self->seen_delay = SEEN_DELAY_MSEC;
  self->undo_timeout = UNDO_TIMEOUT_MSEC;
  self->settings = g_settings_new (APP_ID);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (self, "notify::is-active", G_CALLBACK (is_active_cb), NULL);
  g_signal_connect (self, "notify::application", G_CALLBACK (application_notify_cb), NULL);
  g_signal_connect_object (self->search_button, "toggled",
                           G_CALLBACK (search_button_cb), self, 0);
  g_signal_connect_object (self->message_list, "notify::search-mode",
                           G_CALLBACK (search_mode_cb), self, 0);

  /* the info bar's own close button */
  gtk_container_forall (GTK_CONTAINER (self->no_tray_bar),
                        name_internal_buttons, (gpointer) _("Close"));

  mp_window_actions_init (self);
}

/**
 * mp_window_new:
 * @application: (nullable): the application
 * @mailboxes: (nullable): a #GListModel of #MpMailbox, the poller's
 *
 * Returns: (transfer floating): a new preview window, showing "All
 *   accounts"; not yet shown
 */
GtkWidget *
mp_window_new (GtkApplication *application,
               GListModel     *mailboxes)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (mailboxes == NULL || G_IS_LIST_MODEL (mailboxes), NULL);

  return g_object_new (MP_TYPE_WINDOW,
                       "application", application,
                       "mailboxes", mailboxes,
                       NULL);
}

/**
 * mp_window_get_mailboxes:
 *
 * Returns: (transfer none): the list of mailboxes
 */
GListModel *
mp_window_get_mailboxes (MpWindow *self)
{
  g_return_val_if_fail (MP_IS_WINDOW (self), NULL);

  return self->mailboxes;
}

/**
 * mp_window_show_no_tray_notice:
 *
 * Says, in the window, that there is no system tray and the app lives in
 * this window. Call it once; the user can dismiss it.
 */
void
mp_window_show_no_tray_notice (MpWindow *self)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  gtk_info_bar_set_revealed (self->no_tray_bar, TRUE);
}

/**
 * mp_window_show:
 * @mailbox: (nullable): the account to show, %NULL for "All accounts"
 * @message: (nullable): a message to select
 *
 * Shows an account (or all of them) and selects @message. Does not
 * present the window.
 */
void
mp_window_show (MpWindow  *self,
                MpMailbox *mailbox,
                MpMessage *message)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  mp_sidebar_select_mailbox (self->sidebar, mailbox);
  if (message != NULL)
    {
      if (!mp_message_list_select_message (self->message_list, message))
        {
          /* hidden by a search: show everything and try again */
          mp_message_list_set_search_mode (self->message_list, FALSE);
          mp_message_list_select_message (self->message_list, message);
        }
    }
}

void
mp_window_set_undo_timeout (MpWindow *self,
                            guint     msec)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  if (self->undo_timeout == msec)
    return;
  self->undo_timeout = msec;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNDO_TIMEOUT]);
}

/**
 * mp_window_set_seen_delay:
 *
 * How long an account must be shown in the focused window before its
 * messages are marked seen (2 s); for tests.
 */
void
mp_window_set_seen_delay (MpWindow *self,
                          guint     msec)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  self->seen_delay = msec;
}

/**
 * mp_window_say_no_dialog:
 * @which: "accounts" or "preferences"
 *
 * Says in the notification bar how to do without the setup dialog
 * @which, which does not exist yet (the setup issue): "Add an Account…"
 * and the menu's "Accounts…" would otherwise do nothing at all. A
 * pending deletion keeps its Undo bar.
 */
void
mp_window_say_no_dialog (MpWindow   *self,
                         const char *which)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  if (self->pending != NULL)
    return;
  if (g_strcmp0 (which, "accounts") == 0)
    mp_window_set_notice (self,
                          _("Accounts cannot be set up in this window yet. "
                            "Add one from a terminal: mailpeek --add-account NAME --url pop3://USER@HOST"),
                          FALSE, 0);
  else
    mp_window_set_notice (self,
                          _("Preferences cannot be changed in this window yet. "
                            "They are the settings of io.github.mailpeek.Mailpeek (gsettings, dconf-editor)."),
                          FALSE, 0);
}

/**
 * mp_window_get_notice:
 *
 * Returns: (nullable): the text of the notification bar while it is
 *   shown, for tests
 */
const char *
mp_window_get_notice (MpWindow *self)
{
  g_return_val_if_fail (MP_IS_WINDOW (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->notice_revealer))
    return NULL;
  return gtk_label_get_text (self->notice_label);
}
