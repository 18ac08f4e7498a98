/* test-mailbox-state-merge.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The seen-state of issue 6: format 3 (unseen, snippets, tombstones), the
 * upgrade from format 2, every rule of the merge with what another process
 * wrote (two MpMailboxState objects on one file stand for two processes;
 * test-mailbox-state-processes runs real ones), the asynchronous load and
 * save, the key escaper and the file helpers.
 */

#define G_LOG_DOMAIN "test-mailbox-state-merge"

#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "mp-account.h"
#include "mp-mailbox-state.h"
#include "mp-mailbox-state-private.h"
#include "mp-test-state.h"
#include "mp-test-util.h"

#define STATE_DOMAIN "mp-mailbox-state"

/* Helpers */

static MpHeaders *
make_headers (const char *subject)
{
  MpHeaders *headers = mp_headers_new ();

  headers->from_address = g_strdup ("a@example.com");
  headers->from = g_strdup ("a@example.com");
  headers->subject = g_strdup (subject);
  headers->date = g_date_time_new_from_unix_utc (1764000000);
  return headers;
}

/* Adds message @uid; @subject NULL: no headers (known, or TOP failed). */
static void
snapshot_add (MpMailboxSnapshot *snapshot,
              const char        *uid,
              const char        *subject)
{
  mp_test_snapshot_add (snapshot, uid, NULL, 100, subject != NULL ? make_headers (subject) : NULL);
}

/* A snapshot of @uids ("a b c"), each with headers "subject-UID". */
static MpMailboxSnapshot *
snapshot_of (const char *uids,
             gboolean    with_headers)
{
  MpMailboxSnapshot *snapshot = mp_test_snapshot_new ();
  g_auto(GStrv) list = g_strsplit (uids, " ", -1);

  for (guint i = 0; list[i] != NULL; i++)
    {
      g_autofree char *subject = g_strconcat ("subject-", list[i], NULL);

      if (*list[i] != '\0')
        snapshot_add (snapshot, list[i], with_headers ? subject : NULL);
    }
  return snapshot;
}

static void
merge (MpMailboxState *state,
       const char     *uids,
       gboolean        with_headers)
{
  g_autoptr(MpMailboxSnapshot) snapshot = snapshot_of (uids, with_headers);

  mp_mailbox_state_merge (state, snapshot);
}

static void
save (MpMailboxState *state)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mp_mailbox_state_save (state, &error));
  g_assert_no_error (error);
}

static void
write_file (const char *path,
            GBytes     *bytes)
{
  mp_test_write_file (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));
}

/* A file in format 2, restated from its description. */
static GBytes *
format2_file (void)
{
  g_autoptr(GVariant) file = NULL;

  file = g_variant_ref_sink (g_variant_new_parsed (
    "('mailpeek-state', uint32 2, <@a(smstbxum(msmsmsmsmsmsmx)) ["
    "('old-a', just 'old-a', uint64 10, true, int64 1700000000, uint32 1, "
    "  just (just 'A <a@example.com>', just 'A', just 'a@example.com', nothing, "
    "        just 'Старое письмо', just '<a@example.com>', just int64 1700000000)), "
    "('old-b', just 'old-b', uint64 20, false, int64 1700000001, uint32 1, nothing)]>)"));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }
  return g_variant_get_data_as_bytes (file);
}

static guint32
saved_version (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) version = NULL;
  char *data = NULL;
  gsize len = 0;
  guint32 number;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  file = g_variant_ref_sink (g_variant_new_from_data (G_VARIANT_TYPE ("(suv)"), data, len,
                                                      FALSE, g_free, data));
  version = g_variant_get_child_value (file, 1);
  number = g_variant_get_uint32 (version);
  return G_BYTE_ORDER == G_BIG_ENDIAN ? GUINT32_SWAP_LE_BE (number) : number;
}

typedef struct
{
  guint      emissions;
  GPtrArray *keys;
} ChangedLog;

static void
changed_cb (MpMailboxState     *state,
            const char * const *keys,
            ChangedLog         *log)
{
  log->emissions++;
  for (guint i = 0; keys[i] != NULL; i++)
    g_ptr_array_add (log->keys, g_strdup (keys[i]));
}

static void
changed_log_init (ChangedLog     *log,
                  MpMailboxState *state)
{
  log->emissions = 0;
  log->keys = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (state, "changed", G_CALLBACK (changed_cb), log);
}

