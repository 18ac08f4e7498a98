/* test-mailbox-state-processes.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Issue 6, item 5: two real processes (mailbox-state-writer, one saving
 * synchronously, one from a main loop in a worker thread) poll, announce,
 * mark seen, delete and save the same state file many times at once,
 * while new messages arrive (each deletes the newest message it sees, so
 * deletes race the other's poll of a message new to it).
 * Afterwards nothing either of them announced or marked seen is lost,
 * nothing either deleted came back, and no cached header was lost (no
 * process had to fetch the headers of a message twice).
 */

#define G_LOG_DOMAIN "test-mailbox-state-processes"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "mp-mailbox-state.h"
#include "mp-test-util.h"

#define ITERATIONS "60"

typedef struct
{
  GHashTable *announced;
  GHashTable *seen;
  GHashTable *deleted;
  GHashTable *refetched;
  guint       n_lines;
} Log;

static void
read_log (const char *dir,
          guint       id,
          Log        *log)
{
  g_autofree char *path = g_strdup_printf ("%s/log-%u", dir, id);
  g_autoptr(GHashTable) fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = NULL;

      if (*lines[i] == '\0')
        continue;
      words = g_strsplit (lines[i], " ", 2);
      g_assert_cmpuint (g_strv_length (words), ==, 2);
      log->n_lines++;

      if (g_str_equal (words[0], "announced"))
        g_hash_table_add (log->announced, g_strdup (words[1]));
      else if (g_str_equal (words[0], "seen"))
        g_hash_table_add (log->seen, g_strdup (words[1]));
      else if (g_str_equal (words[0], "deleted"))
        g_hash_table_add (log->deleted, g_strdup (words[1]));
      else if (g_str_equal (words[0], "fetched"))
        {
          /* Once fetched, the headers are in the state for good: a
           * second fetch by the same process means a merge lost them,
           * unless the message was deleted meanwhile (the server lists
           * it a moment longer; the state keeps no entry for it).
           */
          if (!g_hash_table_add (fetched, g_strdup (words[1])))
            g_hash_table_add (log->refetched, g_strdup (words[1]));
        }
      else
        g_assert_not_reached ();
    }
}

static void
test_two_processes (void)
{
  g_autofree char *helper = g_test_build_filename (G_TEST_BUILT, "mailbox-state-writer", NULL);
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "server", NULL);
  g_autofree char *deleted_dir = g_build_filename (dir, "deleted", NULL);
  g_autofree char *arrived_dir = g_build_filename (dir, "arrived", NULL);
  g_autofree char *claimed_dir = g_build_filename (dir, "claimed", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) sync_writer = NULL;
  g_autoptr(GSubprocess) async_writer = NULL;
  g_autoptr(GAsyncResult) result_sync = NULL;
  g_autoptr(GAsyncResult) result_async = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GError) error = NULL;
  Log log = {
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    0,
  };
  GHashTableIter iter;
  gpointer key;
  guint present = 0;

  g_assert_cmpint (g_mkdir_with_parents (deleted_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (arrived_dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (claimed_dir, 0700), ==, 0);
  /* The mailbox at the start; the writers deliver more as they run. */
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/m%03u", arrived_dir, i);

      g_assert_true (g_file_set_contents (name, "", 0, NULL));
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);
  sync_writer = g_subprocess_launcher_spawn (launcher, &error, helper, dir, "0", ITERATIONS, "0", NULL);
  g_assert_no_error (error);
  async_writer = g_subprocess_launcher_spawn (launcher, &error, helper, dir, "1", ITERATIONS, "1", NULL);
  g_assert_no_error (error);

  g_subprocess_wait_check_async (sync_writer, NULL, mp_test_result_cb, &result_sync);
  g_subprocess_wait_check_async (async_writer, NULL, mp_test_result_cb, &result_async);
  mp_test_await (&result_sync, 120);
  mp_test_await (&result_async, 120);
  g_assert_true (g_subprocess_wait_check_finish (sync_writer, result_sync, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check_finish (async_writer, result_async, &error));
  g_assert_no_error (error);

  read_log (dir, 0, &log);
  read_log (dir, 1, &log);
  /* The run did something worth checking. */
  g_assert_cmpuint (g_hash_table_size (log.announced), >, 20);
  g_assert_cmpuint (g_hash_table_size (log.deleted), >, 10);
  g_assert_cmpuint (g_hash_table_size (log.seen), >, 10);

  g_hash_table_iter_init (&iter, log.refetched);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (log.deleted, key))
      g_error ("the headers of %s were fetched twice by one process: a merge lost them",
               (const char *) key);

  state = mp_mailbox_state_load ("shared");
  g_assert_null (mp_mailbox_state_get_recovered_from (state));

  /* Nothing deleted came back. */
  g_hash_table_iter_init (&iter, log.deleted);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (mp_mailbox_state_contains (state, key))
      g_error ("%s was deleted, and is in the state again", (const char *) key);

  /* Everything still on the server is there, with its headers; what was
   * announced is announced, what was seen is seen.
   */
  for (guint i = 0; i < 40 + 2 * (guint) atoi (ITERATIONS); i++)
    {
      g_autofree char *k = g_strdup_printf ("m%03u", i);
      g_autofree char *arrived = g_build_filename (arrived_dir, k, NULL);
      const MpHeaders *headers;

      g_assert_true (g_file_test (arrived, G_FILE_TEST_EXISTS));
      if (g_hash_table_contains (log.deleted, k))
        continue;
      present++;
      g_assert_true (mp_mailbox_state_contains (state, k));
      headers = mp_mailbox_state_get_headers (state, k);
      g_assert_nonnull (headers);
      g_assert_true (g_str_has_suffix (headers->subject, k));
      if (g_hash_table_contains (log.announced, k) && !mp_mailbox_state_is_announced (state, k))
        g_error ("%s was announced, and the state lost it", k);
      if (g_hash_table_contains (log.seen, k) && mp_mailbox_state_is_unseen (state, k))
        g_error ("%s was seen, and the state lost it", k);
    }
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, present);
  g_test_message ("%u lines of log, %u announced, %u seen, %u deleted, %u left",
                  log.n_lines, g_hash_table_size (log.announced), g_hash_table_size (log.seen),
                  g_hash_table_size (log.deleted), present);

  g_hash_table_unref (log.announced);
  g_hash_table_unref (log.seen);
  g_hash_table_unref (log.deleted);
  g_hash_table_unref (log.refetched);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/mailbox-state/two-processes", test_two_processes);

  return g_test_run ();
}
