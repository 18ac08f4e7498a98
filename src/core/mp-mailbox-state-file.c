/* mp-mailbox-state-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mp-mailbox-state-private.h"

/* The state of one maildrop, as a GVariant (GLib's binary serialization,
 * the one dconf and GSettings use) of type
 *
 *   (suv)   "mailpeek-state", the format version, the payload
 *
 * whose payload in version 3 has the type
 *
 *   (a(smstbxum(msmsmsmsmsmsmx)bms)a(sx))
 *
 * first the entries, one per message key, sorted by key:
 *
 *   s   key, never empty
 *   ms  uid; nothing for a key made from the header block (no UIDL)
 *   t   size in bytes
 *   b   announced: a notification or a --check report told the user
 *   x   first_seen, Unix seconds
 *   u   copies: how many messages of the last snapshot carried the key,
 *       more than 1 only on a server with duplicate UIDLs
 *   m(msmsmsmsmsmsmx)  the headers, nothing until they were fetched once:
 *       from, from_name, from_address, to, subject, message_id (nothing for
 *       a missing header) and the date as Unix seconds (nothing when the
 *       message has no usable date). Only the instant is kept, so a date
 *       read back is in UTC; every output shows UTC or the local zone.
 *   b   unseen: arrived since the user last looked at the account
 *   ms  the cached body snippet, nothing until it was fetched
 *
 * then the tombstones, sorted by key: (key, when it was forgotten, Unix
 * seconds) of messages whose deletion the server confirmed, so that a
 * merge with a process that still has them does not bring them back.
 *
 * Version 2 had only the entries, without their last two fields, as the
 * payload (a(smstbxum(msmsmsmsmsmsmx))); it is read (every message as
 * seen, no snippet, no tombstone) and written back as version 3.
 *
 * Loading is a single read and no parsing: GVariant reads its fields in
 * place, and an entry keeps pointing into the file's bytes instead of
 * copying its strings; its headers are built when first asked for.
 *
 * The file is always little-endian (byte-swapped on big-endian machines),
 * so that a state directory can be copied between machines.
 *
 * The file is either exactly what this code writes or it is set aside:
 * data not in GVariant's normal form (which is also how GVariant checks
 * that strings are valid UTF-8), a wrong magic, a payload of another type,
 * an empty key, zero copies, a date out of range, or a key listed twice
 * all count as corrupt. The (suv) envelope never changes; a later format
 * bumps the version, and this code sets such a newer file aside instead of
 * misreading it. Version 1 was JSON in KEY.json (never released); such a
 * file is not read: the state is rebuilt, fetching every header once.
 */

#define STATE_MAGIC         "mailpeek-state"
#define STATE_VERSION       3
#define STATE_FILE_TYPE     "(suv)"
#define STATE_V2_TYPE       "a(smstbxum(msmsmsmsmsmsmx))"
#define STATE_ENTRIES_TYPE  "a(smstbxum(msmsmsmsmsmsmx)bms)"
#define STATE_PAYLOAD_TYPE  "(" STATE_ENTRIES_TYPE "a(sx))"
#define STATE_HEADERS_TYPE  "(msmsmsmsmsmsmx)"

/* Indexes into the tuples above. */
enum {
  ENTRY_KEY,
  ENTRY_UID,
  ENTRY_SIZE,
  ENTRY_ANNOUNCED,
  ENTRY_FIRST_SEEN,
  ENTRY_COPIES,
  ENTRY_HEADERS,
  ENTRY_UNSEEN,
  ENTRY_SNIPPET,
};

enum {
  HEADER_FROM,
  HEADER_FROM_NAME,
  HEADER_FROM_ADDRESS,
  HEADER_TO,
  HEADER_SUBJECT,
  HEADER_MESSAGE_ID,
  HEADER_DATE,
};

/* A state file holds a few hundred bytes per message; 256 MiB is far more
 * than any real maildrop produces, and refusing more keeps a damaged or
 * hostile file from taking all memory.
 */
#define MAX_STATE_FILE_SIZE ((goffset) 256 * 1024 * 1024)

/* What g_date_time_new_from_unix_utc() accepts: years 1 to 9999. */
#define MIN_UNIX G_GINT64_CONSTANT (-62135596800)
#define MAX_UNIX G_GINT64_CONSTANT (253402300799)

