/* bench-state.c: the seen-state of a large mailbox, timed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-state [MESSAGES]
 *
 * In a temporary state folder: saves the state of MESSAGES (default
 * 10,000) messages with headers, loads it (best of 9, with the heap it
 * takes), runs the steady-state cycle (load, known UIDs, merge of the same
 * mailbox, save that writes nothing), and measures the longest stall of
 * the main loop while an asynchronous save merges with a file another
 * process changed (a 1 ms timer on the loop records the gaps between its
 * runs; the target is under 20 ms). Run by build-aux/bench.sh; not a test.
 */

#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "mp-mailbox-state.h"

#include "bench-stall.h"

#define STALL_TARGET_MS 20.0

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static gsize
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

static MpMailboxSnapshot *
make_snapshot (guint    n,
               gboolean with_headers)
{
  MpMailboxSnapshot *snapshot = g_new0 (MpMailboxSnapshot, 1);

  snapshot->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_message_info_free);
  snapshot->uidl_supported = TRUE;
  for (guint i = 0; i < n; i++)
    {
      MpMessageInfo *info = g_new0 (MpMessageInfo, 1);

      info->number = i + 1;
      info->uid = g_strdup_printf ("%08x%024u", g_str_hash ("bench") ^ i, i);
      info->key = g_strdup (info->uid);
      info->size = 1000 + i;
      if (with_headers)
        {
          MpHeaders *headers = mp_headers_new ();

          headers->from_name = g_strdup ("Борис Петров");
          headers->from_address = g_strdup ("boris@example.ru");
          headers->from = g_strdup ("Борис Петров <boris@example.ru>");
          headers->to = g_strdup ("alice@example.org");
          headers->subject = g_strdup_printf ("Сообщение %u: отчёт за неделю", i);
          headers->message_id = g_strdup_printf ("<%u.bench@example.ru>", i);
          headers->date = g_date_time_new_from_unix_utc (1764000000 + i);
          info->headers = headers;
        }
      g_ptr_array_add (snapshot->messages, info);
    }
  snapshot->count = n;
  return snapshot;
}

typedef struct
{
  gint64        last;
  gint64        longest;
  /* The same in CPU time of the main thread: the stall this code causes,
   * without the time the machine gave other processes.
   */
  gint64        last_cpu;
  gint64        longest_cpu;
  guint         ticks;
  GAsyncResult *result;
} Stall;

