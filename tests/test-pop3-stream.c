/* test-pop3-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mp_pop3_client_retr_to_stream_async() against the in-process test
 * server: a 20 MiB message arrives in a slow stream byte for byte, while
 * the engine holds no more than a few chunks of it; a stream that fails
 * leaves the session usable. Every wait has a guard timeout.
 */

#define G_LOG_DOMAIN "test-pop3-stream"

#include <string.h>

#include "mp-pop3-client.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_SECONDS 60
#define USER          "alice"
#define PASSWORD      "secret"
#define BIG_SIZE      (20 * 1024 * 1024)
/* What the engine may hold of a streamed reply: its 64 KiB write, one
 * 32 KiB read and a line, with room to spare; far below the message. */
#define MAX_HELD      (256 * 1024)

/* ---- a slow output stream that checks what it gets -------------------- */

#define TEST_TYPE_SINK (test_sink_get_type ())
G_DECLARE_FINAL_TYPE (TestSink, test_sink, TEST, SINK, GOutputStream)

struct _TestSink
{
  GOutputStream  parent_instance;
  GChecksum     *checksum;
  guint64        n_bytes;
  gsize          max_write;
  guint          n_writes;
  /* Each write completes this much later: slower than the server. */
  guint          delay_msec;
  /* Fail the write that would go past this many bytes (0: never). */
  guint64        fail_after;
};

G_DEFINE_FINAL_TYPE (TestSink, test_sink, G_TYPE_OUTPUT_STREAM)

static gssize
test_sink_take (TestSink      *self,
                const void    *buffer,
                gsize          count,
                GError       **error)
{
  if (self->fail_after != 0 && self->n_bytes + count > self->fail_after)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "No space left on device");
      return -1;
    }

  g_checksum_update (self->checksum, buffer, count);
  self->n_bytes += count;
  self->n_writes++;
  self->max_write = MAX (self->max_write, count);
  return count;
}

static gssize
test_sink_write_fn (GOutputStream  *stream,
                    const void     *buffer,
                    gsize           count,
                    GCancellable   *cancellable,
                    GError        **error)
{
  return test_sink_take (TEST_SINK (stream), buffer, count, error);
}

