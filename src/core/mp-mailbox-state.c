/* mp-mailbox-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-mailbox-state-private.h"

/* The in-memory model of the state. The file format and its lock are in
 * mp-mailbox-state-file.c, keys and file names in mp-mailbox-state-keys.c,
 * the worker side of loads and saves in mp-mailbox-state-job.c, and the
 * merge with what another process wrote in mp-mailbox-state-merge.c.
 *
 * Loading and saving run as a "job": what the worker needs is copied (a
 * reference per entry) on the calling thread, the worker locks, reads,
 * merges and writes, and the result is applied on the calling thread
 * again. The synchronous functions run the same job in place.
 */

struct _MpMailboxState
{
  GObject          parent_instance;

  GFile           *file;
  char            *recovered_from;

  GHashTable      *entries;        /* key → MpStateEntry */
  GHashTable      *tombstones;     /* key → gint64 * */
  /* What the file had when this object last read or wrote it. */
  MpStateContents *base;
  MpStateFileId    file_id;
  /* Bumped by every change in memory, so that a save finishing can tell
   * whether memory moved on while it ran.
   */
  guint64          generation;

  /* Something changed since the file was read or written. */
  guint            dirty : 1;
  /* A bad file could not be renamed aside; it must not be overwritten. */
  guint            needs_set_aside : 1;
};

