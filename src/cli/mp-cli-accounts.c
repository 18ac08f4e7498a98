/* mp-cli-accounts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mp-account-store.h"
#include "mp-cli-private.h"
#include "mp-secrets.h"

/* mailpeek --add-account / --list-accounts / --remove-account: the
 * accounts the applet will check, kept in GSettings with their passwords
 * in the keyring. Nothing here prints or logs a password.
 */

static void
print_error (const char *message)
{
  g_printerr ("mailpeek: %s\n", message);
}

/* Each account mode works alone; a second mode or an option it would
 * silently ignore is most likely a mistake in a script.
 */
static gboolean
check_options (CliOptions *options,
               const char *mode,
               gboolean    takes_target,
               gboolean    takes_json)
{
  const struct {
    gboolean    given;
    const char *name;
    gboolean    allowed;
  } checks[] = {
    { options->check, "--check", FALSE },
    { options->add_account != NULL, "--add-account", FALSE },
    { options->list_accounts, "--list-accounts", FALSE },
    { options->remove_account != NULL, "--remove-account", FALSE },
    { options->url != NULL, "--url", takes_target },
    { options->security != NULL, "--security", takes_target },
    { options->cafile != NULL, "--cafile", takes_target },
    { options->pin != NULL, "--pin", takes_target },
    { options->interval != NULL, "--interval", takes_target },
    { options->no_pipelining, "--no-pipelining", FALSE },
    { options->json, "--json", takes_json },
    { options->watch, "--watch", FALSE },
    { options->account != NULL, "--account", FALSE },
    { options->to != NULL, "--to", FALSE },
    { options->maildir, "--maildir", FALSE },
    { options->delete_after, "--delete-after", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      if (!checks[i].given || checks[i].allowed || g_str_equal (checks[i].name, mode))
        continue;
      mp_cli_usage_error (_("%s cannot be combined with %s"), mode, checks[i].name);
      return FALSE;
    }
  return TRUE;
}

/* Names appear in menus, in `--list-accounts` columns and in JSON. */
static gboolean
name_is_valid (const char *name)
{
  if (*name == '\0' || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
wipe_password (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

int
mp_cli_add_account (CliOptions *options)
{
  guint64 interval = MP_ACCOUNT_DEFAULT_INTERVAL;
  g_auto(MpCliWait) wait = { NULL, NULL };
  g_autoptr(MpAccountStore) store = NULL;
  g_autoptr(MpAccount) template = NULL;
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *label = NULL;
  char *password = NULL;
  const char *name = options->add_account;
  int status;

  if (!check_options (options, "--add-account", TRUE, FALSE))
    return MP_CLI_EXIT_USAGE;

  if (!name_is_valid (name))
    {
      mp_cli_usage_error (_("--add-account needs a name without control characters"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->url == NULL)
    {
      mp_cli_usage_error (_("--add-account needs --url pop3://USER@HOST[:PORT]"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->cafile != NULL && options->pin != NULL)
    {
      mp_cli_usage_error (_("Give either --cafile or --pin, not both"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->interval != NULL &&
      !g_ascii_string_to_unsigned (options->interval, 10,
                                   MP_ACCOUNT_MIN_INTERVAL, MP_ACCOUNT_MAX_INTERVAL,
                                   &interval, NULL))
    {
      mp_cli_usage_error (_("--interval must be a number of minutes from %d to %d, not “%s”"),
                   MP_ACCOUNT_MIN_INTERVAL, MP_ACCOUNT_MAX_INTERVAL, options->interval);
      return MP_CLI_EXIT_USAGE;
    }

  /* The id is chosen now so the password can be stored under it before
   * the account exists (see below).
   */
  id = mp_account_generate_id ();
  status = mp_cli_account_from_url (options, id, &template);
  if (status != MP_CLI_EXIT_OK)
    return status;
  mp_account_set_name (template, name);
  mp_account_set_interval (template, interval);
  label = mp_account_dup_label (template);

  /* Loads the CA file now rather than at the first check. */
  client = mp_account_create_client (template, MP_POP3_DEFAULT_TIMEOUT, &error);
  if (client == NULL)
    {
      mp_cli_usage_error (_("Cannot use the CA file “%s”: %s"),
                          mp_account_get_cafile (template), error->message);
      return MP_CLI_EXIT_USAGE;
    }

  store = mp_cli_open_store ();
  if (store == NULL)
    return MP_CLI_EXIT_ERROR;

  /* Before asking for the password, which would be typed in vain. */
  if (!mp_account_store_validate_new (store, template, &error))
    {
      print_error (error->message);
      return MP_CLI_EXIT_ERROR;
    }

  password = mp_cli_get_password (label, &error);
  if (password == NULL)
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }
  if (*password == '\0')
    {
      wipe_password (password);
      mp_cli_usage_error (_("The password is empty"));
      return MP_CLI_EXIT_USAGE;
    }

  /* The core stores the password, then adds the account, and removes the
   * password again if the add fails. It copies the password at once.
   */
  wait.loop = g_main_loop_new (NULL, FALSE);
  mp_account_store_add_async (store, template, password, NULL, mp_cli_wait_cb, &wait);
  wipe_password (password);
  password = NULL;

  added = mp_account_store_add_finish (store, mp_cli_wait_for (&wait), &error);
  if (added == NULL)
    {
      g_autofree char *message =
        g_strdup_printf (_("The account “%s” was not added: %s"), name, error->message);

      print_error (message);
      return MP_CLI_EXIT_ERROR;
    }

  g_print (_("Added account “%s” (%s)\n"), mp_account_get_name (added), label);
  return MP_CLI_EXIT_OK;
}

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *member,
                    const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL && *value != '\0')
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_accounts_json (GListModel *accounts)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(MpAccount) account = g_list_model_get_item (accounts, i);
      g_autofree char *label = mp_account_dup_label (account);

      json_builder_begin_object (builder);
      add_string_or_null (builder, "name", mp_account_get_name (account));
      add_string_or_null (builder, "id", mp_account_get_id (account));
      add_string_or_null (builder, "account", label);
      add_string_or_null (builder, "host", mp_account_get_host (account));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, mp_account_get_effective_port (account));
      add_string_or_null (builder, "security",
                          mp_pop3_security_to_string (mp_account_get_security (account)));
      add_string_or_null (builder, "user", mp_account_get_user (account));
      add_string_or_null (builder, "auth",
                          mp_pop3_auth_method_to_string (mp_account_get_auth (account)));
      json_builder_set_member_name (builder, "interval");
      json_builder_add_int_value (builder, mp_account_get_interval (account));
      json_builder_set_member_name (builder, "enabled");
      json_builder_add_boolean_value (builder, mp_account_get_enabled (account));
      add_string_or_null (builder, "pinned_fingerprint",
                          mp_account_get_pinned_fingerprint (account));
      add_string_or_null (builder, "cafile", mp_account_get_cafile (account));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  mp_cli_print_json (root);
}

/* Appends @text padded with spaces to @width characters. */
static void
append_column (GString    *line,
               const char *text,
               glong       width)
{
  g_string_append (line, text);
  for (glong n = g_utf8_strlen (text, -1); n < width; n++)
    g_string_append_c (line, ' ');
  g_string_append (line, "  ");
}

static void
print_accounts_text (GListModel *accounts)
{
  guint n_accounts = g_list_model_get_n_items (accounts);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const char *header[] = {
    /* Translators: column headings of mailpeek --list-accounts */
    C_("column", "NAME"), C_("column", "ACCOUNT"), C_("column", "SECURITY"),
    C_("column", "INTERVAL"), C_("column", "ENABLED"), NULL,
  };
  glong widths[G_N_ELEMENTS (header) - 1] = { 0 };

  if (n_accounts == 0)
    {
      g_print (_("No accounts. Add one with: mailpeek --add-account NAME --url "
                 "pop3://USER@HOST\n"));
      return;
    }

  g_ptr_array_add (rows, g_strdupv ((char **) header));
  for (guint i = 0; i < n_accounts; i++)
    {
      g_autoptr(MpAccount) account = g_list_model_get_item (accounts, i);
      char **row = g_new0 (char *, G_N_ELEMENTS (header));

      row[0] = g_strdup (mp_account_get_name (account));
      row[1] = mp_account_dup_label (account);
      row[2] = g_strdup (mp_pop3_security_to_string (mp_account_get_security (account)));
      row[3] = g_strdup_printf (_("%u min"), mp_account_get_interval (account));
      row[4] = g_strdup (mp_account_get_enabled (account) ? _("yes") : _("no"));
      g_ptr_array_add (rows, row);
    }

  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);

      for (guint c = 0; row[c] != NULL; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
    }

  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      g_autoptr(GString) line = g_string_new (NULL);

      for (guint c = 0; row[c] != NULL; c++)
        append_column (line, row[c], row[c + 1] != NULL ? widths[c] : 0);
      while (line->len > 0 && line->str[line->len - 1] == ' ')
        g_string_truncate (line, line->len - 1);
      g_print ("%s\n", line->str);
    }
}

int
mp_cli_list_accounts (CliOptions *options)
{
  g_autoptr(MpAccountStore) store = NULL;

  if (!check_options (options, "--list-accounts", FALSE, TRUE))
    return MP_CLI_EXIT_USAGE;

  store = mp_cli_open_store ();
  if (store == NULL)
    return MP_CLI_EXIT_ERROR;

  if (options->json)
    print_accounts_json (G_LIST_MODEL (store));
  else
    print_accounts_text (G_LIST_MODEL (store));
  return MP_CLI_EXIT_OK;
}

int
mp_cli_remove_account (CliOptions *options)
{
  g_auto(MpCliWait) wait = { NULL, NULL };
  g_autoptr(MpAccountStore) store = NULL;
  g_autoptr(MpAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;
  g_autofree char *name = NULL;
  int status = MP_CLI_EXIT_OK;

  if (!check_options (options, "--remove-account", FALSE, FALSE))
    return MP_CLI_EXIT_USAGE;

  store = mp_cli_open_store ();
  if (store == NULL)
    return MP_CLI_EXIT_ERROR;

  account = mp_account_store_find (store, options->remove_account);
  if (account == NULL)
    {
      g_autofree char *message =
        g_strdup_printf (_("There is no account named “%s”"), options->remove_account);

      print_error (message);
      return MP_CLI_EXIT_ERROR;
    }

  /* The account object keeps its values after removal. */
  name = g_strdup (mp_account_get_name (account));
  label = mp_account_dup_label (account);

  mp_account_store_delete_async (store, account, NULL, mp_cli_wait_cb, &wait);
  if (!mp_account_store_delete_finish (store, mp_cli_wait_for (&wait), &error))
    {
      /* Not removed at all. */
      if (error->domain == MP_ACCOUNT_ERROR)
        {
          print_error (error->message);
          return MP_CLI_EXIT_ERROR;
        }

      /* The account is gone; what was left behind is reported and makes
       * the exit status 1.
       */
      if (error->domain == MP_SECRETS_ERROR)
        g_printerr (_("mailpeek: the account “%s” was removed, but not its password: %s\n"),
                    name, error->message);
      else
        g_printerr (_("mailpeek: the account “%s” was removed, but not its saved state: %s\n"),
                    name, error->message);
      status = MP_CLI_EXIT_ERROR;
    }

  g_print (_("Removed account “%s” (%s)\n"), name, label);
  return status;
}
