/* test-mailbox-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* memmem() */
#define _GNU_SOURCE

#define G_LOG_DOMAIN "test-mailbox-state"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mp-mailbox-state.h"
#include "mp-test-state.h"
#include "mp-test-util.h"

#define STATE_DOMAIN "mp-mailbox-state"

/* Messages in the large-mailbox test. Under AddressSanitizer with full
 * stack unwinding on every malloc (needed for leak reports through GLib,
 * which has no frame pointers) 10,000 take half a minute; the code paths
 * are the same with fewer.
 */
#if defined(__SANITIZE_ADDRESS__)
# define LARGE_MAILBOX 1000
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define LARGE_MAILBOX 1000
# endif
#endif
#ifndef LARGE_MAILBOX
# define LARGE_MAILBOX 10000
#endif

/* Helpers */

static MpHeaders *
make_headers (const char *from_name,
              const char *from_address,
              const char *subject,
              const char *date)
{
  MpHeaders *headers = mp_headers_new ();

  headers->from_name = g_strdup (from_name);
  headers->from_address = g_strdup (from_address);
  if (from_name != NULL && from_address != NULL)
    headers->from = g_strdup_printf ("%s <%s>", from_name, from_address);
  else
    headers->from = g_strdup (from_address);
  headers->subject = g_strdup (subject);
  if (date != NULL)
    {
      headers->date = g_date_time_new_from_iso8601 (date, NULL);
      g_assert_nonnull (headers->date);
    }
  return headers;
}

static MpMessageInfo *
snapshot_get (MpMailboxSnapshot *snapshot,
              guint              index)
{
  g_assert_cmpuint (index, <, snapshot->messages->len);
  return g_ptr_array_index (snapshot->messages, index);
}

static char *
state_dir (void)
{
  return g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
assert_headers_equal (const MpHeaders *a,
                      const MpHeaders *b)
{
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->from_name, ==, b->from_name);
  g_assert_cmpstr (a->from_address, ==, b->from_address);
  g_assert_cmpstr (a->to, ==, b->to);
  g_assert_cmpstr (a->subject, ==, b->subject);
  g_assert_cmpstr (a->message_id, ==, b->message_id);
  /* The same instant; the state keeps it in UTC. */
  if (a->date == NULL || b->date == NULL)
    g_assert_true (a->date == b->date);
  else
    g_assert_true (g_date_time_equal (a->date, b->date));
}

/* The state file format, restated here so that the tests read and write
 * it independently of the code under test.
 */
#define FILE_TYPE    "(suv)"
/* Format 2, which is still read (corrupt cases below are made in it). */
#define PAYLOAD_TYPE "a(smstbxum(msmsmsmsmsmsmx))"
/* Format 3, which is written: entries with unseen and snippet, and the
 * tombstones.
 */
#define ENTRIES3_TYPE "a(smstbxum(msmsmsmsmsmsmx)bms)"
#define PAYLOAD3_TYPE "(" ENTRIES3_TYPE "a(sx))"

/* The entry with @key in a saved file, as a (smstbxum(…)bms) tuple. */
static GVariant *
saved_entry (const char *path,
             const char *key)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) payload = NULL;
  const char *magic;
  guint32 version;

  {
    g_autoptr(GError) error = NULL;
    char *data = NULL;
    gsize len = 0;

    g_file_get_contents (path, &data, &len, &error);
    g_assert_no_error (error);
    bytes = g_bytes_new_take (data, len);
  }
  file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (FILE_TYPE), bytes, FALSE));
  g_assert_true (g_variant_is_normal_form (file));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }
  g_variant_get (file, "(&suv)", &magic, &version, &payload);
  g_assert_cmpstr (magic, ==, "mailpeek-state");
  g_assert_cmpuint (version, ==, 3);
  g_assert_cmpstr (g_variant_get_type_string (payload), ==, PAYLOAD3_TYPE);
  {
    GVariant *entries = g_variant_get_child_value (payload, 0);

    g_variant_unref (payload);
    payload = entries;
  }

  for (gsize i = 0; i < g_variant_n_children (payload); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (payload, i);
      g_autoptr(GVariant) entry_key = g_variant_get_child_value (entry, 0);

      if (g_strcmp0 (g_variant_get_string (entry_key, NULL), key) == 0)
        return g_steal_pointer (&entry);
    }
  return NULL;
}

/* A state file as the format describes it (little-endian). */
static GBytes *
make_state_file (const char *magic,
                 guint32     version,
                 GVariant   *payload)
{
  g_autoptr(GVariant) file = g_variant_ref_sink (g_variant_new ("(suv)", magic, version, payload));

  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }
  return g_variant_get_data_as_bytes (file);
}

typedef struct
{
  dev_t    dev;
  ino_t    ino;
  gint64   mtime_ns;
} FileId;

/* g_file_set_contents_full() writes a new file and renames it over the old
 * one, so every write gives a new inode; with the mtime that proves whether
 * the file was written.
 */
static FileId
file_id (const char *path)
{
  struct stat st;
  FileId id;

  g_assert_cmpint (stat (path, &st), ==, 0);
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
  return id;
}

static gboolean
file_id_equal (FileId a,
               FileId b)
{
  return a.dev == b.dev && a.ino == b.ino && a.mtime_ns == b.mtime_ns;
}

/* The names in @dir that look like "BASENAME.corrupt-YYYYMMDDTHHMMSS[-N]". */
static GPtrArray *
list_set_aside (const char *dir,
                const char *basename)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *pattern = NULL;
  g_autofree char *escaped = g_regex_escape_string (basename, -1);
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GDir) handle = NULL;
  const char *name;

  pattern = g_strdup_printf ("^%s\\.corrupt-[0-9]{8}T[0-9]{6}(-[0-9]+)?$", escaped);
  regex = g_regex_new (pattern, 0, 0, NULL);
  g_assert_nonnull (regex);

  handle = g_dir_open (dir, 0, NULL);
  if (handle == NULL)
    return g_steal_pointer (&names);
  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_regex_match (regex, name, 0, NULL))
      g_ptr_array_add (names, g_strdup (name));

  return g_steal_pointer (&names);
}

