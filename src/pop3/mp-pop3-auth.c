/* mp-pop3-auth.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Logging in: choosing a method, running its exchange (the messages
 * themselves are built in mp-pop3-sasl.c), and the CAPA that follows.
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"
#include "mp-pop3-sasl.h"

/* Logging in
 *
 * MP_POP3_AUTH_AUTO tries the methods the server offers one after the
 * other, in a fixed order, until one works:
 *
 *   inside TLS:  SASL PLAIN, USER/PASS, SASL LOGIN, SASL CRAM-MD5, APOP
 *   cleartext (only on an account whose security is "none"): SASL
 *                CRAM-MD5, APOP, then, because the user chose an
 *                unencrypted account, SASL PLAIN, SASL LOGIN, USER/PASS
 *
 * Inside TLS the password is safe on the wire, and PLAIN and USER need no
 * plaintext-equivalent secret on the server, unlike CRAM-MD5 and APOP; in
 * the clear, the methods that keep the password off the wire come first.
 * A password never goes out in the clear on any other account.
 *
 * A -ERR to USER, PASS, APOP or AUTH leaves the session in the
 * AUTHORIZATION state (RFC 1939 §4, RFC 5034 §4), so the next method goes
 * in the same session; a server that hangs up instead gets a new session
 * for the next method.
 *
 * At most two methods are tried: the first challenge-response method in
 * the order (CRAM-MD5 or APOP) and the first method that sends the
 * password (PLAIN, LOGIN or USER/PASS). Only the refusal ([AUTH] or no
 * code) or broken SASL exchange of a challenge-response method moves on,
 * because those need a plaintext-equivalent secret the server may not
 * keep: GNU Mailutils greets with an APOP timestamp and has no APOP
 * secrets, Courier offers CRAM-MD5 over a PAM back end that cannot do it.
 * CRAM-MD5 and APOP need the same kind of secret, so the second of them
 * would fail the same way. A method that hands the server the password
 * itself is checked against the very password the user typed, so its
 * refusal is final. Trying more only repeats a wrong password, and servers
 * such as Dovecot wait longer after every failure (a wrong password tried
 * five ways took over 20 s there). [IN-USE], [LOGIN-DELAY] and [SYS/...]
 * end the attempts at once: the credentials were not the problem. A method
 * the user chose explicitly is the only one tried. A session that will not
 * log in ends with QUIT.
 */

#define MAX_CANDIDATES 5

typedef struct
{
  char             *user;
  char             *password;
  gulong            cancel_id;

  /* The methods to try, in order, and the one being tried. */
  MpPop3AuthMethod  candidates[MAX_CANDIDATES];
  guint             n_candidates;
  guint             current;
  gboolean          explicit_method;
  guint             n_reconnects;

  /* The exchange of the current method. */
  MpPop3AuthMethod  method;
  guint             step;
  gboolean          got_reply;
  /* Why we cancelled the SASL exchange with "*", for the error that
   * follows the server's -ERR; translated.
   */
  char             *abort_reason;
  /* PLAIN went with an initial response, so a challenge is out of place. */
  gboolean          sent_initial_response;

  /* What the refused methods left. */
  GPtrArray        *tried;
  GError           *last_error;
  char             *last_text;
  gboolean          any_refusal;
  GError           *final_error;
} LoginData;

static void
login_data_free (LoginData *data)
{
  _mp_pop3_secure_free (data->user);
  _mp_pop3_secure_free (data->password);
  g_free (data->abort_reason);
  g_clear_pointer (&data->tried, g_ptr_array_unref);
  g_clear_error (&data->last_error);
  g_free (data->last_text);
  g_clear_error (&data->final_error);
  g_free (data);
}

static LoginData *
login_data_new (const char       *user,
                const char       *password,
                MpPop3AuthMethod  method)
{
  LoginData *data = g_new0 (LoginData, 1);

  data->user = g_strdup (user);
  data->password = g_strdup (password);
  data->method = method;
  /* Static strings: the names of the methods. */
  data->tried = g_ptr_array_new ();
  return data;
}

