/* bench-first-poll.c: main-loop stalls of the applet's first poll
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-first-poll [--preload-tls] HOST PORT CAFILE USER MESSAGES
 *
 * Polls one account over implicit TLS the way the tray applet does, in
 * this process through an MpPoller and its MpMailbox
 * (mp_mailbox_check_async()), with the seen-state under
 * $XDG_STATE_HOME (the caller gives an empty one, so the first poll
 * fetches and decodes every header). The password comes from
 * MAILPEEK_PASSWORD.
 *
 * Three polls: the first (no seen-state), then, after every message was
 * marked announced as the notifier does, the second (which also saves the
 * marks' effect) and the steady third of the unchanged mailbox. For each
 * it prints the wall time, the messages listed, those announced by
 * ::messages-arrived, the TOP commands sent, and the longest stall of the
 * main loop: the longest gap between two runs of a 1 ms timer (wall
 * time; on a loaded machine it also holds what the scheduler gave other
 * processes) and the longest main-thread CPU time between two polls of
 * the main context (the work this process did in one main-loop
 * iteration). Target: under 20 ms. Run by tests/bench/bench-first-poll.py;
 * not a test. Exits 1 if a poll fails or counts come out wrong.
 *
 * The process's first TLS connection makes GLib load the system's trust
 * store (g_tls_backend_get_default_database(), even with a CA file of the
 * account's own) on the main loop; with --preload-tls that is done in a
 * thread before the first poll, to show what the poll itself costs.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mp-account.h"
#include "mp-mailbox.h"
#include "mp-poller.h"

#include "bench-stall.h"

#define STALL_TARGET_MS 20.0

typedef struct
{
  GMainLoop    *loop;
  GAsyncResult *result;
  guint         arrived;
  guint         emissions;
} Run;

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  run->result = g_object_ref (result);
  g_main_loop_quit (run->loop);
}

static void
arrived_cb (MpMailbox *mailbox,
            GPtrArray *messages,
            Run       *run)
{
  run->arrived += messages->len;
  run->emissions++;
}

static void
preload_tls_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  g_autoptr(GTlsDatabase) database = g_tls_backend_get_default_database (g_tls_backend_get_default ());

  g_task_return_boolean (task, database != NULL);
}

static void
preload_tls (GMainLoop *loop)
{
  g_autoptr(GTask) task = NULL;
  Run run = { loop, NULL, 0, 0 };

  task = g_task_new (NULL, NULL, done_cb, &run);
  g_task_run_in_thread (task, preload_tls_thread);
  g_main_loop_run (loop);
  g_object_unref (run.result);
}

static char *
password_func (MpAccount *account,
               gpointer   user_data)
{
  return g_strdup (user_data);
}

static gboolean
poll_once (MpPoller   *poller,
           MpMailbox  *mailbox,
           MpAccount  *account,
           guint       index,
           const char *label,
           GMainLoop  *loop,
           guint       expect_arrived,
           double     *stall_ms)
{
  g_autoptr(GError) error = NULL;
  const MpPollResult *last;
  Run run = { loop, NULL, 0, 0 };
  BenchStall stall;
  gulong arrived_id;
  gint64 start;
  double seconds;

  arrived_id = g_signal_connect (mailbox, "messages-arrived", G_CALLBACK (arrived_cb), &run);
  bench_stall_start (&stall);
  start = g_get_monotonic_time ();
  mp_mailbox_check_async (mailbox, NULL, done_cb, &run);
  g_main_loop_run (loop);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  bench_stall_stop (&stall);
  g_signal_handler_disconnect (mailbox, arrived_id);

  if (!mp_mailbox_check_finish (mailbox, run.result, &error))
    {
      g_printerr ("bench-first-poll: poll %u failed: %s\n", index, error->message);
      g_object_unref (run.result);
      return FALSE;
    }
  g_object_unref (run.result);

  last = mp_poller_get_last_result (poller, account);
  printf ("poll %u (%s): %.3f s, %u messages, %u announced in %u signal(s), TOP sent %u, "
          "longest stall %.1f ms (main-thread CPU in one iteration %.1f ms), target < %.0f ms%s\n",
          index, label, seconds, mp_mailbox_get_n_messages (mailbox), run.arrived,
          run.emissions, last ? last->top_sent : 0,
          stall.longest_gap / 1000.0, stall.longest_dispatch / 1000.0, STALL_TARGET_MS,
          stall.longest_gap / 1000.0 < STALL_TARGET_MS ? "" : "  MISSED");
  fflush (stdout);
  *stall_ms = stall.longest_gap / 1000.0;

  if (run.arrived != expect_arrived || run.emissions != (expect_arrived > 0 ? 1u : 0u))
    {
      g_printerr ("bench-first-poll: poll %u announced %u messages in %u signals, not %u\n",
                  index, run.arrived, run.emissions, expect_arrived);
      return FALSE;
    }
  return TRUE;
}

static void
mark_all_announced (MpMailbox *mailbox,
                    GMainLoop *loop)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (mailbox));
  Run run = { loop, NULL, 0, 0 };

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(MpMessage) message = g_list_model_get_item (G_LIST_MODEL (mailbox), i);

      /* The key is owned by the message, which the mailbox keeps. */
      g_ptr_array_add (keys, (gpointer) mp_message_get_key (message));
    }
  g_ptr_array_add (keys, NULL);

  mp_mailbox_mark_announced_async (mailbox, (const char * const *) keys->pdata, NULL,
                                   done_cb, &run);
  g_main_loop_run (loop);
  if (!mp_mailbox_mark_announced_finish (mailbox, run.result, &error))
    g_printerr ("bench-first-poll: marking failed: %s\n", error->message);
  g_object_unref (run.result);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpAccount) account = NULL;
  g_autoptr(MpPoller) poller = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const char *password = g_getenv ("MAILPEEK_PASSWORD");
  MpMailbox *mailbox;
  guint n;
  double first = 0, second = 0, third = 0;
  gboolean preload = FALSE;

  if (argc > 1 && g_str_equal (argv[1], "--preload-tls"))
    {
      preload = TRUE;
      argv++;
      argc--;
    }
  if (argc != 6 || password == NULL)
    {
      g_printerr ("usage: MAILPEEK_PASSWORD=… %s [--preload-tls] HOST PORT CAFILE USER MESSAGES\n",
                  argv[0]);
      return 2;
    }
  n = atoi (argv[5]);

  mp_headers_init_library ();
  loop = g_main_loop_new (NULL, FALSE);

  account = mp_account_new ("bench-first-poll");
  mp_account_set_host (account, argv[1]);
  mp_account_set_port (account, atoi (argv[2]));
  mp_account_set_security (account, MP_POP3_SECURITY_TLS);
  mp_account_set_cafile (account, argv[3]);
  mp_account_set_user (account, argv[4]);

  poller = mp_poller_new ();
  mp_poller_set_network_monitor (poller, NULL);
  mp_poller_set_scheduling (poller, FALSE);
  mp_poller_set_session_timeout (poller, 120);
  mp_poller_set_password_func (poller, password_func, (gpointer) password);
  mailbox = mp_poller_add_account (poller, account);
  if (preload)
    preload_tls (loop);

  if (!poll_once (poller, mailbox, account, 1, "first, no seen-state", loop, n, &first))
    return 1;
  if (mp_mailbox_get_n_messages (mailbox) != n)
    {
      g_printerr ("bench-first-poll: %u messages listed, not %u\n",
                  mp_mailbox_get_n_messages (mailbox), n);
      return 1;
    }

  mark_all_announced (mailbox, loop);
  if (!poll_once (poller, mailbox, account, 2, "second", loop, 0, &second) ||
      !poll_once (poller, mailbox, account, 3, "steady", loop, 0, &third))
    return 1;

  printf ("longest stall: first poll %.1f ms, steady poll %.1f ms (target < %.0f ms): %s\n",
          first, third, STALL_TARGET_MS,
          first < STALL_TARGET_MS && third < STALL_TARGET_MS ? "met" : "NOT met");
  return 0;
}
