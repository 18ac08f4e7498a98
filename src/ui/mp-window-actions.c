/* mp-window-actions.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the window does to messages: delete (with a few seconds to undo
 * before any server session starts), download, open in the mail client,
 * mark as read, check now. Each one only calls the mailbox; what was
 * really deleted or written is what the mailbox reports.
 */

#define G_LOG_DOMAIN "mp-window"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "mp-ui-util.h"
#include "mp-window-private.h"

/* Downloads smaller than this finish before a progress bar would mean
 * anything. */
#define PROGRESS_MIN_BYTES (256 * 1024)

/* Groups @messages by their mailbox: MpMailbox* -> GPtrArray of
 * MpMessage. Messages whose mailbox is gone are left out. */
static GHashTable *
group_by_mailbox (GPtrArray *messages)
{
  GHashTable *groups = g_hash_table_new_full (NULL, NULL, g_object_unref,
                                              (GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (messages, i);
      MpMailbox *mailbox = mp_message_get_mailbox (message);
      GPtrArray *group;

      if (mailbox == NULL)
        continue;
      group = g_hash_table_lookup (groups, mailbox);
      if (group == NULL)
        {
          group = g_ptr_array_new_with_free_func (g_object_unref);
          g_hash_table_insert (groups, g_object_ref (mailbox), group);
        }
      g_ptr_array_add (group, g_object_ref (message));
    }
  return groups;
}

static char *
describe_message (MpMessage *message)
{
  const char *subject = mp_message_get_subject (message);

  if (subject != NULL && *subject != '\0')
    return g_strdup_printf ("“%s”", subject);
  return g_strdup (_("A message without subject"));
}

/* Delete */

typedef struct
{
  GWeakRef   window;
  GPtrArray *messages;
} DeleteOp;

static void
delete_op_free (DeleteOp *op)
{
  g_weak_ref_clear (&op->window);
  g_ptr_array_unref (op->messages);
  g_free (op);
}

static void
delete_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  DeleteOp *op = user_data;
  g_autoptr(MpWindow) self = g_weak_ref_get (&op->window);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(GPtrArray) failed = g_ptr_array_new ();
  g_autofree char *text = NULL;
  const char *why = NULL;
  guint n_deleted = 0;

  outcomes = mp_mailbox_delete_finish (MP_MAILBOX (object), result, &error);

  for (guint i = 0; i < op->messages->len; i++)
    {
      MpMessage *message = g_ptr_array_index (op->messages, i);
      const MpTransferOutcome *outcome = NULL;

      for (guint j = 0; outcomes != NULL && j < outcomes->len; j++)
        {
          const MpTransferOutcome *o = g_ptr_array_index (outcomes, j);

          if (g_strcmp0 (o->uid, mp_message_get_uid (message)) == 0)
            outcome = o;
        }
      if (outcome != NULL && outcome->deleted)
        n_deleted++;
      else
        {
          g_ptr_array_add (failed, message);
          if (why == NULL)
            why = outcome != NULL && outcome->error != NULL ? outcome->error->message
                  : error != NULL ? error->message
                  : _("the server did not confirm it");
        }
    }

  if (self == NULL)
    {
      delete_op_free (op);
      return;
    }

  self->deletes_running--;
  /* what was not deleted comes back into the list */
  if (failed->len > 0)
    mp_message_list_unhide_messages (self->message_list, failed);

  if (failed->len == 0)
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u message deleted from the server",
                                         "%u messages deleted from the server",
                                         n_deleted),
                            n_deleted);
  else if (failed->len == 1)
    {
      g_autofree char *what = describe_message (g_ptr_array_index (failed, 0));

      /* Translators: "“Subject” not deleted: why" */
      text = g_strdup_printf (_("%s not deleted: %s"), what, why);
    }
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u message not deleted: %s",
                                         "%u messages not deleted: %s",
                                         failed->len),
                            failed->len, why);
  mp_window_set_notice (self, text, FALSE, failed->len == 0 ? 4000 : 0);
  delete_op_free (op);
}

