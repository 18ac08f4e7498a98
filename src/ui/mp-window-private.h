/* mp-window-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window's fields, shared by mp-window.c (layout, state, settings)
 * and mp-window-actions.c (delete with undo, download, open).
 */

#pragma once

#include "mp-message-list.h"
#include "mp-message-view.h"
#include "mp-sidebar.h"
#include "mp-window.h"

G_BEGIN_DECLS

struct _MpWindow
{
  GtkApplicationWindow  parent_instance;

  GtkHeaderBar         *header_bar;
  GtkToggleButton      *search_button;
  GtkInfoBar           *no_tray_bar;
  GtkPaned             *sidebar_paned;
  GtkPaned             *content_paned;
  MpSidebar            *sidebar;
  MpMessageList        *message_list;
  MpMessageView        *message_view;
  GtkRevealer          *notice_revealer;
  GtkLabel             *notice_label;
  GtkProgressBar       *notice_progress;
  GtkButton            *undo_button;

  GSettings            *settings;
  GListModel           *mailboxes;
  GListModel           *all_messages;
  /* the mailboxes whose messages are shown, with notify handlers */
  GPtrArray            *shown;

  gboolean              panes_restored;
  guint                 seen_id;
  guint                 seen_delay;
  guint                 notice_id;

  /* messages hidden while their deletion can be undone */
  GPtrArray            *pending;
  guint                 pending_id;
  guint                 undo_timeout;
  guint                 deletes_running;
};

/* mp-window-actions.c */
void mp_window_actions_init     (MpWindow   *self);
void mp_window_commit_pending   (MpWindow   *self);
void mp_window_update_actions   (MpWindow   *self);
void mp_window_download_to      (MpWindow   *self,
                                 GPtrArray  *messages,
                                 const char *directory);

/* mp-window.c */
void mp_window_set_notice       (MpWindow   *self,
                                 const char *text,
                                 gboolean    with_undo,
                                 guint       timeout_msec);
void mp_window_hide_notice      (MpWindow   *self);

G_END_DECLS
