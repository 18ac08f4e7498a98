/* mp-test-server.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An in-process POP3 server for tests, listening on 127.0.0.1:0. Each
 * connection runs in its own thread with blocking I/O, so the client under
 * test runs undisturbed in the test's main context.
 *
 * Mailbox mode, a working server with quirks:
 *
 *   g_autoptr(MpTestServer) server = mp_test_server_new ();
 *   mp_test_server_set_mailbox_mode (server, "alice", "secret");
 *   mp_test_server_set_quirks (server, MP_TEST_QUIRK_PIPELINING);
 *   mp_test_server_fill (server, 500);
 *   mp_test_server_start (server, &error);
 *   … connect a client to mp_test_server_get_port (server) …
 *   g_assert_cmpuint (mp_test_server_get_command_count (server, "TOP"), ==, 0);
 *
 * Script mode, exact bytes for faults:
 *
 *   g_autoptr(MpTestScript) script = mp_test_script_new ();
 *   mp_test_script_send (script, "+OK ready\r\n");
 *   mp_test_script_expect (script, "CAPA");
 *   mp_test_script_send (script, "+OK\r\nSTLS\r\n.\r\n");
 *   mp_test_script_expect (script, "STLS");
 *   mp_test_script_send (script, "+OK\r\n+OK injected\r\n");
 *   mp_test_script_start_tls (script);
 *   mp_test_script_hang (script);
 *   mp_test_server_add_script (server, script);
 *
 * Call mp_test_init() after g_test_init() and end main() with
 * `return mp_test_shutdown (g_test_run ());` in programs that use TLS.
 */

/**
 * MpTestScript:
 *
 * A list of steps that a scripted connection runs in order: send exact
 * bytes, expect a client line, sleep, close, hang, start TLS… Built by the
 * test before the server starts and read-only afterwards, so the server
 * threads can share it without locking.
 *
 * A script that runs out of steps closes the connection. An expect step
 * that does not match records a failure (see
 * mp_test_server_get_failures()) and ends the connection, so a client that
 * sends something it must not send stops the script right there.
 */
typedef struct _MpTestScript MpTestScript;

MpTestScript *mp_test_script_new            (void);
MpTestScript *mp_test_script_ref            (MpTestScript *script);
void          mp_test_script_unref          (MpTestScript *script);
void          mp_test_script_send           (MpTestScript *script,
                                             const char   *data);
void          mp_test_script_send_len       (MpTestScript *script,
                                             const void   *data,
                                             gsize         len);
void          mp_test_script_sendf          (MpTestScript *script,
                                             const char   *format,
                                             ...) G_GNUC_PRINTF (2, 3);
void          mp_test_script_expect         (MpTestScript *script,
                                             const char   *line);
void          mp_test_script_expect_prefix  (MpTestScript *script,
                                             const char   *prefix);
void          mp_test_script_expect_glob    (MpTestScript *script,
                                             const char   *pattern);
void          mp_test_script_expect_lines   (MpTestScript *script,
                                             guint         n_lines);
void          mp_test_script_expect_closed  (MpTestScript *script);
void          mp_test_script_sleep          (MpTestScript *script,
                                             guint         msec);
void          mp_test_script_close          (MpTestScript *script);
void          mp_test_script_hang           (MpTestScript *script);
void          mp_test_script_start_tls      (MpTestScript *script);
void          mp_test_script_send_huge      (MpTestScript *script,
                                             guint64       n_bytes,
                                             guint         line_length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpTestScript, mp_test_script_unref)

