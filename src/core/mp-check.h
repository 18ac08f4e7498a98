/* mp-check.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-headers.h"
#include "mp-pop3-client.h"

G_BEGIN_DECLS

/* TOP n 0 of a sane message is a few KiB; a server that sends more (TOP
 * answered with the whole message) is cut off here instead of filling
 * memory.
 */
#define MP_CHECK_MAX_HEADER_BYTES (256 * 1024)

/* Without TOP, headers come from a RETR of the whole message, for messages
 * up to this size (the `retr-header-limit` setting's default).
 */
#define MP_CHECK_DEFAULT_RETR_HEADER_LIMIT (256 * 1024)
#define MP_CHECK_RETR_HEADER_LIMIT_DEFAULT (-1)

/**
 * MpMessageInfo:
 * @number: the message number in the session that listed it
 * @uid: (nullable): the UIDL unique-id, or %NULL if the server has no UIDL
 * @key: (nullable): what identifies the message across sessions: @uid, or
 *   without UIDL "sha256:" and a hash of its stable headers (Message-ID,
 *   Date, From, Subject, raw) and size; %NULL only when neither is known (no
 *   headers on a server without UIDL)
 * @size: the size LIST reported
 * @headers: (nullable): the decoded headers (from TOP, or from RETR when
 *   the server has no TOP), %NULL if they could not be fetched or were
 *   not asked for (known UIDs)
 * @error: (nullable): why the headers could not be fetched
 */
typedef struct
{
  guint      number;
  char      *uid;
  char      *key;
  guint64    size;
  MpHeaders *headers;
  GError    *error;
} MpMessageInfo;

/**
 * MpMailboxSnapshot:
 * @count: the messages STAT reported
 * @size: their total size STAT reported
 * @uidl_supported: whether the server answered UIDL
 * @pipelining: whether the session pipelined its commands
 * @top_supported: %FALSE when the server does not offer TOP (not in CAPA,
 *   or it refused TOP for a message that exists; see
 *   mp_pop3_client_get_top_refused())
 * @messages: (element-type MpMessageInfo): one per LIST entry
 */
typedef struct
{
  guint      count;
  guint64    size;
  gboolean   uidl_supported;
  gboolean   pipelining;
  gboolean   top_supported;
  GPtrArray *messages;
} MpMailboxSnapshot;

void               mp_message_info_free         (MpMessageInfo      *info);
void               mp_mailbox_snapshot_free     (MpMailboxSnapshot  *snapshot);

void               mp_check_mailbox_async       (MpPop3Client       *client,
                                                 const char         *user,
                                                 const char         *password,
                                                 MpPop3AuthMethod    auth,
                                                 GHashTable         *known_uids,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
void               mp_check_mailbox_full_async  (MpPop3Client       *client,
                                                 const char         *user,
                                                 const char         *password,
                                                 MpPop3AuthMethod    auth,
                                                 GHashTable         *known_uids,
                                                 gint64              retr_header_limit,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
/**
 * MpCheckKnown:
 *
 * The UIDs whose headers the caller has, when they are still being
 * loaded as the check starts: the session connects, logs in and lists
 * meanwhile, and waits only when it has to choose the headers to fetch.
 */
typedef struct _MpCheckKnown MpCheckKnown;

MpCheckKnown      *mp_check_known_new           (void);
MpCheckKnown      *mp_check_known_ref           (MpCheckKnown       *known);
void               mp_check_known_unref         (MpCheckKnown       *known);
void               mp_check_known_resolve       (MpCheckKnown       *known,
                                                 GHashTable         *known_uids);
void               mp_check_known_fail          (MpCheckKnown       *known,
                                                 const GError       *error);
gboolean           mp_check_known_get_waiting   (MpCheckKnown       *known);
void               mp_check_mailbox_later_async (MpPop3Client       *client,
                                                 const char         *user,
                                                 const char         *password,
                                                 MpPop3AuthMethod    auth,
                                                 MpCheckKnown       *known,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
MpMailboxSnapshot *mp_check_mailbox_finish      (MpPop3Client       *client,
                                                 GAsyncResult       *result,
                                                 GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpMailboxSnapshot, mp_mailbox_snapshot_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpCheckKnown, mp_check_known_unref)

G_END_DECLS