G_DEFINE_FINAL_TYPE (MpMailboxState, mp_mailbox_state, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static gint64 (*clock_func) (void);

/**
 * mp_mailbox_state_set_clock: (skip)
 *
 * For tests: where first-seen and tombstone times come from.
 */
void
mp_mailbox_state_set_clock (gint64 (*now) (void))
{
  clock_func = now;
}

gint64
mp_mailbox_state_now (void)
{
  if (clock_func != NULL)
    return clock_func ();
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
mp_mailbox_state_finalize (GObject *object)
{
  MpMailboxState *self = (MpMailboxState *)object;

  g_clear_object (&self->file);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_pointer (&self->tombstones, g_hash_table_unref);
  g_clear_pointer (&self->base, mp_state_contents_unref);
  g_clear_pointer (&self->recovered_from, g_free);

  G_OBJECT_CLASS (mp_mailbox_state_parent_class)->finalize (object);
}

static void
mp_mailbox_state_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MpMailboxState *self = MP_MAILBOX_STATE (object);

  switch (prop_id)
    {
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_mailbox_state_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MpMailboxState *self = MP_MAILBOX_STATE (object);

  switch (prop_id)
    {
    case PROP_FILE:
      self->file = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mp_mailbox_state_class_init (MpMailboxStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mp_mailbox_state_finalize;
  object_class->get_property = mp_mailbox_state_get_property;
  object_class->set_property = mp_mailbox_state_set_property;

  properties [PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL,
                         G_TYPE_FILE,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpMailboxState::changed:
   * @keys: (array zero-terminated=1): the keys whose entry a save or an
   *   asynchronous load brought in from disk: added, removed, or with
   *   other flags, headers or snippet
   */
  signals [CHANGED] =
    g_signal_new ("changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRV);
}

static void
mp_mailbox_state_init (MpMailboxState *self)
{
  self->entries = mp_state_entry_table_new ();
  self->tombstones = mp_state_tombstone_table_new ();
  self->base = mp_state_contents_new ();
}

/* Every change in memory goes through here. */
static void
touch (MpMailboxState *self)
{
  self->dirty = TRUE;
  self->generation++;
}

/* The entry for @key, copied to be changed (entries are shared with
 * saves running in a worker and never changed in place), and put in the
 * table instead of the old one. What the old one built on first use is
 * kept, so headers handed out stay valid.
 */
static MpStateEntry *
writable_entry (MpMailboxState *self,
                MpStateEntry   *entry)
{
  MpStateEntry *copy = mp_state_entry_copy (entry);

  if (entry->file_headers && entry->headers != NULL)
    copy->headers = mp_headers_ref (entry->headers);
  if (entry->first_seen_time != NULL)
    copy->first_seen_time = g_date_time_ref (entry->first_seen_time);
  g_hash_table_replace (self->entries, (gpointer) copy->key, copy);
  touch (self);
  return copy;
}

static MpStateJob *
save_job_new (MpMailboxState *self)
{
  MpStateJob *job = g_new0 (MpStateJob, 1);
  GHashTableIter iter;
  gpointer value;

  job->file = g_object_ref (self->file);
  job->memory = g_ptr_array_new_full (g_hash_table_size (self->entries),
                                      (GDestroyNotify) mp_state_entry_unref);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (job->memory, mp_state_entry_ref (value));
  job->tombstones = mp_state_tombstone_table_copy (self->tombstones);
  job->base = mp_state_contents_ref (self->base);
  job->file_id = self->file_id;
  job->generation = self->generation;
  job->now = mp_mailbox_state_now ();
  job->dirty = self->dirty || !self->file_id.exists;
  job->needs_set_aside = self->needs_set_aside;
  return job;
}

static void
free_in_thread_cb (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_hash_table_unref (task_data);
  g_task_return_boolean (task, TRUE);
}

/* Dropping 10,000 entries costs milliseconds; a big table is freed by a
 * worker instead of the main loop.
 */
static void
unref_table_later (GHashTable *table)
{
  g_autoptr(GTask) task = NULL;

  if (g_hash_table_size (table) < 1000)
    {
      g_hash_table_unref (table);
      return;
    }
  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (task, unref_table_later);
  g_task_set_task_data (task, table, NULL);
  g_task_run_in_thread (task, free_in_thread_cb);
}

static void
emit_changed (MpMailboxState *self,
              GPtrArray      *changed)
{
  if (changed == NULL || changed->len == 0)
    return;
  g_ptr_array_add (changed, NULL);
  g_signal_emit (self, signals [CHANGED], 0, (const char * const *) changed->pdata);
  g_ptr_array_remove_index (changed, changed->len - 1);
}

/* On the calling thread again: what the job found becomes memory. */
static gboolean
save_job_apply (MpMailboxState  *self,
                MpStateJob             *job,
                GError         **error)
{
  if (job->recovered_from != NULL)
    {
      g_free (self->recovered_from);
      self->recovered_from = g_steal_pointer (&job->recovered_from);
    }
  self->needs_set_aside = job->needs_set_aside;

  if (job->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&job->error));
      return FALSE;
    }

  self->file_id = job->new_id;
  if (job->result == NULL)
    {
      if (self->generation == job->generation)
        self->dirty = FALSE;
      return TRUE;
    }

  g_clear_pointer (&self->base, mp_state_contents_unref);
  self->base = mp_state_contents_ref (job->result);

  if (self->generation == job->generation)
    {
      unref_table_later (self->entries);
      self->entries = g_steal_pointer (&job->result_entries);
      g_clear_pointer (&self->tombstones, g_hash_table_unref);
      self->tombstones = g_steal_pointer (&job->result_tombstones);
      self->dirty = FALSE;
      emit_changed (self, job->changed);
    }
  else
    {
      /* Memory moved on while the job ran: merge the result in as if it
       * were disk, with the job's snapshot as base. Memory stays dirty.
       */
      g_autoptr(MpStateContents) snapshot = mp_state_contents_new ();
      g_autoptr(MpStateContents) merged = NULL;
      g_autoptr(GPtrArray) memory = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_state_entry_unref);
      g_autoptr(GPtrArray) changed = NULL;
      GHashTableIter iter;
      gpointer value;
      gboolean differs;

      for (guint i = 0; i < job->memory->len; i++)
        {
          MpStateEntry *entry = g_ptr_array_index (job->memory, i);

          g_hash_table_insert (snapshot->entries, (gpointer) entry->key, mp_state_entry_ref (entry));
        }
      g_hash_table_unref (snapshot->tombstones);
      snapshot->tombstones = g_hash_table_ref (job->tombstones);

      g_hash_table_iter_init (&iter, self->entries);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (memory, mp_state_entry_ref (value));

      merged = mp_state_merge_three_way (memory, self->tombstones, snapshot, job->result,
                                         mp_mailbox_state_now (), &changed, &differs);
      unref_table_later (self->entries);
      self->entries = mp_state_entry_table_copy (merged->entries);
      g_clear_pointer (&self->tombstones, g_hash_table_unref);
      self->tombstones = mp_state_tombstone_table_copy (merged->tombstones);
      self->dirty = TRUE;
      emit_changed (self, changed);
    }
  return TRUE;
}

static MpMailboxState *
load_job_finish (MpStateJob *job)
{
  MpMailboxState *self = g_object_new (MP_TYPE_MAILBOX_STATE, "file", job->file, NULL);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  self->entries = g_steal_pointer (&job->result_entries);
  g_clear_pointer (&self->tombstones, g_hash_table_unref);
  self->tombstones = g_steal_pointer (&job->result_tombstones);
  g_clear_pointer (&self->base, mp_state_contents_unref);
  self->base = g_steal_pointer (&job->result);
  self->file_id = job->new_id;
  self->recovered_from = g_steal_pointer (&job->recovered_from);
  self->needs_set_aside = job->set_aside_failed;
  self->dirty = job->dirty;
  return self;
}

static MpStateJob *
load_job_new (GFile      *file,
              const char *state_key)
{
  MpStateJob *job = g_new0 (MpStateJob, 1);

  job->file = g_object_ref (file);
  job->state_key = g_strdup (state_key);
  return job;
}

/* Loading */

/**
 * mp_mailbox_state_load_from_file:
 * @file: the state file; it need not exist
 *
 * Reads the state from @file. A missing file gives an empty state. A file
 * that cannot be read or is not a valid state of this version (corrupt,
 * truncated, too large, a directory, written by a newer Mailpeek) is
 * renamed aside with a warning and the state starts empty; see
 * mp_mailbox_state_get_recovered_from(). Blocks: the main loop uses
 * mp_mailbox_state_load_async().
 *
 * Returns: (transfer full): the state, never %NULL
 */
MpMailboxState *
mp_mailbox_state_load_from_file (GFile *file)
{
  g_autoptr(MpStateJob) job = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  job = load_job_new (file, NULL);
  mp_state_job_load (job);
  return load_job_finish (job);
}

/**
 * mp_mailbox_state_load:
 * @state_key: identifies the maildrop: an escaped key
 *   (mp_account_dup_state_key(), mp_mailbox_state_escape_key()); any
 *   other string is escaped first
 *
 * Loads g_get_user_state_dir()/mailpeek/KEY.state like
 * mp_mailbox_state_load_from_file(); a state kept under the name an older
 * version gave it is renamed first.
 *
 * Returns: (transfer full): the state, never %NULL
 */
MpMailboxState *
mp_mailbox_state_load (const char *state_key)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(MpStateJob) job = NULL;

  g_return_val_if_fail (state_key != NULL && *state_key != '\0', NULL);

  file = mp_mailbox_state_file_for_key (state_key);
  job = load_job_new (file, state_key);
  mp_state_job_load (job);
  return load_job_finish (job);
}

static void
load_thread_cb (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  if (g_task_return_error_if_cancelled (task))
    return;
  mp_state_job_load (task_data);
  g_task_return_boolean (task, TRUE);
}

/**
 * mp_mailbox_state_load_async:
 * @state_key: as for mp_mailbox_state_load()
 *
 * Loads the state like mp_mailbox_state_load(), in a worker thread.
 */
void
mp_mailbox_state_load_async (const char          *state_key,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GFile) file = NULL;

  g_return_if_fail (state_key != NULL && *state_key != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  file = mp_mailbox_state_file_for_key (state_key);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_mailbox_state_load_async);
  g_task_set_task_data (task, load_job_new (file, state_key), (GDestroyNotify) mp_state_job_free);
  g_task_run_in_thread (task, load_thread_cb);
}

/**
 * mp_mailbox_state_load_finish:
 *
 * Returns: (transfer full): the state, or %NULL only when cancelled
 */
MpMailboxState *
mp_mailbox_state_load_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mp_mailbox_state_load_async, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return load_job_finish (g_task_get_task_data (G_TASK (result)));
}

