/* mp-cli.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mp-check.h"
#include "mp-account-store.h"
#include "mp-cli-private.h"
#include "mp-secrets.h"
#include "mp-headers.h"
#include "mp-pop3-client.h"

/* The command-line side of Mailpeek: everything here runs without a
 * display.
 */


void
mp_cli_target_clear (CliTarget *target)
{
  g_free (target->label);
  g_free (target->user);
  g_free (target->host);
  g_free (target->state_key);
  g_clear_object (&target->account);
  g_clear_object (&target->client);
  /* A keyring password lives in libsecret's non-pageable pool, which
   * g_free() must not touch; this wipes and frees either kind.
   */
  g_clear_pointer (&target->password, mp_secrets_free_password);
}

static void
cli_options_clear (CliOptions *options)
{
  g_free (options->url);
  g_free (options->security);
  g_free (options->cafile);
  g_free (options->pin);
  g_free (options->to);
  g_free (options->account);
  g_strfreev (options->rest);
  g_free (options->add_account);
  g_free (options->remove_account);
  g_free (options->interval);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliOptions, cli_options_clear)

void
mp_cli_usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("mailpeek: %s\n", message);
  g_printerr (_("Run “mailpeek --help” to see the options.\n"));
}

/* pop3://USER@HOST[:PORT]; a password in the URL is refused because
 * command lines are visible to every user of the machine.
 */
gboolean
mp_cli_parse_url (const char      *url,
                  MpPop3Security   security,
                  CliTarget       *target,
                  GError         **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *user;
  const char *host;
  int port;

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, error);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "pop3") != 0 && g_ascii_strcasecmp (scheme, "pop") != 0)
    {
      g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME,
                   _("The URL must start with pop3://, not “%s://”"), scheme);
      return FALSE;
    }

  if (g_uri_get_password (uri) != NULL)
    {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_PASSWORD,
                           _("Do not put the password in the URL; set MAILPEEK_PASSWORD "
                             "or type it when asked"));
      return FALSE;
    }

  user = g_uri_get_user (uri);
  host = g_uri_get_host (uri);
  if (user == NULL || *user == '\0')
    {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_USER,
                           _("The URL needs a user name: pop3://USER@HOST"));
      return FALSE;
    }
  if (host == NULL || *host == '\0')
    {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST,
                           _("The URL needs a host name: pop3://USER@HOST"));
      return FALSE;
    }

  port = g_uri_get_port (uri);
  if (port == 0 || port > G_MAXUINT16)
    {
      g_set_error_literal (error, G_URI_ERROR, G_URI_ERROR_BAD_PORT,
                           _("The port must be between 1 and 65535"));
      return FALSE;
    }

  target->user = g_strdup (user);
  target->host = g_strdup (host);
  target->port = port > 0 ? port : mp_pop3_security_default_port (security);
  if (strchr (host, ':') != NULL)
    target->label = g_strdup_printf ("%s@[%s]:%u", user, host, target->port);
  else
    target->label = g_strdup_printf ("%s@%s:%u", user, host, target->port);
  return TRUE;
}

/* Reads a line from the controlling terminal with echo off. */
char *
mp_cli_read_password (const char  *prompt,
                      GError     **error)
{
  struct termios saved, quiet;
  GString *password;
  int fd;
  char c;

  fd = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("No password: set MAILPEEK_PASSWORD or run mailpeek "
                             "from a terminal"));
      return NULL;
    }

  if (tcgetattr (fd, &saved) != 0)
    {
      close (fd);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("No password: set MAILPEEK_PASSWORD or run mailpeek "
                             "from a terminal"));
      return NULL;
    }

  quiet = saved;
  quiet.c_lflag &= ~(ECHO | ECHONL);
  quiet.c_lflag |= ICANON;
  tcsetattr (fd, TCSAFLUSH, &quiet);

  if (write (fd, prompt, strlen (prompt)) < 0)
    g_debug ("Could not write the password prompt");

  password = g_string_new (NULL);
  while (read (fd, &c, 1) == 1 && c != '\n' && password->len < 4096)
    g_string_append_c (password, c);

  tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    g_debug ("Could not end the password prompt");
  close (fd);

  return g_string_free (password, FALSE);
}

