/* mp-transfer-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-transfer"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gfiledescriptorbased.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "mp-transfer.h"
#include "mp-transfer-file.h"

/* CRLF to LF as a GConverter, so that a GConverterOutputStream does the
 * Maildir conversion chunk by chunk on the writing thread. A CR at the
 * end of a chunk is held back (G_IO_ERROR_PARTIAL_INPUT) until the next
 * byte tells whether it starts a CRLF; a lone CR is kept, as before.
 */
#define MP_TYPE_LF_CONVERTER (mp_lf_converter_get_type ())
G_DECLARE_FINAL_TYPE (MpLfConverter, mp_lf_converter, MP, LF_CONVERTER, GObject)

struct _MpLfConverter
{
  GObject parent_instance;
};

static void mp_lf_converter_iface_init (GConverterIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpLfConverter, mp_lf_converter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_CONVERTER,
                                                      mp_lf_converter_iface_init))

static GConverterResult
mp_lf_converter_convert (GConverter       *converter,
                         const void       *inbuf,
                         gsize             inbuf_size,
                         void             *outbuf,
                         gsize             outbuf_size,
                         GConverterFlags   flags,
                         gsize            *bytes_read,
                         gsize            *bytes_written,
                         GError          **error)
{
  const guint8 *in = inbuf;
  guint8 *out = outbuf;
  gboolean at_end = (flags & (G_CONVERTER_INPUT_AT_END | G_CONVERTER_FLUSH)) != 0;
  gsize i = 0;
  gsize o = 0;

  while (i < inbuf_size && o < outbuf_size)
    {
      if (in[i] == '\r')
        {
          if (i + 1 < inbuf_size)
            {
              if (in[i + 1] != '\n')
                out[o++] = '\r';
              i++;
              continue;
            }
          if (!at_end)
            break;
        }
      out[o++] = in[i++];
    }

  if (i == 0 && inbuf_size > 0)
    {
      if (o == 0 && outbuf_size == 0)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no space");
      else
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "partial line end");
      return G_CONVERTER_ERROR;
    }

  *bytes_read = i;
  *bytes_written = o;
  if (i == inbuf_size && (flags & G_CONVERTER_INPUT_AT_END))
    return G_CONVERTER_FINISHED;
  if (i == inbuf_size && (flags & G_CONVERTER_FLUSH))
    return G_CONVERTER_FLUSHED;
  return G_CONVERTER_CONVERTED;
}

static void
mp_lf_converter_reset (GConverter *converter)
{
}

static void
mp_lf_converter_iface_init (GConverterIface *iface)
{
  iface->convert = mp_lf_converter_convert;
  iface->reset = mp_lf_converter_reset;
}

static void
mp_lf_converter_class_init (MpLfConverterClass *klass)
{
}

static void
mp_lf_converter_init (MpLfConverter *self)
{
}

struct _MpTransferFile
{
  GObject            parent_instance;

  char              *directory;
  char              *uid;
  gboolean           maildir;

  GFile             *tmp;
  GFileOutputStream *file_stream;
  GOutputStream     *stream;
  gboolean           committed;
};

G_DEFINE_FINAL_TYPE (MpTransferFile, mp_transfer_file, G_TYPE_OBJECT)

static void
mp_transfer_file_dispose (GObject *object)
{
  MpTransferFile *self = MP_TRANSFER_FILE (object);

  mp_transfer_file_abort (self);

  G_OBJECT_CLASS (mp_transfer_file_parent_class)->dispose (object);
}

static void
mp_transfer_file_finalize (GObject *object)
{
  MpTransferFile *self = MP_TRANSFER_FILE (object);

  g_free (self->directory);
  g_free (self->uid);

  G_OBJECT_CLASS (mp_transfer_file_parent_class)->finalize (object);
}

static void
mp_transfer_file_class_init (MpTransferFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mp_transfer_file_dispose;
  object_class->finalize = mp_transfer_file_finalize;
}

