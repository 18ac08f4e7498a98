#!/usr/bin/python3
# mp-dovecot.py: a private Dovecot POP3 server for Mailpeek's tests
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts Debian's /usr/sbin/dovecot (never the system service) with every
# path inside one temporary directory, listening on 127.0.0.1 only, on free
# ports chosen by binding port 0 first.  Three listeners:
#
#   pop3    plain, offers STLS          (main instance, ssl = yes)
#   pop3s   implicit TLS                (main instance)
#   nostls  plain, does NOT offer STLS  (a second instance with ssl = no,
#                                        same passwd-file and Maildirs)
#
# Dovecot decides whether to offer STLS from the global/`local IP` ssl
# setting, not per listener, so a listener without STLS on the same address
# needs its own instance.
#
# Command line (prints JSON on stdout):
#   mp-dovecot.py start --dir DIR [--messages N] [--sample]
#   mp-dovecot.py stop  --dir DIR
#   mp-dovecot.py fill  --dir DIR --user alice --messages N
#   mp-dovecot.py add   --dir DIR --user alice FILE
#   mp-dovecot.py info  --dir DIR
#
# As a module (load it with importlib, the file name has a dash):
#   with Dovecot (tmpdir) as dc:
#       dc.fill ("alice", 10)
#       dc.ports["pop3s"], dc.cafile, dc.fingerprint, dc.log_path ...
#
# Standard library only; run with /usr/bin/python3.

import argparse
import atexit
import base64
import ctypes
import datetime
import email.utils
import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

DOVECOT = "/usr/sbin/dovecot"
OPENSSL = "/usr/bin/openssl"

DEFAULT_USERS = {
    "alice": "alice-Secret-1",
    "bob": "bob-Secret-2",
}

STATE_FILE = "harness.json"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

# Logged by the pop3 process when a session ends (%t/%p: TOP commands and
# bytes, %r/%b: RETR, %d: DELE'd messages, %m: messages at login, %s:
# mailbox size, %i/%o: bytes in/out).  The tests count TOPs with this.
LOGOUT_FORMAT = "top=%t/%p, retr=%r/%b, del=%d/%m, size=%s, in=%i, out=%o"

# The default elements plus the ports, so a session can be told apart.
LOGIN_LOG_ELEMENTS = ("user=<%u> method=%m rip=%r rport=%{rport} lip=%l "
                      "lport=%{lport} mpid=%e %c session=<%{session}>")


class HarnessError(Exception):
    pass


# Instances this process started and has not stopped yet.
_LIVE = set()


def stop_all():
    """Stop every instance this process started (for signal handlers)."""
    for dc in list(_LIVE):
        dc.stop()


# --------------------------------------------------------------------------
# Helpers

def free_port():
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crlf_size(data):
    """The size a POP3 server reports for DATA: every bare LF becomes CRLF
    (RFC 1939 sizes count the message as sent, with CRLF line ends)."""
    return len(data) + data.count(b"\n") - data.count(b"\r\n")


def to_crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def cert_fingerprint(pem_path):
    with open(pem_path, "r", encoding="ascii") as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def process_alive(pid):
    """True while PID exists and is not a zombie (PID 1 here may not reap
    orphans, so os.kill (pid, 0) alone would say a dead daemon lives)."""
    try:
        with open("/proc/%d/stat" % pid, "r") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def group_members(pgid):
    """Live processes in process group PGID."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "r") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # fields[0] = state, fields[1] = ppid, fields[2] = pgrp
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry))
    return members


def kill_group(pgid, timeout=STOP_TIMEOUT):
    """SIGTERM the group, wait, then SIGKILL what is left."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return
        time.sleep(0.05)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and group_members(pgid):
        time.sleep(0.05)


def read_tail(path, limit=6000):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return "(no %s)" % path
    return data[-limit:].decode("utf-8", "replace")


def die_with_parent():
    """In the child before exec: SIGTERM when the process that started us
    dies, however it dies (a test killed by a timeout runs no cleanup, and
    the server's own session keeps it out of the test's process group)."""
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


# --------------------------------------------------------------------------
# Messages

