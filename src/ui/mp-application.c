/* mp-application.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-application"

#include "config.h"

#include <glib/gi18n.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "mp-application-private.h"

#include "mp-mailbox.h"
#include "mp-notifier.h"
#include "mp-secrets.h"
#include "mp-status-service.h"
#include "mp-ui-util.h"

struct _MpApplication
{
  GtkApplication   parent_instance;

  GSettings       *settings;
  MpAccountStore  *store;
  MpPoller        *poller;
  GListModel      *mailboxes;
  GPtrArray       *watched;          /* MpMailbox with our notify handler */
  MpNotifier      *notifier;
  MpStatusService *status;
  MpAppTray       *tray;

  GMenu           *menu;
  GMenu           *accounts_section;
  GtkWidget       *window;           /* weak */

  char            *session_password; /* MAILPEEK_PASSWORD, wiped at exit */
  guint            refresh_id;
  gboolean         activated;
  gboolean         tray_decided;     /* the first tray/no-tray choice was made */
  guint            tray_lost_id;
  gboolean         no_tray_told;
  guint            trim_id;
  gboolean         polled;           /* a check ran since the last trim */
};

G_DEFINE_FINAL_TYPE (MpApplication, mp_application, GTK_TYPE_APPLICATION)

/* How long a tray may be gone (a panel restarting) before the window is
 * shown in its place.
 */
#define TRAY_LOST_GRACE_SECONDS 5

/* How long after the last check ended, or the window closed, the heap is
 * given back (the seen-state save and the tray's D-Bus traffic that follow
 * a poll are done by then).
 */
#define TRIM_DELAY_SECONDS 5

/* ---------------------------------------------------------------------- */
/* What the tray shows, computed from the mailboxes                        */

/* The account's name, or user@host:port for one without a name. */
static char *
dup_account_name (MpAccount *account)
{
  const char *name = mp_account_get_name (account);

  if (name != NULL && *name != '\0')
    return g_strdup (name);

  return mp_account_dup_label (account);
}

/**
 * mp_app_tray_state_compute:
 * @mailboxes: a #GListModel of #MpMailbox
 * @state: (out caller-allocates): filled in; clear with
 *   mp_app_tray_state_clear()
 *
 * Passive with no mail, Active with mail, NeedsAttention while any message
 * is unseen; the icon says the same, or "error" when a mailbox failed and
 * nothing is unseen. The tooltip body is markup: every account name and
 * every server text in it is escaped.
 */
void
mp_app_tray_state_compute (GListModel      *mailboxes,
                           MpAppTrayState  *state)
{
  g_autoptr(GString) body = g_string_new (NULL);
  guint n = g_list_model_get_n_items (mailboxes);
  guint total = 0;
  guint unseen = 0;
  gboolean failed = FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (mailboxes, i);
      MpAccount *account = mp_mailbox_get_account (mailbox);
      const GError *error = mp_mailbox_get_error (mailbox);
      g_autofree char *label = dup_account_name (account);
      g_autofree char *name = g_markup_escape_text (label != NULL ? label : "", -1);
      g_autofree char *line = NULL;

      if (error != NULL)
        {
          g_autofree char *reason = g_markup_escape_text (error->message, -1);

          failed = TRUE;
          line = g_strdup_printf (_("%s: %s"), name, reason);
        }
      else if (mp_mailbox_get_status (mailbox) == MP_MAILBOX_STATUS_IDLE)
        {
          line = g_strdup_printf (_("%s: not checked yet"), name);
        }
      else
        {
          guint n_messages = mp_mailbox_get_n_messages (mailbox);
          guint n_unseen = mp_mailbox_get_n_unseen (mailbox);
          g_autofree char *messages = g_strdup_printf (ngettext ("%u message", "%u messages",
                                                                 n_messages), n_messages);

          /* Translators: account name: "3 new, 10 messages" */
          line = g_strdup_printf (ngettext ("%s: %u new, %s", "%s: %u new, %s", n_unseen),
                                  name, n_unseen, messages);
        }
      total += mp_mailbox_get_n_messages (mailbox);
      unseen += mp_mailbox_get_n_unseen (mailbox);
      if (body->len > 0)
        g_string_append_c (body, '\n');
      g_string_append (body, line);
    }
  if (n == 0)
    g_string_append (body, _("No accounts yet"));

  state->total = total;
  state->unseen = unseen;
  if (unseen > 0)
    {
      state->status = MP_APP_TRAY_NEEDS_ATTENTION;
      state->icon_name = MP_APP_ICON_NEW_MAIL;
    }
  else if (failed)
    {
      state->status = total > 0 ? MP_APP_TRAY_ACTIVE : MP_APP_TRAY_PASSIVE;
      state->icon_name = MP_APP_ICON_ERROR;
    }
  else if (total > 0)
    {
      state->status = MP_APP_TRAY_ACTIVE;
      state->icon_name = MP_APP_ICON_MAIL;
    }
  else
    {
      state->status = MP_APP_TRAY_PASSIVE;
      state->icon_name = MP_APP_ICON_NO_MAIL;
    }
  state->tooltip_markup = g_string_free (g_steal_pointer (&body), FALSE);
}

