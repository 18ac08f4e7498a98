#!/usr/bin/python3
# test-ui-tray.py: the applet's StatusNotifierItem as a tray host sees it,
# against a real Dovecot
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# - the item registers with the watcher; ItemIsMenu is false;
# - Status, IconName and ToolTip change when a message arrives (Passive
#   with no mail, then NeedsAttention, the account in the tooltip);
# - it registers again after the watcher is restarted;
# - Activate presents the window (seen through the accessibility tree);
# - a dbusmenu Event on "Check now" and SecondaryActivate each start a
#   poll (seen in Dovecot's log);
# - the menu has its entries in order, with one per account.

import sys
import unittest

import uitest
from uitest import USER, sample, wait_for


class TrayTest(unittest.TestCase):

    def test_tray(self):
        with uitest.Desktop() as d:
            d.start_app()
            d.wait_idle()
            items = wait_for("the item registered", lambda: uitest.registered_items(d))
            self.assertEqual(len(items), 1, items)
            item = items[0]
            self.assertIs(uitest.sni_property(d, item, "ItemIsMenu"), False)
            self.assertEqual(uitest.sni_property(d, item, "Category"), "Communications")
            self.assertEqual(uitest.sni_property(d, item, "Status"), "Passive")
            empty_icon = uitest.sni_property(d, item, "IconName")
            _icon, _pixmaps, title, body = uitest.sni_property(d, item, "ToolTip")
            self.assertEqual(title, "Mailpeek")
            self.assertIn(uitest.ACCOUNT, body)

            # the window is not shown at start when there is a tray
            self.assertIsNone(uitest.showing_window())

            # a message arrives
            d.dc.add_message(USER, sample("utf8-b")["data"], ident="utf8-b")
            d.check_and_wait()
            wait_for("NeedsAttention",
                     lambda: uitest.sni_property(d, item, "Status") == "NeedsAttention")
            self.assertNotEqual(uitest.sni_property(d, item, "IconName"), empty_icon)
            body = uitest.sni_property(d, item, "ToolTip")[3]
            self.assertIn("1", body)

            # the menu, in order
            _path, layout = uitest.menu_layout(d, item)
            labels = [p.get("label", "").replace("_", "") for _i, p in uitest.menu_items(layout)
                      if p.get("type") != "separator" and p.get("label")]
            self.assertEqual(labels[:2], ["Show messages", "Check now"])
            self.assertTrue(labels[2].startswith(uitest.ACCOUNT), labels)
            self.assertEqual(labels[3:], ["Do not disturb", "Accounts…", "Preferences…", "Quit"])

            # a dbusmenu Event on "Check now" polls
            ident, _props = uitest.menu_find(layout, "Check now")
            offset = d.dc.log_offset()
            uitest.menu_click(d, item, ident)
            uitest.mptest.session(d.dc, offset, USER, timeout=uitest.TIMEOUT)

            # SecondaryActivate (middle click) checks now
            offset = d.dc.log_offset()
            uitest.sni_call(d, item, "SecondaryActivate", uitest.GLib.Variant("(ii)", (0, 0)))
            uitest.mptest.session(d.dc, offset, USER, timeout=uitest.TIMEOUT)

            # Activate presents the window, again hides it
            uitest.sni_call(d, item, "Activate", uitest.GLib.Variant("(ii)", (0, 0)))
            wait_for("the window on screen", uitest.showing_window)
            uitest.sni_call(d, item, "Activate", uitest.GLib.Variant("(ii)", (0, 0)))
            wait_for("the window hidden", lambda: uitest.showing_window() is None)

            # the watcher restarts: the item registers again (and the
            # window is not popped up for a panel that comes right back)
            d.stop_watcher()
            d.start_watcher()
            items = wait_for("the item registered again", lambda: uitest.registered_items(d))
            self.assertEqual(len(items), 1, items)
            self.assertIsNone(uitest.showing_window())
            d.stop_app()


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
