/* fuzz-headers.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Fuzzes header decoding and body snippets: whatever a server sends, the
 * results must be valid UTF-8 (they go to JSON, GTK and notifications),
 * one-line fields must hold no control characters, and nothing may crash.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp-headers.h"

#include "fuzz.h"

#define SNIPPET_CHARS 100

static void
fail (const char *what,
      const char *text)
{
  g_autofree char *escaped = g_strescape (text, NULL);

  fprintf (stderr, "fuzz-headers: %s: \"%s\"\n", what, escaped);
  abort ();
}

static void
check_text (const char *what,
            const char *text,
            gboolean    one_line)
{
  if (text == NULL)
    return;

  if (!g_utf8_validate (text, -1, NULL))
    fail (what, text);

  if (one_line)
    {
      for (const char *p = text; *p != '\0'; p++)
        if ((guchar) *p < 0x20 || *p == 0x7F)
          fail (what, text);

      /* "" is a valid value (an empty Subject) */
      if (*text != '\0' && (*text == ' ' || text[strlen (text) - 1] == ' '))
        fail (what, text);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const hints[] = {
    NULL, "utf-8", "us-ascii", "koi8-r", "windows-1251", "iso-8859-1",
    "iso-2022-jp", "shift_jis", "utf-16", "utf-32le", "x-no-such-charset", "",
  };
  g_autoptr(MpHeaders) headers = NULL;
  g_autoptr(MpHeaders) copy = NULL;
  g_autofree char *date = NULL;
  g_autofree char *snippet = NULL;
  g_autofree char *text = NULL;

  headers = mp_headers_parse ((const char *) data, size);
  if (headers == NULL)
    abort ();

  check_text ("from", headers->from, TRUE);
  check_text ("from_name", headers->from_name, TRUE);
  check_text ("from_address", headers->from_address, TRUE);
  check_text ("to", headers->to, TRUE);
  check_text ("subject", headers->subject, TRUE);
  check_text ("message_id", headers->message_id, TRUE);

  if (headers->from_address != NULL && headers->from == NULL)
    fail ("address without from", headers->from_address);

  date = mp_headers_format_date_iso8601 (headers);
  if ((date == NULL) != (headers->date == NULL))
    abort ();
  if (date != NULL && (strlen (date) != 20 || date[19] != 'Z'))
    fail ("date", date);

  copy = mp_headers_copy (headers);
  if (g_strcmp0 (copy->from, headers->from) != 0 ||
      g_strcmp0 (copy->subject, headers->subject) != 0 ||
      copy->date != headers->date)
    abort ();

  snippet = mp_headers_snippet_from_message ((const char *) data, size, SNIPPET_CHARS);
  check_text ("snippet", snippet, TRUE);
  if (snippet != NULL && g_utf8_strlen (snippet, -1) > SNIPPET_CHARS)
    fail ("snippet too long", snippet);

  /* the converter on its own, with a declared charset the input picks */
  text = mp_headers_text_to_utf8 ((const char *) data, size,
                                  hints[size > 0 ? data[size - 1] % G_N_ELEMENTS (hints) : 0]);
  if (text == NULL)
    abort ();
  check_text ("text_to_utf8", text, FALSE);

  return 0;
}