void
mp_app_tray_state_clear (MpAppTrayState *state)
{
  g_clear_pointer (&state->tooltip_markup, g_free);
}

/* ---------------------------------------------------------------------- */
/* The menu (tray and window share it)                                     */

static void
rebuild_accounts_section (MpApplication *self)
{
  guint n = g_list_model_get_n_items (self->mailboxes);

  g_menu_remove_all (self->accounts_section);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);
      MpAccount *account = mp_mailbox_get_account (mailbox);
      g_autofree char *name = dup_account_name (account);
      g_autofree char *label = NULL;
      g_autoptr(GMenuItem) item = NULL;

      if (mp_mailbox_get_error (mailbox) != NULL)
        /* Translators: a menu entry: account name, then what went wrong */
        label = g_strdup_printf (_("%s (error)"), name);
      else
        /* Translators: a menu entry: account name (unseen/total messages) */
        label = g_strdup_printf (_("%s (%u/%u)"), name,
                                 mp_mailbox_get_n_unseen (mailbox),
                                 mp_mailbox_get_n_messages (mailbox));
      item = g_menu_item_new (label, NULL);
      g_menu_item_set_action_and_target_value (item, "app.show-account",
                                               g_variant_new_string (mp_account_get_id (account)));
      g_menu_append_item (self->accounts_section, item);
    }
}

static GMenu *
build_menu (MpApplication *self)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) top = g_menu_new ();
  g_autoptr(GMenu) settings = g_menu_new ();
  g_autoptr(GMenu) quit = g_menu_new ();

  /* On GNOME's AppIndicator extension one click opens the menu and only a
   * double click activates: the window must be the first entry.
   */
  g_menu_append (top, _("Show messages"), "app.show-messages");
  g_menu_append (top, _("Check now"), "app.check-now");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (top));

  self->accounts_section = g_menu_new ();
  g_menu_append_section (menu, NULL, G_MENU_MODEL (self->accounts_section));

  g_menu_append (settings, _("Do not disturb"), "app.dnd");
  g_menu_append (settings, _("Accounts…"), "app.accounts");
  g_menu_append (settings, _("Preferences…"), "app.preferences");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (settings));

  g_menu_append (quit, _("Quit"), "app.quit");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (quit));

  return menu;
}

/* ---------------------------------------------------------------------- */
/* Giving memory back                                                      */

/* A poll builds and drops much transient data (the POP3 replies, the
 * seen-state file serialized in a thread of its own), and a window
 * thousands of objects: glibc keeps the pages they freed inside its heap
 * (it only shrinks from the top on its own), a few MiB the applet would
 * hold for the rest of the day between polls (7 MiB after the first poll
 * of 2,000 headers). Hand them back once things are quiet.
 */
static gboolean
trim_cb (gpointer user_data)
{
  MpApplication *self = user_data;

  self->trim_id = 0;
#ifdef __GLIBC__
  malloc_trim (0);
#endif

  return G_SOURCE_REMOVE;
}

static void
queue_trim (MpApplication *self)
{
  g_clear_handle_id (&self->trim_id, g_source_remove);
  self->trim_id = g_timeout_add_seconds (TRIM_DELAY_SECONDS, trim_cb, self);
}

/* After the last of a round of checks. */
static void
trim_after_poll (MpApplication *self)
{
  guint n = g_list_model_get_n_items (self->mailboxes);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);

      if (mp_mailbox_get_status (mailbox) == MP_MAILBOX_STATUS_CHECKING)
        {
          self->polled = TRUE;
          return;
        }
    }
  if (self->polled)
    {
      self->polled = FALSE;
      queue_trim (self);
    }
}

