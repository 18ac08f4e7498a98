/* mp-mailbox-state.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "mp-mailbox-state.h"

/* The state of one maildrop, as JSON:
 *
 *   {"version": 1,
 *    "entries": [{"key": "…", "uid": "…" | null, "size": 1234,
 *                 "announced": false, "first_seen": "2025-11-24T16:00:00Z",
 *                 "copies": 2,
 *                 "headers": {"from": …, "from_name": …, "from_address": …,
 *                             "to": …, "subject": …,
 *                             "date": "2025-11-24T19:00:00+03",
 *                             "message_id": …} | null}]}
 *
 * "copies" is written only when more than one message on the server shares
 * the key (a server with duplicate UIDLs); "headers" is null until the
 * headers were fetched once; a missing header field is null. The header
 * date keeps the sender's UTC offset, so it is ISO 8601 with an offset, not
 * necessarily "Z".
 *
 * The file is either exactly what this code writes or it is set aside:
 * a wrong type, a missing member, a key listed twice all count as corrupt.
 * Unknown members are ignored so that a later release can add optional
 * data without bumping the version; anything it cannot add that way bumps
 * the version, and this code then sets the newer file aside instead of
 * misreading it.
 */

#define STATE_VERSION 1

/* A state file holds a few hundred bytes per message; 256 MiB is far more
 * than any real maildrop produces, and refusing more keeps a damaged or
 * hostile file from taking all memory.
 */
#define MAX_STATE_FILE_SIZE ((goffset) 256 * 1024 * 1024)

/* The format nests four levels deep. json-glib 1.6 parses recursively with
 * no limit of its own, so a file of a million "[" would exhaust the stack;
 * it is refused before parsing.
 */
#define MAX_NESTING 16

/* File names stay well below NAME_MAX (255) even with the
 * ".json.corrupt-YYYYMMDDTHHMMSS-N" suffix.
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

/* Depth of [ and { outside strings; the only JSON parsing done before
 * json-glib sees the data.
 */
static gboolean
nesting_within_limit (const char *data,
                      gsize       len)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > MAX_NESTING)
            return FALSE;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

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

/* A member that must be a string, or (when @nullable) null or absent. */
static gboolean
get_string (JsonObject  *object,
            const char  *where,
            const char  *name,
            gboolean     nullable,
            const char **out,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *value;

  *out = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (nullable)
        return TRUE;
      return invalid (error, "%s has no “%s”", where, name);
    }

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, "“%s” of %s is not a string", name, where);

  value = json_node_get_string (node);
  if (value == NULL || !g_utf8_validate (value, -1, NULL))
    return invalid (error, "“%s” of %s is not valid UTF-8", name, where);

  *out = value;
  return TRUE;
}

static gboolean
get_int (JsonObject  *object,
         const char  *where,
         const char  *name,
         gboolean     optional,
         gint64       min_value,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL && optional)
    return TRUE;
  if (node == NULL)
    return invalid (error, "%s has no “%s”", where, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return invalid (error, "“%s” of %s is not an integer", name, where);

  *out = json_node_get_int (node);
  if (*out < min_value)
    return invalid (error, "“%s” of %s is out of range", name, where);

  return TRUE;
}

static gboolean
get_date (JsonObject  *object,
          const char  *where,
          const char  *name,
          GDateTime  **out,
          GError     **error)
{
  g_autoptr(GTimeZone) utc = NULL;
  const char *text;

  *out = NULL;

  if (!get_string (object, where, name, TRUE, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  utc = g_time_zone_new_utc ();
  *out = g_date_time_new_from_iso8601 (text, utc);
  if (*out == NULL)
    return invalid (error, "“%s” of %s is not an ISO 8601 date", name, where);

  return TRUE;
}

static gboolean
parse_headers (JsonNode    *node,
               const char  *where,
               MpHeaders  **out,
               GError     **error)
{
  g_autoptr(MpHeaders) headers = NULL;
  JsonObject *object;
  struct {
    const char  *name;
    char       **field;
  } fields[6];

  *out = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return invalid (error, "“headers” of %s is not an object", where);

  object = json_node_get_object (node);
  headers = g_new0 (MpHeaders, 1);

  fields[0].name = "from";         fields[0].field = &headers->from;
  fields[1].name = "from_name";    fields[1].field = &headers->from_name;
  fields[2].name = "from_address"; fields[2].field = &headers->from_address;
  fields[3].name = "to";           fields[3].field = &headers->to;
  fields[4].name = "subject";      fields[4].field = &headers->subject;
  fields[5].name = "message_id";   fields[5].field = &headers->message_id;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value;

      if (!get_string (object, where, fields[i].name, TRUE, &value, error))
        return FALSE;
      *fields[i].field = g_strdup (value);
    }

  if (!get_date (object, where, "date", &headers->date, error))
    return FALSE;

  *out = g_steal_pointer (&headers);
  return TRUE;
}

static Entry *
parse_entry (JsonNode  *node,
             guint      index,
             GError   **error)
{
  g_autoptr(Entry) entry = g_new0 (Entry, 1);
  g_autofree char *where = g_strdup_printf ("entry %u", index);
  JsonObject *object;
  JsonNode *announced;
  const char *text;
  gint64 number;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      invalid (error, "%s is not an object", where);
      return NULL;
    }
  object = json_node_get_object (node);

  if (!get_string (object, where, "key", FALSE, &text, error))
    return NULL;
  if (*text == '\0')
    {
      invalid (error, "%s has an empty key", where);
      return NULL;
    }
  entry->key = g_strdup (text);

  if (!get_string (object, where, "uid", TRUE, &text, error))
    return NULL;
  entry->uid = g_strdup (text);

  if (!get_int (object, where, "size", FALSE, 0, &number, error))
    return NULL;
  entry->size = (guint64) number;

  announced = json_object_get_member (object, "announced");
  if (announced == NULL ||
      !JSON_NODE_HOLDS_VALUE (announced) ||
      json_node_get_value_type (announced) != G_TYPE_BOOLEAN)
    {
      invalid (error, "“announced” of %s is missing or not a boolean", where);
      return NULL;
    }
  entry->announced = json_node_get_boolean (announced);

  if (!get_date (object, where, "first_seen", &entry->first_seen, error))
    return NULL;

  number = 1;
  if (!get_int (object, where, "copies", TRUE, 1, &number, error))
    return NULL;
  entry->copies = (guint) MIN (number, G_MAXUINT);

  if (!parse_headers (json_object_get_member (object, "headers"), where,
                      &entry->headers, error))
    return NULL;

  return g_steal_pointer (&entry);
}

