/* mp-message-view.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-message.h"

G_BEGIN_DECLS

#define MP_TYPE_MESSAGE_VIEW (mp_message_view_get_type ())

G_DECLARE_FINAL_TYPE (MpMessageView, mp_message_view, MP, MESSAGE_VIEW, GtkBox)

/**
 * MpMessageView:
 *
 * The details pane: every decoded header of the selected message and the
 * first lines of its text, fetched through mp_mailbox_fetch_snippet_async()
 * when the selection rests on it (a spinner meanwhile; the result cached
 * for the life of the view; an error in words if it fails).
 *
 * Properties: message (MpMessage, nullable), n-selected (uint: with more
 * than one, the pane says how many instead), loading (boolean, read-only).
 */

GtkWidget *mp_message_view_new            (void);
MpMessage *mp_message_view_get_message    (MpMessageView *self);
void       mp_message_view_set_selection  (MpMessageView *self,
                                           MpMessage     *message,
                                           guint          n_selected);
gboolean   mp_message_view_get_loading    (MpMessageView *self);
const char *mp_message_view_get_snippet   (MpMessageView *self);
const char *mp_message_view_get_error     (MpMessageView *self);

G_END_DECLS