/* Entries */

static void
entry_clear (MpStateEntry *entry)
{
  if (entry->own_key)
    g_ref_string_release ((char *) entry->key);
  if (entry->own_uid && entry->uid != NULL)
    g_ref_string_release ((char *) entry->uid);
  if (entry->own_snippet && entry->snippet != NULL)
    g_ref_string_release ((char *) entry->snippet);
  g_clear_pointer (&entry->headers, mp_headers_unref);
  g_clear_pointer (&entry->first_seen_time, g_date_time_unref);
  g_clear_pointer (&entry->source, g_variant_unref);
}

/**
 * mp_state_entry_new:
 * @headers: (nullable) (transfer none): shared, not copied
 *
 * A new entry as a poll finds a message: not announced, unseen.
 */
MpStateEntry *
mp_state_entry_new (const char *key,
                    const char *uid,
                    guint64     size,
                    MpHeaders  *headers,
                    gint64      first_seen)
{
  MpStateEntry *entry = g_atomic_rc_box_new0 (MpStateEntry);

  entry->key = g_ref_string_new (key);
  entry->own_key = TRUE;
  entry->uid = uid != NULL ? g_ref_string_new (uid) : NULL;
  entry->own_uid = TRUE;
  entry->own_snippet = TRUE;
  entry->size = size;
  entry->headers = mp_headers_ref (headers);
  entry->first_seen = first_seen;
  entry->copies = 1;
  entry->unseen = TRUE;
  return entry;
}

/* A copy to change, from any thread: strings, headers and the source are
 * shared. What the main thread builds on first use (headers from the
 * source, the first-seen time) is neither read nor copied, since a
 * worker may be making this copy while the main thread fills them in.
 */
MpStateEntry *
mp_state_entry_copy (const MpStateEntry *entry)
{
  MpStateEntry *copy = g_atomic_rc_box_new0 (MpStateEntry);

  copy->source = entry->source != NULL ? g_variant_ref (entry->source) : NULL;
  copy->index = entry->index;
  copy->copies = entry->copies;
  copy->key = entry->own_key ? g_ref_string_acquire ((char *) entry->key) : entry->key;
  copy->own_key = entry->own_key;
  copy->uid = entry->own_uid && entry->uid != NULL ?
              g_ref_string_acquire ((char *) entry->uid) : entry->uid;
  copy->own_uid = entry->own_uid;
  copy->snippet = entry->own_snippet && entry->snippet != NULL ?
                  g_ref_string_acquire ((char *) entry->snippet) : entry->snippet;
  copy->own_snippet = entry->own_snippet;
  copy->size = entry->size;
  copy->first_seen = entry->first_seen;
  copy->file_headers = entry->file_headers;
  if (!entry->file_headers)
    copy->headers = mp_headers_ref (entry->headers);
  copy->announced = entry->announced;
  copy->unseen = entry->unseen;
  return copy;
}

MpStateEntry *
mp_state_entry_ref (MpStateEntry *entry)
{
  return g_atomic_rc_box_acquire (entry);
}

void
mp_state_entry_unref (MpStateEntry *entry)
{
  if (entry != NULL)
    g_atomic_rc_box_release_full (entry, (GDestroyNotify) entry_clear);
}

/* The setters are for an entry just made or copied, not yet shared. */
void
mp_state_entry_set_uid (MpStateEntry *entry,
                        const char   *uid)
{
  if (entry->own_uid && entry->uid != NULL)
    g_ref_string_release ((char *) entry->uid);
  entry->uid = uid != NULL ? g_ref_string_new (uid) : NULL;
  entry->own_uid = TRUE;
}

void
mp_state_entry_set_snippet (MpStateEntry *entry,
                            const char   *snippet)
{
  if (entry->own_snippet && entry->snippet != NULL)
    g_ref_string_release ((char *) entry->snippet);
  entry->snippet = snippet != NULL ? g_ref_string_new (snippet) : NULL;
  entry->own_snippet = TRUE;
}

void
mp_state_entry_set_headers (MpStateEntry *entry,
                            MpHeaders    *headers)
{
  g_clear_pointer (&entry->headers, mp_headers_unref);
  entry->headers = mp_headers_ref (headers);
  entry->file_headers = FALSE;
}

