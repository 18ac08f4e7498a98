/* test-poller.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The poller (mp-poller.h): first its pure retry policy, then the poller
 * itself against the in-process test server, with the schedule on a fake
 * clock (mp_clock_new_fake()) and a fake GNetworkMonitor the test switches
 * on and off. The clock moves only when the test says so: waiting for a
 * poll jumps to the next timeout whenever no session runs, and "nothing
 * happens for several intervals" moves the clock that far and then waits
 * for any session it started, so neither can fail on a slow machine.
 */

#define G_LOG_DOMAIN "test-poller"

#include "config.h"

#include <string.h>

#include "mp-poller.h"
#include "mp-secrets.h"
#include "mp-test-server.h"
#include "mp-test-util.h"

#define GUARD_MSEC 20000
#define USER       "alice"
#define PASSWORD   "secret"
/* Long enough for several polls at one-minute intervals to come due. */
#define QUIET_SECONDS 400

/* ---- a network monitor the test controls ------------------------------- */

#define FAKE_TYPE_MONITOR (fake_monitor_get_type ())
G_DECLARE_FINAL_TYPE (FakeMonitor, fake_monitor, FAKE, MONITOR, GObject)

struct _FakeMonitor
{
  GObject  parent_instance;
  gboolean available;
};

enum {
  PROP_0,
  PROP_NETWORK_AVAILABLE,
  PROP_NETWORK_METERED,
  PROP_CONNECTIVITY,
};

static void fake_monitor_iface_init (GNetworkMonitorInterface *iface);

static void fake_monitor_initable_iface_init (GInitableIface *iface);

/* GNetworkMonitor requires GInitable. */
G_DEFINE_FINAL_TYPE_WITH_CODE (FakeMonitor, fake_monitor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      fake_monitor_initable_iface_init)
                               G_IMPLEMENT_INTERFACE (G_TYPE_NETWORK_MONITOR,
                                                      fake_monitor_iface_init))

static gboolean
fake_monitor_initable_init (GInitable     *initable,
                            GCancellable  *cancellable,
                            GError       **error)
{
  return TRUE;
}

static void
fake_monitor_initable_iface_init (GInitableIface *iface)
{
  iface->init = fake_monitor_initable_init;
}

static gboolean
fake_monitor_can_reach (GNetworkMonitor     *monitor,
                        GSocketConnectable  *connectable,
                        GCancellable        *cancellable,
                        GError             **error)
{
  FakeMonitor *self = FAKE_MONITOR (monitor);

  if (!self->available)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "Offline (fake)");
  return self->available;
}

static void
fake_monitor_iface_init (GNetworkMonitorInterface *iface)
{
  iface->can_reach = fake_monitor_can_reach;
}

static void
fake_monitor_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FakeMonitor *self = FAKE_MONITOR (object);

  switch (prop_id)
    {
    case PROP_NETWORK_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;
    case PROP_NETWORK_METERED:
      g_value_set_boolean (value, FALSE);
      break;
    case PROP_CONNECTIVITY:
      g_value_set_enum (value, self->available ? G_NETWORK_CONNECTIVITY_FULL
                                               : G_NETWORK_CONNECTIVITY_LOCAL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fake_monitor_class_init (FakeMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = fake_monitor_get_property;
  g_object_class_override_property (object_class, PROP_NETWORK_AVAILABLE, "network-available");
  g_object_class_override_property (object_class, PROP_NETWORK_METERED, "network-metered");
  g_object_class_override_property (object_class, PROP_CONNECTIVITY, "connectivity");
}

static void
fake_monitor_init (FakeMonitor *self)
{
  self->available = TRUE;
}

static void
fake_monitor_set_available (FakeMonitor *self,
                            gboolean     available)
{
  if (self->available == available)
    return;
  self->available = available;
  g_object_notify (G_OBJECT (self), "network-available");
  g_signal_emit_by_name (self, "network-changed", available);
}

/* ---- the fixture ------------------------------------------------------- */

typedef struct
{
  /* Weak pointers to every mailbox made, which must all go away. */
  GPtrArray    *watched;
  MpTestServer *server;
  MpPoller     *poller;
  MpClock      *clock;
  FakeMonitor  *monitor;
  GPtrArray    *accounts;
  const char   *password;
  guint         n_password_asked;

  /* What the signals said, for all accounts together. */
  guint         n_polled;
  guint         n_changed;
  GError       *last_error;
  guint         last_n_new;
  guint         last_n_messages;
  guint         max_active;
  /* Polls per account id. */
  GHashTable   *polled_ids;
} Fixture;

static char *
password_func (MpAccount *account,
               gpointer   user_data)
{
  Fixture *fixture = user_data;

  fixture->n_password_asked++;
  return g_strdup (fixture->password);
}

static void
account_polled_cb (MpPoller     *poller,
                   MpAccount    *account,
                   MpPollResult *result,
                   Fixture      *fixture)
{
  g_assert_true (MP_IS_ACCOUNT (account));
  g_assert_nonnull (result);

  fixture->n_polled++;
  g_hash_table_insert (fixture->polled_ids, g_strdup (mp_account_get_id (account)),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (fixture->polled_ids,
                                                                                mp_account_get_id (account))) + 1));
  g_clear_error (&fixture->last_error);
  if (result->error != NULL)
    fixture->last_error = g_error_copy (result->error);
  fixture->last_n_new = result->n_new;
  fixture->last_n_messages = result->snapshot ? result->snapshot->messages->len : 0;
  g_test_message ("polled %s: %u new of %u%s%s", mp_account_get_id (account),
                  result->n_new, fixture->last_n_messages,
                  result->error ? ", error: " : "",
                  result->error ? result->error->message : "");
}

