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

#include "mp-check.h"
#include "mp-cli-private.h"
#include "mp-headers.h"
#include "mp-mailbox-state.h"
#include "mp-poller.h"

/* mailpeek --check and --watch. A message is "new" until one of these has
 * reported it; then the seen-state marks it announced.
 */

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *member,
                    const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static gboolean
is_new (MpMailboxState      *state,
        const MpMessageInfo *info)
{
  return state != NULL && info->key != NULL &&
         mp_mailbox_state_contains (state, info->key) &&
         !mp_mailbox_state_is_announced (state, info->key);
}

/* The per-account object of `--check --json`, also one line of `--watch`. */
static void
build_account_json (JsonBuilder             *builder,
                    const char              *label,
                    MpAccount               *account,
                    const MpMailboxSnapshot *snapshot,
                    MpMailboxState          *state,
                    const GError            *error)
{
  const char *name = NULL;
  guint n_new = 0;

  if (account != NULL && mp_account_get_settings (account) != NULL)
    name = mp_account_get_name (account);

  json_builder_begin_object (builder);
  add_string_or_null (builder, "account", label);
  add_string_or_null (builder, "name", name);
  add_string_or_null (builder, "status", error ? "error" : "ok");
  add_string_or_null (builder, "error", error ? error->message : NULL);

  if (snapshot == NULL)
    {
      const char * const null_members[] = { "messages", "bytes", "new" };

      for (guint i = 0; i < G_N_ELEMENTS (null_members); i++)
        {
          json_builder_set_member_name (builder, null_members[i]);
          json_builder_add_null_value (builder);
        }
      json_builder_set_member_name (builder, "headers");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      return;
    }

  for (guint i = 0; i < snapshot->messages->len; i++)
    n_new += is_new (state, g_ptr_array_index (snapshot->messages, i));

  json_builder_set_member_name (builder, "messages");
  json_builder_add_int_value (builder, snapshot->count);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, snapshot->size);
  json_builder_set_member_name (builder, "new");
  json_builder_add_int_value (builder, n_new);
  json_builder_set_member_name (builder, "pipelining");
  json_builder_add_boolean_value (builder, snapshot->pipelining);
  json_builder_set_member_name (builder, "uidl");
  json_builder_add_boolean_value (builder, snapshot->uidl_supported);
  json_builder_set_member_name (builder, "top");
  json_builder_add_boolean_value (builder, snapshot->top_supported);

  json_builder_set_member_name (builder, "headers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      const MpMessageInfo *info = g_ptr_array_index (snapshot->messages, i);
      const MpHeaders *h = info->headers;
      g_autofree char *date = h ? mp_headers_format_date_iso8601 (h) : NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "number");
      json_builder_add_int_value (builder, info->number);
      add_string_or_null (builder, "uidl", info->uid);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, info->size);
      json_builder_set_member_name (builder, "new");
      json_builder_add_boolean_value (builder, is_new (state, info));
      add_string_or_null (builder, "from", h ? h->from : NULL);
      add_string_or_null (builder, "from_name", h ? h->from_name : NULL);
      add_string_or_null (builder, "from_address", h ? h->from_address : NULL);
      add_string_or_null (builder, "to", h ? h->to : NULL);
      add_string_or_null (builder, "subject", h ? h->subject : NULL);
      add_string_or_null (builder, "date", date);
      add_string_or_null (builder, "message_id", h ? h->message_id : NULL);
      if (info->error != NULL)
        add_string_or_null (builder, "error", info->error->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
print_json_node (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

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

static void
print_human (const char              *label,
             const MpMailboxSnapshot *snapshot,
             MpMailboxState          *state,
             const GError            *error)
{
  g_autofree char *size = NULL;
  guint n_new = 0;

  if (error != NULL)
    {
      g_print (_("%s: error: %s\n"), label, error->message);
      return;
    }

  for (guint i = 0; i < snapshot->messages->len; i++)
    n_new += is_new (state, g_ptr_array_index (snapshot->messages, i));

  size = g_format_size (snapshot->size);
  g_print (ngettext ("%s: %u message, %s", "%s: %u messages, %s", snapshot->count),
           label, snapshot->count, size);
  if (n_new > 0)
    g_print (ngettext (" (%u new)", " (%u new)", n_new), n_new);
  g_print ("\n");
  if (!snapshot->uidl_supported && snapshot->count > 0)
    g_print (_("  This server has no UIDL: messages are recognised by their headers, "
               "and download and delete are not possible.\n"));
  if (!snapshot->top_supported && snapshot->count > 0)
    g_print (_("  This server has no TOP: headers of new messages are read from the whole "
               "message, and only up to a size limit.\n"));

  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      const MpMessageInfo *info = g_ptr_array_index (snapshot->messages, i);
      const MpHeaders *h = info->headers;
      g_autofree char *date = NULL;
      g_autofree char *from = NULL;
      const char *subject;

      if (h != NULL && h->date != NULL)
        {
          g_autoptr(GDateTime) local = g_date_time_to_local (h->date);

          date = g_date_time_format (local, "%Y-%m-%d %H:%M");
        }
      else
        date = g_strdup ("                ");

      from = fit (h && h->from ? h->from : _("(unknown sender)"), 32);
      if (info->error != NULL)
        subject = info->error->message;
      else
        subject = h && h->subject ? h->subject : _("(no subject)");

      g_print ("%c%5u  %s  %s  %s\n", is_new (state, info) ? '*' : ' ',
               info->number, date, from, subject);
    }
}

/* One account of a --check run. */
typedef struct
{
  CliTarget          target;
  GError            *error;
  MpMailboxState    *state;
  MpMailboxSnapshot *snapshot;
} AccountRun;

static void
account_run_free (AccountRun *run)
{
  mp_cli_target_clear (&run->target);
  g_clear_error (&run->error);
  g_clear_object (&run->state);
  g_clear_pointer (&run->snapshot, mp_mailbox_snapshot_free);
  g_free (run);
}

typedef struct
{
  GMainLoop *loop;
  guint      pending;
} CheckAll;

typedef struct
{
  CheckAll   *all;
  AccountRun *run;
} CheckItem;

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CheckItem *item = user_data;
  AccountRun *run = item->run;

  run->snapshot = mp_check_mailbox_finish (MP_POP3_CLIENT (object), result, &run->error);
  if (run->snapshot != NULL)
    mp_mailbox_state_merge (run->state, run->snapshot);

  if (--item->all->pending == 0)
    g_main_loop_quit (item->all->loop);
  g_free (item);
}

