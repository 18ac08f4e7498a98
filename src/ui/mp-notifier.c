/* mp-notifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-notifier"

#include "config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>
#include <string.h>

#include "mp-notifier.h"

#include "mp-mailbox.h"
#include "mp-message.h"
#include "mp-ui-util.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
/* libnotify's calls are synchronous D-Bus calls. They are only made while
 * the name has an owner, and our own capability query is bounded by this.
 */
#define CAPS_TIMEOUT_MS 5000
/* Lines of a summary notification before "and N more". */
#define SUMMARY_LINES 4

struct _MpNotifier
{
  GObject       parent_instance;

  GListModel   *mailboxes;
  GSettings    *settings;
  GPtrArray    *watched;        /* MpMailbox with our ::messages-arrived handler */
  GPtrArray    *live;           /* NotifyNotification still on screen */
  GPtrArray    *pending;        /* Batch waiting for the capabilities */
  GCancellable *cancellable;
  char        **caps;
  guint         watch_id;
  gboolean      server_present;
  gboolean      do_not_disturb;
};

G_DEFINE_FINAL_TYPE (MpNotifier, mp_notifier, G_TYPE_OBJECT)

/* libnotify before 0.8.2 has no autoptr for its type; an alias of our own
 * works whichever version is installed.
 */
typedef NotifyNotification MpNotification;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpNotification, g_object_unref)

enum {
  PROP_0,
  PROP_MAILBOXES,
  PROP_SETTINGS,
  PROP_DO_NOT_DISTURB,
  PROP_SERVER_PRESENT,
  N_PROPS
};

enum {
  SIGNAL_SHOW_MESSAGE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* What an action of a notification acts on; shared by its actions. */
typedef struct
{
  MpNotifier *notifier;         /* not a reference: dispose clears actions */
  MpMailbox  *mailbox;
  GPtrArray  *messages;         /* MpMessage */
} Announcement;

static void
announcement_free (gpointer data)
{
  Announcement *announcement = data;

  g_clear_object (&announcement->mailbox);
  g_clear_pointer (&announcement->messages, g_ptr_array_unref);
}

static Announcement *
announcement_new (MpNotifier *notifier,
                  MpMailbox  *mailbox,
                  GPtrArray  *messages)
{
  Announcement *announcement = g_rc_box_new0 (Announcement);

  announcement->notifier = notifier;
  announcement->mailbox = g_object_ref (mailbox);
  announcement->messages = g_ptr_array_ref (messages);

  return announcement;
}

static void
announcement_unref (gpointer data)
{
  g_rc_box_release_full (data, announcement_free);
}

static gboolean
has_cap (MpNotifier *self,
         const char *cap)
{
  return self->caps != NULL && g_strv_contains ((const char * const *) self->caps, cap);
}

static const char *
message_sender (MpMessage *message)
{
  const char *sender = mp_message_get_from_name (message);

  if (sender == NULL || *sender == '\0')
    sender = mp_message_get_from_address (message);
  if (sender == NULL || *sender == '\0')
    sender = mp_message_get_from (message);
  if (sender == NULL || *sender == '\0')
    sender = _("Unknown sender");

  return sender;
}

static const char *
message_subject (MpMessage *message)
{
  const char *subject = mp_message_get_subject (message);

  return subject != NULL && *subject != '\0' ? subject : _("(no subject)");
}

/* The body is markup when the server says so (the spec's body-markup):
 * then everything from a message has to be escaped.
 */
static void
append_body_text (MpNotifier *self,
                  GString    *body,
                  const char *text)
{
  if (has_cap (self, "body-markup"))
    {
      g_autofree char *escaped = g_markup_escape_text (text, -1);

      g_string_append (body, escaped);
    }
  else
    {
      g_string_append (body, text);
    }
}

static char *
snippet_first_line (MpMessage *message)
{
  const char *snippet = mp_message_get_snippet (message);
  const char *end;

  if (snippet == NULL)
    return NULL;
  while (*snippet == '\n' || *snippet == '\r' || *snippet == ' ')
    snippet++;
  end = strpbrk (snippet, "\r\n");
  if (end == snippet || *snippet == '\0')
    return NULL;

  return end != NULL ? g_strndup (snippet, end - snippet) : g_strdup (snippet);
}

static void
notification_closed_cb (NotifyNotification *notification,
                        MpNotifier         *self)
{
  g_ptr_array_remove (self->live, notification);
}

static NotifyNotification *
notification_new (MpNotifier *self,
                  const char *summary,
                  const char *body)
{
  NotifyNotification *notification = notify_notification_new (summary, body, APP_ID);

  notify_notification_set_app_name (notification, _("Mailpeek"));
  notify_notification_set_category (notification, "email.arrived");
  notify_notification_set_hint (notification, "desktop-entry", g_variant_new_string (APP_ID));
  if (self->settings != NULL && g_settings_get_boolean (self->settings, "sound"))
    notify_notification_set_hint (notification, "sound-name",
                                  g_variant_new_string ("message-new-email"));

  return notification;
}

static gboolean
show (MpNotifier         *self,
      NotifyNotification *notification)
{
  g_autoptr(GError) error = NULL;

  if (!notify_notification_show (notification, &error))
    {
      g_warning ("Could not show a notification: %s", error->message);
      return FALSE;
    }
  g_ptr_array_add (self->live, g_object_ref (notification));
  g_signal_connect_object (notification, "closed",
                           G_CALLBACK (notification_closed_cb), self, 0);

  return TRUE;
}

static void
mark_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean (*finish) (MpMailbox *, GAsyncResult *, GError **) = user_data;