static void
account_changed_cb (MpPoller  *poller,
                    MpAccount *account,
                    Fixture   *fixture)
{
  fixture->n_changed++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  /* Each mailbox ends once its last save and session are over; the
   * tear-down waits for that, so no work outlives the test's directories.
   */
  fixture->watched = mp_test_weak_set_new ();
  fixture->server = mp_test_server_new ();
  mp_test_server_set_mailbox_mode (fixture->server, USER, PASSWORD);
  fixture->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->password = PASSWORD;
  fixture->polled_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  fixture->monitor = g_initable_new (FAKE_TYPE_MONITOR, NULL, NULL, NULL);
  fixture->poller = mp_poller_new ();
  mp_poller_set_network_monitor (fixture->poller, G_NETWORK_MONITOR (fixture->monitor));
  fixture->clock = mp_clock_new_fake ();
  mp_poller_set_clock (fixture->poller, fixture->clock);
  mp_poller_set_password_func (fixture->poller, password_func, fixture);
  g_signal_connect (fixture->poller, "account-polled", G_CALLBACK (account_polled_cb), fixture);
  g_signal_connect (fixture->poller, "account-changed", G_CALLBACK (account_changed_cb), fixture);
}

static gboolean
no_active_sessions (gpointer data)
{
  Fixture *fixture = data;

  return mp_poller_get_active_sessions (fixture->poller) == 0;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Removing the accounts cancels what is in flight; the poller must let
   * go of everything once those sessions have ended.
   */
  for (guint i = 0; i < fixture->accounts->len; i++)
    mp_poller_remove_account (fixture->poller, g_ptr_array_index (fixture->accounts, i));
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of all sessions");

  mp_test_unref_finalizes ((gpointer *) &fixture->poller);
  mp_test_wait_until (mp_test_weak_set_empty, fixture->watched, GUARD_MSEC,
                      "the end of every mailbox");
  g_clear_pointer (&fixture->watched, g_ptr_array_unref);

  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  mp_test_server_assert_no_failures (fixture->server);
  g_clear_object (&fixture->server);
  g_clear_object (&fixture->monitor);
  g_clear_object (&fixture->clock);
  g_clear_pointer (&fixture->accounts, g_ptr_array_unref);
  g_clear_error (&fixture->last_error);
  g_clear_pointer (&fixture->polled_ids, g_hash_table_unref);
}

static guint
polls_of (Fixture    *fixture,
          const char *id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (fixture->polled_ids, id));
}

static void
start_server (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mp_test_server_start (fixture->server, &error));
  g_assert_no_error (error);
}

/* An account of the test server (or of @port, if not 0), polled every
 * minute, added to the poller.
 */
static MpAccount *
add_account_full (Fixture    *fixture,
                  const char *id,
                  guint16     port,
                  gboolean    enabled)
{
  MpAccount *account = mp_account_new (id);

  mp_account_set_host (account, "127.0.0.1");
  mp_account_set_port (account, port ? port : mp_test_server_get_port (fixture->server));
  mp_account_set_enabled (account, enabled);
  mp_account_set_security (account, MP_POP3_SECURITY_NONE);
  mp_account_set_user (account, USER);
  mp_account_set_interval (account, 1);
  g_ptr_array_add (fixture->accounts, account);
  mp_test_weak_set_add (fixture->watched, mp_poller_add_account (fixture->poller, account));
  return account;
}

