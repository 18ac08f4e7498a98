/* fuzz-mailbox-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fuzzes loading the seen-state: arbitrary bytes as a state file. Nothing
 * may crash; a file that is refused must be set aside unchanged (never
 * lost); a file that loads must save and load again to the same entries,
 * and a second state loaded from it before that save (another process)
 * must, saving in turn, take what the first one wrote: the same entries,
 * all announced, none unseen.
 */

#define G_LOG_DOMAIN "fuzz-mailbox-state"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "mp-mailbox-state.h"

#include "fuzz.h"

static void
fail (const char *what)
{
  fprintf (stderr, "fuzz-mailbox-state: %s\n", what);
  abort ();
}

/* Refused files are announced with a warning; that is expected here. */
static void
drop_log_cb (const char     *log_domain,
             GLogLevelFlags  log_level,
             const char     *message,
             gpointer        user_data)
{
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static gboolean initialized;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GError) error = NULL;
  const char *recovered;

  if (!initialized)
    {
      /* Warnings of the state are expected (g_test_init() makes them
       * fatal in the replay test); criticals still abort.
       */
      g_log_set_handler ("mp-mailbox-state", G_LOG_LEVEL_WARNING, drop_log_cb, NULL);
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL);
      initialized = TRUE;
    }

  dir = g_dir_make_tmp ("fuzz-mailbox-state-XXXXXX", &error);
  if (dir == NULL)
    fail (error->message);
  path = g_build_filename (dir, "fuzz.state", NULL);
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
    fail (error->message);
  file = g_file_new_for_path (path);

  state = mp_mailbox_state_load_from_file (file);
  recovered = mp_mailbox_state_get_recovered_from (state);

  if (recovered != NULL)
    {
      g_autofree char *kept = NULL;
      gsize kept_len = 0;

      /* Refused: moved aside byte for byte, and an empty state. */
      if (!g_file_get_contents (recovered, &kept, &kept_len, &error))
        fail (error->message);
      if (kept_len != size || (size > 0 && memcmp (kept, data, size) != 0))
        fail ("the file set aside differs from the input");
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        fail ("a refused file was left in place");
      if (mp_mailbox_state_get_n_messages (state) != 0)
        fail ("a refused file gave entries");
    }
  else
    {
      g_autoptr(MpMailboxState) again = NULL;
      g_autoptr(MpMailboxState) other = mp_mailbox_state_load_from_file (file);
      guint n = mp_mailbox_state_get_n_messages (state);
      g_autoptr(GHashTable) known = mp_mailbox_state_dup_known_uids (state);
      GHashTableIter iter;
      gpointer uid;

      /* Accepted: written back (after a change, so it really is), it
       * loads again to the same entries.
       */
      if (g_hash_table_size (known) > n)
        fail ("more known UIDs than entries");
      if (mp_mailbox_state_get_n_messages (other) != n)
        fail ("the same file loaded twice gave other entries");
      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, &uid, NULL))
        mp_mailbox_state_mark_seen (state, uid);
      mp_mailbox_state_mark_all_announced (state);
      if (!mp_mailbox_state_save (state, &error))
        fail (error->message);

      again = mp_mailbox_state_load_from_file (file);
      if (mp_mailbox_state_get_recovered_from (again) != NULL)
        fail ("a saved state was refused");
      if (mp_mailbox_state_get_n_messages (again) != n)
        fail ("a saved state lost entries");

      /* The other process merges what this one wrote. */
      if (!mp_mailbox_state_save (other, &error))
        fail (error->message);
      if (mp_mailbox_state_get_n_messages (other) != n)
        fail ("a merge changed the entries");
      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, &uid, NULL))
        if (mp_mailbox_state_contains (other, uid) &&
            (!mp_mailbox_state_is_announced (other, uid) ||
             mp_mailbox_state_is_unseen (other, uid)))
          fail ("a merge lost an announcement or a seen mark");
    }

  remove_dir (dir);
  return 0;
}