/*
 * mp_window_commit_pending:
 *
 * Starts the server sessions of the deletion waiting in the undo bar.
 */
void
mp_window_commit_pending (MpWindow *self)
{
  g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending);
  g_autoptr(GHashTable) groups = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_clear_handle_id (&self->pending_id, g_source_remove);
  if (pending == NULL)
    return;

  groups = group_by_mailbox (pending);
  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      DeleteOp *op = g_new0 (DeleteOp, 1);

      g_weak_ref_init (&op->window, self);
      op->messages = g_ptr_array_ref (value);
      self->deletes_running++;
      /* no cancellable: closing the window must not stop a deletion the
       * user confirmed by letting the bar go */
      mp_mailbox_delete_async (MP_MAILBOX (key), op->messages, NULL, NULL, NULL,
                               delete_cb, op);
    }

  mp_window_set_notice (self, g_dngettext (GETTEXT_PACKAGE,
                                           "Deleting the message on the server…",
                                           "Deleting the messages on the server…",
                                           pending->len),
                        FALSE, 0);
}

static gboolean
pending_timeout_cb (gpointer user_data)
{
  MpWindow *self = user_data;

  self->pending_id = 0;
  mp_window_commit_pending (self);
  return G_SOURCE_REMOVE;
}

static void
delete_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  MpWindow *self = user_data;
  g_autoptr(GPtrArray) selected = mp_message_list_get_selected (self->message_list);
  g_autofree char *text = NULL;

  if (selected->len == 0)
    return;

  /* one undo bar at a time: an earlier deletion goes ahead now */
  mp_window_commit_pending (self);

  mp_message_list_hide_messages (self->message_list, selected);
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u message deleted",
                                       "%u messages deleted",
                                       selected->len),
                          selected->len);
  self->pending = g_steal_pointer (&selected);
  mp_window_set_notice (self, text, TRUE, 0);
  self->pending_id = g_timeout_add (self->undo_timeout, pending_timeout_cb, self);
}

/* Download */

typedef struct
{
  GWeakRef  window;
  guint64   total_bytes;
  char     *directory;
  gboolean  open;
} DownloadOp;

static void
download_op_free (DownloadOp *op)
{
  g_weak_ref_clear (&op->window);
  g_free (op->directory);
  g_free (op);
}

static void
download_progress_cb (guint    done,
                      guint    total,
                      guint64  bytes,
                      guint64  total_bytes,
                      gpointer user_data)
{
  DownloadOp *op = user_data;
  g_autoptr(MpWindow) self = g_weak_ref_get (&op->window);

  if (self == NULL || total_bytes < PROGRESS_MIN_BYTES)
    return;
  gtk_widget_show (GTK_WIDGET (self->notice_progress));
  gtk_progress_bar_set_fraction (self->notice_progress,
                                 total_bytes > 0 ? (double) bytes / (double) total_bytes : 0);
}

static void
launch_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(MpWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The message could not be opened: %s"), error->message);

      mp_window_set_notice (self, text, FALSE, 0);
    }
  else
    mp_window_hide_notice (self);
}

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  DownloadOp *op = user_data;
  g_autoptr(MpWindow) self = g_weak_ref_get (&op->window);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autofree char *text = NULL;
  const char *why = NULL;
  const char *path = NULL;
  guint n_saved = 0, n_failed = 0;

  outcomes = mp_mailbox_download_finish (MP_MAILBOX (object), result, &error);
  if (self == NULL)
    {
      download_op_free (op);
      return;
    }

  for (guint i = 0; outcomes != NULL && i < outcomes->len; i++)
    {
      const MpTransferOutcome *o = g_ptr_array_index (outcomes, i);

      if (o->path != NULL && o->error == NULL)
        {
          n_saved++;
          path = o->path;
        }
      else
        {
          n_failed++;
          if (why == NULL && o->error != NULL)
            why = o->error->message;
        }
    }
  if (outcomes == NULL)
    {
      n_failed = 1;
      why = error != NULL ? error->message : _("unknown error");
    }

  if (op->open)
    {
      if (path == NULL)
        {
          text = g_strdup_printf (_("The message could not be opened: %s"), why);
          mp_window_set_notice (self, text, FALSE, 0);
        }
      else
        {
          g_autoptr(GFile) file = g_file_new_for_path (path);
          g_autofree char *uri = g_file_get_uri (file);
          g_autoptr(GAppLaunchContext) context = mp_ui_new_launch_context (GTK_WIDGET (self));

          g_app_info_launch_default_for_uri_async (uri, context, NULL,
                                                   launch_cb, g_object_ref (self));
        }
      download_op_free (op);
      return;
    }

  if (n_failed == 0)
    {
      g_autofree char *folder = g_filename_display_basename (op->directory);

      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u message saved in “%s”",
                                           "%u messages saved in “%s”",
                                           n_saved),
                              n_saved, folder);
      mp_window_set_notice (self, text, FALSE, 4000);
    }
  else
    {
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%u message not saved: %s",
                                           "%u messages not saved: %s",
                                           n_failed),
                              n_failed, why != NULL ? why : _("unknown error"));
      mp_window_set_notice (self, text, FALSE, 0);
    }
  download_op_free (op);
}

