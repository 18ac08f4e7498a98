/* mp-sidebar-row.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-sidebar-row"

#include "config.h"

#include "mp-ui-resources.h"

#include <glib/gi18n.h>

#include "mp-sidebar-row.h"

struct _MpSidebarRow
{
  GtkListBoxRow  parent_instance;

  GtkStack      *icon_stack;
  GtkImage      *status_icon;
  GtkSpinner    *spinner;
  GtkLabel      *name_label;
  GtkLabel      *counts_label;
  GtkLabel      *error_label;
  GtkButton     *fix_button;

  MpMailbox     *mailbox;
  GListModel    *mailboxes;
  char          *status_text;
};

G_DEFINE_FINAL_TYPE (MpSidebarRow, mp_sidebar_row, GTK_TYPE_LIST_BOX_ROW)

/**
 * mp_sidebar_row_describe_status:
 *
 * Returns: (transfer full) (nullable): why @mailbox is not checked, in
 *   words, or %NULL when it is fine
 */
char *
mp_sidebar_row_describe_status (MpMailbox *mailbox)
{
  const GError *error = mp_mailbox_get_error (mailbox);

  switch (mp_mailbox_get_status (mailbox))
    {
    case MP_MAILBOX_STATUS_ERROR:
      /* the error says what failed ("Could not connect to …"); the
       * warning icon next to it says that it failed */
      if (error != NULL && error->message != NULL && *error->message != '\0')
        return g_strdup (error->message);
      return g_strdup (_("Could not check this mailbox; it is retried automatically."));
    case MP_MAILBOX_STATUS_OFFLINE:
      return g_strdup (_("Offline: checked again when the network is back."));
    case MP_MAILBOX_STATUS_NEEDS_PASSWORD:
      return g_strdup (_("The server did not accept the password, or none is stored."));
    case MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE:
      return g_strdup (_("The server’s certificate is not trusted, so nothing was sent to it."));
    case MP_MAILBOX_STATUS_LOGIN_DELAY:
      return g_strdup (_("The server asks for fewer logins; checked again later."));
    case MP_MAILBOX_STATUS_IDLE:
    case MP_MAILBOX_STATUS_CHECKING:
    case MP_MAILBOX_STATUS_OK:
    default:
      return NULL;
    }
}

static const char *
status_icon_name (MpMailbox *mailbox)
{
  switch (mp_mailbox_get_status (mailbox))
    {
    case MP_MAILBOX_STATUS_ERROR:
      return "dialog-warning-symbolic";
    case MP_MAILBOX_STATUS_OFFLINE:
      return "network-offline-symbolic";
    case MP_MAILBOX_STATUS_NEEDS_PASSWORD:
      return "dialog-password-symbolic";
    case MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE:
      return "security-low-symbolic";
    case MP_MAILBOX_STATUS_LOGIN_DELAY:
      return "alarm-symbolic";
    case MP_MAILBOX_STATUS_IDLE:
    case MP_MAILBOX_STATUS_CHECKING:
    case MP_MAILBOX_STATUS_OK:
    default:
      return mp_mailbox_get_n_unseen (mailbox) > 0 ? "mail-unread-symbolic" : "mail-read-symbolic";
    }
}

static void
update_fix_button (MpSidebarRow *self)
{
  GApplication *app = g_application_get_default ();
  MpAccount *account = mp_mailbox_get_account (self->mailbox);
  const char *action = NULL;
  const char *label = NULL;

  switch (mp_mailbox_get_status (self->mailbox))
    {
    case MP_MAILBOX_STATUS_NEEDS_PASSWORD:
      action = "account-password";
      label = _("_Enter Password…");
      break;
    case MP_MAILBOX_STATUS_UNTRUSTED_CERTIFICATE:
      action = "account-certificate";
      label = _("_Review Certificate…");
      break;
    case MP_MAILBOX_STATUS_IDLE:
    case MP_MAILBOX_STATUS_CHECKING:
    case MP_MAILBOX_STATUS_OK:
    case MP_MAILBOX_STATUS_ERROR:
    case MP_MAILBOX_STATUS_OFFLINE:
    case MP_MAILBOX_STATUS_LOGIN_DELAY:
    default:
      break;
    }

  /* hidden until the setup dialogs register their actions */
  if (action == NULL || account == NULL || !G_IS_ACTION_GROUP (app)
      || !g_action_group_has_action (G_ACTION_GROUP (app), action))
    {
      gtk_widget_hide (GTK_WIDGET (self->fix_button));
      return;
    }
  {
    g_autofree char *detailed = g_strdup_printf ("app.%s", action);

    gtk_button_set_label (self->fix_button, label);
    gtk_actionable_set_action_name (GTK_ACTIONABLE (self->fix_button), detailed);
    gtk_actionable_set_action_target (GTK_ACTIONABLE (self->fix_button), "s",
                                      mp_account_get_id (account));
    gtk_widget_show (GTK_WIDGET (self->fix_button));
  }
}

