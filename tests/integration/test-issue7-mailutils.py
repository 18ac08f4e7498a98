#!/usr/bin/python3
# test-issue7-mailutils.py: mailpeek against a second real server, GNU
# Mailutils' pop3d (issue 7)
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One private pop3d (tests/mailutils/mp-mailutils.py) for the whole file:
#   alice  the sample mailbox (a dozen messages in several charsets) and a
#          message that needs dot-stuffing
#   bob    five generated messages, for the delete
# Mailutils rewrites an mbox the first time a session reads it (it adds
# X-UIDL, X-UID and Status headers, and Status changes once a message was
# RETRed), so every mailbox is read whole once before the tests; after
# that what poplib reads is what mailpeek must read.  Every count, size,
# UID and message byte is compared with what Python's poplib gets from the
# same server; decoded headers with what the test wrote.  The server's
# transcript (commands, with PASS masked by the harness) shows what each
# mailpeek session sent.

import importlib.util
import os
import poplib
import re
import socket
import ssl
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mptest  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_mailutils():
    name = "mp_mailutils"
    if name not in sys.modules:
        path = os.path.join(HERE, "..", "mailutils", "mp-mailutils.py")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


mpm = load_mailutils()
mpd = mptest.load_harness()

USERS = {
    "alice": "alice-Secret-1",
    "bob": "bob Sécret 2",
}

SECURITY = {"pop3s": "tls", "pop3": "starttls", "nostls": "none"}