static void
mp_transfer_file_init (MpTransferFile *self)
{
}

/* Errors of the disk all become MP_TRANSFER_ERROR_WRITE, with GIO's or
 * errno's text, which names the cause (ENOSPC, EROFS, ENOTDIR…).
 */
static void
set_write_error (GError     **error,
                 GError      *cause)
{
  g_set_error_literal (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE, cause->message);
  g_error_free (cause);
}

static gboolean
make_directory (const char  *directory,
                GError     **error)
{
  if (g_mkdir_with_parents (directory, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
                   _("Could not create the folder %s: %s"), directory, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
sync_directory (const char  *directory,
                GError     **error)
{
  int fd = open (directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
                   _("Could not sync the folder %s: %s"), directory, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static char *
safe_file_name (const char *uid)
{
  GString *out = g_string_new (NULL);

  for (const char *p = uid; *p != '\0' && out->len < 100; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '_' || (*p == '.' && out->len > 0))
        g_string_append_c (out, *p);
      else
        g_string_append_c (out, '_');
    }
  if (out->len == 0)
    g_string_append (out, "message");
  return g_string_free (out, FALSE);
}

static char *
maildir_unique_name (void)
{
  static gint counter;
  gint64 now = g_get_real_time ();
  g_autofree char *host = g_strdup (g_get_host_name ());

  /* The Maildir spec's escapes for the two bytes a host name must not
   * bring into a file name.
   */
  g_strdelimit (host, "/:", '_');
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%" G_GINT64_FORMAT "P%dQ%d.%s",
                          now / G_USEC_PER_SEC, now % G_USEC_PER_SEC,
                          (int) getpid (), g_atomic_int_add (&counter, 1) + 1, host);
}

/* Creates a file that did not exist, 0600; another name is tried while
 * the candidate exists.
 */
static GFileOutputStream *
create_unique (const char   *directory,
               char       *(*make_name) (gpointer data, guint attempt),
               gpointer      data,
               GFile       **file,
               GError      **error)
{
  for (guint attempt = 0; attempt < 10000; attempt++)
    {
      g_autofree char *name = make_name (data, attempt);
      g_autoptr(GFile) candidate = g_file_new_build_filename (directory, name, NULL);
      g_autoptr(GError) local_error = NULL;
      GFileOutputStream *stream;

      stream = g_file_create (candidate, G_FILE_CREATE_PRIVATE, NULL, &local_error);
      if (stream != NULL)
        {
          *file = g_steal_pointer (&candidate);
          return stream;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          set_write_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }

  g_set_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
               _("Could not find a free file name in %s"), directory);
  return NULL;
}

static char *
tmp_eml_name (gpointer data,
              guint    attempt)
{
  /* Hidden, so that a mail reader watching the folder ignores it. */
  return g_strdup_printf (".%s.eml.%08x.part", (const char *) data, g_random_int ());
}

static char *
tmp_maildir_name (gpointer data,
                  guint    attempt)
{
  return maildir_unique_name ();
}

static char *
eml_name (gpointer data,
          guint    attempt)
{
  if (attempt == 0)
    return g_strdup_printf ("%s.eml", (const char *) data);
  return g_strdup_printf ("%s-%u.eml", (const char *) data, attempt);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  MpTransferFile *self = task_data;
  g_autofree char *base = safe_file_name (self->uid);
  GError *error = NULL;

  if (self->maildir)
    {
      const char * const subdirs[] = { "tmp", "new", "cur" };
      g_autofree char *tmp_dir = g_build_filename (self->directory, "tmp", NULL);

      for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
        {
          g_autofree char *sub = g_build_filename (self->directory, subdirs[i], NULL);

          if (!make_directory (sub, &error))
            {
              g_task_return_error (task, error);
              return;
            }
        }
      self->file_stream = create_unique (tmp_dir, tmp_maildir_name, NULL, &self->tmp, &error);
    }
  else
    {
      if (!make_directory (self->directory, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      self->file_stream = create_unique (self->directory, tmp_eml_name, base, &self->tmp, &error);
    }

  if (self->file_stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (self->maildir)
    {
      g_autoptr(GConverter) converter = g_object_new (MP_TYPE_LF_CONVERTER, NULL);

      self->stream = g_converter_output_stream_new (G_OUTPUT_STREAM (self->file_stream),
                                                    converter);
      g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (self->stream), FALSE);
    }
  else
    self->stream = g_object_ref (G_OUTPUT_STREAM (self->file_stream));

  g_task_return_boolean (task, TRUE);
}

static void
open_ready_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MpTransferFile *self = g_task_get_task_data (task);
  GError *error = NULL;

  /* Removed here and now, not whenever the last reference goes: the
   * worker's may be dropped later on its own thread.
   */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      mp_transfer_file_abort (self);
      g_task_return_error (task, error);
    }
  else if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      mp_transfer_file_abort (self);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

/**
 * mp_transfer_file_open_async:
 * @directory: the folder for .eml files, or the Maildir
 * @uid: the message's UID, which names an .eml file
 *
 * Creates the folders (a Maildir's tmp, new and cur) and the temporary
 * file, on a worker thread.
 */
void
mp_transfer_file_open_async (const char          *directory,
                             const char          *uid,
                             gboolean             maildir,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(MpTransferFile) self = g_object_new (MP_TYPE_TRANSFER_FILE, NULL);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (directory != NULL);
  g_return_if_fail (uid != NULL);

  self->directory = g_strdup (directory);
  self->uid = g_strdup (uid);
  self->maildir = maildir;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_transfer_file_open_async);
  g_task_set_task_data (task, g_object_ref (self), g_object_unref);

  worker = g_task_new (NULL, cancellable, open_ready_cb, g_steal_pointer (&task));
  g_task_set_task_data (worker, g_object_ref (self), g_object_unref);
  g_task_run_in_thread (worker, open_thread);
}

/**
 * mp_transfer_file_open_finish:
 *
 * Returns: (transfer full): the file, or %NULL with a
 *   %MP_TRANSFER_ERROR_WRITE error
 */
MpTransferFile *
mp_transfer_file_open_finish (GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_transfer_file_get_stream:
 *
 * Returns: (transfer none): where the message's bytes go, as received
 *   (CRLF); write to it asynchronously only, one write at a time
 */
GOutputStream *
mp_transfer_file_get_stream (MpTransferFile *self)
{
  g_return_val_if_fail (MP_IS_TRANSFER_FILE (self), NULL);

  return self->stream;
}

static gboolean
commit_in_thread (MpTransferFile  *self,
                  char           **path,
                  GError         **error)
{
  GError *local_error = NULL;
  g_autofree char *tmp_path = g_file_get_path (self->tmp);
  g_autofree char *target_dir = NULL;
  g_autoptr(GFile) target = NULL;
  int fd;

  /* The converter's last held-back CR goes out on close. */
  if (self->stream != G_OUTPUT_STREAM (self->file_stream) &&
      !g_output_stream_close (self->stream, NULL, &local_error))
    {
      set_write_error (error, local_error);
      return FALSE;
    }

  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (self->file_stream));
  if (fsync (fd) != 0)
    {
      int saved = errno;

      g_set_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
                   _("Could not write %s: %s"), tmp_path, g_strerror (saved));
      return FALSE;
    }
  if (!g_output_stream_close (G_OUTPUT_STREAM (self->file_stream), NULL, &local_error))
    {
      set_write_error (error, local_error);
      return FALSE;
    }

  if (self->maildir)
    {
      g_autofree char *name = g_file_get_basename (self->tmp);

      target_dir = g_build_filename (self->directory, "new", NULL);
      target = g_file_new_build_filename (target_dir, name, NULL);
    }
  else
    {
      g_autofree char *base = safe_file_name (self->uid);
      g_autoptr(GFileOutputStream) claim = NULL;

      /* The name is claimed by creating it, which fails if it exists, and
       * the complete file then replaces the empty claim in one rename:
       * no other download can take the same name, and no reader ever
       * sees half a message under it.
       */
      target_dir = g_strdup (self->directory);
      claim = create_unique (target_dir, eml_name, base, &target, error);
      if (claim == NULL)
        return FALSE;
      g_output_stream_close (G_OUTPUT_STREAM (claim), NULL, NULL);
    }

  {
    g_autofree char *target_path = g_file_get_path (target);

    if (g_rename (tmp_path, target_path) != 0)
      {
        int saved = errno;

        if (!self->maildir)
          g_unlink (target_path);
        g_set_error (error, MP_TRANSFER_ERROR, MP_TRANSFER_ERROR_WRITE,
                     _("Could not move the message into %s: %s"), target_dir,
                     g_strerror (saved));
        return FALSE;
      }
    /* Renamed: from here the file is the target, not a temporary. */
    g_set_object (&self->tmp, target);

    if (!sync_directory (target_dir, error))
      return FALSE;

    *path = g_steal_pointer (&target_path);
  }
  return TRUE;
}

static void
commit_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  MpTransferFile *self = source_object;
  char *path = NULL;
  GError *error = NULL;

  if (!commit_in_thread (self, &path, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, path, g_free);
}

static void
commit_ready_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  MpTransferFile *self = MP_TRANSFER_FILE (object);
  GError *error = NULL;
  char *path;

  path = g_task_propagate_pointer (G_TASK (result), &error);
  if (path == NULL)
    {
      mp_transfer_file_abort (self);
      g_task_return_error (task, error);
      return;
    }
  self->committed = TRUE;
  g_task_return_pointer (task, path, g_free);
}

/**
 * mp_transfer_file_commit_async:
 *
 * Once every write has completed: syncs the file, gives it its final name
 * and syncs the folder, on a worker thread. On failure nothing is left.
 * Not cancellable: a message completely received is worth keeping.
 */
void
mp_transfer_file_commit_async (MpTransferFile      *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (MP_IS_TRANSFER_FILE (self));
  g_return_if_fail (self->stream != NULL && !self->committed);

  /* A cancel must not make a saved message look unsaved. */
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, mp_transfer_file_commit_async);

  worker = g_task_new (self, NULL, commit_ready_cb, task);
  g_task_run_in_thread (worker, commit_thread);
}

