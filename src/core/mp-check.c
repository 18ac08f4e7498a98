/* mp-check.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-check"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-check.h"
#include "mp-session-private.h"
#include "mp-headers-private.h"

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

struct _MpCheckKnown
{
  grefcount   ref;
  gboolean    done;
  GHashTable *uids;      /* nullable */
  GError     *error;
  /* The check waiting for the UIDs, with its reference. */
  GTask      *waiter;
};

typedef struct
{
  MpCheckKnown      *later;
  GHashTable        *known_uids;
  MpMailboxSnapshot *snapshot;
  GHashTable        *by_number;
  GArray            *list;
  GPtrArray         *uidl;
  GError            *error;
  gint64             retr_header_limit;
  guint              pending;       /* TOP batches or RETRs in flight */
  GPtrArray         *to_decode;     /* DecodeItem, for the next worker */
  gboolean           decoding;      /* a worker owns some of the messages */
  gboolean           retr_phase;
  GArray            *top_failed;    /* numbers whose TOP failed */
} CheckData;

/* TOP commands go out all at once (one pipeline), but their replies are
 * taken in batches of this many, each decoded while the next arrives.
 */
#define TOP_BATCH 500

/* A reply whose headers are still to be decoded: the worker of
 * headers_progress() owns @info from when it starts until its callback
 * runs on the main context.
 */
typedef struct
{
  MpMessageInfo *info;
  GBytes        *data;
} DecodeItem;

typedef struct
{
  GTask *task;
  guint  number;
} RetrItem;

static void
decode_item_free (DecodeItem *item)
{
  g_bytes_unref (item->data);
  g_free (item);
}

static void
check_data_free (CheckData *data)
{
  g_clear_pointer (&data->later, mp_check_known_unref);
  g_clear_pointer (&data->to_decode, g_ptr_array_unref);
  g_clear_pointer (&data->top_failed, g_array_unref);
  g_clear_pointer (&data->known_uids, g_hash_table_unref);
  g_clear_pointer (&data->by_number, g_hash_table_unref);
  g_clear_pointer (&data->list, g_array_unref);
  g_clear_pointer (&data->uidl, g_ptr_array_unref);
  g_clear_error (&data->error);
  g_clear_pointer (&data->snapshot, mp_mailbox_snapshot_free);
  g_free (data);
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
 * headers, but only by those that stay the same when a server rebuilds
 * the message for each session (some regenerate MIME boundaries, Received
 * or Status lines): Message-ID, Date, From, Subject and the size. Their
 * raw values count, not the decoded ones, so that a better decoder in a
 * later version does not make every message new again; only folding is
 * evened out. Each field goes in with its length, and a missing one
 * differently from an empty one, so no two different sets run together.
 * A message with none of the four falls back to its whole header block
 * (the part before the first empty line, in case the server sent more
 * than TOP n 0 asked for): it would otherwise share one key with every
 * such message of its size.
 */
static char *
header_hash_key (const char *text,
                 gsize       len,
                 guint64     size)
{
  static const char * const names[] = { "Message-ID", "Date", "From", "Subject", NULL };
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GPtrArray) values = mp_headers_dup_raw_values (text, len, names);
  gboolean any = FALSE;

  for (guint i = 0; i < values->len; i++)
    any = any || g_ptr_array_index (values, i) != NULL;

  if (any)
    {
      g_autofree char *size_text = g_strdup_printf ("size=%" G_GUINT64_FORMAT "\n", size);

      for (guint i = 0; i < values->len; i++)
        {
          const char *value = g_ptr_array_index (values, i);
          g_autofree char *field = NULL;

          if (value != NULL)
            field = g_strdup_printf ("%s=%zu:%s\n", names[i], strlen (value), value);
          else
            field = g_strdup_printf ("%s!\n", names[i]);
          g_checksum_update (checksum, (const guchar *) field, -1);
        }
      g_checksum_update (checksum, (const guchar *) size_text, -1);
    }
  else
    {
      const char *end = g_strstr_len (text, len, "\r\n\r\n");
      gsize header_len = end ? (gsize) (end - text) + 2 : len;

      g_checksum_update (checksum, (const guchar *) text, header_len);
    }

  return g_strconcat ("sha256:", g_checksum_get_string (checksum), NULL);
}