/* Saving */

/**
 * mp_mailbox_state_save:
 * @self: a state
 * @error: return location for an error
 *
 * Saves like mp_mailbox_state_save_async() (merging with what another
 * process wrote meanwhile, under the same lock), blocking. For the
 * command line; the main loop of a long-running process uses the
 * asynchronous call.
 *
 * Returns: %TRUE if the state is on disk
 */
gboolean
mp_mailbox_state_save (MpMailboxState  *self,
                       GError         **error)
{
  g_autoptr(MpStateJob) job = NULL;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  job = save_job_new (self);
  mp_state_job_save (job);
  return save_job_apply (self, job, error);
}

static void
save_thread_cb (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  mp_state_job_save (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
save_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  MpMailboxState *self = MP_MAILBOX_STATE (object);
  g_autoptr(GTask) task = user_data;
  MpStateJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!save_job_apply (self, job, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * mp_mailbox_state_save_async:
 *
 * See mp-mailbox-state.h. The copy of memory the worker merges is taken
 * here; changes made while it runs are kept (and leave the state
 * dirty for the next save). A cancelled save that already started
 * writing finishes; one cancelled before it starts writes nothing.
 */
void
mp_mailbox_state_save_async (MpMailboxState      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) inner = NULL;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_mailbox_state_save_async);
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_error_if_cancelled (task);
      return;
    }

  inner = g_task_new (self, NULL, save_done_cb, g_steal_pointer (&task));
  g_task_set_task_data (inner, save_job_new (self), (GDestroyNotify) mp_state_job_free);
  g_task_run_in_thread (inner, save_thread_cb);
}