/* A login's or an open's task, with the credentials as its data. */
static GTask *
login_task_new (MpPop3Client        *self,
                gpointer             source_tag,
                const char          *user,
                const char          *password,
                MpPop3AuthMethod     method,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, login_data_new (user, password, method),
                        (GDestroyNotify) login_data_free);
  return task;
}

static void login_step (MpPop3Client *self, Reply *reply, const GError *error, gpointer user_data);
static void login_attempt (MpPop3Client *self, GTask *task);

static const char *
method_label (MpPop3AuthMethod method)
{
  switch (method)
    {
    case MP_POP3_AUTH_USER:
      return "USER/PASS";
    case MP_POP3_AUTH_APOP:
      return "APOP";
    case MP_POP3_AUTH_PLAIN:
      return "PLAIN";
    case MP_POP3_AUTH_LOGIN:
      return "LOGIN";
    case MP_POP3_AUTH_CRAM_MD5:
      return "CRAM-MD5";
    case MP_POP3_AUTH_AUTO:
    default:
      return "?";
    }
}

static const char *
sasl_name (MpPop3AuthMethod method)
{
  switch (method)
    {
    case MP_POP3_AUTH_PLAIN:
      return "PLAIN";
    case MP_POP3_AUTH_LOGIN:
      return "LOGIN";
    case MP_POP3_AUTH_CRAM_MD5:
      return "CRAM-MD5";
    case MP_POP3_AUTH_AUTO:
    case MP_POP3_AUTH_USER:
    case MP_POP3_AUTH_APOP:
    default:
      return NULL;
    }
}

static gboolean
sends_password (MpPop3AuthMethod method)
{
  return method == MP_POP3_AUTH_USER ||
         method == MP_POP3_AUTH_PLAIN ||
         method == MP_POP3_AUTH_LOGIN;
}

/* Whether MP_POP3_AUTH_AUTO may try @method in this session. */
static gboolean
method_acceptable (MpPop3Client     *self,
                   MpPop3AuthMethod  method)
{
  /* Cleartext is only ever reached on a "none" account (STLS has no
   * fallback), but the rule is the one that matters, so say it here too.
   */
  if (sends_password (method) && !self->encrypted && self->security != MP_POP3_SECURITY_NONE)
    return FALSE;

  switch (method)
    {
    case MP_POP3_AUTH_USER:
      /* Without CAPA nothing says USER is missing. */
      return !self->capa_supported || mp_pop3_client_has_capability (self, "USER");
    case MP_POP3_AUTH_APOP:
      return self->apop_timestamp != NULL;
    case MP_POP3_AUTH_PLAIN:
    case MP_POP3_AUTH_LOGIN:
    case MP_POP3_AUTH_CRAM_MD5:
      return mp_pop3_client_has_sasl_mechanism (self, sasl_name (method));
    case MP_POP3_AUTH_AUTO:
    default:
      return FALSE;
    }
}

static void
choose_candidates (MpPop3Client *self,
                   LoginData    *data)
{
  static const MpPop3AuthMethod encrypted_order[] = {
    MP_POP3_AUTH_PLAIN, MP_POP3_AUTH_USER, MP_POP3_AUTH_LOGIN,
    MP_POP3_AUTH_CRAM_MD5, MP_POP3_AUTH_APOP,
  };
  static const MpPop3AuthMethod cleartext_order[] = {
    MP_POP3_AUTH_CRAM_MD5, MP_POP3_AUTH_APOP,
    MP_POP3_AUTH_PLAIN, MP_POP3_AUTH_LOGIN, MP_POP3_AUTH_USER,
  };
  const MpPop3AuthMethod *order = self->encrypted ? encrypted_order : cleartext_order;

  G_STATIC_ASSERT (G_N_ELEMENTS (encrypted_order) == MAX_CANDIDATES);
  G_STATIC_ASSERT (G_N_ELEMENTS (cleartext_order) == MAX_CANDIDATES);

  data->n_candidates = 0;
  for (guint i = 0; i < MAX_CANDIDATES; i++)
    if (method_acceptable (self, order[i]))
      data->candidates[data->n_candidates++] = order[i];

  /* Nothing advertised: USER/PASS is the one method RFC 1939 servers
   * all have.
   */
  if (data->n_candidates == 0)
    data->candidates[data->n_candidates++] = MP_POP3_AUTH_USER;
}