/* The header block of a whole message (from RETR), with the empty line
 * that ends it: what TOP n 0 would have sent.
 */
static gsize
header_block_length (const char *text,
                     gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (text[i] != '\n')
        continue;
      if (i + 1 < len && text[i + 1] == '\n')
        return i + 2;
      if (i + 2 < len && text[i + 1] == '\r' && text[i + 2] == '\n')
        return i + 3;
    }

  return len;
}

/* Runs in a worker of headers_progress(): GMime parses each reply into
 * objects of its own (one parser, stream and options per message, made in
 * mp_headers_parse()), and what it and mp-charset.c share between threads
 * is either read-only after g_mime_init() or locked by GMime itself
 * (g_mime_charset_iconv_name()'s name cache); mp-charset.c keeps no cache
 * but its bigram table, built under g_once_init_enter().
 */
static void
set_headers (MpMessageInfo *info,
             GBytes        *data)
{
  gsize len = 0;
  const char *text = g_bytes_get_data (data, &len);

  if (text == NULL)
    text = "";

  g_clear_error (&info->error);
  info->headers = mp_headers_parse (text, len);
  if (info->key == NULL)
    info->key = header_hash_key (text, len, info->size);
}

static void
queue_decode (CheckData     *data,
              MpMessageInfo *info,
              GBytes        *bytes)
{
  DecodeItem *item = g_new0 (DecodeItem, 1);

  item->info = info;
  item->data = bytes != NULL ? g_bytes_ref (bytes) : g_bytes_new_static ("", 0);
  g_ptr_array_add (data->to_decode, item);
}

static void
finish (GTask *task)
{
  MpPop3Client *client = g_task_get_source_object (task);
  CheckData *data = g_task_get_task_data (task);

  /* Nothing was marked for deletion, so QUIT's answer changes nothing: the
   * snapshot is complete now, and the session ends on its own (the QUIT in
   * flight keeps the client alive; see mp_pop3_client_is_connected()).
   */
  mp_pop3_client_quit_async (client, NULL, quit_cb, NULL);
  g_task_return_pointer (task, g_steal_pointer (&data->snapshot),
                         (GDestroyNotify) mp_mailbox_snapshot_free);
  g_object_unref (task);
}

static void headers_progress (GTask  *task);
static void fetch_by_retr    (GTask  *task,
                              GArray *numbers);

static void
decode_thread (GTask        *decode,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GPtrArray *items = task_data;

  for (guint i = 0; i < items->len; i++)
    {
      DecodeItem *item = g_ptr_array_index (items, i);

      /* Per message, so a cancelled poll stops within one decode. */
      if (g_task_return_error_if_cancelled (decode))
        return;
      set_headers (item->info, item->data);
    }
  g_task_return_boolean (decode, TRUE);
}

static void
decoded_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  /* The worker is done with its messages: they are the main thread's
   * again.
   */
  data->decoding = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (data->error == NULL)
        data->error = error;
      else
        g_error_free (error);
    }
  headers_progress (task);
}

/* Decoding 10,000 header blocks takes the better part of a second: it
 * runs in a worker thread (GTask's pool), not on the main loop, batch
 * after batch as the replies come in (see TOP_BATCH), so that it overlaps
 * with the transfer. One worker at a time, not one per batch: a second
 * would compete on a two-core machine with the main loop it is meant to
 * spare, and the pool is shared with the state files' loads and saves,
 * which should not queue behind a poll. The main thread leaves the
 * messages a worker was given alone until decoded_cb(): it only fills in
 * other messages (those of later replies) and reads the snapshot's array
 * and index, which nobody changes before the check completes; and the
 * check's task, with the snapshot in its data, completes only once no
 * worker runs (its reference travels as the callback's data). A cancelled
 * poll is stopped by the worker between two messages.
 *
 * Called whenever something arrived or a worker finished: starts a worker
 * for what waits to be decoded, or, once nothing is in flight any more,
 * goes on (RETR for what TOP could not give) or ends the check.
 */