static gboolean
changed_log_has (ChangedLog *log,
                 const char *key)
{
  return g_ptr_array_find_with_equal_func (log->keys, key, g_str_equal, NULL);
}

static gint64 fake_now;

static gint64
fake_clock (void)
{
  return fake_now;
}

/* Format 3 and the upgrade from 2 */

static void
test_format2_upgrade (void)
{
  g_autofree char *path = mp_test_state_path ("v2");
  g_autoptr(GBytes) bytes = format2_file ();
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) again = NULL;
  const MpHeaders *headers;

  write_file (path, bytes);
  state = mp_mailbox_state_load ("v2");
  g_assert_null (mp_mailbox_state_get_recovered_from (state));
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 2);

  /* Everything format 2 knew, and what it did not: seen, no snippet. */
  g_assert_true (mp_mailbox_state_is_announced (state, "old-a"));
  g_assert_false (mp_mailbox_state_is_announced (state, "old-b"));
  g_assert_false (mp_mailbox_state_is_unseen (state, "old-a"));
  g_assert_false (mp_mailbox_state_is_unseen (state, "old-b"));
  g_assert_null (mp_mailbox_state_get_snippet (state, "old-a"));
  headers = mp_mailbox_state_get_headers (state, "old-a");
  g_assert_nonnull (headers);
  g_assert_cmpstr (headers->subject, ==, "Старое письмо");
  g_assert_cmpstr (headers->from_name, ==, "A");
  g_assert_null (headers->to);
  g_assert_cmpint (g_date_time_to_unix (headers->date), ==, 1700000000);
  g_assert_null (mp_mailbox_state_get_headers (state, "old-b"));
  g_assert_cmpint (g_date_time_to_unix (mp_mailbox_state_get_first_seen (state, "old-b")), ==,
                   1700000001);

  /* Headers are built once and then the same. */
  g_assert_true (mp_mailbox_state_get_headers (state, "old-a") == headers);

  /* Written back as format 3 with the first change. */
  mp_mailbox_state_set_snippet (state, "old-b", "Привет, это начало письма");
  save (state);
  g_assert_cmpuint (saved_version (path), ==, 3);

  again = mp_mailbox_state_load ("v2");
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (again), ==, 2);
  g_assert_true (mp_mailbox_state_is_announced (again, "old-a"));
  g_assert_cmpstr (mp_mailbox_state_get_snippet (again, "old-b"), ==, "Привет, это начало письма");
  g_assert_cmpstr (mp_mailbox_state_get_headers (again, "old-a")->subject, ==, "Старое письмо");
}

static void
test_unseen_and_snippet (void)
{
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("unseen");
  g_autoptr(MpMailboxState) again = NULL;

  /* A message first seen by a poll is unseen. */
  merge (state, "a b c", TRUE);
  g_assert_true (mp_mailbox_state_is_unseen (state, "a"));
  g_assert_true (mp_mailbox_state_is_unseen (state, "b"));
  g_assert_false (mp_mailbox_state_is_unseen (state, "missing"));

  mp_mailbox_state_mark_seen (state, "a");
  mp_mailbox_state_mark_seen (state, "missing");
  g_assert_false (mp_mailbox_state_is_unseen (state, "a"));
  /* Announcing is another matter. */
  mp_mailbox_state_mark_announced (state, "b");
  g_assert_true (mp_mailbox_state_is_unseen (state, "b"));

  mp_mailbox_state_set_snippet (state, "c", "first lines");
  mp_mailbox_state_set_snippet (state, "missing", "nothing");
  g_assert_cmpstr (mp_mailbox_state_get_snippet (state, "c"), ==, "first lines");
  g_assert_null (mp_mailbox_state_get_snippet (state, "missing"));
  save (state);

  again = mp_mailbox_state_load ("unseen");
  g_assert_false (mp_mailbox_state_is_unseen (again, "a"));
  g_assert_true (mp_mailbox_state_is_unseen (again, "b"));
  g_assert_true (mp_mailbox_state_is_unseen (again, "c"));
  g_assert_cmpstr (mp_mailbox_state_get_snippet (again, "c"), ==, "first lines");
  g_assert_null (mp_mailbox_state_get_snippet (again, "a"));

  /* The next poll keeps all of it. */
  merge (again, "a b c", FALSE);
  g_assert_false (mp_mailbox_state_is_unseen (again, "a"));
  g_assert_cmpstr (mp_mailbox_state_get_snippet (again, "c"), ==, "first lines");
  mp_mailbox_state_set_snippet (again, "c", NULL);
  g_assert_null (mp_mailbox_state_get_snippet (again, "c"));
}

