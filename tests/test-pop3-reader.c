/* test-pop3-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The push parser on its own: line ends, limits, dot-stuffing, and that
 * the way bytes are cut into chunks never changes the result.
 */

#define G_LOG_DOMAIN "test-pop3-reader"

#include <string.h>

#include "mp-pop3-error.h"
#include "mp-pop3-reader.h"

static void
feed (MpPop3Reader *reader,
      const char   *text)
{
  mp_pop3_reader_feed (reader, (const guint8 *) text, strlen (text));
}

static char *
expect_status (MpPop3Reader *reader)
{
  g_autoptr(GError) error = NULL;
  char *line = NULL;

  g_assert_cmpint (mp_pop3_reader_read_status (reader, &line, &error), ==, MP_POP3_READ_DONE);
  g_assert_no_error (error);
  g_assert_nonnull (line);

  return line;
}

static void
assert_status (MpPop3Reader *reader,
               const char   *expected)
{
  g_autofree char *line = expect_status (reader);

  g_assert_cmpstr (line, ==, expected);
}

static void
assert_status_need_more (MpPop3Reader *reader)
{
  g_autoptr(GError) error = NULL;
  char *line = NULL;

  g_assert_cmpint (mp_pop3_reader_read_status (reader, &line, &error), ==, MP_POP3_READ_NEED_MORE);
  g_assert_no_error (error);
  g_assert_null (line);
}

static void
assert_data (MpPop3Reader *reader,
             gsize         max_bytes,
             const char   *expected)
{
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, max_bytes, &error), ==, MP_POP3_READ_DONE);
  g_assert_no_error (error);
  text = sink->len ? g_strndup ((const char *) sink->data, sink->len) : g_strdup ("");
  g_assert_cmpuint (sink->len, ==, strlen (expected));
  g_assert_cmpstr (text, ==, expected);
}

static void
test_status_crlf (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, "+OK POP3 ready <1.2@host>\r\n");
  assert_status (reader, "+OK POP3 ready <1.2@host>");
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 0);
  assert_status_need_more (reader);
}

static void
test_status_bare_lf (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, "+OK one\n-ERR two\n+OK three\r\n");
  assert_status (reader, "+OK one");
  assert_status (reader, "-ERR two");
  assert_status (reader, "+OK three");
  assert_status_need_more (reader);
}

static void
test_status_partial (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  assert_status_need_more (reader);
  feed (reader, "+OK hel");
  assert_status_need_more (reader);
  feed (reader, "lo\r");
  assert_status_need_more (reader);
  feed (reader, "\n+OK");
  assert_status (reader, "+OK hello");
  assert_status_need_more (reader);
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 3);
}

static char *
line_of (gsize len)
{
  char *line = g_malloc (len + 3);

  memcpy (line, "+OK", MIN (len, 3));
  if (len > 3)
    memset (line + 3, 'x', len - 3);
  memcpy (line + len, "\r\n", 3);

  return line;
}

static void
test_status_limit (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autofree char *longest = line_of (MP_POP3_MAX_STATUS_LINE);
  g_autofree char *too_long = line_of (MP_POP3_MAX_STATUS_LINE + 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *got = NULL;
  char *line = NULL;

  /* Exactly at the limit is fine. */
  feed (reader, longest);
  got = expect_status (reader);
  g_assert_cmpuint (strlen (got), ==, MP_POP3_MAX_STATUS_LINE);

  /* One octet more is not, even though the line is complete. */
  feed (reader, too_long);
  g_assert_cmpint (mp_pop3_reader_read_status (reader, &line, &error), ==, MP_POP3_READ_ERROR);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG);
  g_assert_null (line);
}

/* An endless line must fail as soon as it is too long, not when (if ever)
 * its LF arrives: otherwise a hostile server fills our memory.
 */
