/* test-pop3-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The generated enum GTypes of src/pop3 and the string wrappers over
 * their nicks: the strings are what the settings schema and the command
 * line have always used.
 */

#define G_LOG_DOMAIN "test-pop3-types"

#include "mp-pop3-client.h"

static void
test_security_strings (void)
{
  static const struct {
    MpPop3Security  value;
    const char     *nick;
  } cases[] = {
    { MP_POP3_SECURITY_TLS, "tls" },
    { MP_POP3_SECURITY_STARTTLS, "starttls" },
    { MP_POP3_SECURITY_NONE, "none" },
  };
  MpPop3Security security = MP_POP3_SECURITY_NONE;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *upper = g_ascii_strup (cases[i].nick, -1);
      MpPop3Security parsed = 99;

      g_assert_cmpstr (mp_pop3_security_to_string (cases[i].value), ==, cases[i].nick);
      g_assert_true (mp_pop3_security_from_string (cases[i].nick, &parsed));
      g_assert_cmpint (parsed, ==, cases[i].value);
      parsed = 99;
      g_assert_true (mp_pop3_security_from_string (upper, &parsed));
      g_assert_cmpint (parsed, ==, cases[i].value);
    }

  g_assert_false (mp_pop3_security_from_string ("ssl", &security));
  g_assert_false (mp_pop3_security_from_string ("", &security));
  g_assert_false (mp_pop3_security_from_string (NULL, &security));
  g_assert_cmpint (security, ==, MP_POP3_SECURITY_NONE);

  g_assert_cmpuint (mp_pop3_security_default_port (MP_POP3_SECURITY_TLS), ==, 995);
  g_assert_cmpuint (mp_pop3_security_default_port (MP_POP3_SECURITY_STARTTLS), ==, 110);
  g_assert_cmpuint (mp_pop3_security_default_port (MP_POP3_SECURITY_NONE), ==, 110);
}

static void
test_auth_strings (void)
{
  static const struct {
    MpPop3AuthMethod  value;
    const char       *nick;
  } cases[] = {
    { MP_POP3_AUTH_AUTO, "auto" },
    { MP_POP3_AUTH_USER, "user" },
    { MP_POP3_AUTH_APOP, "apop" },
    { MP_POP3_AUTH_PLAIN, "plain" },
    { MP_POP3_AUTH_LOGIN, "login" },
    { MP_POP3_AUTH_CRAM_MD5, "cram-md5" },
  };
  MpPop3AuthMethod method = MP_POP3_AUTH_USER;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MpPop3AuthMethod parsed = 99;

      g_assert_cmpstr (mp_pop3_auth_method_to_string (cases[i].value), ==, cases[i].nick);
      g_assert_true (mp_pop3_auth_method_from_string (cases[i].nick, &parsed));
      g_assert_cmpint (parsed, ==, cases[i].value);
    }

  g_assert_true (mp_pop3_auth_method_from_string ("CRAM-MD5", &method));
  g_assert_cmpint (method, ==, MP_POP3_AUTH_CRAM_MD5);
  g_assert_false (mp_pop3_auth_method_from_string ("cram_md5", &method));
  g_assert_false (mp_pop3_auth_method_from_string ("xoauth2", &method));
  g_assert_cmpint (method, ==, MP_POP3_AUTH_CRAM_MD5);
}

static void
test_gtypes (void)
{
  g_autoptr(GEnumClass) error_class = g_type_class_ref (MP_TYPE_POP3_ERROR);
  g_autoptr(MpPop3Client) client = mp_pop3_client_new ("localhost", 0, MP_POP3_SECURITY_STARTTLS);
  MpPop3Security security = MP_POP3_SECURITY_TLS;
  GParamSpec *pspec;

  g_assert_true (G_TYPE_IS_ENUM (MP_TYPE_POP3_SECURITY));
  g_assert_true (G_TYPE_IS_ENUM (MP_TYPE_POP3_AUTH_METHOD));
  g_assert_cmpstr (g_enum_get_value (error_class, MP_POP3_ERROR_AUTH)->value_nick, ==, "auth");
  g_assert_cmpstr (g_enum_get_value (error_class, MP_POP3_ERROR_NOT_CONNECTED)->value_nick,
                   ==, "not-connected");

  /* The client's property is typed, so bindings and g_object_get see it. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (client), "security");
  g_assert_cmpint (G_PARAM_SPEC_VALUE_TYPE (pspec), ==, MP_TYPE_POP3_SECURITY);
  g_object_get (client, "security", &security, NULL);
  g_assert_cmpint (security, ==, MP_POP3_SECURITY_STARTTLS);
  g_assert_cmpuint (mp_pop3_client_get_port (client), ==, 110);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/pop3/types/security-strings", test_security_strings);
  g_test_add_func ("/pop3/types/auth-strings", test_auth_strings);
  g_test_add_func ("/pop3/types/gtypes", test_gtypes);

  return g_test_run ();
}
