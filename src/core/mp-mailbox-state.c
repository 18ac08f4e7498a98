/* mp-mailbox-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-mailbox-state.h"

/* The state of one maildrop, as a GVariant (GLib's binary serialization,
 * the one dconf and GSettings use) of type
 *
 *   (suv)   "mailpeek-state", the format version, the payload
 *
 * whose payload in version 2 has the type
 *
 *   a(smstbxum(msmsmsmsmsmsmx))
 *
 * one element per message key, sorted by key:
 *
 *   s   key, never empty
 *   ms  uid; nothing for a key made from the header block (no UIDL)
 *   t   size in bytes
 *   b   announced
 *   x   first_seen, Unix seconds
 *   u   copies: how many messages of the last snapshot carried the key,
 *       more than 1 only on a server with duplicate UIDLs
 *   m(msmsmsmsmsmsmx)  the headers, nothing until they were fetched once:
 *       from, from_name, from_address, to, subject, message_id (nothing for
 *       a missing header) and the date as Unix seconds (nothing when the
 *       message has no usable date). Only the instant is kept, so a date
 *       read back is in UTC; every output shows UTC or the local zone.
 *
 * Loading is a single read and no parsing: GVariant reads its fields in
 * place, which is what keeps the steady-state check fast with thousands
 * of messages (JSON took over 100 ms for 10,000).
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

#define STATE_MAGIC   "mailpeek-state"
#define STATE_VERSION 2
#define STATE_FILE_TYPE    "(suv)"
#define STATE_PAYLOAD_TYPE "a(smstbxum(msmsmsmsmsmsmx))"
#define STATE_HEADERS_TYPE "(msmsmsmsmsmsmx)"
#define STATE_SUFFIX  ".state"

/* Indexes into the tuples above. */
enum {
  ENTRY_KEY,
  ENTRY_UID,
  ENTRY_SIZE,
  ENTRY_ANNOUNCED,
  ENTRY_FIRST_SEEN,
  ENTRY_COPIES,
  ENTRY_HEADERS,
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

/* File names stay well below NAME_MAX (255) even with the
 * ".state.corrupt-YYYYMMDDTHHMMSS-N" suffix.
 */
#define MAX_ESCAPED_KEY 160

typedef struct
{
  char      *key;
  char      *uid;
  guint64    size;
  MpHeaders *headers;
  GDateTime *first_seen;
  /* How many messages of the last snapshot carried this key; more than one
   * only on a server with duplicate UIDLs.
   */
  guint      copies;
  gboolean   announced;
} Entry;

struct _MpMailboxState
{
  GObject     parent_instance;

  GFile      *file;
  GHashTable *entries;        /* key → Entry */
  char       *recovered_from;

  /* Something changed since the file was read or written. */
  guint       dirty : 1;
  /* The file exists as this object last read or wrote it. */
  guint       on_disk : 1;
  /* A bad file could not be renamed aside; it must not be overwritten. */
  guint       needs_set_aside : 1;
};

G_DEFINE_FINAL_TYPE (MpMailboxState, mp_mailbox_state, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_FILE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  g_free (entry->uid);
  g_clear_pointer (&entry->headers, mp_headers_free);
  g_clear_pointer (&entry->first_seen, g_date_time_unref);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Entry, entry_free)

static GDateTime *
now_utc_seconds (void)
{
  return g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC);
}

static void
mp_mailbox_state_finalize (GObject *object)
{
  MpMailboxState *self = (MpMailboxState *)object;

  g_clear_object (&self->file);
  g_clear_pointer (&self->entries, g_hash_table_unref);
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
}

static void
mp_mailbox_state_init (MpMailboxState *self)
{
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal,
                                         NULL, (GDestroyNotify) entry_free);
}

/* Reading */