static void
headers_progress (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  g_autoptr(GTask) decode = NULL;

  if (data->decoding)
    return;

  if (data->error == NULL && data->to_decode->len > 0)
    {
      decode = g_task_new (NULL, g_task_get_cancellable (task), decoded_cb, task);
      g_task_set_source_tag (decode, headers_progress);
      g_task_set_name (decode, "[mailpeek] decode headers");
      g_task_set_task_data (decode, g_steal_pointer (&data->to_decode),
                            (GDestroyNotify) g_ptr_array_unref);
      data->to_decode = g_ptr_array_new_with_free_func ((GDestroyNotify) decode_item_free);
      data->decoding = TRUE;
      g_task_run_in_thread (decode, decode_thread);
      return;
    }

  if (data->pending > 0)
    return;

  if (data->error != NULL)
    {
      mp_session_fail (task, g_steal_pointer (&data->error));
      return;
    }

  /* An -ERR to TOP for a message of the maildrop means TOP is refused
   * (the engine then sent no more TOPs); other failures keep their error.
   */
  if (!data->retr_phase && data->top_failed->len > 0 &&
      mp_pop3_client_get_top_refused (g_task_get_source_object (task)))
    {
      g_autoptr(GArray) failed = g_steal_pointer (&data->top_failed);

      data->top_failed = g_array_new (FALSE, FALSE, sizeof (guint));
      data->retr_phase = TRUE;
      fetch_by_retr (task, failed);
      return;
    }

  finish (task);
}

static MpMessageInfo *
info_for_number (CheckData *data,
                 guint      number)
{
  return g_hash_table_lookup (data->by_number, GUINT_TO_POINTER (number));
}

/* An error of one command, as opposed to one that ended the session. */
static gboolean
is_session_error (MpPop3Client *client,
                  const GError *error)
{
  return (!mp_pop3_client_is_connected (client) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
}

/* The limit the caller gave, else the retr-header-limit setting when the
 * schema is installed, else MP_CHECK_DEFAULT_RETR_HEADER_LIMIT. Read only
 * when a server refuses TOP, so a normal check never touches GSettings.
 */
static guint64
get_retr_header_limit (CheckData *data)
{
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  if (data->retr_header_limit >= 0)
    return data->retr_header_limit;

  data->retr_header_limit = MP_CHECK_DEFAULT_RETR_HEADER_LIMIT;
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, "retr-header-limit"))
    {
      g_autoptr(GSettings) settings = g_settings_new_full (schema, NULL, NULL);

      data->retr_header_limit = g_settings_get_uint (settings, "retr-header-limit");
    }

  return data->retr_header_limit;
}

static void
retr_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  RetrItem *item = user_data;
  GTask *task = item->task;
  MpPop3Client *client = MP_POP3_CLIENT (object);
  CheckData *data = g_task_get_task_data (task);
  MpMessageInfo *info = info_for_number (data, item->number);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  g_free (item);
  bytes = mp_pop3_client_retr_finish (client, result, &error);

  if (bytes != NULL)
    {
      gsize len = 0;
      const char *text = g_bytes_get_data (bytes, &len);
      g_autoptr(GBytes) block = NULL;

      /* Only the header block is decoded (what TOP n 0 would have sent);
       * the rest of the message need not wait in memory for the worker.
       */
      if (text != NULL)
        block = g_bytes_new (text, header_block_length (text, len));
      queue_decode (data, info, block);
    }
  else if (data->error == NULL && is_session_error (client, error))
    data->error = error;
  else
    {
      g_clear_error (&info->error);
      info->error = error;
    }

  data->pending--;
  headers_progress (task);
}

/* A server without TOP: the headers from a RETR of the whole message for
 * the messages up to the limit (a RETR cannot be stopped halfway without
 * dropping the session), an error for the larger ones.
 */
