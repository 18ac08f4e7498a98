/* mp-message-list.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "mp-message.h"

G_BEGIN_DECLS

#define MP_TYPE_MESSAGE_LIST (mp_message_list_get_type ())

G_DECLARE_FINAL_TYPE (MpMessageList, mp_message_list, MP, MESSAGE_LIST, GtkBox)

/**
 * MpMessageList:
 *
 * The message list of the preview window: a #GtkTreeView over an
 * #MpMessageTreeModel, filtered (search bar, messages hidden while their
 * deletion can be undone) and sorted, with multiple selection, and a
 * placeholder page for the empty and error states.
 *
 * Properties: messages (GListModel of MpMessage), show-account (the
 * Account column, for "All accounts"), search-mode, sort-column (a
 * #MpMessageTreeModelColumn), sort-descending, n-visible (rows shown).
 *
 * Signals: ::selection-changed (), ::message-activated (MpMessage): Enter
 * or a double click.
 */

GtkWidget   *mp_message_list_new                   (void);
GListModel  *mp_message_list_get_messages          (MpMessageList *self);
void         mp_message_list_set_messages          (MpMessageList *self,
                                                    GListModel    *messages);
void         mp_message_list_set_show_account      (MpMessageList *self,
                                                    gboolean       show_account);
gboolean     mp_message_list_get_search_mode       (MpMessageList *self);
void         mp_message_list_set_search_mode       (MpMessageList *self,
                                                    gboolean       search_mode);
void         mp_message_list_set_search_text       (MpMessageList *self,
                                                    const char    *text);
gboolean     mp_message_list_handle_event          (MpMessageList *self,
                                                    GdkEvent      *event);
int          mp_message_list_get_sort_column       (MpMessageList *self);
gboolean     mp_message_list_get_sort_descending   (MpMessageList *self);
void         mp_message_list_set_sort              (MpMessageList *self,
                                                    int            column,
                                                    gboolean       descending);
GPtrArray   *mp_message_list_get_selected          (MpMessageList *self);
guint        mp_message_list_get_n_selected        (MpMessageList *self);
gboolean     mp_message_list_select_message        (MpMessageList *self,
                                                    MpMessage     *message);
void         mp_message_list_unselect_all          (MpMessageList *self);
void         mp_message_list_hide_messages         (MpMessageList *self,
                                                    GPtrArray     *messages);
void         mp_message_list_unhide_messages       (MpMessageList *self,
                                                    GPtrArray     *messages);
guint        mp_message_list_get_n_visible         (MpMessageList *self);
MpMessage   *mp_message_list_get_visible_message   (MpMessageList *self,
                                                    guint          position);
GtkTreeView *mp_message_list_get_tree_view         (MpMessageList *self);
void         mp_message_list_set_placeholder       (MpMessageList *self,
                                                    const char    *icon_name,
                                                    const char    *title,
                                                    const char    *subtitle,
                                                    const char    *button_label,
                                                    const char    *button_action);
void         mp_message_list_set_busy_placeholder  (MpMessageList *self,
                                                    const char    *title);
void         mp_message_list_clear_placeholder     (MpMessageList *self);
const char  *mp_message_list_get_placeholder       (MpMessageList *self);

const char  *mp_message_list_sort_column_to_nick   (int            column);
int          mp_message_list_sort_column_from_nick (const char    *nick);
char        *mp_message_list_format_date           (GDateTime     *date,
                                                    GDateTime     *now);

G_END_DECLS
