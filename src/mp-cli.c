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
#include "mp-cli-private.h"
#include "mp-headers.h"
#include "mp-pop3-client.h"

/* The command-line side of Mailpeek: everything here runs without a
 * display.
 */


typedef struct
{
  char           *label;
  char           *user;
  char           *host;
  guint16         port;
  MpPop3Security  security;
} Target;

static void
target_clear (Target *target)
{
  g_free (target->label);
  g_free (target->user);
  g_free (target->host);
}

static void
cli_options_clear (CliOptions *options)
{
  g_free (options->url);
  g_free (options->security);
  g_free (options->cafile);
  g_free (options->pin);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Target, target_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliOptions, cli_options_clear)

static void
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
usage_error (const char *format,
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
           Target          *target,
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
  target->security = security;
  if (strchr (host, ':') != NULL)
    target->label = g_strdup_printf ("%s@[%s]:%u", user, host, target->port);
  else
    target->label = g_strdup_printf ("%s@%s:%u", user, host, target->port);
  return TRUE;
}

/* Reads a line from the controlling terminal with echo off. */
static char *
read_password_from_tty (const char  *prompt,
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

static void
build_account_json (JsonBuilder             *builder,
                    const Target            *target,
                    const MpMailboxSnapshot *snapshot,
                    const GError            *error)
{
  json_builder_begin_object (builder);
  add_string_or_null (builder, "account", target->label);
  add_string_or_null (builder, "status", error ? "error" : "ok");
  add_string_or_null (builder, "error", error ? error->message : NULL);

  if (snapshot == NULL)
    {
      json_builder_set_member_name (builder, "messages");
      json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "headers");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      return;
    }

  json_builder_set_member_name (builder, "messages");
  json_builder_add_int_value (builder, snapshot->count);
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, snapshot->size);
  json_builder_set_member_name (builder, "pipelining");
  json_builder_add_boolean_value (builder, snapshot->pipelining);
  json_builder_set_member_name (builder, "uidl");
  json_builder_add_boolean_value (builder, snapshot->uidl_supported);

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
print_json (const Target            *target,
            const MpMailboxSnapshot *snapshot,
            const GError            *error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  build_account_json (builder, target, snapshot, error);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* Pads or cuts @text to @width characters, for aligned columns. */
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
print_human (const Target            *target,
             const MpMailboxSnapshot *snapshot,
             const GError            *error)
{
  g_autofree char *size = NULL;

  if (error != NULL)
    {
      g_print (_("%s: error: %s\n"), target->label, error->message);
      return;
    }

  size = g_format_size (snapshot->size);
  g_print (ngettext ("%s: %u message, %s\n", "%s: %u messages, %s\n", snapshot->count),
           target->label, snapshot->count, size);

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

      g_print ("%6u  %s  %s  %s\n", info->number, date, from, subject);
    }
}

typedef struct
{
  GMainLoop         *loop;
  MpMailboxSnapshot *snapshot;
  GError            *error;
} CheckRun;

static void
check_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CheckRun *run = user_data;

  run->snapshot = mp_check_mailbox_finish (MP_POP3_CLIENT (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

static int
run_check (CliOptions *options)
{
  MpPop3Security security = MP_POP3_SECURITY_TLS;
  g_auto(Target) target = { 0 };
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *password = NULL;
  CheckRun run = { 0 };
  const char *env_password;
  int status;

  if (options->url == NULL)
    {
      usage_error (_("--check needs --url pop3://USER@HOST[:PORT]"));
      return MP_CLI_EXIT_USAGE;
    }

  if (options->security != NULL &&
      !mp_pop3_security_from_string (options->security, &security))
    {
      usage_error (_("--security must be tls, starttls or none, not “%s”"), options->security);
      return MP_CLI_EXIT_USAGE;
    }

  if (options->timeout < 0)
    {
      usage_error (_("--timeout must not be negative"));
      return MP_CLI_EXIT_USAGE;
    }

  if (!parse_url (options->url, security, &target, &error))
    {
      usage_error (_("Invalid URL “%s”: %s"), options->url, error->message);
      return MP_CLI_EXIT_USAGE;
    }

  client = mp_pop3_client_new (target.host, target.port, security);
  mp_pop3_client_set_timeout (client, options->timeout);
  mp_pop3_client_set_pipelining_allowed (client, !options->no_pipelining);

  if (options->cafile != NULL && !mp_pop3_client_set_ca_file (client, options->cafile, &error))
    {
      usage_error (_("Cannot use the CA file “%s”: %s"), options->cafile, error->message);
      return MP_CLI_EXIT_USAGE;
    }

  if (options->pin != NULL && !mp_pop3_client_set_pinned_fingerprint (client, options->pin, &error))
    {
      usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  env_password = g_getenv ("MAILPEEK_PASSWORD");
  if (env_password != NULL)
    password = g_strdup (env_password);
  else
    {
      g_autofree char *prompt = g_strdup_printf (_("Password for %s: "), target.label);

      password = read_password_from_tty (prompt, &error);
      if (password == NULL)
        {
          usage_error ("%s", error->message);
          return MP_CLI_EXIT_USAGE;
        }
    }

  mp_headers_init_library ();

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  mp_check_mailbox_async (client, target.user, password, MP_POP3_AUTH_AUTO,
                          NULL, NULL, check_cb, &run);
  explicit_bzero (password, strlen (password));
  g_main_loop_run (loop);

  if (options->json)
    print_json (&target, run.snapshot, run.error);
  else
    print_human (&target, run.snapshot, run.error);

  status = run.error ? MP_CLI_EXIT_ERROR : MP_CLI_EXIT_OK;
  g_clear_pointer (&run.snapshot, mp_mailbox_snapshot_free);
  g_clear_error (&run.error);
  return status;
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
    { "url", 0, 0, G_OPTION_ARG_STRING, &options.url,
      N_("The mailbox to check"), "pop3://USER@HOST[:PORT]" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &options.security,
      N_("tls (the default, port 995), starttls or none (port 110)"), "MODE" },
    { "cafile", 0, 0, G_OPTION_ARG_FILENAME, &options.cafile,
      N_("Also trust the CA certificates in this PEM file"), "FILE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &options.pin,
      N_("Trust the server certificate with this SHA-256 fingerprint"), "SHA256" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      N_("Print the result as JSON"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &options.timeout,
      N_("Give up when the server is silent this long (default 30)"), "SECONDS" },
    { "no-pipelining", 0, 0, G_OPTION_ARG_NONE, &options.no_pipelining,
      N_("Send one command at a time even if the server allows pipelining"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options.version,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

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
      usage_error ("%s", error->message);
      return MP_CLI_EXIT_USAGE;
    }

  if (options.version)
    {
      g_print ("mailpeek %s\n", PACKAGE_VERSION);
      return MP_CLI_EXIT_OK;
    }

  if (g_strv_length (args) > 1)
    {
      usage_error (_("Unexpected argument “%s”"), args[1]);
      return MP_CLI_EXIT_USAGE;
    }

  if (options.check)
    return run_check (&options);

  usage_error (_("The tray applet is not part of this build yet; use --check"));
  return MP_CLI_EXIT_USAGE;
}
