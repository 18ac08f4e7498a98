/* mp-transfer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-transfer"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mp-transfer.h"
#include "mp-transfer-file.h"
#include "mp-session-private.h"

/* Download and delete, by UID only. Every session runs UIDL itself and
 * acts on the message numbers of that same session: numbers shift whenever
 * another client deletes, so a number from an earlier session could name
 * another message. A UID that is missing or listed twice is reported and
 * left alone. DELE only marks; a message counts as deleted only once QUIT
 * is answered with +OK.
 */

/* LIST sizes are only what the server believes; RETR data is ended by
 * the terminator alone, and this cap only stops a runaway server.
 */
#define RETR_SLACK     (1024 * 1024)
#define RETR_MAX_BYTES ((gsize) 1024 * 1024 * 1024)
/* TOP n k for a snippet: the headers and a few lines; a server that sends
 * the whole message instead is cut off here.
 */
#define MP_TRANSFER_MAX_TOP_BYTES (512 * 1024)

G_DEFINE_QUARK (mp-transfer-error-quark, mp_transfer_error)

void
mp_transfer_outcome_free (MpTransferOutcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free (outcome->uid);
  g_free (outcome->path);
  g_clear_pointer (&outcome->data, g_bytes_unref);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

typedef struct
{
  char             *directory;
  MpDownloadFlags   flags;
  gboolean          download;
  gboolean          top;
  guint             top_lines;
  GPtrArray        *outcomes;
  GHashTable       *numbers;
  GHashTable       *sizes;
  guint             next;
  GPtrArray        *marked;
  MpTransferFile   *file;
  MpTransferStepFunc step;
  gpointer          step_data;
} TransferData;

static void
transfer_data_free (TransferData *data)
{
  g_free (data->directory);
  g_clear_pointer (&data->outcomes, g_ptr_array_unref);
  g_clear_pointer (&data->numbers, g_hash_table_unref);
  g_clear_pointer (&data->sizes, g_hash_table_unref);
  g_clear_pointer (&data->marked, g_ptr_array_unref);
  if (data->file != NULL)
    mp_transfer_file_abort (data->file);
  g_clear_object (&data->file);
  g_free (data);
}

static guint
outcome_number (TransferData      *data,
                MpTransferOutcome *outcome)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (data->numbers, outcome));
}

static void
finish (GTask *task)
{
  TransferData *data = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&data->outcomes),
                         (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

/* The session broke: every message not settled yet shares the error. A
 * message already saved keeps its file, but if it was to be deleted in
 * this session it says that it was not, like a failed DELE or QUIT would.
 */
static void
settle_remaining (TransferData *data,
                  const GError *error)
{
  for (guint i = 0; i < data->outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);

      if (outcome->error != NULL || outcome->deleted)
        continue;
      if (data->download && outcome->path != NULL)
        {
          if (data->flags & MP_DOWNLOAD_DELETE_AFTER)
            outcome->error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_CONFIRMED,
                                          _("Not deleted: %s"), error->message);
          continue;
        }
      outcome->error = g_error_copy (error);
    }
}

static void
quit_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!mp_pop3_client_quit_finish (MP_POP3_CLIENT (object), result, &error))
    {
      for (guint i = 0; i < data->marked->len; i++)
        {
          MpTransferOutcome *outcome = g_ptr_array_index (data->marked, i);

          outcome->error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_CONFIRMED,
                                        _("Not deleted: %s"), error->message);
        }
      finish (task);
      return;
    }

  for (guint i = 0; i < data->marked->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->marked, i);

      outcome->deleted = TRUE;
    }
  finish (task);
}

static void
quit (GTask *task)
{
  MpPop3Client *client = g_task_get_source_object (task);

  mp_pop3_client_quit_async (client, g_task_get_cancellable (task), quit_cb, task);
}

