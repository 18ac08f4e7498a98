/* bench-download.c: memory and main-loop stalls of a download
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * bench-download [--big-mib N] [--stall-mib N] [--dir DIR]
 *
 * Downloads one big message (200 MiB unless told) from the scripted POP3
 * server, first as an .eml file and then into a Maildir, and prints the
 * peak memory of this process above what it used idle just before (from
 * VmHWM, reset through /proc/self/clear_refs, and VmRSS in
 * /proc/self/status). Then downloads a 20 MiB message while a 1 ms timer
 * on the main loop measures the longest gap between its ticks: the
 * longest the main loop was kept from running (an applet's tray and
 * window would freeze that long), and the CPU time of the longest
 * main-loop iteration (from one poll to the next: the work done on the
 * main thread, apart from what the scheduler takes on a loaded machine). The server runs in a child process so
 * that its copy of the message is not counted. Run by build-aux/bench.sh;
 * not a test. Targets: peak under 16 MiB, stall under 20 ms.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mp-headers.h"
#include "mp-pop3-client.h"
#include "mp-test-server.h"
#include "mp-transfer.h"

#include "bench-stall.h"

#define USER     "bench"
#define PASSWORD "bench-password"

typedef struct
{
  pid_t   pid;
  guint16 port;
  int     keep_alive;
} Server;

static char *
make_message (gsize size)
{
  GString *out = g_string_sized_new (size + 128);

  g_string_append (out, "From: Big Sender <big@example.com>\r\n"
                        "To: bench@example.com\r\n"
                        "Subject: A big message\r\n"
                        "\r\n");
  while (out->len < size)
    g_string_append (out, "0123456789abcdefghijklmnopqrstuvwxyz0123456789"
                          "abcdefghijklmnopqrstuvwxyz\r\n");
  return g_string_free (out, FALSE);
}

/* Forked before this process starts any thread: the child only serves. */
static gboolean
server_spawn (Server *server,
              gsize   message_size)
{
  int port_pipe[2];
  int alive_pipe[2];
  pid_t pid;

  if (pipe (port_pipe) != 0 || pipe (alive_pipe) != 0)
    return FALSE;

  pid = fork ();
  if (pid < 0)
    return FALSE;

  if (pid == 0)
    {
      g_autoptr(MpTestServer) test_server = mp_test_server_new ();
      g_autofree char *message = make_message (message_size);
      g_autoptr(GError) error = NULL;
      guint16 port;
      char c;

      close (port_pipe[0]);
      close (alive_pipe[1]);
      mp_test_server_set_mailbox_mode (test_server, USER, PASSWORD);
      mp_test_server_add_message (test_server, "big-1", message);
      g_clear_pointer (&message, g_free);
      if (!mp_test_server_start (test_server, &error))
        {
          g_printerr ("bench-download: server: %s\n", error->message);
          _exit (1);
        }
      port = mp_test_server_get_port (test_server);
      if (write (port_pipe[1], &port, sizeof port) != sizeof port)
        _exit (1);
      close (port_pipe[1]);

      /* Until the parent goes away. */
      while (read (alive_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }

  close (port_pipe[1]);
  close (alive_pipe[0]);
  server->pid = pid;
  server->keep_alive = alive_pipe[1];
  if (read (port_pipe[0], &server->port, sizeof server->port) != sizeof server->port)
    {
      close (port_pipe[0]);
      return FALSE;
    }
  close (port_pipe[0]);
  return TRUE;
}

static void
server_stop (Server *server)
{
  int status;

  /* The other server's child holds a copy of this pipe too. */
  close (server->keep_alive);
  kill (server->pid, SIGTERM);
  waitpid (server->pid, &status, 0);
}

/* A field of /proc/self/status in KiB, or -1. */
static gint64
status_kib (const char *field)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gsize flen = strlen (field);

  if (!g_file_get_contents ("/proc/self/status", &contents, NULL, NULL))
    return -1;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (strncmp (lines[i], field, flen) == 0 && lines[i][flen] == ':')
        return g_ascii_strtoll (lines[i] + flen + 1, NULL, 10);
    }
  return -1;
}