void
mp_cli_wait_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  MpCliWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_loop_quit (wait->loop);
}

/**
 * mp_cli_wait_for:
 *
 * Runs the default main context until mp_cli_wait_cb() has the result:
 * the command line has nothing else to do meanwhile.
 *
 * Returns: (transfer none): the result
 */
GAsyncResult *
mp_cli_wait_for (MpCliWait *wait)
{
  if (wait->loop == NULL)
    wait->loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (wait->loop);
  return wait->result;
}

void
mp_cli_wait_clear (MpCliWait *wait)
{
  g_clear_pointer (&wait->loop, g_main_loop_unref);
  g_clear_object (&wait->result);
}

/**
 * mp_cli_get_password:
 *
 * Returns: (transfer full) (nullable): the password from MAILPEEK_PASSWORD,
 *   else typed on the terminal without echo; %NULL when neither can be had
 */
char *
mp_cli_get_password (const char  *label,
                     GError     **error)
{
  const char *env_password = g_getenv ("MAILPEEK_PASSWORD");
  g_autofree char *prompt = NULL;

  if (env_password != NULL)
    return g_strdup (env_password);

  prompt = g_strdup_printf (_("Password for %s: "), label);
  return mp_cli_read_password (prompt, error);
}

/**
 * mp_cli_account_from_url:
 * @id: (nullable): the account id, or %NULL for user@host:port
 * @account: (out) (transfer full): a detached account
 *
 * Builds an account from `--url`, `--security`, `--cafile` and `--pin`,
 * and fills @target's label, user, host and port. Returns
 * %MP_CLI_EXIT_OK, or %MP_CLI_EXIT_USAGE after printing why not.
 */
int
mp_cli_account_from_url (CliOptions  *options,
                         const char  *id,
                         CliTarget   *target,
                         MpAccount  **account)
{
  MpPop3Security security = MP_POP3_SECURITY_TLS;
  g_autoptr(GError) error = NULL;
  g_autofree char *pin = NULL;

  if (options->security != NULL &&
      !mp_pop3_security_from_string (options->security, &security))
    {
      mp_cli_usage_error (_("--security must be tls, starttls or none, not “%s”"), options->security);
      return MP_CLI_EXIT_USAGE;
    }

  if (!mp_cli_parse_url (options->url, security, target, &error))
    {
      mp_cli_usage_error (_("Invalid URL “%s”: %s"), options->url, error->message);
      return MP_CLI_EXIT_USAGE;
    }

  if (options->pin != NULL)
    {
      pin = mp_pop3_normalize_fingerprint (options->pin, &error);
      if (pin == NULL)
        {
          mp_cli_usage_error ("%s", error->message);
          return MP_CLI_EXIT_USAGE;
        }
    }

  *account = mp_account_new (id ? id : target->label);
  mp_account_set_host (*account, target->host);
  mp_account_set_port (*account, target->port);
  mp_account_set_security (*account, security);
  mp_account_set_user (*account, target->user);
  mp_account_set_pinned_fingerprint (*account, pin);
  /* Stored accounts are used from another working directory. */
  if (options->cafile != NULL)
    {
      g_autofree char *cafile = g_canonicalize_filename (options->cafile, NULL);

      mp_account_set_cafile (*account, cafile);
    }

  return MP_CLI_EXIT_OK;
}

/**
 * mp_cli_prepare_account:
 * @account: a configured account
 *
 * Fills @target for @account, with the password from the keyring.
 * Returns %FALSE with an error that belongs to this account alone (no
 * password stored, no keyring, a CA file gone missing).
 */
