#!/usr/bin/python3
# test-harness.py: prove the Dovecot harness itself with Python's poplib
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The CLI integration tests trust the harness for sizes, UIDLs, listeners,
# certificates and the log lines that count TOP commands; this checks each
# of those against the real server with an independent client.

import base64
import hashlib
import hmac
import importlib.util
import json
import os
import poplib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "mp-dovecot.py")


def load_harness():
    spec = importlib.util.spec_from_file_location("mp_dovecot", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mpd = load_harness()

LOGOUT_RE = re.compile(r"pop3\((?P<user>[^)]+)\)<\d+><[^>]*>: Info: Disconnected: "
                       r"(?P<reason>[^\n]*?) top=(?P<top>\d+)/\d+, retr=(?P<retr>\d+)/\d+, "
                       r"del=(?P<dele>\d+)/(?P<msgs>\d+), size=(?P<size>\d+)")


class HarnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mp-harness-test-")
        os.chmod(cls.tmp, 0o755)
        cls.dc = mpd.Dovecot(os.path.join(cls.tmp, "dc"))
        cls.dc.start(sample=True)
        cls.bob = cls.dc.fill("bob", 30)
        cls.ctx = ssl.create_default_context(cafile=cls.dc.cafile)

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def pop3(self, listener="pop3"):
        port = self.dc.ports[listener]
        if listener == "pop3s":
            return poplib.POP3_SSL("127.0.0.1", port, context=self.ctx, timeout=10)
        return poplib.POP3("127.0.0.1", port, timeout=10)

    def login(self, user, listener="pop3s"):
        p = self.pop3(listener)
        if listener == "pop3":
            p.stls(context=self.ctx)
        p.user(user)
        p.pass_(self.dc.users[user])
        return p

    def test_listeners_and_stls(self):
        p = self.pop3("pop3")
        self.assertIn("STLS", p.capa())
        p.stls(context=self.ctx)
        self.assertNotIn("STLS", p.capa())
        p.quit()

        p = self.pop3("nostls")
        capa = p.capa()
        self.assertNotIn("STLS", capa)
        self.assertIn("PIPELINING", capa)
        with self.assertRaises(poplib.error_proto):
            p.stls(context=self.ctx)
        p.quit()

        p = self.pop3("pop3s")
        self.assertNotIn("STLS", p.capa())
        p.quit()

    def test_certificate(self):
        for host in ("localhost", "127.0.0.1"):
            with socket.create_connection(("127.0.0.1", self.dc.ports["pop3s"]), 10) as raw:
                with self.ctx.wrap_socket(raw, server_hostname=host) as tls:
                    der = tls.getpeercert(binary_form=True)
                    self.assertTrue(tls.recv(100).startswith(b"+OK"))
        digest = hashlib.sha256(der).hexdigest().upper()
        self.assertEqual(self.dc.fingerprint.replace(":", ""), digest)
        self.assertRegex(self.dc.fingerprint, r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$")
        out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256",
                              "-in", self.dc.cafile], capture_output=True, text=True,
                             check=True).stdout
        self.assertIn(self.dc.fingerprint, out)

        # the system trust store does not know our certificate
        plain = ssl.create_default_context()
        with socket.create_connection(("127.0.0.1", self.dc.ports["pop3s"]), 10) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                plain.wrap_socket(raw, server_hostname="localhost")

    def test_sizes_uidl_content(self):
        p = self.login("alice", "pop3")
        records = self.dc.messages["alice"]
        count, size = p.stat()
        self.assertEqual(count, len(records))
        self.assertEqual(count, len(mpd.sample_messages()))
        self.assertEqual(size, sum(r["list_size"] for r in records))
        listing = [line.split() for line in p.list()[1]]
        uidvalidity = self.dc.uidvalidity("alice")
        uidl = [line.split() for line in p.uidl()[1]]
        for i, record in enumerate(records, 1):
            with self.subTest(message=i, ident=record["id"]):
                self.assertEqual(listing[i - 1], [b"%d" % i, b"%d" % record["list_size"]])
                self.assertEqual(uidl[i - 1][1].decode(), "%08x%08x" % (i, uidvalidity))
                with open(self.dc.message_path("alice", record), "rb") as f:
                    data = f.read()
                self.assertEqual(data, record["data"])
                wire = b"\r\n".join(p.retr(i)[1]) + b"\r\n"
                self.assertEqual(wire, mpd.to_crlf(data))
                self.assertEqual(len(wire), record["list_size"])
                head = b"\r\n".join(p.top(i, 0)[1]) + b"\r\n"
                self.assertEqual(head, mpd.to_crlf(data.split(b"\n\n", 1)[0] + b"\n\n"))
        p.quit()

    def test_mechanisms(self):
        user, password = "bob", self.dc.users["bob"]
        # APOP on the plain listener (timestamp in the greeting)
        p = self.pop3("nostls")
        self.assertRegex(p.getwelcome().decode(), r"<[^>]+@[^>]+>")
        p.apop(user, password)
        self.assertEqual(p.stat()[0], len(self.dc.messages["bob"]))
        p.quit()
        # SASL PLAIN with an initial response
        p = self.pop3("pop3s")
        resp = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode())
        self.assertTrue(p._shortcmd("AUTH PLAIN " + resp.decode()).startswith(b"+OK"))
        p.quit()
        # CRAM-MD5
        p = self.pop3("pop3s")
        challenge = p._shortcmd("AUTH CRAM-MD5")
        self.assertTrue(challenge.startswith(b"+ "))
        nonce = base64.b64decode(challenge[2:])
        digest = hmac.new(password.encode(), nonce, hashlib.md5).hexdigest()
        answer = base64.b64encode(("%s %s" % (user, digest)).encode()).decode()
        self.assertTrue(p._shortcmd(answer).startswith(b"+OK"))
        p.quit()
        # a wrong password
        p = self.pop3("pop3s")
        p.user(user)
        with self.assertRaisesRegex(poplib.error_proto, r"\[AUTH\]"):
            p.pass_("not-" + password)
        p.close()

    def test_logout_log_counts_top(self):
        offset = self.dc.log_offset()
        p = self.login("bob", "pop3s")
        for i in (1, 2, 3):
            p.top(i, 0)
        p.retr(4)
        p.quit()
        text = self.dc.wait_log(offset, "pop3(bob)")
        match = LOGOUT_RE.search(text)
        self.assertIsNotNone(match, text)
        self.assertEqual(match["reason"], "Logged out")
        self.assertEqual((match["top"], match["retr"], match["dele"], match["msgs"]),
                         ("3", "1", "0", str(len(self.dc.messages["bob"]))))
        self.assertIn("method=PLAIN", text)
        self.assertNotIn(self.dc.users["bob"], text)

    def test_nostls_log_without_auth(self):
        offset = self.dc.log_offset("nostls")
        p = self.pop3("nostls")
        p.capa()
        p.quit()
        text = self.dc.wait_log(offset, "pop3-login", "nostls")
        self.assertIn("no auth attempts", text)
        self.assertIn("user=<>", text)
        self.assertIn("lport=%d" % self.dc.ports["nostls"], text)

    def test_add_message_lf_and_dot(self):
        # a body line starting with "." must come back dot-stuffed on the
        # wire and unstuffed by the client; sizes count CRLF
        data = b"From: x@example.org\nSubject: dots\n\n.hidden\n..two\nend\n"
        record = self.dc.add_message("bob", data)
        p = self.login("bob")
        count, _ = p.stat()
        self.assertEqual(p.list(count).split()[2], b"%d" % record["list_size"])
        self.assertEqual(b"\r\n".join(p.retr(count)[1]) + b"\r\n", mpd.to_crlf(data))
        p.quit()
        self.assertEqual(record["list_size"], len(data) + data.count(b"\n"))


