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

/* Logging in */

typedef struct
{
  char             *user;
  char             *password;
  MpPop3AuthMethod  method;
  guint             step;
  gulong            cancel_id;
  /* Why we cancelled the SASL exchange with "*", for the error that
   * follows the server's -ERR; translated.
   */
  char             *abort_reason;
  /* PLAIN went with an initial response, so a challenge is out of place. */
  gboolean          sent_initial_response;
} LoginData;

static void
login_data_free (LoginData *data)
{
  _mp_pop3_secure_free (data->user);
  _mp_pop3_secure_free (data->password);
  g_free (data->abort_reason);
  g_free (data);
}

static void login_step (MpPop3Client *self, Reply *reply, const GError *error, gpointer user_data);

static void
login_fail (GTask        *task,
            const GError *error)
{
  LoginData *data = g_task_get_task_data (task);

  _mp_pop3_task_return_error (task, &data->cancel_id, error);
  g_object_unref (task);
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

  self->pipelining = self->pipelining_allowed &&
                     mp_pop3_client_has_capability (self, "PIPELINING");

  _mp_pop3_task_unwatch_cancellable (task, &data->cancel_id);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
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
      login_fail (task, error);
      return;
    }

  if (data->abort_reason != NULL)
    {
      g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                           /* Translators: the second %s says what was wrong */
                                           _("%s sent an invalid authentication "
                                             "challenge (%s)"), self->host, data->abort_reason);
      login_fail (task, odd);
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
      login_fail (task, refused);
      return;
    }

  if (reply->kind == REPLY_OK && step > 0 &&
      !(data->method == MP_POP3_AUTH_USER && step == 1))
    {
      self->state = STATE_TRANSACTION;
      self->auth_used = data->method;
      _mp_pop3_client_queue_command (self, "CAPA", CMD_MULTILINE, MP_POP3_MAX_CAPA_REPLY,
                                     login_capa_done, task);
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

  {
    g_autoptr(GError) odd = g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                                         _("%s answered the login in an unexpected way"),
                                         self->host);
    if (reply->kind == REPLY_CONTINUE)
      sasl_abort (self, task, _("unexpected challenge"));
    else
      login_fail (task, odd);
  }
}

static MpPop3AuthMethod
choose_auth_method (MpPop3Client *self)
{
  gboolean user_ok = !self->capa_supported || mp_pop3_client_has_capability (self, "USER");

  if (self->encrypted)
    {
      /* Inside TLS the password is safe on the wire; PLAIN and USER need no
       * plaintext-equivalent stored on the server, unlike CRAM-MD5 and APOP.
       */
      if (mp_pop3_client_has_sasl_mechanism (self, "PLAIN"))
        return MP_POP3_AUTH_PLAIN;
      if (user_ok)
        return MP_POP3_AUTH_USER;
      if (mp_pop3_client_has_sasl_mechanism (self, "LOGIN"))
        return MP_POP3_AUTH_LOGIN;
      if (mp_pop3_client_has_sasl_mechanism (self, "CRAM-MD5"))
        return MP_POP3_AUTH_CRAM_MD5;
      if (self->apop_timestamp != NULL)
        return MP_POP3_AUTH_APOP;
      return MP_POP3_AUTH_USER;
    }

  /* The user chose an unencrypted account: still keep the password off
   * the wire whenever the server allows it.
   */
  if (mp_pop3_client_has_sasl_mechanism (self, "CRAM-MD5"))
    return MP_POP3_AUTH_CRAM_MD5;
  if (self->apop_timestamp != NULL)
    return MP_POP3_AUTH_APOP;
  if (mp_pop3_client_has_sasl_mechanism (self, "PLAIN"))
    return MP_POP3_AUTH_PLAIN;
  if (user_ok)
    return MP_POP3_AUTH_USER;
  if (mp_pop3_client_has_sasl_mechanism (self, "LOGIN"))
    return MP_POP3_AUTH_LOGIN;
  return MP_POP3_AUTH_USER;
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

/**
 * mp_pop3_client_login_async:
 * @method: %MP_POP3_AUTH_AUTO picks, inside TLS: SASL PLAIN, USER/PASS,
 *   LOGIN, CRAM-MD5, APOP; on a cleartext session the user chose:
 *   CRAM-MD5, APOP, then the others
 *
 * Authenticates and asks for the capabilities again. User names and
 * passwords holding CR or LF are refused before anything is sent. Failures
 * carry %MP_POP3_ERROR_AUTH, %MP_POP3_ERROR_IN_USE,
 * %MP_POP3_ERROR_LOGIN_DELAY, %MP_POP3_ERROR_SYS_TEMP, …
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
  g_autofree char *line = NULL;
  LoginData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_login_async);

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

  if (method == MP_POP3_AUTH_AUTO)
    method = choose_auth_method (self);

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

  data = g_new0 (LoginData, 1);
  data->user = g_strdup (user);
  data->password = g_strdup (password);
  data->method = method;
  data->step = 0;
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);
  _mp_pop3_client_watch_cancellable (self, task, &data->cancel_id);

  switch (method)
    {
    case MP_POP3_AUTH_USER:
      line = g_strdup_printf ("USER %s", user);
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), line, FALSE);
      return;

    case MP_POP3_AUTH_APOP:
      {
        g_autofree char *digest = mp_pop3_apop_digest (self->apop_timestamp, password);

        line = g_strdup_printf ("APOP %s %s", user, digest);
        data->step = 1;
        send_login_line (self, g_steal_pointer (&task), line, TRUE);
        return;
      }

    case MP_POP3_AUTH_PLAIN:
      {
        g_autofree char *ir = mp_pop3_sasl_plain_message (user, password);

        data->step = 1;
        if (strlen ("AUTH PLAIN ") + strlen (ir) + 2 <= MP_POP3_SASL_MAX_LINE)
          {
            data->sent_initial_response = TRUE;
            line = g_strdup_printf ("AUTH PLAIN %s", ir);
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, g_steal_pointer (&task), line, TRUE);
            explicit_bzero (line, strlen (line));
          }
        else
          {
            explicit_bzero (ir, strlen (ir));
            send_login_line (self, g_steal_pointer (&task), "AUTH PLAIN", FALSE);
          }
        return;
      }

    case MP_POP3_AUTH_LOGIN:
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), "AUTH LOGIN", FALSE);
      return;

    case MP_POP3_AUTH_CRAM_MD5:
      data->step = 1;
      send_login_line (self, g_steal_pointer (&task), "AUTH CRAM-MD5", FALSE);
      return;

    case MP_POP3_AUTH_AUTO:
    default:
      g_assert_not_reached ();
    }
}

gboolean
mp_pop3_client_login_finish (MpPop3Client  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Connect and log in, the start of every session. */

static void
open_login_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!mp_pop3_client_login_finish (MP_POP3_CLIENT (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
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
      g_task_return_error (task, error);
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
  LoginData *data;

  g_return_if_fail (MP_IS_POP3_CLIENT (self));
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mp_pop3_client_open_async);

  /* The same credentials a login keeps, until the login takes them. */
  data = g_new0 (LoginData, 1);
  data->user = g_strdup (user);
  data->password = g_strdup (password);
  data->method = method;
  g_task_set_task_data (task, data, (GDestroyNotify) login_data_free);

  mp_pop3_client_connect_async (self, cancellable, open_connect_cb, g_steal_pointer (&task));
}

gboolean
mp_pop3_client_open_finish (MpPop3Client  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