def encode_word(text, charset, encoding="B"):
    """One RFC 2047 encoded-word (written here rather than with
    email.header so the tests know exactly which bytes go on the wire)."""
    raw = text.encode(charset)
    if encoding == "B":
        payload = base64.b64encode(raw).decode("ascii")
    else:
        safe = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/"
        out = []
        for byte in raw:
            if byte == 0x20:
                out.append("_")
            elif byte in safe:
                out.append(chr(byte))
            else:
                out.append("=%02X" % byte)
        payload = "".join(out)
    return "=?%s?%s?%s?=" % (charset.upper(), encoding, payload)


def encode_words(text, charset, encoding="B", chunk=10):
    """TEXT as several encoded-words, one per folded line.  Decoders drop
    the folding white space between adjacent encoded-words, so the decoded
    value is TEXT exactly."""
    words = [encode_word(text[i:i + chunk], charset, encoding)
             for i in range(0, len(text), chunk)]
    return "\n ".join(words)


def iso_utc(rfc822_date):
    dt = email.utils.parsedate_to_datetime(rfc822_date)
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_from(name, address):
    if name is None:
        return address
    return "%s <%s>" % (name, address)


def build_message(headers, body):
    """HEADERS is a list of (name, bytes-or-str value); None values are left
    out.  Returns the message with LF line ends, as Maildir stores it."""
    lines = []
    for name, value in headers:
        if value is None:
            continue
        if isinstance(value, str):
            value = value.encode("ascii")
        lines.append(name.encode("ascii") + b": " + value)
    if isinstance(body, str):
        body = body.encode("ascii")
    if not body.endswith(b"\n"):
        body += b"\n"
    return b"\n".join(lines) + b"\n\n" + body


def _expect(from_name, from_address, to_address, subject, date, message_id):
    return {
        "from": expected_from(from_name, from_address),
        "from_name": from_name,
        "from_address": from_address,
        "to_address": to_address,
        "subject": subject,
        "date": iso_utc(date) if date else None,
        "message_id": message_id,
    }