class CommandLineTest(unittest.TestCase):
    def run_cli(self, *args):
        result = subprocess.run([sys.executable, HARNESS] + list(args),
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def test_start_fill_add_stop(self):
        tmp = tempfile.mkdtemp(prefix="mp-harness-cli-")
        os.chmod(tmp, 0o755)
        directory = os.path.join(tmp, "dc")
        try:
            info = self.run_cli("start", "--dir", directory, "--messages", "5")
            try:
                for key in ("dir", "pid", "ports", "users", "cafile", "fingerprint",
                            "maildir", "log"):
                    self.assertIn(key, info)
                self.assertEqual(sorted(info["ports"]), ["nostls", "pop3", "pop3s"])
                self.assertEqual(info["messages"]["alice"], 5)
                self.assertTrue(mpd.process_alive(info["pid"]))
                out = self.run_cli("fill", "--dir", directory, "--user", "alice",
                                   "--messages", "2")
                self.assertEqual(out["added"], 2)
                msg = os.path.join(tmp, "one.eml")
                with open(msg, "wb") as f:
                    f.write(b"From: a@b.example\nSubject: one\n\nbody\n")
                out = self.run_cli("add", "--dir", directory, "--user", "bob", msg)
                # 37 bytes with 4 LF line ends
                self.assertEqual(out["list_size"], 41)
                p = poplib.POP3("127.0.0.1", info["ports"]["nostls"], timeout=10)
                p.user("alice")
                p.pass_(info["users"]["alice"])
                self.assertEqual(p.stat()[0], 7)
                # fill continues the numbering rather than repeating it
                self.assertIn(b"Subject: Test message 7 of the fill", p.top(7, 0)[1])
                p.quit()
            finally:
                self.run_cli("stop", "--dir", directory)
            for pid in info["pids"].values():
                self.assertFalse(mpd.process_alive(pid))
                self.assertEqual(mpd.group_members(pid), [])
            for port in info["ports"].values():
                with self.assertRaises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", port), 2).close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