static void
login_fail (GTask        *task,
            const GError *error)
{
  LoginData *data = g_task_get_task_data (task);

  _mp_pop3_task_return_error (task, &data->cancel_id, error);
  g_object_unref (task);
}

static void
login_shutdown_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);

  g_task_propagate_boolean (G_TASK (result), NULL);
  login_fail (task, data->final_error);
}

/* No method worked: say which were tried, then QUIT before reporting. */
static void
login_give_up (MpPop3Client *self,
               GTask        *task)
{
  LoginData *data = g_task_get_task_data (task);

  g_assert (data->last_error != NULL);

  if (data->tried->len <= 1)
    data->final_error = g_error_copy (data->last_error);
  else
    {
      /* A wrong password is refused by every method alike: the poller
       * must still see MP_POP3_ERROR_AUTH and ask for the password.
       */
      MpPop3Error code = data->any_refusal ? MP_POP3_ERROR_AUTH : data->last_error->code;
      g_autofree char *methods = NULL;

      g_ptr_array_add (data->tried, NULL);
      methods = g_strjoinv (", ", (char **) data->tried->pdata);
      g_ptr_array_remove_index (data->tried, data->tried->len - 1);

      if (data->last_text != NULL && *data->last_text != '\0')
        data->final_error = g_error_new (MP_POP3_ERROR, code,
                                         /* Translators: the second %s lists login methods,
                                          * such as “CRAM-MD5, APOP, USER/PASS”; the third is
                                          * the server's last answer */
                                         _("%s rejected the user name or password with "
                                           "every method tried (%s): %s"),
                                         self->host, methods, data->last_text);
      else
        data->final_error = g_error_new (MP_POP3_ERROR, code,
                                         /* Translators: the second %s lists login methods,
                                          * such as “CRAM-MD5, APOP, USER/PASS” */
                                         _("%s rejected the user name or password with "
                                           "every method tried (%s)"),
                                         self->host, methods);
    }

  _mp_pop3_client_shutdown_async (self, login_shutdown_cb, task);
}

/* The current method was refused (@error, with the server's @text). */
static void
login_attempt_failed (MpPop3Client *self,
                      GTask        *task,
                      const GError *error,
                      const char   *text)
{
  LoginData *data = g_task_get_task_data (task);
  gboolean refusal = g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_AUTH);
  gboolean odd = g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);

  g_ptr_array_add (data->tried, (gpointer) method_label (data->method));
  g_clear_error (&data->last_error);
  data->last_error = g_error_copy (error);
  g_free (data->last_text);
  data->last_text = _mp_pop3_sanitize_server_text (text);
  data->any_refusal |= refusal;

  g_debug ("%s: %s refused: %s", self->host, method_label (data->method), error->message);

  /* Next: the first method that sends the password (see the top). */
  if (!data->explicit_method && (refusal || odd) && !sends_password (data->method) &&
      data->current + 1 < data->n_candidates)
    {
      data->current++;
      login_attempt (self, task);
      return;
    }

  login_give_up (self, task);
}

static void
login_reconnected_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  MpPop3Client *self = MP_POP3_CLIENT (object);
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!_mp_pop3_client_reconnect_finish (self, result, &error))
    {
      login_fail (task, error);
      return;
    }

  /* The caller's cancellable must now end the new connection. */
  _mp_pop3_task_unwatch_cancellable (task, &data->cancel_id);
  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);
  login_attempt (self, task);
}