static void
fetch_by_retr (GTask  *task,
               GArray *numbers)
{
  MpPop3Client *client = g_task_get_source_object (task);
  CheckData *data = g_task_get_task_data (task);
  guint64 limit;
  guint queued = 0;

  data->snapshot->top_supported = FALSE;
  data->retr_phase = TRUE;
  if (numbers->len == 0)
    {
      headers_progress (task);
      return;
    }

  limit = get_retr_header_limit (data);
  /* One extra count, so that a RETR failing at once cannot finish early. */
  data->pending = 1;
  for (guint i = 0; i < numbers->len; i++)
    {
      guint number = g_array_index (numbers, guint, i);
      MpMessageInfo *info = info_for_number (data, number);
      RetrItem *item;

      if (info->size > limit)
        {
          g_clear_error (&info->error);
          info->error = g_error_new_literal (MP_POP3_ERROR, MP_POP3_ERROR_NOT_SUPPORTED,
                                             _("headers not available: the server does not offer TOP"));
          continue;
        }

      item = g_new0 (RetrItem, 1);
      item->task = task;
      item->number = number;
      data->pending++;
      queued++;
      /* Room for a LIST size that is a little off; more ends the session. */
      mp_pop3_client_retr_async (client, number, 2 * limit + 64 * 1024,
                                 g_task_get_cancellable (task), retr_cb, item);
    }

  g_debug ("no TOP: %u message(s) fetched whole, %u too large",
           queued, numbers->len - queued);

  data->pending--;
  headers_progress (task);
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
  GError *error = NULL;

  data->pending--;
  results = mp_pop3_client_top_many_finish (client, result, &error);
  if (results == NULL)
    {
      /* The session failed: the other batches fail with it. */
      if (data->error == NULL)
        data->error = error;
      else
        g_error_free (error);
      headers_progress (task);
      return;
    }

  for (guint i = 0; i < results->len; i++)
    {
      MpPop3Result *res = g_ptr_array_index (results, i);
      MpMessageInfo *info = info_for_number (data, res->number);

      g_assert (info != NULL);
      if (res->error != NULL)
        {
          info->error = g_steal_pointer (&res->error);
          g_array_append_val (data->top_failed, res->number);
        }
      else
        queue_decode (data, info, res->data);
    }

  headers_progress (task);
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

  if (numbers->len == 0)
    {
      finish (task);
      return;
    }
  if (!data->snapshot->top_supported)
    {
      fetch_by_retr (task, numbers);
      return;
    }

  /* All queued now, so the pipeline is the same as for one job. */
  for (guint i = 0; i < numbers->len; i += TOP_BATCH)
    {
      data->pending++;
      mp_pop3_client_top_many_async (client,
                                     &g_array_index (numbers, guint, i),
                                     MIN (TOP_BATCH, numbers->len - i),
                                     0,
                                     MP_CHECK_MAX_HEADER_BYTES,
                                     g_task_get_cancellable (task),
                                     top_many_cb,
                                     task);
    }
}

/* With mp_check_mailbox_later_async(), the headers to fetch wait for
 * what the caller knows (see known_settle()).
 */
static void
fetch_when_known (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);

  if (data->later != NULL && !data->later->done)
    {
      data->later->waiter = task;
      return;
    }
  if (data->later != NULL && data->later->error != NULL)
    {
      mp_session_fail (task, g_error_copy (data->later->error));
      return;
    }
  if (data->later != NULL && data->later->uids != NULL)
    data->known_uids = g_hash_table_ref (data->later->uids);

  fetch_headers (task);
}

static gboolean
fetch_when_known_cb (gpointer user_data)
{
  fetch_when_known (user_data);
  return G_SOURCE_REMOVE;
}

/* STAT, LIST and UIDL go out together (pipelined when the server allows)
 * and are put together once all three are answered.
 */