/* ---------------------------------------------------------------------- */
/* Following the mailboxes                                                 */

static void
refresh (MpApplication *self)
{
  MpAppTrayState state = { 0 };

  rebuild_accounts_section (self);
  mp_app_tray_state_compute (self->mailboxes, &state);
  if (self->tray != NULL)
    mp_app_tray_update (self->tray, &state);
  mp_app_tray_state_clear (&state);
  trim_after_poll (self);
}

static gboolean
refresh_idle_cb (gpointer user_data)
{
  MpApplication *self = user_data;

  self->refresh_id = 0;
  refresh (self);

  return G_SOURCE_REMOVE;
}

/* A poll changes several properties in a row: one refresh per burst. */
static void
queue_refresh (MpApplication *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add (refresh_idle_cb, self);
}

static void
mailbox_notify_cb (MpMailbox     *mailbox,
                   GParamSpec    *pspec,
                   MpApplication *self)
{
  queue_refresh (self);
}

static void
mailboxes_changed_cb (GListModel    *model,
                      guint          position,
                      guint          removed,
                      guint          added,
                      MpApplication *self)
{
  mp_watch_items (self->watched, model, "notify", G_CALLBACK (mailbox_notify_cb), self);
  queue_refresh (self);
}

/* The session password (MAILPEEK_PASSWORD) goes to each account as it
 * appears in the store, before the poller hears of it: a new mailbox
 * looks its password up as its first poll starts, at once.
 */
static void
accounts_changed_cb (GListModel    *store,
                     guint          position,
                     guint          removed,
                     guint          added,
                     MpApplication *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(MpAccount) account = g_list_model_get_item (store, i);

      mp_secrets_set_session_password (account, self->session_password);
    }
}

static MpMailbox *
find_mailbox (MpApplication *self,
              const char    *account_id)
{
  guint n = g_list_model_get_n_items (self->mailboxes);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);

      if (g_strcmp0 (mp_account_get_id (mp_mailbox_get_account (mailbox)), account_id) == 0)
        return g_steal_pointer (&mailbox);
    }

  return NULL;
}

/* ---------------------------------------------------------------------- */
/* The window                                                              */

static void
window_destroy_cb (GtkWidget     *window,
                   MpApplication *self)
{
  /* Closing the window destroys it (the next presentation builds a new
   * one in a few milliseconds): what it held goes back to the system.
   */
  queue_trim (self);
}

static GtkWidget *
ensure_window (MpApplication *self)
{
  if (self->window == NULL)
    {
      self->window = mp_app_window_new (self);
      g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
      g_signal_connect_object (self->window, "destroy", G_CALLBACK (window_destroy_cb), self, 0);
    }
  if (self->tray != NULL && !mp_app_tray_is_available (self->tray) && !self->no_tray_told)
    {
      self->no_tray_told = TRUE;
      mp_app_window_say_no_tray (self->window);
    }

  return self->window;
}

static void
present_window (MpApplication *self,
                const char    *startup_id)
{
  GtkWidget *window = ensure_window (self);

  if (startup_id != NULL && *startup_id != '\0')
    gtk_window_set_startup_id (GTK_WINDOW (window), startup_id);
  gtk_window_present (GTK_WINDOW (window));
}

static void
toggle_window (MpApplication *self,
               const char    *startup_id)
{
  if (self->window != NULL && gtk_widget_get_visible (self->window) &&
      gtk_window_is_active (GTK_WINDOW (self->window)))
    gtk_window_close (GTK_WINDOW (self->window));
  else
    present_window (self, startup_id);
}

/* ---------------------------------------------------------------------- */
/* Actions                                                                 */

static void
check_all (MpApplication *self)
{
  guint n = g_list_model_get_n_items (self->mailboxes);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMailbox) mailbox = g_list_model_get_item (self->mailboxes, i);

      if (mp_account_get_enabled (mp_mailbox_get_account (mailbox)))
        mp_mailbox_check_now (mailbox);
    }
}

static void
show_messages_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  present_window (MP_APPLICATION (user_data), NULL);
}

static void
check_now_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  check_all (MP_APPLICATION (user_data));
}

static void
dnd_change_state (GSimpleAction *action,
                  GVariant      *value,
                  gpointer       user_data)
{
  MpApplication *self = user_data;

  /* The settings key is the truth; its changed handler updates the rest. */
  g_settings_set_boolean (self->settings, "do-not-disturb", g_variant_get_boolean (value));
}