static void
test_status_endless (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GError) error = NULL;
  MpPop3ReadResult res = MP_POP3_READ_NEED_MORE;
  char chunk[256];
  gsize fed = 0;
  char *line = NULL;

  memset (chunk, 'x', sizeof chunk);
  feed (reader, "+OK ");
  while (fed < 16 * MP_POP3_MAX_STATUS_LINE)
    {
      mp_pop3_reader_feed (reader, (const guint8 *) chunk, sizeof chunk);
      fed += sizeof chunk;
      res = mp_pop3_reader_read_status (reader, &line, &error);
      if (res != MP_POP3_READ_NEED_MORE)
        break;
    }

  g_assert_cmpint (res, ==, MP_POP3_READ_ERROR);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG);
  g_assert_null (line);
  g_assert_cmpuint (fed, <=, MP_POP3_MAX_STATUS_LINE + sizeof chunk);
}

/* The limit must not depend on how the line was cut: a line of exactly
 * the maximum length whose CR and LF arrive separately is still fine.
 */
static void
test_status_limit_bytewise (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autofree char *longest = line_of (MP_POP3_MAX_STATUS_LINE);
  gsize len = strlen (longest);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  MpPop3ReadResult res = MP_POP3_READ_NEED_MORE;

  for (gsize i = 0; i < len; i++)
    {
      mp_pop3_reader_feed (reader, (const guint8 *) longest + i, 1);
      res = mp_pop3_reader_read_status (reader, &line, &error);
      if (i + 1 < len)
        {
          g_assert_no_error (error);
          g_assert_cmpint (res, ==, MP_POP3_READ_NEED_MORE);
        }
    }

  g_assert_no_error (error);
  g_assert_cmpint (res, ==, MP_POP3_READ_DONE);
  g_assert_cmpuint (strlen (line), ==, MP_POP3_MAX_STATUS_LINE);
}

static void
test_status_nul (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GError) error = NULL;
  char *line = NULL;

  mp_pop3_reader_feed (reader, (const guint8 *) "+OK a\0b\r\n", 9);
  g_assert_cmpint (mp_pop3_reader_read_status (reader, &line, &error), ==, MP_POP3_READ_ERROR);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
  g_assert_null (line);
}

static void
test_data_basic (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, "+OK 3 octets\r\nSubject: hi\r\n\r\nbody\r\n.\r\n");
  assert_status (reader, "+OK 3 octets");
  assert_data (reader, 1024, "Subject: hi\r\n\r\nbody\r\n");
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 0);
}

static void
test_data_empty (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, ".\r\n");
  assert_data (reader, 1024, "");
}

static void
test_data_dot_stuffing (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  /* First line "..", then "..." and ".x", a stuffed dot in the middle. */
  feed (reader, "..\r\n...\r\n..x\r\na.b\r\n.\r\n");
  assert_data (reader, 1024, ".\r\n..\r\n.x\r\na.b\r\n");
}

/* A server that forgot to stuff ".x": RFC 1939 says the client removes a
 * leading dot anyway; it cannot know better.
 */
static void
test_data_unstuffed (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, ".x\r\n.\r\nafter\r\n.\r\n");
  assert_data (reader, 1024, "x\r\n");
  /* The lone "." ends the reply even if the server meant it as data; the
   * rest is left for the next reply, where it shows up as garbage. */
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, strlen ("after\r\n.\r\n"));
  assert_status (reader, "after");
}

static void
test_data_terminator_only_alone (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  /* ". " and ".\t" are not terminators. */
  feed (reader, ". \r\n.\t\r\n.\r\n");
  assert_data (reader, 1024, " \r\n\t\r\n");
}

static void
test_data_bare_lf (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, "+OK\nFrom: a\n\n..dot\nend\n.\n+OK next\n");
  assert_status (reader, "+OK");
  assert_data (reader, 1024, "From: a\r\n\r\n.dot\r\nend\r\n");
  assert_status (reader, "+OK next");
}

static void
test_data_pipelined (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader,
        "+OK\r\nA\r\n.\r\n"
        "-ERR no such message\r\n"
        "+OK\r\nB\r\n.\r\n");
  assert_status (reader, "+OK");
  assert_data (reader, 1024, "A\r\n");
  assert_status (reader, "-ERR no such message");
  assert_status (reader, "+OK");
  assert_data (reader, 1024, "B\r\n");
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 0);
}

