/* mp-message-view.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-message-view"

#include "config.h"

#include "mp-ui-resources.h"

#include <glib/gi18n.h>

#include "mp-mailbox.h"
#include "mp-message-tree-model.h"
#include "mp-message-view.h"

/* How long the selection must rest on a message before its first lines
 * are fetched: walking the list with the arrow keys must not queue a
 * server session per row passed. */
#define FETCH_DELAY_MSEC 250

struct _MpMessageView
{
  GtkBox        parent_instance;

  GtkStack     *stack;
  GtkLabel     *empty_label;
  GtkLabel     *subject_label;
  GtkGrid      *headers_grid;
  GtkWidget    *loading_box;
  GtkSpinner   *spinner;
  GtkLabel     *error_label;
  GtkLabel     *snippet_label;

  MpMessage    *message;
  gulong        notify_id;
  guint         n_selected;
  GCancellable *cancellable;
  guint         fetch_id;
  gboolean      loading;
  /* "ACCOUNT-ID\nMESSAGE-KEY" -> snippet */
  GHashTable   *cache;
};

G_DEFINE_FINAL_TYPE (MpMessageView, mp_message_view, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_MESSAGE,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
cache_key (MpMessage *message)
{
  MpMailbox *mailbox = mp_message_get_mailbox (message);
  MpAccount *account = mailbox != NULL ? mp_mailbox_get_account (mailbox) : NULL;

  return g_strconcat (account != NULL ? mp_account_get_id (account) : "",
                      "\n", mp_message_get_key (message), NULL);
}

static void
set_loading (MpMessageView *self,
             gboolean       loading)
{
  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_widget_set_visible (self->loading_box, loading);
  if (loading)
    gtk_spinner_start (self->spinner);
  else
    gtk_spinner_stop (self->spinner);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
show_snippet (MpMessageView *self,
              const char    *snippet)
{
  set_loading (self, FALSE);
  gtk_widget_hide (GTK_WIDGET (self->error_label));
  if (snippet == NULL || *snippet == '\0')
    {
      gtk_label_set_text (self->error_label, _("This message has no text to show."));
      gtk_widget_show (GTK_WIDGET (self->error_label));
      gtk_widget_hide (GTK_WIDGET (self->snippet_label));
      return;
    }
  gtk_label_set_text (self->snippet_label, snippet);
  gtk_widget_show (GTK_WIDGET (self->snippet_label));
}

static void
show_error (MpMessageView *self,
            const char    *text)
{
  set_loading (self, FALSE);
  gtk_widget_hide (GTK_WIDGET (self->snippet_label));
  gtk_label_set_text (self->error_label, text);
  gtk_widget_show (GTK_WIDGET (self->error_label));
}

typedef struct
{
  MpMessageView *self;
  MpMessage     *message;
  GCancellable  *cancellable;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_object_unref (fetch->message);
  g_object_unref (fetch->cancellable);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static void
fetch_snippet_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  MpMailbox *mailbox = MP_MAILBOX (object);
  g_autoptr(Fetch) fetch = user_data;
  MpMessageView *self = fetch->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *snippet = NULL;
  g_autofree char *text = NULL;

  snippet = mp_mailbox_fetch_snippet_finish (mailbox, result, &error);
  if (snippet != NULL)
    g_hash_table_replace (self->cache, cache_key (fetch->message), g_strdup (snippet));
  /* the selection moved on meanwhile (a success may still arrive after
   * the cancellation): this result is not for the pane any more */
  if (g_cancellable_is_cancelled (fetch->cancellable) || fetch->message != self->message)
    return;
  g_clear_object (&self->cancellable);

  if (error != NULL)
    {
      text = g_strdup_printf (_("The first lines could not be loaded: %s"), error->message);
      show_error (self, text);
      return;
    }
  show_snippet (self, snippet);
}

static gboolean
fetch_timeout_cb (gpointer user_data)
{
  MpMessageView *self = user_data;
  MpMailbox *mailbox;
  Fetch *fetch;

  self->fetch_id = 0;
  mailbox = mp_message_get_mailbox (self->message);
  if (mailbox == NULL)
    {
      show_error (self, _("The first lines are not available: the account was removed."));
      return G_SOURCE_REMOVE;
    }
  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->message = g_object_ref (self->message);
  fetch->cancellable = g_cancellable_new ();
  self->cancellable = g_object_ref (fetch->cancellable);
  mp_mailbox_fetch_snippet_async (mailbox, self->message, self->cancellable,
                                  fetch_snippet_cb, fetch);
  return G_SOURCE_REMOVE;
}

static void
add_header (MpMessageView *self,
            int            row,
            const char    *name,
            const char    *value)
{
  GtkWidget *name_label;
  GtkWidget *value_label;

  if (value == NULL || *value == '\0')
    return;

  name_label = gtk_label_new (name);
  gtk_label_set_xalign (GTK_LABEL (name_label), 1);
  gtk_label_set_yalign (GTK_LABEL (name_label), 0);
  gtk_style_context_add_class (gtk_widget_get_style_context (name_label), "dim-label");

  value_label = gtk_label_new (value);
  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_line_wrap (GTK_LABEL (value_label), TRUE);
  gtk_label_set_line_wrap_mode (GTK_LABEL (value_label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (value_label), TRUE);
  gtk_widget_set_can_focus (value_label, FALSE);
  gtk_widget_set_hexpand (value_label, TRUE);
  /* a screen reader reads "From" and the value as one */
  atk_object_add_relationship (gtk_widget_get_accessible (value_label), ATK_RELATION_LABELLED_BY,
                               gtk_widget_get_accessible (name_label));

  gtk_grid_attach (self->headers_grid, name_label, 0, row, 1, 1);
  gtk_grid_attach (self->headers_grid, value_label, 1, row, 1, 1);
  gtk_widget_show (name_label);
  gtk_widget_show (value_label);
}

static void
update_headers (MpMessageView *self)
{
  MpMessage *message = self->message;
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (self->headers_grid));
  g_autofree char *date = NULL;
  g_autofree char *size = NULL;
  g_autofree char *account = NULL;
  const char *subject;
  GDateTime *when;
  int row = 0;

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);

  subject = mp_message_get_subject (message);
  gtk_label_set_text (self->subject_label,
                      subject != NULL && *subject != '\0' ? subject : _("(no subject)"));

  when = mp_message_get_date (message);
  if (when != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_local (when);

      /* Translators: the full date in the details pane */
      date = g_date_time_format (local, C_("date", "%A, %-d %B %Y, %H:%M"));
    }
  size = g_format_size_full (mp_message_get_size (message), G_FORMAT_SIZE_LONG_FORMAT);
  account = mp_message_dup_account_name (message);

  add_header (self, row++, _("From"), mp_message_get_from (message));
  add_header (self, row++, _("To"), mp_message_get_to (message));
  add_header (self, row++, _("Date"), date);
  add_header (self, row++, _("Size"), size);
  add_header (self, row++, _("Account"), account);
  add_header (self, row++, _("Message-ID"), mp_message_get_message_id (message));
  if (mp_message_get_error (message) != NULL)
    add_header (self, row++, _("Headers"), mp_message_get_error (message)->message);
}

static void
message_notify_cb (MpMessage     *message,
                   GParamSpec    *pspec,
                   MpMessageView *self)
{
  if (g_strcmp0 (pspec->name, "snippet") == 0)
    {
      if (mp_message_get_snippet (message) != NULL && !self->loading)
        show_snippet (self, mp_message_get_snippet (message));
    }
  else if (g_strcmp0 (pspec->name, "announced") != 0 && g_strcmp0 (pspec->name, "number") != 0)
    update_headers (self);
}

static void
update (MpMessageView *self)
{
  g_autofree char *key = NULL;
  const char *snippet;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->fetch_id, g_source_remove);
  set_loading (self, FALSE);

  if (self->message == NULL)
    {
      if (self->n_selected > 1)
        {
          g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                "%u message selected",
                                                                "%u messages selected",
                                                                self->n_selected),
                                                   self->n_selected);

          gtk_label_set_text (self->empty_label, text);
        }
      else
        gtk_label_set_text (self->empty_label, _("Select a message to see its headers and first lines"));
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  update_headers (self);
  gtk_stack_set_visible_child_name (self->stack, "message");

  key = cache_key (self->message);
  snippet = g_hash_table_lookup (self->cache, key);
  if (snippet == NULL)
    snippet = mp_message_get_snippet (self->message);
  if (snippet != NULL)
    {
      show_snippet (self, snippet);
      return;
    }

  gtk_widget_hide (GTK_WIDGET (self->snippet_label));
  gtk_widget_hide (GTK_WIDGET (self->error_label));
  set_loading (self, TRUE);
  self->fetch_id = g_timeout_add (FETCH_DELAY_MSEC, fetch_timeout_cb, self);
}

