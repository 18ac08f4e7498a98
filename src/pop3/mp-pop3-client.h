/* mp-pop3-client.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "mp-pop3-certificate.h"
#include "mp-pop3-error.h"
#include "mp-pop3-types.h"

G_BEGIN_DECLS

/* Caps for multi-line replies that the engine itself asks for. */
#define MP_POP3_MAX_CAPA_REPLY   (64 * 1024)
#define MP_POP3_MAX_LIST_REPLY   (64 * 1024 * 1024)
#define MP_POP3_DEFAULT_TIMEOUT  30

typedef struct
{
  guint   number;
  guint64 size;
} MpPop3ListEntry;

typedef struct
{
  guint  number;
  char  *uid;
} MpPop3UidlEntry;

/**
 * MpPop3Result:
 * @number: the message number the command was for
 * @data: (nullable): the multi-line data (TOP, RETR), or %NULL
 * @error: (nullable): why this one command failed (`-ERR`), or %NULL
 *
 * One entry of a job (mp_pop3_client_top_many_async(),
 * mp_pop3_client_dele_many_async()). A job fails as a whole only when the
 * connection fails; a message that the server refuses (for example because
 * another session expunged it) gets its own @error.
 */
typedef struct
{
  guint   number;
  GBytes *data;
  GError *error;
} MpPop3Result;

/**
 * MpPop3ProgressFunc:
 * @n_bytes: the bytes of the reply written to the stream so far
 * @user_data: the data given with the callback
 *
 * Called after each write of a streamed reply
 * (mp_pop3_client_retr_to_stream_async()), from the main context.
 */
typedef void (*MpPop3ProgressFunc) (guint64  n_bytes,
                                    gpointer user_data);

#define MP_TYPE_POP3_CLIENT (mp_pop3_client_get_type ())

G_DECLARE_FINAL_TYPE (MpPop3Client, mp_pop3_client, MP, POP3_CLIENT, GObject)

MpPop3Client        *mp_pop3_client_new                     (const char           *host,
                                                             guint16               port,
                                                             MpPop3Security        security);
const char          *mp_pop3_client_get_host                (MpPop3Client         *self);
guint16              mp_pop3_client_get_port                (MpPop3Client         *self);
MpPop3Security       mp_pop3_client_get_security            (MpPop3Client         *self);
void                 mp_pop3_client_set_timeout             (MpPop3Client         *self,
                                                             guint                 seconds);
guint                mp_pop3_client_get_timeout             (MpPop3Client         *self);
gboolean             mp_pop3_client_set_ca_file             (MpPop3Client         *self,
                                                             const char           *path,
                                                             GError              **error);
gboolean             mp_pop3_client_set_pinned_fingerprint  (MpPop3Client         *self,
                                                             const char           *fingerprint,
                                                             GError              **error);
void                 mp_pop3_client_set_pipelining_allowed  (MpPop3Client         *self,
                                                             gboolean              allowed);

const char          *mp_pop3_client_get_greeting            (MpPop3Client         *self);
const char * const  *mp_pop3_client_get_capabilities       (MpPop3Client         *self);
gboolean             mp_pop3_client_get_capa_supported      (MpPop3Client         *self);
gboolean             mp_pop3_client_has_capability          (MpPop3Client         *self,
                                                             const char           *name);
gboolean             mp_pop3_client_has_sasl_mechanism      (MpPop3Client         *self,
                                                             const char           *mechanism);
gboolean             mp_pop3_client_get_pipelining          (MpPop3Client         *self);
gboolean             mp_pop3_client_get_encrypted           (MpPop3Client         *self);
MpPop3AuthMethod     mp_pop3_client_get_auth_method_used    (MpPop3Client         *self);
gboolean             mp_pop3_client_get_utf8                (MpPop3Client         *self);
gboolean             mp_pop3_client_get_top_refused         (MpPop3Client         *self);
GTlsCertificate     *mp_pop3_client_get_peer_certificate    (MpPop3Client         *self);
GTlsCertificateFlags mp_pop3_client_get_peer_certificate_errors (MpPop3Client     *self);
gsize                mp_pop3_client_get_max_buffered        (MpPop3Client         *self);
guint                mp_pop3_client_get_command_count       (MpPop3Client         *self,
                                                             const char           *verb);
gboolean             mp_pop3_client_is_connected            (MpPop3Client         *self);
void                 mp_pop3_client_close                   (MpPop3Client         *self);

void                 mp_pop3_client_connect_async           (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_connect_finish          (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_login_async             (MpPop3Client         *self,
                                                             const char           *user,
                                                             const char           *password,
                                                             MpPop3AuthMethod      method,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_login_finish            (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_open_async              (MpPop3Client         *self,
                                                             const char           *user,
                                                             const char           *password,
                                                             MpPop3AuthMethod      method,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_open_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_stat_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_stat_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             guint                *count,
                                                             guint64              *size,
                                                             GError              **error);
void                 mp_pop3_client_list_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GArray              *mp_pop3_client_list_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_uidl_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
void                 mp_pop3_client_uidl_if_offered_async   (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GPtrArray           *mp_pop3_client_uidl_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_top_async               (MpPop3Client         *self,
                                                             guint                 number,
                                                             guint                 lines,
                                                             gsize                 max_bytes,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GBytes              *mp_pop3_client_top_finish              (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_retr_async              (MpPop3Client         *self,
                                                             guint                 number,
                                                             gsize                 max_bytes,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GBytes              *mp_pop3_client_retr_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_retr_to_stream_async    (MpPop3Client         *self,
                                                             guint                 number,
                                                             gsize                 max_bytes,
                                                             GOutputStream        *out,
                                                             MpPop3ProgressFunc    progress,
                                                             gpointer              progress_data,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_retr_to_stream_finish   (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             guint64              *n_bytes,
                                                             GError              **error);
void                 mp_pop3_client_dele_async              (MpPop3Client         *self,
                                                             guint                 number,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_dele_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_rset_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_rset_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_noop_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_noop_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_last_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_last_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             guint                *last,
                                                             GError              **error);
void                 mp_pop3_client_quit_async              (MpPop3Client         *self,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             mp_pop3_client_quit_finish             (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_top_many_async          (MpPop3Client         *self,
                                                             const guint          *numbers,
                                                             guint                 n_numbers,
                                                             guint                 lines,
                                                             gsize                 max_bytes,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GPtrArray           *mp_pop3_client_top_many_finish         (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);
void                 mp_pop3_client_dele_many_async         (MpPop3Client         *self,
                                                             const guint          *numbers,
                                                             guint                 n_numbers,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
GPtrArray           *mp_pop3_client_dele_many_finish        (MpPop3Client         *self,
                                                             GAsyncResult         *result,
                                                             GError              **error);

void                 mp_pop3_uidl_entry_free                (MpPop3UidlEntry      *entry);
void                 mp_pop3_result_free                    (MpPop3Result         *result);

G_END_DECLS
