/* mp-headers.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * MpHeaders:
 * @from: (nullable): the From header for display, decoded to UTF-8: each
 *   mailbox as "Name <address>" or just the address, several separated by
 *   ", "
 * @from_name: (nullable): the display name of the first From mailbox
 * @from_address: (nullable): the address of the first From mailbox
 * @to: (nullable): the To header for display, decoded
 * @subject: (nullable): the Subject, decoded, unfolded; "" when the
 *   header is there but empty, %NULL only when it is missing
 * @message_id: (nullable): the Message-ID with its angle brackets
 * @date: (nullable): the Date header, or %NULL if missing or unparseable
 *
 * The decoded headers of one message, parsed by GMime from the output of
 * `TOP n 0`. Every string is valid UTF-8 (RFC 2047 words and raw 8-bit
 * headers in any charset are converted, with fallbacks); a header that is
 * missing is %NULL, never an invented value.
 *
 * Headers are reference counted and never changed once made: share them
 * with mp_headers_ref(); mp_headers_copy() makes an independent copy.
 */
typedef struct
{
  char      *from;
  char      *from_name;
  char      *from_address;
  char      *to;
  char      *subject;
  char      *message_id;
  GDateTime *date;
} MpHeaders;

#define MP_TYPE_HEADERS (mp_headers_get_type ())

GType      mp_headers_get_type             (void) G_GNUC_CONST;
void       mp_headers_init_library         (void);
MpHeaders *mp_headers_parse                (const char      *data,
                                            gsize            len);
MpHeaders *mp_headers_new                  (void);
MpHeaders *mp_headers_ref                  (MpHeaders       *headers);
void       mp_headers_unref                (MpHeaders       *headers);
MpHeaders *mp_headers_copy                 (const MpHeaders *headers);
void       mp_headers_free                 (MpHeaders       *headers);
char      *mp_headers_format_date_iso8601  (const MpHeaders *headers);
char      *mp_headers_snippet_from_message (const char      *data,
                                            gsize            len,
                                            guint            max_chars);
char      *mp_headers_text_to_utf8         (const char      *data,
                                            gsize            len,
                                            const char      *charset_hint);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpHeaders, mp_headers_free)

G_END_DECLS