gboolean
mp_state_entry_has_headers (const MpStateEntry *entry)
{
  return entry->file_headers || entry->headers != NULL;
}

/* The m(msmsmsmsmsmsmx) child of the entry's tuple in its source. */
static GVariant *
source_headers (const MpStateEntry *entry)
{
  g_autoptr(GVariant) tuple = g_variant_get_child_value (entry->source, entry->index);

  return g_variant_get_child_value (tuple, ENTRY_HEADERS);
}

static char *
dup_maybe_string (GVariant *tuple,
                  gsize     index)
{
  const char *value = NULL;

  g_variant_get_child (tuple, index, "m&s", &value);
  return g_strdup (value);
}

/* Any thread: new headers from the entry's source; the date was
 * range-checked on load.
 */
MpHeaders *
mp_state_entry_build_headers (const MpStateEntry *entry)
{
  g_autoptr(GVariant) maybe = NULL;
  g_autoptr(GVariant) tuple = NULL;
  g_autoptr(GVariant) date_maybe = NULL;
  g_autoptr(GVariant) date_value = NULL;
  MpHeaders *headers;

  if (!entry->file_headers)
    return mp_headers_ref (entry->headers);

  maybe = source_headers (entry);
  tuple = g_variant_get_maybe (maybe);
  g_assert (tuple != NULL);

  headers = mp_headers_new ();
  headers->from = dup_maybe_string (tuple, HEADER_FROM);
  headers->from_name = dup_maybe_string (tuple, HEADER_FROM_NAME);
  headers->from_address = dup_maybe_string (tuple, HEADER_FROM_ADDRESS);
  headers->to = dup_maybe_string (tuple, HEADER_TO);
  headers->subject = dup_maybe_string (tuple, HEADER_SUBJECT);
  headers->message_id = dup_maybe_string (tuple, HEADER_MESSAGE_ID);
  date_maybe = g_variant_get_child_value (tuple, HEADER_DATE);
  date_value = g_variant_get_maybe (date_maybe);
  if (date_value != NULL)
    headers->date = g_date_time_new_from_unix_utc (g_variant_get_int64 (date_value));
  return headers;
}

/* Main thread only: the headers of an entry read from a file are built
 * the first time they are asked for, and kept.
 */
const MpHeaders *
mp_state_entry_get_headers (MpStateEntry *entry)
{
  if (entry->headers == NULL && entry->file_headers)
    entry->headers = mp_state_entry_build_headers (entry);
  return entry->headers;
}

/* Main thread only, like the headers. */
GDateTime *
mp_state_entry_get_first_seen (MpStateEntry *entry)
{
  if (entry->first_seen_time == NULL)
    entry->first_seen_time = g_date_time_new_from_unix_utc (entry->first_seen);
  return entry->first_seen_time;
}

static GVariant *
headers_to_variant (const MpHeaders *headers)
{
  GVariant *tuple;

  if (headers == NULL)
    return g_variant_new_maybe (G_VARIANT_TYPE (STATE_HEADERS_TYPE), NULL);

  tuple = g_variant_new (STATE_HEADERS_TYPE,
                         headers->from,
                         headers->from_name,
                         headers->from_address,
                         headers->to,
                         headers->subject,
                         headers->message_id,
                         headers->date != NULL,
                         headers->date != NULL ? g_date_time_to_unix (headers->date) : 0);
  return g_variant_new_maybe (NULL, tuple);
}

/* Any thread: the headers as they are written, straight from the source
 * when they came from a file (no MpHeaders is built for that).
 */
GVariant *
mp_state_entry_headers_variant (const MpStateEntry *entry)
{
  if (entry->file_headers)
    return source_headers (entry);
  return g_variant_ref_sink (headers_to_variant (entry->headers));
}

/* Contents */

MpStateContents *
mp_state_contents_new (void)
{
  MpStateContents *contents = g_new0 (MpStateContents, 1);

  g_atomic_ref_count_init (&contents->ref_count);
  contents->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) mp_state_entry_unref);
  contents->tombstones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return contents;
}

MpStateContents *
mp_state_contents_ref (MpStateContents *contents)
{
  g_atomic_ref_count_inc (&contents->ref_count);
  return contents;
}

void
mp_state_contents_unref (MpStateContents *contents)
{
  if (contents == NULL || !g_atomic_ref_count_dec (&contents->ref_count))
    return;
  g_hash_table_unref (contents->entries);
  g_hash_table_unref (contents->tombstones);
  g_free (contents);
}