static gboolean
tick_cb (gpointer user_data)
{
  Stall *stall = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = bench_thread_cpu_usec ();

  stall->longest = MAX (stall->longest, now - stall->last);
  stall->longest_cpu = MAX (stall->longest_cpu, cpu - stall->last_cpu);
  stall->last = now;
  stall->last_cpu = cpu;
  stall->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Stall *stall = user_data;

  stall->result = g_object_ref (result);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 10000;
  double best_load = G_MAXDOUBLE;
  double save_ms, steady_ms, stall_ms;
  double stalls[5];
  double cpu_stalls[5];
  gsize heap = 0;
  GStatBuf st;
  gint64 start;

  tmp = g_dir_make_tmp ("bench-state-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_STATE_HOME", tmp, TRUE);
  /* g_get_user_state_dir() reads the variable once, before anything else. */
  g_assert_cmpstr (g_get_user_state_dir (), ==, tmp);
  path = g_build_filename (tmp, "mailpeek", "bench.state", NULL);

  /* Save: the first poll of the mailbox, every header fetched. */
  {
    g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("bench");
    g_autoptr(MpMailboxSnapshot) first = make_snapshot (n, TRUE);

    mp_mailbox_state_merge (state, first);
    mp_mailbox_state_mark_all_announced (state);
    start = g_get_monotonic_time ();
    if (!mp_mailbox_state_save (state, &error))
      g_error ("%s", error->message);
    save_ms = ms_since (start);
  }
  g_assert_cmpint (g_stat (path, &st), ==, 0);

  /* Load, best of 5, and the heap a loaded state takes. */
  for (guint run = 0; run < 9; run++)
    {
      gsize before = heap_in_use ();
      g_autoptr(MpMailboxState) state = NULL;
      double ms;

      start = g_get_monotonic_time ();
      state = mp_mailbox_state_load ("bench");
      ms = ms_since (start);
      g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, n);
      best_load = MIN (best_load, ms);
      heap = heap_in_use () - before;
    }

  /* The steady-state cycle of `mailpeek --check` on the state's side. */
  {
    g_autoptr(MpMailboxSnapshot) steady = make_snapshot (n, FALSE);
    g_autoptr(MpMailboxState) state = NULL;
    g_autoptr(GHashTable) known = NULL;
    GStatBuf after;

    start = g_get_monotonic_time ();
    state = mp_mailbox_state_load ("bench");
    known = mp_mailbox_state_dup_known_uids (state);
    mp_mailbox_state_merge (state, steady);
    if (!mp_mailbox_state_save (state, &error))
      g_error ("%s", error->message);
    steady_ms = ms_since (start);
    g_assert_cmpint (g_stat (path, &after), ==, 0);
    g_assert_cmpint (after.st_ino, ==, st.st_ino);
  }

  /* The longest main-loop stall of an asynchronous save that merges with
   * what another process wrote: the worst case, every entry replaced.
   * Five rounds; the median is printed with the worst, since on a shared
   * machine a gap can also be another process taking the CPU.
   */
  for (guint round = 0; round < G_N_ELEMENTS (stalls); round++)
    {
      g_autoptr(MpMailboxState) state = mp_mailbox_state_load ("bench");
      g_autoptr(MpMailboxState) other = mp_mailbox_state_load ("bench");
      g_autoptr(MpMailboxSnapshot) steady = make_snapshot (n, FALSE);
      Stall stall = { 0, 0, 0, 0, 0, NULL };
      guint timer;

      mp_mailbox_state_merge (state, steady);
      for (guint i = round % 2; i < n; i += 2)
        {
          MpMessageInfo *info = g_ptr_array_index (steady->messages, i);

          mp_mailbox_state_mark_announced (other, info->key);
          mp_mailbox_state_mark_seen (other, info->key);
        }
      if (!mp_mailbox_state_save (other, &error))
        g_error ("%s", error->message);
      for (guint i = 1 - round % 2; i < n; i += 2)
        {
          MpMessageInfo *info = g_ptr_array_index (steady->messages, i);

          mp_mailbox_state_mark_seen (state, info->key);
        }

      timer = g_timeout_add (1, tick_cb, &stall);
      /* Let the timer run a few times so the gaps measured are the save's. */
      stall.last = g_get_monotonic_time ();
      while (stall.ticks < 3)
        g_main_context_iteration (NULL, TRUE);
      stall.longest = 0;
      stall.longest_cpu = 0;

      stall.last = g_get_monotonic_time ();
      stall.last_cpu = bench_thread_cpu_usec ();
      mp_mailbox_state_save_async (state, NULL, saved_cb, &stall);
      while (stall.result == NULL)
        g_main_context_iteration (NULL, TRUE);
      /* What is freed after the callback counts too. */
      for (guint target = stall.ticks + 3; stall.ticks < target;)
        g_main_context_iteration (NULL, TRUE);
      g_source_remove (timer);

      if (!mp_mailbox_state_save_finish (state, stall.result, &error))
        g_error ("%s", error->message);
      g_object_unref (stall.result);
      g_assert_false (mp_mailbox_state_is_unseen (state, ((MpMessageInfo *) g_ptr_array_index (steady->messages, 0))->key));
      g_assert_false (mp_mailbox_state_is_unseen (state, ((MpMessageInfo *) g_ptr_array_index (steady->messages, 1))->key));
      stalls[round] = stall.longest / 1000.0;
      cpu_stalls[round] = stall.longest_cpu / 1000.0;
    }
  qsort (stalls, G_N_ELEMENTS (stalls), sizeof (double), compare_doubles);
  qsort (cpu_stalls, G_N_ELEMENTS (cpu_stalls), sizeof (double), compare_doubles);
  stall_ms = stalls[G_N_ELEMENTS (stalls) / 2];

  printf ("seen-state of %u messages (file %.1f MiB):\n", n, st.st_size / (1024.0 * 1024.0));
  printf ("  save (first poll, fsync)        %8.1f ms\n", save_ms);
  printf ("  load (best of 9)                %8.1f ms   %6.1f bytes of heap per message\n",
          best_load, (double) heap / n);
  printf ("  steady cycle (load, known UIDs, merge, save writing nothing)  %.1f ms\n", steady_ms);
  printf ("  longest main-loop stall, async save merging another process's write:\n"
          "    median of 5 rounds %.1f ms, worst %.1f ms  (target < %.0f ms: %s)\n",
          stall_ms, stalls[G_N_ELEMENTS (stalls) - 1], STALL_TARGET_MS,
          stall_ms < STALL_TARGET_MS ? "met" : "MISSED");
  printf ("    main-thread CPU time of the longest stall: median %.1f ms, worst %.1f ms\n",
          cpu_stalls[G_N_ELEMENTS (cpu_stalls) / 2], cpu_stalls[G_N_ELEMENTS (cpu_stalls) - 1]);

  if (g_getenv ("BENCH_STATE_KEEP") == NULL)
    remove_tree (tmp);
  else
    printf ("  kept %s\n", path);
  return 0;
}
