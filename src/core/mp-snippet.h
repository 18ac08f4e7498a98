/* mp-snippet.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *mp_snippet_from_message (const char *data,
                               gsize       len,
                               guint       max_chars);

G_END_DECLS