static gboolean
read_limited (GFile   *file,
              GBytes **out_bytes,
              GError **error)
{
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GByteArray) buffer = NULL;
  guint8 chunk[64 * 1024];

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
   * without reading it; the read below stops at the limit too, in case the
   * file grows meanwhile.
   */
  if (g_file_info_get_size (info) > MAX_STATE_FILE_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "larger than %" G_GOFFSET_FORMAT " bytes",
                   MAX_STATE_FILE_SIZE);
      return FALSE;
    }

  stream = g_file_read (file, NULL, error);
  if (stream == NULL)
    return FALSE;

  buffer = g_byte_array_sized_new ((guint) g_file_info_get_size (info));
  for (;;)
    {
      gsize n_read = 0;

      if (!g_input_stream_read_all (G_INPUT_STREAM (stream), chunk, sizeof chunk,
                                    &n_read, NULL, error))
        return FALSE;
      if (n_read == 0)
        break;
      if ((goffset) buffer->len + (goffset) n_read > MAX_STATE_FILE_SIZE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "larger than %" G_GOFFSET_FORMAT " bytes",
                       MAX_STATE_FILE_SIZE);
          return FALSE;
        }
      g_byte_array_append (buffer, chunk, (guint) n_read);
    }

  *out_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&buffer));
  return TRUE;
}

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

/* A copy of the string in the maybe at @index of @tuple, or NULL. */
static char *
dup_maybe_string (GVariant *tuple,
                  gsize     index)
{
  g_autoptr(GVariant) maybe = g_variant_get_child_value (tuple, index);
  g_autoptr(GVariant) value = g_variant_get_maybe (maybe);

  return value != NULL ? g_variant_dup_string (value, NULL) : NULL;
}

static gint64
get_int64 (GVariant *tuple,
           gsize     index)
{
  g_autoptr(GVariant) value = g_variant_get_child_value (tuple, index);

  return g_variant_get_int64 (value);
}

/* g_date_time_new_from_unix_utc() refuses instants outside years 1–9999. */
static GDateTime *
date_from_unix (gint64 seconds)
{
  return g_date_time_new_from_unix_utc (seconds);
}

static gboolean
parse_headers (GVariant    *maybe,
               guint        index,
               MpHeaders  **out,
               GError     **error)
{
  g_autoptr(GVariant) tuple = g_variant_get_maybe (maybe);
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(GVariant) date = NULL;
  g_autoptr(GVariant) date_value = NULL;

  *out = NULL;
  if (tuple == NULL)
    return TRUE;

  headers = mp_headers_new ();
  headers->from = dup_maybe_string (tuple, HEADER_FROM);
  headers->from_name = dup_maybe_string (tuple, HEADER_FROM_NAME);
  headers->from_address = dup_maybe_string (tuple, HEADER_FROM_ADDRESS);
  headers->to = dup_maybe_string (tuple, HEADER_TO);
  headers->subject = dup_maybe_string (tuple, HEADER_SUBJECT);
  headers->message_id = dup_maybe_string (tuple, HEADER_MESSAGE_ID);

  date = g_variant_get_child_value (tuple, HEADER_DATE);
  date_value = g_variant_get_maybe (date);
  if (date_value != NULL)
    {
      headers->date = date_from_unix (g_variant_get_int64 (date_value));
      if (headers->date == NULL)
        return invalid (error, "the date of entry %u is out of range", index);
    }

  *out = g_steal_pointer (&headers);
  return TRUE;
}

static Entry *
parse_entry (GVariant  *tuple,
             guint      index,
             GError   **error)
{
  g_autoptr(Entry) entry = g_new0 (Entry, 1);
  g_autoptr(GVariant) key = g_variant_get_child_value (tuple, ENTRY_KEY);
  g_autoptr(GVariant) size = g_variant_get_child_value (tuple, ENTRY_SIZE);
  g_autoptr(GVariant) announced = g_variant_get_child_value (tuple, ENTRY_ANNOUNCED);
  g_autoptr(GVariant) copies = g_variant_get_child_value (tuple, ENTRY_COPIES);
  g_autoptr(GVariant) headers = g_variant_get_child_value (tuple, ENTRY_HEADERS);

  entry->key = g_variant_dup_string (key, NULL);
  if (*entry->key == '\0')
    {
      invalid (error, "entry %u has an empty key", index);
      return NULL;
    }

  entry->uid = dup_maybe_string (tuple, ENTRY_UID);
  entry->size = g_variant_get_uint64 (size);
  entry->announced = g_variant_get_boolean (announced);

  entry->first_seen = date_from_unix (get_int64 (tuple, ENTRY_FIRST_SEEN));
  if (entry->first_seen == NULL)
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

  if (!parse_headers (headers, index, &entry->headers, error))
    return NULL;

  return g_steal_pointer (&entry);
}