static void
dele_many_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) candidates = g_steal_pointer (&data->marked);
  g_autoptr(GError) error = NULL;

  data->marked = g_ptr_array_new ();
  results = mp_pop3_client_dele_many_finish (MP_POP3_CLIENT (object), result, &error);
  if (results == NULL)
    {
      g_autoptr(GError) not_confirmed =
        g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_CONFIRMED,
                     _("Not deleted: %s"), error->message);

      for (guint i = 0; i < candidates->len; i++)
        {
          MpTransferOutcome *outcome = g_ptr_array_index (candidates, i);

          g_clear_error (&outcome->error);
          outcome->error = g_error_copy (not_confirmed);
        }
      finish (task);
      return;
    }

  g_assert (results->len == candidates->len);
  for (guint i = 0; i < results->len; i++)
    {
      MpPop3Result *res = g_ptr_array_index (results, i);
      MpTransferOutcome *outcome = g_ptr_array_index (candidates, i);

      if (res->error != NULL)
        outcome->error = g_steal_pointer (&res->error);
      else
        g_ptr_array_add (data->marked, outcome);
    }

  quit (task);
}

static void
delete_marked (GTask     *task,
               GPtrArray *candidates)
{
  MpPop3Client *client = g_task_get_source_object (task);
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < candidates->len; i++)
    {
      guint number = outcome_number (data, g_ptr_array_index (candidates, i));

      g_array_append_val (numbers, number);
    }

  g_clear_pointer (&data->marked, g_ptr_array_unref);
  data->marked = g_ptr_array_ref (candidates);

  if (numbers->len == 0)
    {
      quit (task);
      return;
    }

  mp_pop3_client_dele_many_async (client,
                                  (const guint *) (gpointer) numbers->data,
                                  numbers->len,
                                  g_task_get_cancellable (task),
                                  dele_many_cb,
                                  task);
}

/* Writing to disk: each message streams into an MpTransferFile, whose
 * blocking work runs on worker threads.
 */

static void retr_next (GTask *task);

/* This message is settled (saved or failed); on to the next. */
static void
next_message (GTask *task)
{
  TransferData *data = g_task_get_task_data (task);

  /* Unless it was committed, this removes the temporary file. */
  if (data->file != NULL)
    mp_transfer_file_abort (data->file);
  g_clear_object (&data->file);
  if (data->step != NULL)
    data->step (g_ptr_array_index (data->outcomes, data->next), data->step_data);
  data->next++;
  retr_next (task);
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, data->next);
  GError *error = NULL;

  outcome->path = mp_transfer_file_commit_finish (MP_TRANSFER_FILE (object), result, &error);
  if (outcome->path == NULL)
    outcome->error = error;
  next_message (task);
}

static void
retr_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, data->next);
  g_autoptr(GError) error = NULL;

  if (!mp_pop3_client_retr_to_stream_finish (MP_POP3_CLIENT (object), result, NULL, &error))
    {
      if (!mp_pop3_client_is_connected (MP_POP3_CLIENT (object)))
        {
          /* Nothing can be marked without a session; nothing was. */
          mp_transfer_file_abort (data->file);
          g_clear_object (&data->file);
          settle_remaining (data, error);
          finish (task);
          return;
        }
      /* The file failed (the engine read the rest of the message and
       * dropped it, so the session goes on), or the server said -ERR.
       */
      if (error->domain == G_IO_ERROR)
        outcome->error = g_error_new_literal (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
                                              error->message);
      else
        outcome->error = g_steal_pointer (&error);
      next_message (task);
      return;
    }

  mp_transfer_file_commit_async (data->file, g_task_get_cancellable (task), commit_cb, task);
}

static void
file_open_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  MpPop3Client *client = g_task_get_source_object (task);
  TransferData *data = g_task_get_task_data (task);
  MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, data->next);
  GError *error = NULL;
  guint number;
  guint64 size;
  gsize max;

  data->file = mp_transfer_file_open_finish (result, &error);
  if (data->file == NULL)
    {
      outcome->error = error;
      next_message (task);
      return;
    }

  number = outcome_number (data, outcome);
  size = GPOINTER_TO_SIZE (g_hash_table_lookup (data->sizes, GUINT_TO_POINTER (number)));
  max = MIN ((gsize) size * 2 + RETR_SLACK, RETR_MAX_BYTES);
  /* Streamed: the message is never whole in memory, and the writes (and
   * the Maildir's CRLF to LF) run on GIO's worker threads.
   */
  mp_pop3_client_retr_to_stream_async (client, number, max,
                                       mp_transfer_file_get_stream (data->file), NULL, NULL,
                                       g_task_get_cancellable (task), retr_cb, task);
}

