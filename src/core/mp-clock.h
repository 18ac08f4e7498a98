/* mp-clock.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MP_TYPE_CLOCK (mp_clock_get_type ())

G_DECLARE_FINAL_TYPE (MpClock, mp_clock, MP, CLOCK, GObject)

/**
 * MpClock:
 *
 * Where the poller's schedule gets its time from, so tests can replace it
 * (like the fake #GNetworkMonitor): mp_clock_new() runs on the main
 * context's timeouts (optionally sped up), mp_clock_new_fake() only moves
 * when the test calls mp_clock_advance(), so "nothing happened in ten
 * minutes" is proved without waiting and cannot fail on a slow machine.
 *
 * Timeouts are one-shot; their ids are never 0.
 */

MpClock   *mp_clock_new              (void);
MpClock   *mp_clock_new_fake         (void);
gboolean   mp_clock_is_fake          (MpClock        *self);
void       mp_clock_set_scale        (MpClock        *self,
                                      double          scale);
GDateTime *mp_clock_dup_now          (MpClock        *self);
guint      mp_clock_add_timeout      (MpClock        *self,
                                      guint           seconds,
                                      GSourceFunc     func,
                                      gpointer        user_data);
void       mp_clock_remove           (MpClock        *self,
                                      guint           id);
void       mp_clock_advance          (MpClock        *self,
                                      guint           seconds);
gboolean   mp_clock_advance_to_next  (MpClock        *self);
guint      mp_clock_get_n_pending    (MpClock        *self);

G_END_DECLS
