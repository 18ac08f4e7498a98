/* test-mailbox.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The live model (mp-message.h, mp-mailbox.h): a message notifies only on
 * real changes.
 */

#define G_LOG_DOMAIN "test-mailbox"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "mp-message-private.h"

/* ---- MpMessage --------------------------------------------------------- */

typedef struct
{
  GPtrArray *names;
} Notes;

static void
note_cb (GObject    *object,
         GParamSpec *pspec,
         Notes      *notes)
{
  g_ptr_array_add (notes->names, g_strdup (pspec->name));
}

static char *
notes_take (Notes *notes)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < notes->names->len; i++)
    {
      const char *name = g_ptr_array_index (notes->names, i);

      if (s->len > 0)
        g_string_append_c (s, ' ');
      g_string_append (s, name);
    }
  g_ptr_array_set_size (notes->names, 0);
  return g_string_free (s, FALSE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
notes_sorted (Notes *notes)
{
  g_ptr_array_sort (notes->names, compare_strings);
  return notes_take (notes);
}

static MpHeaders *
make_headers (const char *from,
              const char *subject)
{
  MpHeaders *headers = mp_headers_new ();

  headers->from = g_strdup (from);
  headers->from_address = g_strdup (from);
  headers->subject = g_strdup (subject);
  headers->date = g_date_time_new_utc (2026, 1, 2, 3, 4, 5);
  return headers;
}

static void
test_message_notify (void)
{
  g_autoptr(MpHeaders) headers = make_headers ("a@example.com", "Hello");
  g_autoptr(MpHeaders) same = make_headers ("a@example.com", "Hello");
  g_autoptr(MpHeaders) other = make_headers ("a@example.com", "Changed");
  g_autoptr(MpMessage) message = mp_message_new ("uid-1", "uid-1", 1, 100, headers);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "TOP failed");
  g_autofree char *text = NULL;
  g_autoptr(GObject) owner = g_object_new (G_TYPE_OBJECT, NULL);
  Notes notes = { g_ptr_array_new_with_free_func (g_free) };

  g_assert_cmpstr (mp_message_get_key (message), ==, "uid-1");
  g_assert_cmpstr (mp_message_get_uid (message), ==, "uid-1");
  g_assert_cmpuint (mp_message_get_number (message), ==, 1);
  g_assert_cmpuint (mp_message_get_size (message), ==, 100);
  g_assert_cmpstr (mp_message_get_subject (message), ==, "Hello");
  g_assert_cmpstr (mp_message_get_from (message), ==, "a@example.com");
  g_assert_null (mp_message_get_to (message));
  g_assert_null (mp_message_get_message_id (message));
  g_assert_null (mp_message_get_snippet (message));
  g_assert_false (mp_message_get_announced (message));
  g_assert_false (mp_message_get_unseen (message));
  g_assert_true (mp_message_get_headers (message) == headers);

  g_signal_connect (message, "notify", G_CALLBACK (note_cb), &notes);

  /* The same values again: no notify at all. */
  mp_message_set_number (message, 1);
  mp_message_set_size (message, 100);
  mp_message_set_headers (message, same);
  mp_message_set_announced (message, FALSE);
  mp_message_set_unseen (message, FALSE);
  mp_message_set_snippet (message, NULL);
  mp_message_set_error (message, NULL);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "");
  g_clear_pointer (&text, g_free);
  /* Equal content was taken without a notify. */
  g_assert_true (mp_message_get_headers (message) == same);

  /* A changed subject notifies subject and headers, nothing else. */
  mp_message_set_headers (message, other);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "headers subject");
  g_clear_pointer (&text, g_free);

  mp_message_set_headers (message, NULL);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "date from from-address headers subject");
  g_clear_pointer (&text, g_free);
  g_assert_null (mp_message_get_date (message));

  mp_message_set_number (message, 7);
  mp_message_set_size (message, 200);
  mp_message_set_announced (message, TRUE);
  mp_message_set_announced (message, TRUE);
  mp_message_set_unseen (message, TRUE);
  mp_message_set_snippet (message, "Hi there");
  mp_message_set_snippet (message, "Hi there");
  mp_message_set_error (message, error);
  mp_message_set_error (message, error);
  mp_message_set_mailbox (message, owner);
  mp_message_set_mailbox (message, owner);
  text = notes_sorted (&notes);
  g_assert_cmpstr (text, ==, "announced error mailbox number size snippet unseen");
  g_clear_pointer (&text, g_free);
  g_assert_error (mp_message_get_error (message), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_true (mp_message_get_mailbox (message) == owner);

  /* The mailbox is a weak reference. */
  g_clear_object (&owner);
  g_assert_null (mp_message_get_mailbox (message));

  g_signal_handlers_disconnect_by_data (message, &notes);
  g_ptr_array_unref (notes.names);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/message/notify", test_message_notify);

  return g_test_run ();
}