def sample_messages():
    """A dozen realistic messages in several charsets and encodings.
    Returns a list of {"id", "data" (bytes, LF ends), "expect" (decoded
    header values as the CLI must print them)}.  Every expected value is
    the Python text the raw header was encoded from."""
    samples = []

    def add(ident, from_name, from_hdr, from_address, subject, subject_hdr,
            date, message_id, body, to="Alice <alice@example.org>",
            to_address="alice@example.org", extra=()):
        headers = [
            ("Return-Path", "<%s>" % from_address),
            ("From", from_hdr),
            ("To", to),
            ("Subject", subject_hdr),
            ("Date", date),
            ("Message-ID", message_id),
            ("MIME-Version", "1.0"),
        ]
        headers.extend(extra)
        if not any(name == "Content-Type" for name, _ in extra):
            headers.append(("Content-Type", "text/plain; charset=us-ascii"))
        samples.append({
            "id": ident,
            "data": build_message(headers, body),
            "expect": _expect(from_name, from_address, to_address, subject,
                              date, message_id),
        })

    # 1. UTF-8, RFC 2047 B
    name, subj = "Борис Петров", "Отчёт за неделю"
    add("utf8-b", name, encode_word(name, "utf-8") + " <boris@example.ru>",
        "boris@example.ru", subj, encode_word(subj, "utf-8"),
        "Mon, 24 Nov 2025 19:00:00 +0300", "<utf8-b.1@example.ru>",
        base64.encodebytes("Привет! Отчёт во вложении.\n".encode()),
        extra=[("Content-Type", "text/plain; charset=utf-8"),
               ("Content-Transfer-Encoding", "base64")])

    # 2. UTF-8, RFC 2047 Q
    name, subj = "Jürgen Müller", "Grüße aus München – Prüfung bestanden"
    add("utf8-q", name, encode_word(name, "utf-8", "Q") + " <juergen@example.de>",
        "juergen@example.de", subj, encode_word(subj, "utf-8", "Q"),
        "Tue, 25 Nov 2025 08:15:30 +0100", "<utf8-q.2@example.de>",
        "Hallo Alice,\n\nbis bald.\n")

    # 3. KOI8-R, B subject and Q name
    name, subj = "Иван Сидоров", "Привет из Москвы, ёлки"
    add("koi8r-b", name, encode_word(name, "koi8-r", "Q") + " <ivan@example.ru>",
        "ivan@example.ru", subj, encode_word(subj, "koi8-r"),
        "Wed, 26 Nov 2025 23:59:59 +0300", "<koi8r-b.3@example.ru>",
        "Body in koi8-r:\n".encode() + "Снег идёт.\n".encode("koi8-r"),
        extra=[("Content-Type", "text/plain; charset=koi8-r"),
               ("Content-Transfer-Encoding", "8bit")])

    # 4. windows-1251, B name and Q subject
    name, subj = "Ольга Кузнецова", "Счёт на оплату №42"
    add("cp1251", name, encode_word(name, "windows-1251") + " <olga@example.com.ua>",
        "olga@example.com.ua", subj, encode_word(subj, "windows-1251", "Q"),
        "Thu, 27 Nov 2025 10:00:00 +0200", "<cp1251.4@example.com.ua>",
        "See attached invoice.\n")

    # 5. ISO-2022-JP, B (the only sane way to carry it)
    name, subj = "山田太郎", "会議の議事録について"
    add("iso2022jp", name, encode_word(name, "iso-2022-jp") + " <yamada@example.jp>",
        "yamada@example.jp", subj, encode_word(subj, "iso-2022-jp"),
        "Fri, 28 Nov 2025 09:30:00 +0900", "<iso2022jp.5@example.jp>",
        "お疲れ様です。\n".encode("iso-2022-jp"),
        extra=[("Content-Type", "text/plain; charset=ISO-2022-JP"),
               ("Content-Transfer-Encoding", "7bit")])

    # 6. ISO-8859-1, Q
    name, subj = "François Lefèvre", "Café crème à la française"
    add("latin1-q", name, encode_word(name, "iso-8859-1", "Q") + " <francois@example.fr>",
        "francois@example.fr", subj, encode_word(subj, "iso-8859-1", "Q"),
        "Sat, 29 Nov 2025 14:00:00 -0500", "<latin1-q.6@example.fr>",
        "Bonjour.\n")

    # 7. raw 8-bit KOI8-R in the headers, no RFC 2047 at all (old Russian
    #    mailers did this); the body's Content-Type names the charset.
    name, subj = "Пётр Смирнов", "Срочно: новости отдела"
    add("koi8r-raw", name, name.encode("koi8-r") + b" <petr@example.ru>",
        "petr@example.ru", subj, subj.encode("koi8-r"),
        "Sun, 30 Nov 2025 07:07:07 +0300", "<koi8r-raw.7@example.ru>",
        "Текст письма.\n".encode("koi8-r"),
        extra=[("Content-Type", "text/plain; charset=koi8-r"),
               ("Content-Transfer-Encoding", "8bit")])

    # 8. a long folded subject: plain words folded once, then UTF-8
    #    encoded-words on several continuation lines
    plain = "Re: [mailpeek-devel] Weekly report and the long discussion about"
    tail = "длинные темы писем, которые переносятся на несколько строк заголовка"
    subj = plain + " " + tail
    subj_hdr = ("Re: [mailpeek-devel] Weekly report and the long\n"
                " discussion about " + encode_words(tail, "utf-8", "B", 12))
    add("long-folded", "Mailing List", "Mailing List <list@lists.example.org>",
        "list@lists.example.org", subj, subj_hdr,
        "Mon, 1 Dec 2025 12:00:00 +0000", "<long-folded.8@lists.example.org>",
        "> quoted\nreply\n")

    # 9. no Subject at all
    add("no-subject", "Carol", "Carol <carol@example.net>",
        "carol@example.net", None, None,
        "Tue, 2 Dec 2025 16:45:00 +0100", "<no-subject.9@example.net>",
        "A message without a subject.\n")

    # 10. no Date at all
    add("no-date", "Dave", "Dave <dave@example.net>",
        "dave@example.net", "Undated message", "Undated message",
        None, "<no-date.10@example.net>",
        "A message without a date.\n")

    # 11. a big attachment (about 1.5 MiB of base64)
    blob = bytes((i * 7919) % 251 for i in range(1100 * 1024))
    attachment = base64.encodebytes(blob).decode("ascii")
    boundary = "=-mailpeek-boundary-42"
    body = ("--%s\nContent-Type: text/plain; charset=utf-8\n\n"
            "Figures attached.\n\n"
            "--%s\nContent-Type: application/octet-stream\n"
            "Content-Disposition: attachment; filename=\"figures.bin\"\n"
            "Content-Transfer-Encoding: base64\n\n%s\n--%s--\n"
            % (boundary, boundary, attachment, boundary))
    add("big-attachment", "Eve Example", "Eve Example <eve@example.com>",
        "eve@example.com", "Quarterly figures (attachment)",
        "Quarterly figures (attachment)",
        "Wed, 3 Dec 2025 08:00:00 +0000", "<big-attachment.11@example.com>",
        body,
        extra=[("Content-Type", "multipart/mixed; boundary=\"%s\"" % boundary)])

    # 12. a bare address without a display name, UTF-8 Q subject mixed with
    #     plain words (the white space between them stays)
    subj = "Your order 1234 — shipped"
    add("bare-address", None, "noreply@shop.example.com",
        "noreply@shop.example.com", subj,
        "Your order 1234 " + encode_word("— shipped", "utf-8", "Q"),
        "Thu, 04 Dec 2025 18:30:00 +0000", "<bare-address.12@shop.example.com>",
        "Thank you.\n", to="alice@example.org")

    return samples