static MpAccount *
add_account (Fixture    *fixture,
             const char *id)
{
  return add_account_full (fixture, id, 0, TRUE);
}

typedef struct
{
  Fixture *fixture;
  guint    count;
} Count;

/* Time passes only while nothing runs: then the clock jumps to the next
 * timeout of the schedule.
 */
static void
advance_if_idle (Fixture *fixture)
{
  if (mp_poller_get_active_sessions (fixture->poller) == 0)
    mp_clock_advance_to_next (fixture->clock);
}

static gboolean
polled_at_least (gpointer data)
{
  Count *count = data;

  if (count->fixture->n_polled >= count->count)
    return TRUE;
  advance_if_idle (count->fixture);
  return FALSE;
}

/* @seconds of the schedule go by; whatever they started has ended when
 * this returns, so the test sees its effects.
 */
static void
let_time_pass (Fixture *fixture,
               guint    seconds)
{
  mp_clock_advance (fixture->clock, seconds);
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the sessions the time started");
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
}

static void
wait_polls (Fixture *fixture,
            guint    n_polls)
{
  Count count = { fixture, n_polls };

  mp_test_wait_until (polled_at_least, &count, GUARD_MSEC, "a poll");
}

/* ---- the retry policy -------------------------------------------------- */

static void
test_classify (void)
{
  /* Every code of MpPop3Error, in order; a new code must be added here. */
  static const MpRetryKind expected[] = {
    [MP_POP3_ERROR_FAILED] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_PROTOCOL] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_LINE_TOO_LONG] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_REPLY_TOO_LARGE] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_CLOSED] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_TIMED_OUT] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_TLS_UNAVAILABLE] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_TLS_FAILED] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_CERTIFICATE] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_AUTH] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_AUTH_UNSUPPORTED] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_IN_USE] = MP_RETRY_IN_USE,
    [MP_POP3_ERROR_LOGIN_DELAY] = MP_RETRY_LOGIN_DELAY,
    [MP_POP3_ERROR_SYS_TEMP] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_SYS_PERM] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_NOT_SUPPORTED] = MP_RETRY_BACKOFF,
    [MP_POP3_ERROR_INVALID_ARGUMENT] = MP_RETRY_NEVER,
    [MP_POP3_ERROR_NOT_CONNECTED] = MP_RETRY_BACKOFF,
  };
  static const int secrets_codes[] = {
    MP_SECRETS_ERROR_UNAVAILABLE,
    MP_SECRETS_ERROR_NOT_FOUND,
    MP_SECRETS_ERROR_FAILED,
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (expected) == MP_POP3_ERROR_NOT_CONNECTED + 1);

  g_assert_cmpint (mp_poller_classify_error (NULL), ==, MP_RETRY_NORMAL);

  for (guint code = 0; code < G_N_ELEMENTS (expected); code++)
    {
      g_autoptr(GError) error = g_error_new (MP_POP3_ERROR, code, "code %u", code);

      g_test_message ("MP_POP3_ERROR code %u", code);
      g_assert_cmpint (mp_poller_classify_error (error), ==, expected[code]);
    }

  /* No password (the user must give one), or no keyring to ask. */
  for (guint i = 0; i < G_N_ELEMENTS (secrets_codes); i++)
    {
      g_autoptr(GError) error = g_error_new (MP_SECRETS_ERROR, secrets_codes[i], "secrets");

      g_assert_cmpint (mp_poller_classify_error (error), ==, MP_RETRY_NEVER);
    }

  /* An account that cannot make a client (no host, a CA file that does not
   * load) needs the user, like a wrong password.
   */
  {
    g_autoptr(GError) error = g_error_new (MP_ACCOUNT_ERROR, MP_ACCOUNT_ERROR_INVALID, "no host");

    g_assert_cmpint (mp_poller_classify_error (error), ==, MP_RETRY_NEVER);
  }

  /* Network trouble from GIO itself passes. */
  {
    g_autoptr(GError) refused = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
    g_autoptr(GError) unreachable = g_error_new (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "down");

    g_assert_cmpint (mp_poller_classify_error (refused), ==, MP_RETRY_BACKOFF);
    g_assert_cmpint (mp_poller_classify_error (unreachable), ==, MP_RETRY_BACKOFF);
  }
}