static guint
count_dir_entries (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (handle);
  while (g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

/* A snapshot of three messages as a first check returns it: all with
 * headers, one from a server-less-UIDL style key.
 */
static MpMailboxSnapshot *
first_snapshot (void)
{
  MpMailboxSnapshot *snapshot = mp_test_snapshot_new ();

  mp_test_snapshot_add (snapshot, "uid-a", NULL, 100,
                        make_headers ("Борис Петров", "boris@example.ru", "Отчёт за неделю",
                                      "2025-11-24T19:00:00+03:00"));
  mp_test_snapshot_add (snapshot, "uid-b", NULL, 200,
                        make_headers (NULL, "bob@example.com", "Hello", "2025-11-23T08:30:00Z"));
  mp_test_snapshot_add (snapshot, NULL, "sha256:0123456789abcdef", 300,
                        make_headers ("山田太郎", "taro@example.jp", "会議の件 🗓", NULL));
  return snapshot;
}

/* The same mailbox seen again with the known UIDs: no headers for them. */
static MpMailboxSnapshot *
second_snapshot (void)
{
  MpMailboxSnapshot *snapshot = mp_test_snapshot_new ();

  mp_test_snapshot_add (snapshot, "uid-a", NULL, 100, NULL);
  mp_test_snapshot_add (snapshot, "uid-b", NULL, 200, NULL);
  mp_test_snapshot_add (snapshot, NULL, "sha256:0123456789abcdef", 300,
                        make_headers ("山田太郎", "taro@example.jp", "会議の件 🗓", NULL));
  return snapshot;
}

/* Tests */

static void
test_isolated (void)
{
  g_autofree char *dir = state_dir ();
  struct passwd *pw = getpwuid (getuid ());

  /* ISOLATE_DIRS points the user state folder into a temporary directory;
   * make sure it does, so the tests below cannot touch a real state.
   */
  g_assert_nonnull (pw);
  g_assert_true (g_str_has_prefix (g_get_user_state_dir (), g_get_tmp_dir ()));
  g_assert_false (g_str_has_prefix (g_get_user_state_dir (), pw->pw_dir));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_missing_file (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("test");
  g_autofree char *path = mp_test_state_path ("test");
  g_autofree char *dir = state_dir ();
  g_autoptr(GFile) expected = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) known = NULL;
  struct stat st;

  g_assert_true (g_file_equal (mp_mailbox_state_get_file (state), expected));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 0);
  g_assert_null (mp_mailbox_state_get_recovered_from (state));
  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_cmpuint (g_hash_table_size (known), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);

  g_assert_cmpint (stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_round_trip (void)
{
  g_autoptr(MpMailboxSnapshot) snapshot = mp_test_snapshot_new ();
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("round-trip");
  g_autoptr(MpMailboxState) loaded = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;
  MpHeaders *full;
  const char *odd_key = "odd \"key\" \\ with\ttab ключ";

  full = make_headers ("Борис \"Боря\" Петров", "boris@example.ru",
                       "Отчёт за неделю: ☃ \\ \n", "2025-11-24T19:00:00+03:00");
  full->to = g_strdup ("山田太郎 <taro@example.jp>, bob@example.com");
  full->message_id = g_strdup ("<20251124160000.1234@example.ru>");

  mp_test_snapshot_add (snapshot, "uid-full", NULL, 1234, full);
  /* Every field missing. */
  mp_test_snapshot_add (snapshot, "uid-empty", NULL, 0, mp_headers_new ());
  /* TOP failed: no headers at all. */
  mp_test_snapshot_add (snapshot, "uid-none", NULL, 42, NULL);
  /* No UIDL: key from the header hash, no uid. */
  mp_test_snapshot_add (snapshot, NULL, "sha256:feedface", G_GUINT64_CONSTANT (5000000000),
                        make_headers (NULL, NULL, "без отправителя", "2025-01-01T00:00:00-08:00"));
  mp_test_snapshot_add (snapshot, odd_key, NULL, 7,
                        make_headers ("Zoë", "zoe@example.org", "😀", "2025-06-01T12:34:56+05:30"));

  g_assert_cmpuint (mp_mailbox_state_merge (state, snapshot), ==, 5);
  mp_mailbox_state_mark_announced (state, "uid-empty");
  mp_mailbox_state_mark_announced (state, "sha256:feedface");
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);

  loaded = mp_mailbox_state_load ("round-trip");
  g_assert_null (mp_mailbox_state_get_recovered_from (loaded));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (loaded), ==, 5);

  for (guint i = 0; i < snapshot->messages->len; i++)
    {
      MpMessageInfo *info = snapshot_get (snapshot, i);
      const MpHeaders *headers = mp_mailbox_state_get_headers (loaded, info->key);

      g_assert_true (mp_mailbox_state_contains (loaded, info->key));
      g_assert_cmpint (mp_mailbox_state_is_announced (loaded, info->key), ==,
                       mp_mailbox_state_is_announced (state, info->key));
      g_assert_true (g_date_time_equal (mp_mailbox_state_get_first_seen (loaded, info->key),
                                        mp_mailbox_state_get_first_seen (state, info->key)));
      if (info->headers == NULL)
        g_assert_null (headers);
      else
        assert_headers_equal (headers, info->headers);
    }

  g_assert_true (mp_mailbox_state_is_announced (loaded, "uid-empty"));
  g_assert_false (mp_mailbox_state_is_announced (loaded, "uid-full"));
  /* The date comes back as the same instant, in UTC. */
  g_assert_cmpint (g_date_time_get_utc_offset (mp_mailbox_state_get_headers (loaded, "uid-full")->date),
                   ==, 0);
  g_assert_cmpint (g_date_time_to_unix (mp_mailbox_state_get_headers (loaded, "uid-full")->date),
                   ==, 1764000000);

  /* Only UIDs with cached headers spare a TOP. */
  known = mp_mailbox_state_dup_known_uids (loaded);
  g_assert_cmpuint (g_hash_table_size (known), ==, 3);
  g_assert_true (g_hash_table_contains (known, "uid-full"));
  g_assert_true (g_hash_table_contains (known, "uid-empty"));
  g_assert_true (g_hash_table_contains (known, odd_key));
  g_assert_false (g_hash_table_contains (known, "uid-none"));
  g_assert_false (g_hash_table_contains (known, "sha256:feedface"));

  /* The large size survived as a number. */
  {
    g_autofree char *path = mp_test_state_path ("round-trip");
    g_autoptr(GVariant) entry = saved_entry (path, "sha256:feedface");
    g_autoptr(GVariant) uid = NULL;
    g_autoptr(GVariant) headers = NULL;
    guint64 size;

    g_assert_nonnull (entry);
    g_variant_get (entry, "(&s@mstbxu@m(msmsmsmsmsmsmx)bms)",
                   NULL, &uid, &size, NULL, NULL, NULL, &headers, NULL, NULL);
    g_assert_cmpuint (size, ==, G_GUINT64_CONSTANT (5000000000));
    g_assert_cmpuint (g_variant_n_children (uid), ==, 0);
    g_assert_cmpuint (g_variant_n_children (headers), ==, 1);
  }
  {
    g_autofree char *path = mp_test_state_path ("round-trip");
    g_autoptr(GVariant) entry = saved_entry (path, "uid-none");
    g_autoptr(GVariant) headers = NULL;
    const char *uid = NULL;

    g_assert_nonnull (entry);
    g_variant_get (entry, "(&sm&stbxu@m(msmsmsmsmsmsmx)bms)",
                   NULL, &uid, NULL, NULL, NULL, NULL, &headers, NULL, NULL);
    g_assert_cmpstr (uid, ==, "uid-none");
    g_assert_cmpuint (g_variant_n_children (headers), ==, 0);
  }
}

static void
test_merge (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("merge");
  g_autoptr(MpMailboxSnapshot) first = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) second = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) third = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) fourth = mp_test_snapshot_new ();
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mp_test_state_path ("merge");
  g_autoptr(GVariant) saved = NULL;
  guint64 saved_size = 0;
  gboolean saved_announced = FALSE;
  MpMessageInfo *info;

  mp_test_snapshot_add (first, "a", NULL, 10, make_headers ("A", "a@example.com", "first", NULL));
  mp_test_snapshot_add (first, "b", NULL, 20, make_headers ("B", "b@example.com", "second", NULL));
  mp_test_snapshot_add (first, NULL, "sha256:c", 30,
                        make_headers ("C", "c@example.com", "third", NULL));
  /* TOP failed on a server without UIDL: nothing to know it by. */
  mp_test_snapshot_add (first, NULL, NULL, 40, NULL)->key = NULL;

  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, 3);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 3);
  g_assert_true (mp_mailbox_state_contains (state, "a"));
  g_assert_true (mp_mailbox_state_contains (state, "b"));
  g_assert_true (mp_mailbox_state_contains (state, "sha256:c"));
  g_assert_false (mp_mailbox_state_is_announced (state, "a"));
  g_assert_false (mp_mailbox_state_is_announced (state, "missing"));
  /* Headers never change once made: the state shares them (a reference,
   * not a copy of 10,000 headers per poll).
   */
  g_assert_true (mp_mailbox_state_get_headers (state, "a") == snapshot_get (first, 0)->headers);

  mp_mailbox_state_mark_announced (state, "a");
  mp_mailbox_state_mark_announced (state, "nonexistent");
  g_assert_true (mp_mailbox_state_is_announced (state, "a"));

  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_cmpuint (g_hash_table_size (known), ==, 2);
  g_assert_true (g_hash_table_contains (known, "a"));
  g_assert_true (g_hash_table_contains (known, "b"));

  /* "a" known (no headers fetched, size changed), "b" gone, "sha256:c"
   * fetched again (no UIDL), "d" new.
   */
  mp_test_snapshot_add (second, "a", NULL, 11, NULL);
  mp_test_snapshot_add (second, NULL, "sha256:c", 30,
                        make_headers ("C", "c@example.com", "third", NULL));
  mp_test_snapshot_add (second, "d", NULL, 50, make_headers ("D", "d@example.com", "fourth", NULL));

  g_assert_cmpuint (mp_mailbox_state_merge (state, second), ==, 2);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 3);
  g_assert_false (mp_mailbox_state_contains (state, "b"));
  g_assert_true (mp_mailbox_state_is_announced (state, "a"));
  g_assert_false (mp_mailbox_state_is_announced (state, "d"));

  info = snapshot_get (second, 0);
  g_assert_nonnull (info->headers);
  g_assert_true (info->headers == mp_mailbox_state_get_headers (state, "a"));
  assert_headers_equal (info->headers, snapshot_get (first, 0)->headers);

  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  saved = saved_entry (path, "a");
  g_assert_nonnull (saved);
  g_variant_get (saved, "(&s@mstbxu@m(msmsmsmsmsmsmx)bms)",
                 NULL, NULL, &saved_size, &saved_announced, NULL, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (saved_size, ==, 11);
  g_assert_true (saved_announced);

  /* A keyless message may be any of the entries: none is dropped... */
  mp_test_snapshot_add (third, "a", NULL, 11, NULL);
  mp_test_snapshot_add (third, NULL, NULL, 40, NULL)->key = NULL;
  g_assert_cmpuint (mp_mailbox_state_merge (state, third), ==, 2);
  g_assert_true (mp_mailbox_state_contains (state, "sha256:c"));
  g_assert_true (mp_mailbox_state_contains (state, "d"));

  /* ...until a snapshot that accounts for every message. */
  mp_test_snapshot_add (fourth, "a", NULL, 11, NULL);
  g_assert_cmpuint (mp_mailbox_state_merge (state, fourth), ==, 0);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 1);
  g_assert_false (mp_mailbox_state_contains (state, "d"));

  g_assert_true (mp_mailbox_state_remove (state, "a"));
  g_assert_false (mp_mailbox_state_remove (state, "a"));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 0);
}

