/* mp-mailbox-state-keys.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-mailbox-state"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "mp-mailbox-state-private.h"

/* State keys and the files kept for them. */

#define STATE_SUFFIX ".state"

/* File names stay well below NAME_MAX (255) even with the
 * ".state.corrupt-YYYYMMDDTHHMMSS-N" suffix.
 */
#define MAX_ESCAPED_KEY 160

static gboolean
is_safe_char (guchar c)
{
  return g_ascii_isalnum (c) || strchr ("@_-+:.", c) != NULL;
}

/**
 * mp_mailbox_state_escape_key:
 * @key: an account id, or "user@host:port" for a `--url` mailbox
 *
 * The one escaper of state keys: letters, digits and "@_-+:." stay,
 * anything else (and a leading dot, which would hide the file) becomes
 * %XX, so no key can name another directory or a hidden file; a key that
 * would escape to more than 160 bytes is cut (never inside an escape) and
 * made unique by a hash of the whole key. An account id (letters, digits,
 * '-', '_') comes out as it is. The result is a key too:
 * mp_mailbox_state_load() and the other functions that take a key use an
 * escaped key as it is instead of escaping it again.
 *
 * Returns: (transfer full): the escaped key, a safe file name
 */
char *
mp_mailbox_state_escape_key (const char *key)
{
  GString *name;

  g_return_val_if_fail (key != NULL, NULL);

  name = g_string_new (NULL);
  for (const guchar *p = (const guchar *) key; *p != '\0'; p++)
    {
      if (is_safe_char (*p) && !(*p == '.' && p == (const guchar *) key))
        g_string_append_c (name, (char) *p);
      else
        g_string_append_printf (name, "%%%02X", *p);
    }

  if (name->len > MAX_ESCAPED_KEY)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
      gsize cut = MAX_ESCAPED_KEY - 17;

      /* Do not cut a %XX escape in half. */
      for (gsize i = cut >= 2 ? cut - 2 : 0; i < cut; i++)
        if (name->str[i] == '%')
          {
            cut = i;
            break;
          }
      g_string_truncate (name, cut);
      g_string_append_c (name, '-');
      g_string_append_len (name, hash, 16);
    }

  return g_string_free (name, FALSE);
}

/* Whether @key is something mp_mailbox_state_escape_key() returns. */
static gboolean
is_escaped (const char *key)
{
  gsize len = strlen (key);

  if (len == 0 || len > MAX_ESCAPED_KEY || key[0] == '.')
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    {
      if (*p == '%')
        {
          if (!g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2]) ||
              g_ascii_islower (p[1]) || g_ascii_islower (p[2]))
            return FALSE;
          p += 2;
        }
      else if (!is_safe_char ((guchar) *p))
        return FALSE;
    }
  return TRUE;
}

static char *
escaped_key (const char *state_key)
{
  return is_escaped (state_key) ? g_strdup (state_key) : mp_mailbox_state_escape_key (state_key);
}

char *
mp_state_key_to_file_name (const char *state_key)
{
  g_autofree char *escaped = escaped_key (state_key);

  return g_strconcat (escaped, STATE_SUFFIX, NULL);
}

/**
 * mp_mailbox_state_file_for_key:
 * @state_key: an escaped key (mp_account_dup_state_key()); any other
 *   string is escaped first
 *
 * Returns: (transfer full): g_get_user_state_dir()/mailpeek/KEY.state
 */
GFile *
mp_mailbox_state_file_for_key (const char *state_key)
{
  g_autofree char *basename = NULL;

  g_return_val_if_fail (state_key != NULL && *state_key != '\0', NULL);

  basename = mp_state_key_to_file_name (state_key);
  return g_file_new_build_filename (g_get_user_state_dir (), "mailpeek", basename, NULL);
}

/* Before one escaper there were two: mp-account.c escaped the label of a
 * `--url` mailbox (':' too, and at one time '@'), and the state escaped
 * that again, so "alice@host:11995" was kept in
 * "alice@host%253A11995.state" (or "alice%2540host%253A11995.state").
 * These are those two escapers, only to find such files.
 */
static char *
legacy_account_escape (const char *text,
                       gboolean    keep_at)
{
  GString *out = g_string_new (NULL);

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      gboolean safe = g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '+' ||
                      (*p == '.' && p != (const guchar *) text) ||
                      (*p == '@' && keep_at);

      if (safe)
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
  if (out->len > 128)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);

      g_string_truncate (out, 64);
      for (guint i = out->len - 2; i < out->len; i++)
        if (out->str[i] == '%')
          {
            g_string_truncate (out, i);
            break;
          }
      g_string_append_printf (out, "-%.32s", hash);
    }
  return g_string_free (out, FALSE);
}