/* The merge rules, with two objects as two processes */

static void
test_announced_only_grows (void)
{
  g_autoptr(MpMailboxState) one = NULL;
  g_autoptr(MpMailboxState) two = NULL;
  g_autoptr(MpMailboxState) check = NULL;
  ChangedLog log;

  one = mp_mailbox_state_load ("grow");
  merge (one, "a b", TRUE);
  save (one);
  two = mp_mailbox_state_load ("grow");
  changed_log_init (&log, two);

  /* One announces a; two, which never did, saves a change of its own. */
  mp_mailbox_state_mark_announced (one, "a");
  save (one);
  mp_mailbox_state_mark_announced (two, "b");
  save (two);

  g_assert_true (mp_mailbox_state_is_announced (two, "a"));
  g_assert_true (mp_mailbox_state_is_announced (two, "b"));
  g_assert_cmpuint (log.emissions, ==, 1);
  g_assert_true (changed_log_has (&log, "a"));
  g_assert_false (changed_log_has (&log, "b"));

  check = mp_mailbox_state_load ("grow");
  g_assert_true (mp_mailbox_state_is_announced (check, "a"));
  g_assert_true (mp_mailbox_state_is_announced (check, "b"));

  /* And one learns b when it saves next, even with nothing to write. */
  save (one);
  g_assert_true (mp_mailbox_state_is_announced (one, "b"));
  g_ptr_array_unref (log.keys);
}

static void
test_unseen_only_clears (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("clears");
  g_autoptr(MpMailboxState) two = NULL;
  g_autoptr(MpMailboxState) check = NULL;

  merge (one, "a b", TRUE);
  save (one);
  two = mp_mailbox_state_load ("clears");

  mp_mailbox_state_mark_seen (one, "a");
  save (one);
  /* Two touches a (announces it), still thinking it unseen. */
  mp_mailbox_state_mark_announced (two, "a");
  mp_mailbox_state_mark_seen (two, "b");
  save (two);

  g_assert_false (mp_mailbox_state_is_unseen (two, "a"));
  g_assert_true (mp_mailbox_state_is_announced (two, "a"));
  check = mp_mailbox_state_load ("clears");
  g_assert_false (mp_mailbox_state_is_unseen (check, "a"));
  g_assert_false (mp_mailbox_state_is_unseen (check, "b"));
}

static void
test_headers_and_snippets_kept (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("keep");
  g_autoptr(MpMailboxState) two = mp_mailbox_state_load ("keep");
  g_autoptr(MpMailboxState) check = NULL;
  g_autoptr(GHashTable) known = NULL;

  /* Both found a; one fetched its headers, two's TOP failed. */
  merge (one, "a", TRUE);
  merge (two, "a", FALSE);
  g_assert_null (mp_mailbox_state_get_headers (two, "a"));
  save (one);
  save (two);
  g_assert_nonnull (mp_mailbox_state_get_headers (two, "a"));
  g_assert_cmpstr (mp_mailbox_state_get_headers (two, "a")->subject, ==, "subject-a");

  /* A snippet one cached survives two's later save of something else. */
  mp_mailbox_state_set_snippet (one, "a", "snippet of a");
  save (one);
  mp_mailbox_state_mark_announced (two, "a");
  save (two);
  g_assert_cmpstr (mp_mailbox_state_get_snippet (two, "a"), ==, "snippet of a");

  check = mp_mailbox_state_load ("keep");
  g_assert_cmpstr (mp_mailbox_state_get_headers (check, "a")->subject, ==, "subject-a");
  g_assert_cmpstr (mp_mailbox_state_get_snippet (check, "a"), ==, "snippet of a");
  g_assert_true (mp_mailbox_state_is_announced (check, "a"));
  known = mp_mailbox_state_dup_known_uids (check);
  g_assert_true (g_hash_table_contains (known, "a"));

  /* The earlier first-seen time wins. */
  g_assert_nonnull (mp_mailbox_state_get_first_seen (check, "a"));
}