static void
mp_message_view_dispose (GObject *object)
{
  MpMessageView *self = MP_MESSAGE_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->fetch_id, g_source_remove);
  if (self->message != NULL)
    g_clear_signal_handler (&self->notify_id, self->message);
  g_clear_object (&self->message);

  G_OBJECT_CLASS (mp_message_view_parent_class)->dispose (object);
}

static void
mp_message_view_finalize (GObject *object)
{
  MpMessageView *self = MP_MESSAGE_VIEW (object);

  g_clear_pointer (&self->cache, g_hash_table_unref);

  G_OBJECT_CLASS (mp_message_view_parent_class)->finalize (object);
}

static void
mp_message_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  MpMessageView *self = MP_MESSAGE_VIEW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_message_view_class_init (MpMessageViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = mp_message_view_dispose;
  object_class->finalize = mp_message_view_finalize;
  object_class->get_property = mp_message_view_get_property;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL,
                         MP_TYPE_MESSAGE,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* the templates' bundle registers itself when it is linked in, and a
   * static library links only what is referenced */
  mp_ui_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class, APP_PATH "/ui/mp-message-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, stack);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, empty_label);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, subject_label);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, headers_grid);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, loading_box);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, spinner);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, error_label);
  gtk_widget_class_bind_template_child (widget_class, MpMessageView, snippet_label);
}

