/* test-accounts.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-accounts"

#include "config.h"

#include <gio/gio.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mp-account-store.h"
#include "mp-account.h"
#include "mp-secrets.h"
#include "mp-test-util.h"

/* MpAccount and MpAccountStore against the built schemas, each test with
 * its own memory backend (the store makes the account settings with the
 * backend of the settings it is given). The tests of
 * mp_account_store_add_async() need a Secret Service: meson runs this
 * through tests/session-run.sh (a private bus with an unlocked
 * gnome-keyring).
 */

#define GUARD_SECONDS 5

static const char test_ca_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBjTCCATOgAwIBAgIUCPDQIVNOLw3yrctrab8pH+jNyn8wCgYIKoZIzj0EAwIw\n"
  "GzEZMBcGA1UEAwwQTWFpbHBlZWsgdGVzdCBDQTAgFw0yNjExMjgxNzM4MDdaGA8y\n"
  "MTI2MTEwNDE3MzgwN1owGzEZMBcGA1UEAwwQTWFpbHBlZWsgdGVzdCBDQTBZMBMG\n"
  "ByqGSM49AgEGCCqGSM49AwEHA0IABBRVLbmUW/w6/gLiLWmEJbiwSsK4W5lWAAMb\n"
  "KKTkjPkv5Ec2HbebViGUyZlVQfCobJAukVu3XMZ2GQ7KuTubQACjUzBRMB0GA1Ud\n"
  "DgQWBBTxAx/udoyixUGWxEzZoDRv3UIH9DAfBgNVHSMEGDAWgBTxAx/udoyixUGW\n"
  "xEzZoDRv3UIH9DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHJJ\n"
  "HXbPf12vmeYykSpKAJIBSBkVf7pRnr02xCLWm2//AiEAyUk5ii2neSV7j97zIyeB\n"
  "VK0giI+1zxuo+dotAOIl3Ps=\n"
  "-----END CERTIFICATE-----\n";

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  GSettingsBackend *backend;
  GSettings        *settings;
  MpAccountStore   *store;
  GArray           *changes;
} Fixture;

static GSettings *
account_settings (GSettingsBackend *backend,
                  const char       *id)
{
  g_autofree char *path = g_strdup_printf ("/io/github/mailpeek/Mailpeek/accounts/%s/", id);

  return g_settings_new_with_backend_and_path (MP_ACCOUNT_SCHEMA_ID, backend, path);
}

static guint16
get_port (GSettings *settings)
{
  guint16 port;

  g_settings_get (settings, "port", "q", &port);
  return port;
}