static void
test_first_seen_earliest (void)
{
  g_autoptr(MpMailboxState) one = NULL;
  g_autoptr(MpMailboxState) two = NULL;

  mp_mailbox_state_set_clock (fake_clock);
  fake_now = 1800000000;
  one = mp_mailbox_state_load ("first-seen");
  merge (one, "a", TRUE);
  fake_now += 500;
  two = mp_mailbox_state_load ("first-seen");
  merge (two, "a", TRUE);
  save (one);
  save (two);
  g_assert_cmpint (g_date_time_to_unix (mp_mailbox_state_get_first_seen (two, "a")), ==, 1800000000);
  mp_mailbox_state_set_clock (NULL);
}

static void
test_deleted_stays_deleted (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("deleted");
  g_autoptr(MpMailboxState) two = NULL;
  g_autoptr(MpMailboxState) late = NULL;
  g_autoptr(MpMailboxState) check = NULL;
  ChangedLog log;

  /* Late loaded before a existed. */
  late = mp_mailbox_state_load ("deleted");
  merge (one, "a b c", TRUE);
  save (one);
  two = mp_mailbox_state_load ("deleted");
  changed_log_init (&log, two);

  /* One deletes a (the server confirmed it). */
  mp_mailbox_state_forget_deleted (one, "a");
  g_assert_false (mp_mailbox_state_contains (one, "a"));
  save (one);

  /* Two still has a, and saves a change of its own: a stays gone. */
  mp_mailbox_state_mark_announced (two, "a");
  mp_mailbox_state_mark_announced (two, "b");
  save (two);
  g_assert_false (mp_mailbox_state_contains (two, "a"));
  g_assert_true (mp_mailbox_state_is_announced (two, "b"));
  g_assert_true (changed_log_has (&log, "a"));

  /* Late's poll began before the delete and still lists a, new to it:
   * the tombstone keeps it out too.
   */
  merge (late, "a b c d", TRUE);
  g_assert_true (mp_mailbox_state_contains (late, "a"));
  save (late);
  g_assert_false (mp_mailbox_state_contains (late, "a"));
  g_assert_true (mp_mailbox_state_contains (late, "d"));

  check = mp_mailbox_state_load ("deleted");
  g_assert_false (mp_mailbox_state_contains (check, "a"));
  g_assert_true (mp_mailbox_state_contains (check, "b"));
  g_assert_true (mp_mailbox_state_contains (check, "d"));

  /* A poll of the same process that still lists it adds no entry. */
  merge (check, "a b c d", FALSE);
  g_assert_false (mp_mailbox_state_contains (check, "a"));

  /* mp_mailbox_state_remove() is the same thing. */
  g_assert_true (mp_mailbox_state_remove (check, "b"));
  g_assert_false (mp_mailbox_state_remove (check, "b"));
  save (check);
  save (two);
  g_assert_false (mp_mailbox_state_contains (two, "b"));
  g_ptr_array_unref (log.keys);
}

static void
test_tombstone_expiry (void)
{
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) other = NULL;

  mp_mailbox_state_set_clock (fake_clock);
  fake_now = 1800000000;

  state = mp_mailbox_state_load ("expiry");
  merge (state, "a b", TRUE);
  save (state);
  other = mp_mailbox_state_load ("expiry");
  mp_mailbox_state_forget_deleted (state, "a");

  /* A poll right after the delete that no longer lists a keeps the
   * tombstone for its grace time, for other processes.
   */
  fake_now += 60;
  merge (state, "b", FALSE);
  save (state);
  mp_mailbox_state_mark_announced (other, "b");
  save (other);
  g_assert_false (mp_mailbox_state_contains (other, "a"));

  /* While a poll still lists it, it stays past the grace time. */
  fake_now += MP_STATE_TOMBSTONE_GRACE;
  merge (state, "a b", FALSE);
  g_assert_false (mp_mailbox_state_contains (state, "a"));

  /* Then the first poll without it, past the grace time, drops it; the
   * key could come back as a new message after that (it does not on a
   * real server: a UIDL is never reused).
   */
  merge (state, "b", FALSE);
  merge (state, "a b", TRUE);
  g_assert_true (mp_mailbox_state_contains (state, "a"));

  /* Past the maximum age it goes whatever the server says. */
  mp_mailbox_state_forget_deleted (state, "b");
  fake_now += MP_STATE_TOMBSTONE_MAX_AGE + 1;
  merge (state, "a b", TRUE);
  g_assert_true (mp_mailbox_state_contains (state, "b"));

  mp_mailbox_state_set_clock (NULL);
}

