/* mp-mailbox-private.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the poller (and the other mp-mailbox-*.c files) may do to a
 * mailbox.
 */

#pragma once

#include "mp-check.h"
#include "mp-mailbox.h"
#include "mp-mailbox-state.h"
#include "mp-poller.h"

G_BEGIN_DECLS

MpMailbox          *mp_mailbox_new                 (MpPoller     *poller,
                                                    MpAccount    *account);
void                mp_mailbox_start               (MpMailbox    *self);
void                mp_mailbox_shutdown            (MpMailbox    *self);
void                mp_mailbox_detach              (MpMailbox    *self);
void                mp_mailbox_run_session         (MpMailbox    *self);
void                mp_mailbox_network_changed     (MpMailbox    *self,
                                                    gboolean      available);
void                mp_mailbox_set_scheduled       (MpMailbox    *self,
                                                    gboolean      scheduled);
MpMailboxState     *mp_mailbox_get_state           (MpMailbox    *self);
const MpPollResult *mp_mailbox_get_last_result     (MpMailbox    *self);
guint               mp_mailbox_get_next_delay      (MpMailbox    *self);

G_END_DECLS

G_BEGIN_DECLS

/* The class in parts: mp-mailbox.c (properties, the list and counts),
 * mp-mailbox-mark.c (marking and saving), mp-mailbox-summary.c (the
 * summary), mp-mailbox-session.c (the queue of sessions, the schedule,
 * the poll) and mp-mailbox-transfer.c (snippet, download, delete).
 */

typedef enum
{
  MP_MAILBOX_JOB_POLL,
  MP_MAILBOX_JOB_SNIPPET,
  MP_MAILBOX_JOB_DOWNLOAD,
  MP_MAILBOX_JOB_DELETE,
} MpMailboxJobKind;

typedef struct _MpMailboxJob MpMailboxJob;

struct _MpMailboxJob
{
  MpMailboxJobKind    kind;
  GPtrArray          *tasks;        /* GTask; a scheduled poll has none */
  GPtrArray          *messages;     /* MpMessage, for snippets: one per task */
  char               *directory;
  MpDownloadFlags     flags;
  MpTransferProgress  progress;
  gpointer            progress_data;
  guint               progress_done;
  guint64             progress_bytes;
  GCancellable       *cancellable;
  GCancellable       *caller_cancellable;
  gulong              caller_cancel_id;
  MpPop3Client       *client;
  char               *password;
  MpMailboxStatus     status_before;
  /* A poll that started while the state loads: what it knows comes when
   * the state is there, and an end it met meanwhile waits for that too.
   */
  MpCheckKnown       *known;
  gboolean            ended_early;
  GError             *early_error;
};

/* How a job goes on once it has a client (or failed to get one). */
typedef void (*MpMailboxJobStep) (MpMailbox    *self,
                                  MpMailboxJob *job,
                                  const GError *error);

struct _MpMailbox
{
  GObject               parent_instance;

  MpPoller             *poller;             /* weak */
  MpAccount            *account;
  gulong                account_notify_id;
  char                 *state_key;
  MpMailboxState       *state;
  gulong                state_changed_id;
  GCancellable         *cancellable;        /* all work; cancelled by shutdown */

  /* The list and what is counted over it. */
  GPtrArray            *messages;
  guint                 n_new;
  guint                 n_unseen;
  guint64               size;
  guint                 stat_count;
  gboolean              have_listing;

  MpMailboxStatus       status;
  GError               *error;
  GTlsCertificate      *certificate;
  GTlsCertificateFlags  certificate_errors;
  gboolean              uidl_supported;
  gboolean              top_supported;
  gboolean              pipelining;
  char                **capabilities;
  GDateTime            *last_checked;
  GDateTime            *next_check;
  gboolean              busy;

  /* The queue: one session of this account at a time. */
  GQueue                jobs;
  MpMailboxJob         *running;
  gboolean              requested;
  gboolean              in_session;         /* until the job's client is gone */
  gboolean              loading;

  /* The schedule. */
  guint                 timer_id;
  guint                 failures;
  guint                 next_delay;
  gboolean              waiting_for_network;
  gboolean              shut_down;
  MpPollResult         *last;

  /* Saving, one at a time. */
  gboolean              saving;
  GPtrArray            *save_waiters;       /* tasks the running save completes */
  GPtrArray            *save_queued;        /* tasks for the next save */
  gboolean              save_again;
};

/* mp-mailbox.c */
gboolean  mp_mailbox_message_is_new      (MpMailbox          *self,
                                          MpMessage          *message);
void      mp_mailbox_apply_snapshot      (MpMailbox          *self,
                                          MpMailboxSnapshot  *snapshot);
void      mp_mailbox_sync_flags          (MpMailbox          *self);
void      mp_mailbox_remove_keys         (MpMailbox          *self,
                                          GHashTable         *keys);
void      mp_mailbox_set_status          (MpMailbox          *self,
                                          MpMailboxStatus     status);
void      mp_mailbox_set_error           (MpMailbox          *self,
                                          const GError       *error,
                                          GTlsCertificate    *certificate,
                                          GTlsCertificateFlags certificate_errors);
void      mp_mailbox_set_session_info    (MpMailbox          *self,
                                          MpPop3Client       *client,
                                          MpMailboxSnapshot  *snapshot);
void      mp_mailbox_set_last_checked    (MpMailbox          *self,
                                          GDateTime          *when);
void      mp_mailbox_set_next_check      (MpMailbox          *self,
                                          GDateTime          *when);
void      mp_mailbox_update_busy         (MpMailbox          *self);
void      mp_mailbox_emit_arrived        (MpMailbox          *self);

/* mp-mailbox-mark.c */
void      mp_mailbox_save                (MpMailbox          *self,
                                          GTask              *task);

/* mp-mailbox-session.c */
void      mp_mailbox_enqueue             (MpMailbox          *self,
                                          MpMailboxJob       *job);
MpMailboxJob *mp_mailbox_job_new         (MpMailboxJobKind    kind,
                                          GTask              *task);
void      mp_mailbox_job_free            (MpMailboxJob       *job);
void      mp_mailbox_schedule_poll       (MpMailbox          *self,
                                          guint               seconds);
void      mp_mailbox_poll_soon           (MpMailbox          *self,
                                          GTask              *task);
void      mp_mailbox_account_changed     (MpMailbox          *self,
                                          GParamSpec         *pspec);
void      mp_mailbox_job_fail            (MpMailboxJob       *job,
                                          const GError       *error);
void      mp_mailbox_job_cancelled       (MpMailboxJob       *job);
MpMailboxJob *mp_mailbox_queued_job      (MpMailbox          *self,
                                          MpMailboxJobKind    kind);
void      mp_mailbox_get_client          (MpMailbox          *self,
                                          MpMailboxJob       *job,
                                          MpMailboxJobStep    next);
void      mp_mailbox_end_job             (MpMailbox          *self,
                                          MpMailboxJob       *job);

/* mp-mailbox-transfer.c */
void      mp_mailbox_run_snippet         (MpMailbox          *self,
                                          MpMailboxJob       *job);
void      mp_mailbox_run_transfer        (MpMailbox          *self,
                                          MpMailboxJob       *job);

G_END_DECLS