static void
test_known_without_cache (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("no-cache");
  g_autoptr(MpMailboxSnapshot) first = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) second = mp_test_snapshot_new ();
  g_autoptr(GHashTable) known = NULL;

  /* TOP failed the first time: the entry exists, without headers, and its
   * UID is not "known", so the next check fetches the headers...
   */
  mp_test_snapshot_add (first, "x", NULL, 10, NULL);
  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, 1);
  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_false (g_hash_table_contains (known, "x"));

  /* ...which then fill the cache. */
  mp_test_snapshot_add (second, "x", NULL, 10, make_headers (NULL, "x@example.com", "late", NULL));
  g_assert_cmpuint (mp_mailbox_state_merge (state, second), ==, 1);
  g_assert_cmpstr (mp_mailbox_state_get_headers (state, "x")->subject, ==, "late");
  g_clear_pointer (&known, g_hash_table_unref);
  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_true (g_hash_table_contains (known, "x"));
}

static void
test_duplicates (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("dup");
  g_autoptr(MpMailboxSnapshot) first = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) second = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) third = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) fourth = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) fifth = mp_test_snapshot_new ();
  g_autoptr(GHashTable) known = NULL;

  mp_test_snapshot_add (first, "one", NULL, 10,
                        make_headers (NULL, "one@example.com", "one", NULL));
  mp_test_snapshot_add (first, "dup", NULL, 20, make_headers (NULL, "x@example.com", "X", NULL));
  mp_test_snapshot_add (first, "dup", NULL, 30, make_headers (NULL, "y@example.com", "Y", NULL));

  /* One entry for the repeated key. */
  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, 2);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 2);
  g_assert_cmpstr (mp_mailbox_state_get_headers (state, "dup")->subject, ==, "X");
  g_assert_cmpstr (snapshot_get (first, 2)->headers->subject, ==, "Y");

  /* Its headers are fetched every time, since the cache cannot say which
   * message they belong to.
   */
  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_true (g_hash_table_contains (known, "one"));
  g_assert_false (g_hash_table_contains (known, "dup"));

  mp_mailbox_state_mark_all_announced (state);

  mp_test_snapshot_add (second, "one", NULL, 10, NULL);
  mp_test_snapshot_add (second, "dup", NULL, 20, make_headers (NULL, "x@example.com", "X", NULL));
  mp_test_snapshot_add (second, "dup", NULL, 30, make_headers (NULL, "y@example.com", "Y", NULL));
  g_assert_cmpuint (mp_mailbox_state_merge (state, second), ==, 0);
  g_assert_cmpstr (snapshot_get (second, 0)->headers->subject, ==, "one");
  g_assert_cmpstr (snapshot_get (second, 1)->headers->subject, ==, "X");
  g_assert_cmpstr (snapshot_get (second, 2)->headers->subject, ==, "Y");

  /* A third message with the same UIDL is not hidden behind the first. */
  mp_test_snapshot_add (third, "one", NULL, 10, NULL);
  mp_test_snapshot_add (third, "dup", NULL, 20, make_headers (NULL, "x@example.com", "X", NULL));
  mp_test_snapshot_add (third, "dup", NULL, 30, make_headers (NULL, "y@example.com", "Y", NULL));
  mp_test_snapshot_add (third, "dup", NULL, 40, make_headers (NULL, "z@example.com", "Z", NULL));
  g_assert_cmpuint (mp_mailbox_state_merge (state, third), ==, 1);
  g_assert_false (mp_mailbox_state_is_announced (state, "dup"));
  mp_mailbox_state_mark_announced (state, "dup");

  /* Without fetched headers, messages behind a repeated key get none from
   * the cache rather than another message's.
   */
  mp_test_snapshot_add (fourth, "one", NULL, 10, NULL);
  mp_test_snapshot_add (fourth, "dup", NULL, 20, NULL);
  mp_test_snapshot_add (fourth, "dup", NULL, 30, NULL);
  mp_test_snapshot_add (fourth, "dup", NULL, 40, NULL);
  g_assert_cmpuint (mp_mailbox_state_merge (state, fourth), ==, 0);
  g_assert_nonnull (snapshot_get (fourth, 0)->headers);
  g_assert_null (snapshot_get (fourth, 1)->headers);
  g_assert_null (snapshot_get (fourth, 2)->headers);
  g_assert_null (snapshot_get (fourth, 3)->headers);

  /* Back to one message: its fetched headers replace the cached ones,
   * which may have belonged to a message now gone, and it is known again.
   */
  mp_test_snapshot_add (fifth, "one", NULL, 10, NULL);
  mp_test_snapshot_add (fifth, "dup", NULL, 40, make_headers (NULL, "z@example.com", "Z", NULL));
  g_assert_cmpuint (mp_mailbox_state_merge (state, fifth), ==, 0);
  g_assert_cmpstr (mp_mailbox_state_get_headers (state, "dup")->subject, ==, "Z");
  g_clear_pointer (&known, g_hash_table_unref);
  known = mp_mailbox_state_dup_known_uids (state);
  g_assert_true (g_hash_table_contains (known, "dup"));
}

