#!/usr/bin/python3
# bench-probe.py: the least a POP3 poll can cost, as a yardstick
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A bare client (a raw socket and the ssl module, no poplib round trips)
# that reads the greeting and then sends every command of a poll in ONE
# write: USER, PASS, STAT, LIST, UIDL (and with --top, TOP n 0 for every
# message), QUIT; then reads all the answers.  That is one round trip for
# the login and the listing, against the several a careful client needs.
# bench-steady.py and bench-headers.py import probe() and time it through
# the same proxy as mailpeek; run alone it prints its time:
#
#   bench-probe.py --port P --cafile PEM --user U [--stls] [--top N]
#     (the password from MAILPEEK_PASSWORD)

import argparse
import os
import socket
import ssl
import sys
import time


class ProbeError(Exception):
    pass


class _Reader:
    """Status lines and dot-terminated blocks from a socket (everything
    read is kept: a few MiB at most)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _fill(self):
        try:
            chunk = self.sock.recv(262144)
        except ssl.SSLEOFError:
            chunk = b""
        if not chunk:
            raise ProbeError("the server closed the connection early")
        self.buf += chunk

    def _until(self, end_mark, start):
        while True:
            end = self.buf.find(end_mark, start)
            if end >= 0:
                return end
            start = max(start, len(self.buf) - len(end_mark))
            self._fill()

    def status(self, what):
        end = self._until(b"\r\n", self.pos)
        line = bytes(self.buf[self.pos:end])
        self.pos = end + 2
        if not line.startswith(b"+OK"):
            raise ProbeError("%s: %r" % (what, line))
        return line

    def block(self, what):
        """The lines of a multi-line answer, up to the lone dot."""
        self.status(what)
        start = self.pos
        # the block is empty, or ends with CRLF "." CRLF
        while len(self.buf) < start + 3:
            self._fill()
        if self.buf.startswith(b".\r\n", start):
            self.pos = start + 3
            return b""
        end = self._until(b"\r\n.\r\n", start)
        self.pos = end + 5
        return bytes(self.buf[start:end + 2])


def probe(port, cafile, user, password, stls=False, top=0, host="127.0.0.1"):
    """Seconds from the connect to the answer to QUIT; also checks the
    counts: (seconds, messages in STAT, LIST lines, UIDL lines, TOPs)."""
    ctx = ssl.create_default_context(cafile=cafile)
    start = time.monotonic()
    raw = socket.create_connection((host, port), timeout=60)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if stls:
        reader = _Reader(raw)
        reader.status("greeting")
        raw.sendall(b"STLS\r\n")
        reader.status("STLS")
        if reader.pos != len(reader.buf):
            raise ProbeError("bytes after the STLS answer")
        sock = ctx.wrap_socket(raw, server_hostname=host)
        reader = _Reader(sock)
    else:
        sock = ctx.wrap_socket(raw, server_hostname=host)
        reader = _Reader(sock)
        reader.status("greeting")

    commands = ["USER %s" % user, "PASS %s" % password, "STAT", "LIST", "UIDL"]
    commands += ["TOP %d 0" % n for n in range(1, top + 1)]
    commands.append("QUIT")
    sock.sendall("".join(c + "\r\n" for c in commands).encode())

    reader.status("USER")
    reader.status("PASS")
    count = int(reader.status("STAT").split()[1])
    listed = reader.block("LIST").count(b"\r\n")
    uids = reader.block("UIDL").count(b"\r\n")
    tops = 0
    for n in range(1, top + 1):
        reader.block("TOP %d" % n)
        tops += 1
    reader.status("QUIT")
    elapsed = time.monotonic() - start
    sock.close()
    return elapsed, count, listed, uids, tops


def best_probe(port, cafile, user, password, expect, stls=False, top=0, runs=3):
    """The fastest of RUNS probes (the yardstick is the least it takes),
    after checking each saw EXPECT messages."""
    times = []
    for _ in range(runs):
        elapsed, count, listed, uids, tops = probe(port, cafile, user, password,
                                                   stls=stls, top=top)
        if (count, listed, uids, tops) != (expect, expect, expect, top):
            raise ProbeError("probe saw STAT %d, LIST %d, UIDL %d, TOP %d; expected %d"
                             % (count, listed, uids, tops, expect))
        times.append(elapsed)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description="a pipelined bare POP3 poll")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--stls", action="store_true")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    password = os.environ.get("MAILPEEK_PASSWORD")
    if password is None:
        parser.error("set MAILPEEK_PASSWORD")
    elapsed, count, listed, uids, tops = probe(args.port, args.cafile, args.user, password,
                                               stls=args.stls, top=args.top)
    print("probe: %.3f s, STAT %d, LIST %d, UIDL %d, TOP %d"
          % (elapsed, count, listed, uids, tops))
    return 0


if __name__ == "__main__":
    sys.exit(main())