gboolean
mp_mailbox_state_save_finish (MpMailboxState  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * mp_mailbox_state_get_file:
 *
 * Returns: (transfer none): the state file
 */
GFile *
mp_mailbox_state_get_file (MpMailboxState *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);

  return self->file;
}

/**
 * mp_mailbox_state_get_recovered_from:
 *
 * Returns: (nullable): where a corrupt or unreadable state file was moved
 *   when it was loaded, so the user can be told; %NULL if it loaded fine
 */
const char *
mp_mailbox_state_get_recovered_from (MpMailboxState *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);

  return self->recovered_from;
}

/* Queries and changes */

/**
 * mp_mailbox_state_dup_known_uids:
 *
 * The UIDs whose headers are cached, for mp_check_mailbox_async(): it sends
 * no TOP for them. A UID the server gave to several messages is left out,
 * so each of those messages has its headers fetched.
 *
 * The keys are the entries' own strings, kept alive by a reference to
 * their entry (the table's values, private): a poll of a large mailbox
 * copies no string.
 *
 * Returns: (transfer full) (element-type utf8 gpointer): a set of UIDs
 *   (look them up with g_hash_table_contains())
 */
GHashTable *
mp_mailbox_state_dup_known_uids (MpMailboxState *self)
{
  GHashTable *uids;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);

  uids = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                (GDestroyNotify) mp_state_entry_unref);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      MpStateEntry *entry = value;

      if (entry->uid != NULL && mp_state_entry_has_headers (entry) && entry->copies <= 1)
        g_hash_table_replace (uids, (gpointer) entry->uid, mp_state_entry_ref (entry));
    }

  return uids;
}