static gboolean
parse_state (MpMailboxState *self,
             GBytes         *bytes,
             gboolean       *out_newer,
             GError        **error)
{
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) magic = NULL;
  g_autoptr(GVariant) version = NULL;
  g_autoptr(GVariant) payload = NULL;
  guint32 number;
  gsize n_entries;

  *out_newer = FALSE;

  if (g_bytes_get_size (bytes) == 0)
    return invalid (error, "empty");

  /* Untrusted data: GVariant reads any bytes safely, but only data in
   * normal form is exactly what g_variant_get_data() of this code gave;
   * anything else (including invalid UTF-8) is refused here, in one
   * linear pass.
   */
  file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (STATE_FILE_TYPE),
                                                       bytes, FALSE));
  if (!g_variant_is_normal_form (file))
    return invalid (error, "not a Mailpeek state file");
  /* Normal form does not depend on the byte order; the numbers do. */
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }

  magic = g_variant_get_child_value (file, 0);
  if (strcmp (g_variant_get_string (magic, NULL), STATE_MAGIC) != 0)
    return invalid (error, "not a Mailpeek state file");

  version = g_variant_get_child_value (file, 1);
  number = g_variant_get_uint32 (version);
  if (number > STATE_VERSION)
    {
      *out_newer = TRUE;
      return invalid (error,
                      "from a newer version of Mailpeek (format %u, this version reads %d)",
                      number, STATE_VERSION);
    }
  if (number != STATE_VERSION)
    return invalid (error, "of unknown format %u", number);

  payload = g_variant_get_child_value (file, 2);
  {
    g_autoptr(GVariant) inner = g_variant_get_variant (payload);

    g_clear_pointer (&payload, g_variant_unref);
    payload = g_steal_pointer (&inner);
  }
  if (!g_variant_is_of_type (payload, G_VARIANT_TYPE (STATE_PAYLOAD_TYPE)))
    return invalid (error, "with entries of type %s", g_variant_get_type_string (payload));

  n_entries = g_variant_n_children (payload);
  for (gsize i = 0; i < n_entries; i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (payload, i);
      Entry *entry = parse_entry (child, (guint) i, error);

      if (entry == NULL)
        return FALSE;

      /* This code never writes a key twice, so a repeated key means the
       * file is not what it wrote.
       */
      if (g_hash_table_contains (self->entries, entry->key))
        {
          invalid (error, "listing the key “%s” twice", entry->key);
          entry_free (entry);
          return FALSE;
        }
      g_hash_table_insert (self->entries, entry->key, entry);
    }

  return TRUE;
}

/* Renames the file to NAME.corrupt-YYYYMMDDTHHMMSS (with -2, -3… if that
 * name is taken; g_file_move() without OVERWRITE never replaces a file).
 * Returns the new path.
 */
