/* mp-pop3-certificate.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Certificate fingerprints (what a user pins) and the reasons a
 * certificate is not trusted.
 */

#define G_LOG_DOMAIN "mp-pop3-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "mp-pop3-certificate.h"
#include "mp-pop3-client-private.h"

/**
 * mp_pop3_normalize_fingerprint:
 * @fingerprint: a SHA-256 fingerprint in hex, with or without colons or
 *   spaces, in either case
 *
 * Returns: (transfer full): 64 lowercase hex digits, or %NULL with
 *   %MP_POP3_ERROR_INVALID_ARGUMENT
 */
char *
mp_pop3_normalize_fingerprint (const char  *fingerprint,
                               GError     **error)
{
  GString *out;

  g_return_val_if_fail (fingerprint != NULL, NULL);

  out = g_string_new (NULL);
  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p))
        {
          g_string_free (out, TRUE);
          goto invalid;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  if (out->len != 64)
    {
      g_string_free (out, TRUE);
      goto invalid;
    }

  return g_string_free (out, FALSE);

invalid:
  g_set_error (error, MP_POP3_ERROR, MP_POP3_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a SHA-256 fingerprint (64 hexadecimal digits)"),
               fingerprint);
  return NULL;
}

/**
 * mp_pop3_certificate_get_fingerprint:
 *
 * Returns: (transfer full): the SHA-256 fingerprint of the DER encoding, as
 *   upper-case hex pairs joined by colons (as `openssl x509 -fingerprint
 *   -sha256` prints it)
 */
char *
mp_pop3_certificate_get_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  GString *out;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);

  out = g_string_new (NULL);
  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (out, "%s%02X", i ? ":" : "", digest[i]);
  return g_string_free (out, FALSE);
}


/* Why a certificate is not trusted, in words, for the error message. */
char *
_mp_pop3_describe_certificate_flags (GTlsCertificateFlags flags)
{
  static const struct {
    GTlsCertificateFlags  flag;
    const char           *reason;
  } reasons[] = {
    /* Translators: said of a certificate, listed comma-separated in
     * “The certificate of %s is not trusted (%s)”
     */
    { G_TLS_CERTIFICATE_UNKNOWN_CA, NC_("certificate", "not signed by a trusted authority") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, NC_("certificate", "issued for another host name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, NC_("certificate", "not yet valid") },
    { G_TLS_CERTIFICATE_EXPIRED, NC_("certificate", "expired") },
    { G_TLS_CERTIFICATE_REVOKED, NC_("certificate", "revoked") },
    { G_TLS_CERTIFICATE_INSECURE, NC_("certificate", "insecure") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, NC_("certificate", "invalid") },
  };
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      if ((flags & reasons[i].flag) == 0)
        continue;
      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, g_dpgettext2 (GETTEXT_PACKAGE, "certificate", reasons[i].reason));
    }

  return g_string_free (out, FALSE);
}

/* The client's certificate settings and what the server presented. */

/**
 * mp_pop3_client_set_ca_file:
 * @path: a PEM file of CA certificates to trust besides the system ones
 *
 * Returns: %FALSE if the file cannot be read
 */
gboolean
mp_pop3_client_set_ca_file (MpPop3Client  *self,
                            const char    *path,
                            GError       **error)
{
  g_autoptr(GTlsDatabase) database = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  if (path == NULL)
    {
      g_clear_object (&self->extra_database);
      return TRUE;
    }

  database = g_tls_file_database_new (path, error);
  if (database == NULL)
    return FALSE;

  g_set_object (&self->extra_database, database);
  return TRUE;
}

/**
 * mp_pop3_client_set_pinned_fingerprint:
 * @fingerprint: (nullable): the SHA-256 fingerprint of a certificate to
 *   trust even though no CA vouches for it
 *
 * The pinned certificate is accepted only while the server presents exactly
 * that certificate.
 */
gboolean
mp_pop3_client_set_pinned_fingerprint (MpPop3Client  *self,
                                       const char    *fingerprint,
                                       GError       **error)
{
  char *pin = NULL;

  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), FALSE);

  if (fingerprint != NULL && *fingerprint != '\0')
    {
      pin = mp_pop3_normalize_fingerprint (fingerprint, error);
      if (pin == NULL)
        return FALSE;
    }

  g_free (self->pin);
  self->pin = pin;
  return TRUE;
}

/**
 * mp_pop3_client_get_peer_certificate:
 *
 * Returns: (transfer none) (nullable): the certificate the server presented,
 *   also after a failed handshake, so that it can be shown and pinned
 */
GTlsCertificate *
mp_pop3_client_get_peer_certificate (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), NULL);
  return self->peer_certificate;
}

GTlsCertificateFlags
mp_pop3_client_get_peer_certificate_errors (MpPop3Client *self)
{
  g_return_val_if_fail (MP_IS_POP3_CLIENT (self), 0);
  return self->peer_certificate_errors;
}
