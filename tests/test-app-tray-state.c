/* test-app-tray-state.c: what the tray shows, computed from the mailboxes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "mp-application-private.h"
#include "mp-poller.h"

/* No account: Passive, the "no mail" icon, a tooltip that says so. */
static void
test_no_accounts (void)
{
  g_autoptr(MpPoller) poller = mp_poller_new ();
  MpAppTrayState state = { 0 };

  mp_app_tray_state_compute (G_LIST_MODEL (poller), &state);
  g_assert_cmpint (state.status, ==, MP_APP_TRAY_PASSIVE);
  g_assert_cmpstr (state.icon_name, ==, MP_APP_ICON_NO_MAIL);
  g_assert_cmpstr (state.tooltip_markup, ==, "No accounts yet");
  g_assert_cmpuint (state.total, ==, 0);
  mp_app_tray_state_clear (&state);
  g_assert_null (state.tooltip_markup);
}

/* The tooltip body is markup (hosts such as MATE render it as is): an
 * account name with markup characters must come out escaped, and one line
 * per account.
 */
static void
test_tooltip_escaped (void)
{
  g_autoptr(MpPoller) poller = mp_poller_new ();
  g_autoptr(MpAccount) evil = mp_account_new ("evil");
  g_autoptr(MpAccount) plain = mp_account_new ("plain");
  MpAppTrayState state = { 0 };
  g_auto(GStrv) lines = NULL;

  mp_poller_set_scheduling (poller, FALSE);
  mp_account_set_name (evil, "<b>Me & you</b>");
  mp_account_set_host (evil, "127.0.0.1");
  mp_account_set_user (evil, "u");
  mp_account_set_name (plain, "work");
  mp_account_set_host (plain, "127.0.0.1");
  mp_account_set_user (plain, "u");
  mp_poller_add_account (poller, evil);
  mp_poller_add_account (poller, plain);

  mp_app_tray_state_compute (G_LIST_MODEL (poller), &state);
  lines = g_strsplit (state.tooltip_markup, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2);
  g_assert_true (g_str_has_prefix (lines[0], "&lt;b&gt;Me &amp; you&lt;/b&gt;: "));
  g_assert_null (strstr (state.tooltip_markup, "<b>"));
  g_assert_true (g_str_has_prefix (lines[1], "work: "));
  /* Well-formed markup with no element of its own: nothing left unescaped. */
  {
    static const GMarkupParser parser = { 0 };
    g_autoptr(GMarkupParseContext) context =
      g_markup_parse_context_new (&parser, 0, NULL, NULL);
    g_autofree char *doc = g_strconcat ("<m>", state.tooltip_markup, "</m>", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (g_markup_parse_context_parse (context, doc, -1, &error));
    g_assert_true (g_markup_parse_context_end_parse (context, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (state.status, ==, MP_APP_TRAY_PASSIVE);
  mp_app_tray_state_clear (&state);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/app/tray-state/no-accounts", test_no_accounts);
  g_test_add_func ("/app/tray-state/tooltip-escaped", test_tooltip_escaped);

  return g_test_run ();
}