static void
retr_next (GTask *task)
{
  TransferData *data = g_task_get_task_data (task);

  /* One message at a time keeps memory to one message, and a disk error
   * is known before the next one is fetched.
   */
  while (data->next < data->outcomes->len)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, data->next);

      if (outcome->error != NULL)
        {
          data->next++;
          continue;
        }

      /* The file first: a folder that cannot be written costs no RETR. */
      mp_transfer_file_open_async (data->directory, outcome->uid,
                                   (data->flags & MP_DOWNLOAD_MAILDIR) != 0,
                                   g_task_get_cancellable (task), file_open_cb, task);
      return;
    }

  if (data->flags & MP_DOWNLOAD_DELETE_AFTER)
    {
      g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

      for (guint i = 0; i < data->outcomes->len; i++)
        {
          MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);

          if (outcome->path != NULL)
            g_ptr_array_add (candidates, outcome);
        }
      delete_marked (task, candidates);
      return;
    }

  quit (task);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GArray) entries = NULL;
  GError *error = NULL;

  entries = mp_pop3_client_list_finish (MP_POP3_CLIENT (object), result, &error);
  if (entries == NULL)
    {
      mp_session_fail (task, error);
      return;
    }

  data->sizes = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      const MpPop3ListEntry *entry = &g_array_index (entries, MpPop3ListEntry, i);

      g_hash_table_insert (data->sizes, GUINT_TO_POINTER (entry->number),
                           GSIZE_TO_POINTER ((gsize) entry->size));
    }

  /* A server whose UIDL names a number that LIST lacks contradicts
   * itself; such a message is left alone rather than guessed at.
   */
  for (guint i = 0; i < data->outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);
      guint number = outcome_number (data, outcome);

      if (outcome->error == NULL &&
          !g_hash_table_contains (data->sizes, GUINT_TO_POINTER (number)))
        outcome->error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND,
                                      _("The server's UIDL and LIST disagree about UID %s; "
                                        "left alone"), outcome->uid);
    }

  if (data->download)
    {
      data->next = 0;
      retr_next (task);
    }
  else
    {
      g_autoptr(GPtrArray) candidates = g_ptr_array_new ();

      for (guint i = 0; i < data->outcomes->len; i++)
        {
          MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);

          if (outcome->error == NULL)
            g_ptr_array_add (candidates, outcome);
        }
      delete_marked (task, candidates);
    }
}

/* TOP by UID (snippets): the numbers come from this session's UIDL, like
 * those of RETR and DELE, so TOP never shows another message's text.
 */
static void
top_many_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) asked = g_steal_pointer (&data->marked);
  GError *error = NULL;

  /* Nothing is marked for deletion in this session. */
  data->marked = g_ptr_array_new ();
  results = mp_pop3_client_top_many_finish (MP_POP3_CLIENT (object), result, &error);
  if (results == NULL)
    {
      mp_session_fail (task, error);
      return;
    }

  g_assert (results->len == asked->len);
  for (guint i = 0; i < results->len; i++)
    {
      MpPop3Result *res = g_ptr_array_index (results, i);
      MpTransferOutcome *outcome = g_ptr_array_index (asked, i);

      if (res->error != NULL)
        outcome->error = g_steal_pointer (&res->error);
      else
        outcome->data = g_steal_pointer (&res->data);
    }

  quit (task);
}

static void
top_verified (GTask *task)
{
  MpPop3Client *client = g_task_get_source_object (task);
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));

  g_clear_pointer (&data->marked, g_ptr_array_unref);
  data->marked = g_ptr_array_new ();
  for (guint i = 0; i < data->outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);
      guint number = outcome_number (data, outcome);

      if (outcome->error != NULL)
        continue;
      g_array_append_val (numbers, number);
      g_ptr_array_add (data->marked, outcome);
    }

  if (numbers->len == 0)
    {
      quit (task);
      return;
    }

  mp_pop3_client_top_many_async (client,
                                 (const guint *) (gpointer) numbers->data,
                                 numbers->len,
                                 data->top_lines,
                                 MP_TRANSFER_MAX_TOP_BYTES,
                                 g_task_get_cancellable (task),
                                 top_many_cb,
                                 task);
}

