#!/usr/bin/python3
# test-cli-accounts.py: mailpeek --add-account / --list-accounts / --remove-account
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs the real binary (MAILPEEK_BIN) as separate processes that share
# their settings through GSettings' keyfile backend, inside
# tests/session-run.sh (private session bus, unlocked gnome-keyring,
# everything under MP_SESSION_DIR). Passwords are checked with secret-tool,
# an independent libsecret client, and searched for in every file the
# session wrote and in everything the binary printed.

import json
import os
import pty
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

MAILPEEK = os.environ.get("MAILPEEK_BIN")
SESSION_DIR = os.environ.get("MP_SESSION_DIR")
SCHEMA = "io.github.mailpeek.Mailpeek.Password"
TIMEOUT = 60

# A test certificate (public only) for --cafile.
TEST_CA = """-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUCPDQIVNOLw3yrctrab8pH+jNyn8wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQTWFpbHBlZWsgdGVzdCBDQTAgFw0yNjExMjgxNzM4MDdaGA8y
MTI2MTEwNDE3MzgwN1owGzEZMBcGA1UEAwwQTWFpbHBlZWsgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABBRVLbmUW/w6/gLiLWmEJbiwSsK4W5lWAAMb
KKTkjPkv5Ec2HbebViGUyZlVQfCobJAukVu3XMZ2GQ7KuTubQACjUzBRMB0GA1Ud
DgQWBBTxAx/udoyixUGWxEzZoDRv3UIH9DAfBgNVHSMEGDAWgBTxAx/udoyixUGW
xEzZoDRv3UIH9DAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIHJJ
HXbPf12vmeYykSpKAJIBSBkVf7pRnr02xCLWm2//AiEAyUk5ii2neSV7j97zIyeB
VK0giI+1zxuo+dotAOIl3Ps=
-----END CERTIFICATE-----
"""


def files_under(top):
    for root, dirs, names in os.walk(top):
        for name in names:
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                yield path