static void
assert_key_string (GSettings  *settings,
                   const char *key,
                   const char *expected)
{
  g_autofree char *value = g_settings_get_string (settings, key);

  g_assert_cmpstr (value, ==, expected);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *fixture)
{
  Change change = { position, removed, added };

  g_array_append_val (fixture->changes, change);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->backend = g_memory_settings_backend_new ();
  fixture->settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  fixture->store = mp_account_store_new_for_settings (fixture->settings);
  fixture->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  g_signal_connect (fixture->store, "items-changed", G_CALLBACK (items_changed_cb), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_assert_finalize_object (fixture->store);
  g_clear_object (&fixture->settings);
  g_clear_object (&fixture->backend);
  g_clear_pointer (&fixture->changes, g_array_unref);
}

typedef struct
{
  Fixture *fixture;
  guint    n_changes;
} ChangeCount;

static gboolean
changes_arrived (gpointer user_data)
{
  ChangeCount *count = user_data;

  return count->fixture->changes->len >= count->n_changes;
}

/* Settings changes may be delivered through the main context; iterate it
 * until @n_changes items-changed arrived, failing after GUARD_SECONDS.
 */
static void
wait_for_changes (Fixture *fixture,
                  guint    n_changes)
{
  ChangeCount count = { fixture, n_changes };

  mp_test_wait_until (changes_arrived, &count, GUARD_SECONDS * 1000, "items-changed");
  g_assert_cmpuint (fixture->changes->len, ==, n_changes);
}

static void
assert_change (Fixture *fixture,
               guint    index,
               guint    position,
               guint    removed,
               guint    added)
{
  Change *change;

  g_assert_cmpuint (index, <, fixture->changes->len);
  change = &g_array_index (fixture->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

static MpAccount *
make_template (const char *name,
               const char *user,
               const char *host)
{
  MpAccount *account = mp_account_new (NULL);

  mp_account_set_name (account, name);
  mp_account_set_user (account, user);
  mp_account_set_host (account, host);
  return account;
}

static void
test_account_defaults (void)
{
  g_autoptr(MpAccount) account = mp_account_new (NULL);

  g_assert_null (mp_account_get_id (account));
  g_assert_null (mp_account_get_settings (account));
  g_assert_cmpstr (mp_account_get_name (account), ==, "");
  g_assert_cmpstr (mp_account_get_cafile (account), ==, "");
  g_assert_cmpint (mp_account_get_security (account), ==, MP_POP3_SECURITY_TLS);
  g_assert_cmpint (mp_account_get_auth (account), ==, MP_POP3_AUTH_AUTO);
  g_assert_cmpuint (mp_account_get_interval (account), ==, MP_ACCOUNT_DEFAULT_INTERVAL);
  g_assert_true (mp_account_get_enabled (account));
  g_assert_true (mp_account_get_notify (account));

  /* Port 0 follows the security mode. */
  g_assert_cmpuint (mp_account_get_port (account), ==, 0);
  g_assert_cmpuint (mp_account_get_effective_port (account), ==, 995);
  mp_account_set_security (account, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_account_get_effective_port (account), ==, 110);
  mp_account_set_port (account, 1110);
  g_assert_cmpuint (mp_account_get_effective_port (account), ==, 1110);

  /* NULL strings read back as "", which is what GSettings can store. */
  mp_account_set_cafile (account, "/x.pem");
  mp_account_set_cafile (account, NULL);
  g_assert_cmpstr (mp_account_get_cafile (account), ==, "");
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_account_settings_round_trip (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = account_settings (backend, "abc");
  g_autoptr(GSettings) other = account_settings (backend, "abc");
  g_autoptr(MpAccount) account = NULL;
  guint name_notifies = 0;
  guint security_notifies = 0;

  g_settings_set_string (settings, "name", "Work");
  g_settings_set_string (settings, "security", "starttls");
  g_settings_set (settings, "port", "q", (guint16) 1110);

  account = mp_account_new_for_settings ("abc", settings);
  g_assert_cmpstr (mp_account_get_id (account), ==, "abc");
  g_assert_true (mp_account_get_settings (account) == settings);

  /* Settings → properties, at bind time. */
  g_assert_cmpstr (mp_account_get_name (account), ==, "Work");
  g_assert_cmpint (mp_account_get_security (account), ==, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_account_get_port (account), ==, 1110);
  g_assert_cmpuint (mp_account_get_interval (account), ==, 10);

  /* Properties → settings, seen through a second settings object. */
  mp_account_set_host (account, "pop.example.org");
  mp_account_set_user (account, "alice");
  mp_account_set_port (account, 995);
  mp_account_set_security (account, MP_POP3_SECURITY_NONE);
  mp_account_set_auth (account, MP_POP3_AUTH_CRAM_MD5);
  mp_account_set_interval (account, 1440);
  mp_account_set_enabled (account, FALSE);
  mp_account_set_notify (account, FALSE);
  mp_account_set_pinned_fingerprint (account, "ab");
  mp_account_set_cafile (account, "/etc/ca.pem");
  mp_account_set_download_folder (account, "/tmp/mail");

  assert_key_string (other, "host", "pop.example.org");
  assert_key_string (other, "user", "alice");
  g_assert_cmpuint (get_port (other), ==, 995);
  g_assert_cmpint (g_settings_get_enum (other, "security"), ==, MP_POP3_SECURITY_NONE);
  g_assert_cmpint (g_settings_get_enum (other, "auth"), ==, MP_POP3_AUTH_CRAM_MD5);
  g_assert_cmpuint (g_settings_get_uint (other, "interval"), ==, 1440);
  g_assert_false (g_settings_get_boolean (other, "enabled"));
  g_assert_false (g_settings_get_boolean (other, "notify"));
  assert_key_string (other, "pinned-fingerprint", "ab");
  assert_key_string (other, "cafile", "/etc/ca.pem");
  assert_key_string (other, "download-folder", "/tmp/mail");

  /* A change by someone else (another process, dconf-editor) reaches the
   * properties, with one notify each.
   */
  g_signal_connect (account, "notify::name", G_CALLBACK (count_notify_cb), &name_notifies);
  g_signal_connect (account, "notify::security", G_CALLBACK (count_notify_cb),
                    &security_notifies);
  g_settings_set_string (other, "name", "Home");
  g_settings_set_enum (other, "security", MP_POP3_SECURITY_TLS);
  g_settings_set_enum (other, "auth", MP_POP3_AUTH_APOP);
  g_settings_set_boolean (other, "enabled", TRUE);
  g_settings_set_uint (other, "interval", 1);
  g_assert_cmpstr (mp_account_get_name (account), ==, "Home");
  g_assert_cmpint (mp_account_get_security (account), ==, MP_POP3_SECURITY_TLS);
  g_assert_cmpint (mp_account_get_auth (account), ==, MP_POP3_AUTH_APOP);
  g_assert_true (mp_account_get_enabled (account));
  g_assert_cmpuint (mp_account_get_interval (account), ==, 1);
  g_assert_cmpuint (name_notifies, ==, 1);
  g_assert_cmpuint (security_notifies, ==, 1);

  /* Setting the same value again writes and notifies nothing. */
  mp_account_set_name (account, "Home");
  g_assert_cmpuint (name_notifies, ==, 1);

  /* Every enum value maps both ways. */
  for (int auth = MP_POP3_AUTH_AUTO; auth <= MP_POP3_AUTH_CRAM_MD5; auth++)
    {
      mp_account_set_auth (account, auth);
      g_assert_cmpint (g_settings_get_enum (other, "auth"), ==, auth);
      assert_key_string (other, "auth", mp_pop3_auth_method_to_string (auth));
    }
  for (int security = MP_POP3_SECURITY_TLS; security <= MP_POP3_SECURITY_NONE; security++)
    {
      g_settings_set_enum (other, "security", security);
      g_assert_cmpint (mp_account_get_security (account), ==, security);
    }

  g_clear_object (&account);
  /* A finalized account must no longer be bound. */
  g_settings_set_string (other, "name", "After");
}

static void
test_account_label (void)
{
  g_autoptr(MpAccount) account = make_template ("x", "alice", "pop.example.org");
  g_autofree char *label1 = NULL;
  g_autofree char *label2 = NULL;
  g_autofree char *label3 = NULL;

  label1 = mp_account_dup_label (account);
  g_assert_cmpstr (label1, ==, "alice@pop.example.org:995");

  mp_account_set_port (account, 11995);
  label2 = mp_account_dup_label (account);
  g_assert_cmpstr (label2, ==, "alice@pop.example.org:11995");

  mp_account_set_host (account, "::1");
  label3 = mp_account_dup_label (account);
  g_assert_cmpstr (label3, ==, "alice@[::1]:11995");
}

static void
assert_safe_key (const char *key)
{
  g_assert_nonnull (key);
  g_assert_cmpuint (strlen (key), >, 0);
  g_assert_cmpuint (strlen (key), <=, 160);
  g_assert_null (strchr (key, '/'));
  g_assert_null (strchr (key, '\\'));
  g_assert_cmpint (key[0], !=, '.');
  g_assert_true (g_utf8_validate (key, -1, NULL));
  for (const char *p = key; *p != '\0'; p++)
    g_assert_true (g_ascii_isgraph (*p));
}

static void
test_account_state_key (void)
{
  g_autoptr(MpAccount) stored = mp_account_new ("0123abcd");
  g_autoptr(MpAccount) odd_id = mp_account_new ("../../etc/passwd");
  g_autoptr(MpAccount) detached = make_template ("", "../al ice", "pop.example.org");
  g_autoptr(MpAccount) other = make_template ("", "../al ice", "pop.example.org");
  g_autoptr(MpAccount) dotted = make_template ("", ".hidden", "h");
  g_autoptr(MpAccount) long_one = NULL;
  g_autoptr(MpAccount) long_two = NULL;
  g_autofree char *long_user1 = g_strnfill (300, 'u');
  g_autofree char *long_user2 = g_strnfill (301, 'u');
  g_autofree char *key = NULL;
  g_autofree char *odd_key = NULL;
  g_autofree char *detached_key = NULL;
  g_autofree char *other_key = NULL;
  g_autofree char *dotted_key = NULL;
  g_autofree char *long_key1 = NULL;
  g_autofree char *long_key2 = NULL;
  g_autoptr(GFile) dir = NULL;

  key = mp_account_dup_state_key (stored);
  g_assert_cmpstr (key, ==, "0123abcd");

  odd_key = mp_account_dup_state_key (odd_id);
  assert_safe_key (odd_key);

  detached_key = mp_account_dup_state_key (detached);
  assert_safe_key (detached_key);
  /* A detached key keeps its '@', so it cannot equal a stored one. */
  g_assert_nonnull (strchr (detached_key, '@'));
  g_assert_null (strchr (odd_key, '@'));

  /* Stable for the same label, different for another port. */
  other_key = mp_account_dup_state_key (other);
  g_assert_cmpstr (detached_key, ==, other_key);
  g_clear_pointer (&other_key, g_free);
  mp_account_set_port (other, 1995);
  other_key = mp_account_dup_state_key (other);
  g_assert_cmpstr (detached_key, !=, other_key);

  dotted_key = mp_account_dup_state_key (dotted);
  assert_safe_key (dotted_key);

  long_one = make_template ("", long_user1, "h");
  long_two = make_template ("", long_user2, "h");
  long_key1 = mp_account_dup_state_key (long_one);
  long_key2 = mp_account_dup_state_key (long_two);
  assert_safe_key (long_key1);
  assert_safe_key (long_key2);
  g_assert_cmpstr (long_key1, !=, long_key2);

  /* Each key really is a plain file name in the directory. */
  dir = g_file_new_for_path (g_get_user_state_dir ());
  for (guint i = 0; i < 4; i++)
    {
      const char *keys[] = { odd_key, detached_key, dotted_key, long_key1 };
      g_autofree char *name = g_strconcat (keys[i], ".state.corrupt-20260101T000000", NULL);
      g_autoptr(GFile) child = g_file_get_child (dir, name);
      g_autoptr(GFile) parent = g_file_get_parent (child);

      g_assert_true (g_file_equal (parent, dir));
    }
}

static void
test_account_create_client (void)
{
  g_autoptr(MpAccount) account = make_template ("x", "alice", "pop.example.org");
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_path = NULL;

  mp_account_set_security (account, MP_POP3_SECURITY_STARTTLS);
  client = mp_account_create_client (account, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mp_pop3_client_get_host (client), ==, "pop.example.org");
  g_assert_cmpuint (mp_pop3_client_get_port (client), ==, 110);
  g_assert_cmpint (mp_pop3_client_get_security (client), ==, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_pop3_client_get_timeout (client), ==, 7);
  g_clear_object (&client);

  /* A pin that is not a SHA-256 fingerprint is refused, a good one not. */
  mp_account_set_pinned_fingerprint (account, "not-a-fingerprint");
  client = mp_account_create_client (account, 7, &error);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT);
  g_assert_null (client);
  g_clear_error (&error);

  mp_account_set_pinned_fingerprint (account,
                                     "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                                     "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
  client = mp_account_create_client (account, 7, &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  g_clear_object (&client);
  mp_account_set_pinned_fingerprint (account, NULL);

  /* The CA file is loaded: a missing one is an error, a real one is not. */
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_data_dir (), 0700), ==, 0);
  ca_path = g_build_filename (g_get_user_data_dir (), "ca.pem", NULL);
  mp_account_set_cafile (account, ca_path);
  client = mp_account_create_client (account, 7, &error);
  g_assert_nonnull (error);
  g_assert_null (client);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (ca_path, test_ca_pem, -1, NULL));
  client = mp_account_create_client (account, 7, &error);
  g_assert_no_error (error);
  g_assert_nonnull (client);
  g_clear_object (&client);

  /* No host, no client. */
  mp_account_set_host (account, "");
  client = mp_account_create_client (account, 7, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID);
  g_assert_null (client);
}

static void
test_account_ids (void)
{
  g_autofree char *id1 = mp_account_generate_id ();
  g_autofree char *id2 = mp_account_generate_id ();

  g_assert_cmpuint (strlen (id1), ==, 32);
  g_assert_true (mp_account_id_is_valid (id1));
  g_assert_cmpstr (id1, !=, id2);

  g_assert_false (mp_account_id_is_valid (NULL));
  g_assert_false (mp_account_id_is_valid (""));
  g_assert_false (mp_account_id_is_valid ("a/b"));
  g_assert_false (mp_account_id_is_valid ("a.b"));
  g_assert_false (mp_account_id_is_valid ("a@b"));
  g_assert_true (mp_account_id_is_valid ("A-b_9"));
}

static void
test_store_add_find_remove (Fixture       *fixture,
                            gconstpointer  user_data)
{
  g_autoptr(MpAccount) template = make_template ("work", "alice", "pop.example.org");
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpAccount) found = NULL;
  g_autoptr(MpAccount) item = NULL;
  g_autoptr(GSettings) account_keys = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *id = NULL;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (fixture->store)) == MP_TYPE_ACCOUNT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 0);

  mp_account_set_security (template, MP_POP3_SECURITY_STARTTLS);
  mp_account_set_interval (template, 3);
  mp_account_set_cafile (template, "/etc/ca.pem");

  added = mp_account_store_add (fixture->store, template, &error);
  g_assert_no_error (error);
  g_assert_nonnull (added);
  g_assert_true (added != template);
  id = g_strdup (mp_account_get_id (added));
  g_assert_true (mp_account_id_is_valid (id));
  g_assert_nonnull (mp_account_get_settings (added));

  /* The values were copied, and the port made explicit. */
  g_assert_cmpstr (mp_account_get_name (added), ==, "work");
  g_assert_cmpstr (mp_account_get_user (added), ==, "alice");
  g_assert_cmpstr (mp_account_get_host (added), ==, "pop.example.org");
  g_assert_cmpint (mp_account_get_security (added), ==, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_account_get_port (added), ==, 110);
  g_assert_cmpuint (mp_account_get_interval (added), ==, 3);
  g_assert_cmpstr (mp_account_get_cafile (added), ==, "/etc/ca.pem");

  /* … into the settings, under the id listed in the main schema. */
  ids = g_settings_get_strv (fixture->settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, id);
  account_keys = account_settings (fixture->backend, id);
  assert_key_string (account_keys, "name", "work");
  assert_key_string (account_keys, "security", "starttls");
  g_assert_cmpuint (g_settings_get_uint (account_keys, "interval"), ==, 3);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (fixture->store), 0);
  g_assert_true (item == added);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (fixture->store), 1));

  found = mp_account_store_find (fixture->store, "work");
  g_assert_true (found == added);
  g_clear_object (&found);
  found = mp_account_store_find (fixture->store, id);
  g_assert_true (found == added);
  g_clear_object (&found);
  g_assert_null (mp_account_store_find (fixture->store, "Work"));
  g_assert_null (mp_account_store_find (fixture->store, "nope"));

  /* Remove: unlisted, keys reset, and the object keeps its values. */
  g_assert_true (mp_account_store_remove (fixture->store, added, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 0);
  g_clear_pointer (&ids, g_strfreev);
  ids = g_settings_get_strv (fixture->settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  assert_key_string (account_keys, "name", "");
  assert_key_string (account_keys, "security", "tls");
  g_assert_cmpuint (g_settings_get_uint (account_keys, "interval"), ==, 10);
  g_assert_cmpstr (mp_account_get_name (added), ==, "work");
  g_assert_null (mp_account_get_settings (added));
  g_assert_null (mp_account_store_find (fixture->store, "work"));

  /* Once removed it is not found any more. */
  g_assert_false (mp_account_store_remove (fixture->store, added, &error));
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_NOT_FOUND);
}

