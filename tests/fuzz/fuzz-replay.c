/* fuzz-replay.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A main for a fuzz target built without -fsanitize=fuzzer: runs its entry
 * point over every file in the corpus directories named on the command
 * line, one test case per file, so that the seed corpora (and any crash
 * reproducer added to them) are replayed by every `meson test`.
 */

#include "config.h"

#include <string.h>

#include <glib.h>

#include "fuzz.h"

static void
replay_file (gconstpointer user_data)
{
  const char *path = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);

  /* libFuzzer passes a buffer of exactly @len bytes with no terminating
   * NUL; copy into one so that AddressSanitizer catches reads past it.
   */
  exact = g_malloc (MAX (len, 1));
  memcpy (exact, contents, len);

  g_assert_cmpint (LLVMFuzzerTestOneInput (exact, len), ==, 0);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static guint
add_corpus (const char *dir_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *corpus = g_path_get_basename (dir_path);
  GDir *dir;
  const char *name;

  dir = g_dir_open (dir_path, 0, &error);
  g_assert_no_error (error);

  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);

  /* a stable order, so that a failure names the same case every run */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      const char *file = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir_path, file, NULL);
      g_autofree char *test_path = NULL;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      test_path = g_strdup_printf ("/fuzz-replay/%s/%s", corpus, file);
      g_test_add_data_func_full (test_path, g_steal_pointer (&path), replay_file, g_free);
    }

  return names->len;
}

int
main (int   argc,
      char *argv[])
{
  guint n_files = 0;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (int i = 1; i < argc; i++)
    n_files += add_corpus (argv[i]);

  /* a corpus that went missing must not pass as "nothing failed" */
  if (n_files == 0)
    {
      g_printerr ("usage: %s CORPUS-DIR...  (no corpus files found)\n", argv[0]);
      return 1;
    }

  return g_test_run ();
}
