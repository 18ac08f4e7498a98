/* mp-charset.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Text in an unknown or declared charset to UTF-8: what the header decoder
 * and the snippet extractor share. mp_charset_to_utf8() is the entry
 * point; the others are its pieces, used by the header decoder to guess
 * one charset for all the raw 8-bit headers of a message.
 */

char       *mp_charset_to_utf8         (const char  *data,
                                        gsize        len,
                                        const char  *charset_hint);
char       *mp_charset_convert_strict  (const char  *data,
                                        gsize        len,
                                        const char  *charset);
char       *mp_charset_guess           (const char  *data,
                                        gsize        len,
                                        const char  *hint,
                                        const char **chosen);
const char *mp_charset_normalize_hint  (const char  *charset);
gboolean    mp_charset_validate_utf8   (const char  *data,
                                        gsize        len,
                                        gsize       *valid_len);

G_END_DECLS