/**
 * MpTestQuirks:
 * @MP_TEST_QUIRK_NONE: a well-behaved server
 * @MP_TEST_QUIRK_PIPELINING: advertise PIPELINING (a feature, not a fault;
 *   the server always reads ahead, as RFC 2449 servers must)
 * @MP_TEST_QUIRK_NO_UIDL: UIDL is an unknown command and not advertised
 * @MP_TEST_QUIRK_UIDL_EXTRA: UIDL lists one more message number than LIST
 * @MP_TEST_QUIRK_TOP_WHOLE: TOP ignores its line count and sends the
 *   whole message
 * @MP_TEST_QUIRK_NO_DOT_STUFFING: data lines that start with "." are sent
 *   as they are
 * @MP_TEST_QUIRK_BARE_LF: every line the server sends ends in LF alone
 * @MP_TEST_QUIRK_DROP_MID_TOP: TOP sends "+OK" and half of its data, then
 *   closes the connection
 * @MP_TEST_QUIRK_DROP_MID_RETR: the same for RETR
 * @MP_TEST_QUIRK_DROP_AFTER_DELE: the first DELE is answered "+OK" and
 *   then the connection is closed (no QUIT, so nothing is deleted)
 * @MP_TEST_QUIRK_QUIT_ERR: QUIT in the transaction state answers "-ERR"
 *   and deletes nothing
 * @MP_TEST_QUIRK_NO_CAPA: CAPA is an unknown command
 * @MP_TEST_QUIRK_NO_TOP: TOP is an unknown command and not advertised
 * @MP_TEST_QUIRK_CLOSE_AFTER_LOGIN_ERR: a "-ERR" to PASS, APOP or AUTH is
 *   followed by closing the connection
 * @MP_TEST_QUIRK_UTF8: advertise UTF8 (RFC 6856) and accept the UTF8
 *   command; until a session sends it, a message with raw 8-bit bytes in
 *   its header is replaced by a "cannot be displayed" substitute
 *
 * Switches for the mailbox mode, combined with mp_test_server_set_quirks().
 */
typedef enum
{
  MP_TEST_QUIRK_NONE            = 0,
  MP_TEST_QUIRK_PIPELINING      = 1 << 0,
  MP_TEST_QUIRK_NO_UIDL         = 1 << 1,
  MP_TEST_QUIRK_UIDL_EXTRA      = 1 << 2,
  MP_TEST_QUIRK_TOP_WHOLE       = 1 << 3,
  MP_TEST_QUIRK_NO_DOT_STUFFING = 1 << 4,
  MP_TEST_QUIRK_BARE_LF         = 1 << 5,
  MP_TEST_QUIRK_DROP_MID_TOP    = 1 << 6,
  MP_TEST_QUIRK_DROP_MID_RETR   = 1 << 7,
  MP_TEST_QUIRK_DROP_AFTER_DELE = 1 << 8,
  MP_TEST_QUIRK_QUIT_ERR        = 1 << 9,
  MP_TEST_QUIRK_NO_CAPA         = 1 << 10,
  MP_TEST_QUIRK_NO_TOP          = 1 << 11,
  MP_TEST_QUIRK_CLOSE_AFTER_LOGIN_ERR = 1 << 12,
  MP_TEST_QUIRK_UTF8            = 1 << 13,
} MpTestQuirks;

/**
 * MpTestCapaPhase:
 * @MP_TEST_CAPA_CLEARTEXT: before STLS and before login
 * @MP_TEST_CAPA_TLS: after STLS (or on an implicit TLS connection), before
 *   login
 * @MP_TEST_CAPA_LOGGED_IN: after a successful login
 *
 * The session phases for which the mailbox mode can announce different
 * capability lists (mp_test_server_set_capabilities()).
 */
typedef enum
{
  MP_TEST_CAPA_CLEARTEXT,
  MP_TEST_CAPA_TLS,
  MP_TEST_CAPA_LOGGED_IN,
} MpTestCapaPhase;

#define MP_TYPE_TEST_SERVER (mp_test_server_get_type ())

G_DECLARE_FINAL_TYPE (MpTestServer, mp_test_server, MP, TEST_SERVER, GObject)

/* Construction; configure, then mp_test_server_start(). */
MpTestServer     *mp_test_server_new                 (void);
void              mp_test_server_add_script          (MpTestServer     *self,
                                                      MpTestScript     *script);
void              mp_test_server_set_mailbox_mode    (MpTestServer     *self,
                                                      const char       *user,
                                                      const char       *password);
void              mp_test_server_set_certificate     (MpTestServer     *self,
                                                      GTlsCertificate  *certificate);