/* Tombstones a poll proved useless: the server no longer lists the key
 * (and none of its messages is keyless, which might be it), and the
 * tombstone is past its grace time; or it is too old anyway.
 */
static void
expire_tombstones (MpMailboxState *self,
                   GHashTable     *listed,
                   gboolean        keyless,
                   gint64          now)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 age = now - *(const gint64 *) value;

      if (age > MP_STATE_TOMBSTONE_MAX_AGE ||
          (listed != NULL && !keyless && !g_hash_table_contains (listed, key) &&
           age >= MP_STATE_TOMBSTONE_GRACE))
        {
          g_hash_table_iter_remove (&iter);
          touch (self);
        }
    }
}

/**
 * mp_mailbox_state_merge:
 * @self: a state
 * @snapshot: what a check found on the server
 *
 * Brings the state up to date with @snapshot, and the snapshot up to date
 * with the state:
 *
 * - a message already known gets its cached headers copied into its
 *   #MpMessageInfo when the check did not fetch them, and its size updated;
 * - a new message gets an entry with a copy of its headers, not announced
 *   and unseen;
 * - an entry whose key is not in the snapshot is dropped: the message is
 *   gone from the server;
 * - a message forgotten as deleted (mp_mailbox_state_forget_deleted())
 *   gets no entry even if the snapshot still lists it (a poll that began
 *   before the delete); its tombstone goes once a poll no longer lists it
 *   (and it is some minutes old, for other processes to see it).
 *
 * Messages without a key (neither UIDL nor headers) are skipped, and while
 * the snapshot has any, no entry is dropped: one of them may be the message
 * behind an entry, and dropping it would announce it again later.
 *
 * A key shared by several messages (a server that repeats a UIDL) keeps one
 * entry; since the state cannot tell those messages apart, none of them
 * gets headers from the cache (the check fetches theirs, see
 * mp_mailbox_state_dup_known_uids()), and when more of them appear than
 * before, the entry counts as not announced (and unseen) again, so a new
 * message is never hidden behind an old one's UIDL.
 *
 * Returns: the number of entries not announced yet
 */
