/* mp-mailbox-state-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Between the in-memory model (mp-mailbox-state.c), the file format and
 * its locking (mp-mailbox-state-file.c), keys and file names
 * (mp-mailbox-state-keys.c), the worker side of loads and saves
 * (mp-mailbox-state-job.c) and the merge of two versions of one state
 * (mp-mailbox-state-merge.c). Not for use outside src/core but
 * by the tests of the state.
 */

#pragma once

#include <gio/gio.h>

#include "mp-headers.h"
#include "mp-mailbox-state.h"

G_BEGIN_DECLS

/* A tombstone is dropped by the first poll that no longer lists its key,
 * but not before it is this old: another process may still hold the key
 * from a poll that began before the delete and save it a moment later.
 * Past the maximum age it goes even if a server keeps listing the key.
 */
#define MP_STATE_TOMBSTONE_GRACE   (10 * 60)
#define MP_STATE_TOMBSTONE_MAX_AGE (7 * 24 * 60 * 60)

/* One message of the state. Reference counted and never changed once
 * made (a change makes a new entry), so that a save in a worker thread
 * can read a snapshot of thousands of entries that costs one reference
 * each. An entry read from a file keeps that file's payload and points
 * into it instead of copying its strings; its headers and first-seen
 * time are built on first use, on the main thread only (the worker reads
 * the payload instead), which is what keeps loading 10,000 entries at
 * one allocation each.
 */
typedef struct
{
  /* The payload array this entry was read from, or NULL. */
  GVariant   *source;
  guint32     index;
  /* How many messages of the last snapshot carried this key. */
  guint32     copies;
  const char *key;
  const char *uid;          /* nullable */
  const char *snippet;      /* nullable */
  guint64     size;
  gint64      first_seen;   /* Unix seconds */
  /* Set when the entry is made, or built from @source on first use. */
  MpHeaders  *headers;
  GDateTime  *first_seen_time;
  guint       announced : 1;
  guint       unseen : 1;
  /* @source holds headers for this entry (maybe not built yet). */
  guint       file_headers : 1;
  /* Which strings are GRefStrings of the entry's own. */
  guint       own_key : 1;
  guint       own_uid : 1;
  guint       own_snippet : 1;
} MpStateEntry;

MpStateEntry    *mp_state_entry_new              (const char         *key,
                                                  const char         *uid,
                                                  guint64             size,
                                                  MpHeaders          *headers,
                                                  gint64              first_seen);
MpStateEntry    *mp_state_entry_copy             (const MpStateEntry *entry);
MpStateEntry    *mp_state_entry_ref              (MpStateEntry       *entry);
void             mp_state_entry_unref            (MpStateEntry       *entry);
void             mp_state_entry_set_uid          (MpStateEntry       *entry,
                                                  const char         *uid);
void             mp_state_entry_set_snippet      (MpStateEntry       *entry,
                                                  const char         *snippet);
void             mp_state_entry_set_headers      (MpStateEntry       *entry,
                                                  MpHeaders          *headers);
gboolean         mp_state_entry_has_headers      (const MpStateEntry *entry);
MpHeaders       *mp_state_entry_build_headers    (const MpStateEntry *entry);
const MpHeaders *mp_state_entry_get_headers      (MpStateEntry       *entry);
GDateTime       *mp_state_entry_get_first_seen   (MpStateEntry       *entry);
GVariant        *mp_state_entry_headers_variant  (const MpStateEntry *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpStateEntry, mp_state_entry_unref)

/* What one version of the state holds: what a file had, or what a merge
 * made. Never changed once made either; shared by reference.
 */
typedef struct
{
  gatomicrefcount ref_count;
  GHashTable     *entries;      /* key → MpStateEntry */
  GHashTable     *tombstones;   /* key → gint64 * (when it was forgotten) */
} MpStateContents;

MpStateContents *mp_state_contents_new           (void);
MpStateContents *mp_state_contents_ref           (MpStateContents    *contents);
void             mp_state_contents_unref         (MpStateContents    *contents);
void             mp_state_contents_add_tombstone (MpStateContents    *contents,
                                                  const char         *key,
                                                  gint64              when);
