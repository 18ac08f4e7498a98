/* mp-pop3-reader.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 1939 allows 512 octets for a status line; real servers send longer
 * greetings and CAPA lines, so accept a few KiB and no more.
 */
#define MP_POP3_MAX_STATUS_LINE 4096

typedef enum
{
  MP_POP3_READ_NEED_MORE,
  MP_POP3_READ_DONE,
  MP_POP3_READ_ERROR,
} MpPop3ReadResult;

/**
 * MpPop3Reader:
 *
 * A push parser for POP3 replies, kept apart from any socket so that it can
 * be tested and fuzzed on its own. Feed it bytes as they arrive; pull a
 * status line or the data of a multi-line reply when it is complete.
 *
 * Line ends are CRLF, but bare LF is accepted too. A multi-line reply ends
 * only at a line holding a single "."; dot-stuffing is undone; each data
 * line is stored with CRLF.
 */
typedef struct _MpPop3Reader MpPop3Reader;

MpPop3Reader     *mp_pop3_reader_new          (void);
void              mp_pop3_reader_free         (MpPop3Reader  *reader);
void              mp_pop3_reader_feed         (MpPop3Reader  *reader,
                                               const guint8  *data,
                                               gsize          len);
void              mp_pop3_reader_clear        (MpPop3Reader  *reader);
gsize             mp_pop3_reader_get_buffered (MpPop3Reader  *reader);
MpPop3ReadResult  mp_pop3_reader_read_status  (MpPop3Reader  *reader,
                                               char         **line,
                                               GError       **error);
MpPop3ReadResult  mp_pop3_reader_read_data    (MpPop3Reader  *reader,
                                               GByteArray    *sink,
                                               gsize          max_bytes,
                                               GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpPop3Reader, mp_pop3_reader_free)

G_END_DECLS
