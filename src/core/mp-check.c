/* mp-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-check"

#include "config.h"

#include <string.h>

#include "mp-check.h"

/* One read-only session: connect, log in, STAT, LIST, UIDL, TOP for every
 * message not already known, QUIT. It never sends DELE, so QUIT changes
 * nothing on the server.
 */

void
mp_message_info_free (MpMessageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->uid);
  g_free (info->key);
  g_clear_pointer (&info->headers, mp_headers_free);
  g_clear_error (&info->error);
  g_free (info);
}

void
mp_mailbox_snapshot_free (MpMailboxSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_clear_pointer (&snapshot->messages, g_ptr_array_unref);
  g_free (snapshot);
}

typedef struct
{
  GHashTable        *known_uids;
  MpMailboxSnapshot *snapshot;
  GArray            *list;
  GPtrArray         *uidl;
  GError            *error;
  guint              pending;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_clear_pointer (&data->known_uids, g_hash_table_unref);
  g_clear_pointer (&data->list, g_array_unref);
  g_clear_pointer (&data->uidl, g_ptr_array_unref);
  g_clear_error (&data->error);
  g_clear_pointer (&data->snapshot, mp_mailbox_snapshot_free);
  g_free (data);
}

static void
fail (GTask  *task,
      GError *error)
{
  MpPop3Client *client = g_task_get_source_object (task);

  mp_pop3_client_close (client);
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
quit_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mp_pop3_client_quit_finish (MP_POP3_CLIENT (object), result, &error))
    g_debug ("QUIT failed: %s", error->message);
}

/* Servers without UIDL: like other clients, recognise a message by its
 * header block (Received lines, Message-ID and Date make it unique in
 * practice). Only the part before the first empty line counts, in case the
 * server sends more than TOP n 0 asked for.
 */
static char *
header_hash_key (const char *text,
                 gsize       len)
{
  const char *end = g_strstr_len (text, len, "\r\n\r\n");
  gsize header_len = end ? (gsize) (end - text) + 2 : len;
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                      (const guchar *) text,
                                                      header_len);

  return g_strconcat ("sha256:", hex, NULL);
}

static void
top_many_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  MpPop3Client *client = MP_POP3_CLIENT (object);
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GHashTable) by_number = g_hash_table_new (NULL, NULL);
  GError *error = NULL;

  results = mp_pop3_client_top_many_finish (client, result, &error);
  if (results == NULL)
    {
      fail (task, error);
      return;
    }

  for (guint i = 0; i < data->snapshot->messages->len; i++)
    {
      MpMessageInfo *info = g_ptr_array_index (data->snapshot->messages, i);

      g_hash_table_insert (by_number, GUINT_TO_POINTER (info->number), info);
    }

  for (guint i = 0; i < results->len; i++)
    {
      MpPop3Result *res = g_ptr_array_index (results, i);
      MpMessageInfo *info = g_hash_table_lookup (by_number, GUINT_TO_POINTER (res->number));

      g_assert (info != NULL);
      if (res->error != NULL)
        info->error = g_steal_pointer (&res->error);
      else
        {
          gsize len = 0;
          const char *text = g_bytes_get_data (res->data, &len);

          if (text == NULL)
            text = "";

          info->headers = mp_headers_parse (text, len);
          if (info->key == NULL)
            info->key = header_hash_key (text, len);
        }
    }

  /* Nothing was marked for deletion, so QUIT's answer changes nothing: the
   * snapshot is complete now, and the session ends on its own (the QUIT in
   * flight keeps the client alive; see mp_pop3_client_is_connected()).
   */
  mp_pop3_client_quit_async (client, NULL, quit_cb, NULL);
  g_task_return_pointer (task, g_steal_pointer (&data->snapshot),
                         (GDestroyNotify) mp_mailbox_snapshot_free);
  g_object_unref (task);
}

static void
fetch_headers (GTask *task)
{
  MpPop3Client *client = g_task_get_source_object (task);
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < data->snapshot->messages->len; i++)
    {
      MpMessageInfo *info = g_ptr_array_index (data->snapshot->messages, i);

      if (info->uid != NULL && data->known_uids != NULL &&
          g_hash_table_contains (data->known_uids, info->uid))
        continue;
      g_array_append_val (numbers, info->number);
    }

  mp_pop3_client_top_many_async (client,
                                 (const guint *) (gpointer) numbers->data,
                                 numbers->len,
                                 0,
                                 MP_CHECK_MAX_HEADER_BYTES,
                                 g_task_get_cancellable (task),
                                 top_many_cb,
                                 task);
}