static void
listing_done (GTask *task)
{
  CheckData *data = g_task_get_task_data (task);
  GHashTable *by_number = data->by_number;
  g_autoptr(GSource) source = NULL;

  if (data->error != NULL)
    {
      mp_session_fail (task, g_steal_pointer (&data->error));
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

  /* The TOPs go out in the next main-loop iteration: for 10,000 messages,
   * taking the UIDL reply apart and putting the listing together take
   * about 8 ms, queueing the TOP commands as long again; one after the
   * other they would hold up the main loop for both.
   */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_static_name (source, "[mailpeek] fetch headers");
  g_source_set_callback (source, fetch_when_known_cb, task, NULL);
  g_source_attach (source, g_task_get_context (task));
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

/* The listing was queued with the open (see mp_check_mailbox_full_async());
 * its error, if any, is the one that counts.
 */
static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  MpPop3Client *client = MP_POP3_CLIENT (object);
  CheckData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!mp_pop3_client_open_finish (client, result, &error))
    {
      g_clear_error (&data->error);
      data->error = error;
      listing_step_done (task, NULL);
      return;
    }

  data->snapshot->pipelining = mp_pop3_client_get_pipelining (client);

  /* TOP is optional (RFC 1939): after a CAPA without it no TOP is sent;
   * without CAPA the first TOP finds out (see top_many_cb()).
   */
  data->snapshot->top_supported = !mp_pop3_client_get_top_refused (client);
  listing_step_done (task, NULL);
}

/* STAT, LIST and UIDL are queued while the session opens: with a server
 * that pipelines they leave with the CAPA that follows the login, which
 * saves a round trip; the engine holds them until the login succeeded
 * and drops them unsent if it fails. UIDL is not sent when the
 * capabilities after the login lack it (without CAPA, it is asked).
 */
static void
open_and_list (GTask            *task,
               const char       *user,
               const char       *password,
               MpPop3AuthMethod  auth)
{
  MpPop3Client *client = g_task_get_source_object (task);
  CheckData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* The open and the three commands. */
  data->pending = 4;
  mp_pop3_client_open_async (client, user, password, auth, cancellable, open_cb, task);
  mp_pop3_client_stat_async (client, cancellable, stat_cb, task);
  mp_pop3_client_list_async (client, cancellable, list_cb, task);
  mp_pop3_client_uidl_if_offered_async (client, cancellable, uidl_cb, task);
}

static void
check_start (MpPop3Client        *client,
             const char          *user,
             const char          *password,
             MpPop3AuthMethod     auth,
             GHashTable          *known_uids,
             MpCheckKnown        *later,
             gint64               retr_header_limit,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  GTask *task;
  CheckData *data;

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_check_mailbox_full_async);

  data = g_new0 (CheckData, 1);
  data->known_uids = known_uids ? g_hash_table_ref (known_uids) : NULL;
  data->later = later ? mp_check_known_ref (later) : NULL;
  data->snapshot = g_new0 (MpMailboxSnapshot, 1);
  data->snapshot->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) mp_message_info_free);
  data->by_number = g_hash_table_new (NULL, NULL);
  data->to_decode = g_ptr_array_new_with_free_func ((GDestroyNotify) decode_item_free);
  data->top_failed = g_array_new (FALSE, FALSE, sizeof (guint));
  data->retr_header_limit = retr_header_limit;
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);

  open_and_list (task, user, password, auth);
}

/**
 * mp_check_mailbox_async:
 * @client: a client that has not connected yet
 * @known_uids: (nullable): UIDs whose headers the caller already has; no
 *   TOP is sent for them
 *
 * Runs one read-only session and collects what the mailbox holds, with
 * the default limit for headers taken from RETR (see
 * mp_check_mailbox_full_async()).
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
  mp_check_mailbox_full_async (client, user, password, auth, known_uids,
                               MP_CHECK_RETR_HEADER_LIMIT_DEFAULT,
                               cancellable, callback, user_data);
}

/**
 * mp_check_mailbox_full_async:
 * @client: a client that has not connected yet
 * @known_uids: (nullable): UIDs whose headers the caller already has; no
 *   TOP is sent for them
 * @retr_header_limit: the largest message (by its LIST size) whose headers
 *   are taken from a RETR when the server refuses TOP; 0 for none,
 *   %MP_CHECK_RETR_HEADER_LIMIT_DEFAULT for the `retr-header-limit`
 *   setting (or %MP_CHECK_DEFAULT_RETR_HEADER_LIMIT without the schema)
 *
 * Runs one read-only session and collects what the mailbox holds. It
 * completes as soon as the snapshot is complete: the QUIT that ends the
 * session (which deletes nothing) is then still on its way, and
 * mp_pop3_client_is_connected() turns %FALSE once it is answered.
 *
 * A server without TOP (none in CAPA, or `-ERR` to the first TOP) gets no
 * more TOPs in this session: the headers of the new messages up to
 * @retr_header_limit come from RETR instead (only the header block is
 * parsed), the larger ones get the error "headers not available", and
 * #MpMailboxSnapshot.top_supported says so.
 */
