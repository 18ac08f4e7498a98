/* mp-headers-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gmime/gmime.h>

#include "mp-headers.h"

G_BEGIN_DECLS

/* What the header decoder shares with the snippet extractor (mp-snippet.c):
 * one way to hand a possibly cut, possibly binary message to GMime, one
 * notion of "the text part", one white-space cleaner.
 */

GMimeMessage *mp_headers_parse_message    (const char  *data,
                                           gsize        len);
GMimePart    *mp_headers_find_text_part   (GMimeObject *object,
                                           const char  *subtype,
                                           guint        depth);
char         *mp_headers_clean_text_full  (const char  *text,
                                           gboolean     snippet);
GPtrArray    *mp_headers_dup_raw_values   (const char         *data,
                                           gsize               len,
                                           const char * const *names);

/* For tests only: @hook runs at the start of every mp_headers_parse(), in
 * the thread that parses (to prove it is not the main thread, or to
 * cancel a check in the middle of its decoding). %NULL removes it.
 */
typedef void (*MpHeadersParseHook) (gpointer user_data);

void          mp_headers_set_parse_hook   (MpHeadersParseHook  hook,
                                           gpointer            user_data);

G_END_DECLS
