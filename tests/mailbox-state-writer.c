/* mailbox-state-writer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One of the two processes of test-mailbox-state-processes: polls a
 * simulated maildrop many times, announcing, marking seen and deleting
 * messages, and saves the shared state file after each step, as the
 * applet and a `mailpeek --check` would. The "server" is the folder
 * DIR: message KEY is on it unless DIR/deleted/KEY exists (created, with
 * O_EXCL, by the process whose delete the server "confirmed").
 *
 *   mailbox-state-writer DIR ID ITERATIONS ASYNC
 *
 * Writes what it did to DIR/log-ID: lines "announced KEY", "seen KEY",
 * "deleted KEY", "fetched KEY" (headers given to the state once).
 */

#define G_LOG_DOMAIN "mailbox-state-writer"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mp-mailbox-state.h"

/* Messages there at the start (the test delivers them), then one per
 * round and process.
 */
#define N_INITIAL  40
#define STATE_KEY  "shared"

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

static gboolean
on_server (const char *dir,
           const char *key)
{
  g_autofree char *arrived = g_build_filename (dir, "arrived", key, NULL);
  g_autofree char *deleted = g_build_filename (dir, "deleted", key, NULL);

  return g_file_test (arrived, G_FILE_TEST_EXISTS) && !g_file_test (deleted, G_FILE_TEST_EXISTS);
}

static void
deliver (const char *dir,
         guint       index)
{
  g_autofree char *key = g_strdup_printf ("m%03u", index);
  g_autofree char *marker = g_build_filename (dir, "arrived", key, NULL);

  if (!g_file_set_contents (marker, "", 0, NULL))
    g_error ("cannot deliver %s", key);
}

/* Only one process deletes @key (DIR/claimed/KEY, made with O_EXCL). */
static gboolean
claim (const char *dir,
       const char *key)
{
  g_autofree char *marker = g_build_filename (dir, "claimed", key, NULL);
  int fd = g_open (marker, O_WRONLY | O_CREAT | O_EXCL, 0600);

  if (fd < 0)
    return FALSE;
  close (fd);
  return TRUE;
}

/* The server expunges @key: from now on no poll lists it. */
static void
expunge (const char *dir,
         const char *key)
{
  g_autofree char *marker = g_build_filename (dir, "deleted", key, NULL);

  if (!g_file_set_contents (marker, "", 0, NULL))
    g_error ("cannot expunge %s", key);
}

static void
save_state (MpMailboxState *state,
            gboolean        async)
{
  g_autoptr(GError) error = NULL;

  if (async)
    {
      Wait wait = { NULL };

      mp_mailbox_state_save_async (state, NULL, done_cb, &wait);
      while (wait.result == NULL)
        g_main_context_iteration (NULL, TRUE);
      if (!mp_mailbox_state_save_finish (state, wait.result, &error))
        g_error ("save: %s", error->message);
      g_object_unref (wait.result);
    }
  else if (!mp_mailbox_state_save (state, &error))
    g_error ("save: %s", error->message);
}