/**
 * mp_transfer_file_commit_finish:
 *
 * Returns: (transfer full): the path of the message, or %NULL with a
 *   %MP_TRANSFER_ERROR_WRITE error
 */
char *
mp_transfer_file_commit_finish (MpTransferFile  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * mp_transfer_file_abort:
 *
 * Closes and removes the temporary file unless it was committed. Only
 * while no write is pending (the writes' callbacks have run).
 */
void
mp_transfer_file_abort (MpTransferFile *self)
{
  g_return_if_fail (MP_IS_TRANSFER_FILE (self));

  if (self->stream != NULL && !g_output_stream_is_closed (self->stream) &&
      !g_output_stream_has_pending (self->stream))
    g_output_stream_close (self->stream, NULL, NULL);
  if (self->file_stream != NULL && !g_output_stream_is_closed (G_OUTPUT_STREAM (self->file_stream)) &&
      !g_output_stream_has_pending (G_OUTPUT_STREAM (self->file_stream)))
    g_output_stream_close (G_OUTPUT_STREAM (self->file_stream), NULL, NULL);
  if (self->tmp != NULL && !self->committed)
    g_file_delete (self->tmp, NULL, NULL);

  g_clear_object (&self->stream);
  g_clear_object (&self->file_stream);
  g_clear_object (&self->tmp);
}