/* The session ended under the login (@error). */
static void
login_connection_failed (MpPop3Client *self,
                         GTask        *task,
                         const GError *error)
{
  LoginData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* Some servers hang up after a refused method instead of letting the
   * client try another: the next method gets a new session. Only when
   * the method now under way had no answer at all, so a server that drops
   * the line in the middle of an exchange is not retried in a loop.
   */
  if (!data->explicit_method && data->current > 0 && !data->got_reply &&
      g_error_matches (error, MP_POP3_ERROR, MP_POP3_ERROR_CLOSED) &&
      data->n_reconnects < MAX_CANDIDATES &&
      (cancellable == NULL || !g_cancellable_is_cancelled (cancellable)))
    {
      data->n_reconnects++;
      g_debug ("%s: closed after a refused login; trying %s in a new session",
               self->host, method_label (data->method));
      _mp_pop3_client_reconnect_async (self, cancellable, login_reconnected_cb, task);
      return;
    }

  login_fail (task, error);
}

static void
login_capa_done (MpPop3Client *self,
                 Reply        *reply,
                 const GError *error,
                 gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);

  if (error != NULL)
    {
      login_fail (task, error);
      return;
    }

  /* RFC 2449 §4: capabilities may differ after login; keep the old ones if
   * the server will not say.
   */
  if (reply->kind == REPLY_OK)
    {
      self->capa_supported = TRUE;
      _mp_pop3_client_parse_capabilities (self, reply->data);
    }
  self->login_capa_done = TRUE;

  /* What the server said before the login was only a promise (see
   * login_succeeded()); from here on, what it says now.
   */
  self->pipelining = self->pipelining_allowed &&
                     mp_pop3_client_has_capability (self, "PIPELINING");
  _mp_pop3_client_release_held (self);

  _mp_pop3_task_unwatch_cancellable (task, &data->cancel_id);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Logged in: CAPA again (RFC 2449 §4). A server that announced
 * PIPELINING before the login gets the commands the caller queued while
 * the session opened (see mp_pop3_client_open_async()) in the same write
 * as this CAPA, instead of a round trip later; without PIPELINING they
 * wait for its answer and then go one at a time. Should the capabilities
 * after the login lack PIPELINING after all, what follows goes in
 * lockstep again; a command they turn out not to offer (UIDL) just gets
 * its -ERR, which the read-only commands queued this way survive.
 */
static void
login_succeeded (MpPop3Client *self,
                 GTask        *task)
{
  self->state = STATE_TRANSACTION;
  self->auth_used = ((LoginData *) g_task_get_task_data (task))->method;
  self->pipelining = self->pipelining_allowed &&
                     mp_pop3_client_has_capability (self, "PIPELINING");

  _mp_pop3_client_set_corked (self, TRUE);
  _mp_pop3_client_queue_command (self, "CAPA", CMD_MULTILINE, MP_POP3_MAX_CAPA_REPLY,
                                 login_capa_done, task);
  if (self->pipelining)
    _mp_pop3_client_release_held (self);
  _mp_pop3_client_set_corked (self, FALSE);
}

static void
send_login_line (MpPop3Client *self,
                 GTask        *task,
                 const char   *line,
                 gboolean      sensitive)
{
  _mp_pop3_client_queue_command (self, line,
                                 CMD_CONTINUE | (sensitive ? CMD_SENSITIVE : 0),
                                 0, login_step, task);
}

/* An odd challenge: cancel the exchange (RFC 5034 §4) and report it.
 * @why is translated.
 */
static void
sasl_abort (MpPop3Client *self,
            GTask        *task,
            const char   *why)
{
  LoginData *data = g_task_get_task_data (task);

  g_free (data->abort_reason);
  data->abort_reason = g_strdup (why);
  data->step = G_MAXUINT;
  send_login_line (self, task, "*", FALSE);
}