gboolean
mp_cli_prepare_account (CliOptions  *options,
                        MpAccount   *account,
                        CliTarget   *target,
                        GError     **error)
{
  g_auto(MpCliWait) wait = { NULL, NULL };

  g_set_object (&target->account, account);
  target->label = mp_account_dup_label (account);
  target->user = g_strdup (mp_account_get_user (account));
  target->host = g_strdup (mp_account_get_host (account));
  target->port = mp_account_get_effective_port (account);
  target->auth = mp_account_get_auth (account);
  target->state_key = mp_account_dup_state_key (account);

  target->client = mp_account_create_client (account, options->timeout, error);
  if (target->client == NULL)
    return FALSE;
  mp_pop3_client_set_pipelining_allowed (target->client, !options->no_pipelining);

  mp_secrets_lookup_password_async (account, NULL, mp_cli_wait_cb, &wait);
  target->password = mp_secrets_lookup_password_finish (mp_cli_wait_for (&wait), error);
  return target->password != NULL;
}

/**
 * mp_cli_open_store:
 *
 * Returns: (transfer full) (nullable): the configured accounts, or %NULL
 *   after printing why the settings cannot be read
 */
MpAccountStore *
mp_cli_open_store (void)
{
  g_autoptr(GError) error = NULL;

  if (!mp_account_store_check_schemas (&error))
    {
      g_printerr ("mailpeek: %s\n", error->message);
      return NULL;
    }
  return mp_account_store_new ();
}

/**
 * mp_cli_prepare_target:
 *
 * Resolves `--account NAME` or `--url` into a client ready to connect and
 * a password. Returns %MP_CLI_EXIT_OK, or the exit status after printing
 * why not.
 */