static void
test_removed_by_other_poll (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("gone");
  g_autoptr(MpMailboxState) two = NULL;

  merge (one, "a b", TRUE);
  save (one);
  two = mp_mailbox_state_load ("gone");

  /* One's poll finds a gone from the server; two, which has it untouched,
   * saves a change of b: a is not brought back.
   */
  merge (one, "b", FALSE);
  save (one);
  mp_mailbox_state_mark_announced (two, "b");
  save (two);
  g_assert_false (mp_mailbox_state_contains (two, "a"));

  /* And the other way round: two drops b (its poll), one keeps its
   * untouched copy of b only until it saves.
   */
  merge (two, "", FALSE);
  save (two);
  g_assert_true (mp_mailbox_state_contains (one, "b"));
  save (one);
  g_assert_false (mp_mailbox_state_contains (one, "b"));
}

static void
test_new_on_both_sides (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("both");
  g_autoptr(MpMailboxState) two = mp_mailbox_state_load ("both");
  g_autoptr(MpMailboxState) check = NULL;
  ChangedLog log;

  changed_log_init (&log, two);
  merge (one, "a", TRUE);
  save (one);
  merge (two, "b", TRUE);
  save (two);

  /* Two brought a in and kept its b; that is what it was told. */
  g_assert_true (mp_mailbox_state_contains (two, "a"));
  g_assert_true (mp_mailbox_state_contains (two, "b"));
  g_assert_true (changed_log_has (&log, "a"));
  g_assert_false (changed_log_has (&log, "b"));
  g_assert_true (mp_mailbox_state_is_unseen (two, "a"));

  check = mp_mailbox_state_load ("both");
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (check), ==, 2);
  g_ptr_array_unref (log.keys);
}

static void
test_no_write_when_nothing_changed (void)
{
  g_autofree char *path = mp_test_state_path ("idle");
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("idle");
  g_autoptr(MpMailboxState) two = NULL;
  MpStateFileId before, after;
  ChangedLog log;

  merge (one, "a b", TRUE);
  save (one);
  two = mp_mailbox_state_load ("idle");
  changed_log_init (&log, two);

  mp_state_file_id_query (path, &before);
  save (two);
  mp_state_file_id_query (path, &after);
  g_assert_true (mp_state_file_id_equal (&before, &after));
  g_assert_cmpuint (log.emissions, ==, 0);

  /* One writes; two, unchanged, reads what one wrote but writes nothing. */
  mp_mailbox_state_mark_announced (one, "a");
  save (one);
  mp_state_file_id_query (path, &before);
  save (two);
  mp_state_file_id_query (path, &after);
  g_assert_true (mp_state_file_id_equal (&before, &after));
  g_assert_true (mp_mailbox_state_is_announced (two, "a"));
  g_assert_cmpuint (log.emissions, ==, 1);

  /* A real change is written (so the checks above can fail). */
  mp_mailbox_state_mark_seen (two, "b");
  save (two);
  mp_state_file_id_query (path, &after);
  g_assert_false (mp_state_file_id_equal (&before, &after));
  g_ptr_array_unref (log.keys);
}

static void
test_duplicate_copies_merge (void)
{
  g_autoptr(MpMailboxState) one = mp_mailbox_state_load ("dups");
  g_autoptr(MpMailboxState) two = NULL;
  g_autoptr(MpMailboxSnapshot) three = mp_test_snapshot_new ();

  merge (one, "d", TRUE);
  mp_mailbox_state_mark_announced (one, "d");
  save (one);
  two = mp_mailbox_state_load ("dups");

  /* One's poll sees a second message behind the same UIDL: not announced
   * any more, whatever two (which saw one copy, announced) says.
   */
  snapshot_add (three, "d", "x");
  snapshot_add (three, "d", "y");
  mp_mailbox_state_merge (one, three);
  g_assert_false (mp_mailbox_state_is_announced (one, "d"));
  mp_mailbox_state_mark_seen (two, "d");
  save (two);
  save (one);
  g_assert_false (mp_mailbox_state_is_announced (one, "d"));
  save (two);
  g_assert_false (mp_mailbox_state_is_announced (two, "d"));
}