def dot_message():
    """A body with lines a server must dot-stuff, one of them a lone dot."""
    return mpd.build_message([
        ("From", "Dot Stuffer <dots@example.org>"),
        ("To", "alice@example.org"),
        ("Subject", "Dots at the start of lines"),
        ("Date", "Fri, 05 Dec 2025 10:00:00 +0000"),
        ("Message-ID", "<dots.1@example.org>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ], ".leading dot\n..two dots\n.\nafter a lone dot\n...\nend\n")


class TopHidingProxy:
    """A plain-text POP3 proxy in front of Mailutils that makes it a server
    without TOP, as some servers and proxies are: TOP is left out of every
    CAPA reply, and each TOP command reaches the server as "TOP 0 0",
    which it refuses, so replies stay in order even when pipelined.  It
    also drops the APOP timestamp from the greeting, so that a client
    without login fallback logs in with USER/PASS."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threads = []
        self.closing = False
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _accept(self):
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=120)
            client.settimeout(120)
            capas = [0]
            lock = threading.Lock()
            for target in (self._upstream, self._downstream):
                thread = threading.Thread(target=target, args=(client, server, capas, lock),
                                          daemon=True)
                thread.start()
                self.threads.append(thread)

    @staticmethod
    def _upstream(client, server, capas, lock):
        try:
            for line in client.makefile("rb"):
                verb = line.split(b" ", 1)[0].strip().upper()
                if verb == b"TOP":
                    line = b"TOP 0 0\r\n"
                elif verb == b"CAPA":
                    with lock:
                        capas[0] += 1
                server.sendall(line)
        except OSError:
            pass
        finally:
            server.close()

    @staticmethod
    def _downstream(client, server, capas, lock):
        in_capa = False
        first = True
        try:
            for line in server.makefile("rb"):
                if first:
                    line = re.sub(rb" <[^>]*>", b"", line)
                    first = False
                elif in_capa:
                    if line == b".\r\n":
                        in_capa = False
                    elif line.strip().upper() == b"TOP":
                        continue
                elif line.startswith(b"+OK"):
                    with lock:
                        if capas[0] > 0:
                            capas[0] -= 1
                            in_capa = True
                client.sendall(line)
        except OSError:
            pass
        finally:
            client.close()

    def close(self):
        self.closing = True
        self.listener.close()


class MailutilsTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        mptest.mailpeek_bin()
        cls.tmp = mptest.make_tmpdir("mp-issue7-mailutils-")
        cls.mu = mpm.Mailutils(os.path.join(cls.tmp, "mailutils"), users=USERS)
        cls.mu.start(sample=True)
        try:
            cls.mu.add_message("alice", dot_message(), ident="dots")
            cls.mu.fill("bob", 5)
            # settle the mboxes (see the top of the file)
            for user in USERS:
                cls.pop_read(user, retr=True)
        except BaseException:
            cls.mu.stop()
            mptest.remove_tmpdir(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.mu.stop()
        mptest.remove_tmpdir(cls.tmp)

    # ---- poplib, the reference

    @classmethod
    def pop_open(cls, user, listener="nostls"):
        port = cls.mu.ports[listener]
        ctx = ssl.create_default_context(cafile=cls.mu.cafile)
        if listener == "pop3s":
            p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=30)
        else:
            p = poplib.POP3("127.0.0.1", port, timeout=30)
            if listener == "pop3":
                p.stls(context=ctx)
        p.user(cls.mu.login(user))
        p.pass_(cls.mu.users[user])
        return p

    @classmethod
    def pop_read(cls, user, listener="nostls", retr=False):
        """What poplib reads: count, size, number -> (size, uid), and the
        messages' bytes as sent (CRLF, dot-stuffing undone) with RETR, which
        is True for all or a set of UIDs."""
        p = cls.pop_open(user, listener)
        try:
            count, size = p.stat()
            sizes = {}
            for line in p.list()[1]:
                number, octets = line.split()
                sizes[int(number)] = int(octets)
            uids = {}
            for line in p.uidl()[1]:
                number, uid = line.split()
                uids[int(number)] = uid.decode("ascii")
            messages = {}
            for number in sizes:
                if retr is True or (retr and uids[number] in retr):
                    lines = p.retr(number)[1]
                    messages[uids[number]] = b"".join(line + b"\r\n" for line in lines)
        finally:
            p.quit()
        return {"count": count, "size": size, "sizes": sizes, "uids": uids,
                "messages": messages}

    # ---- mailpeek

    def url(self, user, listener):
        return "pop3://%s@127.0.0.1:%d" % (self.mu.login(user).replace("@", "%40"),
                                          self.mu.ports[listener])

    def mailpeek(self, user, args, listener="pop3s", home=None, port=None):
        if port is not None:
            # a proxy in front of the plain listener
            url = "pop3://%s@127.0.0.1:%d" % (self.mu.login(user).replace("@", "%40"), port)
            argv = list(args) + ["--url", url, "--security", "none"]
        else:
            argv = list(args) + ["--url", self.url(user, listener),
                                 "--security", SECURITY[listener], "--cafile", self.mu.cafile]
        return mptest.run_mailpeek(argv, password=self.mu.users[user], home=home,
                                   timeout=120)

    def session(self, offset, user):
        """The transcript of the session(s) since OFFSET, once the logged-in
        one has ended."""
        text = self.mu.wait_sessions(offset)
        self.assertIn("session ended for user: %s" % user, text)
        self.assertNotIn(self.mu.users[user], text)
        return text

    @staticmethod
    def commands(text, verb):
        return re.findall(r"C: (%s\b[^\n]*)" % verb, text)

    def check(self, user, listener):
        offset = self.mu.log_offset()
        run = self.mailpeek(user, ["--check", "--json"], listener)
        self.assertEqual(run.returncode, 0, run.describe())
        account = run.account
        self.assertEqual(account["status"], "ok", run.describe())
        self.assertIsNone(account["error"])
        self.assertEqual(account["account"], "%s@127.0.0.1:%d"
                         % (self.mu.login(user), self.mu.ports[listener]))
        return account, self.session(offset, user)

    def assert_matches_poplib(self, account, ref):
        self.assertEqual(account["messages"], ref["count"])
        self.assertEqual(account["bytes"], ref["size"])
        self.assertIs(account["uidl"], True)
        self.assertIs(account["top"], True)
        self.assertEqual([(h["number"], h["size"], h["uidl"]) for h in account["headers"]],
                         [(n, ref["sizes"][n], ref["uids"][n]) for n in sorted(ref["sizes"])])

    def assert_sample_headers(self, account):
        """Decoded headers: exactly the text each sample was encoded from."""
        records = self.mu.messages["alice"]
        self.assertEqual(len(account["headers"]), len(records))
        for header, record in zip(account["headers"], records):
            if record["expect"] is None:
                continue
            with self.subTest(message=record["id"]):
                for key in ("subject", "from", "from_name", "from_address", "date",
                            "message_id"):
                    self.assertEqual(header[key], record["expect"][key], key)
                self.assertIn(record["expect"]["to_address"], header["to"])

    # ---- the tests

    def test_check_tls(self):
        ref = self.pop_read("alice", "pop3s")
        account, text = self.check("alice", "pop3s")
        self.assert_matches_poplib(account, ref)
        self.assert_sample_headers(account)
        self.assertIn("TLS established", text)
        # a fresh state: one TOP per message, nothing else fetched
        self.assertEqual(len(self.commands(text, "TOP")), ref["count"], text)
        self.assertEqual(self.commands(text, "RETR"), [], text)
        self.assertEqual(self.commands(text, "DELE"), [], text)

    def test_check_stls(self):
        ref = self.pop_read("alice", "pop3")
        account, text = self.check("alice", "pop3")
        self.assert_matches_poplib(account, ref)
        self.assert_sample_headers(account)
        # STLS before anything secret
        self.assertLess(text.index("C: STLS"), text.index("C: USER"), text)

    def test_check_none_falls_back_to_user_pass(self):
        """Mailutils greets with an APOP timestamp but has no APOP secrets:
        the refused APOP is followed by USER/PASS in the same session."""
        ref = self.pop_read("alice", "nostls")
        offset = self.mu.log_offset()
        run = self.mailpeek("alice", ["--check", "--json"], "nostls")
        text = self.mu.wait_sessions(offset)
        self.assertNotIn(self.mu.users["alice"], text)
        self.assertEqual(run.returncode, 0, run.describe() + text)
        account = run.account
        self.assertEqual(account["status"], "ok", run.describe())
        self.assert_matches_poplib(account, ref)
        self.assert_sample_headers(account)
        apop = text.index("C: APOP")
        self.assertIn("-ERR", text[apop:text.index("C: USER")], text)
        self.assertLess(apop, text.index("C: USER"), text)
        self.assertIn("C: PASS ***", text)
        self.assertIn("+OK opened mailbox for alice", text)
        # one session: Mailutils lets a client try again after a refusal
        self.assertEqual(text.count("S: +OK POP3 Ready"), 1, text)

    def test_server_without_top(self):
        """Through TopHidingProxy: no TOP is sent, headers come from RETR
        for messages up to 256 KiB and are the same as TOP gave, the larger
        one is listed with its size and an error, and the next check sends
        neither TOP nor RETR."""
        ref = self.pop_read("alice", "nostls")
        proxy = TopHidingProxy(self.mu.ports["nostls"])
        self.addCleanup(proxy.close)
        home = mptest.make_tmpdir("mp-issue7-home-")
        self.addCleanup(mptest.remove_tmpdir, home)

        offset = self.mu.log_offset()
        run = self.mailpeek("alice", ["--check", "--json"], home=home, port=proxy.port)
        text = self.session(offset, "alice")
        self.assertEqual(run.returncode, 0, run.describe())
        account = run.account
        self.assertIs(account["top"], False)
        self.assertEqual(account["messages"], ref["count"])
        self.assertEqual([(h["number"], h["size"], h["uidl"]) for h in account["headers"]],
                         [(n, ref["sizes"][n], ref["uids"][n]) for n in sorted(ref["sizes"])])
        small = [n for n, size in ref["sizes"].items() if size <= 256 * 1024]
        big = [n for n in ref["sizes"] if n not in small]
        self.assertEqual(len(big), 1)
        self.assertEqual(self.commands(text, "TOP"), [], text)
        self.assertEqual(sorted(self.commands(text, "RETR")),
                         sorted("RETR %d" % n for n in small), text)
        records = self.mu.messages["alice"]
        for header, record in zip(account["headers"], records):
            with self.subTest(message=record["id"]):
                if header["number"] in big:
                    self.assertEqual(header["error"],
                                     "headers not available: the server does not offer TOP")
                    self.assertIsNone(header["subject"])
                    continue
                self.assertNotIn("error", header)
                if record["expect"] is not None:
                    for key in ("subject", "from", "from_address", "date", "message_id"):
                        self.assertEqual(header[key], record["expect"][key], key)

        # cached: the next check fetches nothing, and says why in words
        offset = self.mu.log_offset()
        run = self.mailpeek("alice", ["--check"], home=home, port=proxy.port)
        text = self.session(offset, "alice")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertIn("no TOP", run.stdout)
        self.assertEqual(self.commands(text, "TOP"), [], text)
        self.assertEqual(self.commands(text, "RETR"), [], text)

    def test_download_byte_exact(self):
        listing = self.pop_read("alice", "pop3s")
        by_id = {}
        for number, record in enumerate(self.mu.messages["alice"], 1):
            by_id[record["id"]] = listing["uids"][number]
        pick = [by_id[i] for i in ("big-attachment", "koi8r-raw", "utf8-b", "dots")]
        ref = self.pop_read("alice", "pop3s", retr=set(pick))
        out = mptest.make_tmpdir("mp-issue7-out-")
        self.addCleanup(mptest.remove_tmpdir, out)

        offset = self.mu.log_offset()
        run = self.mailpeek("alice", ["--download", "--to", out, "--json"] + pick)
        text = self.session(offset, "alice")
        self.assertEqual(run.returncode, 0, run.describe())
        results = {r["uid"]: r for r in run.json["results"]}
        self.assertEqual(set(results), set(pick))
        for uid in pick:
            with self.subTest(uid=uid):
                self.assertIs(results[uid]["ok"], True, results[uid])
                self.assertIs(results[uid]["deleted"], False, results[uid])
                with open(results[uid]["path"], "rb") as f:
                    self.assertEqual(f.read(), ref["messages"][uid])
        self.assertEqual(len(self.commands(text, "RETR")), len(pick), text)
        self.assertEqual(self.commands(text, "DELE"), [], text)
        # downloading changed nothing on the server
        after = self.pop_read("alice", "pop3s", retr=set(pick))
        self.assertEqual(after["uids"], ref["uids"])
        self.assertEqual(after["messages"], ref["messages"])

    def test_delete_by_uidl_after_numbers_shift(self):
        """Another client deletes message 1 between our check and our
        delete: the delete still removes exactly the UIDs asked for."""
        before = self.pop_read("bob")
        self.assertEqual(before["count"], 5)
        ours = [before["uids"][2], before["uids"][4]]
        home = mptest.make_tmpdir("mp-issue7-home-")
        self.addCleanup(mptest.remove_tmpdir, home)
        run = self.mailpeek("bob", ["--check", "--json"], home=home)
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual([h["uidl"] for h in run.account["headers"]],
                         [before["uids"][n] for n in range(1, 6)])

        p = self.pop_open("bob")
        p.dele(1)
        p.quit()

        offset = self.mu.log_offset()
        run = self.mailpeek("bob", ["--delete", "--json"] + ours, home=home)
        text = self.session(offset, "bob")
        self.assertEqual(run.returncode, 0, run.describe())
        results = {r["uid"]: r for r in run.json["results"]}
        self.assertEqual(set(results), set(ours))
        for uid in ours:
            self.assertIs(results[uid]["deleted"], True, results[uid])
        # this session's numbers: the messages moved up by one
        self.assertEqual(sorted(self.commands(text, "DELE")), ["DELE 1", "DELE 3"], text)
        self.assertLess(text.index("C: UIDL"), text.index("C: DELE"), text)

        after = self.pop_read("bob")
        self.assertEqual(sorted(after["uids"].values()),
                         sorted([before["uids"][3], before["uids"][5]]))
        self.assertEqual(after["count"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