void              mp_test_server_set_implicit_tls    (MpTestServer     *self,
                                                      gboolean          implicit_tls);
void              mp_test_server_set_io_timeout      (MpTestServer     *self,
                                                      guint             msec);
gboolean          mp_test_server_start               (MpTestServer     *self,
                                                      GError          **error);
void              mp_test_server_stop                (MpTestServer     *self);
guint16           mp_test_server_get_port            (MpTestServer     *self);

/* Mailbox mode configuration: before start, except add_message,
 * set_login_error, set_expunged and delete_message, which work any time. */
guint             mp_test_server_add_message         (MpTestServer     *self,
                                                      const char       *uid,
                                                      const char       *content);
void              mp_test_server_fill                (MpTestServer     *self,
                                                      guint             n_messages);
void              mp_test_server_set_quirks          (MpTestServer     *self,
                                                      MpTestQuirks      quirks);
void              mp_test_server_set_capabilities    (MpTestServer     *self,
                                                      MpTestCapaPhase   phase,
                                                      const char       *first,
                                                      ...) G_GNUC_NULL_TERMINATED;
void              mp_test_server_set_sasl_mechanisms (MpTestServer     *self,
                                                      const char       *mechanisms);
void              mp_test_server_set_greeting        (MpTestServer     *self,
                                                      const char       *text);
void              mp_test_server_set_apop_timestamp  (MpTestServer     *self,
                                                      const char       *timestamp);
void              mp_test_server_set_sasl_challenge  (MpTestServer     *self,
                                                      const char       *raw);
void              mp_test_server_set_stls_reply      (MpTestServer     *self,
                                                      const char       *raw);
void              mp_test_server_set_login_error     (MpTestServer     *self,
                                                      const char       *line);
void              mp_test_server_set_refused_logins  (MpTestServer     *self,
                                                      const char       *methods);
void              mp_test_server_set_top_refused     (MpTestServer     *self,
                                                      guint             number);
void              mp_test_server_set_reply_delay     (MpTestServer     *self,
                                                      guint             msec);
void              mp_test_server_set_drop_after      (MpTestServer     *self,
                                                      guint             n_commands);
void              mp_test_server_set_max_errors      (MpTestServer     *self,
                                                      guint             n_errors);
void              mp_test_server_set_expunged        (MpTestServer     *self,
                                                      guint             number,
                                                      gboolean          expunged);
void              mp_test_server_delete_message      (MpTestServer     *self,
                                                      guint             number);

/* Inspection, thread-safe, at any time. */
void              mp_test_server_clear_log           (MpTestServer     *self);
char            **mp_test_server_get_log             (MpTestServer     *self);
guint             mp_test_server_get_command_count   (MpTestServer     *self,
                                                      const char       *verb);
gboolean          mp_test_server_log_contains        (MpTestServer     *self,
                                                      const char       *pattern);
guint             mp_test_server_get_max_depth       (MpTestServer     *self);
char            **mp_test_server_get_failures        (MpTestServer     *self);
guint             mp_test_server_get_n_connections   (MpTestServer     *self);
guint             mp_test_server_get_n_handshakes    (MpTestServer     *self,
                                                      gboolean          succeeded);
guint             mp_test_server_get_n_messages      (MpTestServer     *self);
gboolean          mp_test_server_has_uid             (MpTestServer     *self,
                                                      const char       *uid);
gboolean          mp_test_server_wait_idle           (MpTestServer     *self,
                                                      guint             timeout_msec);
gboolean          mp_test_server_wait_command        (MpTestServer     *self,
                                                      const char       *verb,
                                                      guint             count,
                                                      guint             timeout_msec);

void              mp_test_server_assert_no_failures  (MpTestServer     *self);

/* Process set-up for test programs that use the server. */
void              mp_test_init                       (void);
int               mp_test_shutdown                   (int               result);

/* TLS material for the tests. */
GTlsCertificate  *mp_test_make_certificate           (const char       *dir,
                                                      char            **cert_path,
                                                      GError          **error);

G_END_DECLS