void
mp_state_contents_add_tombstone (MpStateContents *contents,
                                 const char      *key,
                                 gint64           when)
{
  g_hash_table_replace (contents->tombstones, g_strdup (key), g_memdup2 (&when, sizeof when));
}

/* Returns: when @key was forgotten, or 0 if it has no tombstone */
gint64
mp_state_contents_get_tombstone (MpStateContents *contents,
                                 const char      *key)
{
  const gint64 *when = g_hash_table_lookup (contents->tombstones, key);

  return when != NULL ? *when : 0;
}

/* File identity */

void
mp_state_file_id_query (const char    *path,
                        MpStateFileId *id)
{
  GStatBuf st;

  memset (id, 0, sizeof *id);
  if (path == NULL || g_stat (path, &st) != 0)
    return;
  id->exists = TRUE;
  id->dev = (guint64) st.st_dev;
  id->ino = (guint64) st.st_ino;
  id->size = (gint64) st.st_size;
  id->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

gboolean
mp_state_file_id_equal (const MpStateFileId *a,
                        const MpStateFileId *b)
{
  if (!a->exists || !b->exists)
    return a->exists == b->exists;
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* Reading */

static gboolean
invalid (GError    **error,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, message);
  return FALSE;
}

static gboolean
read_limited (GFile   *file,
              GBytes **out_bytes,
              GError **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *data = NULL;
  gsize len = 0;

  info = g_file_query_info (file,
                            G_FILE_ATTRIBUTE_STANDARD_TYPE ","
                            G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, NULL, error);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                           "not a regular file");
      return FALSE;
    }

  /* Checked before reading so that a huge (or sparse) file is refused
   * without reading it; the size read is checked again below, in case
   * the file grew meanwhile (an atomic replace gives a new file anyway).
   */
  if (g_file_info_get_size (info) > MAX_STATE_FILE_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "larger than %" G_GOFFSET_FORMAT " bytes",
                   MAX_STATE_FILE_SIZE);
      return FALSE;
    }

  if (path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not a local file");
      return FALSE;
    }

  /* One read into one buffer: no stream, no chunk copies. */
  if (!g_file_get_contents (path, &data, &len, NULL))
    {
      /* Again through GIO, for its error codes. */
      g_autoptr(GFileInputStream) stream = g_file_read (file, NULL, error);

      if (stream != NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot be read");
      return FALSE;
    }
  if ((goffset) len > MAX_STATE_FILE_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "larger than %" G_GOFFSET_FORMAT " bytes",
                   MAX_STATE_FILE_SIZE);
      return FALSE;
    }

  *out_bytes = g_bytes_new_take (g_steal_pointer (&data), len);
  return TRUE;
}

/* Typed getters instead of g_variant_get(): no format string to parse
 * for each of 100,000 fields. The strings point into the file's bytes,
 * which the payload keeps.
 */
static const char *
child_string (GVariant *tuple,
              gsize     index)
{
  g_autoptr(GVariant) child = g_variant_get_child_value (tuple, index);

  return g_variant_get_string (child, NULL);
}

static const char *
child_maybe_string (GVariant *tuple,
                    gsize     index)
{
  g_autoptr(GVariant) maybe = g_variant_get_child_value (tuple, index);
  g_autoptr(GVariant) value = g_variant_get_maybe (maybe);

  return value != NULL ? g_variant_get_string (value, NULL) : NULL;
}

static GVariant *
child (GVariant *tuple,
       gsize     index)
{
  return g_variant_get_child_value (tuple, index);
}