static void
mp_message_view_init (MpMessageView *self)
{
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
mp_message_view_new (void)
{
  return g_object_new (MP_TYPE_MESSAGE_VIEW, NULL);
}

/**
 * mp_message_view_get_message:
 *
 * Returns: (transfer none) (nullable): the message shown
 */
MpMessage *
mp_message_view_get_message (MpMessageView *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_VIEW (self), NULL);

  return self->message;
}

/**
 * mp_message_view_set_selection:
 * @message: (nullable): the one selected message
 * @n_selected: how many messages are selected
 *
 * Shows @message, or, when none or several are selected, says so.
 */
void
mp_message_view_set_selection (MpMessageView *self,
                               MpMessage     *message,
                               guint          n_selected)
{
  g_return_if_fail (MP_IS_MESSAGE_VIEW (self));
  g_return_if_fail (message == NULL || MP_IS_MESSAGE (message));

  if (message == self->message && n_selected == self->n_selected)
    return;
  self->n_selected = n_selected;
  if (message != self->message)
    {
      if (self->message != NULL)
        g_clear_signal_handler (&self->notify_id, self->message);
      g_set_object (&self->message, message);
      if (message != NULL)
        self->notify_id = g_signal_connect_object (message, "notify",
                                                   G_CALLBACK (message_notify_cb), self, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  update (self);
}

gboolean
mp_message_view_get_loading (MpMessageView *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_VIEW (self), FALSE);

  return self->loading;
}

/**
 * mp_message_view_get_snippet:
 *
 * Returns: (nullable): the first lines shown, for tests
 */
const char *
mp_message_view_get_snippet (MpMessageView *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_VIEW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->snippet_label)))
    return NULL;
  return gtk_label_get_text (self->snippet_label);
}

/**
 * mp_message_view_get_error:
 *
 * Returns: (nullable): the error shown instead of the first lines
 */
const char *
mp_message_view_get_error (MpMessageView *self)
{
  g_return_val_if_fail (MP_IS_MESSAGE_VIEW (self), NULL);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->error_label)))
    return NULL;
  return gtk_label_get_text (self->error_label);
}
