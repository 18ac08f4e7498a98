/* bench-stall.h: the main-loop stall meter of the benchmarks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A 1 ms timer on the default main context records the longest gap
 * between its runs (what a user of the window would feel, wall time),
 * and a poll function the longest main-thread CPU time between two polls
 * of the context (the work done on the main loop itself, apart from what
 * the scheduler gave other processes on a loaded machine). One meter at a
 * time, on the default main context.
 */
typedef struct
{
  guint  tick_id;
  gint64 last_tick;
  gint64 longest_gap;       /* µs */
  gint64 poll_returned;
  gint64 longest_dispatch;  /* µs of main-thread CPU */
} BenchStall;

void   bench_stall_start      (BenchStall *stall);
void   bench_stall_stop       (BenchStall *stall);

/* The CPU time of the calling thread, in µs. */
gint64 bench_thread_cpu_usec  (void);

G_END_DECLS