  if (!finish (MP_MAILBOX (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not save the seen-state: %s", error->message);
}

static void
mark (MpNotifier *self,
      MpMailbox  *mailbox,
      GPtrArray  *messages,
      gboolean    seen_too)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();

  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (keys, (gpointer) mp_message_get_key (g_ptr_array_index (messages, i)));
  g_ptr_array_add (keys, NULL);

  mp_mailbox_mark_announced_async (mailbox, (const char * const *) keys->pdata,
                                   self->cancellable, mark_done_cb,
                                   mp_mailbox_mark_announced_finish);
  if (seen_too)
    mp_mailbox_mark_seen_async (mailbox, (const char * const *) keys->pdata,
                                self->cancellable, mark_done_cb,
                                mp_mailbox_mark_seen_finish);
}

static void
close_notification (NotifyNotification *notification)
{
  g_autoptr(GError) error = NULL;

  if (!notify_notification_close (notification, &error))
    g_debug ("Could not close a notification: %s", error->message);
}

static void
action_default_cb (NotifyNotification *notification,
                   char               *action,
                   gpointer            user_data)
{
  Announcement *announcement = user_data;
  MpMessage *message = NULL;

  if (announcement->messages->len == 1)
    message = g_ptr_array_index (announcement->messages, 0);
  g_signal_emit (announcement->notifier, signals[SIGNAL_SHOW_MESSAGE], 0,
                 announcement->mailbox, message);
}

static void
action_mark_read_cb (NotifyNotification *notification,
                     char               *action,
                     gpointer            user_data)
{
  Announcement *announcement = user_data;

  mark (announcement->notifier, announcement->mailbox, announcement->messages, TRUE);
  close_notification (notification);
}

static void
delete_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Announcement *announcement = user_data;
  MpNotifier *self = announcement->notifier;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) deleted = NULL;
  g_autoptr(MpNotification) notification = NULL;
  MpMessage *message = g_ptr_array_index (announcement->messages, 0);
  g_autofree char *summary = NULL;

