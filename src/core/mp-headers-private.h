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

G_END_DECLS