static MpStateEntry *
parse_entry (GVariant  *entries,
             GVariant  *tuple,
             guint32    index,
             gboolean   version3,
             GError   **error)
{
  g_autoptr(MpStateEntry) entry = g_atomic_rc_box_new0 (MpStateEntry);
  g_autoptr(GVariant) size = child (tuple, ENTRY_SIZE);
  g_autoptr(GVariant) announced = child (tuple, ENTRY_ANNOUNCED);
  g_autoptr(GVariant) first_seen = child (tuple, ENTRY_FIRST_SEEN);
  g_autoptr(GVariant) copies = child (tuple, ENTRY_COPIES);
  g_autoptr(GVariant) headers = child (tuple, ENTRY_HEADERS);

  entry->source = g_variant_ref (entries);
  entry->index = index;

  entry->key = child_string (tuple, ENTRY_KEY);
  if (*entry->key == '\0')
    {
      invalid (error, "entry %u has an empty key", index);
      return NULL;
    }
  entry->uid = child_maybe_string (tuple, ENTRY_UID);
  entry->size = g_variant_get_uint64 (size);
  entry->announced = g_variant_get_boolean (announced);
  entry->first_seen = g_variant_get_int64 (first_seen);
  if (entry->first_seen < MIN_UNIX || entry->first_seen > MAX_UNIX)
    {
      invalid (error, "the first-seen time of entry %u is out of range", index);
      return NULL;
    }
  entry->copies = g_variant_get_uint32 (copies);
  if (entry->copies == 0)
    {
      invalid (error, "entry %u has zero copies", index);
      return NULL;
    }

  if (g_variant_n_children (headers) > 0)
    {
      g_autoptr(GVariant) fields = child (headers, 0);
      g_autoptr(GVariant) date = child (fields, HEADER_DATE);

      if (g_variant_n_children (date) > 0)
        {
          g_autoptr(GVariant) value = child (date, 0);
          gint64 seconds = g_variant_get_int64 (value);

          if (seconds < MIN_UNIX || seconds > MAX_UNIX)
            {
              invalid (error, "the date of entry %u is out of range", index);
              return NULL;
            }
        }
      entry->file_headers = TRUE;
    }

  if (version3)
    {
      g_autoptr(GVariant) unseen = child (tuple, ENTRY_UNSEEN);

      entry->unseen = g_variant_get_boolean (unseen);
      entry->snippet = child_maybe_string (tuple, ENTRY_SNIPPET);
    }

  return g_steal_pointer (&entry);
}

/**
 * mp_state_file_parse:
 * @out_newer: set when the file is of a newer format
 *
 * Returns: (transfer full) (nullable): what a state file holds, or %NULL
 *   with @error set when it is not a valid state file of version 2 or 3
 */
MpStateContents *
mp_state_file_parse (GBytes    *bytes,
                     gboolean  *out_newer,
                     GError   **error)
{
  g_autoptr(MpStateContents) contents = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) payload = NULL;
  g_autoptr(GVariant) entries = NULL;
  const char *magic;
  guint32 number;
  gboolean version3;
  gsize n_entries;

  *out_newer = FALSE;

  if (g_bytes_get_size (bytes) == 0)
    {
      invalid (error, "empty");
      return NULL;
    }

  /* Untrusted data: GVariant reads any bytes safely, but only data in
   * normal form is exactly what g_variant_get_data() of this code gave;
   * anything else (including invalid UTF-8) is refused here, in one
   * linear pass. After that the data is trusted, which spares GVariant
   * checking every field again as it is read.
   */
  file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (STATE_FILE_TYPE),
                                                       bytes, FALSE));
  if (!g_variant_is_normal_form (file))
    {
      invalid (error, "not a Mailpeek state file");
      return NULL;
    }
  g_clear_pointer (&file, g_variant_unref);
  file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (STATE_FILE_TYPE),
                                                       bytes, TRUE));
  /* Normal form does not depend on the byte order; the numbers do. */
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }

  g_variant_get (file, "(&suv)", &magic, &number, &payload);
  if (strcmp (magic, STATE_MAGIC) != 0)
    {
      invalid (error, "not a Mailpeek state file");
      return NULL;
    }
  if (number > STATE_VERSION)
    {
      *out_newer = TRUE;
      invalid (error, "from a newer version of Mailpeek (format %u, this version reads %d)",
               number, STATE_VERSION);
      return NULL;
    }
  if (number != 2 && number != 3)
    {
      invalid (error, "of unknown format %u", number);
      return NULL;
    }
  version3 = number == 3;

  if (!g_variant_is_of_type (payload, G_VARIANT_TYPE (version3 ? STATE_PAYLOAD_TYPE : STATE_V2_TYPE)))
    {
      invalid (error, "with entries of type %s", g_variant_get_type_string (payload));
      return NULL;
    }

  contents = mp_state_contents_new ();
  entries = version3 ? g_variant_get_child_value (payload, 0) : g_variant_ref (payload);

  n_entries = g_variant_n_children (entries);
  if (n_entries > G_MAXUINT32)
    {
      invalid (error, "with too many entries");
      return NULL;
    }
  for (gsize i = 0; i < n_entries; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (entries, i);
      MpStateEntry *entry = parse_entry (entries, child, (guint32) i, version3, error);

      if (entry == NULL)
        return NULL;

      /* This code never writes a key twice, so a repeated key means the
       * file is not what it wrote.
       */
      if (g_hash_table_contains (contents->entries, entry->key))
        {
          invalid (error, "listing the key “%s” twice", entry->key);
          mp_state_entry_unref (entry);
          return NULL;
        }
      g_hash_table_insert (contents->entries, (gpointer) entry->key, entry);
    }

  if (version3)
    {
      g_autoptr(GVariant) tombstones = g_variant_get_child_value (payload, 1);
      GVariantIter iter;
      const char *key;
      gint64 when;

      g_variant_iter_init (&iter, tombstones);
      /* This code never keeps a key it forgot, nor forgets one twice. */
      while (g_variant_iter_next (&iter, "(&sx)", &key, &when))
        {
          if (*key == '\0' || g_hash_table_contains (contents->tombstones, key) ||
              g_hash_table_contains (contents->entries, key) ||
              when < MIN_UNIX || when > MAX_UNIX)
            {
              invalid (error, "with a bad tombstone for “%s”", key);
              return NULL;
            }
          mp_state_contents_add_tombstone (contents, key, when);
        }
    }

  return g_steal_pointer (&contents);
}