/* Whether @mailbox's count is not known: nothing listed, and either it
 * was not read yet (before or during its first check) or it is in
 * error. A "0" there would read as an empty mailbox. */
static gboolean
count_unknown (MpMailbox *mailbox)
{
  MpMailboxStatus status = mp_mailbox_get_status (mailbox);

  if (mp_mailbox_get_n_messages (mailbox) > 0)
    return FALSE;
  if (mp_mailbox_get_last_checked (mailbox) == NULL
      && (status == MP_MAILBOX_STATUS_IDLE || status == MP_MAILBOX_STATUS_CHECKING))
    return TRUE;
  return status != MP_MAILBOX_STATUS_IDLE && status != MP_MAILBOX_STATUS_CHECKING
         && status != MP_MAILBOX_STATUS_OK;
}

static void
set_counts (MpSidebarRow *self,
            guint         n_unseen,
            guint         n_messages,
            gboolean      unknown)
{
  g_autofree char *counts = NULL;
  g_autofree char *description = NULL;

  if (n_unseen > 0)
    /* Translators: unseen / total messages in the sidebar */
    counts = g_strdup_printf (C_("counts", "%u / %u"), n_unseen, n_messages);
  else
    counts = g_strdup_printf ("%u", n_messages);
  gtk_label_set_text (self->counts_label, counts);
  gtk_widget_set_visible (GTK_WIDGET (self->counts_label), !unknown);

  if (unknown && self->status_text != NULL)
    description = g_strdup (self->status_text);
  else if (unknown)
    /* before the first check, which starts at once */
    description = g_strdup (_("Checking…"));
  else
    description = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "%u message, %u unseen",
                                                "%u messages, %u unseen",
                                                n_messages),
                                   n_messages, n_unseen);
  if (self->status_text != NULL && !unknown)
    {
      g_autofree char *with_status = g_strconcat (description, ". ", self->status_text, NULL);

      g_free (description);
      description = g_steal_pointer (&with_status);
    }
  atk_object_set_description (gtk_widget_get_accessible (GTK_WIDGET (self)), description);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), description);
}

/**
 * mp_sidebar_row_update:
 *
 * Shows the current counts and status again.
 */
void
mp_sidebar_row_update (MpSidebarRow *self)
{
  g_return_if_fail (MP_IS_SIDEBAR_ROW (self));

  if (self->mailbox == NULL)
    {
      guint n = self->mailboxes != NULL ? g_list_model_get_n_items (self->mailboxes) : 0;
      guint n_unseen = 0, n_messages = 0;
      gboolean busy = FALSE;
      gboolean unknown = n > 0;

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);

          n_unseen += mp_mailbox_get_n_unseen (mailbox);
          n_messages += mp_mailbox_get_n_messages (mailbox);
          busy |= mp_mailbox_get_status (mailbox) == MP_MAILBOX_STATUS_CHECKING;
          unknown &= count_unknown (mailbox);
        }
      gtk_image_set_from_icon_name (self->status_icon,
                                    n_unseen > 0 ? "mail-unread-symbolic" : "mail-read-symbolic",
                                    GTK_ICON_SIZE_MENU);
      gtk_stack_set_visible_child_name (self->icon_stack, busy ? "spinner" : "icon");
      g_object_set (self->spinner, "active", busy, NULL);
      set_counts (self, n_unseen, n_messages, unknown);
      return;
    }

  {
    MpAccount *account = mp_mailbox_get_account (self->mailbox);
    g_autofree char *name = NULL;
    gboolean busy = mp_mailbox_get_status (self->mailbox) == MP_MAILBOX_STATUS_CHECKING;

    if (account != NULL && mp_account_get_name (account) != NULL && *mp_account_get_name (account) != '\0')
      name = g_strdup (mp_account_get_name (account));
    else if (account != NULL)
      name = mp_account_dup_label (account);
    gtk_label_set_text (self->name_label, name != NULL ? name : "");
    /* the accessible name stays the account's name, so tests and screen
     * readers find the row whatever its counts */
    atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), name != NULL ? name : "");

    g_free (self->status_text);
    self->status_text = mp_sidebar_row_describe_status (self->mailbox);
    gtk_label_set_text (self->error_label, self->status_text != NULL ? self->status_text : "");
    gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->status_text != NULL);

    gtk_image_set_from_icon_name (self->status_icon, status_icon_name (self->mailbox), GTK_ICON_SIZE_MENU);
    gtk_stack_set_visible_child_name (self->icon_stack, busy ? "spinner" : "icon");
    g_object_set (self->spinner, "active", busy, NULL);
    set_counts (self, mp_mailbox_get_n_unseen (self->mailbox), mp_mailbox_get_n_messages (self->mailbox),
                count_unknown (self->mailbox));
    update_fix_button (self);
  }
}