static void
test_store_refusals (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(MpAccount) first = make_template ("work", "alice", "pop.example.org");
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpAccount) refused = NULL;
  g_autoptr(MpAccount) template = NULL;
  g_autoptr(GError) error = NULL;

  added = mp_account_store_add (fixture->store, first, &error);
  g_assert_no_error (error);

  /* Same name, even for another server. */
  template = make_template ("work", "bob", "other.example.org");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS);
  g_assert_null (refused);
  g_clear_error (&error);
  g_clear_object (&template);

  /* A name equal to another account's id would make find() ambiguous. */
  template = make_template (mp_account_get_id (added), "bob", "h");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS);
  g_clear_error (&error);
  g_clear_object (&template);

  template = make_template ("x", "bob", "");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_object (&template);

  template = make_template ("x", "", "h");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_object (&template);

  /* A template id is kept when valid and free, refused otherwise. */
  template = mp_account_new ("chosen-id");
  mp_account_set_user (template, "carol");
  mp_account_set_host (template, "h");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mp_account_get_id (refused), ==, "chosen-id");
  /* An empty name becomes the label. */
  g_assert_cmpstr (mp_account_get_name (refused), ==, "carol@h:995");
  g_clear_object (&refused);

  mp_account_set_name (template, "another name");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS);
  g_clear_error (&error);
  g_clear_object (&template);

  template = mp_account_new ("bad/id");
  mp_account_set_user (template, "carol");
  mp_account_set_host (template, "h");
  refused = mp_account_store_add (fixture->store, template, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 2);

  /* A detached account was never in the store. */
  g_assert_false (mp_account_store_remove (fixture->store, first, &error));
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_NOT_FOUND);
}