static void
test_duplicates_saved (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("dup-saved");
  g_autoptr(MpMailboxState) loaded = NULL;
  g_autoptr(MpMailboxSnapshot) first = mp_test_snapshot_new ();
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;

  mp_test_snapshot_add (first, "dup", NULL, 20, make_headers (NULL, "x@example.com", "X", NULL));
  mp_test_snapshot_add (first, "dup", NULL, 30, make_headers (NULL, "y@example.com", "Y", NULL));
  mp_mailbox_state_merge (state, first);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);

  /* After a restart the key still counts as ambiguous. */
  loaded = mp_mailbox_state_load ("dup-saved");
  known = mp_mailbox_state_dup_known_uids (loaded);
  g_assert_false (g_hash_table_contains (known, "dup"));
}

static void
test_announce_once (void)
{
  g_autoptr(MpMailboxSnapshot) first = first_snapshot ();
  g_autoptr(MpMailboxSnapshot) again = NULL;
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("once");
  g_autoptr(MpMailboxState) reloaded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, 3);
  mp_mailbox_state_mark_all_announced (state);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);

  /* What the next check (another process) reports. */
  reloaded = mp_mailbox_state_load ("once");
  again = second_snapshot ();
  g_assert_cmpuint (mp_mailbox_state_merge (reloaded, again), ==, 0);
  for (guint i = 0; i < again->messages->len; i++)
    {
      MpMessageInfo *info = snapshot_get (again, i);

      g_assert_true (mp_mailbox_state_is_announced (reloaded, info->key));
      assert_headers_equal (info->headers, snapshot_get (first, i)->headers);
    }

  /* A message that then arrives is new, once. */
  mp_test_snapshot_add (again, "uid-new", NULL, 5,
                        make_headers (NULL, "n@example.com", "new", NULL));
  g_assert_cmpuint (mp_mailbox_state_merge (reloaded, again), ==, 1);
  mp_mailbox_state_mark_announced (reloaded, "uid-new");
  g_assert_cmpuint (mp_mailbox_state_merge (reloaded, again), ==, 0);
}