static void
show_account_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  MpApplication *self = user_data;
  g_autoptr(MpMailbox) mailbox = find_mailbox (self, g_variant_get_string (parameter, NULL));

  present_window (self, NULL);
  if (mailbox != NULL)
    mp_app_window_show (self->window, mailbox, NULL);
}

static void
show_message_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  MpApplication *self = user_data;
  const char *account_id;
  const char *key;
  g_autoptr(MpMailbox) mailbox = NULL;

  g_variant_get (parameter, "(&s&s)", &account_id, &key);
  mailbox = find_mailbox (self, account_id);
  present_window (self, NULL);
  if (mailbox != NULL)
    mp_app_window_show (self->window, mailbox, mp_mailbox_find_message (mailbox, key));
}

static void
accounts_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  MpApplication *self = user_data;

  present_window (self, NULL);
  mp_app_window_open_dialog (self->window, "accounts");
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  MpApplication *self = user_data;

  present_window (self, NULL);
  mp_app_window_open_dialog (self->window, "preferences");
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "show-messages", show_messages_activated, NULL, NULL, NULL, { 0 } },
  { "check-now", check_now_activated, NULL, NULL, NULL, { 0 } },
  { "dnd", NULL, NULL, "false", dnd_change_state, { 0 } },
  { "show-account", show_account_activated, "s", NULL, NULL, { 0 } },
  { "show-message", show_message_activated, "(ss)", NULL, NULL, { 0 } },
  { "accounts", accounts_activated, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
};

static void
set_dnd (MpApplication *self,
         gboolean       dnd)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "dnd");

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (dnd));
  if (self->notifier != NULL)
    mp_notifier_set_do_not_disturb (self->notifier, dnd);
  if (self->status != NULL)
    mp_status_service_set_do_not_disturb (self->status, dnd);
}

static void
dnd_setting_changed_cb (GSettings     *settings,
                        const char    *key,
                        MpApplication *self)
{
  set_dnd (self, g_settings_get_boolean (settings, key));
}

static void
status_dnd_notify_cb (MpStatusService *status,
                      GParamSpec      *pspec,
                      MpApplication   *self)
{
  gboolean dnd = mp_status_service_get_do_not_disturb (status);

  if (g_settings_get_boolean (self->settings, "do-not-disturb") != dnd)
    g_settings_set_boolean (self->settings, "do-not-disturb", dnd);
}

static void
status_check_now_cb (MpStatusService *status,
                     MpApplication   *self)
{
  check_all (self);
}

static void
status_show_messages_cb (MpStatusService *status,
                         MpApplication   *self)
{
  present_window (self, NULL);
}

static void
notifier_show_message_cb (MpNotifier    *notifier,
                          MpMailbox     *mailbox,
                          MpMessage     *message,
                          MpApplication *self)
{
  present_window (self, NULL);
  mp_app_window_show (self->window, mailbox, message);
}

/* ---------------------------------------------------------------------- */
/* Tray callbacks                                                          */

void
mp_application_tray_activated (MpApplication *self,
                               const char    *startup_id)
{
  toggle_window (self, startup_id);
}

void
mp_application_tray_secondary_activated (MpApplication *self)
{
  check_all (self);
}

static gboolean
tray_lost_cb (gpointer user_data)
{
  MpApplication *self = user_data;

  self->tray_lost_id = 0;
  if (self->tray != NULL && !mp_app_tray_is_available (self->tray))
    present_window (self, NULL);

  return G_SOURCE_REMOVE;
}

void
mp_application_tray_availability_changed (MpApplication *self)
{
  if (self->tray == NULL || !mp_app_tray_is_ready (self->tray) || !self->activated)
    return;

  g_clear_handle_id (&self->tray_lost_id, g_source_remove);
  if (mp_app_tray_is_available (self->tray))
    {
      self->tray_decided = TRUE;
      return;
    }

  /* With no tray at all the window is the only way to see the app: at
   * start at once; later (the panel went away) only if it does not come
   * back within a moment, as it does when a panel restarts.
   */
  if (!self->tray_decided)
    {
      self->tray_decided = TRUE;
      present_window (self, NULL);
    }
  else
    {
      self->tray_lost_id = g_timeout_add_seconds (TRAY_LOST_GRACE_SECONDS, tray_lost_cb, self);
    }
}

