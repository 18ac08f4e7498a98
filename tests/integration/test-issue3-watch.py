#!/usr/bin/python3
# test-issue3-watch.py: `mailpeek --watch --account` reports a new message once
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs inside tests/session-run.sh (private session bus, unlocked
# gnome-keyring): the account and its password are stored for real, the
# settings go through GSettings' keyfile backend, which --watch and the
# test's `gsettings set` share.  The default poll interval is ten minutes,
# so the test does not wait for it: the poller polls again a second after
# any change of an account's settings (a new interval included), and the
# test changes the interval from outside after adding a message.  Dovecot's
# log shows which headers each poll fetched.

import json
import os
import select
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mptest  # noqa: E402

mpd = mptest.load_harness()

SESSION_DIR = os.environ.get("MP_SESSION_DIR")
ACCOUNT_SCHEMA = "io.github.mailpeek.Mailpeek.Account"
USERS = {"watcher": "watcher-Secret-1"}
# bounded waits; generous for the sanitizer build
LINE_TIMEOUT = 120.0
EXIT_TIMEOUT = 15.0
# --watch must stay quiet while nothing changes
QUIET = 3.0


class WatchAccountTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        mptest.mailpeek_bin()
        cls.tmp = mptest.make_tmpdir("mp-issue3-watch-")
        cls.dc = mpd.Dovecot(os.path.join(cls.tmp, "dovecot"), users=USERS)
        cls.dc.start()

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        mptest.remove_tmpdir(cls.tmp)

    def setUp(self):
        self.dir = mptest.make_tmpdir("mp-issue3-watch-home-")
        self.addCleanup(mptest.remove_tmpdir, self.dir)
        self.env = dict(os.environ)
        self.env.pop("MAILPEEK_PASSWORD", None)
        self.env.update({
            "GSETTINGS_BACKEND": "keyfile",
            "XDG_CONFIG_HOME": os.path.join(self.dir, "config"),
            "XDG_STATE_HOME": os.path.join(self.dir, "state"),
            "LC_ALL": "C.UTF-8",
        })

    def run_tool(self, argv, password=None, timeout=120):
        env = dict(self.env)
        if password is not None:
            env["MAILPEEK_PASSWORD"] = password
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, start_new_session=True)

    def account_path(self, name):
        proc = self.run_tool([mptest.mailpeek_bin(), "--list-accounts", "--json"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        doc = json.loads(proc.stdout)
        accounts = doc["accounts"] if isinstance(doc, dict) else doc
        ids = [a["id"] for a in accounts if a["name"] == name]
        self.assertEqual(len(ids), 1, proc.stdout)
        return "/io/github/mailpeek/Mailpeek/accounts/%s/" % ids[0]

    def read_line(self, proc, timeout):
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.fail("--watch closed its output (exit %s) after %r"
                          % (proc.poll(), self.buffer))
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line.decode("utf-8"))

    def test_new_message_reported_once(self):
        user = "watcher"
        self.dc.fill(user, 3)
        proc = self.run_tool([mptest.mailpeek_bin(), "--add-account", "box", "--url",
                              "pop3://%s@127.0.0.1:%d" % (user, self.dc.ports["pop3s"]),
                              "--cafile", self.dc.cafile], password=self.dc.users[user])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        path = self.account_path("box")

        offset = self.dc.log_offset()
        watch = subprocess.Popen([mptest.mailpeek_bin(), "--watch", "--account", "box"],
                                 env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True, preexec_fn=mpd.die_with_parent)

        def stop():
            if watch.poll() is None:
                os.killpg(watch.pid, signal.SIGKILL)
                watch.wait(10)
            watch.stdout.close()
            watch.stderr.close()
        self.addCleanup(stop)
        self.buffer = b""

        first = self.read_line(watch, LINE_TIMEOUT)
        self.assertIsNotNone(first, "no first line within %.0f s" % LINE_TIMEOUT)
        self.assertEqual(first["name"], "box")
        self.assertEqual(first["status"], "ok", first)
        self.assertEqual((first["messages"], first["new"]), (3, 3))
        self.assertEqual(mptest.session(self.dc, offset, user)["top"], 3)

        # nothing changed, nothing printed (the next poll is ten minutes away)
        self.assertIsNone(self.read_line(watch, QUIET))

        data, expect = mpd.fill_message(77)
        self.dc.add_message(user, data, expect=expect, ident="added")
        offset = self.dc.log_offset()
        proc = self.run_tool(["gsettings", "set", "%s:%s" % (ACCOUNT_SCHEMA, path),
                              "interval", "11"])
        self.assertEqual(proc.returncode, 0, proc.stderr)

        second = self.read_line(watch, LINE_TIMEOUT)
        self.assertIsNotNone(second, "no line after the change within %.0f s" % LINE_TIMEOUT)
        self.assertEqual(second["status"], "ok", second)
        self.assertEqual((second["messages"], second["new"]), (4, 1), second)
        flagged = [h for h in second["headers"] if h["new"]]
        self.assertEqual([h["number"] for h in flagged], [4])
        self.assertEqual(flagged[0]["subject"], expect["subject"])
        # only the new message's header was fetched
        self.assertEqual(mptest.session(self.dc, offset, user)["top"], 1)

        # announced once: the next poll may print that nothing is new any
        # more, but never flags the message again
        offset = self.dc.log_offset()
        proc = self.run_tool(["gsettings", "set", "%s:%s" % (ACCOUNT_SCHEMA, path),
                              "interval", "12"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = mptest.session(self.dc, offset, user, timeout=LINE_TIMEOUT)
        self.assertEqual(s["top"], 0, s["text"])
        third = self.read_line(watch, QUIET)
        if third is not None:
            self.assertEqual((third["messages"], third["new"]), (4, 0), third)
            self.assertEqual([h for h in third["headers"] if h["new"]], [])

        watch.send_signal(signal.SIGTERM)
        try:
            rc = watch.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("--watch still running %.0f s after SIGTERM" % EXIT_TIMEOUT)
        self.assertEqual(rc, 0, watch.stderr.read().decode("utf-8", "replace"))

        # and --check agrees that nothing is new
        proc = self.run_tool([mptest.mailpeek_bin(), "--check", "--json", "--account", "box"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        account = json.loads(proc.stdout)["accounts"][0]
        self.assertEqual((account["messages"], account["new"]), (4, 0), proc.stdout)


if __name__ == "__main__":
    if not SESSION_DIR:
        sys.exit("run through tests/session-run.sh with MAILPEEK_BIN set (meson test does)")
    unittest.main(verbosity=2)