static MpMailboxState *
load_state (gboolean async)
{
  g_autoptr(GError) error = NULL;
  MpMailboxState *state;
  Wait wait = { NULL };

  if (!async)
    return mp_mailbox_state_load (STATE_KEY);

  mp_mailbox_state_load_async (STATE_KEY, NULL, done_cb, &wait);
  while (wait.result == NULL)
    g_main_context_iteration (NULL, TRUE);
  state = mp_mailbox_state_load_finish (wait.result, &error);
  g_assert_no_error (error);
  g_object_unref (wait.result);
  return state;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *log_path = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autoptr(GHashTable) expunged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *dir;
  guint id, iterations;
  gboolean async;

  if (argc != 5)
    {
      fprintf (stderr, "usage: %s DIR ID ITERATIONS ASYNC\n", argv[0]);
      return 2;
    }
  dir = argv[1];
  id = (guint) atoi (argv[2]);
  iterations = (guint) atoi (argv[3]);
  async = atoi (argv[4]) != 0;
  rand = g_rand_new_with_seed (id * 7919 + 1);

  state = load_state (async);

  for (guint it = 0; it < iterations; it++)
    {
      g_autoptr(MpMailboxSnapshot) snapshot = g_new0 (MpMailboxSnapshot, 1);
      g_autoptr(GHashTable) known = mp_mailbox_state_dup_known_uids (state);
      g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);

      /* Every tenth round this process restarts, as a `--check` does. */
      if (it % 10 == 9)
        {
          g_clear_object (&state);
          state = load_state (async);
          g_clear_pointer (&known, g_hash_table_unref);
          known = mp_mailbox_state_dup_known_uids (state);
        }

      deliver (dir, N_INITIAL + it * 2 + id);

      /* A poll: headers only for what the state does not know. */
      snapshot->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_message_info_free);
      snapshot->uidl_supported = TRUE;
      for (guint i = 0; i < N_INITIAL + iterations * 2; i++)
        {
          g_autofree char *key = g_strdup_printf ("m%03u", i);
          MpMessageInfo *info;

          if (!on_server (dir, key))
            continue;
          info = g_new0 (MpMessageInfo, 1);
          info->number = snapshot->messages->len + 1;
          info->uid = g_strdup (key);
          info->key = g_strdup (key);
          info->size = 1000 + i;
          if (!g_hash_table_contains (known, key))
            {
              info->headers = mp_headers_new ();
              info->headers->subject = g_strdup_printf ("Subject of %s", key);
              info->headers->from_address = g_strdup ("sender@example.com");
              g_string_append_printf (log, "fetched %s\n", key);
            }
          g_ptr_array_add (snapshot->messages, info);
          g_ptr_array_add (listed, g_strdup (key));
        }
      snapshot->count = snapshot->messages->len;
      /* A real poll takes a while between UIDL and its save; that is when
       * the other process's delete can land (not a wait for anything).
       */
      g_usleep (2000);
      mp_mailbox_state_merge (state, snapshot);
      save_state (state, async);

      /* What was expunged before this poll was forgotten and saved before
       * that (see below), so no merge may bring it back: not from memory,
       * not from what the other process wrote.
       */
      for (guint i = 0; i < N_INITIAL + iterations * 2; i++)
        {
          g_autofree char *key = g_strdup_printf ("m%03u", i);
          g_autofree char *marker = g_build_filename (dir, "deleted", key, NULL);

          if (g_hash_table_contains (expunged, key) && mp_mailbox_state_contains (state, key))
            g_error ("process %u: %s was deleted, and a merge brought it back", id, key);
          if (g_file_test (marker, G_FILE_TEST_EXISTS))
            g_hash_table_add (expunged, g_steal_pointer (&key));
        }

      if (listed->len == 0)
        continue;

      /* Tell the user about a few, mark a few seen. */
      for (guint n = 0; n < 3; n++)
        {
          const char *key = g_ptr_array_index (listed, g_rand_int_range (rand, 0, (gint32) listed->len));

          if (mp_mailbox_state_contains (state, key))
            {
              mp_mailbox_state_mark_announced (state, key);
              g_string_append_printf (log, "announced %s\n", key);
            }
        }
      {
        const char *key = g_ptr_array_index (listed, g_rand_int_range (rand, 0, (gint32) listed->len));

        if (mp_mailbox_state_contains (state, key))
          {
            mp_mailbox_state_mark_seen (state, key);
            g_string_append_printf (log, "seen %s\n", key);
          }
      }
      save_state (state, async);

      /* Every other round delete one (QUIT answered +OK) and forget it:
       * the newest, which the other process may have just found.
       */
      if (it % 2 == id % 2)
        {
          const char *key = g_ptr_array_index (listed, listed->len - 1);

          /* QUIT answered +OK: the state forgets it and is saved; the
           * server's listing may lag a moment behind.
           */
          if (claim (dir, key))
            {
              g_autofree char *deleted = g_strdup (key);

              mp_mailbox_state_forget_deleted (state, deleted);
              g_string_append_printf (log, "deleted %s\n", deleted);
              save_state (state, async);
              expunge (dir, deleted);
            }
        }
    }

  log_path = g_strdup_printf ("%s/log-%u", dir, id);
  if (!g_file_set_contents (log_path, log->str, (gssize) log->len, &error))
    g_error ("%s", error->message);
  return 0;
}
