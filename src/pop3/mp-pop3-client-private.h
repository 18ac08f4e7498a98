/* mp-pop3-client-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the parts of MpPop3Client share and nothing outside src/pop3 may
 * use: the instance struct, the command queue and the reply type.
 *
 *   mp-pop3-client.c       the object, the queue and the reader pump
 *   mp-pop3-connect.c      connect, TLS, STLS, CAPA
 *   mp-pop3-auth.c         login (the SASL messages are mp-pop3-sasl.c)
 *   mp-pop3-commands.c     one command each, with its parser
 *   mp-pop3-jobs.c         many commands queued at once
 *   mp-pop3-certificate.c  fingerprints and certificate errors
 *
 * Every operation is a GTask; the ones that go on the wire watch the
 * caller's GCancellable (see _mp_pop3_client_watch_cancellable()) and keep
 * the handler id in their task data.
 */

#pragma once

#include "mp-pop3-client.h"
#include "mp-pop3-reader.h"

G_BEGIN_DECLS

typedef enum
{
  STATE_DISCONNECTED,
  STATE_CONNECTING,
  STATE_AUTHORIZATION,
  STATE_TRANSACTION,
  STATE_CLOSED,
} State;

typedef enum
{
  REPLY_OK,
  REPLY_ERR,
  REPLY_CONTINUE,
} ReplyKind;

typedef struct
{
  ReplyKind  kind;
  char      *text;
  GBytes    *data;
  /* A reply streamed to a GOutputStream: what the stream took, and why it
   * stopped taking more (the rest of the reply was read and dropped).
   */
  guint64    n_streamed;
  GError    *sink_error;
} Reply;

typedef void (*CommandDone) (MpPop3Client *self,
                             Reply        *reply,
                             const GError *error,
                             gpointer      user_data);

/* Asked just before a queued command would go on the wire: TRUE drops it
 * unsent, and its CommandDone is called with neither reply nor error.
 */
typedef gboolean (*CommandSkip) (MpPop3Client *self,
                                 gpointer      user_data);

typedef enum
{
  CMD_MULTILINE = 1 << 0,
  CMD_CONTINUE  = 1 << 1,
  CMD_SENSITIVE = 1 << 2,
  /* Queued by a caller while mp_pop3_client_open_async() runs: held
   * until the login succeeded (see _mp_pop3_client_release_held()).
   */
  CMD_AFTER_LOGIN = 1 << 3,
} CommandFlags;

/* Called once a closed session has no read or write left in flight, so
 * that its streams and buffers may be replaced (a new session after a
 * server hung up on a refused login).
 */
typedef void (*QuiescentFunc) (MpPop3Client *self,
                               gpointer      user_data);

typedef struct _Command Command;
typedef struct _CommandSink CommandSink;

struct _MpPop3Client
{
  GObject              parent_instance;

  char                *host;
  guint16              port;
  MpPop3Security       security;
  guint                timeout;
  GTlsDatabase        *extra_database;
  char                *pin;
  gboolean             pipelining_allowed;

  State                state;
  GError              *fatal;
  GSocketConnection   *socket_connection;
  GIOStream           *stream;
  GInputStream        *input;
  GOutputStream       *output;
  GCancellable        *io_cancellable;
  MpPop3Reader        *reader;
  guint8              *read_buffer;
  GByteArray          *out_buffer;
  GByteArray          *writing_buffer;
  gboolean             reading;
  gboolean             writing;
  GQueue               pending;
  GQueue               inflight;
  /* Commands queued while the session opens (CMD_AFTER_LOGIN): they go on
   * the wire only once the login succeeded, and fail unsent otherwise.
   */
  GQueue               held;
  gboolean             opening;
  /* While set, the queue fills the output buffer but does not write it,
   * so that commands queued together leave in one write.
   */
  gboolean             corked;
  gsize                inflight_bytes;
  /* A streamed reply is being written to its GOutputStream: nothing more
   * is read from the server until the write is done (back-pressure).
   */
  gboolean             sink_paused;
  gsize                max_buffered;
  QuiescentFunc        quiescent_func;
  gpointer             quiescent_data;