static MpAccount *
add_named (Fixture    *fixture,
           const char *name)
{
  g_autoptr(MpAccount) template = make_template (name, "u", "h");
  g_autoptr(GError) error = NULL;
  MpAccount *account;

  account = mp_account_store_add (fixture->store, template, &error);
  g_assert_no_error (error);
  return account;
}

static void
assert_names (Fixture    *fixture,
              const char *expected)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (fixture->store)); i++)
    {
      g_autoptr(MpAccount) account = g_list_model_get_item (G_LIST_MODEL (fixture->store), i);

      if (i > 0)
        g_string_append_c (names, ' ');
      g_string_append (names, mp_account_get_name (account));
    }
  g_assert_cmpstr (names->str, ==, expected);
}

static void
test_store_items_changed (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr(MpAccount) a = add_named (fixture, "a");
  g_autoptr(MpAccount) b = add_named (fixture, "b");
  g_autoptr(MpAccount) c = add_named (fixture, "c");
  g_autoptr(GError) error = NULL;

  /* a and c only hold their references until the end. */
  (void) a;
  (void) c;

  wait_for_changes (fixture, 3);
  assert_change (fixture, 0, 0, 0, 1);
  assert_change (fixture, 1, 1, 0, 1);
  assert_change (fixture, 2, 2, 0, 1);
  assert_names (fixture, "a b c");

  g_assert_true (mp_account_store_remove (fixture->store, b, &error));
  g_assert_no_error (error);
  wait_for_changes (fixture, 4);
  assert_change (fixture, 3, 1, 1, 0);
  assert_names (fixture, "a c");
}