static int
run_accounts (CliOptions *options,
              GPtrArray  *runs)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  CheckAll all = { loop, 0 };
  int status = MP_CLI_EXIT_OK;

  /* All accounts at once: each is its own server. */
  for (guint i = 0; i < runs->len; i++)
    {
      AccountRun *run = g_ptr_array_index (runs, i);
      g_autoptr(GHashTable) known = NULL;
      CheckItem *item;

      if (run->error != NULL)
        continue;
      run->state = mp_mailbox_state_load (run->target.state_key);

      known = mp_mailbox_state_dup_known_uids (run->state);
      item = g_new0 (CheckItem, 1);
      item->all = &all;
      item->run = run;
      all.pending++;
      mp_check_mailbox_async (run->target.client, run->target.user, run->target.password,
                              run->target.auth, known, NULL, check_cb, item);
    }

  if (all.pending > 0)
    g_main_loop_run (loop);

  if (options->json)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "accounts");
      json_builder_begin_array (builder);
    }

  for (guint i = 0; i < runs->len; i++)
    {
      AccountRun *run = g_ptr_array_index (runs, i);
      g_autoptr(GError) save_error = NULL;

      if (options->json)
        build_account_json (builder, run->target.label, run->target.account,
                            run->snapshot, run->state, run->error);
      else
        print_human (run->target.label, run->snapshot, run->state, run->error);

      if (run->error != NULL)
        status = MP_CLI_EXIT_ERROR;

      /* Reported now: the next run does not call these new again. */
      if (run->snapshot != NULL)
        {
          mp_mailbox_state_mark_all_announced (run->state);
          if (!mp_mailbox_state_save (run->state, &save_error))
            g_printerr (_("mailpeek: %s: could not save what was seen: %s\n"),
                        run->target.label, save_error->message);
        }
    }

  if (options->json)
    {
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      print_json_node (builder);
    }
  fflush (stdout);

  /* The sessions' QUITs went out before the output was made; let them end
   * cleanly rather than leave the servers a dropped connection.
   */
  for (guint i = 0; i < runs->len; i++)
    {
      AccountRun *run = g_ptr_array_index (runs, i);
      gint64 deadline = g_get_monotonic_time () + (options->timeout + 1) * G_USEC_PER_SEC;

      while (run->target.client != NULL &&
             mp_pop3_client_is_connected (run->target.client) &&
             g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
    }

  return status;
}

/**
 * mp_cli_run_check:
 *
 * `--check`: with `--url` or `--account` that mailbox, else every enabled
 * account.
 */