static void
test_no_rewrite (void)
{
  g_autoptr(MpMailboxSnapshot) first = first_snapshot ();
  g_autoptr(MpMailboxSnapshot) again = second_snapshot ();
  g_autoptr(MpMailboxSnapshot) more = second_snapshot ();
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("steady");
  g_autoptr(MpMailboxState) reloaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mp_test_state_path ("steady");
  FileId before, after;

  mp_mailbox_state_merge (state, first);
  mp_mailbox_state_mark_announced (state, "uid-a");
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  before = file_id (path);

  /* Saving again without a change writes nothing. */
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  after = file_id (path);
  g_assert_true (file_id_equal (before, after));

  /* Nor does the steady-state poll: load, merge the same mailbox, mark
   * what is already marked, save.
   */
  reloaded = mp_mailbox_state_load ("steady");
  g_assert_cmpuint (mp_mailbox_state_merge (reloaded, again), ==, 2);
  mp_mailbox_state_mark_announced (reloaded, "uid-a");
  g_assert_true (mp_mailbox_state_save (reloaded, &error));
  g_assert_no_error (error);
  after = file_id (path);
  g_assert_true (file_id_equal (before, after));

  /* A real change is written (so the checks above can fail). */
  mp_test_snapshot_add (more, "uid-new", NULL, 1,
                        make_headers (NULL, "n@example.com", "new", NULL));
  mp_mailbox_state_merge (reloaded, more);
  g_assert_true (mp_mailbox_state_save (reloaded, &error));
  g_assert_no_error (error);
  after = file_id (path);
  g_assert_false (file_id_equal (before, after));

  before = after;
  mp_mailbox_state_mark_announced (reloaded, "uid-new");
  g_assert_true (mp_mailbox_state_save (reloaded, &error));
  g_assert_no_error (error);
  after = file_id (path);
  g_assert_false (file_id_equal (before, after));
}

static void
test_large_mailbox (void)
{
  g_autoptr(MpMailboxSnapshot) first = mp_test_snapshot_new ();
  g_autoptr(MpMailboxSnapshot) steady = mp_test_snapshot_new ();
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("large-mailbox");
  g_autoptr(MpMailboxState) reloaded = NULL;
  g_autoptr(GHashTable) known = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mp_test_state_path ("large-mailbox");
  const guint n = LARGE_MAILBOX;
  FileId before, after;
  gint64 start;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *uid = g_strdup_printf ("%08x%024u", g_str_hash (path) ^ i, i);
      g_autofree char *subject = g_strdup_printf ("Сообщение %u: отчёт за неделю", i);

      mp_test_snapshot_add (first, uid, NULL, 1000 + i,
                            make_headers ("Борис Петров", "boris@example.ru", subject,
                                          "2025-11-24T19:00:00+03:00"));
      mp_test_snapshot_add (steady, uid, NULL, 1000 + i, NULL);
    }

  g_assert_cmpuint (mp_mailbox_state_merge (state, first), ==, n);
  mp_mailbox_state_mark_all_announced (state);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  before = file_id (path);

  /* The steady-state poll of the state's side: load, known UIDs, merge,
   * save. Timed for information; the benchmark owns the target.
   */
  start = g_get_monotonic_time ();
  reloaded = mp_mailbox_state_load ("large-mailbox");
  known = mp_mailbox_state_dup_known_uids (reloaded);
  g_assert_cmpuint (g_hash_table_size (known), ==, n);
  g_assert_cmpuint (mp_mailbox_state_merge (reloaded, steady), ==, 0);
  g_assert_true (mp_mailbox_state_save (reloaded, &error));
  g_assert_no_error (error);
  g_test_message ("load + merge + save of %u unchanged messages: %.1f ms",
                  n, (g_get_monotonic_time () - start) / 1000.0);

  after = file_id (path);
  g_assert_true (file_id_equal (before, after));
  for (guint i = 0; i < n; i += 97)
    assert_headers_equal (snapshot_get (steady, i)->headers, snapshot_get (first, i)->headers);
}

static void
test_file_names (void)
{
  struct {
    const char *key;
    const char *basename;
  } cases[] = {
    { "alice@127.0.0.1:11995", "alice@127.0.0.1:11995.state" },
    { "Work mail", "Work%20mail.state" },
    { "../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd.state" },
    { ".hidden", "%2Ehidden.state" },
    { "bob@[::1]:995", "bob@%5B::1%5D:995.state" },
    { "100%", "100%25.state" },
    { "почта", "%D0%BF%D0%BE%D1%87%D1%82%D0%B0.state" },
  };
  g_autofree char *dir = state_dir ();
  g_autofree char *long_a = g_strnfill (1000, 'a');
  g_autofree char *long_b = g_strconcat (long_a, "b", NULL);
  g_autoptr(MpMailboxState) state_a = NULL;
  g_autoptr(MpMailboxState) state_b = NULL;
  g_autofree char *name_a = NULL;
  g_autofree char *name_b = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MpMailboxState) state = mp_mailbox_state_load (cases[i].key);
      GFile *file = mp_mailbox_state_get_file (state);
      g_autofree char *basename = g_file_get_basename (file);
      g_autoptr(GFile) parent = g_file_get_parent (file);
      g_autofree char *parent_path = g_file_get_path (parent);

      g_assert_cmpstr (basename, ==, cases[i].basename);
      g_assert_cmpstr (parent_path, ==, dir);
    }

  /* Long keys are cut, and stay distinct. */
  state_a = mp_mailbox_state_load (long_a);
  state_b = mp_mailbox_state_load (long_b);
  name_a = g_file_get_basename (mp_mailbox_state_get_file (state_a));
  name_b = g_file_get_basename (mp_mailbox_state_get_file (state_b));
  g_assert_cmpuint (strlen (name_a), <=, 200);
  g_assert_cmpuint (strlen (name_b), <=, 200);
  g_assert_cmpstr (name_a, !=, name_b);
}

/* Corrupt files */

/* How a corrupt case makes its file from its other fields. */
typedef enum
{
  CORRUPT_RAW,          /* @data, @len as they are */
  CORRUPT_PAYLOAD,      /* @magic, @version and @data (GVariant text) */
  CORRUPT_TRUNCATED,    /* a valid file cut in half */
  CORRUPT_FRAMING,      /* a valid file with its last framing offset wrong */
  CORRUPT_BAD_UTF8,     /* a valid file with a key's bytes made invalid UTF-8 */
} CorruptKind;

typedef struct
{
  const char  *name;
  CorruptKind  kind;
  const char  *data;
  gssize       len;
  const char  *magic;
  guint32      version;
  const char  *warning;
} CorruptCase;

/* A literal with NUL bytes in it, and its length. */
#define BYTES(s) s, (gssize) (sizeof (s) - 1)

/* An entry in GVariant text format; printf arguments key, copies,
 * first_seen, date.
 */
#define ENTRY(key, copies, first_seen, date) \
  "('" key "', just 'u', uint64 1, false, int64 " first_seen ", uint32 " copies ", " \
  "just (just 'f', nothing, nothing, nothing, just 's', nothing, " date "))"
#define GOOD_ENTRY(key) ENTRY (key, "1", "1764000000", "just int64 1764000000")
#define TYPED(entries) "@" PAYLOAD_TYPE " [" entries "]"