static void
login_step (MpPop3Client *self,
            Reply        *reply,
            const GError *error,
            gpointer      user_data)
{
  GTask *task = user_data;
  LoginData *data = g_task_get_task_data (task);
  g_autofree char *line = NULL;
  guint step = data->step++;

  if (error != NULL)
    {
      login_connection_failed (self, task, error);
      return;
    }

  data->got_reply = TRUE;

  if (data->abort_reason != NULL)
    {
      g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                           /* Translators: the second %s says what was wrong */
                                           _("%s sent an invalid authentication "
                                             "challenge (%s)"), self->host, data->abort_reason);
      login_attempt_failed (self, task, odd, reply->text);
      return;
    }

  if (reply->kind == REPLY_ERR)
    {
      g_autoptr(GError) refused = NULL;

      refused = _mp_pop3_client_error_from_reply (self, reply->text, MP_POP3_ERROR_AUTH, "");
      /* Without a response code, a refused login most likely means wrong
       * credentials (RFC 3206 §1); say so in words a user understands.
       */
      if (refused->code == MP_POP3_ERROR_AUTH)
        {
          g_autofree char *clean = _mp_pop3_sanitize_server_text (reply->text);

          g_clear_error (&refused);
          if (*clean != '\0')
            refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_AUTH,
                                   _("%s rejected the user name or password (%s)"),
                                   self->host, clean);
          else
            refused = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_AUTH,
                                   _("%s rejected the user name or password"),
                                   self->host);
        }
      login_attempt_failed (self, task, refused, reply->text);
      return;
    }

  if (reply->kind == REPLY_OK && step > 0 &&
      !(data->method == MP_POP3_AUTH_USER && step == 1))
    {
      login_succeeded (self, task);
      return;
    }

  switch (data->method)
    {
    case MP_POP3_AUTH_USER:
      if (step == 1 && reply->kind == REPLY_OK)
        {
          line = g_strdup_printf ("PASS %s", data->password);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      break;

    case MP_POP3_AUTH_PLAIN:
      if (reply->kind == REPLY_CONTINUE && step == 1 && !data->sent_initial_response)
        {
          /* The challenge should be empty; one that is not even base64
           * is as odd here as for the other mechanisms.
           */
          if (!mp_pop3_sasl_is_base64 (reply->text))
            {
              sasl_abort (self, task, _("challenge is not base64"));
              return;
            }

          line = mp_pop3_sasl_plain_message (data->user, data->password);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, _("unexpected challenge for PLAIN"));
      return;

    case MP_POP3_AUTH_LOGIN:
      if (reply->kind == REPLY_CONTINUE && (step == 1 || step == 2))
        {
          const char *secret = step == 1 ? data->user : data->password;

          if (!mp_pop3_sasl_is_base64 (reply->text))
            {
              sasl_abort (self, task, _("challenge is not base64"));
              return;
            }
          line = mp_pop3_sasl_login_response (secret);
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, _("too many challenges for LOGIN"));
      return;

    case MP_POP3_AUTH_CRAM_MD5:
      if (reply->kind == REPLY_CONTINUE && step == 1)
        {
          g_autoptr(GError) odd = NULL;

          line = mp_pop3_sasl_cram_md5_response (data->user, data->password,
                                                 reply->text, &odd);
          if (line == NULL)
            {
              sasl_abort (self, task, odd->message);
              return;
            }
          send_login_line (self, task, line, TRUE);
          explicit_bzero (line, strlen (line));
          return;
        }
      sasl_abort (self, task, _("too many challenges for CRAM-MD5"));
      return;

    case MP_POP3_AUTH_APOP:
    case MP_POP3_AUTH_AUTO:
    default:
      break;
    }

  if (reply->kind == REPLY_CONTINUE)
    sasl_abort (self, task, _("unexpected challenge"));
  else
    {
      /* A +OK where none belongs: the state of the session is unknown, so
       * no other method goes after it.
       */
      g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                           _("%s answered the login in an unexpected way"),
                                           self->host);
      data->explicit_method = TRUE;
      login_attempt_failed (self, task, odd, reply->text);
    }
}

/* Starts the exchange of candidates[current], or of the next one that the
 * session (new after a hang-up) still offers.
 */