static char *
move_aside (GFile   *file,
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

static void
set_aside (MpMailboxState *self,
           const char     *why)
{
  g_autofree char *path = g_file_get_parse_name (self->file);
  g_autoptr(GError) error = NULL;
  g_autofree char *dest = NULL;

  g_hash_table_remove_all (self->entries);
  self->dirty = TRUE;
  self->on_disk = FALSE;

  dest = move_aside (self->file, &error);
  if (dest == NULL)
    {
      g_warning ("Mail state %s is %s, and it could not be moved aside (%s); "
                 "starting with an empty state that will not overwrite it",
                 path, why, error->message);
      self->needs_set_aside = TRUE;
      return;
    }

  g_warning ("Mail state %s is %s; moved it to %s and starting with an empty state",
             path, why, dest);
  g_free (self->recovered_from);
  self->recovered_from = g_steal_pointer (&dest);
  self->needs_set_aside = FALSE;
}

/**
 * mp_mailbox_state_load_from_file:
 * @file: the state file; it need not exist
 *
 * Reads the state from @file. A missing file gives an empty state. A file
 * that cannot be read or is not a valid state of this version (corrupt,
 * truncated, too large, a directory, written by a newer Mailpeek) is
 * renamed aside with a warning and the state starts empty; see
 * mp_mailbox_state_get_recovered_from().
 *
 * Returns: (transfer full): the state, never %NULL
 */
MpMailboxState *
mp_mailbox_state_load_from_file (GFile *file)
{
  g_autoptr(MpMailboxState) self = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;
  gboolean newer = FALSE;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (MP_TYPE_MAILBOX_STATE, "file", file, NULL);

  if (!read_limited (file, &bytes, &error))
    {
      /* Nothing there to lose; a path through a regular file fails again,
       * clearly, when saving.
       */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY))
        return g_steal_pointer (&self);

      why = g_strdup_printf ("unreadable (%s)", error->message);
      set_aside (self, why);
      return g_steal_pointer (&self);
    }

  if (!parse_state (self, bytes, &newer, &error))
    {
      if (newer)
        why = g_strdup (error->message);
      else
        why = g_strdup_printf ("corrupt (%s)", error->message);
      set_aside (self, why);
      return g_steal_pointer (&self);
    }

  self->on_disk = TRUE;
  return g_steal_pointer (&self);
}

/* Account names and "user@host:port" become file names: anything outside
 * a conservative set, and a leading dot, is %-escaped; a very long key is
 * cut and made unique by a hash of the whole key.
 */
static char *
escape_state_key (const char *state_key)
{
  GString *name = g_string_new (NULL);

  for (const guchar *p = (const guchar *) state_key; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) ||
          (strchr ("@_-+:", *p) != NULL) ||
          (*p == '.' && p != (const guchar *) state_key))
        g_string_append_c (name, (char) *p);
      else
        g_string_append_printf (name, "%%%02X", *p);
    }

  if (name->len > MAX_ESCAPED_KEY)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, state_key, -1);

      g_string_truncate (name, MAX_ESCAPED_KEY - 17);
      g_string_append_c (name, '-');
      g_string_append_len (name, hash, 16);
    }

  return g_string_free (name, FALSE);
}

/**
 * mp_mailbox_state_load:
 * @state_key: identifies the maildrop: the account id, or "user@host:port"
 *
 * Loads g_get_user_state_dir()/mailpeek/STATE_KEY.state (with @state_key
 * escaped into a safe file name) like mp_mailbox_state_load_from_file().
 *
 * Returns: (transfer full): the state, never %NULL
 */
MpMailboxState *
mp_mailbox_state_load (const char *state_key)
{
  g_autofree char *escaped = NULL;
  g_autofree char *basename = NULL;
  g_autoptr(GFile) file = NULL;

  g_return_val_if_fail (state_key != NULL && *state_key != '\0', NULL);

  escaped = escape_state_key (state_key);
  basename = g_strconcat (escaped, STATE_SUFFIX, NULL);
  file = g_file_new_build_filename (g_get_user_state_dir (), "mailpeek", basename, NULL);

  return mp_mailbox_state_load_from_file (file);
}

/* Writing */

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
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

static GBytes *
serialize (MpMailboxState *self)
{
  g_autoptr(GVariant) file = NULL;
  g_autofree gpointer *keys = NULL;
  GVariantBuilder builder;
  guint n_keys;

  g_variant_builder_init (&builder, G_VARIANT_TYPE (STATE_PAYLOAD_TYPE));

  /* Sorted so that the same state always gives the same bytes. */
  keys = g_hash_table_get_keys_as_array (self->entries, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_keys);

  for (guint i = 0; i < n_keys; i++)
    {
      const Entry *entry = g_hash_table_lookup (self->entries, keys[i]);

      g_variant_builder_add (&builder, "(smstbxu@m" STATE_HEADERS_TYPE ")",
                             entry->key,
                             entry->uid,
                             entry->size,
                             entry->announced,
                             entry->first_seen != NULL ? g_date_time_to_unix (entry->first_seen) : 0,
                             entry->copies > 0 ? entry->copies : 1,
                             headers_to_variant (entry->headers));
    }

  file = g_variant_ref_sink (g_variant_new ("(suv)", STATE_MAGIC, (guint32) STATE_VERSION,
                                            g_variant_builder_end (&builder)));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);

      g_variant_unref (file);
      file = swapped;
    }

  return g_variant_get_data_as_bytes (file);
}