/* Another process edits the same settings: the model follows, keeps the
 * objects of accounts that stay, and skips ids it cannot use.
 */
static void
test_store_external_changes (Fixture       *fixture,
                             gconstpointer  user_data)
{
  g_autoptr(MpAccount) a = add_named (fixture, "a");
  g_autoptr(MpAccount) b = add_named (fixture, "b");
  g_autoptr(GSettings) main_settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  g_autoptr(GSettings) new_keys = account_settings (fixture->backend, "external1");
  g_autoptr(MpAccountStore) second = mp_account_store_new_for_settings (main_settings);
  g_autoptr(MpAccount) item = NULL;
  g_autoptr(MpAccount) seen = NULL;
  const char *reordered[] = { "external1", NULL, NULL, NULL };

  wait_for_changes (fixture, 2);

  /* The second store sees what the first one added. */
  seen = mp_account_store_find (second, "b");
  g_assert_nonnull (seen);
  g_assert_cmpstr (mp_account_get_id (seen), ==, mp_account_get_id (b));
  g_clear_object (&seen);

  /* "Another process" writes an account's keys, then lists it. */
  g_settings_set_string (new_keys, "name", "ext");
  g_settings_set_string (new_keys, "host", "h");
  g_settings_set_string (new_keys, "user", "u");
  {
    g_auto(GStrv) ids = g_settings_get_strv (main_settings, "accounts");
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
    g_auto(GStrv) next = NULL;

    g_strv_builder_addv (builder, (const char **) ids);
    g_strv_builder_add (builder, "external1");
    next = g_strv_builder_end (builder);
    g_settings_set_strv (main_settings, "accounts", (const char * const *) next);
  }
  wait_for_changes (fixture, 3);
  assert_change (fixture, 2, 2, 0, 1);
  assert_names (fixture, "a b ext");

  /* The first store's account follows a change made through the second. */
  seen = mp_account_store_find (second, "a");
  mp_account_set_interval (seen, 42);
  g_assert_cmpuint (mp_account_get_interval (a), ==, 42);
  g_clear_object (&seen);

  /* Reorder: ext first, drop a, and an id that must be skipped. */
  reordered[1] = mp_account_get_id (b);
  reordered[2] = "../../evil";
  g_test_expect_message ("mp-account-store", G_LOG_LEVEL_WARNING, "*../../evil*");
  g_test_expect_message ("mp-account-store", G_LOG_LEVEL_WARNING, "*../../evil*");
  g_settings_set_strv (main_settings, "accounts", reordered);
  wait_for_changes (fixture, 4);
  g_test_assert_expected_messages ();
  assert_names (fixture, "ext b");
  /* Only the changed span is reported: a and b out, ext and b in. */
  assert_change (fixture, 3, 0, 3, 2);

  /* b is still the same object; a was let go and keeps its values. */
  item = g_list_model_get_item (G_LIST_MODEL (fixture->store), 1);
  g_assert_true (item == b);
  g_assert_null (mp_account_get_settings (a));
  g_assert_cmpstr (mp_account_get_name (a), ==, "a");
}

