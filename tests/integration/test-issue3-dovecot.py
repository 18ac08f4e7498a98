#!/usr/bin/python3
# test-issue3-dovecot.py: seen-state, download and delete against a real Dovecot
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The safety properties of issue 3, end to end: `mailpeek --check`,
# `--download`, `--delete` and `--watch` against one private Dovecot
# (tests/dovecot/mp-dovecot.py), one user per scenario so no test sees
# another's changes:
#
#   steady   2,000 messages: the second --check sends no TOP
#   newmsg   a message added after the first --check is new exactly once
#   dl       the sample messages plus dot-stuffing cases: downloads are
#            byte-identical to the Maildir files
#   dlx      --download --delete-after
#   race     another session deletes message 1 between our listing and
#            our --delete
#   drop     a proxy cuts the session after DELE, before QUIT
#   del      --delete of a missing UID, of one UID given twice
#   watch    --watch prints its first line and ends on SIGTERM
#
# What was fetched, deleted and expunged is read from Dovecot's own log
# (pop3_logout_format: top=, retr=, del= per session; del counts messages
# expunged at QUIT, not DELE commands); what is left on the server is read
# with Python's poplib over the plain listener, independently of mailpeek.
# Every mailpeek run gets HOME and the XDG directories in a temporary
# directory of its test; runs that must share the seen-state share it.

import os
import poplib
import select
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mptest  # noqa: E402

mpd = mptest.load_harness()

USERS = {
    "steady": "steady-Secret-1",
    "newmsg": "newmsg-Secret-2",
    "dl": "dl-Secret-3",
    "dlx": "dlx-Secret-4",
    "race": "race-Secret-5",
    "drop": "drop-Secret-6",
    "del": "del-Secret-7",
    "watch": "watch-Secret-8",
}
BIG = 2000

# bounded waits for --watch
WATCH_FIRST_LINE = 120.0
WATCH_EXIT = 15.0