void
mp_check_mailbox_full_async (MpPop3Client        *client,
                             const char          *user,
                             const char          *password,
                             MpPop3AuthMethod     auth,
                             GHashTable          *known_uids,
                             gint64               retr_header_limit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (MP_IS_POP3_CLIENT (client));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  check_start (client, user, password, auth, known_uids, NULL, retr_header_limit,
               cancellable, callback, user_data);
}


/**
 * mp_check_known_new:
 *
 * Returns: (transfer full): UIDs to be given later with
 *   mp_check_known_resolve() (or a reason with mp_check_known_fail())
 */
MpCheckKnown *
mp_check_known_new (void)
{
  MpCheckKnown *known = g_new0 (MpCheckKnown, 1);

  g_ref_count_init (&known->ref);
  return known;
}

MpCheckKnown *
mp_check_known_ref (MpCheckKnown *known)
{
  g_ref_count_inc (&known->ref);
  return known;
}

void
mp_check_known_unref (MpCheckKnown *known)
{
  if (known == NULL || !g_ref_count_dec (&known->ref))
    return;
  g_assert (known->waiter == NULL);
  g_clear_pointer (&known->uids, g_hash_table_unref);
  g_clear_error (&known->error);
  g_free (known);
}

/* The check that waits goes on (or fails), once. */
static void
known_settle (MpCheckKnown *known)
{
  GTask *task = g_steal_pointer (&known->waiter);
  GError *error = NULL;

  known->done = TRUE;
  if (task == NULL)
    return;

  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    mp_session_fail (task, error);
  else
    fetch_when_known (task);
}

/**
 * mp_check_known_resolve:
 * @known_uids: (nullable): the UIDs whose headers the caller has; no TOP
 *   is sent for them
 *
 * Lets a check started with mp_check_mailbox_later_async() go on to the
 * headers (at once if it is waiting already).
 */
void
mp_check_known_resolve (MpCheckKnown *known,
                        GHashTable   *known_uids)
{
  g_return_if_fail (known != NULL && !known->done);

  known->uids = known_uids ? g_hash_table_ref (known_uids) : NULL;
  known_settle (known);
}

/**
 * mp_check_known_fail:
 *
 * The UIDs will not come: the check fails with @error once it needs them.
 */
void
mp_check_known_fail (MpCheckKnown *known,
                     const GError *error)
{
  g_return_if_fail (known != NULL && !known->done);

  known->error = g_error_copy (error);
  known_settle (known);
}

/**
 * mp_check_known_get_waiting:
 *
 * For tests: whether a check has listed the mailbox and waits for @known.
 */
gboolean
mp_check_known_get_waiting (MpCheckKnown *known)
{
  g_return_val_if_fail (known != NULL, FALSE);
  return known->waiter != NULL;
}

/**
 * mp_check_mailbox_later_async:
 * @known: the UIDs the caller knows, when they come
 *
 * As mp_check_mailbox_async(), for a caller that is still loading the
 * UIDs it knows: the session starts at once and waits for @known only
 * before it chooses the headers to fetch.
 */
void
mp_check_mailbox_later_async (MpPop3Client        *client,
                              const char          *user,
                              const char          *password,
                              MpPop3AuthMethod     auth,
                              MpCheckKnown        *known,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (MP_IS_POP3_CLIENT (client));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (known != NULL);

  check_start (client, user, password, auth, NULL, known, MP_CHECK_RETR_HEADER_LIMIT_DEFAULT,
               cancellable, callback, user_data);
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