static void
assert_delays (MpRetryKind  kind,
               guint        interval,
               guint        login_delay,
               const guint *expected,
               guint        n_expected)
{
  for (guint failures = 1; failures <= n_expected; failures++)
    {
      guint delay = mp_poller_next_delay (kind, failures, interval, login_delay);

      g_test_message ("kind %d, interval %u, login delay %u, failure %u: %u s",
                      kind, interval, login_delay, failures, delay);
      g_assert_cmpuint (delay, ==, expected[failures - 1]);
    }
}

static void
test_next_delay (void)
{
  static const guint backoff[] = { 30, 60, 120, 240, 480, 960, 1800, 1800, 1800 };
  static const guint backoff_long[] = { 30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200 };
  static const guint in_use[] = { 60, 120, 240, 480, 960, 1800, 1800 };
  static const guint login_delay[] = { 300, 600, 1200, 2400, 3600, 3600 };
  static const guint login_delay_long[] = { 7200, 7200, 7200 };
  static const guint login_delay_cap[] = { 900, 900, 900 };
  static const guint login_delay_cap_short[] = { 600, 600 };

  /* Transient errors: 30 s, doubling, at most half an hour (or the
   * interval, if the user asked for less often than that).
   */
  assert_delays (MP_RETRY_BACKOFF, 60, 0, backoff, G_N_ELEMENTS (backoff));
  assert_delays (MP_RETRY_BACKOFF, 7200, 0, backoff_long, G_N_ELEMENTS (backoff_long));
  assert_delays (MP_RETRY_IN_USE, 60, 0, in_use, G_N_ELEMENTS (in_use));
  /* [LOGIN-DELAY] without the capability: big steps, at most an hour. */
  assert_delays (MP_RETRY_LOGIN_DELAY, 60, 0, login_delay, G_N_ELEMENTS (login_delay));
  assert_delays (MP_RETRY_LOGIN_DELAY, 7200, 0, login_delay_long, G_N_ELEMENTS (login_delay_long));
  /* With it: what the server asked for, or the interval if longer. */
  assert_delays (MP_RETRY_LOGIN_DELAY, 60, 900, login_delay_cap, G_N_ELEMENTS (login_delay_cap));
  assert_delays (MP_RETRY_LOGIN_DELAY, 600, 30, login_delay_cap_short, G_N_ELEMENTS (login_delay_cap_short));

  /* Failure counts at the edges. */
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_BACKOFF, 0, 60, 0), ==, 30);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_BACKOFF, G_MAXUINT, 60, 0), ==, 1800);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_IN_USE, G_MAXUINT, 60, 0), ==, 1800);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_LOGIN_DELAY, G_MAXUINT, 60, 0), ==, 3600);

  /* Success: the interval; a server's LOGIN-DELAY is a minimum for every
   * login, not only after it refused one (RFC 2449 §6.8).
   */
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NORMAL, 0, 600, 0), ==, 600);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NORMAL, 0, 0, 0), ==, 1);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NORMAL, 0, 60, 900), ==, 900);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NORMAL, 0, 1200, 900), ==, 1200);

  /* The user must act: no timer at all. */
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NEVER, 1, 60, 0), ==, 0);
  g_assert_cmpuint (mp_poller_next_delay (MP_RETRY_NEVER, 5, 60, 900), ==, 0);
}

/* ---- the fake clock ---------------------------------------------------- */

static gboolean
record_cb (gpointer data)
{
  GString *fired = data;

  g_string_append_c (fired, 'x');
  return G_SOURCE_REMOVE;
}

static gboolean
record_a_cb (gpointer data)
{
  g_string_append_c (data, 'a');
  return G_SOURCE_REMOVE;
}

static gboolean
record_b_cb (gpointer data)
{
  g_string_append_c (data, 'b');
  return G_SOURCE_REMOVE;
}