gint64           mp_state_contents_get_tombstone (MpStateContents    *contents,
                                                  const char         *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpStateContents, mp_state_contents_unref)

/* How a file was when it was last read or written: rename-based writes
 * give every version a new inode, so with size and mtime this tells
 * whether anybody wrote since.
 */
typedef struct
{
  gboolean exists;
  guint64  dev;
  guint64  ino;
  gint64   size;
  gint64   mtime_ns;
} MpStateFileId;

void             mp_state_file_id_query          (const char         *path,
                                                  MpStateFileId      *id);
gboolean         mp_state_file_id_equal          (const MpStateFileId *a,
                                                  const MpStateFileId *b);

/* The file format (mp-mailbox-state-file.c). */
typedef enum
{
  MP_STATE_READ_OK,
  MP_STATE_READ_MISSING,   /* nothing there (or a path through a file) */
  MP_STATE_READ_BAD,       /* unreadable, corrupt or of a newer format */
} MpStateReadResult;

MpStateReadResult mp_state_file_read             (GFile              *file,
                                                  MpStateContents   **out_contents,
                                                  char              **out_why);
MpStateContents *mp_state_file_parse             (GBytes             *bytes,
                                                  gboolean           *out_newer,
                                                  GError            **error);
GBytes          *mp_state_file_serialize         (MpStateContents    *contents);
gboolean         mp_state_file_write             (GFile              *file,
                                                  GBytes             *data,
                                                  GError            **error);
char            *mp_state_file_move_aside        (GFile              *file,
                                                  GError            **error);
int              mp_state_file_lock              (GFile              *file);
void             mp_state_file_unlock            (GFile              *file,
                                                  int                 fd);
void             mp_state_file_rename_legacy     (GFile              *file,
                                                  const char         *state_key);
char            *mp_state_key_to_file_name       (const char         *state_key);

/* The three-way merge (mp-mailbox-state-merge.c). @base is what the
 * file held when memory last read or wrote it, @disk what it holds now
 * (NULL when it is missing or was set aside: memory then wins as it is).
 * Returns the merged contents; @out_changed gets the keys whose entry
 * came out different from memory's (disk brought something in), and
 * @out_differs whether the result differs from @disk (must be written).
 */
MpStateContents *mp_state_merge_three_way        (GPtrArray          *memory,
                                                  GHashTable         *memory_tombstones,
                                                  MpStateContents    *base,
                                                  MpStateContents    *disk,
                                                  gint64              now,
                                                  GPtrArray         **out_changed,
                                                  gboolean           *out_differs);

/* A load or a save between the calling thread and the worker
 * (mp-mailbox-state-job.c).
 */
typedef struct
{
  GFile           *file;
  char            *state_key;     /* load: for files under older names */
  GPtrArray       *memory;        /* save: MpStateEntry */
  GHashTable      *tombstones;    /* save: a copy */
  MpStateContents *base;
  MpStateFileId    file_id;
  guint64          generation;
  gint64           now;
  gboolean         dirty;
  gboolean         needs_set_aside;

  /* Results */
  MpStateContents *result;        /* NULL: nothing to apply */
  GHashTable      *result_entries;    /* a table of @result to own */
  GHashTable      *result_tombstones;
  GPtrArray       *changed;
  MpStateFileId    new_id;
  char            *recovered_from;
  gboolean         set_aside_failed;
  gboolean         wrote;
  GError          *error;
} MpStateJob;

void             mp_state_job_free               (MpStateJob         *job);
void             mp_state_job_load               (MpStateJob         *job);
void             mp_state_job_save               (MpStateJob         *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpStateJob, mp_state_job_free)

GHashTable      *mp_state_entry_table_new        (void);
GHashTable      *mp_state_tombstone_table_new    (void);
GHashTable      *mp_state_entry_table_copy       (GHashTable         *entries);
GHashTable      *mp_state_tombstone_table_copy   (GHashTable         *tombstones);

/* For tests: the clock tombstones and first-seen times are read from
 * (Unix seconds); NULL for the real one.
 */
void             mp_mailbox_state_set_clock      (gint64            (*now) (void));
gint64           mp_mailbox_state_now            (void);

G_END_DECLS