static void
test_data_incremental (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  feed (reader, "one\r\ntw");
  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, 1024, &error), ==, MP_POP3_READ_NEED_MORE);
  feed (reader, "o\r\n.");
  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, 1024, &error), ==, MP_POP3_READ_NEED_MORE);
  feed (reader, "\r");
  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, 1024, &error), ==, MP_POP3_READ_NEED_MORE);
  feed (reader, "\n");
  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, 1024, &error), ==, MP_POP3_READ_DONE);
  g_assert_no_error (error);
  g_assert_cmpmem (sink->data, sink->len, "one\r\ntwo\r\n", 10);
}

static void
test_data_cap (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  g_autoptr(GError) error = NULL;

  /* Exactly the cap: fine. */
  feed (reader, "01234567\r\n.\r\n");
  assert_data (reader, 10, "01234567\r\n");

  /* One octet over: refused. */
  feed (reader, "012345678\r\n.\r\n");
  g_assert_cmpint (mp_pop3_reader_read_data (reader, sink, 10, &error), ==, MP_POP3_READ_ERROR);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE);
  g_assert_cmpuint (sink->len, <=, 10);
}

/* Many short lines add up: the cap counts the whole reply. */
static void
test_data_cap_many_lines (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  MpPop3ReadResult res = MP_POP3_READ_NEED_MORE;
  guint n = 0;

  while (res == MP_POP3_READ_NEED_MORE && n < 100000)
    {
      feed (reader, "line\r\n");
      n++;
      res = mp_pop3_reader_read_data (reader, sink, 4096, &error);
    }

  g_assert_cmpint (res, ==, MP_POP3_READ_ERROR);
  g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE);
  g_assert_cmpuint (sink->len, <=, 4096);
  g_assert_cmpuint (n, <=, 4096 / 6 + 2);
}

/* An endless data line must fail once it passes the cap, before any LF. */
static void
test_data_endless_line (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  MpPop3ReadResult res = MP_POP3_READ_NEED_MORE;
  char chunk[1000];
  gsize fed = 0;

  memset (chunk, 'y', sizeof chunk);
  while (res == MP_POP3_READ_NEED_MORE && fed < 1024 * 1024)
    {
      mp_pop3_reader_feed (reader, (const guint8 *) chunk, sizeof chunk);
      fed += sizeof chunk;
      res = mp_pop3_reader_read_data (reader, sink, 64 * 1024, &error);
    }

  g_assert_cmpint (res, ==, MP_POP3_READ_ERROR);
  g_assert_true (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_REPLY_TOO_LARGE) ||
                 g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_LINE_TOO_LONG));
  g_assert_cmpuint (fed, <=, 64 * 1024 + sizeof chunk);
}

/* After STLS, whatever arrived in the clear must be gone. */
static void
test_clear (void)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

  feed (reader, "+OK Begin TLS\r\n+OK injected\r\nFAKE\r\n.\r\n");
  assert_status (reader, "+OK Begin TLS");
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), >, 0);

  mp_pop3_reader_clear (reader);
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 0);
  assert_status_need_more (reader);

  feed (reader, "+OK real\r\n");
  assert_status (reader, "+OK real");
}

/* The same stream cut every possible way gives the same replies. */
static const char stream[] =
  "+OK ready <1.2@x>\r\n"
  "+OK\r\nTOP\nUIDL\r\n.\r\n"
  "+OK 2 messages\r\n1 120\r\n2 200\n.\r\n"
  "-ERR [IN-USE] busy\r\n"
  "+OK\r\n..\r\n.x\r\n\r\nbody\r\n.\n"
  "+ Y2hhbGxlbmdl\r\n";