static MpAccount *
add_with_password (Fixture       *fixture,
                   MpAccount     *template,
                   const char    *password,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_account_store_add_async (fixture->store, template, password, cancellable,
                              mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_account_store_add_finish (fixture->store, result, error);
}

/* The keyring's (or the session's) password for @account, or %NULL with
 * MP_SECRETS_ERROR_NOT_FOUND asserted.
 */
static char *
lookup_password (MpAccount *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *password;

  mp_secrets_lookup_password_async (account, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  password = mp_secrets_lookup_password_finish (result, &error);
  if (password == NULL)
    g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_NOT_FOUND);
  else
    g_assert_no_error (error);
  return password;
}

static void
assert_password (MpAccount  *account,
                 const char *expected)
{
  char *password = lookup_password (account);

  g_assert_cmpstr (password, ==, expected);
  mp_secrets_free_password (password);
}

static void
clear_password (MpAccount *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mp_secrets_clear_password_async (account, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  g_assert_true (mp_secrets_clear_password_finish (result, &error));
  g_assert_no_error (error);
}

/* Issue 6: mp_account_store_add_async() stores the password and adds the
 * account, or leaves neither behind.
 */
static void
test_store_add_with_password (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr(MpAccount) template = NULL;
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpAccount) found = NULL;
  g_autoptr(GError) error = NULL;

  if (!mp_test_need_keyring ())
    return;

  /* A template without an id gets one, and the password is under it. */
  template = make_template ("work", "alice", "pop.example.org");
  added = add_with_password (fixture, template, "Work-pw-1", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (added);
  g_assert_true (mp_account_id_is_valid (mp_account_get_id (added)));
  g_assert_cmpstr (mp_account_get_name (added), ==, "work");
  g_assert_cmpstr (mp_account_get_user (added), ==, "alice");
  found = mp_account_store_find (fixture->store, "work");
  g_assert_true (found == added);
  assert_password (added, "Work-pw-1");
  g_clear_object (&template);

  /* A template's own id is kept. */
  template = mp_account_new ("home-id");
  mp_account_set_name (template, "home");
  mp_account_set_user (template, "alice");
  mp_account_set_host (template, "pop.example.net");
  g_clear_object (&found);
  found = add_with_password (fixture, template, "Home-pw-2", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mp_account_get_id (found), ==, "home-id");
  assert_password (found, "Home-pw-2");
  g_clear_object (&template);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 2);
  clear_password (found);
  clear_password (added);
}

static void
test_store_add_with_password_failures (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  g_autoptr(MpAccount) first = make_template ("work", "alice", "pop.example.org");
  g_autoptr(MpAccount) added = NULL;
  g_autoptr(MpAccount) template = NULL;
  g_autoptr(MpAccount) refused = NULL;
  g_autoptr(MpAccount) racer = NULL;
  g_autoptr(MpAccount) raced = NULL;
  g_autoptr(MpAccountStore) other = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (!mp_test_need_keyring ())
    return;

  added = add_with_password (fixture, first, "Work-pw-1", NULL, &error);
  g_assert_no_error (error);

  /* A duplicate name known at once: refused before the keyring is asked. */
  template = mp_account_new ("dup-id");
  mp_account_set_name (template, "work");
  mp_account_set_user (template, "bob");
  mp_account_set_host (template, "other.example.org");
  refused = add_with_password (fixture, template, "Dup-pw-2", NULL, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS);
  g_assert_null (refused);
  g_assert_null (lookup_password (template));
  g_clear_error (&error);
  g_clear_object (&template);

  /* The name is taken (by "another process", through a second store)
   * while the password is being stored: the add fails, and the password
   * is removed again.
   */
  template = mp_account_new ("late-id");
  mp_account_set_name (template, "late");
  mp_account_set_user (template, "carol");
  mp_account_set_host (template, "h");
  mp_account_store_add_async (fixture->store, template, "Late-pw-3", NULL,
                              mp_test_result_cb, &result);
  other = mp_account_store_new_for_settings (fixture->settings);
  racer = make_template ("late", "dave", "h2");
  raced = mp_account_store_add (other, racer, &error);
  g_assert_no_error (error);
  mp_test_await (&result, GUARD_SECONDS);
  refused = mp_account_store_add_finish (fixture->store, result, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_EXISTS);
  g_assert_null (refused);
  g_assert_null (lookup_password (template));
  g_clear_error (&error);
  g_clear_object (&result);
  g_clear_object (&template);

  /* An empty password is refused. */
  template = mp_account_new ("empty-id");
  mp_account_set_name (template, "empty");
  mp_account_set_user (template, "erin");
  mp_account_set_host (template, "h");
  refused = add_with_password (fixture, template, "", NULL, &error);
  g_assert_error (error, MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID);
  g_assert_null (refused);
  g_clear_error (&error);

  /* Cancelled: neither the account nor the password. */
  cancellable = g_cancellable_new ();
  mp_account_store_add_async (fixture->store, template, "Cancel-pw-4", cancellable,
                              mp_test_result_cb, &result);
  g_cancellable_cancel (cancellable);
  mp_test_await (&result, GUARD_SECONDS);
  refused = mp_account_store_add_finish (fixture->store, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (refused);
  g_assert_null (lookup_password (template));
  g_clear_error (&error);

  /* Only the first account and the racer's are listed, and only the
   * first one's password is in the keyring.
   */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 2);
  g_assert_null (mp_account_store_find (fixture->store, "empty"));
  g_assert_null (lookup_password (raced));
  assert_password (added, "Work-pw-1");
  clear_password (added);
}

/* Without a keyring nothing is added. */
static void
test_store_add_with_password_no_keyring (Fixture       *fixture,
                                         gconstpointer  user_data)
{
  if (g_test_subprocess ())
    {
      g_autoptr(MpAccount) template = make_template ("work", "alice", "pop.example.org");
      g_autoptr(MpAccount) refused = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *address =
        g_strdup_printf ("unix:path=%s/no-bus-here", g_get_user_runtime_dir ());

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      refused = add_with_password (fixture, template, "Never-stored-5", NULL, &error);
      g_assert_error (error, MP_SECRETS_ERROR, MP_SECRETS_ERROR_UNAVAILABLE);
      g_assert_null (refused);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (fixture->store)), ==, 0);
      g_assert_cmpuint (fixture->changes->len, ==, 0);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* Issue 6: the poll timeout is the account's, and a port of 0 in the
 * settings (the schema default) follows the security mode.
 */
static void
test_account_timeout_and_port_default (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = account_settings (backend, "tmo");
  g_autoptr(MpAccount) account = NULL;
  guint16 port = 1;

  g_settings_get (settings, "port", "q", &port);
  g_assert_cmpuint (port, ==, 0);
  g_assert_cmpuint (g_settings_get_uint (settings, "timeout"), ==, 30);

  account = mp_account_new_for_settings ("tmo", settings);
  g_assert_cmpuint (mp_account_get_timeout (account), ==, MP_ACCOUNT_DEFAULT_TIMEOUT);
  g_assert_cmpuint (mp_account_get_effective_port (account), ==, 995);
  mp_account_set_security (account, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_account_get_effective_port (account), ==, 110);

  g_settings_set_uint (settings, "timeout", 7);
  g_assert_cmpuint (mp_account_get_timeout (account), ==, 7);
  mp_account_set_timeout (account, 120);
  g_assert_cmpuint (g_settings_get_uint (settings, "timeout"), ==, 120);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/account/defaults", test_account_defaults);
  g_test_add_func ("/account/settings-round-trip", test_account_settings_round_trip);
  g_test_add_func ("/account/timeout-and-port-default", test_account_timeout_and_port_default);
  g_test_add_func ("/account/label", test_account_label);
  g_test_add_func ("/account/state-key", test_account_state_key);
  g_test_add_func ("/account/create-client", test_account_create_client);
  g_test_add_func ("/account/ids", test_account_ids);
  g_test_add ("/store/add-find-remove", Fixture, NULL,
              fixture_set_up, test_store_add_find_remove, fixture_tear_down);
  g_test_add ("/store/refusals", Fixture, NULL,
              fixture_set_up, test_store_refusals, fixture_tear_down);
  g_test_add ("/store/items-changed", Fixture, NULL,
              fixture_set_up, test_store_items_changed, fixture_tear_down);
  g_test_add ("/store/external-changes", Fixture, NULL,
              fixture_set_up, test_store_external_changes, fixture_tear_down);
  g_test_add ("/store/add-with-password", Fixture, NULL,
              fixture_set_up, test_store_add_with_password, fixture_tear_down);
  g_test_add ("/store/add-with-password-failures", Fixture, NULL,
              fixture_set_up, test_store_add_with_password_failures, fixture_tear_down);
  g_test_add ("/store/add-with-password-no-keyring", Fixture, NULL,
              fixture_set_up, test_store_add_with_password_no_keyring, fixture_tear_down);

  return g_test_run ();
}