static void
test_fake_clock (void)
{
  g_autoptr(MpClock) clock = mp_clock_new_fake ();
  g_autoptr(GString) fired = g_string_new (NULL);
  g_autoptr(GDateTime) start = mp_clock_dup_now (clock);
  g_autoptr(GDateTime) later = NULL;
  guint removed;

  g_assert_true (mp_clock_is_fake (clock));
  mp_clock_add_timeout (clock, 60, record_b_cb, fired);
  mp_clock_add_timeout (clock, 30, record_a_cb, fired);
  removed = mp_clock_add_timeout (clock, 10, record_cb, fired);
  g_assert_cmpuint (removed, !=, 0);
  mp_clock_remove (clock, removed);
  g_assert_cmpuint (mp_clock_get_n_pending (clock), ==, 2);

  mp_clock_advance (clock, 29);
  g_assert_cmpstr (fired->str, ==, "");
  mp_clock_advance (clock, 1);
  g_assert_cmpstr (fired->str, ==, "a");
  g_assert_true (mp_clock_advance_to_next (clock));
  g_assert_cmpstr (fired->str, ==, "ab");
  g_assert_false (mp_clock_advance_to_next (clock));

  later = mp_clock_dup_now (clock);
  g_assert_cmpint (g_date_time_difference (later, start), ==, 60 * G_TIME_SPAN_SECOND);
}

/* ---- the poller -------------------------------------------------------- */

static void
test_new_messages (Fixture       *fixture,
                   gconstpointer  data)
{
  MpAccount *account;
  MpMailboxState *state;
  g_autoptr(GFile) state_dir = NULL;
  GFile *state_file;
  guint changed;

  mp_test_server_fill (fixture->server, 3);
  start_server (fixture);
  account = add_account (fixture, "first");

  /* The first poll: everything is new, every header fetched. */
  wait_polls (fixture, 1);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->last_n_messages, ==, 3);
  g_assert_cmpuint (fixture->last_n_new, ==, 3);
  g_assert_cmpuint (fixture->n_changed, ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 3);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 60);
  g_assert_nonnull (mp_poller_get_last_result (fixture->poller, account));
  g_assert_cmpuint (mp_poller_get_last_result (fixture->poller, account)->n_new, ==, 3);

  /* The state went to the isolated state dir. */
  state = mp_poller_get_state (fixture->poller, account);
  g_assert_nonnull (state);
  g_assert_cmpuint (mp_mailbox_state_get_n_messages (state), ==, 3);
  state_file = mp_mailbox_state_get_file (state);
  state_dir = g_file_new_for_path (g_get_user_state_dir ());
  g_assert_true (g_file_has_prefix (state_file, state_dir));
  g_assert_true (g_file_query_exists (state_file, NULL));

  /* The UI told the user. */
  mp_mailbox_state_mark_all_announced (state);

  /* The next polls: no TOP for what is cached, nothing new. */
  wait_polls (fixture, 3);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->last_n_messages, ==, 3);
  g_assert_cmpuint (fixture->last_n_new, ==, 0);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "UIDL"), >=, 3);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "DELE"), ==, 0);
  /* Announcing changed the count of new messages once; nothing since. */
  changed = fixture->n_changed;
  g_assert_cmpuint (changed, ==, 2);
  wait_polls (fixture, fixture->n_polled + 2);
  g_assert_cmpuint (fixture->n_changed, ==, changed);

  /* A new message: one TOP, for it alone, and one change. */
  mp_test_server_add_message (fixture->server, "uid-late",
                              "From: late@example.com\r\nSubject: Late\r\n\r\nbody\r\n");
  {
    Count count = { fixture, 0 };

    while (fixture->last_n_messages != 4)
      {
        count.count = fixture->n_polled + 1;
        mp_test_wait_until (polled_at_least, &count, GUARD_MSEC, "a poll");
      }
  }
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->last_n_new, ==, 1);
  g_assert_cmpuint (fixture->n_changed, ==, changed + 1);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "TOP"), ==, 4);
  g_assert_true (mp_test_server_log_contains (fixture->server, "TOP 4 0"));
  g_assert_true (mp_mailbox_state_contains (state, "uid-late"));
  g_assert_false (mp_mailbox_state_is_announced (state, "uid-late"));
}

static void
test_in_use (Fixture       *fixture,
             gconstpointer  data)
{
  MpAccount *account;

  mp_test_server_set_login_error (fixture->server, "-ERR [IN-USE] Mailbox locked by another client");
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");

  wait_polls (fixture, 1);
  g_assert_error (fixture->last_error, MP_POP3_ERROR, MP_POP3_ERROR_IN_USE);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 60);
  wait_polls (fixture, 2);
  g_assert_error (fixture->last_error, MP_POP3_ERROR, MP_POP3_ERROR_IN_USE);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 120);
  wait_polls (fixture, 3);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 240);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 3);
  /* The same error again is no change for the UI. */
  g_assert_cmpuint (fixture->n_changed, ==, 1);
}

