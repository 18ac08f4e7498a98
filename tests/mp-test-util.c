/* mp-test-util.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Helpers the C tests share, kept in one place so that a fix to a guard
 * timeout or to the mount namespace dance reaches every test at once.
 */

/* unshare() and the CLONE_ flags */
#define _GNU_SOURCE

#define G_LOG_DOMAIN "mp-test-util"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mp-test-util.h"

/* ---- waiting ----------------------------------------------------------- */

static gboolean
flag_cb (gpointer data)
{
  gboolean *fired = data;

  *fired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @done says so or the guard
 * source @guard_id has set *@fired. Removes the guard when it has not
 * fired; returns FALSE when it did.
 */
static gboolean
iterate_until (MpTestConditionFunc  done,
               gpointer             user_data,
               guint                guard_id,
               const gboolean      *fired)
{
  while (!done (user_data) && !*fired)
    g_main_context_iteration (NULL, TRUE);

  if (*fired)
    return FALSE;
  g_source_remove (guard_id);
  return TRUE;
}

/**
 * mp_test_result_cb:
 * @source: the source object of the async call
 * @result: its result
 * @user_data: a `GAsyncResult **` slot, %NULL until now
 *
 * A #GAsyncReadyCallback that keeps a reference to @result in the slot
 * @user_data points to, for mp_test_await(). A slot filled twice fails the
 * test: no async call may finish more than once.
 */
void
mp_test_result_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static gboolean
slot_filled (gpointer user_data)
{
  GAsyncResult **slot = user_data;

  return *slot != NULL;
}

/**
 * mp_test_await:
 * @slot: (inout): where mp_test_result_cb() puts the result
 * @guard_seconds: how long to wait at the most
 *
 * Runs the default main context until @slot is filled, or fails the test
 * after @guard_seconds.
 */
void
mp_test_await (GAsyncResult **slot,
               guint          guard_seconds)
{
  gboolean fired = FALSE;
  guint id = g_timeout_add_seconds (guard_seconds, flag_cb, &fired);

  if (!iterate_until (slot_filled, slot, id, &fired))
    g_error ("guard timeout: no result within %u s", guard_seconds);
}

/**
 * mp_test_wait_until:
 * @done: says when the wait is over
 * @user_data: data for @done
 * @guard_msec: how long to wait at the most
 * @what: what is awaited, for the failure message
 *
 * Runs the default main context until @done returns %TRUE, or fails the
 * test after @guard_msec.
 */
void
mp_test_wait_until (MpTestConditionFunc  done,
                    gpointer             user_data,
                    guint                guard_msec,
                    const char          *what)
{
  gboolean fired = FALSE;
  guint id = g_timeout_add (guard_msec, flag_cb, &fired);

  if (!iterate_until (done, user_data, id, &fired))
    g_error ("guard timeout: %s did not happen within %u ms", what, guard_msec);
}

/**
 * mp_test_run_for:
 * @msec: how long
 *
 * Runs the default main context for @msec, for tests that check that
 * nothing happens in a while.
 */
void
mp_test_run_for (guint msec)
{
  gboolean fired = FALSE;

  g_timeout_add (msec, flag_cb, &fired);
  while (!fired)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- objects that must go away ---------------------------------------- */

/**
 * mp_test_weak_set_new:
 *
 * Returns: (transfer full): an empty set of weak references, for
 *   mp_test_weak_set_add() and mp_test_weak_set_empty(); free it with
 *   g_ptr_array_unref() once all its objects are gone
 */
GPtrArray *
mp_test_weak_set_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

/**
 * mp_test_weak_set_add:
 * @object: (type GObject): an object the test expects to end, maybe
 *   later than its last reference (a mailbox ends once its last save and
 *   session are over)
 */
void
mp_test_weak_set_add (GPtrArray *set,
                      gpointer   object)
{
  gpointer *slot = g_new0 (gpointer, 1);

  *slot = object;
  g_object_add_weak_pointer (G_OBJECT (object), slot);
  g_ptr_array_add (set, slot);
}

/**
 * mp_test_weak_set_empty:
 * @set: a set from mp_test_weak_set_new(), as a #MpTestConditionFunc's data
 *
 * Returns: %TRUE when every object of @set is finalized
 */
gboolean
mp_test_weak_set_empty (gpointer set)
{
  GPtrArray *slots = set;

  for (guint i = 0; i < slots->len; i++)
    if (*(gpointer *) g_ptr_array_index (slots, i) != NULL)
      return FALSE;
  return TRUE;
}

/**
 * mp_test_unref_finalizes:
 * @object_slot: (inout): where the test keeps its last reference to an
 *   object
 *
 * Drops that reference and asserts that it was the last: the object is
 * finalized at once and *@object_slot is %NULL afterwards.
 */
void
mp_test_unref_finalizes (gpointer *object_slot)
{
  g_object_add_weak_pointer (G_OBJECT (*object_slot), object_slot);
  g_object_unref (*object_slot);
  g_assert_null (*object_slot);
}

/* ---- files ------------------------------------------------------------ */

/**
 * mp_test_state_path:
 * @key: a state key
 *
 * Returns: (transfer full): where the state of @key is kept:
 *   KEY.state in mailpeek/ under the (isolated) user state directory
 */
char *
mp_test_state_path (const char *key)
{
  g_autofree char *name = g_strconcat (key, ".state", NULL);

  return g_build_filename (g_get_user_state_dir (), "mailpeek", name, NULL);
}

/**
 * mp_test_write_file:
 * @len: the length of @data, or -1 if it is nul-terminated
 *
 * Writes @data to @path, making its parent folders first.
 */
void
mp_test_write_file (const char *path,
                    const char *data,
                    gssize      len)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

/**
 * mp_test_need_keyring:
 *
 * Skips the test unless it runs through tests/session-run.sh, which
 * starts a private Secret Service and exports MP_KEYRING_PID.
 *
 * Returns: %TRUE when there is a keyring to test against
 */
gboolean
mp_test_need_keyring (void)
{
  if (g_getenv ("MP_KEYRING_PID") == NULL)
    {
      g_test_skip ("needs a Secret Service: run through tests/session-run.sh");
      return FALSE;
    }
  return TRUE;
}

/* ---- private mounts ---------------------------------------------------- */

/* A mount namespace of our own, so that tmpfs mounts are private to the
 * process and vanish with it: the only way to make a folder unwritable for
 * root, and to fill a device. As root that is one unshare(); otherwise a
 * user namespace mapping us to root inside it. Both may be forbidden
 * (containers without CAP_SYS_ADMIN, user namespaces disabled); then the
 * test says so and skips.
 */
static gboolean
write_proc_file (const char *path,
                 const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return errno == ENOENT;
  ok = write (fd, text, strlen (text)) == (ssize_t) strlen (text);
  close (fd);
  return ok;
}

static gboolean
enter_mount_namespace (char **reason)
{
  char map[64];
  uid_t uid = geteuid ();
  gid_t gid = getegid ();

  /* Root without CAP_SYS_ADMIN (some containers) may still be allowed a
   * user namespace, so that is tried second rather than only for others.
   */
  if (unshare (CLONE_NEWNS) != 0)
    {
      int first_errno = errno;

      if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
        {
          *reason = g_strdup_printf ("unshare(CLONE_NEWNS): %s; unshare(CLONE_NEWUSER|CLONE_NEWNS): %s",
                                     g_strerror (first_errno), g_strerror (errno));
          return FALSE;
        }
      g_snprintf (map, sizeof map, "0 %u 1\n", (guint) uid);
      if (!write_proc_file ("/proc/self/setgroups", "deny") ||
          !write_proc_file ("/proc/self/uid_map", map))
        {
          *reason = g_strdup_printf ("writing the user namespace maps: %s", g_strerror (errno));
          return FALSE;
        }
      g_snprintf (map, sizeof map, "0 %u 1\n", (guint) gid);
      if (!write_proc_file ("/proc/self/gid_map", map))
        {
          *reason = g_strdup_printf ("writing the user namespace maps: %s", g_strerror (errno));
          return FALSE;
        }
    }

  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      *reason = g_strdup_printf ("making mounts private: %s", g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

static gboolean
mount_tmpfs (const char  *dir,
             const char  *options,
             char       **reason)
{
  if (mount ("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0)
    {
      *reason = g_strdup_printf ("mount -t tmpfs: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Tries the namespace and a tmpfs mount in a forked child, so that this
 * process stays as it is. Returns NULL if they work, else why not.
 */
static char *
probe_private_tmpfs (void)
{
  g_autofree char *dir = g_build_filename (g_get_tmp_dir (), "probe-XXXXXX", NULL);
  char buffer[256] = "";
  int fds[2];
  int status = 0;
  pid_t pid;
  ssize_t n;

  g_assert_nonnull (g_mkdtemp (dir));
  g_assert_cmpint (pipe (fds), ==, 0);

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      char *reason = NULL;

      close (fds[0]);
      if (!enter_mount_namespace (&reason) || !mount_tmpfs (dir, "size=64k", &reason))
        {
          ssize_t ignored = write (fds[1], reason, strlen (reason));

          (void) ignored;
          _exit (1);
        }
      _exit (0);
    }

  close (fds[1]);
  n = read (fds[0], buffer, sizeof buffer - 1);
  close (fds[0]);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_rmdir (dir);

  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return NULL;
  if (n > 0)
    buffer[n] = '\0';
  return g_strdup_printf ("no private tmpfs mount possible here (%s)",
                          n > 0 ? buffer : "child failed");
}

/**
 * mp_test_in_mount_subprocess:
 *
 * Runs the calling test again in a subprocess (g_test_trap_subprocess()),
 * where it may enter a mount namespace of its own, and asserts that it
 * passed. Skips the test, saying why, when this system allows no private
 * tmpfs mount.
 *
 * Use it first thing in a test:
 *
 *   if (!mp_test_in_mount_subprocess ())
 *     return;
 *   … mp_test_mount_private_tmpfs (dir, "size=256k,mode=0700"); …
 *
 * Returns: %TRUE in the subprocess, which goes on with the test; %FALSE in
 *   the parent, which is done
 */
gboolean
mp_test_in_mount_subprocess (void)
{
  g_autofree char *reason = NULL;

  if (g_test_subprocess ())
    return TRUE;

  reason = probe_private_tmpfs ();
  if (reason != NULL)
    {
      g_test_skip (reason);
      return FALSE;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
  return FALSE;
}

/**
 * mp_test_mount_private_tmpfs:
 * @dir: an existing directory
 * @options: tmpfs mount options, such as `size=1m,mode=0700`
 *
 * Moves the process into a mount namespace of its own and mounts a tmpfs
 * on @dir there, or fails the test. Only in the subprocess of
 * mp_test_in_mount_subprocess(), and before any thread starts: a user
 * namespace cannot be entered by a process with several threads.
 */
void
mp_test_mount_private_tmpfs (const char *dir,
                             const char *options)
{
  g_autofree char *reason = NULL;

  if (!enter_mount_namespace (&reason) || !mount_tmpfs (dir, options, &reason))
    g_error ("%s", reason);
}

/**
 * mp_test_remount_tmpfs:
 * @dir: where mp_test_mount_private_tmpfs() mounted a tmpfs
 * @options: tmpfs mount options for the remount
 * @read_only: whether the tmpfs becomes read-only or writable again
 *
 * Remounts the tmpfs on @dir read-only or writable, so that even root
 * cannot write into it; fails the test if that does not work.
 */
void
mp_test_remount_tmpfs (const char *dir,
                       const char *options,
                       gboolean    read_only)
{
  g_assert_cmpint (mount (NULL, dir, NULL,
                          MS_REMOUNT | MS_NOSUID | MS_NODEV | (read_only ? MS_RDONLY : 0),
                          options),
                   ==, 0);
}