/**
 * mp_state_file_read:
 * @out_contents: (out): what the file holds, with %MP_STATE_READ_OK
 * @out_why: (out): why it was refused, with %MP_STATE_READ_BAD
 *
 * Reads and parses the state file; sets nothing aside.
 */
MpStateReadResult
mp_state_file_read (GFile            *file,
                    MpStateContents **out_contents,
                    char            **out_why)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gboolean newer = FALSE;

  *out_contents = NULL;
  *out_why = NULL;

  if (!read_limited (file, &bytes, &error))
    {
      /* Nothing there to lose; a path through a regular file fails again,
       * clearly, when saving.
       */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
        return MP_STATE_READ_MISSING;

      *out_why = g_strdup_printf ("unreadable (%s)", error->message);
      return MP_STATE_READ_BAD;
    }

  *out_contents = mp_state_file_parse (bytes, &newer, &error);
  if (*out_contents == NULL)
    {
      if (newer)
        *out_why = g_strdup (error->message);
      else
        *out_why = g_strdup_printf ("corrupt (%s)", error->message);
      return MP_STATE_READ_BAD;
    }
  return MP_STATE_READ_OK;
}

/* Writing */

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/**
 * mp_state_file_serialize:
 *
 * Any thread. Sorted, so that the same state always gives the same bytes.
 */
GBytes *
mp_state_file_serialize (MpStateContents *contents)
{
  g_autoptr(GVariant) file = NULL;
  g_autofree gpointer *keys = NULL;
  g_autofree gpointer *dead = NULL;
  GVariantBuilder entries;
  GVariantBuilder tombstones;
  guint n_keys;
  guint n_dead;

  g_variant_builder_init (&entries, G_VARIANT_TYPE (STATE_ENTRIES_TYPE));
  keys = g_hash_table_get_keys_as_array (contents->entries, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_keys);

  for (guint i = 0; i < n_keys; i++)
    {
      const MpStateEntry *entry = g_hash_table_lookup (contents->entries, keys[i]);
      g_autoptr(GVariant) headers = mp_state_entry_headers_variant (entry);

      g_variant_builder_add (&entries, "(smstbxu@m" STATE_HEADERS_TYPE "bms)",
                             entry->key,
                             entry->uid,
                             entry->size,
                             (gboolean) entry->announced,
                             entry->first_seen,
                             entry->copies > 0 ? entry->copies : 1,
                             headers,
                             (gboolean) entry->unseen,
                             entry->snippet);
    }

  g_variant_builder_init (&tombstones, G_VARIANT_TYPE ("a(sx)"));
  dead = g_hash_table_get_keys_as_array (contents->tombstones, &n_dead);
  qsort (dead, n_dead, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n_dead; i++)
    g_variant_builder_add (&tombstones, "(sx)", (const char *) dead[i],
                           mp_state_contents_get_tombstone (contents, dead[i]));

  file = g_variant_ref_sink (g_variant_new ("(suv)", STATE_MAGIC, (guint32) STATE_VERSION,
                                            g_variant_new ("(@" STATE_ENTRIES_TYPE "@a(sx))",
                                                           g_variant_builder_end (&entries),
                                                           g_variant_builder_end (&tombstones))));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }

  return g_variant_get_data_as_bytes (file);
}