static void
test_login_delay (Fixture       *fixture,
                  gconstpointer  data)
{
  MpAccount *account;

  mp_test_server_set_login_error (fixture->server, "-ERR [LOGIN-DELAY] Too soon");
  mp_test_server_set_capabilities (fixture->server, MP_TEST_CAPA_CLEARTEXT,
                                   "USER", "UIDL", "TOP", "RESP-CODES", "LOGIN-DELAY 900", NULL);
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");

  wait_polls (fixture, 1);
  g_assert_error (fixture->last_error, MP_POP3_ERROR, MP_POP3_ERROR_LOGIN_DELAY);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 900);
  g_assert_cmpuint (mp_poller_get_last_result (fixture->poller, account)->login_delay, ==, 900);
}

static void
test_login_delay_unannounced (Fixture       *fixture,
                              gconstpointer  data)
{
  MpAccount *account;

  mp_test_server_set_login_error (fixture->server, "-ERR [LOGIN-DELAY] Too soon");
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");

  wait_polls (fixture, 1);
  g_assert_error (fixture->last_error, MP_POP3_ERROR, MP_POP3_ERROR_LOGIN_DELAY);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 300);
  wait_polls (fixture, 2);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 600);
}

static void
test_login_delay_on_success (Fixture       *fixture,
                             gconstpointer  data)
{
  MpAccount *account;

  /* Announced before and after login, as RFC 2449 allows. */
  mp_test_server_set_capabilities (fixture->server, MP_TEST_CAPA_CLEARTEXT,
                                   "USER", "UIDL", "TOP", "RESP-CODES", "LOGIN-DELAY 900", NULL);
  mp_test_server_set_capabilities (fixture->server, MP_TEST_CAPA_LOGGED_IN,
                                   "USER", "UIDL", "TOP", "RESP-CODES", "LOGIN-DELAY 900", NULL);
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");

  wait_polls (fixture, 1);
  g_assert_no_error (fixture->last_error);
  /* The interval is a minute, the server wants a quarter of an hour. */
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 900);
  let_time_pass (fixture, QUIET_SECONDS);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 1);
}

static void
test_auth (Fixture       *fixture,
           gconstpointer  data)
{
  MpAccount *account;

  fixture->password = "wrong";
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");

  wait_polls (fixture, 1);
  g_assert_error (fixture->last_error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 0);
  g_assert_cmpuint (fixture->n_changed, ==, 1);

  /* Retrying a wrong password can lock the account: no more sessions
   * until the user acts.
   */
  let_time_pass (fixture, QUIET_SECONDS);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 1);
  g_assert_cmpuint (fixture->n_polled, ==, 1);

  /* "Check now" with the right password recovers. */
  fixture->password = PASSWORD;
  mp_poller_check_now (fixture->poller, account);
  wait_polls (fixture, 2);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->last_n_messages, ==, 1);
  g_assert_cmpuint (fixture->n_changed, ==, 2);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 60);
}

static void
test_backoff_and_recovery (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(MpTestServer) closed = mp_test_server_new ();
  g_autoptr(GError) error = NULL;
  MpAccount *account;
  guint16 dead_port;

  /* A port nothing listens on: connection refused, again and again. */
  mp_test_server_set_mailbox_mode (closed, USER, PASSWORD);
  g_assert_true (mp_test_server_start (closed, &error));
  dead_port = mp_test_server_get_port (closed);
  mp_test_server_stop (closed);

  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);
  account = add_account_full (fixture, "first", dead_port, TRUE);

  wait_polls (fixture, 1);
  g_assert_nonnull (fixture->last_error);
  g_assert_cmpint (mp_poller_classify_error (fixture->last_error), ==, MP_RETRY_BACKOFF);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 30);
  wait_polls (fixture, 2);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 60);
  wait_polls (fixture, 3);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 120);

  /* Fixing the account tries again soon and resets the back-off. */
  mp_account_set_port (account, mp_test_server_get_port (fixture->server));
  {
    Count count = { fixture, 0 };

    while (fixture->last_error != NULL)
      {
        count.count = fixture->n_polled + 1;
        mp_test_wait_until (polled_at_least, &count, GUARD_MSEC, "a poll");
      }
  }
  g_assert_cmpuint (fixture->last_n_messages, ==, 2);
  g_assert_cmpuint (mp_poller_get_next_delay (fixture->poller, account), ==, 60);
}

