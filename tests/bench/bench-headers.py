#!/usr/bin/python3
# bench-headers.py: fetch the headers of a large mailbox through added latency
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts a private Dovecot with N generated messages, puts mpproxy.py (a
# separate process) in front of its implicit-TLS port adding DELAY seconds
# in each direction, and times, in this one run:
#   1. mailpeek --check --json                  (pipelined)
#   2. mailpeek --check --json --no-pipelining  (one command at a time)
#   3. a Python poplib client sending TOP n 0 one at a time (the baseline)
# then, through a second proxy in front of the STLS port (110 style):
#   4. the first mailpeek --check --json --security starttls
#   5. a bare probe (bench-probe.py): STLS, then USER, PASS, STAT, LIST,
#      UIDL, TOP n 0 for every message and QUIT in one write
# It prints the wall times and the ratios to the pipelined run, and the
# STLS first poll against the probe (target: within 1.5x).  It is a
# benchmark, not a timed test: it fails (exit 1) only if a run goes wrong
# functionally (an error, a header missing or wrong, the server not seeing
# exactly N TOP commands).

import argparse
import importlib.util
import json
import os
import poplib
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mptest  # noqa: E402

mpd = mptest.load_harness()
PROXY = os.path.join(HERE, "mpproxy.py")
STLS_PROBE_TARGET = 1.5


def load_probe():
    spec = importlib.util.spec_from_file_location("bench_probe",
                                                  os.path.join(HERE, "bench-probe.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BenchError(Exception):
    pass


def start_proxy(target, delay, lifetime):
    proc = subprocess.Popen([sys.executable, PROXY, "--target", str(target),
                             "--delay", str(delay), "--lifetime", str(lifetime)],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise BenchError("the proxy did not start")
    return proc, json.loads(line)["port"]


def stop_proxy(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_tops(dc, offset, user):
    s = mptest.session(dc, offset, user)
    return s["top"], s["dele"], s["reason"]


def check_mailpeek(run, dc, user, count):
    if run.returncode != 0:
        raise BenchError("mailpeek failed:\n" + run.describe())
    account = run.account
    if account["status"] != "ok" or account["messages"] != count:
        raise BenchError("unexpected result:\n" + run.describe())
    headers = account["headers"]
    if len(headers) != count:
        raise BenchError("%d headers instead of %d" % (len(headers), count))
    for header, record in zip(headers, dc.messages[user]):
        if (header["subject"] != record["expect"]["subject"]
                or header["message_id"] != record["expect"]["message_id"]
                or header["size"] != record["list_size"]):
            raise BenchError("header %d wrong: %r" % (header["number"], header))
    return account


def poplib_baseline(port, user, password, cafile, count, records):
    ctx = ssl.create_default_context(cafile=cafile)
    start = time.monotonic()
    p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=30)
    p.user(user)
    p.pass_(password)
    n, _ = p.stat()
    p.uidl()
    sizes = [int(line.split()[1]) for line in p.list()[1]]
    subjects = []
    for i in range(1, n + 1):
        lines = p.top(i, 0)[1]
        subjects.append(next((line[9:].decode() for line in lines
                              if line.startswith(b"Subject: ")), None))
    p.quit()
    elapsed = time.monotonic() - start
    if n != count or len(subjects) != count:
        raise BenchError("poplib saw %d messages, %d headers" % (n, len(subjects)))
    for i, (subject, size, record) in enumerate(zip(subjects, sizes, records), 1):
        if subject != record["expect"]["subject"] or size != record["list_size"]:
            raise BenchError("poplib: message %d: %r" % (i, subject))
    return elapsed


def measure_rtt(port, cafile, rounds=20):
    ctx = ssl.create_default_context(cafile=cafile)
    p = poplib.POP3_SSL("127.0.0.1", port, context=ctx, timeout=30)
    p.capa()
    start = time.monotonic()
    for _ in range(rounds):
        p.capa()
    rtt = (time.monotonic() - start) / rounds
    p.quit()
    return rtt


def main():
    parser = argparse.ArgumentParser(description="header fetch through added latency")
    parser.add_argument("--mailpeek", default=os.environ.get("MAILPEEK_BIN"),
                        help="the mailpeek binary (default: $MAILPEEK_BIN)")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.005,
                        help="seconds added in each direction (default 0.005)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the poplib baseline")
    parser.add_argument("--no-stls", action="store_true",
                        help="skip the STLS first poll and its probe")
    args = parser.parse_args()
    if not args.mailpeek:
        parser.error("give --mailpeek or set MAILPEEK_BIN")
    os.environ["MAILPEEK_BIN"] = os.path.abspath(args.mailpeek)

    user = "alice"
    tmp = mptest.make_tmpdir("mp-bench-")
    dc = mpd.Dovecot(os.path.join(tmp, "dovecot"))
    proxy = None
    stls_proxy = None
    bench_probe = load_probe()
    try:
        dc.start()
        dc.fill(user, args.messages)
        password = dc.users[user]
        # The first session on a new Maildir makes Dovecot scan it and
        # write its index; do that outside the timed runs.
        warm = poplib.POP3("127.0.0.1", dc.ports["nostls"], timeout=60)
        warm.user(user)
        warm.pass_(password)
        warm.uidl()
        warm.quit()

        # long enough for three sequential runs, short enough to go away
        # on its own if this script dies
        lifetime = 60 + args.messages * 4 * 2 * args.delay * 3
        proxy, port = start_proxy(dc.ports["pop3s"], args.delay, lifetime)
        rtt = measure_rtt(port, dc.cafile)

        base = ["--check", "--json", "--security", "tls", "--cafile", dc.cafile,
                "--url", "pop3://%s@127.0.0.1:%d" % (user, port)]
        times = {}
        for label, extra in (("pipelined", []), ("no-pipelining", ["--no-pipelining"])):
            offset = dc.log_offset()
            run = mptest.run_mailpeek(base + extra, password=password, timeout=600)
            account = check_mailpeek(run, dc, user, args.messages)
            tops, dele, reason = server_tops(dc, offset, user)
            if (tops, dele, reason) != (args.messages, 0, "Logged out"):
                raise BenchError("%s: server saw top=%d del=%d (%s)" % (label, tops, dele, reason))
            if account.get("pipelining") is not None and account["pipelining"] != (not extra):
                raise BenchError("%s: JSON says pipelining=%r" % (label, account["pipelining"]))
            times[label] = run.elapsed
        if not args.no_baseline:
            offset = dc.log_offset()
            times["poplib"] = poplib_baseline(port, user, password, dc.cafile,
                                              args.messages, dc.messages[user])
            tops, dele, reason = server_tops(dc, offset, user)
            if tops != args.messages:
                raise BenchError("poplib: server saw top=%d" % tops)
        if not args.no_stls:
            stls_proxy, stls_port = start_proxy(dc.ports["pop3"], args.delay, lifetime)
            offset = dc.log_offset()
            run = mptest.run_mailpeek(["--check", "--json", "--security", "starttls",
                                       "--cafile", dc.cafile, "--url",
                                       "pop3://%s@127.0.0.1:%d" % (user, stls_port)],
                                      password=password, timeout=600)
            check_mailpeek(run, dc, user, args.messages)
            tops, dele, reason = server_tops(dc, offset, user)
            if (tops, dele, reason) != (args.messages, 0, "Logged out"):
                raise BenchError("starttls: server saw top=%d del=%d (%s)" % (tops, dele, reason))
            times["starttls"] = run.elapsed
            times["stls-probe"] = bench_probe.best_probe(stls_port, dc.cafile, user, password,
                                                         args.messages, stls=True,
                                                         top=args.messages)
    except (BenchError, bench_probe.ProbeError, AssertionError, mpd.HarnessError, OSError,
            poplib.error_proto) as e:
        print("bench: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        if proxy:
            stop_proxy(proxy)
        if stls_proxy:
            stop_proxy(stls_proxy)
        dc.stop()
        mptest.remove_tmpdir(tmp)

    fast = times["pipelined"]
    print("Headers of %d messages (TOP n 0) from Dovecot over TLS through a proxy adding "
          "%.0f ms per direction (measured round trip %.1f ms):"
          % (args.messages, args.delay * 1000, rtt * 1000))
    print("  %-36s %8.3f s" % ("mailpeek --check (pipelined)", fast))
    print("  %-36s %8.3f s  %6.1fx the pipelined time"
          % ("mailpeek --check --no-pipelining", times["no-pipelining"],
             times["no-pipelining"] / fast))
    if "poplib" in times:
        print("  %-36s %8.3f s  %6.1fx the pipelined time"
              % ("poplib, one TOP at a time (baseline)", times["poplib"],
                 times["poplib"] / fast))
    if "starttls" in times:
        ratio = times["starttls"] / times["stls-probe"]
        print("First poll over STLS (the plain port, STLS, then TLS) through the same delay:")
        print("  %-36s %8.3f s" % ("mailpeek --check --security starttls", times["starttls"]))
        print("  %-36s %8.3f s  (best of 3; STLS, then USER PASS STAT LIST UIDL, %d TOPs "
              "and QUIT in one write)" % ("bare pipelined probe with STLS", times["stls-probe"],
                                           args.messages))
        print("  mailpeek / probe: %.2fx  (target <= %.1fx: %s)"
              % (ratio, STLS_PROBE_TARGET, "met" if ratio <= STLS_PROBE_TARGET else "NOT met"))
    print("Each run's wall time includes process start, TLS handshake, login, STAT/LIST/UIDL "
          "and QUIT; the server log confirmed %d TOPs per run." % args.messages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