static void
start_download (MpWindow   *self,
                GPtrArray  *messages,
                const char *directory,
                gboolean    open)
{
  g_autoptr(GHashTable) groups = group_by_mailbox (messages);
  GHashTableIter iter;
  gpointer key, value;

  mp_window_set_notice (self,
                        open ? _("Getting the message from the server…")
                             : g_dngettext (GETTEXT_PACKAGE,
                                            "Downloading the message…",
                                            "Downloading the messages…",
                                            messages->len),
                        FALSE, 0);

  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *group = value;
      DownloadOp *op = g_new0 (DownloadOp, 1);

      g_weak_ref_init (&op->window, self);
      op->directory = g_strdup (directory);
      op->open = open;
      for (guint i = 0; i < group->len; i++)
        op->total_bytes += mp_message_get_size (g_ptr_array_index (group, i));
      mp_mailbox_download_async (MP_MAILBOX (key), group, directory, MP_DOWNLOAD_NONE,
                                 download_progress_cb, op, NULL, download_cb, op);
    }
}

/*
 * mp_window_download_to:
 * @messages: (element-type MpMessage): what to download
 *
 * Downloads @messages into @directory (what the folder chooser's answer
 * starts), with progress and the result in the notification bar.
 */
void
mp_window_download_to (MpWindow   *self,
                       GPtrArray  *messages,
                       const char *directory)
{
  g_return_if_fail (MP_IS_WINDOW (self));

  if (messages->len > 0)
    start_download (self, messages, directory, FALSE);
}

static char *
default_download_folder (MpWindow  *self,
                         GPtrArray *messages)
{
  MpMailbox *mailbox = messages->len > 0 ? mp_message_get_mailbox (g_ptr_array_index (messages, 0)) : NULL;
  MpAccount *account = mailbox != NULL ? mp_mailbox_get_account (mailbox) : NULL;
  g_autofree char *global = g_settings_get_string (self->settings, "download-folder");
  const char *folder = NULL;

  if (account != NULL && mp_account_get_download_folder (account) != NULL
      && *mp_account_get_download_folder (account) != '\0')
    folder = mp_account_get_download_folder (account);
  else if (global != NULL && *global != '\0')
    folder = global;
  else
    folder = g_get_user_special_dir (G_USER_DIRECTORY_DOWNLOAD);
  if (folder == NULL)
    folder = g_get_home_dir ();
  return g_strdup (folder);
}

static void
chooser_response_cb (GtkNativeDialog *dialog,
                     int              response,
                     gpointer         user_data)
{
  g_autoptr(MpWindow) self = user_data;
  GPtrArray *messages = g_object_get_data (G_OBJECT (dialog), "mp-messages");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = folder != NULL ? g_file_get_path (folder) : NULL;

      if (path != NULL)
        mp_window_download_to (self, messages, path);
    }
  g_object_unref (dialog);
}