static void
login_attempt (MpPop3Client *self,
               GTask        *task)
{
  LoginData *data = g_task_get_task_data (task);
  g_autofree char *line = NULL;

  /* After a refused challenge-response method, skip the other one. */
  while (!data->explicit_method && data->current < data->n_candidates &&
         (!method_acceptable (self, data->candidates[data->current]) ||
          (data->tried->len > 0 && !sends_password (data->candidates[data->current]))))
    data->current++;

  if (data->current >= data->n_candidates)
    {
      login_give_up (self, task);
      return;
    }

  data->method = data->candidates[data->current];
  data->step = 1;
  data->got_reply = FALSE;
  data->sent_initial_response = FALSE;
  g_clear_pointer (&data->abort_reason, g_free);

  switch (data->method)
    {
    case MP_POP3_AUTH_USER:
      line = g_strdup_printf ("USER %s", data->user);
      send_login_line (self, task, line, FALSE);
      return;

    case MP_POP3_AUTH_APOP:
      {
        g_autofree char *digest = mp_pop3_apop_digest (self->apop_timestamp, data->password);

        line = g_strdup_printf ("APOP %s %s", data->user, digest);
        send_login_line (self, task, line, TRUE);
        return;
      }

    case MP_POP3_AUTH_PLAIN:
      {
        g_autofree char *ir = mp_pop3_sasl_plain_message (data->user, data->password);

        if (strlen ("AUTH PLAIN ") + strlen (ir) + 2 <= MP_POP3_SASL_MAX_LINE)
          {
            data->sent_initial_response = TRUE;
            line = g_strdup_printf ("AUTH PLAIN %s", ir);
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, task, line, TRUE);
            explicit_bzero (line, strlen (line));
          }
        else
          {
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, task, "AUTH PLAIN", FALSE);
          }
        return;
      }

    case MP_POP3_AUTH_LOGIN:
      send_login_line (self, task, "AUTH LOGIN", FALSE);
      return;

    case MP_POP3_AUTH_CRAM_MD5:
      send_login_line (self, task, "AUTH CRAM-MD5", FALSE);
      return;

    case MP_POP3_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }
}

/**
 * mp_pop3_client_login_async:
 * @user: the user name
 * @password: the password
 * @method: the method the user chose, the only one tried; or
 *   %MP_POP3_AUTH_AUTO for the methods the server offers, in this order of
 *   preference: inside TLS SASL PLAIN, USER/PASS, SASL LOGIN, SASL
 *   CRAM-MD5, APOP; on a cleartext session (an account whose security is
 *   %MP_POP3_SECURITY_NONE, nothing else) SASL CRAM-MD5, APOP, then SASL
 *   PLAIN, SASL LOGIN, USER/PASS
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the login is done
 * @user_data: data for @callback
 *
 * Authenticates and asks for the capabilities again. User names and
 * passwords holding CR or LF are refused before anything is sent.
 *
 * With %MP_POP3_AUTH_AUTO, a refused challenge-response method (CRAM-MD5
 * or APOP: `-ERR` without a code or with `[AUTH]`, or a broken SASL
 * exchange) is followed by the first acceptable method that sends the
 * password (PLAIN, LOGIN, USER/PASS; on a cleartext session only because
 * the account's security is %MP_POP3_SECURITY_NONE), in the same session,
 * or in a new session when the server hangs up; the other
 * challenge-response method is not tried (it needs the same kind of
 * secret), and the refusal of a method that sends the password is final,
 * so a login tries at most two methods. When two methods were refused, the
 * error names them; it is %MP_POP3_ERROR_AUTH if either was a refusal (a
 * wrong password).
 * `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]` and `[SYS/PERM]` end the
 * attempts at once with %MP_POP3_ERROR_IN_USE, … A login that fails after
 * the server was asked anything ends the session with QUIT (and a TLS
 * close) before it reports.
 */