class CliAccountsTest(unittest.TestCase):
    def setUp(self):
        # Each test its own settings and state, inside the session
        # directory so the plaintext search covers them.
        self.dir = tempfile.mkdtemp(prefix="cli-accounts-", dir=SESSION_DIR)
        self.config = os.path.join(self.dir, "config")
        self.state = os.path.join(self.dir, "state")
        self.outputs = []
        self.env = dict(os.environ)
        self.env.update({
            "GSETTINGS_BACKEND": "keyfile",
            "XDG_CONFIG_HOME": self.config,
            "XDG_STATE_HOME": self.state,
            "LC_ALL": "C.UTF-8",
        })
        self.env.pop("MAILPEEK_PASSWORD", None)
        # The keyring is shared by the tests of this run.
        self.clear_keyring()

    def tearDown(self):
        self.clear_keyring()
        shutil.rmtree(self.dir, ignore_errors=True)

    def clear_keyring(self):
        subprocess.run(["secret-tool", "clear", "xdg:schema", SCHEMA],
                       capture_output=True, timeout=TIMEOUT)

    def mailpeek(self, *args, password=None, env=None):
        run_env = dict(self.env)
        if password is not None:
            run_env["MAILPEEK_PASSWORD"] = password
        if env:
            for key, value in env.items():
                if value is None:
                    run_env.pop(key, None)
                else:
                    run_env[key] = value
        proc = subprocess.run([MAILPEEK, *args], env=run_env, capture_output=True,
                              text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True)
        self.outputs.append(proc.stdout + proc.stderr)
        return proc

    def add(self, name, url, *extra, password="pw-Default-1"):
        proc = self.mailpeek("--add-account", name, "--url", url, *extra, password=password)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def list_json(self):
        proc = self.mailpeek("--list-accounts", "--json")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)["accounts"]

    def keyring_lookup(self, account_id):
        proc = subprocess.run(["secret-tool", "lookup", "xdg:schema", SCHEMA,
                               "account-id", account_id],
                              capture_output=True, text=True, timeout=TIMEOUT)
        return proc.stdout if proc.returncode == 0 else None

    def keyring_items(self):
        proc = subprocess.run(["secret-tool", "search", "--all", "xdg:schema", SCHEMA],
                              capture_output=True, text=True, timeout=TIMEOUT)
        return re.findall(r"^attribute\.account-id = (\S+)$", proc.stdout + proc.stderr,
                          re.MULTILINE)

    def assert_nowhere(self, secret):
        """secret is in no file of the session and in no output so far."""
        needle = secret.encode()
        n_files = 0
        keyring_files = 0
        for path in files_under(SESSION_DIR):
            with open(path, "rb") as f:
                data = f.read()
            n_files += 1
            if "/keyrings/" in path:
                keyring_files += 1
            self.assertNotIn(needle, data, f"the password is in plain text in {path}")
        # The search must have covered the keyring and the settings.
        self.assertGreater(keyring_files, 0)
        self.assertTrue(os.path.exists(os.path.join(self.config, "glib-2.0", "settings",
                                                    "keyfile")))
        self.assertGreater(n_files, keyring_files)
        for output in self.outputs:
            self.assertNotIn(secret, output)

    def test_add_list_remove(self):
        proc = self.add("work", "pop3://alice@127.0.0.1:11995", "--security", "starttls",
                        "--interval", "5", password="Zs8-work-pass")
        self.assertIn("work", proc.stdout)
        self.assertIn("alice@127.0.0.1:11995", proc.stdout)

        accounts = self.list_json()
        self.assertEqual(len(accounts), 1)
        work = accounts[0]
        self.assertRegex(work["id"], r"^[0-9a-f]{32}$")
        self.assertEqual(work, {
            "name": "work", "id": work["id"], "account": "alice@127.0.0.1:11995",
            "host": "127.0.0.1", "port": 11995, "security": "starttls", "user": "alice",
            "auth": "auto", "interval": 5, "enabled": True,
            "pinned_fingerprint": None, "cafile": None,
        })
        self.assertEqual(self.keyring_lookup(work["id"]), "Zs8-work-pass")

        # Defaults: tls on 995, every 10 minutes; a relative --cafile is
        # made absolute; IPv6 labels get brackets.
        ca = os.path.join(self.dir, "ca.pem")
        with open(ca, "w") as f:
            f.write(TEST_CA)
        proc = subprocess.run([MAILPEEK, "--add-account", "Почта", "--url", "pop3://bob@[::1]",
                               "--cafile", "ca.pem"],
                              env=dict(self.env, MAILPEEK_PASSWORD="Zs8-mail-pass"),
                              cwd=self.dir, capture_output=True, text=True, timeout=TIMEOUT)
        self.outputs.append(proc.stdout + proc.stderr)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        pin = "AB:" * 31 + "AB"
        self.add("pinned", "pop3://carol@pop.example.org:1995", "--pin", pin,
                 password="Zs8-pin-pass")

        accounts = {a["name"]: a for a in self.list_json()}
        self.assertEqual(list(accounts), ["work", "Почта", "pinned"])
        mail = accounts["Почта"]
        self.assertEqual(mail["account"], "bob@[::1]:995")
        self.assertEqual(mail["port"], 995)
        self.assertEqual(mail["security"], "tls")
        self.assertEqual(mail["interval"], 10)
        self.assertEqual(mail["cafile"], ca)
        self.assertEqual(accounts["pinned"]["pinned_fingerprint"], "ab" * 32)

        proc = self.mailpeek("--list-accounts")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 4, proc.stdout)
        self.assertEqual(lines[0].split(), ["NAME", "ACCOUNT", "SECURITY", "INTERVAL", "ENABLED"])
        self.assertEqual(lines[1].split(),
                         ["work", "alice@127.0.0.1:11995", "starttls", "5", "min", "yes"])
        self.assertEqual(lines[2].split(), ["Почта", "bob@[::1]:995", "tls", "10", "min", "yes"])
        # Columns line up.
        self.assertEqual(lines[1].index("alice"), lines[2].index("bob"))

        # State files of "work" (and what was set aside from it) go with
        # it; another account's stay.
        state_dir = os.path.join(self.state, "mailpeek")
        os.makedirs(state_dir)
        # (KEY.json: the unreleased state format 1.)
        doomed = [os.path.join(state_dir, work["id"] + ".state"),
                  os.path.join(state_dir, work["id"] + ".state.corrupt-20260101T000000"),
                  os.path.join(state_dir, work["id"] + ".json"),
                  os.path.join(state_dir, work["id"] + ".json.corrupt-20260101T000000")]
        kept = os.path.join(state_dir, mail["id"] + ".state")
        for path in doomed + [kept]:
            with open(path, "w") as f:
                f.write("{}")

        proc = self.mailpeek("--remove-account", "work")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("work", proc.stdout)
        self.assertEqual([a["name"] for a in self.list_json()], ["Почта", "pinned"])
        self.assertIsNone(self.keyring_lookup(work["id"]))
        self.assertEqual(self.keyring_lookup(mail["id"]), "Zs8-mail-pass")
        for path in doomed:
            self.assertFalse(os.path.exists(path), path)
        self.assertTrue(os.path.exists(kept))

        # By id works too.
        proc = self.mailpeek("--remove-account", mail["id"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([a["name"] for a in self.list_json()], ["pinned"])
        self.assertIsNone(self.keyring_lookup(mail["id"]))

        proc = self.mailpeek("--remove-account", "work")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("work", proc.stderr)

    def test_check_account_uses_keyring_password(self):
        """--check --account looks the password up in the keyring (and
        releases it properly: it lives in libsecret's secure memory)."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # Nothing listens on port now: the check fails at connect, after
        # the password lookup.
        self.add("closed", f"pop3://ivan@127.0.0.1:{port}", "--security", "none",
                 password="Kr-lookup-pw")
        proc = self.mailpeek("--check", "--account", "closed", "--timeout", "5", "--json")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertNotIn("AddressSanitizer", proc.stderr)
        result = json.loads(proc.stdout)["accounts"][0]
        self.assertEqual(result["status"], "error")
        self.assertNotIn("keyring", result["error"])
        self.assertNotIn("password", result["error"].lower())
        self.assert_nowhere("Kr-lookup-pw")

        # Without the password in the keyring the same check says so.
        subprocess.run(["secret-tool", "clear", "xdg:schema", SCHEMA], timeout=TIMEOUT)
        proc = self.mailpeek("--check", "--account", "closed", "--timeout", "5")
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("No password is stored", proc.stdout + proc.stderr)

    def test_empty_list(self):
        self.assertEqual(self.list_json(), [])
        proc = self.mailpeek("--list-accounts")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("No accounts", proc.stdout)

    def test_password_never_on_disk_or_in_output(self):
        secret = "Qx7-never-on-disk-\u00e4\u00df"
        self.add("secret", "pop3://dave@127.0.0.1:11995", password=secret)
        account = self.list_json()[0]
        self.assertEqual(self.keyring_lookup(account["id"]), secret)
        self.mailpeek("--list-accounts")
        self.assert_nowhere(secret)

        # Removing it must not leave it behind either.
        self.assertEqual(self.mailpeek("--remove-account", "secret").returncode, 0)
        self.assert_nowhere(secret)

    def test_password_from_terminal(self):
        """Without MAILPEEK_PASSWORD the password is read from the
        terminal with echo off."""
        secret = "Tty-typed-Pw9"
        env = dict(self.env)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(MAILPEEK, [MAILPEEK, "--add-account", "tty",
                                     "--url", "pop3://erin@127.0.0.1:11995"], env)
            finally:
                os._exit(127)

        output = b""
        deadline = time.monotonic() + TIMEOUT
        sent = False
        status = None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            if not sent and b"Password for erin@127.0.0.1:11995" in output:
                os.write(fd, secret.encode() + b"\n")
                sent = True
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, 9)
            self.fail(f"mailpeek did not finish: {output!r}")
        if status is None or not os.WIFEXITED(status):
            _, status = os.waitpid(pid, 0)
        os.close(fd)

        self.assertTrue(sent, output)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, output)
        self.assertNotIn(secret.encode(), output)
        self.outputs.append(output.decode(errors="replace"))
        self.assertEqual(self.keyring_lookup(self.list_json()[0]["id"]), secret)

    def test_no_secret_service(self):
        dead_bus = "unix:path=" + os.path.join(self.dir, "no-bus-here")
        cases = [
            ("dead-bus", {"DBUS_SESSION_BUS_ADDRESS": dead_bus}),
            ("no-bus", {"DBUS_SESSION_BUS_ADDRESS": None, "DISPLAY": None}),
        ]
        for name, env in cases:
            with self.subTest(name):
                start = time.monotonic()
                proc = self.mailpeek("--add-account", name, "--url", "pop3://frank@127.0.0.1",
                                     password="Nk-unstored-1", env=env)
                self.assertLess(time.monotonic() - start, 20)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertIn("No keyring (Secret Service) is running", proc.stderr)
                self.assertIn("not added", proc.stderr)
                self.assertEqual(proc.stdout, "")
                # Nothing half-added, in any process's view.
                self.assertEqual(self.list_json(), [])
                self.assertNotIn(name, self.mailpeek("--list-accounts").stdout)
        self.assertEqual(self.keyring_items(), [])

    def test_duplicate_name(self):
        self.add("dup", "pop3://gina@127.0.0.1")
        first = self.list_json()[0]
        proc = self.mailpeek("--add-account", "dup", "--url", "pop3://other@example.org",
                             password="Dup-second-pw")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("already exists", proc.stderr)
        self.assertEqual(self.list_json(), [first])
        # The second password did not reach the keyring.
        self.assertEqual(self.keyring_items().count(first["id"]), 1)
        self.assertEqual(len(self.keyring_items()), 1)
        self.mailpeek("--remove-account", "dup")

    def test_usage_errors(self):
        ca = os.path.join(self.dir, "ca.pem")
        with open(ca, "w") as f:
            f.write(TEST_CA)
        url = "pop3://henry@127.0.0.1"
        cases = [
            ["--add-account", "x"],
            ["--add-account", "", "--url", url],
            ["--add-account", "a\nb", "--url", url],
            ["--add-account", "x", "--url", "imap://henry@127.0.0.1"],
            ["--add-account", "x", "--url", "pop3://henry:secret@127.0.0.1"],
            ["--add-account", "x", "--url", "pop3://127.0.0.1"],
            ["--add-account", "x", "--url", url, "--security", "ssl"],
            ["--add-account", "x", "--url", url, "--interval", "0"],
            ["--add-account", "x", "--url", url, "--interval", "1441"],
            ["--add-account", "x", "--url", url, "--interval", "ten"],
            ["--add-account", "x", "--url", url, "--pin", "xyz"],
            ["--add-account", "x", "--url", url, "--cafile", ca, "--pin", "ab" * 32],
            ["--add-account", "x", "--url", url, "--cafile", os.path.join(self.dir, "missing.pem")],
            ["--add-account", "x", "--url", url, "--json"],
            ["--add-account", "x", "--url", url, "--list-accounts"],
            ["--add-account", "x", "--url", url, "--check"],
            ["--add-account", "x", "--url", url, "--watch"],
            ["--list-accounts", "--account", "x"],
            ["--list-accounts", "--url", url],
            ["--list-accounts", "--remove-account", "x"],
            ["--remove-account", "x", "--json"],
            ["--remove-account"],
            ["--list-accounts", "stray"],
        ]
        for args in cases:
            with self.subTest(args=args):
                proc = self.mailpeek(*args, password="Usage-pw-1")
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertTrue(proc.stderr.startswith("mailpeek: "), proc.stderr)
                self.assertEqual(proc.stdout, "")
        # Without a password from anywhere it is a usage error too.
        proc = self.mailpeek("--add-account", "x", "--url", url)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("MAILPEEK_PASSWORD", proc.stderr)
        proc = self.mailpeek("--add-account", "x", "--url", url, password="")
        self.assertEqual(proc.returncode, 2, proc.stderr)

        self.assertEqual(self.list_json(), [])
        self.assertEqual(self.keyring_items(), [])


if __name__ == "__main__":
    if not MAILPEEK or not SESSION_DIR:
        sys.exit("run through tests/session-run.sh with MAILPEEK_BIN set (meson test does)")
    unittest.main(verbosity=2)