/**
 * mp_mailbox_state_save:
 * @self: a state
 * @error: return location for an error
 *
 * Writes the state if it changed since it was read or last written: to a
 * temporary file next to it, flushed to disk, then renamed over the old
 * one, so that the file is always either the old or the new state. On
 * failure (a full disk, a read-only or missing folder) the old file stays
 * as it was. The folder is created with mode 0700, the file 0600.
 *
 * Returns: %TRUE if the state is on disk
 */
gboolean
mp_mailbox_state_save (MpMailboxState  *self,
                       GError         **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->dirty && self->on_disk)
    return TRUE;

  path = g_file_get_path (self->file);
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (self->file);

      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("Could not save the mail state to %s: not a local file"), uri);
      return FALSE;
    }

  /* A bad file that could not be renamed when it was read is renamed now,
   * or nothing is written: it may be the only copy of something a person
   * can still rescue.
   */
  if (self->needs_set_aside)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *dest = move_aside (self->file, &local_error);

      if (dest == NULL && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       _("Could not save the mail state to %s: the damaged file "
                         "there could not be moved aside (%s)"),
                       path, local_error->message);
          return FALSE;
        }
      if (dest != NULL)
        {
          g_free (self->recovered_from);
          self->recovered_from = g_steal_pointer (&dest);
        }
      self->needs_set_aside = FALSE;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not save the mail state: cannot create the folder %s: %s"),
                   dir, g_strerror (saved_errno));
      return FALSE;
    }

  data = serialize (self);

  if (!g_file_set_contents_full (path, g_bytes_get_data (data, NULL),
                                 (gssize) g_bytes_get_size (data),
                                 G_FILE_SET_CONTENTS_CONSISTENT |
                                 G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    {
      g_prefix_error (error, "%s: ", _("Could not save the mail state"));
      return FALSE;
    }

  self->dirty = FALSE;
  self->on_disk = TRUE;
  return TRUE;
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
 * Returns: (transfer full) (element-type utf8 utf8): a set of UIDs
 */
GHashTable *
mp_mailbox_state_dup_known_uids (MpMailboxState *self)
{
  GHashTable *uids;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);

  uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Entry *entry = value;

      if (entry->uid != NULL && entry->headers != NULL && entry->copies <= 1)
        g_hash_table_add (uids, g_strdup (entry->uid));
    }

  return uids;
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
 * - a new message gets an entry with a copy of its headers, not announced;
 * - an entry whose key is not in the snapshot is dropped: the message is
 *   gone from the server.
 *
 * Messages without a key (neither UIDL nor headers) are skipped, and while
 * the snapshot has any, no entry is dropped: one of them may be the message
 * behind an entry, and dropping it would announce it again later.
 *
 * A key shared by several messages (a server that repeats a UIDL) keeps one
 * entry; since the state cannot tell those messages apart, none of them
 * gets headers from the cache (the check fetches theirs, see
 * mp_mailbox_state_dup_known_uids()), and when more of them appear than
 * before, the entry counts as not announced again, so a new message is
 * never hidden behind an old one's UIDL.
 *
 * Returns: the number of entries not announced yet
 */
guint
mp_mailbox_state_merge (MpMailboxState    *self,
                        MpMailboxSnapshot *snapshot)
{
  g_autoptr(GHashTable) copies = NULL;
  g_autoptr(GHashTable) handled = NULL;
  g_autoptr(GDateTime) now = NULL;
  gboolean keyless = FALSE;
  GHashTableIter iter;
  gpointer key, value;
  guint unannounced = 0;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), 0);
  g_return_val_if_fail (snapshot != NULL, 0);

  now = now_utc_seconds ();
  copies = g_hash_table_new (g_str_hash, g_str_equal);
  handled = g_hash_table_new (g_str_hash, g_str_equal);

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
      Entry *entry;
      guint n;

      if (info->key == NULL)
        continue;

      /* Later messages with a repeated key leave the entry alone. */
      if (!g_hash_table_add (handled, info->key))
        continue;

      n = GPOINTER_TO_UINT (g_hash_table_lookup (copies, info->key));
      entry = g_hash_table_lookup (self->entries, info->key);

      if (entry == NULL)
        {
          if (n > 1)
            g_debug ("%u messages share the key “%s”; they are kept as one "
                     "entry and their headers are fetched every time",
                     n, info->key);

          entry = g_new0 (Entry, 1);
          entry->key = g_strdup (info->key);
          entry->uid = g_strdup (info->uid);
          entry->size = info->size;
          entry->headers = mp_headers_ref (info->headers);
          entry->first_seen = g_date_time_ref (now);
          entry->copies = n;
          entry->announced = FALSE;
          g_hash_table_insert (self->entries, entry->key, entry);
          self->dirty = TRUE;
          continue;
        }

      /* When the number of messages behind a key changes, the cached
       * headers may belong to a message that is gone: take the fetched
       * ones if there are any.
       */
      ambiguous = entry->copies != n;
      if (ambiguous)
        {
          g_debug ("%u messages share the key “%s” (%u before)",
                   n, info->key, entry->copies);
          if (n > entry->copies)
            entry->announced = FALSE;
          entry->copies = n;
          self->dirty = TRUE;
        }

      if (info->headers != NULL && (entry->headers == NULL || ambiguous))
        {
          g_clear_pointer (&entry->headers, mp_headers_free);
          entry->headers = mp_headers_ref (info->headers);
          self->dirty = TRUE;
        }
      else if (info->headers == NULL && entry->headers != NULL && n == 1 && !ambiguous)
        info->headers = mp_headers_ref (entry->headers);

      if (entry->size != info->size)
        {
          entry->size = info->size;
          self->dirty = TRUE;
        }

      if (g_strcmp0 (entry->uid, info->uid) != 0)
        {
          g_free (entry->uid);
          entry->uid = g_strdup (info->uid);
          self->dirty = TRUE;
        }
    }

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Entry *entry = value;

      if (!keyless && !g_hash_table_contains (copies, key))
        {
          g_hash_table_iter_remove (&iter);
          self->dirty = TRUE;
          continue;
        }

      if (!entry->announced)
        unannounced++;
    }

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
  const Entry *entry;

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
  Entry *entry;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));
  g_return_if_fail (key != NULL);

  entry = g_hash_table_lookup (self->entries, key);
  if (entry != NULL && !entry->announced)
    {
      entry->announced = TRUE;
      self->dirty = TRUE;
    }
}

/**
 * mp_mailbox_state_mark_all_announced:
 *
 * Records that the user was told about every message in the state.
 */
void
mp_mailbox_state_mark_all_announced (MpMailboxState *self)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (MP_IS_MAILBOX_STATE (self));

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *entry = value;

      if (!entry->announced)
        {
          entry->announced = TRUE;
          self->dirty = TRUE;
        }
    }
}

/**
 * mp_mailbox_state_remove:
 *
 * Drops the entry for @key, for a message the server confirmed deleted.
 *
 * Returns: whether there was such an entry
 */
gboolean
mp_mailbox_state_remove (MpMailboxState *self,
                         const char     *key)
{
  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!g_hash_table_remove (self->entries, key))
    return FALSE;

  self->dirty = TRUE;
  return TRUE;
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
 *   with @key, or %NULL if the state has none
 */
const MpHeaders *
mp_mailbox_state_get_headers (MpMailboxState *self,
                              const char     *key)
{
  const Entry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL ? entry->headers : NULL;
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
  const Entry *entry;

  g_return_val_if_fail (MP_IS_MAILBOX_STATE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  entry = g_hash_table_lookup (self->entries, key);
  return entry != NULL ? entry->first_seen : NULL;
}
