/* mp-cli-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "mp-cli-private.h"

/* mailpeek --check and --watch: what they print is the mailbox's summary
 * (mp_mailbox_dup_summary()), as JSON or as text; what is new, and that
 * it is announced once printed, is the mailbox's business.
 */

/* Pads or cuts @text to @width terminal columns. */
static char *
fit (const char *text,
     guint       width)
{
  GString *out = g_string_new (NULL);
  guint used = 0;

  /* East Asian wide characters take two terminal columns. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint w = g_unichar_iswide (c) ? 2 : 1;
      const char *next = g_utf8_next_char (p);

      if (g_unichar_iszerowidth (c))
        w = 0;
      if (used + w > width - 1 && *next != '\0')
        {
          g_string_append (out, "…");
          used++;
          break;
        }
      if (used + w > width)
        break;
      g_string_append_unichar (out, c);
      used += w;
    }

  for (; used < width; used++)
    g_string_append_c (out, ' ');
  return g_string_free (out, FALSE);
}

static const char *
lookup_string (GVariant   *dict,
               const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, NULL);
  g_autoptr(GVariant) inner = NULL;

  if (value == NULL)
    return NULL;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_variant_get_string (value, NULL);
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("ms")))
    return NULL;
  inner = g_variant_get_maybe (value);
  /* The string lives as long as @dict, which holds @value. */
  return inner != NULL ? g_variant_get_string (inner, NULL) : NULL;
}

static guint64
lookup_number (GVariant   *dict,
               const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, NULL);
  g_autoptr(GVariant) inner = NULL;

  if (value == NULL)
    return 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_MAYBE))
    inner = g_variant_get_maybe (value);
  else
    inner = g_variant_ref (value);
  if (inner == NULL)
    return 0;
  if (g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (inner);
  if (g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (inner);
  if (g_variant_is_of_type (inner, G_VARIANT_TYPE_BOOLEAN))
    return g_variant_get_boolean (inner);
  return 0;
}

/* The text form of one summary. */
static void
print_human (GVariant *summary)
{
  const char *label = lookup_string (summary, "account");
  const char *error = lookup_string (summary, "error");
  g_autoptr(GVariant) headers = g_variant_lookup_value (summary, "headers",
                                                        G_VARIANT_TYPE ("aa{sv}"));
  g_autofree char *size = NULL;
  guint count, n_new;
  gboolean top;
  GVariantIter iter;
  GVariant *header;

  if (g_strcmp0 (lookup_string (summary, "status"), "error") == 0)
    {
      g_print (_("%s: error: %s\n"), label, error ? error : "");
      return;
    }

  count = lookup_number (summary, "messages");
  n_new = lookup_number (summary, "new");
  size = g_format_size (lookup_number (summary, "bytes"));
  g_print (ngettext ("%s: %u message, %s", "%s: %u messages, %s", count),
           label, count, size);
  if (n_new > 0)
    g_print (ngettext (" (%u new)", " (%u new)", n_new), n_new);
  g_print ("\n");
  if (!lookup_number (summary, "uidl") && count > 0)
    g_print (_("  This server has no UIDL: messages are recognised by their headers, "
               "and download and delete are not possible.\n"));
  if (g_variant_lookup (summary, "top", "b", &top) && !top && count > 0)
    g_print (_("  This server has no TOP: headers of new messages are read from the whole "
               "message, and only up to a size limit.\n"));

  if (headers == NULL)
    return;
  g_variant_iter_init (&iter, headers);
  while ((header = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *iso_date = lookup_string (header, "date");
      const char *from = lookup_string (header, "from");
      const char *subject = lookup_string (header, "subject");
      const char *message_error = lookup_string (header, "error");
      g_autoptr(GDateTime) when = NULL;
      g_autofree char *date = NULL;
      g_autofree char *fitted = NULL;

      if (iso_date != NULL)
        when = g_date_time_new_from_iso8601 (iso_date, NULL);
      if (when != NULL)
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (when);

          date = g_date_time_format (local, "%Y-%m-%d %H:%M");
        }
      else
        date = g_strdup ("                ");

      fitted = fit (from ? from : _("(unknown sender)"), 32);
      if (message_error != NULL)
        subject = message_error;
      else if (subject == NULL)
        subject = _("(no subject)");

      g_print ("%c%5u  %s  %s  %s\n", lookup_number (header, "new") ? '*' : ' ',
               (guint) lookup_number (header, "number"), date, fitted, subject);
      g_variant_unref (header);
    }
}

/* Everything listed was now shown to the user: never new again. */
static GStrv
dup_keys (MpMailbox *mailbox)
{
  GListModel *model = G_LIST_MODEL (mailbox);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (model, i);

      g_strv_builder_add (builder, mp_message_get_key (message));
    }
  return g_strv_builder_end (builder);
}

