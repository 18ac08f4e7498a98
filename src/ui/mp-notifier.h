/* mp-notifier.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MP_TYPE_NOTIFIER (mp_notifier_get_type ())

G_DECLARE_FINAL_TYPE (MpNotifier, mp_notifier, MP, NOTIFIER, GObject)

/**
 * MpNotifier:
 *
 * Desktop notifications (libnotify) for #MpMailbox::messages-arrived of
 * every mailbox in a #GListModel: one per new message, or one summary when
 * more than %MP_NOTIFIER_MAX_SINGLE arrive in one poll. A message is marked
 * announced only once its notification was shown, so it is never shown
 * twice; while Do not disturb is on, or notifications are off (globally or
 * for the account), or no notification server runs, nothing is shown and
 * the messages stay new.
 *
 * Properties: mailboxes (GListModel, construct-only), settings (GSettings
 * of the main schema, construct-only), do-not-disturb (boolean),
 * server-present (boolean, read-only: org.freedesktop.Notifications has an
 * owner).
 *
 * Signals: "show-message" (MpMailbox *mailbox, MpMessage *message or %NULL)
 * when the user clicked a notification.
 */

#define MP_NOTIFIER_MAX_SINGLE 3

MpNotifier *mp_notifier_new                 (GListModel *mailboxes,
                                             GSettings  *settings);
void        mp_notifier_set_do_not_disturb  (MpNotifier *self,
                                             gboolean    do_not_disturb);
gboolean    mp_notifier_get_do_not_disturb  (MpNotifier *self);
gboolean    mp_notifier_get_server_present  (MpNotifier *self);

G_END_DECLS