static char *
legacy_state_escape (const char *key)
{
  GString *name = g_string_new (NULL);

  for (const guchar *p = (const guchar *) key; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || strchr ("@_-+:", *p) != NULL ||
          (*p == '.' && p != (const guchar *) key))
        g_string_append_c (name, (char) *p);
      else
        g_string_append_printf (name, "%%%02X", *p);
    }
  if (name->len > MAX_ESCAPED_KEY)
    {
      g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

      g_string_truncate (name, MAX_ESCAPED_KEY - 17);
      g_string_append_c (name, '-');
      g_string_append_len (name, hash, 16);
    }
  return g_string_free (name, FALSE);
}

/* The key an escaped key was made from, or NULL if it was cut. */
static char *
unescape_key (const char *escaped)
{
  g_autofree char *raw = g_uri_unescape_string (escaped, NULL);
  g_autofree char *again = NULL;

  if (raw == NULL)
    return NULL;
  again = mp_mailbox_state_escape_key (raw);
  return g_str_equal (again, escaped) ? g_steal_pointer (&raw) : NULL;
}

/* The names the same maildrop's state had before, most recent first. */
static GPtrArray *
legacy_file_names (const char *state_key)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *escaped = escaped_key (state_key);
  g_autofree char *raw = unescape_key (escaped);
  g_autofree char *current = g_strconcat (escaped, STATE_SUFFIX, NULL);

  /* Only a `--url` key ("user@host:port") was escaped twice. */
  if (raw == NULL || strchr (raw, '@') == NULL)
    return g_steal_pointer (&names);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *account = legacy_account_escape (raw, i == 0);
      g_autofree char *name = legacy_state_escape (account);
      char *file_name = g_strconcat (name, STATE_SUFFIX, NULL);

      if (g_str_equal (file_name, current))
        g_free (file_name);
      else
        g_ptr_array_add (names, file_name);
    }
  return g_steal_pointer (&names);
}

/**
 * mp_state_file_rename_legacy:
 *
 * When @file does not exist but the state of @state_key is there under a
 * name an older version gave it, renames that file to @file.
 */
void
mp_state_file_rename_legacy (GFile      *file,
                             const char *state_key)
{
  g_autoptr(GPtrArray) names = legacy_file_names (state_key);
  g_autoptr(GFile) parent = NULL;

  if (names->len == 0 || g_file_query_exists (file, NULL))
    return;

  parent = g_file_get_parent (file);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GFile) old = g_file_get_child (parent, g_ptr_array_index (names, i));
      g_autofree char *old_path = g_file_get_path (old);
      g_autofree char *new_path = g_file_get_path (file);

      if (!g_file_test (old_path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (g_rename (old_path, new_path) == 0)
        g_debug ("Renamed the mail state %s to %s", old_path, new_path);
      else
        g_warning ("Could not rename the mail state %s to %s: %s",
                   old_path, new_path, g_strerror (errno));
      return;
    }
}

/**
 * mp_mailbox_state_delete_files:
 * @state_key: the key of a maildrop (mp_account_dup_state_key())
 *
 * Deletes everything kept for @state_key in the state folder: KEY.state,
 * the copies set aside from it (KEY.state.corrupt-…), its lock and
 * temporary files, KEY.json* left by the unreleased format 1, and the same
 * under the names older versions gave the files. The key is escaped
 * whole, so these names match no other maildrop's files.
 *
 * Returns: %TRUE if nothing is left (a missing folder is fine)
 */
gboolean
mp_mailbox_state_delete_files (const char  *state_key,
                               GError     **error)
{
  g_autofree char *dir_path = NULL;
  g_autofree char *escaped = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *entry;

  g_return_val_if_fail (state_key != NULL && *state_key != '\0', FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir_path = g_build_filename (g_get_user_state_dir (), "mailpeek", NULL);
  escaped = escaped_key (state_key);
  names = legacy_file_names (state_key);
  g_ptr_array_add (names, g_strconcat (escaped, STATE_SUFFIX, NULL));
  g_ptr_array_add (names, g_strconcat (escaped, ".json", NULL));

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
      gboolean ours = FALSE;

      for (guint i = 0; i < names->len && !ours; i++)
        {
          const char *name = g_ptr_array_index (names, i);
          gsize len = strlen (name);

          ours = strncmp (entry, name, len) == 0 && (entry[len] == '\0' || entry[len] == '.');
        }
      if (!ours)
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
