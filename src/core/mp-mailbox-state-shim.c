/* mp-mailbox-state-shim.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * TEMPORARY stand-ins for the seen-state calls of the `state` branch; see
 * mp-mailbox-state-shim.h.
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mp-mailbox-state-shim.h"

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, mp_mailbox_state_load (task_data), g_object_unref);
}

void
mp_mailbox_state_shim_load_async (const char          *state_key,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, mp_mailbox_state_shim_load_async);
  g_task_set_task_data (task, g_strdup (state_key), g_free);
  g_task_run_in_thread (task, load_thread);
}

MpMailboxState *
mp_mailbox_state_shim_load_finish (GAsyncResult  *result,
                                   GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
mp_mailbox_state_shim_save_async (MpMailboxState      *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, mp_mailbox_state_shim_save_async);
  if (mp_mailbox_state_save (self, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

gboolean
mp_mailbox_state_shim_save_finish (MpMailboxState  *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static GHashTable *
side_table (MpMailboxState *self,
            const char     *name,
            GDestroyNotify  value_free)
{
  GHashTable *table = g_object_get_data (G_OBJECT (self), name);

  if (table == NULL)
    {
      table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
      g_object_set_data_full (G_OBJECT (self), name, table,
                              (GDestroyNotify) g_hash_table_unref);
    }
  return table;
}

gboolean
mp_mailbox_state_shim_is_unseen (MpMailboxState *self,
                                 const char     *key)
{
  return mp_mailbox_state_contains (self, key) &&
         !g_hash_table_contains (side_table (self, "mp-shim-seen", NULL), key);
}

void
mp_mailbox_state_shim_mark_seen (MpMailboxState *self,
                                 const char     *key)
{
  if (mp_mailbox_state_contains (self, key))
    g_hash_table_add (side_table (self, "mp-shim-seen", NULL), g_strdup (key));
}

const char *
mp_mailbox_state_shim_get_snippet (MpMailboxState *self,
                                   const char     *key)
{
  return g_hash_table_lookup (side_table (self, "mp-shim-snippets", g_free), key);
}

void
mp_mailbox_state_shim_set_snippet (MpMailboxState *self,
                                   const char     *key,
                                   const char     *snippet)
{
  g_hash_table_insert (side_table (self, "mp-shim-snippets", g_free),
                       g_strdup (key), g_strdup (snippet));
}

void
mp_mailbox_state_shim_forget_deleted (MpMailboxState *self,
                                      const char     *key)
{
  mp_mailbox_state_remove (self, key);
  g_hash_table_remove (side_table (self, "mp-shim-snippets", g_free), key);
  g_hash_table_remove (side_table (self, "mp-shim-seen", NULL), key);
}

/* KEY.state, the copies set aside from it (KEY.state.corrupt-…) and KEY.json*
 * of the unreleased format 1 (what mp-cli-accounts.c did by hand).
 */
gboolean
mp_mailbox_state_shim_delete_files (const char  *state_key,
                                    GError     **error)
{
  g_autofree char *dir_path = g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
  g_autofree char *file_name = g_strconcat (state_key, ".state", NULL);
  g_autofree char *prefix = g_strconcat (file_name, ".", NULL);
  g_autofree char *old_name = g_strconcat (state_key, ".json", NULL);
  g_autofree char *old_prefix = g_strconcat (old_name, ".", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *entry;

  dir = g_dir_open (dir_path, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!g_str_equal (entry, file_name) && !g_str_has_prefix (entry, prefix) &&
          !g_str_equal (entry, old_name) && !g_str_has_prefix (entry, old_prefix))
        continue;

      path = g_build_filename (dir_path, entry, NULL);
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot delete “%s”: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
    }
  return TRUE;
}