  deleted = mp_mailbox_delete_finish (MP_MAILBOX (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      announcement_unref (announcement);
      return;
    }

  /* Only what the server confirmed (QUIT +OK) counts as deleted. */
  if (deleted != NULL && deleted->len > 0)
    summary = g_strdup (_("Message deleted"));
  else if (error != NULL)
    summary = g_strdup_printf (_("Message not deleted: %s"), error->message);
  else
    summary = g_strdup (_("Message not deleted: it is no longer on the server"));

  if (self->server_present)
    {
      notification = notification_new (self, summary, message_subject (message));
      notify_notification_set_category (notification, "email");
      notify_notification_set_timeout (notification, 5000);
      show (self, notification);
    }
  announcement_unref (announcement);
}

static void
action_delete_cb (NotifyNotification *notification,
                  char               *action,
                  gpointer            user_data)
{
  Announcement *announcement = user_data;
  MpNotifier *self = announcement->notifier;

  close_notification (notification);
  mp_mailbox_delete_async (announcement->mailbox, announcement->messages,
                           NULL, NULL, self->cancellable, delete_done_cb,
                           g_rc_box_acquire (announcement));
}

static void
add_actions (MpNotifier         *self,
             NotifyNotification *notification,
             MpMailbox          *mailbox,
             GPtrArray          *messages)
{
  Announcement *announcement;

  if (!has_cap (self, "actions"))
    return;

  announcement = announcement_new (self, mailbox, messages);
  notify_notification_add_action (notification, "default", _("Open"),
                                  action_default_cb,
                                  g_rc_box_acquire (announcement), announcement_unref);
  if (messages->len == 1)
    notify_notification_add_action (notification, "delete", _("Delete"),
                                    action_delete_cb,
                                    g_rc_box_acquire (announcement), announcement_unref);
  notify_notification_add_action (notification, "mark-read", _("Mark as read"),
                                  action_mark_read_cb,
                                  g_rc_box_acquire (announcement), announcement_unref);
  announcement_unref (announcement);
}

static gboolean
may_notify (MpNotifier *self,
            MpMailbox  *mailbox)
{
  MpAccount *account = mp_mailbox_get_account (mailbox);

  if (self->do_not_disturb)
    return FALSE;
  if (self->settings != NULL && !g_settings_get_boolean (self->settings, "notifications"))
    return FALSE;
  if (account != NULL && !mp_account_get_notify (account))
    return FALSE;

  return self->server_present;
}

static void
announce (MpNotifier *self,
          MpMailbox  *mailbox,
          GPtrArray  *messages)
{
  g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func (g_object_unref);

  if (messages->len == 0 || !may_notify (self, mailbox))
    return;

  if (messages->len <= MP_NOTIFIER_MAX_SINGLE)
    {
      for (guint i = 0; i < messages->len; i++)
        {
          MpMessage *message = g_ptr_array_index (messages, i);
          g_autoptr(MpNotification) notification = NULL;
          g_autoptr(GString) body = g_string_new (NULL);
          g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func (g_object_unref);
          g_autofree char *first_line = snippet_first_line (message);

          append_body_text (self, body, message_subject (message));
          if (first_line != NULL)
            {
              g_string_append_c (body, '\n');
              append_body_text (self, body, first_line);
            }
          /* The summary is plain text in every server. */
          notification = notification_new (self, message_sender (message), body->str);
          g_ptr_array_add (one, g_object_ref (message));
          add_actions (self, notification, mailbox, one);
          if (show (self, notification))
            g_ptr_array_add (shown, g_object_ref (message));
        }
    }
  else
    {
      g_autoptr(MpNotification) notification = NULL;
      g_autoptr(GString) body = g_string_new (NULL);
      g_autofree char *summary = NULL;
      MpAccount *account = mp_mailbox_get_account (mailbox);
      const char *name = account != NULL ? mp_account_get_name (account) : NULL;
      g_autofree char *label = name != NULL && *name != '\0' ? g_strdup (name)
        : account != NULL ? mp_account_dup_label (account) : NULL;

      summary = g_strdup_printf (ngettext ("%u new message in %s",
                                           "%u new messages in %s", messages->len),
                                 messages->len, label != NULL ? label : "");
      for (guint i = 0; i < messages->len && i < SUMMARY_LINES; i++)
        {
          MpMessage *message = g_ptr_array_index (messages, i);
          g_autofree char *line = g_strdup_printf ("%s: %s", message_sender (message),
                                                   message_subject (message));

          if (i > 0)
            g_string_append_c (body, '\n');
          append_body_text (self, body, line);
        }
      if (messages->len > SUMMARY_LINES)
        {
          guint more = messages->len - SUMMARY_LINES;
          g_autofree char *line = g_strdup_printf (ngettext ("and %u more", "and %u more", more),
                                                   more);

          g_string_append_c (body, '\n');
          append_body_text (self, body, line);
        }
      notification = notification_new (self, summary, body->str);
      add_actions (self, notification, mailbox, messages);
      if (show (self, notification))
        for (guint i = 0; i < messages->len; i++)
          g_ptr_array_add (shown, g_object_ref (g_ptr_array_index (messages, i)));
    }

  /* After showing, never before: a message whose notification failed
   * stays new and is announced on a later poll.
   */
  if (shown->len > 0)
    mark (self, mailbox, shown, FALSE);
}

typedef struct
{
  MpMailbox *mailbox;
  GPtrArray *messages;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_object_unref (pending->mailbox);
  g_ptr_array_unref (pending->messages);
  g_free (pending);
}

static void
messages_arrived_cb (MpMailbox  *mailbox,
                     GPtrArray  *messages,
                     MpNotifier *self)
{
  if (messages == NULL || messages->len == 0 || !may_notify (self, mailbox))
    return;

  /* The server appeared but has not told us what it can do yet. */
  if (self->caps == NULL)
    {
      Pending *pending = g_new0 (Pending, 1);

      pending->mailbox = g_object_ref (mailbox);
      pending->messages = g_ptr_array_ref (messages);
      g_ptr_array_add (self->pending, pending);
      return;
    }

  announce (self, mailbox, messages);
}

static void
flush_pending (MpNotifier *self)
{
  g_autoptr(GPtrArray) pending = g_steal_pointer (&self->pending);

  self->pending = g_ptr_array_new_with_free_func (pending_free);
  for (guint i = 0; i < pending->len; i++)
    {
      Pending *p = g_ptr_array_index (pending, i);

      announce (self, p->mailbox, p->messages);
    }
}

static void
get_caps_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(MpNotifier) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_pointer (&self->caps, g_strfreev);
  if (reply != NULL)
    {
      g_variant_get (reply, "(^as)", &self->caps);
    }
  else
    {
      g_warning ("The notification server did not say what it can do: %s", error->message);
      self->caps = g_new0 (char *, 1);
    }
  g_debug ("notification server capabilities: %s",
           self->caps[0] != NULL ? self->caps[0] : "(none)");
  flush_pending (self);
}