static void
download_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  MpWindow *self = user_data;
  g_autoptr(GPtrArray) selected = mp_message_list_get_selected (self->message_list);
  g_autofree char *folder = NULL;
  g_autoptr(GFile) file = NULL;
  GtkFileChooserNative *chooser;

  if (selected->len == 0)
    return;

  folder = default_download_folder (self, selected);
  chooser = gtk_file_chooser_native_new (g_dngettext (GETTEXT_PACKAGE,
                                                      "Download the Message To",
                                                      "Download the Messages To",
                                                      selected->len),
                                         GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                         _("_Download"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_mkdir_with_parents (folder, 0700);
  file = g_file_new_for_path (folder);
  gtk_file_chooser_set_current_folder_file (GTK_FILE_CHOOSER (chooser), file, NULL);
  g_object_set_data_full (G_OBJECT (chooser), "mp-messages",
                          g_steal_pointer (&selected), (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Open in the mail client */

static void
open_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MpWindow *self = user_data;
  g_autoptr(GPtrArray) selected = mp_message_list_get_selected (self->message_list);
  g_autoptr(GAppInfo) handler = NULL;
  g_autofree char *directory = NULL;

  if (selected->len != 1)
    return;

  /* say so before fetching anything from the server */
  handler = g_app_info_get_default_for_type ("message/rfc822", FALSE);
  if (handler == NULL)
    {
      mp_window_set_notice (self, _("No mail client is installed to open the message with. Download it instead."),
                            FALSE, 0);
      return;
    }

  directory = g_build_filename (g_get_user_cache_dir (), "mailpeek", "open", NULL);
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      g_autofree char *text = g_strdup_printf (_("The message could not be opened: %s"), g_strerror (errno));

      mp_window_set_notice (self, text, FALSE, 0);
      return;
    }
  start_download (self, selected, directory, TRUE);
}

/* The rest */

static void
mark_read_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  MpWindow *self = user_data;
  g_autoptr(GPtrArray) selected = mp_message_list_get_selected (self->message_list);
  g_autoptr(GHashTable) groups = group_by_mailbox (selected);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *group = value;
      g_autoptr(GPtrArray) keys = g_ptr_array_new ();

      for (guint i = 0; i < group->len; i++)
        g_ptr_array_add (keys, (gpointer) mp_message_get_key (g_ptr_array_index (group, i)));
      g_ptr_array_add (keys, NULL);
      mp_mailbox_mark_seen_async (MP_MAILBOX (key), (const char * const *) keys->pdata, NULL, NULL, NULL);
    }
}

static void
check_now_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  MpWindow *self = user_data;
  MpMailbox *selected = mp_sidebar_get_selected_mailbox (self->sidebar);
  guint n = g_list_model_get_n_items (self->mailboxes);

  if (selected != NULL)
    {
      mp_mailbox_check_now (selected);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);

      mp_mailbox_check_now (mailbox);
    }
}

static void
find_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MpWindow *self = user_data;

  mp_message_list_set_search_mode (self->message_list, TRUE);
}

static void
close_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  gtk_window_close (GTK_WINDOW (user_data));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  static const char *authors[] = { "The Mailpeek authors", NULL };

  gtk_show_about_dialog (GTK_WINDOW (user_data),
                         "program-name", _("Mailpeek"),
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("See who wrote to you on your POP3 servers, without downloading anything"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry win_actions[] = {
  { "check-now", check_now_activated },
  { "delete", delete_activated },
  { "download", download_activated },
  { "open", open_activated },
  { "mark-read", mark_read_activated },
  { "find", find_activated },
  { "close", close_activated },
  { "about", about_activated },
};

void
mp_window_actions_init (MpWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
}

/*
 * mp_window_update_actions:
 *
 * Enables the message actions for the selection.
 */
void
mp_window_update_actions (MpWindow *self)
{
  guint n = mp_message_list_get_n_selected (self->message_list);
  static const char * const need_selection[] = { "delete", "download", "mark-read" };

  for (guint i = 0; i < G_N_ELEMENTS (need_selection); i++)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self),
                                                                              need_selection[i])),
                                 n > 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "open")),
                               n == 1);
}
