/* bench-poll.c: the poll the tray applet makes, timed in-process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-poll HOST PORT CAFILE USER STATE-FILE POLLS
 *
 * Polls one account POLLS times in a row with mp_poll_account_async(), as
 * MpPoller does, keeping the seen-state in memory between polls (the
 * applet loads it once at start). The password comes from
 * MAILPEEK_PASSWORD. Prints one line per poll: its wall time, the
 * messages listed, how many are new, and the TOP commands the session
 * sent. Run by tests/bench/bench-steady.py; not a test.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "mp-account.h"
#include "mp-mailbox-state.h"
#include "mp-poller.h"

typedef struct
{
  GMainLoop    *loop;
  MpPollResult *result;
} Run;

static void
poll_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  run->result = mp_poll_account_finish (result);
  g_main_loop_quit (run->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpAccount) account = NULL;
  g_autoptr(MpMailboxState) state = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  const char *password = g_getenv ("MAILPEEK_PASSWORD");
  guint polls;

  if (argc != 7 || password == NULL)
    {
      g_printerr ("usage: MAILPEEK_PASSWORD=… %s HOST PORT CAFILE USER STATE-FILE POLLS\n", argv[0]);
      return 2;
    }

  mp_headers_init_library ();
  loop = g_main_loop_new (NULL, FALSE);

  account = mp_account_new ("bench");
  mp_account_set_host (account, argv[1]);
  mp_account_set_port (account, atoi (argv[2]));
  mp_account_set_security (account, MP_POP3_SECURITY_TLS);
  mp_account_set_cafile (account, argv[3]);
  mp_account_set_user (account, argv[4]);

  file = g_file_new_for_path (argv[5]);
  state = mp_mailbox_state_load_from_file (file);
  polls = atoi (argv[6]);

  for (guint i = 0; i < polls; i++)
    {
      Run run = { loop, NULL };
      gint64 start = g_get_monotonic_time ();
      double seconds;

      mp_poll_account_async (account, state, password, 60, NULL, poll_cb, &run);
      g_main_loop_run (loop);
      seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

      if (run.result->error != NULL)
        {
          g_printerr ("poll %u failed: %s\n", i + 1, run.result->error->message);
          mp_poll_result_free (run.result);
          return 1;
        }

      printf ("poll %u: %.3f s, %u messages, %u new, TOP sent %u\n",
              i + 1, seconds, run.result->snapshot->messages->len, run.result->n_new,
              run.result->top_sent);
      mp_mailbox_state_mark_all_announced (state);
      mp_poll_result_free (run.result);
    }

  return 0;
}