def fill_message(index):
    """Message INDEX (1-based) of a generated mailbox; varied sizes.
    Returns (data, expect) like the samples."""
    from_name = "Sender %d" % index
    from_address = "sender%d@example.org" % index
    subject = "Test message %d of the fill" % index
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    when = base + datetime.timedelta(minutes=17 * index)
    date = email.utils.format_datetime(when)
    message_id = "<fill-%d@mailpeek.test>" % index
    line = "Line of body text for message %d, padded to a useful length.\n" % index
    body = line * (3 + (index * 37) % 60)
    headers = [
        ("Return-Path", "<%s>" % from_address),
        ("Received", "from mx.example.org by mailpeek.test; %s" % date),
        ("From", "%s <%s>" % (from_name, from_address)),
        ("To", "Alice <alice@example.org>"),
        ("Subject", subject),
        ("Date", date),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=us-ascii"),
    ]
    data = build_message(headers, body)
    return data, _expect(from_name, from_address, "alice@example.org",
                         subject, date, message_id)


# --------------------------------------------------------------------------
# The server

CONFIG_TEMPLATE = """\
# Generated by mp-dovecot.py for Mailpeek's tests; all paths are private.
instance_name = {instance}
base_dir = {base_dir}
state_dir = {state_dir}
log_path = {log_path}
protocols = pop3
listen = 127.0.0.1
shutdown_clients = yes

default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
last_valid_gid = {mail_gid}

ssl = {ssl}
{ssl_files}
# The plain listeners are on loopback, which Dovecot treats as secured
# anyway; this only makes the intent explicit.
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop
auth_verbose = yes
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {passwd}
}}

mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv
pop3_logout_format = {logout_format}
login_log_format_elements = {login_elements}
{extra}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {port_plain}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {port_tls}
    ssl = yes
  }}
{login_chroot}}}
{unprivileged}service stats {{
  unix_listener stats-reader {{
    user = {internal_user}
  }}
  unix_listener stats-writer {{
    user = {internal_user}
  }}
}}
"""


