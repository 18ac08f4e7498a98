/* mp-pop3-sasl.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "mp-pop3-sasl"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "mp-pop3-sasl.h"

/**
 * mp_pop3_sasl_is_base64:
 * @text: a server challenge
 *
 * Returns: %TRUE if @text is base64 (RFC 4648 §4, padded, no line breaks);
 *   the empty string is base64
 */
gboolean
mp_pop3_sasl_is_base64 (const char *text)
{
  gsize len;

  g_return_val_if_fail (text != NULL, FALSE);

  len = strlen (text);
  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (!(g_ascii_isalnum (c) || c == '+' || c == '/' || c == '='))
        return FALSE;
      if (c == '=' && i < len - 2)
        return FALSE;
    }
  return TRUE;
}

/**
 * mp_pop3_sasl_plain_message:
 * @user: the authentication identity
 * @password: its password
 *
 * The one PLAIN message (RFC 4616: [authzid] NUL authcid NUL passwd), with
 * no authorization identity, base64-encoded, for the initial response as
 * well as for the answer to an empty challenge.
 *
 * Returns: (transfer full): the base64 text; wipe it before freeing
 */
char *
mp_pop3_sasl_plain_message (const char *user,
                            const char *password)
{
  gsize ulen, plen;
  g_autofree guchar *raw = NULL;
  char *encoded;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  ulen = strlen (user);
  plen = strlen (password);
  raw = g_malloc (ulen + plen + 2);
  raw[0] = '\0';
  memcpy (raw + 1, user, ulen);
  raw[1 + ulen] = '\0';
  memcpy (raw + 2 + ulen, password, plen);
  encoded = g_base64_encode (raw, ulen + plen + 2);
  explicit_bzero (raw, ulen + plen + 2);
  return encoded;
}

/**
 * mp_pop3_sasl_login_response:
 * @secret: the user name or the password, whichever LOGIN asks for
 *
 * Returns: (transfer full): @secret in base64; wipe it before freeing
 */
char *
mp_pop3_sasl_login_response (const char *secret)
{
  g_return_val_if_fail (secret != NULL, NULL);

  return g_base64_encode ((const guchar *) secret, strlen (secret));
}

/**
 * mp_pop3_sasl_cram_md5_response:
 * @user: the user name
 * @password: the shared secret
 * @challenge: the server's challenge, base64 as it came on the wire
 * @error: %MP_POP3_ERROR_PROTOCOL when the challenge is not base64 or
 *   empty; its message is a translated reason fit for “(%s)”
 *
 * RFC 2195: base64 (user SP hex (HMAC-MD5 (password, challenge))).
 *
 * Returns: (transfer full) (nullable): the response line
 */
char *
mp_pop3_sasl_cram_md5_response (const char  *user,
                                const char  *password,
                                const char  *challenge,
                                GError     **error)
{
  g_autoptr(GHmac) hmac = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *plain = NULL;
  gsize decoded_len = 0;
  char *encoded;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (challenge != NULL, NULL);

  if (challenge[0] == '\0' || !mp_pop3_sasl_is_base64 (challenge))
    {
      g_set_error_literal (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                           _("challenge is not base64"));
      return NULL;
    }

  decoded = g_base64_decode (challenge, &decoded_len);
  if (decoded_len == 0)
    {
      g_set_error_literal (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL,
                           _("empty challenge for CRAM-MD5"));
      return NULL;
    }

  hmac = g_hmac_new (G_CHECKSUM_MD5, (const guchar *) password, strlen (password));
  g_hmac_update (hmac, decoded, decoded_len);
  plain = g_strdup_printf ("%s %s", user, g_hmac_get_string (hmac));
  encoded = g_base64_encode ((const guchar *) plain, strlen (plain));
  explicit_bzero (plain, strlen (plain));
  return encoded;
}

/**
 * mp_pop3_apop_extract_timestamp:
 * @greeting: the text of the server's `+OK` greeting
 *
 * RFC 1939 §7: the APOP timestamp is a msg-id, "<" local "@" domain ">",
 * printable ASCII only. A server that sends anything else gets no APOP.
 *
 * Returns: (transfer full) (nullable): the timestamp with its angle
 *   brackets, or %NULL
 */
char *
mp_pop3_apop_extract_timestamp (const char *greeting)
{
  const char *start;
  const char *end;
  gboolean at = FALSE;

  g_return_val_if_fail (greeting != NULL, NULL);

  start = strchr (greeting, '<');
  if (start == NULL)
    return NULL;

  end = strchr (start, '>');
  if (end == NULL || end - start < 4 || end - start > 512)
    return NULL;

  for (const char *p = start + 1; p < end; p++)
    {
      if (*p < 0x21 || *p > 0x7e || *p == '<')
        return NULL;
      if (*p == '@')
        at = TRUE;
    }

  if (!at)
    return NULL;

  return g_strndup (start, end - start + 1);
}

/**
 * mp_pop3_apop_digest:
 * @timestamp: the greeting's timestamp, angle brackets included
 * @password: the shared secret
 *
 * Returns: (transfer full): MD5 (timestamp password) in lower-case hex, the
 *   second argument of APOP
 */
char *
mp_pop3_apop_digest (const char *timestamp,
                     const char *password)
{
  g_autoptr(GChecksum) md5 = NULL;

  g_return_val_if_fail (timestamp != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  md5 = g_checksum_new (G_CHECKSUM_MD5);
  g_checksum_update (md5, (const guchar *) timestamp, -1);
  g_checksum_update (md5, (const guchar *) password, -1);
  return g_strdup (g_checksum_get_string (md5));
}
