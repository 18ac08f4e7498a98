/* bench-stall.c: the main-loop stall meter of the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <time.h>

#include "bench-stall.h"

static BenchStall *current_stall;

gint64
bench_thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint
timed_poll (GPollFD *fds,
            guint    nfds,
            gint     timeout)
{
  BenchStall *stall = current_stall;
  gint64 now = bench_thread_cpu_usec ();
  gint ret;

  if (stall->poll_returned != 0)
    stall->longest_dispatch = MAX (stall->longest_dispatch, now - stall->poll_returned);
  ret = g_poll (fds, nfds, timeout);
  stall->poll_returned = bench_thread_cpu_usec ();
  return ret;
}

static gboolean
tick_cb (gpointer user_data)
{
  BenchStall *stall = user_data;
  gint64 now = g_get_monotonic_time ();

  if (stall->last_tick != 0)
    stall->longest_gap = MAX (stall->longest_gap, now - stall->last_tick);
  stall->last_tick = now;
  return G_SOURCE_CONTINUE;
}

void
bench_stall_start (BenchStall *stall)
{
  g_assert (current_stall == NULL);

  *stall = (BenchStall) { 0 };
  current_stall = stall;
  stall->last_tick = g_get_monotonic_time ();
  stall->tick_id = g_timeout_add (1, tick_cb, stall);
  g_main_context_set_poll_func (NULL, timed_poll);
}

void
bench_stall_stop (BenchStall *stall)
{
  g_assert (current_stall == stall);

  /* The time from the last tick to the end counts as well. */
  tick_cb (stall);
  g_clear_handle_id (&stall->tick_id, g_source_remove);
  g_main_context_set_poll_func (NULL, NULL);
  current_stall = NULL;
}