static void
uidl_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  MpPop3Client *client = MP_POP3_CLIENT (object);
  TransferData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) by_uid = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) count = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;

  entries = mp_pop3_client_uidl_finish (client, result, &error);
  if (entries == NULL)
    {
      if (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED))
        {
          g_clear_error (&error);
          error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NO_UIDL,
                               _("%s does not support UIDL, so messages cannot be "
                                 "named safely; nothing was changed"),
                               mp_pop3_client_get_host (client));
        }
      mp_session_fail (task, error);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      MpPop3UidlEntry *entry = g_ptr_array_index (entries, i);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (count, entry->uid));

      g_hash_table_insert (count, entry->uid, GUINT_TO_POINTER (n + 1));
      g_hash_table_insert (by_uid, entry->uid, GUINT_TO_POINTER (entry->number));
    }

  for (guint i = 0; i < data->outcomes->len; i++)
    {
      MpTransferOutcome *outcome = g_ptr_array_index (data->outcomes, i);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (count, outcome->uid));

      if (n == 0)
        outcome->error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_NOT_FOUND,
                                      _("No message with UID %s is on the server"),
                                      outcome->uid);
      else if (n > 1)
        outcome->error = g_error_new (MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_DUPLICATE,
                                      ngettext ("The server lists UID %s for %u message; "
                                                "left alone because it is ambiguous",
                                                "The server lists UID %s for %u messages; "
                                                "left alone because it is ambiguous",
                                                n),
                                      outcome->uid, n);
      else
        g_hash_table_insert (data->numbers, outcome,
                             g_hash_table_lookup (by_uid, outcome->uid));
    }

  if (data->top)
    {
      top_verified (task);
      return;
    }

  mp_pop3_client_list_async (client, g_task_get_cancellable (task), list_cb, task);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!mp_pop3_client_open_finish (MP_POP3_CLIENT (object), result, &error))
    {
      mp_session_fail (task, error);
      return;
    }

  mp_pop3_client_uidl_async (MP_POP3_CLIENT (object), g_task_get_cancellable (task),
                             uidl_cb, task);
}

static void
start (MpPop3Client        *client,
       gpointer             source_tag,
       const char          *user,
       const char          *password,
       MpPop3AuthMethod     auth,
       const char * const  *uids,
       TransferData        *data,
       GCancellable        *cancellable,
       GAsyncReadyCallback  callback,
       gpointer             user_data)
{
  g_autoptr(GHashTable) seen = NULL;
  GTask *task;

  g_return_if_fail (MP_IS_POP3_CLIENT (client));
  g_return_if_fail (uids != NULL);

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  data->numbers = g_hash_table_new (NULL, NULL);
  data->marked = g_ptr_array_new ();
  data->outcomes = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_transfer_outcome_free);
  for (guint i = 0; uids[i] != NULL; i++)
    {
      MpTransferOutcome *outcome;

      /* The same UID twice is one message, acted on once. */
      if (!g_hash_table_add (seen, (gpointer) uids[i]))
        continue;
      outcome = g_new0 (MpTransferOutcome, 1);
      outcome->uid = g_strdup (uids[i]);
      g_ptr_array_add (data->outcomes, outcome);
    }
  g_task_set_task_data (task, data, (GDestroyNotify) transfer_data_free);

  mp_pop3_client_open_async (client, user, password, auth, cancellable, open_cb, task);
}