static void
name_appeared_cb (GDBusConnection *connection,
                  const char      *name,
                  const char      *owner,
                  gpointer         user_data)
{
  MpNotifier *self = user_data;

  self->server_present = TRUE;
  g_clear_pointer (&self->caps, g_strfreev);
  g_dbus_connection_call (connection, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH,
                          NOTIFICATIONS_NAME, "GetCapabilities", NULL,
                          G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE,
                          CAPS_TIMEOUT_MS, self->cancellable, get_caps_cb,
                          g_object_ref (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_PRESENT]);
}

static void
name_vanished_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  MpNotifier *self = user_data;

  g_clear_pointer (&self->caps, g_strfreev);
  g_ptr_array_set_size (self->pending, 0);
  /* Their notifications are gone with the server. */
  for (guint i = 0; i < self->live->len; i++)
    notify_notification_clear_actions (g_ptr_array_index (self->live, i));
  g_ptr_array_set_size (self->live, 0);
  if (self->server_present)
    {
      self->server_present = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_PRESENT]);
    }
}

static void
mailboxes_changed_cb (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      MpNotifier *self)
{
  mp_watch_items (self->watched, model, "messages-arrived", G_CALLBACK (messages_arrived_cb), self);
}

static void
mp_notifier_constructed (GObject *object)
{
  MpNotifier *self = MP_NOTIFIER (object);

  G_OBJECT_CLASS (mp_notifier_parent_class)->constructed (object);

  if (!notify_is_initted ())
    notify_init (_("Mailpeek"));

  g_signal_connect_object (self->mailboxes, "items-changed",
                           G_CALLBACK (mailboxes_changed_cb), self, 0);
  mailboxes_changed_cb (self->mailboxes, 0, 0, 0, self);

  self->watch_id = g_bus_watch_name (G_BUS_TYPE_SESSION, NOTIFICATIONS_NAME,
                                     G_BUS_NAME_WATCHER_FLAGS_NONE,
                                     name_appeared_cb, name_vanished_cb,
                                     self, NULL);
}

