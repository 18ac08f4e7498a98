/* mp-mailbox-state-merge.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include "mp-mailbox-state-private.h"

/* Two processes (the applet and a `mailpeek --check`, two `--watch`) keep
 * one state file each in memory and save it now and then. A save merges
 * what this process has (memory) with what the file has now (disk),
 * knowing what the file had when this process last read or wrote it
 * (base), so that it can tell "the other process removed this" from "this
 * process found it since":
 *
 * - a key in memory but not on disk is new here if base lacks it, and was
 *   removed by the other process (a delete, or a poll that found it gone)
 *   if base has it; a key on disk but not in memory likewise;
 * - a key tombstoned on either side (forgotten after a confirmed delete)
 *   is dropped, so a process that still holds it cannot bring it back;
 * - a key on both sides that memory did not touch since base is taken
 *   from disk; one both touched is merged field by field: announced only
 *   grows, unseen only clears, cached headers and snippets are kept from
 *   whichever side has them, the first-seen time is the earlier one.
 *
 * Entries are never changed, only replaced, so "memory did not touch it"
 * is simply "memory still has the very entry base had".
 *
 * This runs in a worker thread: it reads the fields entries are made
 * with, never what the main thread fills in on first use.
 */

static gboolean
tombstone_expired (gint64 when,
                   gint64 now)
{
  return now - when > MP_STATE_TOMBSTONE_MAX_AGE;
}

static void
merge_tombstones (GHashTable      *memory,
                  MpStateContents *base,
                  MpStateContents *disk,
                  gint64           now,
                  MpStateContents *result)
{
  GHashTableIter iter;
  gpointer key, value;

  /* One side dropping a tombstone that both had (a poll found the key
   * gone from the server) drops it.
   */
  g_hash_table_iter_init (&iter, memory);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 when = *(const gint64 *) value;
      gint64 on_disk = mp_state_contents_get_tombstone (disk, key);

      if (on_disk == 0 && g_hash_table_contains (base->tombstones, key))
        continue;
      if (on_disk != 0 && on_disk < when)
        when = on_disk;
      if (!tombstone_expired (when, now))
        mp_state_contents_add_tombstone (result, key, when);
    }

  g_hash_table_iter_init (&iter, disk->tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 when = *(const gint64 *) value;

      if (g_hash_table_contains (result->tombstones, key) ||
          g_hash_table_contains (memory, key))
        continue;
      if (g_hash_table_contains (base->tombstones, key))
        continue;
      if (!tombstone_expired (when, now))
        mp_state_contents_add_tombstone (result, key, when);
    }
}

static gboolean
same_tombstones (MpStateContents *a,
                 MpStateContents *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a->tombstones) != g_hash_table_size (b->tombstones))
    return FALSE;
  g_hash_table_iter_init (&iter, a->tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (mp_state_contents_get_tombstone (b, key) != *(const gint64 *) value)
      return FALSE;
  return TRUE;
}

/* Whether the user would see a difference: the flags, whether there are
 * headers and a snippet.
 */
static gboolean
visibly_different (const MpStateEntry *a,
                   const MpStateEntry *b)
{
  return a->announced != b->announced ||
         a->unseen != b->unseen ||
         mp_state_entry_has_headers (a) != mp_state_entry_has_headers (b) ||
         g_strcmp0 (a->snippet, b->snippet) != 0;
}

/* Whether writing @a instead of @b changes the file (headers are compared
 * by presence: a side never changes cached headers but to fill them).
 */
static gboolean
same_entry (const MpStateEntry *a,
            const MpStateEntry *b)
{
  return a == b ||
         (!visibly_different (a, b) &&
          a->size == b->size &&
          a->copies == b->copies &&
          a->first_seen == b->first_seen &&
          g_strcmp0 (a->uid, b->uid) == 0);
}

