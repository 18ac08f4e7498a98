#!/usr/bin/python3
# test-ui-notify.py: the applet's notifications against a real Dovecot
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Run through tests/session-run.sh by meson (suite "ui").  One session,
# one Dovecot, the steps in order (each depends on the mailbox the one
# before left):
#
#  1. exactly one notification per new message, sender and subject
#     decoded (a raw koi8-r one, an RFC 2047 UTF-8 one, a Q-encoded
#     latin-1 one), category email.arrived, desktop-entry, the actions;
#  2. none on the next poll;
#  3. none after restarting the applet, nor for a message the command
#     line reported while the applet was not running;
#  4. none under Do not disturb (set through the Status property), and
#     the message stays new; announced on the first poll after it ends;
#  5. ActionInvoked "delete" deletes that message on the server and
#     nothing else, then a confirmation notification;
#  6. more than three at once: one summary;
#  7. no notification server: no crash, no hang, the message stays new;
#     announced once a server appears.

import sys
import unittest

import uitest
from uitest import USER, sample, wait_for

from gi.repository import GLib


def expected(ident):
    e = sample(ident)["expect"]
    return e["from_name"] or e["from_address"], e["subject"]


class NotifyTest(unittest.TestCase):

    def test_notifications(self):
        with uitest.Desktop() as d:
            self.d = d
            d.start_app()
            d.wait_idle()
            self.assertEqual(d.notifications(), [], "nothing to announce on an empty mailbox")

            # 1. one per message, decoded
            idents = ("koi8r-raw", "utf8-b", "latin1-q")
            for ident in idents:
                d.dc.add_message(USER, sample(ident)["data"], ident=ident)
            d.check_and_wait()
            calls = wait_for("three notifications", lambda: len(d.notifications()) >= 3 and
                             d.notifications())
            wait_for("the messages marked announced",
                     lambda: d.status_property("TotalNew") == 0)
            self.assertEqual(len(d.notifications()), 3, d.notifications())
            got = sorted((c["summary"], c["body"].split("\n")[0]) for c in calls)
            self.assertEqual(got, sorted(expected(i) for i in idents))
            for c in calls:
                self.assertEqual(c["hints"].get("category"), "email.arrived")
                self.assertEqual(c["hints"].get("desktop-entry"), uitest.APP_ID)
                self.assertNotIn("sound-name", c["hints"], "sound is off by default")
                self.assertEqual(c["actions"][0::2], ["default", "delete", "mark-read"])

            # 2. the next poll announces nothing
            d.check_and_wait()
            self.assertEqual(len(d.notifications()), 3)

            # 3. a restart announces nothing, nor does a message the
            #    command line reported meanwhile
            d.stop_app()
            d.dc.add_message(USER, sample("utf8-q")["data"], ident="utf8-q")
            run = d.cli("--check", "--account", uitest.ACCOUNT, "--json")
            self.assertEqual(run.returncode, 0, run.describe())
            self.assertEqual(run.account["new"], 1, run.describe())
            d.start_app()
            d.wait_idle()
            self.assertEqual(d.status_property("TotalMessages"), 4)
            self.assertEqual(len(d.notifications()), 3, d.notifications())

            # 4. Do not disturb: nothing shown, the message stays new
            self.set_dnd(True)
            d.dc.add_message(USER, sample("cp1251")["data"], ident="cp1251")
            d.check_and_wait()
            self.assertEqual(d.status_property("TotalNew"), 1)
            self.assertEqual(len(d.notifications()), 3)
            self.set_dnd(False)
            d.check_and_wait()
            wait_for("the fourth notification", lambda: len(d.notifications()) == 4)
            cp1251 = d.notifications()[3]
            self.assertEqual((cp1251["summary"], cp1251["body"].split("\n")[0]),
                             expected("cp1251"))

            # 5. "delete" on it deletes exactly that message
            before = uitest.uids(d.dc)
            offset = d.dc.log_offset()
            d.invoke_action(4, "delete")
            text = d.dc.wait_log(offset, "del=1/", timeout=uitest.TIMEOUT)
            self.assertEqual(text.count("del=1/"), 1, text)
            after = wait_for("the UID gone",
                             lambda: (lambda u: len(u) == len(before) - 1 and u)(uitest.uids(d.dc)))
            self.assertEqual(len(set(before) - set(after)), 1)
            self.assertTrue(set(after) <= set(before))
            remaining = self.server_subjects()
            self.assertNotIn(sample("cp1251")["data"].split(b"\nSubject: ")[1].split(b"\n")[0],
                             remaining)
            confirm = wait_for("the confirmation", lambda: len(d.notifications()) == 5 and
                               d.notifications()[4])
            self.assertIn("deleted", confirm["summary"].lower())
            self.assertNotIn("not", confirm["summary"].lower())

            # 6. more than three in one poll: one summary
            n = len(d.notifications())
            d.dc.fill(USER, 5)
            d.check_and_wait()
            wait_for("the summary", lambda: len(d.notifications()) == n + 1)
            wait_for("all announced", lambda: d.status_property("TotalNew") == 0)
            summary = d.notifications()[n]
            self.assertIn("5", summary["summary"])
            self.assertEqual(len(d.notifications()), n + 1)

            # 7. no server: nothing breaks, the message stays new
            d.stop_notifications()
            d.dc.add_message(USER, sample("no-date")["data"], ident="no-date")
            d.check_and_wait()
            self.assertIsNone(d.app.poll(), "the applet must survive")
            self.assertEqual(d.status_property("TotalNew"), 1)
            d.start_notifications()
            d.check_and_wait()
            calls = wait_for("the late notification", lambda: d.notifications())
            self.assertEqual([c["body"].split("\n")[0] for c in calls], ["Undated message"])
            d.stop_app()

    def set_dnd(self, on):
        d = self.d
        d.bus.call_sync(uitest.APP_ID, uitest.APP_PATH, "org.freedesktop.DBus.Properties", "Set",
                        GLib.Variant("(ssv)", (uitest.STATUS_IFACE, "DoNotDisturb",
                                               GLib.Variant("b", on))),
                        None, 0, uitest.CALL_MS, None)
        wait_for("DoNotDisturb=%s" % on, lambda: d.status_property("DoNotDisturb") == on)

    def server_subjects(self):
        import poplib
        import ssl
        dc = self.d.dc
        ctx = ssl.create_default_context(cafile=dc.cafile)
        ctx.check_hostname = False
        pop = poplib.POP3_SSL("127.0.0.1", dc.ports["pop3s"], context=ctx, timeout=10)
        try:
            pop.user(USER)
            pop.pass_(dc.users[USER])
            count = len(pop.list()[1])
            subjects = []
            for i in range(1, count + 1):
                for line in pop.top(i, 0)[1]:
                    if line.startswith(b"Subject: "):
                        subjects.append(line[len(b"Subject: "):])
            return subjects
        finally:
            pop.quit()


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
