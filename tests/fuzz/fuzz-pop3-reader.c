/* fuzz-pop3-reader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fuzzes the POP3 push parser. The input is a small header followed by
 * the byte stream a server would send:
 *
 *   byte 0      max_bytes for data replies (times 3, so 0…765)
 *   byte 1      which reads to do: bit i % 8 set = a data reply, else a
 *               status line
 *   bytes 2-5   where to cut the stream into chunks (scaled to its length)
 *   the rest    the stream
 *
 * The stream is fed chunk by chunk, feeding the next chunk whenever a read
 * says it needs more. Checked: data never exceeds max_bytes, a status
 * line never exceeds MP_POP3_MAX_STATUS_LINE, the reader never hands out
 * more bytes than it was fed (allowing for bare LF growing into CRLF), and
 * the outcome does not depend on how the stream was cut: the same stream
 * fed in one piece must give the same lines, data and errors.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp-pop3-error.h"
#include "mp-pop3-reader.h"

#include "fuzz.h"

#define HEADER_LEN 6
#define N_CUTS     4

typedef struct
{
  gboolean          data_op;
  MpPop3ReadResult  result;
  int               error_code;
  GBytes           *payload;
} Step;

static void
step_free (gpointer data)
{
  Step *step = data;

  g_clear_pointer (&step->payload, g_bytes_unref);
  g_free (step);
}

static G_NORETURN void
fail (const char *what)
{
  fprintf (stderr, "fuzz-pop3-reader: %s\n", what);
  abort ();
}

static gsize
count_lf (const guint8 *data,
          gsize         len)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n')
      n++;

  return n;
}

static GPtrArray *
run (const guint8 *stream,
     gsize         len,
     const gsize  *cuts,
     guint         n_cuts,
     gsize         max_bytes,
     guint8        ops)
{
  g_autoptr(MpPop3Reader) reader = mp_pop3_reader_new ();
  GPtrArray *steps = g_ptr_array_new_with_free_func (step_free);
  guint next_chunk = 0;
  gsize fed = 0;
  gsize lf_fed = 0;
  gsize handed_out = 0;

  /* every completed read consumes at least one byte */
  for (gsize n = 0; n <= len + 1; n++)
    {
      g_autoptr(GByteArray) sink = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;
      MpPop3ReadResult result;
      gboolean data_op = (ops >> (n % 8)) & 1;
      Step *step;

      for (;;)
        {
          gsize chunk_end;

          if (data_op)
            {
              result = mp_pop3_reader_read_data (reader, sink, max_bytes, &error);
              if (sink->len > max_bytes)
                fail ("data reply larger than max_bytes");
            }
          else
            {
              result = mp_pop3_reader_read_status (reader, &line, &error);
              if (result == MP_POP3_READ_DONE &&
                  (line == NULL || strlen (line) > MP_POP3_MAX_STATUS_LINE ||
                   strchr (line, '\n') != NULL))
                fail ("bad status line");
              if (result != MP_POP3_READ_DONE && line != NULL)
                fail ("status line set without DONE");
            }

          if ((result == MP_POP3_READ_ERROR) != (error != NULL))
            fail ("ERROR result and GError disagree");

          if (mp_pop3_reader_get_buffered (reader) > fed)
            fail ("more buffered than fed");

          if (result != MP_POP3_READ_NEED_MORE || next_chunk > n_cuts)
            break;

          chunk_end = next_chunk < n_cuts ? cuts[next_chunk] : len;
          mp_pop3_reader_feed (reader, stream + fed, chunk_end - fed);
          lf_fed += count_lf (stream + fed, chunk_end - fed);
          fed = chunk_end;
          next_chunk++;
        }

      step = g_new0 (Step, 1);
      step->data_op = data_op;
      step->result = result;
      step->error_code = error != NULL ? error->code : -1;
      if (result == MP_POP3_READ_DONE)
        {
          if (data_op)
            step->payload = g_bytes_new (sink->data, sink->len);
          else
            step->payload = g_bytes_new (line, strlen (line));
          handed_out += g_bytes_get_size (step->payload);
        }
      g_ptr_array_add (steps, step);

      if (handed_out > fed - mp_pop3_reader_get_buffered (reader) + lf_fed)
        fail ("handed out more bytes than were consumed");

      if (result != MP_POP3_READ_DONE)
        break;
    }

  return steps;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) split = NULL;
  g_autoptr(GPtrArray) whole = NULL;
  const guint8 *stream;
  gsize cuts[N_CUTS];
  gsize max_bytes;
  gsize len;
  guint8 ops;

  if (size < HEADER_LEN)
    return 0;

  max_bytes = (gsize) data[0] * 3;
  ops = data[1];
  stream = data + HEADER_LEN;
  len = size - HEADER_LEN;

  for (guint i = 0; i < N_CUTS; i++)
    cuts[i] = (len * data[2 + i]) / 255;
  for (guint i = 1; i < N_CUTS; i++)
    for (guint j = i; j > 0 && cuts[j - 1] > cuts[j]; j--)
      {
        gsize tmp = cuts[j];

        cuts[j] = cuts[j - 1];
        cuts[j - 1] = tmp;
      }

  split = run (stream, len, cuts, N_CUTS, max_bytes, ops);
  whole = run (stream, len, NULL, 0, max_bytes, ops);

  if (split->len != whole->len)
    fail ("the number of replies depends on how the stream was cut");

  for (guint i = 0; i < split->len; i++)
    {
      const Step *a = g_ptr_array_index (split, i);
      const Step *b = g_ptr_array_index (whole, i);

      if (a->result != b->result || a->error_code != b->error_code)
        fail ("a result depends on how the stream was cut");

      if ((a->payload == NULL) != (b->payload == NULL) ||
          (a->payload != NULL && !g_bytes_equal (a->payload, b->payload)))
        fail ("a reply's bytes depend on how the stream was cut");
    }

  return 0;
}