static void
test_offline (Fixture       *fixture,
              gconstpointer  data)
{
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);

  fake_monitor_set_available (fixture->monitor, FALSE);
  add_account (fixture, "first");
  add_account (fixture, "second");

  let_time_pass (fixture, QUIET_SECONDS);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 0);
  g_assert_cmpuint (fixture->n_polled, ==, 0);
  /* The mailboxes say why. */
  g_assert_cmpint (mp_mailbox_get_status (mp_poller_lookup_mailbox (fixture->poller, "first")),
                   ==, MP_MAILBOX_STATUS_OFFLINE);
  g_assert_null (mp_mailbox_get_next_check (mp_poller_lookup_mailbox (fixture->poller, "second")));

  /* Back online: both soon. */
  fake_monitor_set_available (fixture->monitor, TRUE);
  wait_polls (fixture, 2);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), >=, 2);
  g_assert_cmpint (mp_mailbox_get_status (mp_poller_lookup_mailbox (fixture->poller, "first")),
                   ==, MP_MAILBOX_STATUS_OK);

  /* Offline again: what runs may finish, nothing new starts. */
  fake_monitor_set_available (fixture->monitor, FALSE);
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of the running sessions");
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  {
    guint connections = mp_test_server_get_n_connections (fixture->server);
    guint polled = fixture->n_polled;

    let_time_pass (fixture, QUIET_SECONDS);
    g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, connections);
    g_assert_cmpuint (fixture->n_polled, ==, polled);

    fake_monitor_set_available (fixture->monitor, TRUE);
    wait_polls (fixture, polled + 2);
    g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), >=, connections + 2);
  }
}

static gboolean
sample_active_cb (gpointer data)
{
  Fixture *fixture = data;

  fixture->max_active = MAX (fixture->max_active, mp_poller_get_active_sessions (fixture->poller));
  return G_SOURCE_CONTINUE;
}

static void
account_polled_sample_cb (MpPoller     *poller,
                          MpAccount    *account,
                          MpPollResult *result,
                          Fixture      *fixture)
{
  sample_active_cb (fixture);
}

static void
assert_max_sessions (Fixture *fixture,
                     guint    max_sessions)
{
  guint id;

  /* Every command takes a while, so sessions overlap unless held back. */
  mp_test_server_set_reply_delay (fixture->server, 20);
  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);

  mp_poller_set_max_sessions (fixture->poller, max_sessions);
  g_signal_connect (fixture->poller, "account-polled", G_CALLBACK (account_polled_sample_cb), fixture);
  id = g_timeout_add (1, sample_active_cb, fixture);

  add_account (fixture, "first");
  add_account (fixture, "second");
  add_account (fixture, "third");
  wait_polls (fixture, 6);

  g_source_remove (id);
  g_test_message ("at most %u sessions at once (limit %u)", fixture->max_active, max_sessions);
  g_assert_cmpuint (fixture->max_active, <=, max_sessions);
  g_assert_cmpuint (fixture->max_active, >=, 1);
  g_assert_no_error (fixture->last_error);
}

static void
test_max_sessions_one (Fixture       *fixture,
                       gconstpointer  data)
{
  assert_max_sessions (fixture, 1);
}

static void
test_max_sessions_two (Fixture       *fixture,
                       gconstpointer  data)
{
  /* The control: with room for two, two do run at once (so the sampling
   * above would see a breach).
   */
  assert_max_sessions (fixture, 2);
  g_assert_cmpuint (fixture->max_active, ==, 2);
}