/* Both sides changed the entry since base. */
static MpStateEntry *
merge_entry (MpStateEntry *mine,
             MpStateEntry *theirs)
{
  gboolean announced;
  gboolean unseen = mine->unseen && theirs->unseen;
  gboolean take_headers = !mp_state_entry_has_headers (mine) && mp_state_entry_has_headers (theirs);
  gboolean take_snippet = mine->snippet == NULL && theirs->snippet != NULL;
  gint64 first_seen = MIN (mine->first_seen, theirs->first_seen);
  MpStateEntry *merged;

  /* More messages behind a repeated key than before count as not
   * announced again (see mp_mailbox_state_merge()); the side that saw
   * more of them knows.
   */
  if (mine->copies > theirs->copies)
    announced = mine->announced;
  else if (theirs->copies > mine->copies)
    announced = theirs->announced;
  else
    announced = mine->announced || theirs->announced;

  if (announced == mine->announced && unseen == mine->unseen && !take_headers &&
      !take_snippet && first_seen == mine->first_seen)
    return mp_state_entry_ref (mine);

  merged = mp_state_entry_copy (mine);
  merged->announced = announced;
  merged->unseen = unseen;
  merged->first_seen = first_seen;
  if (take_headers)
    {
      g_autoptr(MpHeaders) headers = mp_state_entry_build_headers (theirs);

      mp_state_entry_set_headers (merged, headers);
    }
  if (take_snippet)
    mp_state_entry_set_snippet (merged, theirs->snippet);
  return merged;
}

static void
add_entry (MpStateContents *result,
           MpStateEntry    *entry)
{
  g_hash_table_replace (result->entries, (gpointer) entry->key, entry);
}

/**
 * mp_state_merge_three_way:
 *
 * See mp-mailbox-state-private.h and the comment at the top.
 */
MpStateContents *
mp_state_merge_three_way (GPtrArray        *memory,
                          GHashTable       *memory_tombstones,
                          MpStateContents  *base,
                          MpStateContents  *disk,
                          gint64            now,
                          GPtrArray       **out_changed,
                          gboolean         *out_differs)
{
  g_autoptr(MpStateContents) result = mp_state_contents_new ();
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) in_memory = NULL;
  gboolean differs = FALSE;
  GHashTableIter iter;
  gpointer key, value;

  if (disk == NULL)
    {
      /* Nothing to merge with: memory as it is. */
      for (guint i = 0; i < memory->len; i++)
        add_entry (result, mp_state_entry_ref (g_ptr_array_index (memory, i)));
      g_hash_table_iter_init (&iter, memory_tombstones);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!tombstone_expired (*(const gint64 *) value, now))
          mp_state_contents_add_tombstone (result, key, *(const gint64 *) value);
      *out_changed = g_steal_pointer (&changed);
      *out_differs = TRUE;
      return g_steal_pointer (&result);
    }

  merge_tombstones (memory_tombstones, base, disk, now, result);
  differs = !same_tombstones (result, disk);

  in_memory = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < memory->len; i++)
    {
      MpStateEntry *mine = g_ptr_array_index (memory, i);
      MpStateEntry *theirs = g_hash_table_lookup (disk->entries, mine->key);
      MpStateEntry *before = g_hash_table_lookup (base->entries, mine->key);
      MpStateEntry *merged;

      g_hash_table_add (in_memory, (gpointer) mine->key);

      if (g_hash_table_contains (result->tombstones, mine->key))
        {
          g_ptr_array_add (changed, g_strdup (mine->key));
          differs |= theirs != NULL;
          continue;
        }

      if (theirs == NULL)
        {
          if (before != NULL)
            {
              /* The other process removed it. */
              g_ptr_array_add (changed, g_strdup (mine->key));
              continue;
            }
          add_entry (result, mp_state_entry_ref (mine));
          differs = TRUE;
          continue;
        }

      /* Untouched here: disk's, but the very entry memory has when they
       * agree, so that nothing memory handed out is freed for nothing.
       */
      if (mine == before)
        merged = mp_state_entry_ref (same_entry (mine, theirs) ? mine : theirs);
      else
        merged = merge_entry (mine, theirs);

      if (!same_entry (merged, theirs))
        differs = TRUE;
      if (merged != mine && visibly_different (merged, mine))
        g_ptr_array_add (changed, g_strdup (mine->key));
      add_entry (result, merged);
    }

  g_hash_table_iter_init (&iter, disk->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_hash_table_contains (in_memory, key))
        continue;
      /* Forgotten here, or removed here since base. */
      if (g_hash_table_contains (result->tombstones, key) ||
          g_hash_table_contains (base->entries, key))
        {
          differs = TRUE;
          continue;
        }
      add_entry (result, mp_state_entry_ref (value));
      g_ptr_array_add (changed, g_strdup (key));
    }

  *out_changed = g_steal_pointer (&changed);
  *out_differs = differs;
  return g_steal_pointer (&result);
}