/* ---------------------------------------------------------------------- */
/* GApplication                                                            */

static void
mp_application_startup (GApplication *application)
{
  MpApplication *self = MP_APPLICATION (application);
  GDBusConnection *connection;
  g_autoptr(GError) error = NULL;

  G_APPLICATION_CLASS (mp_application_parent_class)->startup (application);

  g_set_application_name (_("Mailpeek"));
  /* An uninstalled build: the window's icon and the About dialog's logo
   * are only in the source tree (the tray item says so to its host with
   * IconThemePath; this is the same for our own windows). */
  {
    GtkIconTheme *theme = gtk_icon_theme_get_default ();

    if (theme != NULL && !gtk_icon_theme_has_icon (theme, APP_ID)
        && g_file_test (MP_SOURCE_ICON_DIR, G_FILE_TEST_IS_DIR))
      gtk_icon_theme_append_search_path (theme, MP_SOURCE_ICON_DIR);
  }
  gtk_window_set_default_icon_name (APP_ID);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  /* F5 is the window's: it checks the account the window shows (one
   * accelerator for two actions would make which one runs a matter of
   * GTK's lookup order) */

  self->settings = g_settings_new (APP_ID);
  g_signal_connect (self->settings, "changed::do-not-disturb",
                    G_CALLBACK (dnd_setting_changed_cb), self);

  self->store = mp_account_store_new ();
  if (self->session_password != NULL)
    {
      /* Connected first, so it runs before the poller's own handler. */
      g_signal_connect_object (self->store, "items-changed",
                               G_CALLBACK (accounts_changed_cb), self, 0);
      accounts_changed_cb (G_LIST_MODEL (self->store), 0, 0,
                           g_list_model_get_n_items (G_LIST_MODEL (self->store)), self);
    }
  self->poller = mp_app_poller_new (self->store);
  self->mailboxes = mp_app_poller_get_mailboxes (self->poller);

  self->menu = build_menu (self);
  g_signal_connect_object (self->mailboxes, "items-changed",
                           G_CALLBACK (mailboxes_changed_cb), self, 0);
  mailboxes_changed_cb (self->mailboxes, 0, 0, 0, self);

  self->notifier = mp_notifier_new (self->mailboxes, self->settings);
  g_signal_connect (self->notifier, "show-message",
                    G_CALLBACK (notifier_show_message_cb), self);

  self->status = mp_status_service_new (self->mailboxes);
  g_signal_connect (self->status, "notify::do-not-disturb",
                    G_CALLBACK (status_dnd_notify_cb), self);
  g_signal_connect (self->status, "check-now", G_CALLBACK (status_check_now_cb), self);
  g_signal_connect (self->status, "show-messages", G_CALLBACK (status_show_messages_cb), self);
  set_dnd (self, g_settings_get_boolean (self->settings, "do-not-disturb"));

  connection = g_application_get_dbus_connection (application);
  if (connection != NULL &&
      !mp_status_service_export (self->status, connection, MP_STATUS_SERVICE_PATH, &error))
    g_warning ("Could not export the status interface: %s", error->message);

  if (connection != NULL)
    self->tray = mp_app_tray_new (self, connection, G_MENU_MODEL (self->menu));

  refresh (self);

  /* The applet lives in the background until app.quit. */
  g_application_hold (application);

  mp_app_poller_start (self->poller);
}

static void
mp_application_activate (GApplication *application)
{
  MpApplication *self = MP_APPLICATION (application);
  gboolean first = !self->activated;

  self->activated = TRUE;
  /* The first start runs in the background (the tray item is the UI);
   * every later `mailpeek` or launcher click presents the window. Without
   * any tray the window is the only way in, so it is shown at once.
   */
  if (!first || self->tray == NULL)
    present_window (self, NULL);
  else
    /* Before the tray has chosen a backend, its notify::ready decides. */
    mp_application_tray_availability_changed (self);
}