int
mp_cli_prepare_target (CliOptions *options,
                       CliTarget  *target)
{
  g_autoptr(MpAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (options->timeout < 0)
    {
      mp_cli_usage_error (_("--timeout must not be negative"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->account != NULL)
    {
      g_autoptr(MpAccountStore) store = NULL;

      if (options->url != NULL || options->security != NULL ||
          options->cafile != NULL || options->pin != NULL)
        {
          mp_cli_usage_error (_("--account takes its settings from the account; "
                                "do not combine it with --url, --security, --cafile or --pin"));
          return MP_CLI_EXIT_USAGE;
        }

      store = mp_cli_open_store ();
      if (store == NULL)
        return MP_CLI_EXIT_ERROR;

      account = mp_account_store_find (store, options->account);
      if (account == NULL)
        {
          mp_cli_usage_error (_("There is no account named “%s” (see mailpeek --list-accounts)"),
                              options->account);
          return MP_CLI_EXIT_USAGE;
        }

      if (!mp_cli_prepare_account (options, account, target, &error))
        {
          g_printerr (_("mailpeek: %s: %s\n"), target->label, error->message);
          return MP_CLI_EXIT_ERROR;
        }
      return MP_CLI_EXIT_OK;
    }

  if (options->url == NULL)
    {
      mp_cli_usage_error (_("Name the mailbox with --account NAME or --url pop3://USER@HOST[:PORT]"));
      return MP_CLI_EXIT_USAGE;
    }

  /* A detached account: nothing is saved but its seen-state, keyed by
   * user@host:port.
   */
  status = mp_cli_account_from_url (options, NULL, target, &account);
  if (status != MP_CLI_EXIT_OK)
    return status;

  target->account = g_object_ref (account);
  target->auth = MP_POP3_AUTH_AUTO;
  target->state_key = mp_account_dup_state_key (account);
  target->client = mp_account_create_client (account, options->timeout, &error);
  if (target->client == NULL)
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }
  mp_pop3_client_set_pipelining_allowed (target->client, !options->no_pipelining);

  target->password = mp_cli_get_password (target->label, &error);
  if (target->password == NULL)
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  return MP_CLI_EXIT_OK;
}

/**
 * mp_cli_main:
 *
 * Returns: the exit status: 0 on success, 1 when an account failed, 2 on a
 *   usage error
 */
int
mp_cli_main (int    argc,
             char **argv)
{
  g_auto(CliOptions) options = { .timeout = MP_POP3_DEFAULT_TIMEOUT };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = NULL;
  const GOptionEntry entries[] = {
    { "check", 0, 0, G_OPTION_ARG_NONE, &options.check,
      N_("Check the mailbox once, print what it holds, and exit"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &options.account,
      N_("The configured account to work on (see --list-accounts)"),
      /* Translators: a placeholder in --help; translate it, and USER, HOST,
       * PORT, DIR and the like, as in the messages that mention them
       */
      N_("NAME") },
    { "watch", 0, 0, G_OPTION_ARG_NONE, &options.watch,
      N_("Keep polling and print a JSON line whenever an account changes"), NULL },
    { "url", 0, 0, G_OPTION_ARG_STRING, &options.url,
      N_("The mailbox to check"), N_("pop3://USER@HOST[:PORT]") },
    { "security", 0, 0, G_OPTION_ARG_STRING, &options.security,
      N_("tls (the default, port 995), starttls or none (port 110)"), N_("MODE") },
    { "cafile", 0, 0, G_OPTION_ARG_FILENAME, &options.cafile,
      N_("Also trust the CA certificates in this PEM file"), N_("FILE") },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &options.pin,
      N_("Trust the server certificate with this SHA-256 fingerprint"), "SHA256" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      N_("Print the result as JSON"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &options.timeout,
      N_("Give up when the server is silent this long (default 30)"), N_("SECONDS") },
    { "no-pipelining", 0, 0, G_OPTION_ARG_NONE, &options.no_pipelining,
      N_("Send one command at a time even if the server allows pipelining"), NULL },
    { "download", 0, 0, G_OPTION_ARG_NONE, &options.download,
      N_("Download the messages with the UIDs given as arguments"), NULL },
    { "delete", 0, 0, G_OPTION_ARG_NONE, &options.delete,
      N_("Delete the messages with the UIDs given as arguments from the server"), NULL },
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &options.to,
      N_("Where --download puts the messages (default: the current folder)"), N_("DIR") },
    { "maildir", 0, 0, G_OPTION_ARG_NONE, &options.maildir,
      N_("Deliver downloads into the Maildir DIR instead of .eml files"), NULL },
    { "delete-after", 0, 0, G_OPTION_ARG_NONE, &options.delete_after,
      N_("Delete each message on the server once its download is complete"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.rest,
      NULL, N_("UID…") },
    { "add-account", 0, 0, G_OPTION_ARG_STRING, &options.add_account,
      N_("Add an account with this name (needs --url; the password goes to the keyring)"), N_("NAME") },
    { "list-accounts", 0, 0, G_OPTION_ARG_NONE, &options.list_accounts,
      N_("List the configured accounts"), NULL },
    { "remove-account", 0, 0, G_OPTION_ARG_STRING, &options.remove_account,
      N_("Remove an account, its password and its saved state"), N_("NAME") },
    { "interval", 0, 0, G_OPTION_ARG_STRING, &options.interval,
      N_("With --add-account: minutes between checks (default 10)"), N_("MINUTES") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  mp_headers_init_library ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
                                _("Mailpeek checks POP3 mailboxes without downloading the mail.\n"
                                  "The password comes from the MAILPEEK_PASSWORD environment "
                                  "variable or is asked on the terminal."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  /* GOption wants a strv it may rearrange. */
  args = g_strdupv (argv);
  if (!g_option_context_parse_strv (context, &args, &error))
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  if (options.version)
    {
      g_print ("mailpeek %s\n", PACKAGE_VERSION);
      return MP_CLI_EXIT_OK;
    }

  if (options.download || options.delete)
    return mp_cli_run_transfer (&options);

  if (options.rest != NULL && options.rest[0] != NULL)
    {
      mp_cli_usage_error (_("Unexpected argument “%s”"), options.rest[0]);
      return MP_CLI_EXIT_USAGE;
    }

  /* The account modes first: they refuse to be combined with --check. */
  if (options.add_account != NULL)
    return mp_cli_add_account (&options);
  if (options.list_accounts)
    return mp_cli_list_accounts (&options);
  if (options.remove_account != NULL)
    return mp_cli_remove_account (&options);
  if (options.check)
    return mp_cli_run_check (&options);
  if (options.watch)
    return mp_cli_run_watch (&options);

  mp_cli_usage_error (_("The tray applet is not part of this build yet; use --check"));
  return MP_CLI_EXIT_USAGE;
}