static gboolean
complete_write_cb (gpointer user_data)
{
  GTask *task = user_data;
  gssize n = GPOINTER_TO_SIZE (g_task_get_task_data (task));

  g_task_return_int (task, n);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
test_sink_write_async (GOutputStream       *stream,
                       const void          *buffer,
                       gsize                count,
                       int                  io_priority,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  TestSink *self = TEST_SINK (stream);
  GTask *task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;
  gssize n = test_sink_take (self, buffer, count, &error);

  if (n < 0)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  g_task_set_task_data (task, GSIZE_TO_POINTER (n), NULL);
  if (self->delay_msec > 0)
    g_timeout_add (self->delay_msec, complete_write_cb, task);
  else
    g_idle_add (complete_write_cb, task);
}

static gssize
test_sink_write_finish (GOutputStream  *stream,
                        GAsyncResult   *result,
                        GError        **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

static void
test_sink_finalize (GObject *object)
{
  TestSink *self = TEST_SINK (object);

  g_checksum_free (self->checksum);
  G_OBJECT_CLASS (test_sink_parent_class)->finalize (object);
}

static void
test_sink_class_init (TestSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS (klass);

  object_class->finalize = test_sink_finalize;
  stream_class->write_fn = test_sink_write_fn;
  stream_class->write_async = test_sink_write_async;
  stream_class->write_finish = test_sink_write_finish;
}

static void
test_sink_init (TestSink *self)
{
  self->checksum = g_checksum_new (G_CHECKSUM_SHA256);
}

/* ---- helpers ----------------------------------------------------------- */

typedef struct
{
  guint64 last;
  guint   n_calls;
  gboolean monotonic;
} Progress;

static void
progress_cb (guint64  n_bytes,
             gpointer user_data)
{
  Progress *progress = user_data;

  if (n_bytes <= progress->last)
    progress->monotonic = FALSE;
  progress->last = n_bytes;
  progress->n_calls++;
}

static gboolean
do_retr_to_stream (MpPop3Client   *client,
                   guint           number,
                   gsize           max_bytes,
                   GOutputStream  *out,
                   Progress       *progress,
                   guint64        *n_bytes,
                   GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_pop3_client_retr_to_stream_async (client, number, max_bytes, out,
                                       progress ? progress_cb : NULL, progress,
                                       NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_pop3_client_retr_to_stream_finish (client, result, n_bytes, error);
}

static gboolean
do_connect_login (MpPop3Client  *client,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_pop3_client_open_async (client, USER, PASSWORD, MP_POP3_AUTH_USER, NULL,
                             mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_pop3_client_open_finish (client, result, error);
}

static gboolean
do_noop (MpPop3Client  *client,
         GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mp_pop3_client_noop_async (client, NULL, mp_test_result_cb, &result);
  mp_test_await (&result, GUARD_SECONDS);
  return mp_pop3_client_noop_finish (client, result, error);
}

/* A message of about @size bytes, CRLF line ends, with lines that the
 * server must dot-stuff (a lone "." among them). */
static char *
make_message (gsize size)
{
  GString *s = g_string_new ("From: Big <big@example.org>\r\n"
                             "Subject: twenty mebibytes\r\n"
                             "\r\n"
                             ".\r\n");

  for (guint i = 0; s->len < size; i++)
    g_string_append_printf (s, "%s%07u abcdefghijklmnopqrstuvwxyz0123456789 the quick brown fox\r\n",
                            i % 10 == 0 ? "." : "", i);
  g_string_append (s, "..\r\nlast line\r\n");
  return g_string_free (s, FALSE);
}

static MpTestServer *
server_with (const char *first,
             const char *second)
{
  MpTestServer *server = mp_test_server_new ();
  g_autoptr(GError) error = NULL;

  mp_test_server_set_mailbox_mode (server, USER, PASSWORD);
  mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
  mp_test_server_add_message (server, "uid-1", first);
  if (second != NULL)
    mp_test_server_add_message (server, "uid-2", second);
  mp_test_server_start (server, &error);
  g_assert_no_error (error);
  return server;
}

static MpPop3Client *
logged_in (MpTestServer *server)
{
  MpPop3Client *client = mp_pop3_client_new ("127.0.0.1", mp_test_server_get_port (server),
                                             MP_POP3_SECURITY_NONE);
  g_autoptr(GError) error = NULL;

  mp_pop3_client_set_timeout (client, 20);
  g_assert_true (do_connect_login (client, &error));
  g_assert_no_error (error);
  return client;
}

/* ---- tests ------------------------------------------------------------- */

static void
test_big_message (gconstpointer data)
{
  guint delay_msec = GPOINTER_TO_UINT (data);
  g_autofree char *message = make_message (BIG_SIZE);
  g_autoptr(MpTestServer) server = server_with (message, NULL);
  g_autoptr(MpPop3Client) client = logged_in (server);
  g_autoptr(TestSink) sink = g_object_new (TEST_TYPE_SINK, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  Progress progress = { 0, 0, TRUE };
  guint64 n_bytes = 0;

  sink->delay_msec = delay_msec;
  g_assert_true (do_retr_to_stream (client, 1, BIG_SIZE + 1024 * 1024, G_OUTPUT_STREAM (sink),
                                    &progress, &n_bytes, &error));
  g_assert_no_error (error);

  /* Byte for byte what the server holds, dot-stuffing undone. */
  g_assert_cmpuint (n_bytes, ==, strlen (message));
  g_assert_cmpuint (sink->n_bytes, ==, strlen (message));
  expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, message, -1);
  g_assert_cmpstr (g_checksum_get_string (sink->checksum), ==, expected);

  /* Handed on in pieces, never held whole. */
  g_test_message ("%u writes, largest %" G_GSIZE_FORMAT ", most held %" G_GSIZE_FORMAT,
                  sink->n_writes, sink->max_write, mp_pop3_client_get_max_buffered (client));
  g_assert_cmpuint (sink->n_writes, >, 100);
  g_assert_cmpuint (sink->max_write, <=, 128 * 1024);
  g_assert_cmpuint (mp_pop3_client_get_max_buffered (client), <=, MAX_HELD);

  g_assert_true (progress.monotonic);
  g_assert_cmpuint (progress.n_calls, ==, sink->n_writes);
  g_assert_cmpuint (progress.last, ==, n_bytes);

  g_assert_true (do_noop (client, &error));
  g_assert_no_error (error);
}

/* The stream fails: the rest of the message is read and dropped, the
 * session goes on. */
static void
test_sink_fails (void)
{
  g_autofree char *message = make_message (2 * 1024 * 1024);
  const char *small = "Subject: small\r\n\r\nbody\r\n";
  g_autoptr(MpTestServer) server = server_with (message, small);
  g_autoptr(MpPop3Client) client = logged_in (server);
  g_autoptr(TestSink) failing = g_object_new (TEST_TYPE_SINK, NULL);
  g_autoptr(TestSink) good = g_object_new (TEST_TYPE_SINK, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;
  guint64 n_bytes = 0;

  failing->fail_after = 1024 * 1024;
  g_assert_false (do_retr_to_stream (client, 1, 4 * 1024 * 1024, G_OUTPUT_STREAM (failing),
                                     NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpuint (failing->n_bytes, <=, 1024 * 1024);
  g_clear_error (&error);

  g_assert_true (mp_pop3_client_is_connected (client));
  g_assert_true (do_retr_to_stream (client, 2, 1024 * 1024, G_OUTPUT_STREAM (good),
                                    NULL, &n_bytes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_bytes, ==, strlen (small));
  expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, small, -1);
  g_assert_cmpstr (g_checksum_get_string (good->checksum), ==, expected);
}

static void
test_refused (void)
{
  g_autoptr(MpTestServer) server = server_with ("Subject: one\r\n\r\nbody\r\n", NULL);
  g_autoptr(MpPop3Client) client = logged_in (server);
  g_autoptr(TestSink) sink = g_object_new (TEST_TYPE_SINK, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (do_retr_to_stream (client, 7, 1024, G_OUTPUT_STREAM (sink), NULL, NULL, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_FAILED);
  g_assert_cmpuint (sink->n_bytes, ==, 0);
  g_clear_error (&error);
  g_assert_true (do_noop (client, &error));
}

/* A message larger than the caller allowed ends the session. */
static void
test_too_large (void)
{
  g_autofree char *message = make_message (1024 * 1024);
  g_autoptr(MpTestServer) server = server_with (message, NULL);
  g_autoptr(MpPop3Client) client = logged_in (server);
  g_autoptr(TestSink) sink = g_object_new (TEST_TYPE_SINK, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (do_retr_to_stream (client, 1, 256 * 1024, G_OUTPUT_STREAM (sink),
                                     NULL, NULL, &error));
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE);
  g_assert_cmpuint (sink->n_bytes, <=, 256 * 1024);
  g_assert_false (mp_pop3_client_is_connected (client));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_data_func ("/pop3/stream/big-slow-sink", GUINT_TO_POINTER (1), test_big_message);
  g_test_add_data_func ("/pop3/stream/big-fast-sink", GUINT_TO_POINTER (0), test_big_message);
  g_test_add_func ("/pop3/stream/sink-fails", test_sink_fails);
  g_test_add_func ("/pop3/stream/refused", test_refused);
  g_test_add_func ("/pop3/stream/too-large", test_too_large);

  return mp_test_shutdown (g_test_run ());
}