static void
announced_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  MpMailbox *mailbox = MP_MAILBOX (object);
  guint *pending = user_data;
  g_autoptr(GError) error = NULL;

  if (!mp_mailbox_mark_announced_finish (mailbox, result, &error))
    {
      g_autofree char *label = mp_account_dup_label (mp_mailbox_get_account (mailbox));

      g_printerr (_("mailpeek: %s: could not save what was seen: %s\n"),
                  label, error->message);
    }
  if (pending != NULL)
    (*pending)--;
}

static void
mark_announced (MpMailbox *mailbox,
                guint     *pending)
{
  g_auto(GStrv) keys = dup_keys (mailbox);

  if (pending != NULL)
    (*pending)++;
  mp_mailbox_mark_announced_async (mailbox, (const char * const *) keys, NULL,
                                   announced_cb, pending);
}

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  guint *pending = user_data;

  /* A failure is part of the summary. */
  mp_mailbox_check_finish (MP_MAILBOX (object), result, NULL);
  (*pending)--;
}

static gboolean
succeeded (MpMailbox *mailbox)
{
  return mp_mailbox_get_status (mailbox) == MP_MAILBOX_STATUS_OK;
}

/**
 * mp_cli_run_check:
 *
 * `--check`: with `--url` or `--account` that mailbox, else every enabled
 * account, all at once (each is its own server).
 */
int
mp_cli_run_check (CliOptions *options)
{
  g_auto(CliSession) session = { 0 };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  int status;
  guint pending = 0;

  status = mp_cli_open_session (options, CLI_SCOPE_ENABLED, &session);
  if (status != MP_CLI_EXIT_OK)
    return status;

  for (guint i = 0; i < session.mailboxes->len; i++)
    {
      pending++;
      mp_mailbox_check_async (g_ptr_array_index (session.mailboxes, i), NULL,
                              check_cb, &pending);
    }
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);

  if (options->json)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
    }

  for (guint i = 0; i < session.mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (session.mailboxes, i);
      g_autoptr(GVariant) summary = mp_mailbox_dup_summary (mailbox, TRUE);

      if (options->json)
        json_builder_add_value (builder, json_gvariant_serialize (summary));
      else
        print_human (summary);
      if (!succeeded (mailbox))
        status = MP_CLI_EXIT_ERROR;
    }

  if (options->json)
    {
      g_autoptr(JsonNode) root = NULL;

      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      mp_cli_print_json (root);
    }
  fflush (stdout);

  /* Reported now: the next run does not call these new again. */
  for (guint i = 0; i < session.mailboxes->len; i++)
    {
      MpMailbox *mailbox = g_ptr_array_index (session.mailboxes, i);

      if (succeeded (mailbox))
        mark_announced (mailbox, &pending);
    }
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);

  mp_cli_wait_until_idle (&session, options->timeout + 1);
  return status;
}

/* --watch */

static void
account_changed_cb (MpPoller  *poller,
                    MpAccount *account,
                    gpointer   user_data)
{
  MpMailbox *mailbox = mp_poller_find_mailbox (poller, account);
  g_autoptr(GVariant) summary = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (mailbox == NULL)
    return;
  summary = mp_mailbox_dup_summary (mailbox, TRUE);
  node = json_gvariant_serialize (summary);
  mp_cli_print_json (node);

  if (succeeded (mailbox))
    mark_announced (mailbox, NULL);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/**
 * mp_cli_run_watch:
 *
 * `--watch`: polls until interrupted and prints the account object of
 * `--check --json` as one line whenever an account's state changes.
 */
int
mp_cli_run_watch (CliOptions *options)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_auto(CliSession) session = { 0 };
  guint sigint, sigterm;
  int status;

  status = mp_cli_open_session (options, CLI_SCOPE_STORE, &session);
  if (status != MP_CLI_EXIT_OK)
    return status;

  g_signal_connect (session.poller, "account-changed", G_CALLBACK (account_changed_cb), NULL);

  sigint = g_unix_signal_add (SIGINT, quit_cb, loop);
  sigterm = g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  g_signal_handlers_disconnect_by_func (session.poller, account_changed_cb, NULL);
  return MP_CLI_EXIT_OK;
}