guint
mp_mailbox_state_merge (MpMailboxState    *self,
                        MpMailboxSnapshot *snapshot)
{
  g_autoptr(GHashTable) copies = NULL;
  g_autoptr(GHashTable) handled = NULL;
  gboolean keyless = FALSE;
  GHashTableIter iter;
  gpointer key, value;
  guint unannounced = 0;
  gint64 now;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), 0);
  g_return_val_if_fail (snapshot != NULL, 0);

  now = mp_mailbox_state_now ();
  copies = g_hash_table_new (g_str_hash, g_str_equal);
  handled = g_hash_table_new (g_str_hash, g_str_equal);

  /* Tombstones past their maximum age keep nothing out any more. */
  expire_tombstones (self, NULL, FALSE, now);

  /* Count first, so that already the first of several messages with one
   * key is known to be ambiguous.
   */
  for (guint i = 0; snapshot->messages != NULL && i < snapshot->messages->len; i++)
    {
      MpMessageInfo *info = g_ptr_array_index (snapshot->messages, i);
      guint n;

      if (info->key == NULL)
        {
          keyless = TRUE;
          continue;
        }
      n = GPOINTER_TO_UINT (g_hash_table_lookup (copies, info->key)) + 1;
      g_hash_table_insert (copies, info->key, GUINT_TO_POINTER (n));
    }

  for (guint i = 0; snapshot->messages != NULL && i < snapshot->messages->len; i++)
    {
      MpMessageInfo *info = g_ptr_array_index (snapshot->messages, i);
      gboolean ambiguous;
      MpStateEntry *entry;
      gboolean take_headers;
      guint n;

      if (info->key == NULL)
        continue;

      /* Later messages with a repeated key leave the entry alone. */
      if (!g_hash_table_add (handled, info->key))
        continue;

      /* Deleted by us or another process; the poll began before. */
      if (g_hash_table_contains (self->tombstones, info->key))
        continue;

      n = GPOINTER_TO_UINT (g_hash_table_lookup (copies, info->key));
      entry = g_hash_table_lookup (self->entries, info->key);

      if (entry == NULL)
        {
          if (n > 1)
            g_debug ("%u messages share the key “%s”; they are kept as one "
                     "entry and their headers are fetched every time",
                     n, info->key);

          entry = mp_state_entry_new (info->key, info->uid, info->size, info->headers, now);
          entry->copies = n;
          g_hash_table_replace (self->entries, (gpointer) entry->key, entry);
          touch (self);
          continue;
        }

      /* When the number of messages behind a key changes, the cached
       * headers may belong to a message that is gone: take the fetched
       * ones if there are any.
       */
      ambiguous = entry->copies != n;
      take_headers = info->headers != NULL && (!mp_state_entry_has_headers (entry) || ambiguous);

      if (ambiguous || take_headers || entry->size != info->size ||
          g_strcmp0 (entry->uid, info->uid) != 0)
        {
          entry = writable_entry (self, entry);
          if (ambiguous)
            {
              g_debug ("%u messages share the key “%s” (%u before)",
                       n, info->key, entry->copies);
              if (n > entry->copies)
                {
                  entry->announced = FALSE;
                  entry->unseen = TRUE;
                }
              entry->copies = n;
            }
          if (take_headers)
            mp_state_entry_set_headers (entry, info->headers);
          entry->size = info->size;
          if (g_strcmp0 (entry->uid, info->uid) != 0)
            mp_state_entry_set_uid (entry, info->uid);
        }

      if (info->headers == NULL && n == 1 && !ambiguous)
        info->headers = mp_headers_ref ((MpHeaders *) mp_state_entry_get_headers (entry));
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      MpStateEntry *entry = value;

      if (!keyless && !g_hash_table_contains (copies, key))
        {
          g_hash_table_iter_remove (&iter);
          touch (self);
          continue;
        }

      if (!entry->announced)
        unannounced++;
    }

  expire_tombstones (self, copies, keyless, now);

  return unannounced;
}

/**
 * mp_mailbox_state_contains:
 *
 * Returns: whether the state has an entry for @key
 */
gboolean
mp_mailbox_state_contains (MpMailboxState *self,
                           const char     *key)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return g_hash_table_contains (self->entries, key);
}

/**
 * mp_mailbox_state_is_announced:
 *
 * Returns: whether the user was told about the message with @key; %FALSE
 *   for a key the state does not have
 */
gboolean
mp_mailbox_state_is_announced (MpMailboxState *self,
                               const char     *key)
{
  const MpStateEntry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL && entry->announced;
}

/**
 * mp_mailbox_state_mark_announced:
 *
 * Records that the user was told about the message with @key. Does
 * nothing for a key the state does not have.
 */
void
mp_mailbox_state_mark_announced (MpMailboxState *self,
                                 const char     *key)
{
  MpStateEntry *entry;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (key != NULL);

  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL && !entry->announced)
    writable_entry (self, entry)->announced = TRUE;
}

/**
 * mp_mailbox_state_mark_all_announced:
 *
 * Records that the user was told about every message in the state.
 */
void
mp_mailbox_state_mark_all_announced (MpMailboxState *self)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));

  /* Not while iterating: replacing an entry changes the table. */
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((MpStateEntry *) value)->announced)
      g_ptr_array_add (keys, value);

  for (guint i = 0; i < keys->len; i++)
    writable_entry (self, g_ptr_array_index (keys, i))->announced = TRUE;
}

/**
 * mp_mailbox_state_is_unseen:
 *
 * Returns: whether the message with @key arrived since the user last
 *   looked (mp_mailbox_state_mark_seen()); %FALSE for a key the state
 *   does not have. Messages of a format-2 file count as seen.
 */
gboolean
mp_mailbox_state_is_unseen (MpMailboxState *self,
                            const char     *key)
{
  const MpStateEntry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL && entry->unseen;
}

