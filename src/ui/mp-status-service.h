/* mp-status-service.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MP_STATUS_SERVICE_PATH "/io/github/mailpeek/Mailpeek"

#define MP_TYPE_STATUS_SERVICE (mp_status_service_get_type ())

G_DECLARE_FINAL_TYPE (MpStatusService, mp_status_service, MP, STATUS_SERVICE, GObject)

/**
 * MpStatusService:
 *
 * The io.github.mailpeek.Mailpeek.Status object (see
 * data/io.github.mailpeek.Mailpeek.Status.xml) over a #GListModel of
 * #MpMailbox: it republishes the mailboxes' summaries whenever one of them
 * changes, and turns the methods into signals ("check-now",
 * "show-messages") so that it depends on nothing but the core.
 *
 * Properties: mailboxes (GListModel, construct-only), do-not-disturb
 * (boolean, read-write: a D-Bus client may set it too).
 */

MpStatusService *mp_status_service_new             (GListModel       *mailboxes);
gboolean         mp_status_service_export          (MpStatusService  *self,
                                                    GDBusConnection  *connection,
                                                    const char       *object_path,
                                                    GError          **error);
void             mp_status_service_unexport        (MpStatusService  *self);
gboolean         mp_status_service_get_do_not_disturb (MpStatusService *self);
void             mp_status_service_set_do_not_disturb (MpStatusService *self,
                                                       gboolean         do_not_disturb);

G_END_DECLS
