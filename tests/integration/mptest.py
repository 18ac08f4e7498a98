# mptest.py: shared helpers for the integration tests against real Dovecot
#
# SPDX-License-Identifier: GPL-3.0-or-later

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "..", "dovecot", "mp-dovecot.py")
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import mpproxy  # noqa: E402

# the recording and latency-adding TCP proxy, for tests that must see the
# bytes a client sent
Proxy = mpproxy.Proxy

# meson's exit code for a skipped test
SKIP = 77


def load_harness():
    """mp-dovecot.py as a module (its name has a dash); loaded once."""
    if "mp_dovecot" not in sys.modules:
        spec = importlib.util.spec_from_file_location("mp_dovecot", HARNESS)
        module = importlib.util.module_from_spec(spec)
        sys.modules["mp_dovecot"] = module
        spec.loader.exec_module(module)
    return sys.modules["mp_dovecot"]


_tmpdirs = set()


def _on_sigterm(signum, frame):
    """meson sends SIGTERM on a timeout; unittest would swallow a
    SystemExit raised in a test, so clean up here and die of the signal."""
    load_harness().stop_all()
    for path in list(_tmpdirs):
        shutil.rmtree(path, ignore_errors=True)
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


if (threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
    signal.signal(signal.SIGTERM, _on_sigterm)


def mailpeek_bin():
    """The binary under test, from meson (MAILPEEK_BIN); exits with SKIP
    when run by hand without it."""
    path = os.environ.get("MAILPEEK_BIN")
    if not path:
        print("MAILPEEK_BIN is not set; run through `meson test` or set it", file=sys.stderr)
        sys.exit(SKIP)
    if not os.access(path, os.X_OK):
        print("MAILPEEK_BIN=%s is not executable" % path, file=sys.stderr)
        sys.exit(1)
    return path


def make_tmpdir(prefix):
    """A temporary directory Dovecot's unprivileged processes can enter."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    _tmpdirs.add(path)
    return path


def remove_tmpdir(path):
    shutil.rmtree(path, ignore_errors=True)
    _tmpdirs.discard(path)


class Run:
    def __init__(self, args, returncode, stdout, stderr, elapsed):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self._json = None

    @property
    def json(self):
        """stdout as exactly one JSON document (json.loads refuses any
        trailing text)."""
        if self._json is None:
            try:
                self._json = json.loads(self.stdout)
            except ValueError as e:
                raise AssertionError("stdout is not one JSON document (%s):\n%s\n"
                                     "stderr:\n%s" % (e, self.stdout, self.stderr))
        return self._json

    @property
    def account(self):
        accounts = self.json["accounts"]
        if len(accounts) != 1:
            raise AssertionError("expected one account, got %r" % accounts)
        return accounts[0]

    def describe(self):
        return ("mailpeek %s\nexit %s after %.2f s\nstdout:\n%s\nstderr:\n%s"
                % (" ".join(self.args), self.returncode, self.elapsed,
                   self.stdout[:4000], self.stderr[-4000:]))


def run_mailpeek(args, password=None, timeout=120, env=None, home=None):
    """Run the binary with ARGS; the password goes through the environment
    only.  A new session and stdin from /dev/null: no terminal to prompt
    on.  HOME and the XDG directories point into HOME (default: a fresh
    temporary directory per run), so no run sees state from another run or
    touches the real home."""
    fresh = home is None
    if fresh:
        home = tempfile.mkdtemp(prefix="mp-home-")
        _tmpdirs.add(home)
    try:
        return _run(args, password, timeout, env, home)
    finally:
        if fresh:
            remove_tmpdir(home)


def mailpeek_env(home, password=None, env=None):
    """The environment a run of the binary gets: HOME and the XDG
    directories inside HOME, the password (if any) in MAILPEEK_PASSWORD."""
    full_env = dict(os.environ)
    full_env.pop("MAILPEEK_PASSWORD", None)
    full_env["LC_ALL"] = "C.UTF-8"
    full_env["HOME"] = home
    for var, sub in (("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                     ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")):
        full_env[var] = os.path.join(home, sub)
    full_env.setdefault("GSETTINGS_BACKEND", "memory")
    if password is not None:
        full_env["MAILPEEK_PASSWORD"] = password
    if env:
        full_env.update(env)
    return full_env


def _run(args, password, timeout, env, home):
    full_env = mailpeek_env(home, password, env)
    argv = [mailpeek_bin()] + list(args)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=full_env, start_new_session=True,
                            preexec_fn=load_harness().die_with_parent)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        out, err = proc.communicate()
        raise AssertionError("mailpeek %s did not finish within %d s\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(args), timeout, out.decode(errors="replace"),
                                err.decode(errors="replace")))
    elapsed = time.monotonic() - start
    return Run(args, proc.returncode, out.decode("utf-8", "replace"),
               err.decode("utf-8", "replace"), elapsed)


LOGIN_RE = re.compile(r"pop3-login: Info: Login: user=<(?P<user>[^>]*)>, method=(?P<method>[^,]+), "
                      r"rip=[^,]+, rport=\d+, lip=[^,]+, lport=(?P<lport>\d+), mpid=(?P<mpid>\d+)"
                      r"(?P<rest>[^\n]*)")
LOGOUT_RE = re.compile(r"pop3\((?P<user>[^)]+)\)<(?P<mpid>\d+)><[^>]*>: Info: Disconnected: "
                       r"(?P<reason>[^\n]*?) ?top=(?P<top>\d+)/(?P<top_bytes>\d+), "
                       r"retr=(?P<retr>\d+)/\d+, del=(?P<dele>\d+)/(?P<msgs>\d+), "
                       r"size=(?P<size>\d+)")
LOGIN_DISCONNECT_RE = re.compile(r"pop3-login: Info: (?:Disconnected|Aborted login)[^\n]*"
                                 r"lport=(?P<lport>\d+)[^\n]*")


def session(dc, offset, user, which="main", timeout=15):
    """The one logged-in session of USER logged after OFFSET (in the log of
    instance WHICH): its Login and Disconnected lines, merged into a dict."""
    deadline = time.monotonic() + timeout
    while True:
        text = dc.log_since(offset, which)
        logouts = [m for m in LOGOUT_RE.finditer(text) if m["user"] == user]
        if logouts or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    logins = [m for m in LOGIN_RE.finditer(text) if m["user"] == user]
    if len(logouts) != 1 or len(logins) != 1:
        raise AssertionError("expected one session of %s in the log, found %d logins and "
                             "%d logouts:\n%s" % (user, len(logins), len(logouts), text))
    login, logout = logins[0], logouts[0]
    return {
        "method": login["method"],
        "lport": int(login["lport"]),
        "tls": ", TLS" in login["rest"],
        "reason": logout["reason"],
        "top": int(logout["top"]),
        "top_bytes": int(logout["top_bytes"]),
        "retr": int(logout["retr"]),
        "dele": int(logout["dele"]),
        "messages": int(logout["msgs"]),
        "size": int(logout["size"]),
        "text": text,
    }


def login_disconnects(dc, offset, port, which="main", timeout=15):
    """Lines of pre-login sessions on PORT that ended after OFFSET (waits
    for at least one)."""
    deadline = time.monotonic() + timeout
    while True:
        text = dc.log_since(offset, which)
        lines = [m.group(0) for m in LOGIN_DISCONNECT_RE.finditer(text)
                 if int(m["lport"]) == port]
        if lines:
            return lines, text
        if time.monotonic() > deadline:
            raise AssertionError("no pre-login disconnect on port %d logged:\n%s" % (port, text))
        time.sleep(0.05)