static const CorruptCase corrupt_cases[] = {
  { "garbage", CORRUPT_RAW, BYTES ("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), NULL, 0, "*corrupt*" },
  { "text", CORRUPT_RAW, "this is not a state file {", -1, NULL, 0, "*corrupt*" },
  { "empty", CORRUPT_RAW, "", 0, NULL, 0, "*corrupt (empty)*" },
  /* What the unreleased format 1 wrote. */
  { "json-version-1", CORRUPT_RAW,
    "{\"version\":1,\"entries\":[{\"key\":\"a\",\"uid\":\"a\",\"size\":1,\"announced\":false,"
    "\"first_seen\":\"2025-11-24T16:00:00Z\",\"headers\":null}]}", -1, NULL, 0,
    "*not a Mailpeek state file*" },
  { "truncated", CORRUPT_TRUNCATED, NULL, 0, NULL, 0, "*corrupt*" },
  { "not-normal", CORRUPT_FRAMING, NULL, 0, NULL, 0, "*not a Mailpeek state file*" },
  { "invalid-utf8", CORRUPT_BAD_UTF8, NULL, 0, NULL, 0, "*not a Mailpeek state file*" },
  { "wrong-magic", CORRUPT_PAYLOAD, TYPED (GOOD_ENTRY ("a")), -1, "mailpeek-other", 2,
    "*not a Mailpeek state file*" },
  { "version-999", CORRUPT_PAYLOAD, "'anything at all'", -1, "mailpeek-state", 999,
    "*newer version of Mailpeek (format 999*" },
  { "version-1", CORRUPT_PAYLOAD, TYPED (GOOD_ENTRY ("a")), -1, "mailpeek-state", 1,
    "*unknown format 1*" },
  { "version-0", CORRUPT_PAYLOAD, TYPED (GOOD_ENTRY ("a")), -1, "mailpeek-state", 0,
    "*unknown format 0*" },
  { "payload-type", CORRUPT_PAYLOAD, "[1, 2, 3]", -1, "mailpeek-state", 2,
    "*entries of type ai*" },
  { "key-empty", CORRUPT_PAYLOAD, TYPED (GOOD_ENTRY ("")), -1, "mailpeek-state", 2,
    "*entry 0 has an empty key*" },
  { "copies-zero", CORRUPT_PAYLOAD,
    TYPED (GOOD_ENTRY ("a") ", " ENTRY ("b", "0", "1764000000", "nothing")), -1,
    "mailpeek-state", 2, "*entry 1 has zero copies*" },
  { "first-seen-out-of-range", CORRUPT_PAYLOAD,
    TYPED (ENTRY ("a", "1", "9223372036854775807", "nothing")), -1, "mailpeek-state", 2,
    "*first-seen time of entry 0 is out of range*" },
  { "date-out-of-range", CORRUPT_PAYLOAD,
    TYPED (ENTRY ("a", "1", "0", "just int64 -9223372036854775808")), -1, "mailpeek-state", 2,
    "*date of entry 0 is out of range*" },
  { "duplicate-key", CORRUPT_PAYLOAD, TYPED (GOOD_ENTRY ("a") ", " GOOD_ENTRY ("a")), -1,
    "mailpeek-state", 2, "*key “a” twice*" },
};

/* A valid file of two entries, with the key "KEY-MARK" in it. */
static GBytes *
valid_file (void)
{
  GVariant *payload = g_variant_new_parsed (TYPED (GOOD_ENTRY ("KEY-MARK") ", " GOOD_ENTRY ("z")));

  return make_state_file ("mailpeek-state", 2, payload);
}

static GBytes *
corrupt_case_bytes (const CorruptCase *test)
{
  g_autoptr(GBytes) valid = NULL;
  g_autoptr(GVariant) check = NULL;
  guint8 *data;
  gsize len;

  switch (test->kind)
    {
    case CORRUPT_RAW:
      return g_bytes_new (test->data, test->len < 0 ? strlen (test->data) : (gsize) test->len);

    case CORRUPT_PAYLOAD:
      return make_state_file (test->magic, test->version, g_variant_new_parsed (test->data));

    case CORRUPT_TRUNCATED:
      valid = valid_file ();
      return g_bytes_new_from_bytes (valid, 0, g_bytes_get_size (valid) / 2);

    case CORRUPT_FRAMING:
    case CORRUPT_BAD_UTF8:
      valid = valid_file ();
      data = g_bytes_unref_to_data (g_steal_pointer (&valid), &len);
      if (test->kind == CORRUPT_FRAMING)
        data[len - 1] = 0xff;
      else
        {
          guint8 *mark = memmem (data, len, "KEY-MARK", 8);

          g_assert_nonnull (mark);
          mark[3] = 0xff;
          mark[4] = 0xfe;
        }
      /* Make sure the case is what it claims: GVariant does not take it
       * as normal form.
       */
      check = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE (FILE_TYPE), data, len,
                                                           FALSE, NULL, NULL));
      g_assert_false (g_variant_is_normal_form (check));
      g_clear_pointer (&check, g_variant_unref);
      return g_bytes_new_take (data, len);

    default:
      g_assert_not_reached ();
    }
}

static void
check_set_aside (MpMailboxState *state,
                 const char     *path,
                 GBytes         *original)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *basename = g_path_get_basename (path);
  g_autoptr(GPtrArray) aside = list_set_aside (dir, basename);
  const char *recovered = mp_mailbox_state_get_recovered_from (state);
  g_autofree char *recovered_name = NULL;
  g_autofree char *recovered_dir = NULL;

  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 0);
  g_assert_nonnull (recovered);
  recovered_name = g_path_get_basename (recovered);
  recovered_dir = g_path_get_dirname (recovered);
  g_assert_cmpstr (recovered_dir, ==, dir);
  g_assert_true (g_ptr_array_find_with_equal_func (aside, recovered_name, g_str_equal, NULL));

  /* Moved, not copied, and not changed. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  if (original != NULL)
    {
      g_autoptr(GBytes) kept = read_file (recovered);

      g_assert_true (g_bytes_equal (kept, original));
    }
}

static void
test_corrupt (gconstpointer data)
{
  const CorruptCase *test = data;
  g_autofree char *path = mp_test_state_path ("corrupt");
  g_autoptr(GBytes) made = corrupt_case_bytes (test);
  g_autoptr(GBytes) original = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) fresh = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = first_snapshot ();
  g_autoptr(GError) error = NULL;

  mp_test_write_file (path, g_bytes_get_data (made, NULL), (gssize) g_bytes_get_size (made));
  original = read_file (path);
  g_assert_true (g_bytes_equal (original, made));

  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, test->warning);
  state = mp_mailbox_state_load ("corrupt");
  g_test_assert_expected_messages ();

  check_set_aside (state, path, original);

  /* The state is rebuilt and written afresh. */
  g_assert_cmpuint (mp_mailbox_state_merge (state, snapshot), ==, 3);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);

  fresh = mp_mailbox_state_load ("corrupt");
  g_assert_null (mp_mailbox_state_get_recovered_from (fresh));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (fresh), ==, 3);
}

