/* mp-cli-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "mp-cli-private.h"
#include "mp-mailbox-state.h"
#include "mp-transfer.h"

/* mailpeek --download / --delete UID… */

typedef struct
{
  GMainLoop *loop;
  GPtrArray *outcomes;
  GError    *error;
  gboolean   download;
} TransferRun;

static void
transfer_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  TransferRun *run = user_data;

  if (run->download)
    run->outcomes = mp_download_messages_finish (MP_POP3_CLIENT (object), result, &run->error);
  else
    run->outcomes = mp_delete_messages_finish (MP_POP3_CLIENT (object), result, &run->error);
  g_main_loop_quit (run->loop);
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
print_json (const CliTarget *target,
            const CliOptions *options,
            GPtrArray       *outcomes,
            const GError    *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "account");
  json_builder_add_string_value (builder, target->label);
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
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_human (const CliTarget  *target,
             const CliOptions *options,
             GPtrArray        *outcomes,
             const GError     *error)
{
  if (error != NULL)
    {
      g_print (_("%s: error: %s\n"), target->label, error->message);
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
  g_auto(CliTarget) target = { 0 };
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *directory = NULL;
  g_autoptr(MpMailboxState) state = NULL;
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

  status = mp_cli_prepare_target (options, &target);
  if (status != MP_CLI_EXIT_OK)
    return status;

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.download = options->download;

  if (options->download)
    {
      MpDownloadFlags flags = MP_DOWNLOAD_NONE;

      if (options->to != NULL)
        directory = g_canonicalize_filename (options->to, NULL);
      else
        directory = g_get_current_dir ();
      if (options->maildir)
        flags |= MP_DOWNLOAD_MAILDIR;
      if (options->delete_after)
        flags |= MP_DOWNLOAD_DELETE_AFTER;

      mp_download_messages_async (target.client, target.user, target.password, target.auth,
                                  (const char * const *) options->rest, directory, flags,
                                  NULL, transfer_cb, &run);
    }
  else
    mp_delete_messages_async (target.client, target.user, target.password, target.auth,
                              (const char * const *) options->rest,
                              NULL, transfer_cb, &run);

  g_main_loop_run (loop);

  /* The seen-state forgets a message only once the server confirmed its
   * deletion; anything else it keeps, still announced.
   */
  for (guint i = 0; run.outcomes != NULL && i < run.outcomes->len; i++)
    {
      const MpTransferOutcome *outcome = g_ptr_array_index (run.outcomes, i);

      if (outcome->deleted && state == NULL)
        state = mp_mailbox_state_load (target.state_key);
      if (outcome->deleted)
        mp_mailbox_state_remove (state, outcome->uid);
    }
  if (state != NULL)
    {
      g_autoptr(GError) save_error = NULL;

      if (!mp_mailbox_state_save (state, &save_error))
        g_printerr (_("mailpeek: %s: could not save what was seen: %s\n"),
                    target.label, save_error->message);
    }

  if (options->json)
    print_json (&target, options, run.outcomes, run.error);
  else
    print_human (&target, options, run.outcomes, run.error);

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
  return status;
}