static void
mp_application_shutdown (GApplication *application)
{
  MpApplication *self = MP_APPLICATION (application);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->tray_lost_id, g_source_remove);
  if (self->window != NULL)
    gtk_widget_destroy (self->window);
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_pointer (&self->tray, mp_app_tray_free);
  if (self->status != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->status, self);
      mp_status_service_unexport (self->status);
    }
  g_clear_object (&self->status);
  if (self->notifier != NULL)
    g_signal_handlers_disconnect_by_data (self->notifier, self);
  g_clear_object (&self->notifier);
  if (self->watched != NULL)
    mp_unwatch_items (self->watched, G_CALLBACK (mailbox_notify_cb), self);
  if (self->mailboxes != NULL)
    g_signal_handlers_disconnect_by_data (self->mailboxes, self);
  g_clear_object (&self->mailboxes);
  g_clear_object (&self->poller);
  g_clear_object (&self->store);
  g_clear_object (&self->accounts_section);
  g_clear_object (&self->menu);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  G_APPLICATION_CLASS (mp_application_parent_class)->shutdown (application);
}

static void
mp_application_finalize (GObject *object)
{
  MpApplication *self = MP_APPLICATION (object);

  g_clear_pointer (&self->watched, g_ptr_array_unref);
  g_clear_pointer (&self->session_password, mp_secrets_free_password);

  G_OBJECT_CLASS (mp_application_parent_class)->finalize (object);
}

static void
mp_application_class_init (MpApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = mp_application_finalize;
  app_class->startup = mp_application_startup;
  app_class->activate = mp_application_activate;
  app_class->shutdown = mp_application_shutdown;
}

static void
mp_application_init (MpApplication *self)
{
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
}

MpApplication *
mp_application_new (void)
{
  return g_object_new (MP_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

GSettings *
mp_application_get_settings (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), NULL);

  return self->settings;
}

MpAccountStore *
mp_application_get_account_store (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), NULL);

  return self->store;
}

MpPoller *
mp_application_get_poller (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), NULL);

  return self->poller;
}

/**
 * mp_application_get_mailboxes:
 *
 * Returns: (transfer none): the #GListModel of #MpMailbox, one per
 *   configured account, in the store's order
 */
GListModel *
mp_application_get_mailboxes (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), NULL);

  return self->mailboxes;
}

GMenuModel *
mp_application_get_menu (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), NULL);

  return G_MENU_MODEL (self->menu);
}

gboolean
mp_application_get_tray_available (MpApplication *self)
{
  g_return_val_if_fail (MP_IS_APPLICATION (self), FALSE);

  return self->tray != NULL && mp_app_tray_is_available (self->tray);
}

/**
 * mp_application_run_main:
 *
 * Runs the applet (main.c calls this when no command-line mode was asked
 * for). Needs a display.
 *
 * Returns: the exit status
 */
int
mp_application_run_main (int    argc,
                         char **argv)
{
  g_autoptr(MpApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  const char *localedir = g_getenv ("MAILPEEK_LOCALEDIR");
  const char *env_password;
  char *password = NULL;
  gboolean opened;

  /* An uninstalled build's catalogues (the UI tests' Russian run). */
  if (localedir != NULL && *localedir != '\0')
    bindtextdomain (GETTEXT_PACKAGE, localedir);

  if (!mp_account_store_check_schemas (&error))
    {
      g_printerr ("mailpeek: %s\n", error->message);
      return 1;
    }

  /* The session password, for this process only: not inherited by
   * anything it starts (the mail client). Taken out of the environment
   * now, while the process has one thread.
   */
  env_password = g_getenv ("MAILPEEK_PASSWORD");
  if (env_password != NULL && *env_password != '\0')
    password = g_strdup (env_password);
  g_unsetenv ("MAILPEEK_PASSWORD");

#ifdef __GLIBC__
  /* One malloc arena rather than one per thread that ever allocated (the
   * poll's TLS and state-file threads): their arenas keep memory that
   * malloc_trim() cannot give back while anything lives in them, about
   * 1 MiB of the idle applet; a tray applet's threads rarely allocate at
   * the same moment. Before any thread starts; MALLOC_ARENA_MAX wins.
   */
  if (g_getenv ("MALLOC_ARENA_MAX") == NULL)
    mallopt (M_ARENA_MAX, 1);
#endif
  mp_ui_disable_gl ();
  opened = gtk_init_check (&argc, &argv);
  if (!opened)
    {
      mp_secrets_free_password (password);
      g_printerr (_("mailpeek: cannot open a display; the applet needs one "
                    "(the command-line modes such as --check do not)\n"));
      return 1;
    }

  app = mp_application_new ();
  app->session_password = password;

  return g_application_run (G_APPLICATION (app), argc, argv);
}