/**
 * mp_mailbox_state_mark_seen:
 *
 * Records that the user looked at the message with @key. Does nothing
 * for a key the state does not have.
 */
void
mp_mailbox_state_mark_seen (MpMailboxState *self,
                            const char     *key)
{
  MpStateEntry *entry;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (key != NULL);

  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL && entry->unseen)
    writable_entry (self, entry)->unseen = FALSE;
}

/**
 * mp_mailbox_state_get_snippet:
 *
 * Returns: (nullable): the cached body snippet of the message with @key,
 *   or %NULL if none was fetched (or for a key the state does not have)
 */
const char *
mp_mailbox_state_get_snippet (MpMailboxState *self,
                              const char     *key)
{
  const MpStateEntry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL ? entry->snippet : NULL;
}

/**
 * mp_mailbox_state_set_snippet:
 * @snippet: (nullable): valid UTF-8, or %NULL to drop the cached one
 *
 * Caches the body snippet of the message with @key. Does nothing for a
 * key the state does not have.
 */
void
mp_mailbox_state_set_snippet (MpMailboxState *self,
                              const char     *key,
                              const char     *snippet)
{
  MpStateEntry *entry;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (key != NULL);
  g_return_if_fail (snippet == NULL || g_utf8_validate (snippet, -1, NULL));

  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL && g_strcmp0 (entry->snippet, snippet) != 0)
    mp_state_entry_set_snippet (writable_entry (self, entry), snippet);
}

/**
 * mp_mailbox_state_forget_deleted:
 *
 * Drops the entry for @key, for a message whose deletion the server
 * confirmed (QUIT answered +OK), and keeps a tombstone of the key so
 * that a merge with another process that still has it, or a poll that
 * began before the delete, does not bring it back.
 */
void
mp_mailbox_state_forget_deleted (MpMailboxState *self,
                                 const char     *key)
{
  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (key != NULL && *key != '\0');

  g_hash_table_remove (self->entries, key);
  if (!g_hash_table_contains (self->tombstones, key))
    {
      gint64 now = mp_mailbox_state_now ();

      g_hash_table_insert (self->tombstones, g_strdup (key), g_memdup2 (&now, sizeof now));
    }
  touch (self);
}

/**
 * mp_mailbox_state_remove:
 *
 * Drops the entry for @key, for a message the server confirmed deleted:
 * mp_mailbox_state_forget_deleted(), which also keeps its tombstone.
 *
 * Returns: whether there was such an entry
 */
gboolean
mp_mailbox_state_remove (MpMailboxState *self,
                         const char     *key)
{
  gboolean had;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  had = g_hash_table_contains (self->entries, key);
  if (had)
    mp_mailbox_state_forget_deleted (self, key);
  return had;
}

/**
 * mp_mailbox_state_get_n_messages:
 *
 * Returns: the number of entries
 */
guint
mp_mailbox_state_get_n_messages (MpMailboxState *self)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), 0);

  return g_hash_table_size (self->entries);
}

/**
 * mp_mailbox_state_get_headers:
 *
 * Returns: (transfer none) (nullable): the cached headers of the message
 *   with @key, or %NULL if the state has none; valid until a merge or a
 *   save replaces the entry (take a reference to keep them)
 */
const MpHeaders *
mp_mailbox_state_get_headers (MpMailboxState *self,
                              const char     *key)
{
  MpStateEntry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL ? mp_state_entry_get_headers (entry) : NULL;
}

/**
 * mp_mailbox_state_get_first_seen:
 *
 * Returns: (transfer none) (nullable): when the message with @key was
 *   first listed (UTC), or %NULL for a key the state does not have
 */
GDateTime *
mp_mailbox_state_get_first_seen (MpMailboxState *self,
                                 const char     *key)
{
  MpStateEntry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL ? mp_state_entry_get_first_seen (entry) : NULL;
}
