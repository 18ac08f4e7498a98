#!/usr/bin/python3
# test-ui-status.py: the applet's io.github.mailpeek.Mailpeek.Status object
# and `mailpeek --status`, against a real Dovecot with the sample mailbox
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# - Accounts, TotalMessages and TotalNew match `mailpeek --check --json`
#   for the same mailbox;
# - PropertiesChanged arrives after a new message (with the new totals);
# - DoNotDisturb is writable and is the app.dnd action's state;
# - `mailpeek --status [--json]` prints the same; with no applet running
#   it exits 1 and says so.

import json
import sys
import unittest

import uitest
from uitest import USER, sample, wait_for

from gi.repository import Gio, GLib


class StatusTest(unittest.TestCase):

    def test_status(self):
        with uitest.Desktop(sample=True) as d:
            n_sample = len(d.dc.messages[USER])
            d.start_app()
            d.wait_idle()
            wait_for("the first poll announced", lambda: d.status_property("TotalNew") == 0)

            summary = d.account_summary()
            run = d.cli("--check", "--account", uitest.ACCOUNT, "--json")
            self.assertEqual(run.returncode, 0, run.describe())
            cli = dict(run.account)
            cli.pop("headers")
            shared = set(summary) & set(cli)
            for key in ("messages", "bytes", "new", "status", "name"):
                self.assertIn(key, shared, "summary %r, cli %r" % (summary, cli))
            for key in shared:
                self.assertEqual(summary[key], cli[key], "key %s: %r vs %r" % (key, summary, cli))
            self.assertEqual(d.status_property("TotalMessages"), n_sample)
            self.assertEqual(d.status_property("TotalMessages"), cli["messages"])
            self.assertEqual(d.status_property("TotalNew"), cli["new"])

            # PropertiesChanged after a new message
            changes = []

            def on_signal(conn, sender, path, iface, signal, params):
                name, changed, _invalidated = params.unpack()
                if name == uitest.STATUS_IFACE:
                    changes.append(changed)

            sub = d.bus.signal_subscribe(uitest.APP_ID, "org.freedesktop.DBus.Properties",
                                         "PropertiesChanged", uitest.APP_PATH, None,
                                         Gio.DBusSignalFlags.NONE, on_signal)
            try:
                d.dc.add_message(USER, sample("utf8-q")["data"], ident="extra")
                d.status_call("CheckNow")
                wait_for("PropertiesChanged with the new total",
                         lambda: any(c.get("TotalMessages") == n_sample + 1 for c in changes))
                self.assertTrue(any("Accounts" in c for c in changes), changes)
            finally:
                d.bus.signal_unsubscribe(sub)
            d.wait_idle()

            # DoNotDisturb: writable, and the action's state
            d.bus.call_sync(uitest.APP_ID, uitest.APP_PATH, "org.freedesktop.DBus.Properties",
                            "Set", GLib.Variant("(ssv)", (uitest.STATUS_IFACE, "DoNotDisturb",
                                                          GLib.Variant("b", True))),
                            None, Gio.DBusCallFlags.NONE, uitest.CALL_MS, None)
            wait_for("DoNotDisturb", lambda: d.status_property("DoNotDisturb") is True)
            reply = d.bus.call_sync(uitest.APP_ID, uitest.APP_PATH, "org.gtk.Actions", "Describe",
                                    GLib.Variant("(s)", ("dnd",)), None,
                                    Gio.DBusCallFlags.NONE, uitest.CALL_MS, None)
            enabled, _ptype, state = reply.unpack()[0]
            self.assertEqual(state, [True])

            # mailpeek --status
            run = d.cli("--status", "--json")
            self.assertEqual(run.returncode, 0, run.describe())
            status = json.loads(run.stdout)
            self.assertEqual(status["total_messages"], n_sample + 1)
            self.assertEqual(status["do_not_disturb"], True)
            self.assertEqual(len(status["accounts"]), 1)
            self.assertEqual(status["accounts"][0]["messages"], n_sample + 1)
            run = d.cli("--status")
            self.assertEqual(run.returncode, 0, run.describe())
            self.assertIn(uitest.ACCOUNT, run.stdout)
            self.assertIn(str(n_sample + 1), run.stdout)

            d.stop_app()
            run = d.cli("--status")
            self.assertEqual(run.returncode, 1, run.describe())
            self.assertIn("not running", run.stderr)
            self.assertEqual(run.stdout, "")


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