void
mp_pop3_client_login_async (MpPop3Client        *self,
                            const char          *user,
                            const char          *password,
                            MpPop3AuthMethod     method,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoginData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = login_task_new (self, mp_pop3_client_login_async, user, password, method,
                         cancellable, callback, user_data);
  data = g_task_get_task_data (task);

  if (self->state != STATE_AUTHORIZATION)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_NOT_CONNECTED,
                               _("Not connected, or already logged in"));
      return;
    }

  if (*user == '\0' || _mp_pop3_has_line_break (user) || _mp_pop3_has_line_break (password))
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT,
                               _("The user name must not be empty, and neither it "
                                 "nor the password may contain line breaks"));
      return;
    }

  if (method == MP_POP3_AUTH_APOP && self->apop_timestamp == NULL)
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                               _("%s sent no valid APOP timestamp in its greeting, "
                                 "so APOP cannot be used"), self->host);
      return;
    }

  if (sasl_name (method) != NULL && self->capa_supported &&
      !mp_pop3_client_has_sasl_mechanism (self, sasl_name (method)))
    {
      g_task_return_new_error (task, MP_POP3_ERROR, MP_POP3_ERROR_AUTH_UNSUPPORTED,
                               /* Translators: the second %s is a mechanism such as PLAIN */
                               _("%s does not offer SASL %s"), self->host, sasl_name (method));
      return;
    }

  if (method == MP_POP3_AUTH_AUTO)
    choose_candidates (self, data);
  else
    {
      data->explicit_method = TRUE;
      data->candidates[0] = method;
      data->n_candidates = 1;
    }

  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);
  login_attempt (self, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_login_finish (MpPop3Client  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return _mp_pop3_client_propagate_boolean (self, result, error);
}

/* Connect and log in, the start of every session. */

/* The end of an open: the commands held meanwhile go (they normally went
 * with the CAPA after the login already) or fail with @error, unsent.
 */
static void
open_complete (MpPop3Client *self,
               GTask        *task,
               GError       *error)
{
  self->opening = FALSE;
  if (error != NULL)
    {
      _mp_pop3_client_fail_held (self, error);
      g_task_return_error (task, error);
      return;
    }

  _mp_pop3_client_release_held (self);
  g_task_return_boolean (task, TRUE);
}

static void
open_login_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  mp_pop3_client_login_finish (MP_POP3_CLIENT (object), result, &error);
  open_complete (MP_POP3_CLIENT (object), task, error);
}

static void
open_connect_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LoginData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!mp_pop3_client_connect_finish (MP_POP3_CLIENT (object), result, &error))
    {
      open_complete (MP_POP3_CLIENT (object), task, error);
      return;
    }

  mp_pop3_client_login_async (MP_POP3_CLIENT (object), data->user, data->password,
                              data->method, g_task_get_cancellable (task),
                              open_login_cb, g_object_ref (task));
}

/**
 * mp_pop3_client_open_async:
 *
 * mp_pop3_client_connect_async() then mp_pop3_client_login_async(): the
 * session is in the TRANSACTION state when this succeeds.
 *
 * Commands of the TRANSACTION state (mp_pop3_client_stat_async() and the
 * others) may be called while this runs: they are held until the login
 * succeeded and then sent, with the CAPA that follows the login when the
 * server announced PIPELINING before it (one round trip less), else one
 * at a time after its answer. When the session does not open they fail
 * with the same error, and nothing of them went on the wire.
 */
void
mp_pop3_client_open_async (MpPop3Client        *self,
                           const char          *user,
                           const char          *password,
                           MpPop3AuthMethod     method,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  /* The same credentials a login keeps, until the login takes them. */
  task = login_task_new (self, mp_pop3_client_open_async, user, password, method,
                         cancellable, callback, user_data);

  /* A client opens once (connect_async refuses a second time). */
  if (self->state == STATE_DISCONNECTED)
    self->opening = TRUE;
  mp_pop3_client_connect_async (self, cancellable, open_connect_cb, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_open_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return _mp_pop3_client_propagate_boolean (self, result, error);
}