static gboolean
parse_state (MpMailboxState *self,
             const char     *data,
             gsize           len,
             gboolean       *out_newer,
             GError        **error)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonNode *node;
  JsonObject *object;
  JsonArray *array;
  gint64 version;

  *out_newer = FALSE;

  if (len == 0)
    return invalid (error, "empty");
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL))
    return invalid (error, "not UTF-8 text");
  if (!nesting_within_limit (data, len))
    return invalid (error, "nested deeper than %d levels", MAX_NESTING);

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) len, error))
    return FALSE;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return invalid (error, "not a JSON object");
  object = json_node_get_object (root);

  if (!get_int (object, "the file", "version", FALSE, G_MININT64, &version, error))
    return FALSE;
  if (version > STATE_VERSION)
    {
      *out_newer = TRUE;
      return invalid (error,
                      "from a newer version of Mailpeek (format %" G_GINT64_FORMAT
                      ", this version reads %d)", version, STATE_VERSION);
    }
  if (version != STATE_VERSION)
    return invalid (error, "of unknown format %" G_GINT64_FORMAT, version);

  node = json_object_get_member (object, "entries");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return invalid (error, "without an “entries” array");
  array = json_node_get_array (node);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      Entry *entry = parse_entry (json_array_get_element (array, i), i, error);

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
  const char *data;
  gsize len;

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

  data = g_bytes_get_data (bytes, &len);
  if (!parse_state (self, data, len, &newer, &error))
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
 * Loads g_get_user_state_dir()/mailpeek/STATE_KEY.json (with @state_key
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
  basename = g_strconcat (escaped, ".json", NULL);
  file = g_file_new_build_filename (g_get_user_state_dir (), "mailpeek", basename, NULL);

  return mp_mailbox_state_load_from_file (file);
}

/* Writing */

static void
add_string (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
serialize (MpMailboxState *self,
           gsize          *out_len)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree gpointer *keys = NULL;
  guint n_keys;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STATE_VERSION);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);

  /* Sorted so that the same state always gives the same bytes. */
  keys = g_hash_table_get_keys_as_array (self->entries, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_keys);

  for (guint i = 0; i < n_keys; i++)
    {
      const Entry *entry = g_hash_table_lookup (self->entries, keys[i]);
      g_autofree char *first_seen = NULL;

      json_builder_begin_object (builder);
      add_string (builder, "key", entry->key);
      add_string (builder, "uid", entry->uid);
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, (gint64) MIN (entry->size, (guint64) G_MAXINT64));
      json_builder_set_member_name (builder, "announced");
      json_builder_add_boolean_value (builder, entry->announced);
      if (entry->first_seen != NULL)
        first_seen = g_date_time_format_iso8601 (entry->first_seen);
      add_string (builder, "first_seen", first_seen);
      if (entry->copies > 1)
        {
          json_builder_set_member_name (builder, "copies");
          json_builder_add_int_value (builder, entry->copies);
        }

      json_builder_set_member_name (builder, "headers");
      if (entry->headers == NULL)
        json_builder_add_null_value (builder);
      else
        {
          const MpHeaders *headers = entry->headers;
          g_autofree char *date = NULL;

          if (headers->date != NULL)
            date = g_date_time_format_iso8601 (headers->date);

          json_builder_begin_object (builder);
          add_string (builder, "from", headers->from);
          add_string (builder, "from_name", headers->from_name);
          add_string (builder, "from_address", headers->from_address);
          add_string (builder, "to", headers->to);
          add_string (builder, "subject", headers->subject);
          add_string (builder, "date", date);
          add_string (builder, "message_id", headers->message_id);
          json_builder_end_object (builder);
        }
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, out_len);
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
  g_autofree char *data = NULL;
  gsize len = 0;

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

  data = serialize (self, &len);

  if (!g_file_set_contents_full (path, data, (gssize) len,
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
          entry->headers = mp_headers_copy (info->headers);
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
          entry->headers = mp_headers_copy (info->headers);
          self->dirty = TRUE;
        }
      else if (info->headers == NULL && entry->headers != NULL && n == 1 && !ambiguous)
        info->headers = mp_headers_copy (entry->headers);

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