class Dovecot:
    """A private Dovecot.  Use as a context manager, or call start() and
    stop().  Any instance this object starts is stopped at interpreter exit
    at the latest."""

    def __init__(self, directory=None, users=None, extra_config="", persistent=False):
        # persistent: the server outlives this process (the `start`
        # command); otherwise it is tied to this process's life.
        self.persistent = persistent
        self._own_dir = directory is None
        if directory is None:
            directory = tempfile.mkdtemp(prefix="mp-dovecot-")
        self.dir = os.path.abspath(directory)
        self.users = dict(users or DEFAULT_USERS)
        self.extra_config = extra_config
        self.ports = {}
        self.pids = {}
        self.cafile = os.path.join(self.dir, "tls", "cert.pem")
        self.keyfile = os.path.join(self.dir, "tls", "key.pem")
        self.fingerprint = None
        self.log_path = os.path.join(self.dir, "dovecot.log")
        self.nostls_log_path = os.path.join(self.dir, "dovecot-nostls.log")
        self.messages = {user: [] for user in self.users}
        self._clock = [0, 0]
        self._procs = []
        self._atexit = False
        if os.geteuid() == 0:
            # Dovecot refuses mail access as root; the daemon's own users
            # come with the Debian package.
            self.internal_user = "dovecot"
            self.login_user = "dovenull"
            nobody = pwd.getpwnam("nobody")
            self.mail_uid = nobody.pw_uid
            self.mail_gid = nobody.pw_gid
        else:
            me = pwd.getpwuid(os.geteuid())
            self.internal_user = me.pw_name
            self.login_user = me.pw_name
            self.mail_uid = me.pw_uid
            self.mail_gid = me.pw_gid
        self.internal_group = grp.getgrgid(pwd.getpwnam(self.internal_user).pw_gid).gr_name

    # ---- paths

    def maildir(self, user):
        return os.path.join(self.dir, "home", user, "Maildir")

    def _state_path(self):
        return os.path.join(self.dir, STATE_FILE)

    # ---- set-up

    def _chown(self, path):
        if os.geteuid() == 0:
            os.chown(path, self.mail_uid, self.mail_gid)

    def _check_traversable(self):
        path = os.path.dirname(self.dir)
        while True:
            mode = os.stat(path).st_mode
            if not mode & 0o001:
                raise HarnessError("%s is not searchable by others (mode %o); Dovecot's "
                                   "unprivileged processes could not reach %s; use a "
                                   "directory below a world-searchable one"
                                   % (path, mode & 0o7777, self.dir))
            if path == "/":
                return
            path = os.path.dirname(path)

    def _make_cert(self):
        tls = os.path.join(self.dir, "tls")
        os.makedirs(tls, exist_ok=True)
        cmd = [OPENSSL, "req", "-x509", "-newkey", "ec",
               "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", self.keyfile, "-out", self.cafile, "-days", "30",
               "-subj", "/CN=localhost",
               "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,digitalSignature,keyCertSign"]
        result = subprocess.run(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60)
        if result.returncode != 0:
            raise HarnessError("openssl failed:\n" + result.stdout.decode(errors="replace"))
        os.chmod(self.keyfile, 0o600)
        self.fingerprint = cert_fingerprint(self.cafile)

    def _write_passwd(self):
        lines = []
        for user, password in self.users.items():
            home = os.path.join(self.dir, "home", user)
            for sub in ("", "Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp"):
                path = os.path.join(home, sub)
                os.makedirs(path, exist_ok=True)
                os.chmod(path, 0o700)
                self._chown(path)
            if ":" in password or "\n" in password:
                raise HarnessError("unusable password for %s" % user)
            lines.append("%s:{PLAIN}%s:%d:%d::%s::\n"
                         % (user, password, self.mail_uid, self.mail_gid, home))
        path = os.path.join(self.dir, "passwd")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
        # read by the auth process, which runs as the internal user
        os.chmod(path, 0o640)
        if os.geteuid() == 0:
            os.chown(path, 0, grp.getgrnam(self.internal_group).gr_gid)

    def _write_config(self, tag, ssl_on, port_plain, port_tls, log_path):
        ssl_files = ""
        if ssl_on:
            # No ssl_dh: Dovecot 2.3 only needs it for DHE ciphers, and an
            # ECDSA key with TLS 1.2/1.3 uses ECDHE.
            ssl_files = "ssl_cert = <%s\nssl_key = <%s\n" % (self.cafile, self.keyfile)
        login_chroot = ""
        unprivileged = ""
        if os.geteuid() != 0:
            # chroot needs root; so does the auth worker's default user
            login_chroot = "  chroot =\n"
            unprivileged = ("service anvil {\n  chroot =\n}\n"
                            "service auth-worker {\n  user = $default_internal_user\n}\n")
        conf = CONFIG_TEMPLATE.format(
            instance="mp-dovecot-%s-%d" % (tag, os.getpid()),
            base_dir=os.path.join(self.dir, "run-" + tag),
            state_dir=os.path.join(self.dir, "state-" + tag),
            log_path=log_path,
            internal_user=self.internal_user,
            internal_group=self.internal_group,
            login_user=self.login_user,
            mail_uid=self.mail_uid,
            mail_gid=self.mail_gid,
            ssl="yes" if ssl_on else "no",
            ssl_files=ssl_files,
            passwd=os.path.join(self.dir, "passwd"),
            logout_format=LOGOUT_FORMAT,
            login_elements=LOGIN_LOG_ELEMENTS,
            extra=self.extra_config,
            port_plain=port_plain,
            port_tls=port_tls,
            login_chroot=login_chroot,
            unprivileged=unprivileged)
        path = os.path.join(self.dir, "dovecot-%s.conf" % tag)
        with open(path, "w", encoding="utf-8") as f:
            f.write(conf)
        return path

    def _spawn(self, tag, conf):
        out_path = os.path.join(self.dir, "dovecot-%s.out" % tag)
        with open(out_path, "ab") as out:
            # Foreground (-F) in a new session: the whole server is one
            # process group we can kill, whoever started it.
            proc = subprocess.Popen([DOVECOT, "-F", "-c", conf],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True,
                                    preexec_fn=None if self.persistent else die_with_parent)
        self._procs.append(proc)
        self.pids[tag] = proc.pid
        return proc

    def start(self, messages=0, sample=False):
        if self.pids:
            raise HarnessError("already started")
        if os.path.exists(self._state_path()):
            old = self._load_state_dict()
            if any(process_alive(pid) for pid in old.get("pids", {}).values()):
                raise HarnessError("an instance is already running in %s" % self.dir)
        os.makedirs(self.dir, exist_ok=True)
        # The login, auth and mail processes run as other users and must
        # reach their sockets, the passwd-file and the Maildirs below this
        # directory.
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            self._check_traversable()
        self._make_cert()
        self._write_passwd()
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        if not self.persistent:
            _LIVE.add(self)
        try:
            # Ports are free when probed but could be taken before Dovecot
            # binds them; then try again with others.
            for attempt in range(3):
                try:
                    self._launch()
                    break
                except HarnessError as e:
                    if attempt == 2 or "Address already in use" not in str(e):
                        raise
                    self._kill()
            if sample:
                for msg in sample_messages():
                    self.add_message("alice", msg["data"], expect=msg["expect"],
                                     ident=msg["id"])
            if messages:
                self.fill("alice", messages)
        except BaseException:
            self.stop()
            raise
        self._save_state()
        return self.info()

    def _launch(self):
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        self.ports = dict(zip(("pop3", "pop3s", "nostls"), sorted(ports)))
        main_conf = self._write_config("main", True, self.ports["pop3"],
                                       self.ports["pop3s"], self.log_path)
        # The nostls instance needs its own pop3s listener too; port 0
        # disables it.
        nostls_conf = self._write_config("nostls", False, self.ports["nostls"],
                                         0, self.nostls_log_path)
        self._spawn("main", main_conf)
        self._spawn("nostls", nostls_conf)
        self._save_state()
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        pending = dict(self.ports)
        last_error = None
        while pending and time.monotonic() < deadline:
            for tag, proc in zip(("main", "nostls"), self._procs):
                if proc.poll() is not None:
                    raise HarnessError(self._failure("dovecot (%s) exited with %d"
                                                     % (tag, proc.returncode)))
            for name, port in list(pending.items()):
                try:
                    self._probe(name, port)
                    del pending[name]
                except (OSError, ssl.SSLError, HarnessError) as e:
                    last_error = "%s: %s" % (name, e)
            if pending:
                time.sleep(0.05)
        if pending:
            raise HarnessError(self._failure("ports not ready after %.0f s (%s)"
                                             % (START_TIMEOUT, last_error)))

    def _probe(self, name, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        try:
            if name == "pop3s":
                ctx = ssl.create_default_context(cafile=self.cafile)
                sock = ctx.wrap_socket(sock, server_hostname="localhost")
            greeting = sock.recv(512)
            if not greeting.startswith(b"+OK"):
                raise HarnessError("greeting %r" % greeting)
            sock.sendall(b"QUIT\r\n")
            sock.recv(512)
        finally:
            sock.close()

    def _failure(self, what):
        parts = [what]
        for path in (self.log_path, self.nostls_log_path,
                     os.path.join(self.dir, "dovecot-main.out"),
                     os.path.join(self.dir, "dovecot-nostls.out")):
            parts.append("--- %s ---\n%s" % (path, read_tail(path)))
        return "\n".join(parts)

    def stop(self):
        self._kill()
        _LIVE.discard(self)
        if self._own_dir:
            # a directory we made up ourselves goes with the server
            shutil.rmtree(self.dir, ignore_errors=True)
        elif os.path.exists(self._state_path()):
            self._save_state()

    def _kill(self):
        pids = dict(self.pids)
        if not pids and os.path.exists(self._state_path()):
            pids = self._load_state_dict().get("pids", {})
        for pid in pids.values():
            kill_group(pid)
        for proc in self._procs:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        self._procs = []
        self.pids = {}

    def __enter__(self):
        if not self.pids:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- messages

    def _next_name(self):
        """Maildir file name, ordered: Dovecot assigns UIDs to new/ files
        sorted by the seconds and microseconds in their names."""
        now = int(time.time())
        sec, usec = self._clock
        if now > sec:
            sec, usec = now, 0
        else:
            usec += 1
            if usec > 999999:
                sec, usec = sec + 1, 0
        self._clock = [sec, usec]
        return "%d.M%dP%dQ%d.mailpeek-test" % (sec, usec, os.getpid(), usec)

    def add_message(self, user, data, expect=None, ident=None):
        """Deliver DATA (bytes) into USER's Maildir new/.  Returns the
        record: path, size (on disk), list_size (what POP3 LIST reports)."""
        if user not in self.users:
            raise HarnessError("no such user %s" % user)
        maildir = self.maildir(user)
        base = self._next_name()
        name = "%s,S=%d,W=%d" % (base, len(data), crlf_size(data))
        tmp = os.path.join(maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        self._chown(tmp)
        final = os.path.join(maildir, "new", name)
        os.rename(tmp, final)
        record = {
            "path": final,
            "name": name,
            "size": len(data),
            "list_size": crlf_size(data),
            "id": ident,
            "expect": expect,
            "data": data,
        }
        self.messages[user].append(record)
        return record

    def message_path(self, user, record):
        """Where RECORD's file is now: Dovecot moves it from new/ to cur/
        (adding flags after a colon) once a session has seen it."""
        maildir = self.maildir(user)
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(maildir, sub)):
                if name == record["name"] or name.startswith(record["name"] + ":"):
                    return os.path.join(maildir, sub, name)
        return None

    def fill(self, user, count):
        start = sum(1 for m in self.messages[user] if (m["id"] or "").startswith("fill-"))
        records = []
        for i in range(start + 1, start + count + 1):
            data, expect = fill_message(i)
            records.append(self.add_message(user, data, expect=expect,
                                            ident="fill-%d" % i))
        self._save_state()
        return records

    def uidvalidity(self, user):
        """UIDVALIDITY from dovecot-uidlist (exists once a session opened
        the mailbox)."""
        path = os.path.join(self.maildir(user), "dovecot-uidlist")
        with open(path, "r", encoding="ascii") as f:
            header = f.readline().split()
        for field in header[1:]:
            if field.startswith("V"):
                return int(field[1:])
        raise HarnessError("no UIDVALIDITY in %s" % path)

    # ---- logs

    def log_offset(self, which="main"):
        path = self.log_path if which == "main" else self.nostls_log_path
        try:
            return os.path.getsize(path)
        except FileNotFoundError:
            return 0

    def log_since(self, offset, which="main"):
        path = self.log_path if which == "main" else self.nostls_log_path
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, offset, needle, which="main", timeout=10.0):
        """Dovecot logs through its log process, a moment after the fact:
        wait until NEEDLE appears after OFFSET; return the text since
        OFFSET (raise on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_since(offset, which)
            if needle in text:
                return text
            if time.monotonic() > deadline:
                raise HarnessError("%r not logged within %.0f s; log since:\n%s"
                                   % (needle, timeout, text))
            time.sleep(0.05)

    # ---- state

    def info(self):
        first = next(iter(self.users))
        return {
            "dir": self.dir,
            # the first user, for scripts that need just one account
            "user": first,
            "password": self.users[first],
            "pid": self.pids.get("main"),
            "pids": dict(self.pids),
            "ports": dict(self.ports),
            "users": dict(self.users),
            "cafile": self.cafile,
            "fingerprint": self.fingerprint,
            "maildir": {user: self.maildir(user) for user in self.users},
            "log": self.log_path,
            "nostls_log": self.nostls_log_path,
            "messages": {user: len(msgs) for user, msgs in self.messages.items()},
        }

    def _save_state(self):
        state = self.info()
        state["clock"] = self._clock
        state["mail_uid"] = self.mail_uid
        state["mail_gid"] = self.mail_gid
        state["records"] = {
            user: [{k: m[k] for k in ("name", "size", "list_size", "id")} for m in msgs]
            for user, msgs in self.messages.items()
        }
        tmp = self._state_path() + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False, indent=1)
        os.rename(tmp, self._state_path())

    def _load_state_dict(self):
        with open(self._state_path(), "r", encoding="utf-8") as f:
            return json.load(f)

    @classmethod
    def attach(cls, directory):
        """An object for an instance started earlier (by the CLI) in
        DIRECTORY; stopping is up to the caller."""
        self = cls.__new__(cls)
        directory = os.path.abspath(directory)
        path = os.path.join(directory, STATE_FILE)
        try:
            with open(path, "r", encoding="utf-8") as f:
                state = json.load(f)
        except FileNotFoundError:
            raise HarnessError("no harness state in %s (not started?)" % directory)
        cls.__init__(self, directory, users=state["users"])
        self._own_dir = False
        self.ports = state["ports"]
        self.pids = {tag: pid for tag, pid in state["pids"].items() if process_alive(pid)}
        self.fingerprint = state["fingerprint"]
        self._clock = state.get("clock", [0, 0])
        for user, records in state.get("records", {}).items():
            self.messages[user] = [dict(r, path=None, expect=None, data=None)
                                   for r in records]
        return self


# --------------------------------------------------------------------------
# Command line

def main(argv=None):
    parser = argparse.ArgumentParser(description="Private Dovecot for Mailpeek's tests")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="start an instance in DIR")
    p.add_argument("--dir", required=True)
    p.add_argument("--messages", type=int, default=0,
                   help="generated messages for alice")
    p.add_argument("--sample", action="store_true",
                   help="a dozen realistic messages for alice")
    p = sub.add_parser("stop", help="stop the instance in DIR")
    p.add_argument("--dir", required=True)
    p = sub.add_parser("fill", help="add generated messages")
    p.add_argument("--dir", required=True)
    p.add_argument("--user", default="alice")
    p.add_argument("--messages", type=int, required=True)
    p = sub.add_parser("add", help="add one message file")
    p.add_argument("--dir", required=True)
    p.add_argument("--user", default="alice")
    p.add_argument("file")
    p = sub.add_parser("info", help="print the instance's JSON again")
    p.add_argument("--dir", required=True)
    args = parser.parse_args(argv)

    try:
        if args.command == "start":
            # The instance outlives this command: it is `stop`'s to end.
            dc = Dovecot(args.dir, persistent=True)
            try:
                info = dc.start(messages=args.messages, sample=args.sample)
            finally:
                atexit.unregister(dc.stop)
            print(json.dumps(info, ensure_ascii=False))
        elif args.command == "stop":
            dc = Dovecot.attach(args.dir)
            dc.stop()
            print(json.dumps({"dir": dc.dir, "stopped": True}))
        elif args.command == "fill":
            dc = Dovecot.attach(args.dir)
            records = dc.fill(args.user, args.messages)
            print(json.dumps({"user": args.user, "added": len(records),
                              "bytes": sum(r["list_size"] for r in records)}))
        elif args.command == "add":
            dc = Dovecot.attach(args.dir)
            with open(args.file, "rb") as f:
                data = f.read()
            record = dc.add_message(args.user, data, ident=os.path.basename(args.file))
            dc._save_state()
            print(json.dumps({"user": args.user, "path": record["path"],
                              "list_size": record["list_size"]}))
        elif args.command == "info":
            dc = Dovecot.attach(args.dir)
            print(json.dumps(dc.info(), ensure_ascii=False))
    except HarnessError as e:
        print("mp-dovecot: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
