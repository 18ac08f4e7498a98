/* mp-cli-status.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mailpeek --status [--json]: what the running applet knows, read through
 * its io.github.mailpeek.Mailpeek.Status interface (a plain GDBusProxy, so
 * the command line does not link the UI). Never starts the applet.
 */

#define G_LOG_DOMAIN "mailpeek"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "mp-cli.h"
#include "mp-cli-status.h"

#define STATUS_INTERFACE "io.github.mailpeek.Mailpeek.Status"
#define STATUS_PATH      "/io/github/mailpeek/Mailpeek"

gboolean
mp_cli_status_wanted (int    argc,
                      char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_strcmp0 (argv[i], "--status") == 0)
      return TRUE;

  return FALSE;
}

/* A string member, whether the summary stores it as s or as ms. */
static char *
dup_string (GVariant   *dict,
            const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, NULL);
  g_autoptr(GVariant) inner = NULL;

  if (value == NULL)
    return NULL;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_MAYBE))
    {
      inner = g_variant_get_maybe (value);
      if (inner == NULL)
        return NULL;
      return g_variant_is_of_type (inner, G_VARIANT_TYPE_STRING)
        ? g_variant_dup_string (inner, NULL) : NULL;
    }

  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
    ? g_variant_dup_string (value, NULL) : NULL;
}

static guint64
get_number (GVariant   *dict,
            const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (dict, key, NULL);

  if (value == NULL)
    return 0;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return MAX (g_variant_get_int32 (value), 0);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return MAX (g_variant_get_int64 (value), 0);

  return 0;
}

static void
print_json (GVariant *accounts,
            guint     total,
            guint     total_new,
            gboolean  dnd)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GVariantIter iter;
  GVariant *account;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);
  g_variant_iter_init (&iter, accounts);
  while ((account = g_variant_iter_next_value (&iter)) != NULL)
    {
      /* D-Bus cannot carry the summary's nulls, so the applet leaves them
       * out; put them back so that this object reads like the one of
       * --check --json.
       */
      static const char * const nullable[] = {
        "name", "error", "messages", "bytes", "new", "unseen",
      };
      JsonNode *node = json_gvariant_serialize (account);
      JsonObject *object = json_node_get_object (node);

      for (gsize i = 0; i < G_N_ELEMENTS (nullable); i++)
        if (!json_object_has_member (object, nullable[i]))
          json_object_set_null_member (object, nullable[i]);
      json_builder_add_value (builder, node);
      g_variant_unref (account);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "total_messages");
  json_builder_add_int_value (builder, total);
  json_builder_set_member_name (builder, "total_new");
  json_builder_add_int_value (builder, total_new);
  json_builder_set_member_name (builder, "do_not_disturb");
  json_builder_add_boolean_value (builder, dnd);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
print_human (GVariant *accounts,
             guint     total,
             guint     total_new,
             gboolean  dnd)
{
  GVariantIter iter;
  GVariant *account;

  g_variant_iter_init (&iter, accounts);
  while ((account = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autofree char *name = dup_string (account, "name");
      g_autofree char *id = dup_string (account, "account");
      g_autofree char *error = dup_string (account, "error");
      const char *label = name != NULL ? name : id != NULL ? id : "?";

      if (error != NULL)
        g_print (_("%s: error: %s\n"), label, error);
      else
        g_print (_("%s: %u messages, %u new\n"),
                 label, (guint) MIN (get_number (account, "messages"), G_MAXUINT),
                 (guint) MIN (get_number (account, "new"), G_MAXUINT));
      g_variant_unref (account);
    }
  g_print (_("Total: %u messages, %u new%s\n"), total, total_new,
           dnd ? _(" (do not disturb)") : "");
}

int
mp_cli_status_main (int    argc,
                    char **argv)
{
  gboolean status = FALSE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "status", 0, 0, G_OPTION_ARG_NONE, &status,
      N_("Print what the running applet knows"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON document"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GDBusProxy) proxy = NULL;
  g_autofree char *owner = NULL;
  g_autoptr(GVariant) accounts = NULL;
  g_autoptr(GVariant) total = NULL;
  g_autoptr(GVariant) total_new = NULL;
  g_autoptr(GVariant) dnd = NULL;

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("mailpeek: %s\n", error->message);
      return MP_CLI_EXIT_USAGE;
    }
  if (argc > 1)
    {
      g_printerr (_("mailpeek: --status takes no other arguments than --json\n"));
      return MP_CLI_EXIT_USAGE;
    }

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (bus == NULL)
    {
      g_printerr (_("mailpeek: the applet is not running (no session bus: %s)\n"),
                  error->message);
      return MP_CLI_EXIT_ERROR;
    }

  /* DO_NOT_AUTO_START: asking for the status must not start the applet. */
  proxy = g_dbus_proxy_new_sync (bus,
                                 G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START |
                                 G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                 NULL, APP_ID, STATUS_PATH, STATUS_INTERFACE,
                                 NULL, &error);
  if (proxy != NULL)
    owner = g_dbus_proxy_get_name_owner (proxy);
  if (owner == NULL)
    {
      g_printerr (_("mailpeek: the applet is not running (start it with “mailpeek”)\n"));
      return MP_CLI_EXIT_ERROR;
    }

  accounts = g_dbus_proxy_get_cached_property (proxy, "Accounts");
  total = g_dbus_proxy_get_cached_property (proxy, "TotalMessages");
  total_new = g_dbus_proxy_get_cached_property (proxy, "TotalNew");
  dnd = g_dbus_proxy_get_cached_property (proxy, "DoNotDisturb");
  if (accounts == NULL || total == NULL || total_new == NULL || dnd == NULL ||
      !g_variant_is_of_type (accounts, G_VARIANT_TYPE ("aa{sv}")) ||
      !g_variant_is_of_type (total, G_VARIANT_TYPE_UINT32) ||
      !g_variant_is_of_type (total_new, G_VARIANT_TYPE_UINT32) ||
      !g_variant_is_of_type (dnd, G_VARIANT_TYPE_BOOLEAN))
    {
      g_printerr (_("mailpeek: the running applet did not report its status\n"));
      return MP_CLI_EXIT_ERROR;
    }

  if (json)
    print_json (accounts, g_variant_get_uint32 (total), g_variant_get_uint32 (total_new),
                g_variant_get_boolean (dnd));
  else
    print_human (accounts, g_variant_get_uint32 (total), g_variant_get_uint32 (total_new),
                 g_variant_get_boolean (dnd));

  return MP_CLI_EXIT_OK;
}