static void
test_corrupt_on_disk_at_save (void)
{
  g_autofree char *path = mp_test_state_path ("broken-later");
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("broken-later");
  g_autoptr(GBytes) junk = g_bytes_new_static ("junk", 4);
  g_autoptr(MpMailboxState) check = NULL;

  merge (state, "a", TRUE);
  save (state);
  write_file (path, junk);

  /* Set aside, and memory written in its place. */
  mp_mailbox_state_mark_announced (state, "a");
  g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*corrupt*");
  save (state);
  g_test_assert_expected_messages ();
  g_assert_nonnull (mp_mailbox_state_get_recovered_from (state));
  check = mp_mailbox_state_load ("broken-later");
  g_assert_true (mp_mailbox_state_is_announced (check, "a"));
}

static void
test_bad_tombstones (void)
{
  const char *cases[] = {
    /* A key both kept and forgotten: never written by this code. */
    "('mailpeek-state', uint32 3, <(@a(smstbxum(msmsmsmsmsmsmx)bms) "
    "[('a', just 'a', uint64 1, false, int64 1764000000, uint32 1, nothing, true, nothing)], "
    "@a(sx) [('a', int64 1764000000)])>)",
    /* A time no clock gives. */
    "('mailpeek-state', uint32 3, <(@a(smstbxum(msmsmsmsmsmsmx)bms) [], "
    "@a(sx) [('a', int64 -9223372036854775808)])>)",
    /* An empty key. */
    "('mailpeek-state', uint32 3, <(@a(smstbxum(msmsmsmsmsmsmx)bms) [], "
    "@a(sx) [('', int64 1764000000)])>)",
  };
  g_autofree char *path = mp_test_state_path ("tombstones");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GVariant) file = g_variant_ref_sink (g_variant_new_parsed (cases[i]));
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(MpMailboxState) state = NULL;

      if (G_BYTE_ORDER == G_BIG_ENDIAN)
        {
          GVariant *swapped = g_variant_byteswap (file);

          g_variant_unref (file);
          file = swapped;
        }
      bytes = g_variant_get_data_as_bytes (file);
      write_file (path, bytes);
      g_test_expect_message (STATE_DOMAIN, G_LOG_LEVEL_WARNING, "*corrupt (with a bad tombstone*");
      state = mp_mailbox_state_load ("tombstones");
      g_test_assert_expected_messages ();
      g_assert_nonnull (mp_mailbox_state_get_recovered_from (state));
      g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 0);
    }
}

/* Asynchronous load and save */