static void
mp_notifier_dispose (GObject *object)
{
  MpNotifier *self = MP_NOTIFIER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->watched != NULL)
    mp_unwatch_items (self->watched, G_CALLBACK (messages_arrived_cb), self);
  if (self->live != NULL)
    {
      /* Their actions point at us. */
      for (guint i = 0; i < self->live->len; i++)
        {
          NotifyNotification *notification = g_ptr_array_index (self->live, i);

          g_signal_handlers_disconnect_by_data (notification, self);
          notify_notification_clear_actions (notification);
        }
      g_ptr_array_set_size (self->live, 0);
    }
  if (self->pending != NULL)
    g_ptr_array_set_size (self->pending, 0);
  g_clear_object (&self->mailboxes);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (mp_notifier_parent_class)->dispose (object);
}

static void
mp_notifier_finalize (GObject *object)
{
  MpNotifier *self = MP_NOTIFIER (object);

  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->live, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->caps, g_strfreev);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (mp_notifier_parent_class)->finalize (object);
}

static void
mp_notifier_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  MpNotifier *self = MP_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      g_value_set_object (value, self->mailboxes);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_DO_NOT_DISTURB:
      g_value_set_boolean (value, self->do_not_disturb);
      break;
    case PROP_SERVER_PRESENT:
      g_value_set_boolean (value, self->server_present);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_notifier_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  MpNotifier *self = MP_NOTIFIER (object);

  switch (prop_id)
    {
    case PROP_MAILBOXES:
      self->mailboxes = g_value_dup_object (value);
      break;
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_DO_NOT_DISTURB:
      mp_notifier_set_do_not_disturb (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_notifier_class_init (MpNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = mp_notifier_constructed;
  object_class->dispose = mp_notifier_dispose;
  object_class->finalize = mp_notifier_finalize;
  object_class->get_property = mp_notifier_get_property;
  object_class->set_property = mp_notifier_set_property;

  properties[PROP_MAILBOXES] =
    g_param_spec_object ("mailboxes", NULL, NULL,
                         G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL,
                         G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DO_NOT_DISTURB] =
    g_param_spec_boolean ("do-not-disturb", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER_PRESENT] =
    g_param_spec_boolean ("server-present", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SHOW_MESSAGE] =
    g_signal_new ("show-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, MP_TYPE_MAILBOX, MP_TYPE_MESSAGE);
}

static void
mp_notifier_init (MpNotifier *self)
{
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  self->live = g_ptr_array_new_with_free_func (g_object_unref);
  self->pending = g_ptr_array_new_with_free_func (pending_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * mp_notifier_new:
 * @mailboxes: a #GListModel of #MpMailbox
 * @settings: (nullable): the main schema's settings (notifications, sound)
 *
 * Returns: (transfer full): a notifier, already watching the mailboxes
 */
MpNotifier *
mp_notifier_new (GListModel *mailboxes,
                 GSettings  *settings)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (mailboxes), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (MP_TYPE_NOTIFIER, "mailboxes", mailboxes, "settings", settings, NULL);
}

void
mp_notifier_set_do_not_disturb (MpNotifier *self,
                                gboolean    do_not_disturb)
{
  g_return_if_fail (MP_IS_NOTIFIER (self));

  do_not_disturb = !!do_not_disturb;
  if (self->do_not_disturb == do_not_disturb)
    return;
  self->do_not_disturb = do_not_disturb;
  if (do_not_disturb)
    g_ptr_array_set_size (self->pending, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DO_NOT_DISTURB]);
}

gboolean
mp_notifier_get_do_not_disturb (MpNotifier *self)
{
  g_return_val_if_fail (MP_IS_NOTIFIER (self), FALSE);

  return self->do_not_disturb;
}

gboolean
mp_notifier_get_server_present (MpNotifier *self)
{
  g_return_val_if_fail (MP_IS_NOTIFIER (self), FALSE);

  return self->server_present;
}
