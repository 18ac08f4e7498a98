/* mp-cli-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "mp-cli-private.h"

/* mailpeek --download / --delete UID… */

typedef struct
{
  GPtrArray *outcomes;
  GError    *error;
  gboolean   download;
  gboolean   done;
} TransferRun;

static void
transfer_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TransferRun *run = user_data;

  if (run->download)
    run->outcomes = mp_mailbox_download_finish (MP_MAILBOX (object), result, &run->error);
  else
    run->outcomes = mp_mailbox_delete_finish (MP_MAILBOX (object), result, &run->error);
  run->done = TRUE;
}

static gboolean
outcome_ok (const MpTransferOutcome *outcome,
            const CliOptions        *options)
{
  if (outcome->error != NULL)
    return FALSE;
  if (options->delete || options->delete_after)
    return outcome->deleted;
  return outcome->path != NULL;
}

static void
print_json (const char       *label,
            const CliOptions *options,
            GPtrArray        *outcomes,
            const GError     *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "account");
  json_builder_add_string_value (builder, label);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, error ? "error" : "ok");
  json_builder_set_member_name (builder, "error");
  if (error != NULL)
    json_builder_add_string_value (builder, error->message);
  else
    json_builder_add_null_value (builder);

  json_builder_set_member_name (builder, "results");
  json_builder_begin_array (builder);
  for (guint i = 0; outcomes != NULL && i < outcomes->len; i++)
    {
      const MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uid");
      json_builder_add_string_value (builder, outcome->uid);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, outcome_ok (outcome, options));
      json_builder_set_member_name (builder, "path");
      if (outcome->path != NULL)
        json_builder_add_string_value (builder, outcome->path);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "deleted");
      json_builder_add_boolean_value (builder, outcome->deleted);
      json_builder_set_member_name (builder, "error");
      if (outcome->error != NULL)
        json_builder_add_string_value (builder, outcome->error->message);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  mp_cli_print_json (root);
}

static void
print_human (const char       *label,
             const CliOptions *options,
             GPtrArray        *outcomes,
             const GError     *error)
{
  if (error != NULL)
    {
      g_print (_("%s: error: %s\n"), label, error->message);
      return;
    }

  for (guint i = 0; i < outcomes->len; i++)
    {
      const MpTransferOutcome *outcome = g_ptr_array_index (outcomes, i);

      if (outcome->path != NULL && outcome->deleted)
        g_print (_("%s: saved to %s and deleted from the server\n"), outcome->uid, outcome->path);
      else if (outcome->path != NULL && outcome->error != NULL)
        g_print (_("%s: saved to %s, but not deleted: %s\n"),
                 outcome->uid, outcome->path, outcome->error->message);
      else if (outcome->path != NULL)
        g_print (_("%s: saved to %s\n"), outcome->uid, outcome->path);
      else if (outcome->deleted)
        g_print (_("%s: deleted\n"), outcome->uid);
      else if (outcome->error != NULL)
        g_print (_("%s: error: %s\n"), outcome->uid, outcome->error->message);
    }
}

/**
 * mp_cli_run_transfer:
 *
 * `--download` and `--delete`. Exit status 1 if any message named was not
 * downloaded (or deleted, when asked).
 */
int
mp_cli_run_transfer (CliOptions *options)
{
  g_auto(CliSession) session = { 0 };
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *label = NULL;
  MpMailbox *mailbox;
  TransferRun run = { 0 };
  int status;

  if (options->download && options->delete)
    {
      mp_cli_usage_error (_("Use either --download or --delete"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->rest == NULL || options->rest[0] == NULL)
    {
      mp_cli_usage_error (_("Name the messages by their UIDs (see mailpeek --check --json)"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->delete && (options->to || options->maildir || options->delete_after))
    {
      mp_cli_usage_error (_("--to, --maildir and --delete-after go with --download"));
      return MP_CLI_EXIT_USAGE;
    }

  status = mp_cli_open_session (options, CLI_SCOPE_ONE, &session);
  if (status != MP_CLI_EXIT_OK)
    return status;

  mailbox = g_ptr_array_index (session.mailboxes, 0);
  label = mp_account_dup_label (mp_mailbox_get_account (mailbox));
  messages = mp_mailbox_dup_messages_for_uids (mailbox, (const char * const *) options->rest);
  run.download = options->download;

  if (options->download)
    {
      g_autofree char *directory = NULL;
      MpDownloadFlags flags = MP_DOWNLOAD_NONE;

      if (options->to != NULL)
        directory = g_canonicalize_filename (options->to, NULL);
      else
        directory = g_get_current_dir ();
      if (options->maildir)
        flags |= MP_DOWNLOAD_MAILDIR;
      if (options->delete_after)
        flags |= MP_DOWNLOAD_DELETE_AFTER;

      mp_mailbox_download_async (mailbox, messages, directory, flags, NULL, NULL,
                                 NULL, transfer_cb, &run);
    }
  else
    mp_mailbox_delete_async (mailbox, messages, NULL, NULL, NULL, transfer_cb, &run);

  while (!run.done)
    g_main_context_iteration (NULL, TRUE);

  /* What a confirmed deletion changed in the seen-state is on disk before
   * the result is told.
   */
  {
    g_auto(MpCliWait) wait = { NULL, NULL };
    g_autoptr(GError) save_error = NULL;

    mp_mailbox_sync_async (mailbox, NULL, mp_cli_wait_cb, &wait);
    if (!mp_mailbox_sync_finish (mailbox, mp_cli_wait_for (&wait), &save_error))
      g_printerr (_("mailpeek: %s: could not save what was seen: %s\n"),
                  label, save_error->message);
  }

  if (options->json)
    print_json (label, options, run.outcomes, run.error);
  else
    print_human (label, options, run.outcomes, run.error);

  status = MP_CLI_EXIT_OK;
  if (run.error != NULL)
    status = MP_CLI_EXIT_ERROR;
  for (guint i = 0; run.outcomes != NULL && i < run.outcomes->len; i++)
    {
      if (!outcome_ok (g_ptr_array_index (run.outcomes, i), options))
        status = MP_CLI_EXIT_ERROR;
    }

  g_clear_pointer (&run.outcomes, g_ptr_array_unref);
  g_clear_error (&run.error);
  mp_cli_wait_until_idle (&session, options->timeout + 1);
  return status;
}