/* STAT, LIST and UIDL go out together (pipelined when the server allows)
 * and are put together once all three are answered.
 */
static void
listing_done (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GHashTable) by_number = g_hash_table_new (NULL, NULL);

  if (data->error != NULL)
    {
      fail (task, g_steal_pointer (&data->error));
      return;
    }

  for (guint i = 0; i < data->list->len; i++)
    {
      const MpPop3ListEntry *entry = &g_array_index (data->list, MpPop3ListEntry, i);
      MpMessageInfo *info = g_new0 (MpMessageInfo, 1);

      info->number = entry->number;
      info->size = entry->size;
      g_ptr_array_add (data->snapshot->messages, info);
      g_hash_table_insert (by_number, GUINT_TO_POINTER (info->number), info);
    }

  /* A UIDL entry for a number LIST did not give is ignored; a number that
   * appears twice keeps its first UID. Either way a message never gets a
   * UID that belongs to another.
   */
  for (guint i = 0; data->uidl != NULL && i < data->uidl->len; i++)
    {
      MpPop3UidlEntry *entry = g_ptr_array_index (data->uidl, i);
      MpMessageInfo *info = g_hash_table_lookup (by_number, GUINT_TO_POINTER (entry->number));

      if (info == NULL)
        {
          g_debug ("UIDL lists message %u which LIST did not", entry->number);
          continue;
        }
      if (info->uid == NULL)
        {
          info->uid = g_steal_pointer (&entry->uid);
          info->key = g_strdup (info->uid);
        }
    }

  fetch_headers (task);
}

static void
listing_step_done (GTask  *task,
                   GError *error)
{
  CheckData *data = g_task_get_task_data (task);

  if (error != NULL && data->error == NULL)
    data->error = error;
  else if (error != NULL)
    g_error_free (error);

  if (--data->pending == 0)
    listing_done (task);
}

static void
uidl_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->uidl = mp_pop3_client_uidl_finish (MP_POP3_CLIENT (object), result, &error);
  if (data->uidl != NULL)
    data->snapshot->uidl_supported = TRUE;
  else if (g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED))
    g_clear_error (&error);

  listing_step_done (task, error);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->list = mp_pop3_client_list_finish (MP_POP3_CLIENT (object), result, &error);
  listing_step_done (task, error);
}

static void
stat_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  mp_pop3_client_stat_finish (MP_POP3_CLIENT (object), result,
                              &data->snapshot->count, &data->snapshot->size,
                              &error);
  listing_step_done (task, error);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  MpPop3Client *client = MP_POP3_CLIENT (object);
  CheckData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!mp_pop3_client_open_finish (client, result, &error))
    {
      fail (task, error);
      return;
    }

  data->snapshot->pipelining = mp_pop3_client_get_pipelining (client);

  /* Without CAPA, a missing UIDL capability proves nothing: ask. */
  data->pending = 2;
  if (!mp_pop3_client_get_capa_supported (client) ||
      mp_pop3_client_has_capability (client, "UIDL"))
    data->pending++;

  mp_pop3_client_stat_async (client, cancellable, stat_cb, task);
  mp_pop3_client_list_async (client, cancellable, list_cb, task);
  if (data->pending == 3)
    mp_pop3_client_uidl_async (client, cancellable, uidl_cb, task);
}

/**
 * mp_check_mailbox_async:
 * @client: a client that has not connected yet
 * @known_uids: (nullable): UIDs whose headers the caller already has; no
 *   TOP is sent for them
 *
 * Runs one read-only session and collects what the mailbox holds. It
 * completes as soon as the snapshot is complete: the QUIT that ends the
 * session (which deletes nothing) is then still on its way, and
 * mp_pop3_client_is_connected() turns %FALSE once it is answered.
 */
void
mp_check_mailbox_async (MpPop3Client        *client,
                        const char          *user,
                        const char          *password,
                        MpPop3AuthMethod     auth,
                        GHashTable          *known_uids,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  CheckData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (client));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_check_mailbox_async);

  data = g_new0 (CheckData, 1);
  data->known_uids = known_uids ? g_hash_table_ref (known_uids) : NULL;
  data->snapshot = g_new0 (MpMailboxSnapshot, 1);
  data->snapshot->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_message_info_free);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);

  mp_pop3_client_open_async (client, user, password, auth, cancellable, open_cb, task);
}

/**
 * mp_check_mailbox_finish:
 *
 * Returns: (transfer full): what the mailbox holds, or %NULL with the
 *   error that ended the session
 */
MpMailboxSnapshot *
mp_check_mailbox_finish (MpPop3Client  *client,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