static void
test_corrupt_empty_state_saved (void)
{
  g_autofree char *path = mp_test_state_path ("corrupt-empty");
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) fresh = NULL;
  g_autoptr(GError) error = NULL;

  /* Even with nothing merged, the file is replaced by a valid one, so the
   * warning is not repeated at every start.
   */
  mp_test_write_file (path, "{", -1);
  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*corrupt*");
  state = mp_mailbox_state_load ("corrupt-empty");
  g_test_assert_expected_messages ();
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  fresh = mp_mailbox_state_load ("corrupt-empty");
  g_assert_null (mp_mailbox_state_get_recovered_from (fresh));
}

static void
test_corrupt_directory (void)
{
  g_autofree char *path = mp_test_state_path ("dir");
  g_autofree char *inside = g_build_filename (path, "something", NULL);
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GError) error = NULL;
  const char *recovered;

  mp_test_write_file (inside, "keep me", -1);

  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*not a regular file*");
  state = mp_mailbox_state_load ("dir");
  g_test_assert_expected_messages ();

  check_set_aside (state, path, NULL);
  recovered = mp_mailbox_state_get_recovered_from (state);
  g_assert_true (g_file_test (recovered, G_FILE_TEST_IS_DIR));
  {
    g_autofree char *moved = g_build_filename (recovered, "something", NULL);
    g_autoptr(GBytes) kept = read_file (moved);

    g_assert_cmpmem (g_bytes_get_data (kept, NULL), g_bytes_get_size (kept), "keep me", 7);
  }

  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
test_corrupt_too_large (void)
{
  g_autofree char *path = mp_test_state_path ("large");
  g_autoptr(MpMailboxState) state = NULL;
  int fd;

  /* Sparse: takes no disk space, and must be refused without reading it. */
  mp_test_write_file (path, "", 0);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 257 * 1024 * 1024), ==, 0);
  g_assert_true (g_close (fd, NULL));

  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*larger than*");
  state = mp_mailbox_state_load ("large");
  g_test_assert_expected_messages ();

  check_set_aside (state, path, NULL);
}

static void
test_corrupt_twice (void)
{
  g_autofree char *path = mp_test_state_path ("twice");
  g_autofree char *dir = state_dir ();
  g_autoptr(MpMailboxState) first = NULL;
  g_autoptr(MpMailboxState) second = NULL;
  g_autoptr(GPtrArray) aside = NULL;
  g_autoptr(GBytes) first_kept = NULL;
  g_autoptr(GBytes) second_kept = NULL;

  /* Two bad files in the same second: the second does not replace the
   * first one set aside.
   */
  mp_test_write_file (path, "first bad file", -1);
  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*corrupt*");
  first = mp_mailbox_state_load ("twice");
  g_test_assert_expected_messages ();

  mp_test_write_file (path, "second bad file", -1);
  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*corrupt*");
  second = mp_mailbox_state_load ("twice");
  g_test_assert_expected_messages ();

  g_assert_cmpstr (mp_mailbox_state_get_recovered_from (first), !=,
                   mp_mailbox_state_get_recovered_from (second));
  aside = list_set_aside (dir, "twice.state");
  g_assert_cmpuint (aside->len, ==, 2);

  first_kept = read_file (mp_mailbox_state_get_recovered_from (first));
  second_kept = read_file (mp_mailbox_state_get_recovered_from (second));
  g_assert_cmpmem (g_bytes_get_data (first_kept, NULL), g_bytes_get_size (first_kept),
                   "first bad file", 14);
  g_assert_cmpmem (g_bytes_get_data (second_kept, NULL), g_bytes_get_size (second_kept),
                   "second bad file", 15);
}

/* Saving where it cannot be saved */

static void
test_save_not_a_directory (void)
{
  g_autofree char *dir = state_dir ();
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = first_snapshot ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) kept = NULL;

  /* The state folder is a regular file: every user, root included, gets
   * ENOTDIR.
   */
  mp_test_write_file (dir, "not a folder", -1);

  state = mp_mailbox_state_load ("test");
  g_assert_null (mp_mailbox_state_get_recovered_from (state));
  mp_mailbox_state_merge (state, snapshot);

  g_assert_false (mp_mailbox_state_save (state, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_assert_nonnull (strstr (error->message, dir));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOTDIR)));

  kept = read_file (dir);
  g_assert_cmpmem (g_bytes_get_data (kept, NULL), g_bytes_get_size (kept), "not a folder", 12);
}

/* A directory this test cannot write into: plain chmod for a normal user,
 * a read-only tmpfs for root (who ignores permissions).
 */
typedef enum
{
  READ_ONLY_CHMOD,
  READ_ONLY_MOUNT,
} ReadOnlyMethod;

static void
make_read_only (const char     *dir,
                ReadOnlyMethod  method,
                gboolean        read_only)
{
  if (method == READ_ONLY_CHMOD)
    g_assert_cmpint (g_chmod (dir, read_only ? 0500 : 0700), ==, 0);
  else
    mp_test_remount_tmpfs (dir, "size=1m", read_only);
}

