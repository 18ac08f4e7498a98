/* mp-pop3-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-client-private.h"
#include "mp-pop3-error.h"

G_DEFINE_QUARK (mp-pop3-error-quark, mp_pop3_error)

/* Errors built from what the server said, or from a failed read or
 * write, in words a user reads.
 */

/* Server text goes into error messages a user reads: make it valid UTF-8
 * without control characters, and short.
 */
char *
_mp_pop3_sanitize_server_text (const char *text)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, -1);
  out = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (out->len >= 200)
        {
          g_string_append (out, "…");
          break;
        }
      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }

  g_strstrip (out->str);
  out->len = strlen (out->str);
  return g_string_free (out, FALSE);
}

/* RFC 2449 §8 / RFC 3206: "-ERR [CODE] text". */
static MpPop3Error
code_from_reply (const char  *text,
                 MpPop3Error  fallback)
{
  static const struct {
    const char  *code;
    MpPop3Error  error;
  } codes[] = {
    { "IN-USE", MP_POP3_ERROR_IN_USE },
    { "LOGIN-DELAY", MP_POP3_ERROR_LOGIN_DELAY },
    { "SYS/TEMP", MP_POP3_ERROR_SYS_TEMP },
    { "SYS/PERM", MP_POP3_ERROR_SYS_PERM },
    { "AUTH", MP_POP3_ERROR_AUTH },
  };
  const char *end;
  gsize len;

  if (text == NULL || text[0] != '[')
    return fallback;

  end = strchr (text, ']');
  if (end == NULL)
    return fallback;

  len = end - (text + 1);
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      gsize code_len = strlen (codes[i].code);

      /* Codes are hierarchical (RFC 2449 §8): "SYS/TEMP/DISK" is still
       * SYS/TEMP.
       */
      if (len >= code_len &&
          g_ascii_strncasecmp (text + 1, codes[i].code, code_len) == 0 &&
          (len == code_len || text[1 + code_len] == '/'))
        return codes[i].error;
    }

  return fallback;
}

GError *
_mp_pop3_client_error_from_reply (MpPop3Client *self,
                                  const char   *text,
                                  MpPop3Error   fallback,
                                  const char   *what)
{
  g_autofree char *clean = _mp_pop3_sanitize_server_text (text);
  MpPop3Error code = code_from_reply (text, fallback);

  switch (code)
    {
    case MP_POP3_ERROR_IN_USE:
      return g_error_new (MP_POP3_ERROR, code,
                          _("The mailbox on %s is in use by another session (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_LOGIN_DELAY:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s asks to wait longer between logins (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_SYS_TEMP:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s has a temporary problem (%s)"), self->host, clean);
    case MP_POP3_ERROR_SYS_PERM:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s has a permanent problem (%s)"), self->host, clean);
    case MP_POP3_ERROR_AUTH:
      return g_error_new (MP_POP3_ERROR, code,
                          _("%s rejected the user name or password (%s)"),
                          self->host, clean);
    case MP_POP3_ERROR_FAILED:
    case MP_POP3_ERROR_PROTOCOL:
    case MP_POP3_ERROR_LINE_TOO_LONG:
    case MP_POP3_ERROR_REPLY_TOO_LARGE:
    case MP_POP3_ERROR_CLOSED:
    case MP_POP3_ERROR_TIMED_OUT:
    case MP_POP3_ERROR_TLS_UNAVAILABLE:
    case MP_POP3_ERROR_TLS_FAILED:
    case MP_POP3_ERROR_CERTIFICATE:
    case MP_POP3_ERROR_AUTH_UNSUPPORTED:
    case MP_POP3_ERROR_NOT_SUPPORTED:
    case MP_POP3_ERROR_INVALID_ARGUMENT:
    case MP_POP3_ERROR_NOT_CONNECTED:
    default:
      return g_error_new (MP_POP3_ERROR, code, "%s: %s", what, clean);
    }
}

GError *
_mp_pop3_client_map_io_error (MpPop3Client *self,
                              GError       *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_TIMED_OUT,
                        ngettext ("%s did not answer within %u second",
                                  "%s did not answer within %u seconds",
                                  self->timeout),
                        self->host, self->timeout);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE) ||
      g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF))
    return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                        _("%s closed the connection"), self->host);

  return g_error_new (MP_POP3_ERROR, MP_POP3_ERROR_CLOSED,
                      _("The connection to %s failed: %s"),
                      self->host, error->message);
}
