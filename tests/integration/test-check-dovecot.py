#!/usr/bin/python3
# test-check-dovecot.py: `mailpeek --check` against a real Dovecot
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# One private Dovecot (tests/dovecot/mp-dovecot.py) for the whole file:
#   alice  the sample mailbox: a dozen messages in several charsets
#   bob    2,000 generated messages
#   carol  three messages, a password with spaces and non-ASCII letters
#   dave   an empty mailbox
# Every expected value comes from what the test wrote into the Maildirs;
# the server's own log proves what each session did (TOP count, DELE
# count, QUIT, mechanism, whether any login was attempted).

import os
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mptest  # noqa: E402

mpd = mptest.load_harness()

USERS = {
    "alice": "alice-Secret-1",
    "bob": "bob-Secret-2",
    "carol": "Pässwört mit Leerzeichen",
    "dave": "dave-Secret-4",
}
BIG = 2000


def url(user, port, host="127.0.0.1"):
    return "pop3://%s@%s:%d" % (user, host, port)


class CheckTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        mptest.mailpeek_bin()
        cls.tmp = mptest.make_tmpdir("mp-check-dovecot-")
        cls.dc = mpd.Dovecot(os.path.join(cls.tmp, "dovecot"), users=USERS)
        cls.dc.start(sample=True)
        cls.dc.fill("bob", BIG)
        cls.dc.fill("carol", 3)
        cls.samples = {m["id"]: m for m in mpd.sample_messages()}
        cls.ports = cls.dc.ports

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        mptest.remove_tmpdir(cls.tmp)

    # ---- helpers

    def check(self, user, listener="pop3s", extra=(), password=None, host="127.0.0.1",
              json_output=True, timeout=120):
        args = ["--check", "--url", url(user, self.ports[listener], host)]
        if listener == "pop3s":
            args += ["--security", "tls"]
        elif listener == "pop3":
            args += ["--security", "starttls"]
        else:
            args += ["--security", "none"]
        if json_output:
            args.append("--json")
        args += list(extra)
        if password is None:
            password = self.dc.users[user]
        return mptest.run_mailpeek(args, password=password, timeout=timeout)

    def assert_ok(self, run, user, port):
        self.assertEqual(run.returncode, 0, run.describe())
        account = run.account
        self.assertEqual(account["status"], "ok", run.describe())
        self.assertIsNone(account["error"])
        self.assertEqual(account["account"], "%s@127.0.0.1:%d" % (user, port))
        return account

    def assert_error(self, run, *words):
        self.assertEqual(run.returncode, 1, run.describe())
        account = run.account
        self.assertEqual(account["status"], "error", run.describe())
        self.assertIsInstance(account["error"], str)
        for word in words:
            self.assertIn(word.lower(), account["error"].lower(), run.describe())
        return account

    def assert_headers(self, account, user):
        """Counts, sizes, UIDLs and decoded headers match what was put into
        USER's Maildir."""
        records = self.dc.messages[user]
        uidvalidity = self.dc.uidvalidity(user)
        self.assertEqual(account["messages"], len(records))
        self.assertEqual(account["bytes"], sum(r["list_size"] for r in records))
        headers = account["headers"]
        self.assertEqual(len(headers), len(records))
        for number, (header, record) in enumerate(zip(headers, records), 1):
            expect = record["expect"]
            with self.subTest(user=user, number=number, message=record["id"]):
                self.assertEqual(header["number"], number)
                self.assertEqual(header["size"], record["list_size"])
                self.assertEqual(header["uidl"], "%08x%08x" % (number, uidvalidity))
                for key in ("subject", "from", "from_name", "from_address", "date",
                            "message_id"):
                    self.assertEqual(header[key], expect[key], key)
                self.assertIn(expect["to_address"], header["to"])

    def assert_clean_session(self, offset, user, tops, port):
        """The server saw exactly TOPS header fetches, no RETR, no DELE,
        and a QUIT, on PORT."""
        s = mptest.session(self.dc, offset, user)
        self.assertEqual(s["lport"], port, s["text"])
        self.assertEqual(s["reason"], "Logged out", s["text"])
        self.assertEqual(s["top"], tops, s["text"])
        self.assertEqual(s["retr"], 0, s["text"])
        self.assertEqual(s["dele"], 0, s["text"])
        self.assertNotIn(self.dc.users[user], s["text"])
        return s

    # ---- the sample mailbox over implicit TLS

    def test_pop3s_cafile_sample_headers(self):
        offset = self.dc.log_offset()
        run = self.check("alice", extra=["--cafile", self.dc.cafile])
        account = self.assert_ok(run, "alice", self.ports["pop3s"])
        self.assertEqual(account["messages"], len(self.samples))
        self.assert_headers(account, "alice")
        self.assertIs(account.get("uidl"), True)
        self.assertIs(account.get("pipelining"), True)
        s = self.assert_clean_session(offset, "alice", len(self.samples), self.ports["pop3s"])
        self.assertTrue(s["tls"])

    def test_sample_charsets_one_by_one(self):
        """Each charset case separately, so a failure names the case."""
        run = self.check("alice", extra=["--cafile", self.dc.cafile])
        account = self.assert_ok(run, "alice", self.ports["pop3s"])
        by_id = dict(zip((r["id"] for r in self.dc.messages["alice"]), account["headers"]))
        cases = {
            "utf8-b": ("Отчёт за неделю", "Борис Петров"),
            "utf8-q": ("Grüße aus München – Prüfung bestanden", "Jürgen Müller"),
            "koi8r-b": ("Привет из Москвы, ёлки", "Иван Сидоров"),
            "cp1251": ("Счёт на оплату №42", "Ольга Кузнецова"),
            "iso2022jp": ("会議の議事録について", "山田太郎"),
            "latin1-q": ("Café crème à la française", "François Lefèvre"),
            "koi8r-raw": ("Срочно: новости отдела", "Пётр Смирнов"),
            "long-folded": ("Re: [mailpeek-devel] Weekly report and the long discussion "
                            "about длинные темы писем, которые переносятся на несколько "
                            "строк заголовка", "Mailing List"),
            "no-subject": (None, "Carol"),
            "no-date": ("Undated message", "Dave"),
            "big-attachment": ("Quarterly figures (attachment)", "Eve Example"),
            "bare-address": ("Your order 1234 — shipped", None),
        }
        self.assertEqual(set(cases), set(self.samples))
        for ident, (subject, name) in cases.items():
            with self.subTest(message=ident):
                header = by_id[ident]
                self.assertEqual(header["subject"], subject)
                self.assertEqual(header["from_name"], name)
                self.assertEqual(header["from_address"],
                                 self.samples[ident]["expect"]["from_address"])
        self.assertIsNone(by_id["no-date"]["date"])
        self.assertEqual(by_id["utf8-b"]["date"], "2025-11-24T16:00:00Z")
        self.assertEqual(by_id["iso2022jp"]["date"], "2025-11-28T00:30:00Z")
        self.assertEqual(by_id["latin1-q"]["date"], "2025-11-29T19:00:00Z")
        self.assertEqual(by_id["bare-address"]["from"], "noreply@shop.example.com")
        big = next(r for r in self.dc.messages["alice"] if r["id"] == "big-attachment")
        self.assertGreater(by_id["big-attachment"]["size"], 1024 * 1024)
        self.assertEqual(by_id["big-attachment"]["size"], big["list_size"])

    # ---- certificates

    def test_pop3s_pin_forms(self):
        fp = self.dc.fingerprint
        forms = {
            "as openssl prints it": fp,
            "lowercase with colons": fp.lower(),
            "lowercase without colons": fp.replace(":", "").lower(),
            "uppercase without colons": fp.replace(":", ""),
        }
        for label, pin in forms.items():
            with self.subTest(pin=label):
                offset = self.dc.log_offset()
                run = self.check("alice", extra=["--pin", pin])
                account = self.assert_ok(run, "alice", self.ports["pop3s"])
                self.assertEqual(account["messages"], len(self.samples))
                self.assert_clean_session(offset, "alice", len(self.samples),
                                          self.ports["pop3s"])

    def assert_rejected_before_login(self, offset, port):
        """No credentials went to the server: the pre-login process ended
        the session with no auth attempt and nobody logged in."""
        lines, text = mptest.login_disconnects(self.dc, offset, port)
        self.assertNotIn("Login:", text)
        self.assertNotIn("auth failed", text)
        self.assertNotIn("passwd-file", text)
        for line in lines:
            self.assertIn("user=<>", line)
            self.assertRegex(line, r"no auth attempts|TLS handshaking")

    def test_pop3s_untrusted_certificate(self):
        offset = self.dc.log_offset()
        run = self.check("alice")
        account = self.assert_error(run, "certificate")
        self.assertIn(self.dc.fingerprint, account["error"])
        self.assertEqual(account.get("headers") or [], [])
        self.assert_rejected_before_login(offset, self.ports["pop3s"])

    def test_pop3s_wrong_pin(self):
        fp = self.dc.fingerprint
        wrong = ("00" if not fp.startswith("00") else "11") + fp[2:]
        offset = self.dc.log_offset()
        run = self.check("alice", extra=["--pin", wrong])
        account = self.assert_error(run, "certificate")
        self.assertIn(fp, account["error"])
        self.assert_rejected_before_login(offset, self.ports["pop3s"])

    def test_pop3s_other_ca(self):
        other = os.path.join(self.tmp, "other-ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                        os.path.join(self.tmp, "other-key.pem"), "-out", other, "-days", "2",
                        "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        offset = self.dc.log_offset()
        run = self.check("alice", extra=["--cafile", other])
        account = self.assert_error(run, "certificate")
        self.assertIn(self.dc.fingerprint, account["error"])
        self.assert_rejected_before_login(offset, self.ports["pop3s"])

    def test_pop3s_host_name_localhost(self):
        # the certificate names DNS:localhost as well as IP:127.0.0.1
        run = self.check("alice", extra=["--cafile", self.dc.cafile], host="localhost")
        self.assertEqual(run.returncode, 0, run.describe())
        self.assertEqual(run.account["messages"], len(self.samples))

    # ---- STLS

    def test_starttls(self):
        ref = self.check("alice", extra=["--cafile", self.dc.cafile])
        self.assert_ok(ref, "alice", self.ports["pop3s"])
        offset = self.dc.log_offset()
        run = self.check("alice", "pop3", extra=["--cafile", self.dc.cafile])
        account = self.assert_ok(run, "alice", self.ports["pop3"])
        self.assertEqual(account["headers"], ref.account["headers"])
        self.assertEqual(account["bytes"], ref.account["bytes"])
        s = self.assert_clean_session(offset, "alice", len(self.samples), self.ports["pop3"])
        self.assertTrue(s["tls"], s["text"])

    def test_starttls_untrusted_certificate(self):
        offset = self.dc.log_offset()
        run = self.check("alice", "pop3")
        account = self.assert_error(run, "certificate")
        self.assertIn(self.dc.fingerprint, account["error"])
        self.assert_rejected_before_login(offset, self.ports["pop3"])

    def test_starttls_not_offered(self):
        port = self.ports["nostls"]
        offset = self.dc.log_offset("nostls")
        # through a recording proxy: the bytes prove what the client sent
        with mptest.Proxy(port) as proxy:
            args = ["--check", "--json", "--url", url("alice", proxy.port),
                    "--security", "starttls", "--cafile", self.dc.cafile]
            run = mptest.run_mailpeek(args, password=self.dc.users["alice"])
        account = self.assert_error(run, "STLS")
        self.assertEqual(len(proxy.connections), 1)
        sent = proxy.sent_by_client()
        commands = [line.split(b" ")[0].upper() for line in sent.split(b"\r\n") if line]
        # asking is fine (CAPA, or even STLS and taking the -ERR); USER,
        # PASS, APOP or AUTH are not
        self.assertTrue(commands, sent)
        self.assertTrue(set(commands) <= {b"CAPA", b"STLS", b"QUIT"}, sent)
        self.assertNotIn(b"alice", sent)
        self.assertNotIn(self.dc.users["alice"].encode(), sent)
        lines, text = mptest.login_disconnects(self.dc, offset, port, "nostls")
        self.assertEqual(len(lines), 1, text)
        self.assertIn("no auth attempts", lines[0])
        self.assertIn("user=<>", lines[0])
        self.assertNotIn("Login:", text)
        self.assertNotRegex(text, r"\bauth(-worker)?(\(|:)")
        self.assertEqual(account.get("headers") or [], [])

    # ---- plain, chosen explicitly

    def test_plain_prefers_hidden_password(self):
        """--security none works, and with APOP and CRAM-MD5 on offer the
        password does not cross the wire in the clear (DESIGN §2)."""
        for listener in ("nostls", "pop3"):
            with self.subTest(listener=listener):
                offset = self.dc.log_offset("nostls" if listener == "nostls" else "main")
                args = ["--check", "--json", "--security", "none",
                        "--url", url("alice", self.ports[listener])]
                run = mptest.run_mailpeek(args, password=self.dc.users["alice"])
                self.assertEqual(run.returncode, 0, run.describe())
                self.assertEqual(run.account["messages"], len(self.samples))
                s = mptest.session(self.dc, offset, "alice",
                                   "nostls" if listener == "nostls" else "main")
                self.assertIn(s["method"], ("APOP", "CRAM-MD5"), s["text"])
                self.assertFalse(s["tls"])
                self.assertEqual((s["top"], s["dele"], s["reason"]),
                                 (len(self.samples), 0, "Logged out"))

    # ---- failures

    def test_wrong_password(self):
        offset = self.dc.log_offset()
        run = self.check("alice", extra=["--cafile", self.dc.cafile],
                         password="not-the-password")
        account = self.assert_error(run, "password")
        self.assertEqual(account.get("headers") or [], [])
        text = self.dc.wait_log(offset, "auth failed")
        self.assertNotIn("Login: user=<alice>", text)
        self.assertNotIn("not-the-password", text)
        self.assertNotIn("not-the-password", run.stdout + run.stderr)

    def test_connection_refused(self):
        port = mpd.free_port()
        run = mptest.run_mailpeek(["--check", "--json", "--url", url("alice", port),
                                   "--security", "tls"], password="x", timeout=60)
        self.assert_error(run, "refused")
        self.assertEqual(run.account["account"], "alice@127.0.0.1:%d" % port)

    def test_server_never_answers(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        accepted = []

        def accept():
            try:
                while True:
                    accepted.append(listener.accept()[0])
            except OSError:
                pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            run = mptest.run_mailpeek(["--check", "--json", "--timeout", "2", "--security",
                                       "none", "--url", url("alice", port)],
                                      password="x", timeout=60)
        finally:
            listener.close()
            for conn in accepted:
                conn.close()
        account = self.assert_error(run)
        self.assertRegex(account["error"], r"(?i)time|did not answer|no answer")
        self.assertLess(run.elapsed, 20, run.describe())
        self.assertEqual(len(accepted), 1)

    def test_no_password_no_terminal(self):
        args = ["--check", "--json", "--cafile", self.dc.cafile,
                "--url", url("alice", self.ports["pop3s"])]
        offset = self.dc.log_offset()
        run = mptest.run_mailpeek(args, password=None, timeout=60)
        self.assertIn(run.returncode, (1, 2), run.describe())
        self.assertNotIn("Login: user=<alice>", self.dc.log_since(offset))

    def test_usage_errors(self):
        port = str(self.ports["pop3s"])
        cases = {
            "unknown option": ["--check", "--no-such-option"],
            "bad scheme": ["--check", "--url", "imap://alice@127.0.0.1:" + port],
            "no user": ["--check", "--url", "pop3://127.0.0.1:" + port],
            "bad port": ["--check", "--url", "pop3://alice@127.0.0.1:99999"],
            "bad security": ["--check", "--url", "pop3://alice@127.0.0.1:" + port,
                             "--security", "maybe"],
            "pin not hex": ["--check", "--url", "pop3://alice@127.0.0.1:" + port,
                            "--pin", "zz" * 32],
            "pin too short": ["--check", "--url", "pop3://alice@127.0.0.1:" + port,
                              "--pin", self.dc.fingerprint[:-3]],
            "timeout not a number": ["--check", "--url", "pop3://alice@127.0.0.1:" + port,
                                     "--timeout", "soon"],
        }
        for label, args in cases.items():
            with self.subTest(case=label):
                offset = self.dc.log_offset()
                run = mptest.run_mailpeek(args, password=self.dc.users["alice"], timeout=30)
                self.assertEqual(run.returncode, 2, run.describe())
                self.assertNotIn("Login:", self.dc.log_since(offset))

    # ---- pipelining and size

    def test_no_pipelining_same_result(self):
        offsets = []
        runs = []
        for extra in ([], ["--no-pipelining"]):
            offsets.append(self.dc.log_offset())
            runs.append(self.check("alice", extra=["--cafile", self.dc.cafile] + extra))
            self.assert_ok(runs[-1], "alice", self.ports["pop3s"])
            self.assert_clean_session(offsets[-1], "alice", len(self.samples),
                                      self.ports["pop3s"])
        pipelined, sequential = (r.account for r in runs)
        self.assertIs(pipelined.get("pipelining"), True)
        self.assertIs(sequential.get("pipelining"), False)
        for key in ("account", "status", "error", "messages", "bytes", "headers"):
            self.assertEqual(pipelined[key], sequential[key], key)

    def test_big_mailbox(self):
        offset = self.dc.log_offset()
        run = self.check("bob", extra=["--cafile", self.dc.cafile])
        account = self.assert_ok(run, "bob", self.ports["pop3s"])
        self.assertEqual(account["messages"], BIG)
        self.assert_headers(account, "bob")
        self.assertEqual(len({h["uidl"] for h in account["headers"]}), BIG)
        self.assert_clean_session(offset, "bob", BIG, self.ports["pop3s"])

    def test_empty_mailbox(self):
        offset = self.dc.log_offset()
        run = self.check("dave", extra=["--cafile", self.dc.cafile])
        account = self.assert_ok(run, "dave", self.ports["pop3s"])
        self.assertEqual((account["messages"], account["bytes"], account["headers"]),
                         (0, 0, []))
        self.assert_clean_session(offset, "dave", 0, self.ports["pop3s"])

    def test_unusual_password(self):
        """Spaces and UTF-8 in the password, over USER/PASS or SASL (TLS)
        and over APOP/CRAM-MD5 (plain)."""
        for listener in ("pop3s", "nostls"):
            with self.subTest(listener=listener):
                which = "nostls" if listener == "nostls" else "main"
                offset = self.dc.log_offset(which)
                run = self.check("carol", listener, extra=["--cafile", self.dc.cafile])
                account = self.assert_ok(run, "carol", self.ports[listener])
                self.assert_headers(account, "carol")
                s = mptest.session(self.dc, offset, "carol", which)
                self.assertEqual((s["top"], s["dele"], s["reason"]), (3, 0, "Logged out"))

    def test_mailbox_unchanged(self):
        """After all the sessions the Maildir still holds every message,
        byte for byte."""
        run = self.check("alice", extra=["--cafile", self.dc.cafile])
        self.assert_ok(run, "alice", self.ports["pop3s"])
        for record in self.dc.messages["alice"]:
            path = self.dc.message_path("alice", record)
            self.assertIsNotNone(path, record["name"])
            with open(path, "rb") as f:
                self.assertEqual(f.read(), record["data"])

    # ---- human output

    def test_human_output(self):
        run = self.check("alice", extra=["--cafile", self.dc.cafile], json_output=False)
        self.assertEqual(run.returncode, 0, run.describe())
        lines = [line for line in run.stdout.splitlines() if line.strip()]
        self.assertGreaterEqual(len(lines), 1 + len(self.samples), run.describe())
        self.assertIn(str(len(self.samples)), lines[0])
        body = "\n".join(lines[1:])
        for ident, sample in self.samples.items():
            expect = sample["expect"]
            with self.subTest(message=ident):
                if expect["subject"] and len(expect["subject"]) < 50:
                    self.assertIn(expect["subject"], body)
                self.assertIn(expect["from_name"] or expect["from_address"], body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