static void
test_remove_mid_poll (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MpAccount) account = NULL;
  MpAccount *other;

  mp_test_server_set_reply_delay (fixture->server, 30);
  mp_test_server_fill (fixture->server, 2);
  start_server (fixture);

  account = g_object_ref (add_account (fixture, "first"));
  g_assert_true (mp_test_server_wait_command (fixture->server, "STAT", 1, GUARD_MSEC));
  g_assert_cmpuint (mp_poller_get_active_sessions (fixture->poller), ==, 1);

  mp_poller_remove_account (fixture->poller, account);
  g_assert_null (mp_poller_get_state (fixture->poller, account));
  g_assert_null (mp_poller_get_last_result (fixture->poller, account));
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the cancelled session to end");
  /* The cancelled session closed its connection and reported nothing. */
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  let_time_pass (fixture, QUIET_SECONDS);
  g_assert_cmpuint (fixture->n_polled, ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), ==, 1);
  g_assert_cmpuint (mp_test_server_get_command_count (fixture->server, "QUIT"), ==, 0);

  /* A queued account removed before its turn never starts. */
  mp_poller_set_max_sessions (fixture->poller, 1);
  add_account (fixture, "second");
  other = add_account (fixture, "third");
  g_assert_cmpuint (mp_poller_get_active_sessions (fixture->poller), ==, 1);
  mp_poller_remove_account (fixture->poller, other);
  wait_polls (fixture, 2);
  g_assert_cmpuint (polls_of (fixture, "second"), ==, 2);
  g_assert_cmpuint (polls_of (fixture, "third"), ==, 0);
}

static void
test_disable (Fixture       *fixture,
              gconstpointer  data)
{
  MpAccount *account;
  guint polled;

  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  account = add_account (fixture, "first");
  wait_polls (fixture, 1);

  mp_account_set_enabled (account, FALSE);
  mp_test_wait_until (no_active_sessions, fixture, GUARD_MSEC, "the end of the running session");
  g_assert_true (mp_test_server_wait_idle (fixture->server, GUARD_MSEC));
  polled = fixture->n_polled;
  let_time_pass (fixture, QUIET_SECONDS);
  g_assert_cmpuint (fixture->n_polled, ==, polled);

  mp_account_set_enabled (account, TRUE);
  wait_polls (fixture, polled + 1);
  g_assert_no_error (fixture->last_error);
}

static void
test_disable_queued (Fixture       *fixture,
                     gconstpointer  data)
{
  MpAccount *second;

  /* Disabled while it waits for a free session: it must not start. */
  mp_test_server_set_reply_delay (fixture->server, 20);
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);
  mp_poller_set_max_sessions (fixture->poller, 1);

  add_account (fixture, "first");
  second = add_account (fixture, "second");
  g_assert_cmpuint (mp_poller_get_active_sessions (fixture->poller), ==, 1);
  mp_account_set_enabled (second, FALSE);

  wait_polls (fixture, 3);
  g_assert_cmpuint (polls_of (fixture, "first"), ==, 3);
  g_assert_cmpuint (polls_of (fixture, "second"), ==, 0);
}

static void
test_disable_offline (Fixture       *fixture,
                      gconstpointer  data)
{
  MpAccount *second;

  /* Disabled while it waits for the network: it must not start when the
   * network returns.
   */
  mp_test_server_fill (fixture->server, 1);
  start_server (fixture);

  fake_monitor_set_available (fixture->monitor, FALSE);
  add_account (fixture, "first");
  second = add_account (fixture, "second");
  let_time_pass (fixture, QUIET_SECONDS / 4);
  mp_account_set_enabled (second, FALSE);
  fake_monitor_set_available (fixture->monitor, TRUE);

  wait_polls (fixture, 3);
  g_assert_cmpuint (polls_of (fixture, "first"), ==, 3);
  g_assert_cmpuint (polls_of (fixture, "second"), ==, 0);
  g_assert_cmpuint (mp_test_server_get_n_connections (fixture->server), <=, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  mp_test_init ();

  g_test_add_func ("/poller/policy/classify", test_classify);
  g_test_add_func ("/poller/policy/next-delay", test_next_delay);
  g_test_add_func ("/poller/clock/fake", test_fake_clock);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/poller/new-messages", test_new_messages);
  ADD ("/poller/in-use", test_in_use);
  ADD ("/poller/login-delay", test_login_delay);
  ADD ("/poller/login-delay-unannounced", test_login_delay_unannounced);
  ADD ("/poller/login-delay-on-success", test_login_delay_on_success);
  ADD ("/poller/auth", test_auth);
  ADD ("/poller/backoff-and-recovery", test_backoff_and_recovery);
  ADD ("/poller/offline", test_offline);
  ADD ("/poller/max-sessions/one", test_max_sessions_one);
  ADD ("/poller/max-sessions/two", test_max_sessions_two);
  ADD ("/poller/remove-mid-poll", test_remove_mid_poll);
  ADD ("/poller/disable", test_disable);
  ADD ("/poller/disable-queued", test_disable_queued);
  ADD ("/poller/disable-offline", test_disable_offline);

#undef ADD

  return mp_test_shutdown (g_test_run ());
}