/* Makes VmHWM start again from the current RSS (Linux 4.0 and later). */
static gboolean
reset_peak (void)
{
  int fd = open ("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, "5", 1) == 1;
  close (fd);
  return ok;
}

typedef struct
{
  GMainLoop *loop;
  GPtrArray *outcomes;
  GError    *error;
} Run;

static void
download_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;

  run->outcomes = mp_download_messages_finish (MP_POP3_CLIENT (object), result, &run->error);
  g_main_loop_quit (run->loop);
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

/* One download; returns the written file's size, or -1. */
static gint64
download (Server          *server,
          const char      *directory,
          MpDownloadFlags  flags,
          gboolean         measure_stall,
          double          *seconds,
          gint64          *longest_gap,
          gint64          *longest_dispatch)
{
  g_autoptr(MpPop3Client) client = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  const char *uids[] = { "big-1", NULL };
  Run run = { loop, NULL, NULL };
  BenchStall stall = { 0 };
  const MpTransferOutcome *outcome;
  gint64 start;
  GStatBuf st;
  gint64 size = -1;

  client = mp_pop3_client_new ("127.0.0.1", server->port, MP_POP3_SECURITY_NONE);
  mp_pop3_client_set_timeout (client, 60);

  if (measure_stall)
    bench_stall_start (&stall);
  start = g_get_monotonic_time ();
  mp_download_messages_async (client, USER, PASSWORD, MP_POP3_AUTH_USER, uids, directory,
                              flags, NULL, download_cb, &run);
  g_main_loop_run (loop);
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  if (measure_stall)
    bench_stall_stop (&stall);
  *longest_gap = stall.longest_gap;
  *longest_dispatch = stall.longest_dispatch;

  if (run.error != NULL)
    {
      g_printerr ("bench-download: %s\n", run.error->message);
      g_clear_error (&run.error);
      return -1;
    }
  outcome = g_ptr_array_index (run.outcomes, 0);
  if (outcome->error != NULL)
    g_printerr ("bench-download: %s\n", outcome->error->message);
  else if (g_stat (outcome->path, &st) == 0)
    size = st.st_size;
  g_ptr_array_unref (run.outcomes);
  return size;
}

int
main (int   argc,
      char *argv[])
{
  gint64 big_mib = 200;
  gint64 stall_mib = 20;
  g_autofree char *base = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "big-mib", 0, 0, G_OPTION_ARG_INT64, &big_mib, "Size of the memory run's message", "MIB" },
    { "stall-mib", 0, 0, G_OPTION_ARG_INT64, &stall_mib, "Size of the stall run's message", "MIB" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &base, "Where to download (a fresh folder in it)", "DIR" },
    { NULL }
  };
  Server big = { 0 };
  Server small = { 0 };
  g_autofree char *work = NULL;
  int status = 0;

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-download: %s\n", error->message);
      return 2;
    }

  /* Both servers before the first GLib thread of this process. */
  if (!server_spawn (&big, (gsize) big_mib * 1024 * 1024) ||
      !server_spawn (&small, (gsize) stall_mib * 1024 * 1024))
    {
      g_printerr ("bench-download: could not start the scripted server\n");
      return 1;
    }

  mp_headers_init_library ();
  if (base != NULL)
    {
      g_autofree char *template = g_build_filename (base, "bench-download-XXXXXX", NULL);

      work = g_mkdtemp (g_steal_pointer (&template));
    }
  else
    work = g_dir_make_tmp ("bench-download-XXXXXX", NULL);
  if (work == NULL)
    {
      g_printerr ("bench-download: no folder to download into\n");
      return 1;
    }

  g_print ("Download of one %" G_GINT64_FORMAT " MiB message from the scripted server "
           "(loopback), into %s:\n", big_mib, work);

  for (guint round = 0; round < 2; round++)
    {
      MpDownloadFlags flags = round == 0 ? MP_DOWNLOAD_NONE : MP_DOWNLOAD_MAILDIR;
      g_autofree char *dir = g_build_filename (work, round == 0 ? "eml" : "Maildir", NULL);
      gint64 idle, peak, anon, size, gap, dispatch;
      double seconds;

      idle = status_kib ("VmRSS");
      if (!reset_peak ())
        g_print ("  (could not reset VmHWM: the peak includes earlier runs)\n");
      size = download (&big, dir, flags, FALSE, &seconds, &gap, &dispatch);
      peak = status_kib ("VmHWM");
      anon = status_kib ("RssAnon");
      if (size < 0)
        {
          status = 1;
          continue;
        }
      g_print ("  %-8s %6.2f s, %7.1f MiB/s, peak memory above idle %7.1f MiB "
               "(VmHWM %" G_GINT64_FORMAT " KiB, idle VmRSS %" G_GINT64_FORMAT " KiB, "
               "RssAnon after %" G_GINT64_FORMAT " KiB)  target < 16 MiB%s\n",
               round == 0 ? ".eml" : "Maildir", seconds,
               size / (1024.0 * 1024.0) / seconds, (peak - idle) / 1024.0,
               peak, idle, anon, (peak - idle) < 16 * 1024 ? "" : "  MISSED");
      remove_tree (dir);
    }

  g_print ("Longest main-loop stall (gap between ticks of a 1 ms timer) during the "
           "download of a %" G_GINT64_FORMAT " MiB message:\n", stall_mib);
  for (guint round = 0; round < 2; round++)
    {
      MpDownloadFlags flags = round == 0 ? MP_DOWNLOAD_NONE : MP_DOWNLOAD_MAILDIR;
      g_autofree char *dir = g_build_filename (work, round == 0 ? "eml" : "Maildir", NULL);
      gint64 size, gap, dispatch;
      double seconds;

      size = download (&small, dir, flags, TRUE, &seconds, &gap, &dispatch);
      if (size < 0)
        {
          status = 1;
          continue;
        }
      g_print ("  %-8s %6.2f s, longest stall %6.1f ms  target < 20 ms%s  "
               "(longest main-loop iteration %.1f ms of CPU)\n",
               round == 0 ? ".eml" : "Maildir", seconds, gap / 1000.0,
               gap < 20 * 1000 ? "" : "  MISSED", dispatch / 1000.0);
      remove_tree (dir);
    }

  remove_tree (work);
  server_stop (&big);
  server_stop (&small);
  return status;
}