/**
 * mp_state_file_write:
 *
 * Writes @data to a temporary file next to @file, flushed to disk, then
 * renamed over it, so that the file is always either the old or the new
 * state. On failure (a full disk, a read-only or missing folder) the old
 * file stays as it was. The folder is created with mode 0700, the file
 * 0600.
 */
gboolean
mp_state_file_write (GFile   *file,
                     GBytes  *data,
                     GError **error)
{
  g_autofree char *path = g_file_get_path (file);

  if (!g_file_set_contents_full (path, g_bytes_get_data (data, NULL),
                                 (gssize) g_bytes_get_size (data),
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, "%s: ", _("Could not save the mail state"));
      return FALSE;
    }
  return TRUE;
}

/* Renames the file to NAME.corrupt-YYYYMMDDTHHMMSS (with -2, -3… if that
 * name is taken; g_file_move() without OVERWRITE never replaces a file).
 * Returns the new path.
 */
char *
mp_state_file_move_aside (GFile   *file,
                          GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *basename = g_file_get_basename (file);
  g_autoptr(GFile) parent = g_file_get_parent (file);

  for (guint attempt = 1; attempt <= 100; attempt++)
    {
      g_autofree char *name = NULL;
      g_autoptr(GFile) dest = NULL;
      g_autoptr(GError) local_error = NULL;

      if (attempt == 1)
        name = g_strdup_printf ("%s.corrupt-%s", basename, stamp);
      else
        name = g_strdup_printf ("%s.corrupt-%s-%u", basename, stamp, attempt);
      dest = g_file_get_child (parent, name);

      if (g_file_move (file, dest, G_FILE_COPY_NOFOLLOW_SYMLINKS,
                       NULL, NULL, NULL, &local_error))
        return g_file_get_path (dest);

      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("too many files set aside already"));
  return NULL;
}

/* Locking */

static char *
lock_path (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  return path != NULL ? g_strconcat (path, ".lock", NULL) : NULL;
}

/**
 * mp_state_file_lock:
 *
 * Takes the advisory lock that makes read-merge-write of @file atomic
 * between processes (and between threads: each call opens its own file
 * description): flock() on KEY.state.lock beside it, waiting for the
 * holder. The lock file is removed on unlock, so a lock taken on a file
 * that was removed meanwhile is retried on the new one.
 *
 * Returns: the descriptor to pass to mp_state_file_unlock(), or -1 when
 *   no lock file can be made there (a read-only or missing folder); the
 *   caller goes on unlocked, since it cannot write there either.
 */
int
mp_state_file_lock (GFile *file)
{
  g_autofree char *path = lock_path (file);

  if (path == NULL)
    return -1;

  for (guint attempt = 0; attempt < 1000; attempt++)
    {
      GStatBuf by_path;
      struct stat by_fd;
      int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

      if (fd < 0)
        {
          g_debug ("Cannot create the lock file %s: %s", path, g_strerror (errno));
          return -1;
        }
      while (flock (fd, LOCK_EX) != 0)
        {
          if (errno != EINTR)
            {
              g_debug ("Cannot lock %s: %s", path, g_strerror (errno));
              close (fd);
              return -1;
            }
        }
      if (fstat (fd, &by_fd) == 0 && g_stat (path, &by_path) == 0 &&
          by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino)
        return fd;

      /* The holder removed it as we waited: lock the new one. */
      close (fd);
    }

  g_warning ("Could not lock %s", path);
  return -1;
}

void
mp_state_file_unlock (GFile *file,
                      int    fd)
{
  g_autofree char *path = NULL;

  if (fd < 0)
    return;
  path = lock_path (file);
  /* Removed while still held, so that nobody locks a file that is gone. */
  g_unlink (path);
  close (fd);
}