/* The outcomes of the session @source_tag started on @client. */
static GPtrArray *
propagate_outcomes (MpPop3Client  *client,
                    GAsyncResult  *result,
                    gpointer       source_tag,
                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_delete_messages_async:
 * @client: a client that has not connected yet
 * @uids: (array zero-terminated=1): the UIDs to delete
 *
 * Deletes exactly the messages named by @uids, in one session: UIDL, DELE
 * for each UID found exactly once, QUIT.
 */
void
mp_delete_messages_async (MpPop3Client        *client,
                          const char          *user,
                          const char          *password,
                          MpPop3AuthMethod     auth,
                          const char * const  *uids,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  start (client, mp_delete_messages_async, user, password, auth, uids, g_new0 (TransferData, 1),
         cancellable, callback, user_data);
}

/**
 * mp_delete_messages_finish:
 *
 * Returns: (transfer full) (element-type MpTransferOutcome): one outcome per
 *   distinct UID; %NULL with an error when no session could be set up
 *   (nothing was changed then)
 */
GPtrArray *
mp_delete_messages_finish (MpPop3Client  *client,
                           GAsyncResult  *result,
                           GError       **error)
{
  return propagate_outcomes (client, result, mp_delete_messages_async, error);
}

/**
 * mp_download_messages_async:
 * @directory: the folder for .eml files, or the Maildir
 *
 * Fetches each message with RETR and writes it durably (temporary file,
 * fsync, rename). With %MP_DOWNLOAD_DELETE_AFTER, the messages whose file
 * is complete are deleted in the same session.
 */
void
mp_download_messages_async (MpPop3Client        *client,
                            const char          *user,
                            const char          *password,
                            MpPop3AuthMethod     auth,
                            const char * const  *uids,
                            const char          *directory,
                            MpDownloadFlags      flags,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  mp_download_messages_full_async (client, user, password, auth, uids, directory, flags,
                                   NULL, NULL, cancellable, callback, user_data);
}

/**
 * mp_download_messages_full_async:
 * @step: (nullable) (scope notified): called on the main context each time
 *   a message is settled (written, or failed), before the next RETR
 *
 * mp_download_messages_async() with a report per message, for progress.
 * Finish with mp_download_messages_finish().
 */
void
mp_download_messages_full_async (MpPop3Client        *client,
                                 const char          *user,
                                 const char          *password,
                                 MpPop3AuthMethod     auth,
                                 const char * const  *uids,
                                 const char          *directory,
                                 MpDownloadFlags      flags,
                                 MpTransferStepFunc   step,
                                 gpointer             step_data,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TransferData *data;

  g_return_if_fail (directory != NULL);

  data = g_new0 (TransferData, 1);
  data->download = TRUE;
  data->directory = g_strdup (directory);
  data->flags = flags;
  data->step = step;
  data->step_data = step_data;
  start (client, mp_download_messages_async, user, password, auth, uids, data,
         cancellable, callback, user_data);
}

/**
 * mp_download_messages_finish:
 *
 * Returns: (transfer full) (element-type MpTransferOutcome): one outcome per
 *   distinct UID
 */
GPtrArray *
mp_download_messages_finish (MpPop3Client  *client,
                             GAsyncResult  *result,
                             GError       **error)
{
  return propagate_outcomes (client, result, mp_download_messages_async, error);
}

/**
 * mp_top_messages_async:
 * @client: a client that has not connected yet
 * @uids: (array zero-terminated=1): the UIDs
 * @lines: the body lines TOP asks for
 *
 * Fetches `TOP n @lines` of exactly the messages named by @uids, in one
 * read-only session whose UIDL maps them to numbers: UIDL, TOP for each
 * UID found exactly once, QUIT. Each outcome's data holds the reply.
 */
void
mp_top_messages_async (MpPop3Client        *client,
                       const char          *user,
                       const char          *password,
                       MpPop3AuthMethod     auth,
                       const char * const  *uids,
                       guint                lines,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  TransferData *data = g_new0 (TransferData, 1);

  data->top = TRUE;
  data->top_lines = lines;
  start (client, mp_top_messages_async, user, password, auth, uids, data,
         cancellable, callback, user_data);
}

/**
 * mp_top_messages_finish:
 *
 * Returns: (transfer full) (element-type MpTransferOutcome): one outcome per
 *   distinct UID, with data or an error; %NULL with an error when no
 *   session could be set up
 */
GPtrArray *
mp_top_messages_finish (MpPop3Client  *client,
                        GAsyncResult  *result,
                        GError       **error)
{
  return propagate_outcomes (client, result, mp_top_messages_async, error);
}