def dot_message():
    """A message whose body needs dot-stuffing on the wire: lines that
    start with one or two dots, and a line that is a single dot, which
    would end the RETR data if the server did not stuff it."""
    body = (".leading dot\n"
            "..two leading dots\n"
            ".\n"
            "a line after a lone dot\n"
            ". dot and space\n"
            "...\n"
            "trailing line\n")
    return mpd.build_message([
        ("From", "Dot Stuffer <dots@example.org>"),
        ("To", "dl@example.org"),
        ("Subject", "Dots at the start of lines"),
        ("Date", "Fri, 05 Dec 2025 10:00:00 +0000"),
        ("Message-ID", "<dots.1@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ], body)


class Issue3Test(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        mptest.mailpeek_bin()
        cls.tmp = mptest.make_tmpdir("mp-issue3-dovecot-")
        cls.dc = mpd.Dovecot(os.path.join(cls.tmp, "dovecot"), users=USERS)
        cls.dc.start()
        try:
            cls.dc.fill("steady", BIG)
            cls.dc.fill("newmsg", 5)
            for msg in mpd.sample_messages():
                cls.dc.add_message("dl", msg["data"], ident=msg["id"])
            cls.dc.add_message("dl", dot_message(), ident="dots")
            cls.dc.fill("dlx", 5)
            cls.dc.fill("race", 6)
            cls.dc.fill("drop", 4)
            cls.dc.fill("del", 6)
            cls.dc.fill("watch", 3)
        except BaseException:
            cls.dc.stop()
            mptest.remove_tmpdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        mptest.remove_tmpdir(cls.tmp)

    # ---- helpers

    def make_home(self):
        """A HOME (and XDG dirs) for the runs of one test that share state."""
        path = mptest.make_tmpdir("mp-issue3-home-")
        self.addCleanup(mptest.remove_tmpdir, path)
        return path

    def make_dir(self, name):
        path = os.path.join(mptest.make_tmpdir("mp-issue3-out-"), name)
        self.addCleanup(mptest.remove_tmpdir, os.path.dirname(path))
        return path

    def target(self, user, port=None):
        """--url and security options: implicit TLS to Dovecot by default;
        with PORT (a proxy in front of the plain listener) no TLS, so the
        proxy sees the commands."""
        if port is None:
            return ["--url", "pop3://%s@127.0.0.1:%d" % (user, self.dc.ports["pop3s"]),
                    "--security", "tls", "--cafile", self.dc.cafile]
        return ["--url", "pop3://%s@127.0.0.1:%d" % (user, port), "--security", "none"]

    def mailpeek(self, user, home, args, port=None, timeout=240):
        return mptest.run_mailpeek(list(args) + self.target(user, port),
                                   password=self.dc.users[user], home=home,
                                   timeout=timeout)

    def check(self, user, home, port=None):
        run = self.mailpeek(user, home, ["--check", "--json"], port)
        self.assertEqual(run.returncode, 0, run.describe())
        account = run.account
        self.assertEqual(account["status"], "ok", run.describe())
        self.assertIsNone(account["error"], run.describe())
        return run, account

    def transfer(self, user, home, args, port=None):
        run = self.mailpeek(user, home, list(args) + ["--json"], port)
        doc = run.json
        self.assertIsInstance(doc.get("results"), list, run.describe())
        return run, doc, {r["uid"]: r for r in doc["results"]}

    def server_uidl(self, user):
        """number -> UID as the server lists them now (poplib, plain
        listener of the second instance, which shares the Maildirs)."""
        p = poplib.POP3("127.0.0.1", self.dc.ports["nostls"], timeout=30)
        try:
            p.user(user)
            p.pass_(self.dc.users[user])
            lines = p.uidl()[1]
        finally:
            p.quit()
        listing = {}
        for line in lines:
            number, uid = line.decode("ascii").split()
            listing[int(number)] = uid
        return listing

    def offset(self, user, which="main", timeout=15.0):
        """The log offset from which only sessions still to come appear:
        Dovecot logs through its log process a moment after the fact, so
        first wait until every session of USER that has logged in has also
        logged its end."""
        deadline = time.monotonic() + timeout
        while True:
            path = self.dc.log_path if which == "main" else self.dc.nostls_log_path
            with open(path, "rb") as f:
                data = f.read()
            offset = len(data)
            text = data.decode("utf-8", "replace")
            logins = sum(1 for m in mptest.LOGIN_RE.finditer(text) if m["user"] == user)
            logouts = sum(1 for m in mptest.LOGOUT_RE.finditer(text) if m["user"] == user)
            if logins == logouts:
                return offset
            if time.monotonic() > deadline:
                self.fail("%d sessions of %s logged in but %d ended within %.0f s:\n%s"
                          % (logins, user, logouts, timeout, text[-4000:]))
            time.sleep(0.05)

    def session(self, offset, user, which="main"):
        return mptest.session(self.dc, offset, user, which)

    def source(self, user, ident):
        """The bytes of message IDENT as Dovecot's Maildir holds them."""
        record = next(r for r in self.dc.messages[user] if r["id"] == ident)
        path = self.dc.message_path(user, record)
        self.assertIsNotNone(path, "%s is no longer in the Maildir" % ident)
        with open(path, "rb") as f:
            data = f.read()
        # the harness wrote these bytes; Dovecot must not have changed them
        self.assertEqual(data, record["data"], ident)
        return data

    def uid_of(self, user, listing, ident):
        """The UID of the message the harness delivered as IDENT: messages
        are numbered in delivery order while nothing was deleted."""
        index = [r["id"] for r in self.dc.messages[user]].index(ident)
        return listing[index + 1]

    @staticmethod
    def read_file(path):
        with open(path, "rb") as f:
            return f.read()

    # ---- 1. the steady state costs no TOP

    def test_steady_state_sends_no_top(self):
        home = self.make_home()
        records = self.dc.messages["steady"]

        offset = self.offset("steady")
        run1, first = self.check("steady", home)
        s1 = self.session(offset, "steady")
        self.assertEqual(first["messages"], BIG)
        self.assertEqual(first["new"], BIG, run1.describe())
        self.assertEqual(len(first["headers"]), BIG)
        self.assertTrue(all(h["new"] is True for h in first["headers"]))
        for header, record in zip(first["headers"], records):
            self.assertEqual(header["subject"], record["expect"]["subject"])
            self.assertEqual(header["message_id"], record["expect"]["message_id"])
        self.assertEqual((s1["top"], s1["retr"], s1["dele"], s1["reason"]),
                         (BIG, 0, 0, "Logged out"), s1["text"])

        offset = self.offset("steady")
        run2, second = self.check("steady", home)
        s2 = self.session(offset, "steady")
        self.assertEqual(second["messages"], BIG)
        self.assertEqual(second["bytes"], first["bytes"])
        self.assertEqual(second["new"], 0, run2.describe())
        self.assertEqual([h for h in second["headers"] if h["new"] is not False], [])
        # the server was not asked for a single header
        self.assertEqual((s2["top"], s2["top_bytes"]), (0, 0), s2["text"])
        self.assertEqual((s2["retr"], s2["dele"], s2["reason"]), (0, 0, "Logged out"),
                         s2["text"])
        # ... and the cached headers are the ones fetched the first time
        strip = [{k: v for k, v in h.items() if k != "new"} for h in first["headers"]]
        self.assertEqual([{k: v for k, v in h.items() if k != "new"}
                          for h in second["headers"]], strip)

    # ---- 2. a new message is new exactly once

    def test_added_message_is_new_once(self):
        home = self.make_home()
        _, first = self.check("newmsg", home)
        self.assertEqual(first["new"], 5)
        before = set(self.server_uidl("newmsg").values())

        data, expect = mpd.fill_message(900)
        self.dc.add_message("newmsg", data, expect=expect, ident="added")
        added = set(self.server_uidl("newmsg").values()) - before
        self.assertEqual(len(added), 1)
        added_uid = added.pop()

        offset = self.offset("newmsg")
        run, second = self.check("newmsg", home)
        s = self.session(offset, "newmsg")
        self.assertEqual(second["messages"], 6)
        self.assertEqual(second["new"], 1, run.describe())
        flagged = [h for h in second["headers"] if h["new"] is True]
        self.assertEqual([h["uidl"] for h in flagged], [added_uid])
        self.assertEqual(flagged[0]["subject"], expect["subject"])
        self.assertEqual(flagged[0]["number"], 6)
        self.assertTrue(all(h["new"] is False for h in second["headers"] if h is not flagged[0]))
        # only the new message's header was fetched
        self.assertEqual(s["top"], 1, s["text"])

        offset = self.offset("newmsg")
        run, third = self.check("newmsg", home)
        s = self.session(offset, "newmsg")
        self.assertEqual(third["messages"], 6)
        self.assertEqual(third["new"], 0, run.describe())
        self.assertTrue(all(h["new"] is False for h in third["headers"]))
        self.assertEqual(s["top"], 0, s["text"])

    # ---- 3. download

    DL_PICK = ("big-attachment", "koi8r-raw", "dots", "utf8-b")

    def test_download_eml_byte_identical(self):
        home = self.make_home()
        listing = self.server_uidl("dl")
        uids = {self.uid_of("dl", listing, ident): ident for ident in self.DL_PICK}
        out = self.make_dir("eml")

        offset = self.offset("dl")
        run, doc, results = self.transfer("dl", home, ["--download", "--to", out] + list(uids))
        s = self.session(offset, "dl")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(doc["status"], "ok", run.describe())
        self.assertEqual(set(results), set(uids), run.describe())
        for uid, ident in uids.items():
            with self.subTest(message=ident):
                r = results[uid]
                self.assertIs(r["ok"], True, r)
                self.assertIs(r["deleted"], False, r)
                self.assertIsNone(r["error"], r)
                self.assertEqual(r["path"], os.path.join(out, uid + ".eml"))
                # .eml keeps the wire's CRLF: the Maildir file with LF -> CRLF
                self.assertEqual(self.read_file(r["path"]), mpd.to_crlf(self.source("dl", ident)))
        # nothing but the messages: no temporary file left behind
        self.assertEqual(sorted(os.listdir(out)), sorted(u + ".eml" for u in uids))
        self.assertEqual((s["retr"], s["dele"], s["reason"]), (len(uids), 0, "Logged out"),
                         s["text"])
        # downloading deletes nothing
        self.assertEqual(self.server_uidl("dl"), listing)

    def test_download_maildir_byte_identical(self):
        home = self.make_home()
        listing = self.server_uidl("dl")
        uids = {self.uid_of("dl", listing, ident): ident for ident in self.DL_PICK}
        out = self.make_dir("Maildir")

        # the human output: one line per message with its path
        run = self.mailpeek("dl", home, ["--download", "--maildir", "--to", out] + list(uids))
        self.assertEqual(run.returncode, 0, run.describe())
        delivered = sorted(os.listdir(os.path.join(out, "new")))
        self.assertEqual(len(delivered), len(uids), run.describe())
        self.assertEqual(os.listdir(os.path.join(out, "tmp")), [])
        self.assertEqual(os.listdir(os.path.join(out, "cur")), [])
        for name in delivered:
            self.assertIn(os.path.join(out, "new", name), run.stdout)

        # and with --json, which says which file holds which message
        out2 = self.make_dir("Maildir2")
        run, doc, results = self.transfer("dl", home, ["--download", "--maildir", "--to", out2]
                                          + list(uids))
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(set(results), set(uids))
        paths = set()
        for uid, ident in uids.items():
            with self.subTest(message=ident):
                r = results[uid]
                self.assertIs(r["ok"], True, r)
                self.assertEqual(os.path.dirname(r["path"]), os.path.join(out2, "new"))
                # Maildir files have LF ends, exactly like Dovecot's own
                self.assertEqual(self.read_file(r["path"]), self.source("dl", ident))
                paths.add(r["path"])
        self.assertEqual(len(paths), len(uids))
        self.assertEqual(sorted(os.listdir(os.path.join(out2, "new"))),
                         sorted(os.path.basename(p) for p in paths))
        self.assertEqual(os.listdir(os.path.join(out2, "tmp")), [])
        # the two runs fetched the same bytes
        self.assertEqual(sorted(self.read_file(os.path.join(out, "new", n)) for n in delivered),
                         sorted(self.read_file(p) for p in paths))

    def test_download_missing_uid(self):
        home = self.make_home()
        listing = self.server_uidl("dl")
        first = self.uid_of("dl", listing, "dots")
        last = self.uid_of("dl", listing, "utf8-q")
        missing = "ffffffff" + first[8:]
        self.assertNotIn(missing, listing.values())
        out = self.make_dir("partial")

        offset = self.offset("dl")
        run, doc, results = self.transfer("dl", home, ["--download", "--to", out,
                                                       first, missing, last])
        s = self.session(offset, "dl")
        self.assertEqual(run.returncode, 1, run.describe())
        self.assertEqual(set(results), {first, missing, last})
        bad = results[missing]
        self.assertIs(bad["ok"], False)
        self.assertIsNone(bad["path"])
        self.assertIsInstance(bad["error"], str)
        self.assertIn(missing, bad["error"])
        for uid, ident in ((first, "dots"), (last, "utf8-q")):
            r = results[uid]
            self.assertIs(r["ok"], True, r)
            self.assertIsNone(r["error"], r)
            self.assertEqual(self.read_file(r["path"]), mpd.to_crlf(self.source("dl", ident)))
        self.assertEqual(sorted(os.listdir(out)), sorted([first + ".eml", last + ".eml"]))
        self.assertEqual((s["retr"], s["dele"]), (2, 0), s["text"])

    def test_download_delete_after(self):
        home = self.make_home()
        before = self.server_uidl("dlx")
        wanted = {before[2]: "fill-2", before[4]: "fill-4"}
        sources = {uid: self.source("dlx", ident) for uid, ident in wanted.items()}
        out = self.make_dir("eml")

        offset = self.offset("dlx")
        run, doc, results = self.transfer("dlx", home, ["--download", "--delete-after",
                                                        "--to", out] + list(wanted))
        s = self.session(offset, "dlx")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(set(results), set(wanted))
        for uid in wanted:
            r = results[uid]
            self.assertIs(r["ok"], True, r)
            self.assertIs(r["deleted"], True, r)
            self.assertIsNone(r["error"], r)
            self.assertEqual(self.read_file(r["path"]), mpd.to_crlf(sources[uid]))
        # the server expunged exactly two messages at QUIT ...
        self.assertEqual((s["retr"], s["dele"], s["reason"]), (2, 2, "Logged out"), s["text"])
        # ... and they were those two
        after = self.server_uidl("dlx")
        self.assertEqual(set(after.values()), set(before.values()) - set(wanted))
        for ident in wanted.values():
            record = next(r for r in self.dc.messages["dlx"] if r["id"] == ident)
            self.assertIsNone(self.dc.message_path("dlx", record))

        run, account = self.check("dlx", home)
        self.assertEqual(account["messages"], 3)
        listed = {h["uidl"] for h in account["headers"]}
        self.assertEqual(listed, set(before.values()) - set(wanted))

    # ---- 4. another session deletes between our listing and our delete

    def test_delete_after_numbers_shifted(self):
        home = self.make_home()
        _, account = self.check("race", home)
        ours = {h["number"]: h["uidl"] for h in account["headers"]}
        self.assertEqual(sorted(ours), [1, 2, 3, 4, 5, 6])
        self.assertEqual(ours, self.server_uidl("race"))

        # another client deletes message 1 and commits it
        p = poplib.POP3("127.0.0.1", self.dc.ports["nostls"], timeout=30)
        try:
            p.user("race")
            p.pass_(self.dc.users["race"])
            p.dele(1)
        finally:
            p.quit()
        shifted = self.server_uidl("race")
        # the precondition of the race: our 2 and 3 are now numbers 1 and 2
        self.assertEqual(shifted[1], ours[2])
        self.assertEqual(shifted[2], ours[3])
        self.assertNotIn(ours[1], shifted.values())

        offset = self.offset("race")
        run, doc, results = self.transfer("race", home, ["--delete", ours[2], ours[3]])
        s = self.session(offset, "race")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(set(results), {ours[2], ours[3]})
        for uid in (ours[2], ours[3]):
            self.assertIs(results[uid]["deleted"], True, results[uid])
            self.assertIsNone(results[uid]["error"])
        self.assertEqual((s["dele"], s["messages"], s["reason"]), (2, 5, "Logged out"),
                         s["text"])
        # exactly those two went; everything else stayed
        self.assertEqual(sorted(self.server_uidl("race").values()),
                         sorted([ours[4], ours[5], ours[6]]))

        run, account = self.check("race", home)
        self.assertEqual([h["uidl"] for h in account["headers"]], [ours[4], ours[5], ours[6]])
        self.assertEqual(account["new"], 0, run.describe())

    # ---- 5. a drop after DELE, before QUIT

    def test_drop_after_dele_deletes_nothing(self):
        home = self.make_home()
        before = self.server_uidl("drop")
        with mptest.Proxy(self.dc.ports["nostls"], cut_after="DELE") as proxy:
            _, first = self.check("drop", home, proxy.port)
            self.assertEqual(first["new"], 4)
            self.assertEqual(proxy.cut_replies, [])

            victim = before[2]
            offset = self.offset("drop", "nostls")
            run, doc, results = self.transfer("drop", home, ["--delete", victim], proxy.port)
            s = self.session(offset, "drop", "nostls")
            self.assertEqual(run.returncode, 1, run.describe())
            self.assertEqual(list(results), [victim])
            r = results[victim]
            self.assertIs(r["deleted"], False, r)
            self.assertIs(r["ok"], False, r)
            self.assertIn("not deleted", (r["error"] or "").lower(), r)

            # the DELE reached the server, which marked the message; the
            # answer never reached mailpeek, and no QUIT reached the server
            self.assertEqual(len(proxy.cut_replies), 1)
            self.assertTrue(proxy.cut_replies[0].startswith(b"+OK"), proxy.cut_replies)
            sent = proxy.sent_by_client()
            self.assertIn(b"DELE ", sent)
            self.assertNotIn(b"QUIT", sent)
            self.assertNotEqual(s["reason"], "Logged out", s["text"])
            self.assertEqual(s["dele"], 0, s["text"])

            # every message is still there
            self.assertEqual(self.server_uidl("drop"), before)

            # and none is announced again
            offset = self.offset("drop", "nostls")
            run, third = self.check("drop", home, proxy.port)
            s = self.session(offset, "drop", "nostls")
            self.assertEqual(third["messages"], 4)
            self.assertEqual(third["new"], 0, run.describe())
            self.assertTrue(all(h["new"] is False for h in third["headers"]))
            self.assertEqual([h["uidl"] for h in third["headers"]],
                             [before[n] for n in sorted(before)])
            self.assertEqual(s["top"], 0, s["text"])
            self.assertEqual(len(proxy.cut_replies), 1)

    # ---- 6. missing and duplicated UIDs

    def test_delete_missing_uid(self):
        home = self.make_home()
        before = self.server_uidl("del")
        missing = "ffffffff" + before[1][8:]
        self.assertNotIn(missing, before.values())

        offset = self.offset("del")
        run, doc, results = self.transfer("del", home, ["--delete", missing])
        s = self.session(offset, "del")
        self.assertEqual(run.returncode, 1, run.describe())
        self.assertEqual(list(results), [missing])
        self.assertIs(results[missing]["deleted"], False)
        self.assertIn(missing, results[missing]["error"] or "")
        self.assertEqual(s["dele"], 0, s["text"])
        self.assertEqual(self.server_uidl("del"), before)

    def test_delete_same_uid_twice(self):
        home = self.make_home()
        before = self.server_uidl("del")
        uid = before[3]

        offset = self.offset("del")
        run, doc, results = self.transfer("del", home, ["--delete", uid, uid])
        s = self.session(offset, "del")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(len(doc["results"]), 1, run.describe())
        self.assertIs(results[uid]["deleted"], True)
        self.assertEqual((s["dele"], s["reason"]), (1, "Logged out"), s["text"])
        self.assertEqual(set(self.server_uidl("del").values()), set(before.values()) - {uid})

    def test_delete_present_and_missing_uid(self):
        """One UID present, one not: the present one goes, exit 1."""
        home = self.make_home()
        before = self.server_uidl("del")
        uid = before[max(before)]
        missing = "eeeeeeee" + uid[8:]

        offset = self.offset("del")
        run, doc, results = self.transfer("del", home, ["--delete", missing, uid])
        s = self.session(offset, "del")
        self.assertEqual(run.returncode, 1, run.describe())
        self.assertIs(results[uid]["deleted"], True, run.describe())
        self.assertIs(results[missing]["deleted"], False, run.describe())
        self.assertEqual(s["dele"], 1, s["text"])
        self.assertEqual(set(self.server_uidl("del").values()), set(before.values()) - {uid})

    # ---- 7. --watch

    def test_watch_first_line_and_sigterm(self):
        home = self.make_home()
        listing = self.server_uidl("watch")
        env = mptest.mailpeek_env(home, self.dc.users["watch"])
        argv = [mptest.mailpeek_bin(), "--watch"] + self.target("watch")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True,
                                preexec_fn=mpd.die_with_parent)

        def kill():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
        self.addCleanup(kill)

        line = self.read_line(proc, WATCH_FIRST_LINE)
        first = mptest.Run(argv, None, line, "", 0).json
        self.assertEqual(first["account"], "watch@127.0.0.1:%d" % self.dc.ports["pop3s"])
        self.assertEqual(first["status"], "ok", line)
        self.assertIsNone(first["error"])
        self.assertEqual(first["messages"], 3)
        self.assertEqual(first["new"], 3)
        self.assertEqual([h["uidl"] for h in first["headers"]],
                         [listing[n] for n in sorted(listing)])
        self.assertTrue(all(h["new"] is True for h in first["headers"]))
        # it keeps watching
        time.sleep(0.5)
        self.assertIsNone(proc.poll(), "--watch ended by itself")

        start = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(WATCH_EXIT)
        except subprocess.TimeoutExpired:
            self.fail("--watch still running %.0f s after SIGTERM" % WATCH_EXIT)
        err = proc.stderr.read().decode("utf-8", "replace")
        self.assertEqual(rc, 0, err)
        self.assertLess(time.monotonic() - start, WATCH_EXIT)

        # what --watch printed counts as announced
        run, account = self.check("watch", home)
        self.assertEqual(account["new"], 0, run.describe())

    def read_line(self, proc, timeout):
        """One line of PROC's stdout, waiting at most TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        data = b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("no line from --watch within %.0f s (got %r)" % (timeout, data))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                err = proc.stderr.read().decode("utf-8", "replace") if proc.poll() is not None else ""
                self.fail("--watch closed its output (exit %s) after %r\n%s"
                          % (proc.poll(), data, err))
            data += chunk
        line, _, rest = data.partition(b"\n")
        return line.decode("utf-8")


if __name__ == "__main__":
    unittest.main(verbosity=2)