  char                *greeting;
  char                *apop_timestamp;
  GStrv                capabilities;
  gboolean             capa_supported;
  /* The CAPA that follows the login was answered (RFC 2449 §4). */
  gboolean             login_capa_done;
  gboolean             encrypted;
  gboolean             pipelining;
  gboolean             pin_mismatch;
  /* RFC 6856: the server accepted UTF8 in this session. */
  gboolean             utf8;
  /* A TOP for a message that exists was refused in this session. */
  gboolean             top_refused;
  /* The size of the maildrop, once STAT or LIST said it. */
  gboolean             n_messages_known;
  guint                n_messages;
  MpPop3AuthMethod     auth_used;
  GTlsCertificate     *peer_certificate;
  GTlsCertificateFlags peer_certificate_errors;
  GHashTable          *command_counts;
};

/* mp-pop3-client.c: helpers */
void     _mp_pop3_reply_free                 (Reply            *reply);
void     _mp_pop3_secure_free                (char             *str);
char    *_mp_pop3_sanitize_server_text       (const char       *text);
gboolean _mp_pop3_has_line_break             (const char       *str);
GError  *_mp_pop3_client_error_from_reply    (MpPop3Client     *self,
                                              const char       *text,
                                              MpPop3Error       fallback,
                                              const char       *what);
GError  *_mp_pop3_client_map_io_error        (MpPop3Client     *self,
                                              GError           *error);

/* mp-pop3-client.c: the session and its queue */
void     _mp_pop3_client_close_socket        (MpPop3Client     *self);
void     _mp_pop3_client_fail_connection     (MpPop3Client     *self,
                                              const GError     *error);
void     _mp_pop3_client_queue_command       (MpPop3Client     *self,
                                              const char       *line,
                                              CommandFlags      flags,
                                              gsize             max_bytes,
                                              CommandDone       done,
                                              gpointer          user_data);
void     _mp_pop3_client_queue_command_full  (MpPop3Client     *self,
                                              const char       *line,
                                              CommandFlags      flags,
                                              gsize             max_bytes,
                                              CommandSkip       skip,
                                              CommandDone       done,
                                              gpointer          user_data);
void     _mp_pop3_client_queue_command_to_stream (MpPop3Client *self,
                                              const char       *line,
                                              gsize             max_bytes,
                                              GOutputStream    *out,
                                              MpPop3ProgressFunc progress,
                                              gpointer          progress_data,
                                              CommandDone       done,
                                              gpointer          user_data);
void     _mp_pop3_client_set_corked          (MpPop3Client     *self,
                                              gboolean          corked);
void     _mp_pop3_client_release_held        (MpPop3Client     *self);
void     _mp_pop3_client_fail_held           (MpPop3Client     *self,
                                              const GError     *error);
void     _mp_pop3_client_when_quiescent      (MpPop3Client     *self,
                                              QuiescentFunc     func,
                                              gpointer          user_data);
void     _mp_pop3_client_reset_connection    (MpPop3Client     *self);
void     _mp_pop3_client_watch_cancellable   (MpPop3Client     *self,
                                              GTask            *task,
                                              gulong           *cancel_id);
void     _mp_pop3_task_unwatch_cancellable   (GTask            *task,
                                              gulong           *cancel_id);
gboolean _mp_pop3_client_check_transaction   (MpPop3Client     *self,
                                              GTask            *task,
                                              gboolean          while_opening);
gboolean _mp_pop3_client_propagate_boolean   (MpPop3Client     *self,
                                              GAsyncResult     *result,
                                              GError          **error);
void     _mp_pop3_task_return_error          (GTask            *task,
                                              gulong           *cancel_id,
                                              const GError     *error);

/* mp-pop3-connect.c */
void     _mp_pop3_client_set_capabilities    (MpPop3Client     *self,
                                              GStrv             lines);
void     _mp_pop3_client_parse_capabilities  (MpPop3Client     *self,
                                              GBytes           *data);
void     _mp_pop3_client_reconnect_async     (MpPop3Client     *self,
                                              GCancellable     *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer          user_data);
gboolean _mp_pop3_client_reconnect_finish    (MpPop3Client     *self,
                                              GAsyncResult     *result,
                                              GError          **error);
void     _mp_pop3_client_shutdown_async      (MpPop3Client     *self,
                                              GAsyncReadyCallback callback,
                                              gpointer          user_data);

/* mp-pop3-commands.c */
void     _mp_pop3_client_note_top_refused    (MpPop3Client     *self,
                                              guint             number);
GError  *_mp_pop3_client_top_refused_error   (MpPop3Client     *self);

/* mp-pop3-certificate.c */
char    *_mp_pop3_describe_certificate_flags (GTlsCertificateFlags flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Reply, _mp_pop3_reply_free)

G_END_DECLS
