/* test-secrets.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-secrets"

#include "config.h"

#include <gio/gio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "mp-account.h"
#include "mp-secrets.h"
#include "mp-test-util.h"

/* mp-secrets against a real Secret Service: run through
 * tests/session-run.sh, which starts gnome-keyring in a private session
 * bus and exports MP_SESSION_DIR and MP_KEYRING_PID. The "unavailable"
 * tests take the bus away in a subprocess and need no keyring.
 */

#define GUARD_SECONDS 10
/* "Quickly": no D-Bus timeout (25 s) may be hiding in the failure path. */
#define UNAVAILABLE_MAX_SECONDS 5
/* The keyring password session-run.sh unlocks the login keyring with. */
#define KEYRING_PASSWORD "mailpeek-test-keyring"

/* Written out here rather than taken from mp-secrets.c, so the test also
 * checks the documented schema name and attributes.
 */
static const SecretSchema test_schema = {
  "io.github.mailpeek.Mailpeek.Password", SECRET_SCHEMA_NONE,
  {
    { "account-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static gboolean
store_sync (MpAccount   *account,
            const char  *password,
            GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_secrets_store_password_async (account, password, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_secrets_store_password_finish (result, error);
}

static char *
lookup_sync (MpAccount  *account,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_secrets_lookup_password_async (account, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_secrets_lookup_password_finish (result, error);
}

static gboolean
clear_sync (MpAccount  *account,
            GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_secrets_clear_password_async (account, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_secrets_clear_password_finish (result, error);
}

static void
assert_password (MpAccount  *account,
                 const char *expected)
{
  g_autoptr(GError) error = NULL;
  char *password = lookup_sync (account, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, expected);
  mp_secrets_free_password (password);
}

static void
assert_not_found (MpAccount *account)
{
  g_autoptr(GError) error = NULL;
  char *password = lookup_sync (account, &error);

  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_NOT_FOUND);
  g_assert_null (password);
}

static MpAccount *
make_account (const char *id,
              const char *user,
              const char *host)
{
  MpAccount *account = mp_account_new (id);

  mp_account_set_user (account, user);
  mp_account_set_host (account, host);
  return account;
}

/* Binary files may hold NULs, so no str* search. */
static gboolean
contains_bytes (const char *haystack,
                gsize       length,
                const char *needle)
{
  gsize needle_length = strlen (needle);

  for (gsize i = 0; i + needle_length <= length; i++)
    if (memcmp (haystack + i, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

/* Every file under @dir, recursively, must not contain @needle. Returns
 * the number of files read, so a caller can tell it looked at something.
 */
static guint
assert_not_in_files (const char *dir_path,
                     const char *needle)
{
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint n_files = 0;

  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          n_files += assert_not_in_files (path, needle);
          continue;
        }
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
          !g_file_get_contents (path, &contents, &length, NULL))
        continue;
      n_files++;
      if (contains_bytes (contents, length, needle))
        g_error ("The password is in plain text in %s", path);
    }
  return n_files;
}

static void
test_store_lookup (void)
{
  g_autoptr(MpAccount) account = make_account ("acct-store", "alice", "pop.example.org");
  g_autoptr(GError) error = NULL;
  const char *password = "pässwörd with spaces & ünïcode ✓";
  GList *items;
  g_autofree char *session_dir = NULL;
  g_autofree char *keyrings = NULL;

  if (!mp_test_need_keyring ())
    return;

  g_assert_true (store_sync (account, password, &error));
  g_assert_no_error (error);
  assert_password (account, password);

  /* One item, under the documented schema, attributes and label. */
  items = secret_password_search_sync (&test_schema, SECRET_SEARCH_ALL, NULL, &error,
                                       "account-id", "acct-store", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  {
    SecretRetrievable *item = items->data;
    g_autofree char *label = secret_retrievable_get_label (item);
    g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (item);

    g_assert_cmpstr (label, ==, "Mailpeek: alice@pop.example.org");
    g_assert_cmpstr (g_hash_table_lookup (attributes, "host"), ==, "pop.example.org");
    g_assert_cmpstr (g_hash_table_lookup (attributes, "user"), ==, "alice");
  }
  g_list_free_full (items, g_object_unref);

  /* Storing again replaces the password; it does not add an item. */
  g_assert_true (store_sync (account, "second-Zq8vK2", &error));
  assert_password (account, "second-Zq8vK2");
  items = secret_password_search_sync (&test_schema, SECRET_SEARCH_ALL, NULL, &error,
                                       "account-id", "acct-store", NULL);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  g_list_free_full (items, g_object_unref);

  /* gnome-keyring encrypts its files: no plaintext password on disk. */
  session_dir = g_strdup (g_getenv ("MP_SESSION_DIR"));
  g_assert_nonnull (session_dir);
  keyrings = g_build_filename (session_dir, "data", "keyrings", NULL);
  g_assert_true (g_file_test (keyrings, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (assert_not_in_files (session_dir, "second-Zq8vK2"), >, 0);
  g_assert_cmpuint (assert_not_in_files (session_dir, "pässwörd"), >, 0);
}

static void
test_accounts_are_separate (void)
{
  /* Same server and user, two accounts: two passwords. */
  g_autoptr(MpAccount) one = make_account ("acct-one", "bob", "pop.example.org");
  g_autoptr(MpAccount) two = make_account ("acct-two", "bob", "pop.example.org");
  g_autoptr(MpAccount) detached = make_account (NULL, "bob", "pop.example.org");
  g_autoptr(GError) error = NULL;

  if (!mp_test_need_keyring ())
    return;

  g_assert_true (store_sync (one, "one", &error));
  g_assert_true (store_sync (two, "two", &error));
  g_assert_true (store_sync (detached, "three", &error));
  g_assert_no_error (error);
  assert_password (one, "one");
  assert_password (two, "two");
  assert_password (detached, "three");

  /* Clearing the detached (`--url`) account leaves the stored ones. */
  g_assert_true (clear_sync (detached, &error));
  g_assert_no_error (error);
  assert_not_found (detached);
  assert_password (one, "one");
  assert_password (two, "two");

  g_assert_true (clear_sync (one, &error));
  assert_not_found (one);
  assert_password (two, "two");
}

static void
test_clear (void)
{
  g_autoptr(MpAccount) account = make_account ("acct-clear", "carol", "pop.example.org");
  g_autoptr(GError) error = NULL;
  GList *items;

  if (!mp_test_need_keyring ())
    return;

  g_assert_true (store_sync (account, "to be removed", &error));
  assert_password (account, "to be removed");

  g_assert_true (clear_sync (account, &error));
  g_assert_no_error (error);
  assert_not_found (account);
  items = secret_password_search_sync (&test_schema, SECRET_SEARCH_ALL, NULL, &error,
                                       "account-id", "acct-clear", NULL);
  g_assert_no_error (error);
  g_assert_null (items);

  /* Clearing what is not there is not an error. */
  g_assert_true (clear_sync (account, &error));
  g_assert_no_error (error);
}

static void
test_not_found (void)
{
  g_autoptr(MpAccount) account = make_account ("acct-never", "dave", "pop.example.org");

  if (!mp_test_need_keyring ())
    return;

  assert_not_found (account);
}

static void
test_session_password (void)
{
  g_autoptr(MpAccount) account = make_account ("acct-session", "erin", "pop.example.org");
  g_autoptr(MpAccount) other = make_account ("acct-session-2", "erin", "pop.example.org");
  g_autoptr(GError) error = NULL;

  if (!mp_test_need_keyring ())
    return;

  /* A session password is found without anything in the keyring… */
  mp_secrets_set_session_password (account, "session only");
  assert_password (account, "session only");
  assert_not_found (other);

  /* …comes before the keyring's… */
  mp_secrets_set_session_password (account, NULL);
  g_assert_true (store_sync (account, "in the keyring", &error));
  mp_secrets_set_session_password (account, "session wins");
  assert_password (account, "session wins");

  /* …and goes when the password is stored or cleared. */
  g_assert_true (store_sync (account, "stored later", &error));
  assert_password (account, "stored later");
  mp_secrets_set_session_password (account, "again");
  g_assert_true (clear_sync (account, &error));
  g_assert_no_error (error);
  assert_not_found (account);
}

static void
assert_all_unavailable (const char *expected_text)
{
  g_autoptr(MpAccount) account = make_account ("acct-x", "frank", "pop.example.org");
  gint64 start = g_get_monotonic_time ();
  GError *error = NULL;
  char *password;

  g_assert_false (store_sync (account, "never stored", &error));
  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, expected_text));
  g_assert_null (strstr (error->message, "never stored"));
  g_clear_error (&error);

  password = lookup_sync (account, &error);
  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
  g_assert_null (password);
  g_clear_error (&error);

  g_assert_false (clear_sync (account, &error));
  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
  g_clear_error (&error);

  g_assert_cmpint (g_get_monotonic_time () - start, <, UNAVAILABLE_MAX_SECONDS * G_USEC_PER_SEC);

  /* The session password still works: that is the fallback. */
  mp_secrets_set_session_password (account, "for now");
  password = lookup_sync (account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "for now");
  mp_secrets_free_password (password);
}

/* The bus address points at a socket nobody listens on. */
static void
test_unavailable_dead_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *address =
        g_strdup_printf ("unix:path=%s/no-bus-here", g_get_user_runtime_dir ());

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      assert_all_unavailable ("No keyring (Secret Service) is running");
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* No session bus at all, and none can be autolaunched (no display). */
static void
test_unavailable_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
      g_unsetenv ("DISPLAY");
      assert_all_unavailable ("No keyring (Secret Service) is running");
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* A working session bus where nothing provides org.freedesktop.secrets
 * (GTestDBus starts one without the system's service files): a desktop
 * without a keyring.
 */
static void
test_unavailable_no_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);

      g_test_dbus_up (bus);
      assert_all_unavailable ("No keyring (Secret Service) is running");
      /* Not g_test_dbus_down(): it waits for the bus connection to be
       * finalized, but libsecret keeps it for the life of the process.
       */
      secret_service_disconnect ();
      g_test_dbus_stop (bus);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static GVariant *
call_secret_service (GDBusConnection *bus,
                     const char      *interface,
                     const char      *method,
                     GVariant        *parameters)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       interface, method, parameters, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, GUARD_SECONDS * 1000, NULL,
                                       &error);
  g_assert_no_error (error);
  return reply;
}

/* Unlocks the login collection again without a prompter, through
 * gnome-keyring's own interface (what gnome-keyring-daemon --unlock and
 * PAM use), so the tests after this one find it unlocked.
 */
static void
unlock_login_collection (GDBusConnection *bus)
{
  g_autoptr(GVariant) session_reply = NULL;
  g_autoptr(GVariant) unlock_reply = NULL;
  g_autoptr(GVariant) session_output = NULL;
  const char *session;

  session_reply = call_secret_service (bus, "org.freedesktop.Secret.Service", "OpenSession",
                                       g_variant_new ("(sv)", "plain", g_variant_new_string ("")));
  g_variant_get (session_reply, "(v&o)", &session_output, &session);

  unlock_reply = call_secret_service (
    bus, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface", "UnlockWithMasterPassword",
    g_variant_new ("(o(o@ay@ays))",
                   "/org/freedesktop/secrets/collection/login", session,
                   g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                   g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, KEYRING_PASSWORD,
                                              strlen (KEYRING_PASSWORD), 1),
                   "text/plain"));
}

/* The keyring is running but locked, and the unlock prompt cannot be
 * shown (no display): store and lookup must say so, not "not found".
 */
static void
test_unavailable_locked (void)
{
  g_autoptr(MpAccount) account = make_account ("acct-locked", "gina", "pop.example.org");
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  if (!mp_test_need_keyring ())
    return;

  g_assert_true (store_sync (account, "locked away", &error));
  g_assert_no_error (error);

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  reply = call_secret_service (bus, "org.freedesktop.Secret.Service", "Lock",
                               g_variant_new_parsed ("([objectpath '/org/freedesktop/secrets/collection/login'],)"));

  g_assert_false (store_sync (account, "new one", &error));
  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_clear_error (&error);

  password = lookup_sync (account, &error);
  g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_assert_null (password);
  g_clear_error (&error);

  unlock_login_collection (bus);
  assert_password (account, "locked away");
  g_assert_true (clear_sync (account, &error));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/secrets/store-lookup", test_store_lookup);
  g_test_add_func ("/secrets/accounts-are-separate", test_accounts_are_separate);
  g_test_add_func ("/secrets/clear", test_clear);
  g_test_add_func ("/secrets/not-found", test_not_found);
  g_test_add_func ("/secrets/session-password", test_session_password);
  g_test_add_func ("/secrets/unavailable/dead-bus", test_unavailable_dead_bus);
  g_test_add_func ("/secrets/unavailable/no-bus", test_unavailable_no_bus);
  g_test_add_func ("/secrets/unavailable/no-service", test_unavailable_no_service);
  g_test_add_func ("/secrets/unavailable/locked", test_unavailable_locked);

  return g_test_run ();
}
