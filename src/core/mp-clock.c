/* mp-clock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-clock"

#include "config.h"

#include "mp-clock.h"

typedef struct
{
  guint       id;
  gint64      due;        /* fake: seconds since the fake epoch */
  guint       source_id;  /* real: the GSource */
  GSourceFunc func;
  gpointer    user_data;
  MpClock    *clock;
} Timeout;

struct _MpClock
{
  GObject     parent_instance;

  gboolean    fake;
  double      scale;
  guint       last_id;
  GHashTable *timeouts;   /* id → Timeout */
  /* fake only */
  GDateTime  *epoch;
  gint64      now;
};

G_DEFINE_FINAL_TYPE (MpClock, mp_clock, G_TYPE_OBJECT)

static void
timeout_free (Timeout *timeout)
{
  g_clear_handle_id (&timeout->source_id, g_source_remove);
  g_free (timeout);
}

static void
mp_clock_dispose (GObject *object)
{
  MpClock *self = (MpClock *)object;

  g_hash_table_remove_all (self->timeouts);

  G_OBJECT_CLASS (mp_clock_parent_class)->dispose (object);
}

static void
mp_clock_finalize (GObject *object)
{
  MpClock *self = (MpClock *)object;

  g_clear_pointer (&self->timeouts, g_hash_table_unref);
  g_clear_pointer (&self->epoch, g_date_time_unref);

  G_OBJECT_CLASS (mp_clock_parent_class)->finalize (object);
}

static void
mp_clock_class_init (MpClockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_clock_dispose;
  object_class->finalize = mp_clock_finalize;
}

static void
mp_clock_init (MpClock *self)
{
  self->scale = 1.0;
  self->timeouts = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) timeout_free);
}

/**
 * mp_clock_new:
 *
 * Returns: (transfer full): a clock on the main context's timeouts
 */
MpClock *
mp_clock_new (void)
{
  return g_object_new (MP_TYPE_CLOCK, NULL);
}

/**
 * mp_clock_new_fake:
 *
 * Returns: (transfer full): a clock that stands still until
 *   mp_clock_advance(); its wall time starts at the real time of creation
 */
MpClock *
mp_clock_new_fake (void)
{
  MpClock *self = g_object_new (MP_TYPE_CLOCK, NULL);

  self->fake = TRUE;
  self->epoch = g_date_time_new_now_utc ();
  return self;
}

gboolean
mp_clock_is_fake (MpClock *self)
{
  g_return_val_if_fail (MP_IS_CLOCK (self), FALSE);
  return self->fake;
}

/**
 * mp_clock_set_scale:
 * @scale: how much faster than real time timeouts of a real clock run
 *   (1000: a minute passes in 60 ms)
 */
void
mp_clock_set_scale (MpClock *self,
                    double   scale)
{
  g_return_if_fail (MP_IS_CLOCK (self));
  g_return_if_fail (scale > 0);

  self->scale = scale;
}

/**
 * mp_clock_dup_now:
 *
 * Returns: (transfer full): the current wall time (UTC)
 */
GDateTime *
mp_clock_dup_now (MpClock *self)
{
  g_return_val_if_fail (MP_IS_CLOCK (self), NULL);

  if (self->fake)
    return g_date_time_add_seconds (self->epoch, (double) self->now);
  return g_date_time_new_now_utc ();
}

static gboolean
real_timeout_cb (gpointer data)
{
  Timeout *timeout = data;
  MpClock *self = timeout->clock;
  GSourceFunc func = timeout->func;
  gpointer user_data = timeout->user_data;

  /* One-shot: forget it before the callback, which may add another. */
  timeout->source_id = 0;
  g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (timeout->id));
  func (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * mp_clock_add_timeout:
 * @func: called once, @seconds from now; its return value is ignored
 *
 * Returns: an id for mp_clock_remove(), never 0
 */
guint
mp_clock_add_timeout (MpClock     *self,
                      guint        seconds,
                      GSourceFunc  func,
                      gpointer     user_data)
{
  Timeout *timeout;

  g_return_val_if_fail (MP_IS_CLOCK (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  timeout = g_new0 (Timeout, 1);
  timeout->id = ++self->last_id;
  if (timeout->id == 0)
    timeout->id = ++self->last_id;
  timeout->func = func;
  timeout->user_data = user_data;
  timeout->clock = self;

  if (self->fake)
    timeout->due = self->now + seconds;
  else
    {
      double ms = seconds * 1000.0 / self->scale;

      timeout->source_id = g_timeout_add (MIN (ms, (double) G_MAXUINT), real_timeout_cb, timeout);
    }

  g_hash_table_insert (self->timeouts, GUINT_TO_POINTER (timeout->id), timeout);
  return timeout->id;
}

void
mp_clock_remove (MpClock *self,
                 guint    id)
{
  g_return_if_fail (MP_IS_CLOCK (self));

  g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (id));
}

static Timeout *
earliest (MpClock *self)
{
  GHashTableIter iter;
  Timeout *timeout, *best = NULL;

  g_hash_table_iter_init (&iter, self->timeouts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &timeout))
    {
      if (best == NULL || timeout->due < best->due ||
          (timeout->due == best->due && timeout->id < best->id))
        best = timeout;
    }
  return best;
}

static void
fire (MpClock *self,
      Timeout *timeout)
{
  GSourceFunc func = timeout->func;
  gpointer user_data = timeout->user_data;

  g_hash_table_remove (self->timeouts, GUINT_TO_POINTER (timeout->id));
  func (user_data);
}

/**
 * mp_clock_advance:
 *
 * Moves a fake clock forward by @seconds and runs, in order of their due
 * time, the timeouts that came due (also those their callbacks add within
 * the span), before it returns.
 */
void
mp_clock_advance (MpClock *self,
                  guint    seconds)
{
  gint64 target;
  Timeout *timeout;

  g_return_if_fail (MP_IS_CLOCK (self));
  g_return_if_fail (self->fake);

  target = self->now + seconds;
  g_object_ref (self);
  while ((timeout = earliest (self)) != NULL && timeout->due <= target)
    {
      self->now = MAX (self->now, timeout->due);
      fire (self, timeout);
    }
  self->now = target;
  g_object_unref (self);
}

/**
 * mp_clock_advance_to_next:
 *
 * Moves a fake clock to the earliest pending timeout and runs it (and any
 * other due at the same time).
 *
 * Returns: %FALSE if no timeout was pending
 */
gboolean
mp_clock_advance_to_next (MpClock *self)
{
  Timeout *timeout;

  g_return_val_if_fail (MP_IS_CLOCK (self), FALSE);
  g_return_val_if_fail (self->fake, FALSE);

  timeout = earliest (self);
  if (timeout == NULL)
    return FALSE;
  mp_clock_advance (self, (guint) MAX (timeout->due - self->now, 0));
  return TRUE;
}

guint
mp_clock_get_n_pending (MpClock *self)
{
  g_return_val_if_fail (MP_IS_CLOCK (self), 0);
  return g_hash_table_size (self->timeouts);
}
