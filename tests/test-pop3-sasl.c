/* test-pop3-sasl.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The login messages of mp-pop3-sasl.c alone, against the examples of
 * their RFCs where there are any.
 */

#define G_LOG_DOMAIN "test-pop3-sasl"

#include <string.h>

#include "mp-pop3-sasl.h"

static void
test_plain (void)
{
  g_autofree char *message = mp_pop3_sasl_plain_message ("tim", "tanstaaftanstaaf");
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  /* RFC 4616 §2: [authzid] NUL authcid NUL passwd, no authzid here. */
  raw = g_base64_decode (message, &len);
  g_assert_cmpuint (len, ==, 1 + 3 + 1 + 16);
  g_assert_cmpmem (raw, len, "\0tim\0tanstaaftanstaaf", 21);
  g_assert_cmpstr (message, ==, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

static void
test_plain_utf8 (void)
{
  /* RFC 4616 carries UTF-8 as is. */
  g_autofree char *message = mp_pop3_sasl_plain_message ("jürgen", "pässwörd");
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  raw = g_base64_decode (message, &len);
  g_assert_cmpmem (raw, len, "\0jürgen\0pässwörd", 1 + strlen ("jürgen") + 1 + strlen ("pässwörd"));
}

static void
test_login (void)
{
  g_autofree char *user = mp_pop3_sasl_login_response ("tim");
  g_autofree char *password = mp_pop3_sasl_login_response ("tanstaaftanstaaf");
  g_autofree char *empty = mp_pop3_sasl_login_response ("");

  g_assert_cmpstr (user, ==, "dGlt");
  g_assert_cmpstr (password, ==, "dGFuc3RhYWZ0YW5zdGFhZg==");
  g_assert_cmpstr (empty, ==, "");
}

static void
test_cram_md5 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *challenge = NULL;
  g_autofree char *response = NULL;
  g_autofree guchar *decoded = NULL;
  gsize len = 0;
  const char *ts = "<1896.697170952@postoffice.reston.mci.net>";

  /* RFC 2195 §2, the example exchange. */
  challenge = g_base64_encode ((const guchar *) ts, strlen (ts));
  g_assert_cmpstr (challenge, ==, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
  response = mp_pop3_sasl_cram_md5_response ("tim", "tanstaaftanstaaf", challenge, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (response, ==, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");

  decoded = g_base64_decode (response, &len);
  g_assert_cmpmem (decoded, len, "tim b913a602c7eda7a495b4e6e7334d3890", 36);
}

static void
test_cram_md5_bad_challenge (void)
{
  const char *bad[] = { "", "not base64!", "abc", "====", "YQ=\r\n" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *response = mp_pop3_sasl_cram_md5_response ("tim", "x", bad[i], &error);

      g_test_message ("challenge “%s”", bad[i]);
      g_assert_null (response);
      g_assert_error (error, MP_POP3_ERROR, MP_POP3_ERROR_PROTOCOL);
      g_assert_nonnull (error->message);
    }
}

static void
test_is_base64 (void)
{
  g_assert_true (mp_pop3_sasl_is_base64 (""));
  g_assert_true (mp_pop3_sasl_is_base64 ("dGlt"));
  g_assert_true (mp_pop3_sasl_is_base64 ("YQ=="));
  g_assert_true (mp_pop3_sasl_is_base64 ("YWI="));
  g_assert_true (mp_pop3_sasl_is_base64 ("VXNlcm5hbWU6"));
  g_assert_false (mp_pop3_sasl_is_base64 ("YQ"));
  g_assert_false (mp_pop3_sasl_is_base64 ("Y==="));
  g_assert_false (mp_pop3_sasl_is_base64 ("=dGl"));
  g_assert_false (mp_pop3_sasl_is_base64 ("dG t"));
  g_assert_false (mp_pop3_sasl_is_base64 ("Username:"));
}

static void
test_apop_digest (void)
{
  /* RFC 1939 §7, the example. */
  g_autofree char *digest = mp_pop3_apop_digest ("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf");

  g_assert_cmpstr (digest, ==, "c4c9334bac560ecc979e58001b3e22fb");
}

static void
test_apop_timestamp (void)
{
  static const struct {
    const char *greeting;
    const char *timestamp;
  } cases[] = {
    { "POP3 server ready <1896.697170952@dbc.mtview.ca.us>", "<1896.697170952@dbc.mtview.ca.us>" },
    { "<a@b> ready", "<a@b>" },
    /* GNU Mailutils greets with a timestamp even where APOP is refused. */
    { "POP3 Ready <12345.1700000000@mail.example>", "<12345.1700000000@mail.example>" },
    { "Dovecot ready.", NULL },
    { "ready <no-at-sign>", NULL },
    { "ready <a@>", NULL },
    { "ready <with space@host>", NULL },
    { "ready <a<b@c>", NULL },
    { "ready <unterminated@host", NULL },
    { "ready <caf\xc3\xa9@host>", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ts = mp_pop3_apop_extract_timestamp (cases[i].greeting);

      g_test_message ("greeting “%s”", cases[i].greeting);
      g_assert_cmpstr (ts, ==, cases[i].timestamp);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pop3/sasl/plain", test_plain);
  g_test_add_func ("/pop3/sasl/plain-utf8", test_plain_utf8);
  g_test_add_func ("/pop3/sasl/login", test_login);
  g_test_add_func ("/pop3/sasl/cram-md5", test_cram_md5);
  g_test_add_func ("/pop3/sasl/cram-md5-bad-challenge", test_cram_md5_bad_challenge);
  g_test_add_func ("/pop3/sasl/is-base64", test_is_base64);
  g_test_add_func ("/pop3/apop/digest", test_apop_digest);
  g_test_add_func ("/pop3/apop/timestamp", test_apop_timestamp);

  return g_test_run ();
}
