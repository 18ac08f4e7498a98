/* mp-mailbox-state-job.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <errno.h>

#include <glib/gi18n-lib.h>

#include "mp-mailbox-state-private.h"

/* The part of a load or a save that runs in a worker thread (or in place,
 * for the synchronous calls): it sees only its MpStateJob, never the
 * MpMailboxState, whose thread copies what the job needs in and applies
 * what it found (mp-mailbox-state.c).
 */

GHashTable *
mp_state_entry_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                (GDestroyNotify) mp_state_entry_unref);
}

GHashTable *
mp_state_tombstone_table_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

GHashTable *
mp_state_entry_table_copy (GHashTable *entries)
{
  GHashTable *copy = mp_state_entry_table_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      MpStateEntry *entry = value;

      g_hash_table_insert (copy, (gpointer) entry->key, mp_state_entry_ref (entry));
    }
  return copy;
}

GHashTable *
mp_state_tombstone_table_copy (GHashTable *tombstones)
{
  GHashTable *copy = mp_state_tombstone_table_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy, g_strdup (key), g_memdup2 (value, sizeof (gint64)));
  return copy;
}



void
mp_state_job_free (MpStateJob *job)
{
  g_clear_object (&job->file);
  g_free (job->state_key);
  g_clear_pointer (&job->memory, g_ptr_array_unref);
  g_clear_pointer (&job->tombstones, g_hash_table_unref);
  g_clear_pointer (&job->base, mp_state_contents_unref);
  g_clear_pointer (&job->result, mp_state_contents_unref);
  g_clear_pointer (&job->result_entries, g_hash_table_unref);
  g_clear_pointer (&job->result_tombstones, g_hash_table_unref);
  g_clear_pointer (&job->changed, g_ptr_array_unref);
  g_free (job->recovered_from);
  g_clear_error (&job->error);
  g_free (job);
}


/* Sets a bad file aside; the warnings are those users and tests see. */
static void
job_set_aside (MpStateJob        *job,
               const char *why)
{
  g_autofree char *path = g_file_get_parse_name (job->file);
  g_autoptr(GError) error = NULL;
  g_autofree char *dest = mp_state_file_move_aside (job->file, &error);

  if (dest == NULL)
    {
      g_warning ("Mail state %s is %s, and it could not be moved aside (%s); "
                 "starting with an empty state that will not overwrite it",
                 path, why, error->message);
      job->set_aside_failed = TRUE;
      return;
    }

  g_warning ("Mail state %s is %s; moved it to %s and starting with an empty state",
             path, why, dest);
  g_free (job->recovered_from);
  job->recovered_from = g_steal_pointer (&dest);
}

static void
job_take_result (MpStateJob             *job,
                 MpStateContents *result)
{
  job->result = result;
  job->result_entries = mp_state_entry_table_copy (result->entries);
  job->result_tombstones = mp_state_tombstone_table_copy (result->tombstones);
}

/* Any thread. */
void
mp_state_job_load (MpStateJob *job)
{
  g_autofree char *path = g_file_get_path (job->file);
  g_autofree char *dir = path != NULL ? g_path_get_dirname (path) : NULL;
  g_autofree char *why = NULL;
  MpStateContents *contents = NULL;
  int fd = -1;

  /* Renaming (an older name, a bad file) must not race a writer; an
   * absent folder has nothing to lock or rename.
   */
  if (dir != NULL && g_file_test (dir, G_FILE_TEST_IS_DIR))
    fd = mp_state_file_lock (job->file);

  if (job->state_key != NULL)
    mp_state_file_rename_legacy (job->file, job->state_key);

  switch (mp_state_file_read (job->file, &contents, &why))
    {
    case MP_STATE_READ_OK:
      mp_state_file_id_query (path, &job->new_id);
      break;

    case MP_STATE_READ_MISSING:
      break;

    case MP_STATE_READ_BAD:
    default:
      job_set_aside (job, why);
      job->dirty = TRUE;
      break;
    }

  mp_state_file_unlock (job->file, fd);

  job_take_result (job, contents != NULL ? contents : mp_state_contents_new ());
}

/* Any thread: lock, read, merge, write. */
void
mp_state_job_save (MpStateJob *job)
{
  g_autofree char *path = g_file_get_path (job->file);
  g_autofree char *dir = NULL;
  g_autoptr(MpStateContents) disk = NULL;
  g_autoptr(MpStateContents) merged = NULL;
  g_autoptr(GBytes) data = NULL;
  MpStateFileId now_id;
  gboolean differs = FALSE;
  int fd;

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (job->file);

      g_set_error (&job->error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Could not save the mail state to %s: not a local file"), uri);
      return;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (&job->error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not save the mail state: cannot create the folder %s: %s"),
                   dir, g_strerror (saved_errno));
      return;
    }

  fd = mp_state_file_lock (job->file);

  /* A bad file that could not be renamed when it was read is renamed now,
   * or nothing is written: it may be the only copy of something a person
   * can still rescue.
   */
  if (job->needs_set_aside)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *dest = mp_state_file_move_aside (job->file, &local_error);

      if (dest == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_set_error (&job->error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       _("Could not save the mail state to %s: the damaged file "
                         "there could not be moved aside (%s)"),
                       path, local_error->message);
          mp_state_file_unlock (job->file, fd);
          return;
        }
      job->recovered_from = g_steal_pointer (&dest);
      job->needs_set_aside = FALSE;
      mp_state_file_id_query (path, &now_id);
    }
  else
    {
      mp_state_file_id_query (path, &now_id);

      if (now_id.exists && mp_state_file_id_equal (&now_id, &job->file_id))
        {
          /* Nobody wrote since: the file is base. */
          if (!job->dirty)
            {
              job->new_id = now_id;
              mp_state_file_unlock (job->file, fd);
              return;
            }
          disk = mp_state_contents_ref (job->base);
        }
      else if (now_id.exists)
        {
          g_autofree char *why = NULL;

          switch (mp_state_file_read (job->file, &disk, &why))
            {
            case MP_STATE_READ_OK:
            case MP_STATE_READ_MISSING:
              break;

            case MP_STATE_READ_BAD:
            default:
              /* Damaged since it was read: set aside, memory is kept. */
              job_set_aside (job, why);
              if (job->set_aside_failed)
                {
                  g_set_error (&job->error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                               _("Could not save the mail state to %s: the damaged file "
                                 "there could not be moved aside"), path);
                  mp_state_file_unlock (job->file, fd);
                  return;
                }
              break;
            }
        }
    }

  g_clear_pointer (&job->changed, g_ptr_array_unref);
  merged = mp_state_merge_three_way (job->memory, job->tombstones, job->base, disk,
                                     job->now, &job->changed, &differs);

  if (disk != NULL && !differs)
    {
      job->new_id = now_id;
      mp_state_file_unlock (job->file, fd);
      job_take_result (job, g_steal_pointer (&merged));
      return;
    }

  data = mp_state_file_serialize (merged);
  if (!mp_state_file_write (job->file, data, &job->error))
    {
      mp_state_file_unlock (job->file, fd);
      return;
    }
  mp_state_file_id_query (path, &job->new_id);
  job->wrote = TRUE;
  mp_state_file_unlock (job->file, fd);

  job_take_result (job, g_steal_pointer (&merged));
}