static void
parse_stream (MpPop3Reader *reader,
              GString      *out,
              const char   *data,
              gsize         len,
              gsize         chunk)
{
  /* 0 status, 1 data, 0 … : the shape of the stream above. */
  static const gboolean shape[] = { FALSE, FALSE, TRUE, FALSE, TRUE, FALSE, FALSE, TRUE, FALSE };
  g_autoptr(GByteArray) sink = g_byte_array_new ();
  guint step = 0;
  gsize offset = 0;

  while (step < G_N_ELEMENTS (shape))
    {
      g_autoptr(GError) error = NULL;
      MpPop3ReadResult res;

      if (shape[step])
        {
          res = mp_pop3_reader_read_data (reader, sink, 4096, &error);
          if (res == MP_POP3_READ_DONE)
            {
              g_string_append_printf (out, "[data %u]", sink->len);
              g_string_append_len (out, (const char *) sink->data, sink->len);
              g_byte_array_set_size (sink, 0);
            }
        }
      else
        {
          g_autofree char *line = NULL;

          res = mp_pop3_reader_read_status (reader, &line, &error);
          if (res == MP_POP3_READ_DONE)
            g_string_append_printf (out, "[status]%s\n", line);
        }

      g_assert_no_error (error);
      g_assert_cmpint (res, !=, MP_POP3_READ_ERROR);

      if (res == MP_POP3_READ_DONE)
        step++;
      else
        {
          gsize n = MIN (chunk, len - offset);

          g_assert_cmpuint (n, >, 0);
          mp_pop3_reader_feed (reader, (const guint8 *) data + offset, n);
          offset += n;
        }
    }

  g_assert_cmpuint (offset, ==, len);
  g_assert_cmpuint (mp_pop3_reader_get_buffered (reader), ==, 0);
}

static void
test_chunking (void)
{
  g_autoptr(GString) reference = g_string_new (NULL);
  gsize len = strlen (stream);

  {
    g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();

    parse_stream (reader, reference, stream, len, len);
  }

  g_assert_true (strstr (reference->str, "[status]+OK ready <1.2@x>\n") != NULL);
  g_assert_true (strstr (reference->str, "[data 11]TOP\r\nUIDL\r\n") != NULL);
  g_assert_true (strstr (reference->str, "[data 14]1 120\r\n2 200\r\n") != NULL);
  g_assert_true (strstr (reference->str, "[status]-ERR [IN-USE] busy\n") != NULL);
  g_assert_true (strstr (reference->str, "[data 14].\r\nx\r\n\r\nbody\r\n") != NULL);
  g_assert_true (g_str_has_suffix (reference->str, "[status]+ Y2hhbGxlbmdl\n"));

  /* Byte by byte, and every other chunk size up to the whole. */
  for (gsize chunk = 1; chunk <= len; chunk++)
    {
      g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
      g_autoptr(GString) out = g_string_new (NULL);

      parse_stream (reader, out, stream, len, chunk);
      g_assert_cmpstr (out->str, ==, reference->str);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pop3/reader/status/crlf", test_status_crlf);
  g_test_add_func ("/pop3/reader/status/bare-lf", test_status_bare_lf);
  g_test_add_func ("/pop3/reader/status/partial", test_status_partial);
  g_test_add_func ("/pop3/reader/status/limit", test_status_limit);
  g_test_add_func ("/pop3/reader/status/limit-bytewise", test_status_limit_bytewise);
  g_test_add_func ("/pop3/reader/status/endless", test_status_endless);
  g_test_add_func ("/pop3/reader/status/nul", test_status_nul);
  g_test_add_func ("/pop3/reader/data/basic", test_data_basic);
  g_test_add_func ("/pop3/reader/data/empty", test_data_empty);
  g_test_add_func ("/pop3/reader/data/dot-stuffing", test_data_dot_stuffing);
  g_test_add_func ("/pop3/reader/data/unstuffed", test_data_unstuffed);
  g_test_add_func ("/pop3/reader/data/terminator-only-alone", test_data_terminator_only_alone);
  g_test_add_func ("/pop3/reader/data/bare-lf", test_data_bare_lf);
  g_test_add_func ("/pop3/reader/data/pipelined", test_data_pipelined);
  g_test_add_func ("/pop3/reader/data/incremental", test_data_incremental);
  g_test_add_func ("/pop3/reader/data/cap", test_data_cap);
  g_test_add_func ("/pop3/reader/data/cap-many-lines", test_data_cap_many_lines);
  g_test_add_func ("/pop3/reader/data/endless-line", test_data_endless_line);
  g_test_add_func ("/pop3/reader/clear", test_clear);
  g_test_add_func ("/pop3/reader/chunking", test_chunking);

  return g_test_run ();
}