static void
read_only_scenario (ReadOnlyMethod method)
{
  g_autofree char *dir = state_dir ();
  g_autofree char *path = mp_test_state_path ("test");
  g_autofree char *bad_path = mp_test_state_path ("bad");
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) bad = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = first_snapshot ();
  g_autoptr(MpMailboxSnapshot) more = second_snapshot ();
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GBytes) bad_after = NULL;
  g_autoptr(GError) error = NULL;
  int expected_code;

  state = mp_mailbox_state_load ("test");
  mp_mailbox_state_merge (state, snapshot);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  before = read_file (path);
  mp_test_write_file (bad_path, "{ damaged", -1);

  make_read_only (dir, method, TRUE);
  expected_code = method == READ_ONLY_CHMOD ? G_FILE_ERROR_ACCES : G_FILE_ERROR_ROFS;

  /* A change cannot be written; the old file stays. */
  mp_test_snapshot_add (more, "uid-new", NULL, 1,
                        make_headers (NULL, "n@example.com", "new", NULL));
  mp_mailbox_state_merge (state, more);
  g_assert_false (mp_mailbox_state_save (state, &error));
  g_assert_error (error, G_FILE_ERROR, expected_code);
  g_assert_nonnull (strstr (error->message, "Could not save the mail state"));
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("save into a read-only folder: %s", error->message);
  g_clear_error (&error);
  after = read_file (path);
  g_assert_true (g_bytes_equal (before, after));
  g_assert_cmpuint (count_dir_entries (dir), ==, 2);

  /* A damaged file that cannot be moved aside is never overwritten. */
  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*could not be moved aside*");
  bad = mp_mailbox_state_load ("bad");
  g_test_assert_expected_messages ();
  g_assert_null (mp_mailbox_state_get_recovered_from (bad));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (bad), ==, 0);

  make_read_only (dir, method, FALSE);
  /* Even once the folder is writable, the file is moved before anything is
   * written over it.
   */
  g_assert_true (mp_mailbox_state_save (bad, &error));
  g_assert_no_error (error);
  g_assert_nonnull (mp_mailbox_state_get_recovered_from (bad));
  bad_after = read_file (mp_mailbox_state_get_recovered_from (bad));
  g_assert_cmpmem (g_bytes_get_data (bad_after, NULL), g_bytes_get_size (bad_after), "{ damaged", 9);

  /* And the first state saves once it can. */
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
}

static void
test_save_read_only_chmod (void)
{
  g_autofree char *dir = state_dir ();
  g_autofree char *probe = g_build_filename (dir, "probe", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0500), ==, 0);
  if (g_file_set_contents (probe, "", 0, NULL))
    {
      g_unlink (probe);
      g_chmod (dir, 0700);
      g_test_skip ("permissions do not stop this user (root); see the mount variant");
      return;
    }
  g_chmod (dir, 0700);

  read_only_scenario (READ_ONLY_CHMOD);
}

static void
test_save_read_only_mount (void)
{
  g_autofree char *dir = NULL;

  if (!mp_test_in_mount_subprocess ())
    return;

  dir = state_dir ();
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  mp_test_mount_private_tmpfs (dir, "size=1m,mode=0700");

  read_only_scenario (READ_ONLY_MOUNT);
}

static void
test_save_full_device (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *filler = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxSnapshot) snapshot = first_snapshot ();
  g_autoptr(MpMailboxSnapshot) big = mp_test_snapshot_new ();
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autoptr(GError) error = NULL;
  char block[4096];
  gsize written = 0;
  int fd;

  if (!mp_test_in_mount_subprocess ())
    return;

  /* A real full file system: a 256 KiB tmpfs, filled up. */
  dir = g_build_filename (g_get_user_state_dir (), NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  mp_test_mount_private_tmpfs (dir, "size=256k,mode=0700");

  path = mp_test_state_path ("test");
  state = mp_mailbox_state_load ("test");
  mp_mailbox_state_merge (state, snapshot);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  before = read_file (path);

  filler = g_build_filename (dir, "filler", NULL);
  fd = g_open (filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  memset (block, 'x', sizeof block);
  for (;;)
    {
      ssize_t n = write (fd, block, sizeof block);

      if (n < 0)
        {
          g_assert_cmpint (errno, ==, ENOSPC);
          break;
        }
      written += (gsize) n;
      g_assert_cmpuint (written, <=, 1024 * 1024);
    }
  g_assert_true (g_close (fd, NULL));

  /* A state that needs more room than is left. */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *uid = g_strdup_printf ("uid-%u", i);
      g_autofree char *subject = g_strdup_printf ("Сообщение номер %u", i);

      mp_test_snapshot_add (big, uid, NULL, 1000 + i,
                            make_headers ("Отправитель", "s@example.ru", subject, NULL));
    }
  mp_mailbox_state_merge (state, big);

  g_assert_false (mp_mailbox_state_save (state, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  g_assert_nonnull (strstr (error->message, "Could not save the mail state"));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOSPC)));
  g_test_message ("save to a full device: %s", error->message);
  g_clear_error (&error);

  /* The old state is intact and no temporary file is left behind. */
  after = read_file (path);
  g_assert_true (g_bytes_equal (before, after));
  {
    g_autofree char *state_folder = state_dir ();

    g_assert_cmpuint (count_dir_entries (state_folder), ==, 1);
  }

  /* With room again, the change that failed is still there to save. */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
  {
    g_autoptr(MpMailboxState) reloaded = mp_mailbox_state_load ("test");

    g_assert_cmpuint (mp_mailbox_state_get_n_messages (reloaded), ==, 200);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mailbox-state/isolated", test_isolated);
  g_test_add_func ("/mailbox-state/missing-file", test_missing_file);
  g_test_add_func ("/mailbox-state/round-trip", test_round_trip);
  g_test_add_func ("/mailbox-state/merge", test_merge);
  g_test_add_func ("/mailbox-state/known-without-cache", test_known_without_cache);
  g_test_add_func ("/mailbox-state/duplicates", test_duplicates);
  g_test_add_func ("/mailbox-state/duplicates-saved", test_duplicates_saved);
  g_test_add_func ("/mailbox-state/announce-once", test_announce_once);
  g_test_add_func ("/mailbox-state/no-rewrite", test_no_rewrite);
  g_test_add_func ("/mailbox-state/large-mailbox", test_large_mailbox);
  g_test_add_func ("/mailbox-state/file-names", test_file_names);

  for (guint i = 0; i < G_N_ELEMENTS (corrupt_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/mailbox-state/corrupt/%s", corrupt_cases[i].name);

      g_test_add_data_func (name, &corrupt_cases[i], test_corrupt);
    }
  g_test_add_func ("/mailbox-state/corrupt/directory", test_corrupt_directory);
  g_test_add_func ("/mailbox-state/corrupt/too-large", test_corrupt_too_large);
  g_test_add_func ("/mailbox-state/corrupt/twice", test_corrupt_twice);
  g_test_add_func ("/mailbox-state/corrupt/empty-state-saved", test_corrupt_empty_state_saved);

  g_test_add_func ("/mailbox-state/save/not-a-directory", test_save_not_a_directory);
  g_test_add_func ("/mailbox-state/save/read-only-chmod", test_save_read_only_chmod);
  g_test_add_func ("/mailbox-state/save/read-only-mount", test_save_read_only_mount);
  g_test_add_func ("/mailbox-state/save/full-device", test_save_full_device);

  return g_test_run ();
}