static void
test_async (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(MpMailboxState) other = NULL;
  g_autoptr(MpMailboxState) check = NULL;
  g_autoptr(GError) error = NULL;
  ChangedLog log;

  other = mp_mailbox_state_load ("async");
  merge (other, "a b", TRUE);
  save (other);

  mp_mailbox_state_load_async ("async", NULL, mp_test_result_cb, &result);
  mp_test_await (&result, 10);
  state = mp_mailbox_state_load_finish (result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (state);
  g_clear_object (&result);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 2);
  g_assert_cmpstr (mp_mailbox_state_get_headers (state, "a")->subject, ==, "subject-a");
  changed_log_init (&log, state);

  /* The other process announces a; this one marks b seen and saves
   * asynchronously, and changes c while the save runs.
   */
  mp_mailbox_state_mark_announced (other, "a");
  save (other);
  mp_mailbox_state_mark_seen (state, "b");
  mp_mailbox_state_save_async (state, NULL, mp_test_result_cb, &result);
  merge (state, "a b c", TRUE);
  mp_test_await (&result, 10);
  g_assert_true (mp_mailbox_state_save_finish (state, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  g_assert_cmpuint (log.emissions, ==, 1);
  g_assert_true (changed_log_has (&log, "a"));
  g_assert_true (mp_mailbox_state_is_announced (state, "a"));
  g_assert_false (mp_mailbox_state_is_unseen (state, "b"));
  /* The change made meanwhile is kept, and written by the next save. */
  g_assert_true (mp_mailbox_state_contains (state, "c"));
  check = mp_mailbox_state_load ("async");
  g_assert_false (mp_mailbox_state_contains (check, "c"));
  g_assert_true (mp_mailbox_state_is_announced (check, "a"));
  g_assert_false (mp_mailbox_state_is_unseen (check, "b"));
  g_clear_object (&check);

  mp_mailbox_state_save_async (state, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, 10);
  g_assert_true (mp_mailbox_state_save_finish (state, result, &error));
  g_clear_object (&result);
  check = mp_mailbox_state_load ("async");
  g_assert_true (mp_mailbox_state_contains (check, "c"));
  g_ptr_array_unref (log.keys);
}

static void
test_async_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("cancelled");
  g_autoptr(MpMailboxState) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = mp_test_state_path ("cancelled");

  g_cancellable_cancel (cancellable);
  merge (state, "a", TRUE);
  mp_mailbox_state_save_async (state, cancellable, mp_test_result_cb, &result);
  mp_test_await (&result, 10);
  g_assert_false (mp_mailbox_state_save_finish (state, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_object (&result);
  g_clear_error (&error);

  mp_mailbox_state_load_async ("cancelled", cancellable, mp_test_result_cb, &result);
  mp_test_await (&result, 10);
  loaded = mp_mailbox_state_load_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (loaded);
}

/* Keys and files */

static void
test_escape_key (void)
{
  struct {
    const char *key;
    const char *escaped;
  } cases[] = {
    { "0123abcd", "0123abcd" },
    { "alice@host:11995", "alice@host:11995" },
    { "bob@[::1]:995", "bob@%5B::1%5D:995" },
    { "a%20b@h:1", "a%2520b@h:1" },
    { ".hidden", "%2Ehidden" },
    { "../x", "%2E.%2Fx" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *escaped = mp_mailbox_state_escape_key (cases[i].key);
      g_autoptr(GFile) file = mp_mailbox_state_file_for_key (escaped);
      g_autofree char *basename = g_file_get_basename (file);
      g_autofree char *expected = g_strconcat (cases[i].escaped, ".state", NULL);

      g_assert_cmpstr (escaped, ==, cases[i].escaped);
      /* An escaped key is not escaped again. */
      g_assert_cmpstr (basename, ==, expected);
    }

  /* A long key is cut, never inside an escape, and stays distinct. */
  {
    g_autofree char *long_a = g_strnfill (300, 'a');
    g_autofree char *long_b = g_strconcat (long_a, "b", NULL);
    g_autofree char *spaced = g_strnfill (300, ' ');
    g_autofree char *ea = mp_mailbox_state_escape_key (long_a);
    g_autofree char *eb = mp_mailbox_state_escape_key (long_b);
    g_autofree char *es = mp_mailbox_state_escape_key (spaced);
    g_autoptr(GFile) file = mp_mailbox_state_file_for_key (es);
    g_autofree char *basename = g_file_get_basename (file);
    g_autofree char *expected = g_strconcat (es, ".state", NULL);

    g_assert_cmpuint (strlen (ea), <=, 160);
    g_assert_cmpstr (ea, !=, eb);
    g_assert_cmpuint (strlen (es), <=, 160);
    g_assert_cmpstr (basename, ==, expected);
  }
}

static MpAccount *
url_account (const char *user,
             const char *host,
             guint16     port)
{
  MpAccount *account = mp_account_new (NULL);

  mp_account_set_user (account, user);
  mp_account_set_host (account, host);
  mp_account_set_port (account, port);
  return account;
}

static void
test_legacy_names (void)
{
  const char *old_names[] = {
    "alice@host%253A11995.state",
    "alice%2540host%253A11995.state",
  };
  g_autoptr(GBytes) bytes = format2_file ();

  for (guint i = 0; i < G_N_ELEMENTS (old_names); i++)
    {
      g_autoptr(MpAccount) account = url_account ("alice", "host", 11995);
      g_autofree char *key = mp_account_dup_state_key (account);
      g_autofree char *old_path = mp_test_state_path ("x");
      g_autofree char *dir = g_path_get_dirname (old_path);
      g_autofree char *legacy = g_build_filename (dir, old_names[i], NULL);
      g_autofree char *current = mp_test_state_path ("alice@host:11995");
      g_autoptr(MpMailboxState) state = NULL;

      g_assert_cmpstr (key, ==, "alice@host:11995");
      g_unlink (current);
      write_file (legacy, bytes);

      state = mp_mailbox_state_load (key);
      g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 2);
      g_assert_true (g_file_test (current, G_FILE_TEST_IS_REGULAR));
      g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
    }

  /* An existing file under the new name wins; the old one is left. */
  {
    g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
    g_autofree char *legacy = g_build_filename (dir, old_names[0], NULL);
    g_autoptr(MpMailboxState) state = NULL;

    write_file (legacy, bytes);
    state = mp_mailbox_state_load ("alice@host:11995");
    g_assert_true (g_file_test (legacy, G_FILE_TEST_EXISTS));
  }
}

static void
test_delete_files (void)
{
  const char *ours[] = {
    "alice@host:11995.state",
    "alice@host:11995.state.corrupt-20260101T000000",
    "alice@host:11995.state.lock",
    "alice@host:11995.json",
    "alice@host%253A11995.state",
    "alice%2540host%253A11995.state.corrupt-20260101T000000-2",
  };
  const char *theirs[] = {
    "alice@host:119950.state",
    "alice@host:1199.state",
    "bob@host:11995.state",
    "alice@host:11995.statefile",
  };
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;

  /* No folder at all is fine. */
  g_assert_true (mp_mailbox_state_delete_files ("alice@host:11995", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (ours); i++)
    {
      g_autofree char *path = g_build_filename (dir, ours[i], NULL);

      write_file (path, bytes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (theirs); i++)
    {
      g_autofree char *path = g_build_filename (dir, theirs[i], NULL);

      write_file (path, bytes);
    }

  g_assert_true (mp_mailbox_state_delete_files ("alice@host:11995", &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (ours); i++)
    {
      g_autofree char *path = g_build_filename (dir, ours[i], NULL);

      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    }
  for (guint i = 0; i < G_N_ELEMENTS (theirs); i++)
    {
      g_autofree char *path = g_build_filename (dir, theirs[i], NULL);

      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

static void
test_lock_file_removed (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
  g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("lock");
  g_autoptr(GDir) handle = NULL;
  g_autofree char *path = mp_test_state_path ("lock");
  struct stat st;
  guint n = 0;

  merge (state, "a", TRUE);
  save (state);

  /* Only the state itself is left, with its mode. */
  handle = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (handle);
  while (g_dir_read_name (handle) != NULL)
    n++;
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mailbox-state/format2-upgrade", test_format2_upgrade);
  g_test_add_func ("/mailbox-state/unseen-and-snippet", test_unseen_and_snippet);
  g_test_add_func ("/mailbox-state/merge/announced-only-grows", test_announced_only_grows);
  g_test_add_func ("/mailbox-state/merge/unseen-only-clears", test_unseen_only_clears);
  g_test_add_func ("/mailbox-state/merge/headers-and-snippets-kept", test_headers_and_snippets_kept);
  g_test_add_func ("/mailbox-state/merge/first-seen-earliest", test_first_seen_earliest);
  g_test_add_func ("/mailbox-state/merge/deleted-stays-deleted", test_deleted_stays_deleted);
  g_test_add_func ("/mailbox-state/merge/tombstone-expiry", test_tombstone_expiry);
  g_test_add_func ("/mailbox-state/merge/removed-by-other-poll", test_removed_by_other_poll);
  g_test_add_func ("/mailbox-state/merge/new-on-both-sides", test_new_on_both_sides);
  g_test_add_func ("/mailbox-state/merge/no-write-when-nothing-changed",
                   test_no_write_when_nothing_changed);
  g_test_add_func ("/mailbox-state/merge/duplicate-copies", test_duplicate_copies_merge);
  g_test_add_func ("/mailbox-state/merge/corrupt-on-disk-at-save", test_corrupt_on_disk_at_save);
  g_test_add_func ("/mailbox-state/bad-tombstones", test_bad_tombstones);
  g_test_add_func ("/mailbox-state/async", test_async);
  g_test_add_func ("/mailbox-state/async-cancelled", test_async_cancelled);
  g_test_add_func ("/mailbox-state/escape-key", test_escape_key);
  g_test_add_func ("/mailbox-state/legacy-names", test_legacy_names);
  g_test_add_func ("/mailbox-state/delete-files", test_delete_files);
  g_test_add_func ("/mailbox-state/lock-file-removed", test_lock_file_removed);

  return g_test_run ();
}
