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

#include "mp-account-store.h"
#include "mp-cli-private.h"
#include "mp-secrets.h"
#include "mp-headers.h"
#include "mp-pop3-client.h"

/* The command-line side of Mailpeek: everything here runs without a
 * display.
 */


void
mp_cli_session_clear (CliSession *session)
{
  /* The mailboxes first: they belong to the poller. */
  g_clear_pointer (&session->mailboxes, g_ptr_array_unref);
  g_clear_object (&session->poller);
  g_clear_object (&session->store);
  if (session->password != NULL)
    explicit_bzero (session->password, strlen (session->password));
  g_clear_pointer (&session->password, g_free);
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
static gboolean
parse_url (const char      *url,
           MpPop3Security   security,
           char           **user_out,
           char           **host_out,
           guint16         *port_out,
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

  *user_out = g_strdup (user);
  *host_out = g_strdup (host);
  *port_out = port > 0 ? port : mp_pop3_security_default_port (security);
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

static MpAccount *
new_account (const char     *id,
             const char     *user,
             const char     *host,
             guint16         port,
             MpPop3Security  security,
             const char     *pin)
{
  MpAccount *account = mp_account_new (id);

  mp_account_set_host (account, host);
  mp_account_set_port (account, port);
  mp_account_set_security (account, security);
  mp_account_set_user (account, user);
  mp_account_set_pinned_fingerprint (account, pin);
  return account;
}

/**
 * mp_cli_account_from_url:
 * @id: (nullable): the account id, or %NULL for user@host:port
 * @account: (out) (transfer full): a detached account
 *
 * Builds an account from `--url`, `--security`, `--cafile` and `--pin`.
 * Returns %MP_CLI_EXIT_OK, or %MP_CLI_EXIT_USAGE after printing why not.
 */
int
mp_cli_account_from_url (CliOptions  *options,
                         const char  *id,
                         MpAccount  **account)
{
  MpPop3Security security = MP_POP3_SECURITY_TLS;
  g_autoptr(GError) error = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *user = NULL;
  g_autofree char *host = NULL;
  guint16 port = 0;

  if (options->security != NULL &&
      !mp_pop3_security_from_string (options->security, &security))
    {
      mp_cli_usage_error (_("--security must be tls, starttls or none, not “%s”"), options->security);
      return MP_CLI_EXIT_USAGE;
    }

  if (!parse_url (options->url, security, &user, &host, &port, &error))
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

  *account = new_account (id ? id : "", user, host, port, security, pin);
  if (id == NULL)
    {
      /* A --url mailbox is named by its label, user@host:port. */
      g_autofree char *label = mp_account_dup_label (*account);

      g_clear_object (account);
      *account = new_account (label, user, host, port, security, pin);
    }

  /* Stored accounts are used from another working directory. */
  if (options->cafile != NULL)
    {
      g_autofree char *cafile = g_canonicalize_filename (options->cafile, NULL);

      mp_account_set_cafile (*account, cafile);
    }

  return MP_CLI_EXIT_OK;
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

/* The password typed or given for --url lives only in this process. */
static char *
session_password (MpAccount *account,
                  gpointer   user_data)
{
  CliSession *session = user_data;

  return g_strdup (session->password);
}

static int
open_url (CliOptions *options,
          CliSession *session)
{
  g_autoptr(MpAccount) account = NULL;
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;
  int status;

  status = mp_cli_account_from_url (options, NULL, &account);
  if (status != MP_CLI_EXIT_OK)
    return status;

  /* A CA file or pin that cannot be used is a mistake on the command
   * line, found before a password is asked for.
   */
  client = mp_account_create_client (account, MP_POP3_DEFAULT_TIMEOUT, &error);
  if (client == NULL)
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  label = mp_account_dup_label (account);
  session->password = mp_cli_get_password (label, &error);
  if (session->password == NULL)
    {
      mp_cli_usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  mp_poller_set_password_func (session->poller, session_password, session);
  g_ptr_array_add (session->mailboxes,
                   g_object_ref (mp_poller_add_account (session->poller, account)));
  return MP_CLI_EXIT_OK;
}

/**
 * mp_cli_open_session:
 * @scope: the accounts to take when neither --account nor --url is given
 *
 * Makes the poller and the mailboxes of `--account NAME`, `--url`, or the
 * accounts of @scope. Only %CLI_SCOPE_STORE polls on a schedule; the
 * others poll when asked. Returns %MP_CLI_EXIT_OK, or the exit status
 * after printing why not.
 */
int
mp_cli_open_session (CliOptions *options,
                     CliScope    scope,
                     CliSession *session)
{
  if (options->timeout < 0)
    {
      mp_cli_usage_error (_("--timeout must not be negative"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->account != NULL &&
      (options->url != NULL || options->security != NULL ||
       options->cafile != NULL || options->pin != NULL))
    {
      mp_cli_usage_error (_("--account takes its settings from the account; "
                            "do not combine it with --url, --security, --cafile or --pin"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->url == NULL && options->account == NULL && scope == CLI_SCOPE_ONE)
    {
      mp_cli_usage_error (_("Name the mailbox with --account NAME or --url pop3://USER@HOST[:PORT]"));
      return MP_CLI_EXIT_USAGE;
    }

  session->mailboxes = g_ptr_array_new_with_free_func (g_object_unref);

  if (options->url == NULL)
    {
      session->store = mp_cli_open_store ();
      if (session->store == NULL)
        return MP_CLI_EXIT_ERROR;
    }

  if (options->url == NULL && options->account == NULL && scope == CLI_SCOPE_STORE)
    session->poller = mp_poller_new_for_store (session->store);
  else
    session->poller = mp_poller_new ();
  mp_poller_set_scheduling (session->poller, scope == CLI_SCOPE_STORE);
  mp_poller_set_session_timeout (session->poller, options->timeout);
  mp_poller_set_pipelining_allowed (session->poller, !options->no_pipelining);

  if (options->url != NULL)
    return open_url (options, session);

  if (options->account != NULL)
    {
      g_autoptr(MpAccount) account = mp_account_store_find (session->store, options->account);

      if (account == NULL)
        {
          mp_cli_usage_error (_("There is no account named “%s” (see mailpeek --list-accounts)"),
                              options->account);
          return MP_CLI_EXIT_USAGE;
        }
      g_ptr_array_add (session->mailboxes,
                       g_object_ref (mp_poller_add_account (session->poller, account)));
      return MP_CLI_EXIT_OK;
    }

  if (scope == CLI_SCOPE_STORE)
    {
      GListModel *model = G_LIST_MODEL (session->poller);

      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        g_ptr_array_add (session->mailboxes, g_list_model_get_item (model, i));
    }
  else
    {
      GListModel *model = G_LIST_MODEL (session->store);

      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(MpAccount) account = g_list_model_get_item (model, i);

          if (mp_account_get_enabled (account))
            g_ptr_array_add (session->mailboxes,
                             g_object_ref (mp_poller_add_account (session->poller, account)));
        }
    }

  if (session->mailboxes->len == 0)
    {
      mp_cli_usage_error (_("No account is configured: add one with --add-account, "
                            "or name a mailbox with --url"));
      return MP_CLI_EXIT_USAGE;
    }
  return MP_CLI_EXIT_OK;
}

static gboolean
any_busy (CliSession *session)
{
  for (guint i = 0; i < session->mailboxes->len; i++)
    if (mp_mailbox_get_busy (g_ptr_array_index (session->mailboxes, i)))
      return TRUE;
  return FALSE;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * mp_cli_wait_until_idle:
 * @seconds: the longest to wait
 *
 * Lets the sessions still running end (a QUIT sent after the result was
 * known) rather than leave the servers a dropped connection.
 */
void
mp_cli_wait_until_idle (CliSession *session,
                        guint       seconds)
{
  gboolean expired = FALSE;
  guint deadline;

  if (session->mailboxes == NULL)
    return;
  deadline = g_timeout_add_seconds (seconds, deadline_cb, &expired);
  while (!expired && any_busy (session))
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
}

/**
 * mp_cli_print_json:
 * @root: (transfer none): what to print
 *
 * Prints @root as one line of JSON.
 */
void
mp_cli_print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  fflush (stdout);
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