int
mp_cli_run_check (CliOptions *options)
{
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func ((GDestroyNotify) account_run_free);
  int status;

  if (options->url != NULL || options->account != NULL)
    {
      AccountRun *run = g_new0 (AccountRun, 1);

      g_ptr_array_add (runs, run);
      status = mp_cli_prepare_target (options, &run->target);
      if (status != MP_CLI_EXIT_OK)
        return status;
    }
  else
    {
      g_autoptr(MpAccountStore) store = mp_cli_open_store ();
      guint n;

      if (store == NULL)
        return MP_CLI_EXIT_ERROR;

      n = g_list_model_get_n_items (G_LIST_MODEL (store));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(MpAccount) account = g_list_model_get_item (G_LIST_MODEL (store), i);
          AccountRun *run;

          if (!mp_account_get_enabled (account))
            continue;

          run = g_new0 (AccountRun, 1);
          g_ptr_array_add (runs, run);
          mp_cli_prepare_account (options, account, &run->target, &run->error);
        }

      if (runs->len == 0)
        {
          mp_cli_usage_error (_("No account is configured: add one with --add-account, "
                                "or name a mailbox with --url"));
          return MP_CLI_EXIT_USAGE;
        }
    }

  return run_accounts (options, runs);
}

/* --watch */

typedef struct
{
  GMainLoop *loop;
  char      *password;
} WatchRun;

static char *
watch_password (MpAccount *account,
                gpointer   user_data)
{
  WatchRun *run = user_data;

  return g_strdup (run->password);
}

static void
account_changed_cb (MpPoller  *poller,
                    MpAccount *account,
                    WatchRun  *run)
{
  const MpPollResult *result = mp_poller_get_last_result (poller, account);
  MpMailboxState *state = mp_poller_get_state (poller, account);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *label = mp_account_dup_label (account);
  g_autoptr(GError) save_error = NULL;

  build_account_json (builder, label, account, result->snapshot, state, result->error);
  print_json_node (builder);
  fflush (stdout);

  if (result->snapshot != NULL)
    {
      mp_mailbox_state_mark_all_announced (state);
      if (!mp_mailbox_state_save (state, &save_error))
        g_printerr (_("mailpeek: %s: could not save what was seen: %s\n"),
                    label, save_error->message);
    }
}

static gboolean
quit_cb (gpointer user_data)
{
  WatchRun *run = user_data;

  g_main_loop_quit (run->loop);
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
  g_autoptr(MpPoller) poller = mp_poller_new ();
  g_autoptr(MpAccountStore) store = NULL;
  g_auto(CliTarget) target = { 0 };
  WatchRun run = { loop, NULL };
  guint sigint, sigterm;
  guint n_accounts = 0;

  g_signal_connect (poller, "account-changed", G_CALLBACK (account_changed_cb), &run);

  if (options->url != NULL)
    {
      int status = mp_cli_prepare_target (options, &target);

      if (status != MP_CLI_EXIT_OK)
        return status;

      /* The password typed or given for --url lives only in this process. */
      run.password = g_strdup (target.password);
      mp_poller_set_password_func (poller, watch_password, &run);
      mp_poller_add_account (poller, target.account);
      n_accounts = 1;
    }
  else
    {
      guint n;

      store = mp_cli_open_store ();
      if (store == NULL)
        return MP_CLI_EXIT_ERROR;

      n = g_list_model_get_n_items (G_LIST_MODEL (store));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(MpAccount) account = g_list_model_get_item (G_LIST_MODEL (store), i);

          if (options->account != NULL &&
              g_strcmp0 (options->account, mp_account_get_name (account)) != 0 &&
              g_strcmp0 (options->account, mp_account_get_id (account)) != 0)
            continue;
          mp_poller_add_account (poller, account);
          n_accounts++;
        }
    }

  if (n_accounts == 0)
    {
      if (options->account != NULL)
        mp_cli_usage_error (_("There is no account named “%s” (see mailpeek --list-accounts)"),
                            options->account);
      else
        mp_cli_usage_error (_("No account is configured: add one with --add-account, "
                              "or name a mailbox with --url"));
      return MP_CLI_EXIT_USAGE;
    }

  sigint = g_unix_signal_add (SIGINT, quit_cb, &run);
  sigterm = g_unix_signal_add (SIGTERM, quit_cb, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (run.password != NULL)
    explicit_bzero (run.password, strlen (run.password));
  g_free (run.password);
  return MP_CLI_EXIT_OK;
}