static void
mp_sidebar_row_dispose (GObject *object)
{
  MpSidebarRow *self = MP_SIDEBAR_ROW (object);

  g_clear_object (&self->mailbox);
  g_clear_object (&self->mailboxes);

  G_OBJECT_CLASS (mp_sidebar_row_parent_class)->dispose (object);
}

static void
mp_sidebar_row_finalize (GObject *object)
{
  MpSidebarRow *self = MP_SIDEBAR_ROW (object);

  g_clear_pointer (&self->status_text, g_free);

  G_OBJECT_CLASS (mp_sidebar_row_parent_class)->finalize (object);
}

static void
mp_sidebar_row_class_init (MpSidebarRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mp_sidebar_row_dispose;
  object_class->finalize = mp_sidebar_row_finalize;

  /* the templates' bundle registers itself when it is linked in, and a
   * static library links only what is referenced */
  mp_ui_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/mp-sidebar-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, counts_label);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, MpSidebarRow, fix_button);
}

static void
mp_sidebar_row_init (MpSidebarRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/**
 * mp_sidebar_row_new_for_mailbox:
 *
 * Returns: (transfer floating): a row for @mailbox; the sidebar calls
 *   mp_sidebar_row_update() when it changes
 */
GtkWidget *
mp_sidebar_row_new_for_mailbox (MpMailbox *mailbox)
{
  MpSidebarRow *self;

  g_return_val_if_fail (MP_IS_MAILBOX (mailbox), NULL);

  self = g_object_new (MP_TYPE_SIDEBAR_ROW, NULL);
  self->mailbox = g_object_ref (mailbox);
  mp_sidebar_row_update (self);
  return GTK_WIDGET (self);
}

/**
 * mp_sidebar_row_new_for_all:
 * @mailboxes: a #GListModel of #MpMailbox
 *
 * Returns: (transfer floating): the "All accounts" row
 */
GtkWidget *
mp_sidebar_row_new_for_all (GListModel *mailboxes)
{
  MpSidebarRow *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (mailboxes), NULL);

  self = g_object_new (MP_TYPE_SIDEBAR_ROW, NULL);
  self->mailboxes = g_object_ref (mailboxes);
  gtk_label_set_text (self->name_label, _("All accounts"));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), _("All accounts"));
  mp_sidebar_row_update (self);
  return GTK_WIDGET (self);
}

/**
 * mp_sidebar_row_get_mailbox:
 *
 * Returns: (transfer none) (nullable): its mailbox; %NULL for "All
 *   accounts"
 */
MpMailbox *
mp_sidebar_row_get_mailbox (MpSidebarRow *self)
{
  g_return_val_if_fail (MP_IS_SIDEBAR_ROW (self), NULL);

  return self->mailbox;
}

/**
 * mp_sidebar_row_get_status_text:
 *
 * Returns: (nullable): the reason shown for an account in error
 */
const char *
mp_sidebar_row_get_status_text (MpSidebarRow *self)
{
  g_return_val_if_fail (MP_IS_SIDEBAR_ROW (self), NULL);

  return self->status_text;
}
