#!/usr/bin/python3
# bench-first-poll.py: main-loop stalls of the applet's first poll
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts a private Dovecot with N generated messages (default 10,000) and
# runs tests/bench-first-poll against its implicit-TLS port with an empty
# XDG_STATE_HOME: the first poll through MpPoller/MpMailbox in one process
# (every header fetched with TOP n 0 and decoded), then the second and the
# steady third poll, each with its wall time and the longest main-loop
# stall (target < 20 ms).  Twice: as a fresh process does it (the engine
# loads the system trust store in a worker while it connects, and the
# handshake waits for it without blocking), and with the trust store
# loaded by the benchmark before the poll starts (--preload-tls), which
# shows whether that one-time load still costs the main loop anything.
# Prints the program's lines and the load average
# (the figures are wall time on a shared machine).  A benchmark, not a
# timed test: it exits 1 only if a poll goes wrong functionally.

import argparse
import os
import poplib
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mptest  # noqa: E402

mpd = mptest.load_harness()


def main():
    parser = argparse.ArgumentParser(description="main-loop stalls of the first poll")
    parser.add_argument("--bench-first-poll", required=True,
                        help="the bench-first-poll binary (tests/bench-first-poll in a build)")
    parser.add_argument("--messages", type=int, default=10000)
    args = parser.parse_args()

    user = "alice"
    tmp = mptest.make_tmpdir("mp-bench-first-poll-")
    dc = mpd.Dovecot(os.path.join(tmp, "dovecot"))
    try:
        dc.start()
        dc.fill(user, args.messages)
        password = dc.users[user]
        # Dovecot's first session on a new Maildir scans it and writes its
        # index; that stays outside the timed polls.
        warm = poplib.POP3("127.0.0.1", dc.ports["nostls"], timeout=120)
        warm.user(user)
        warm.pass_(password)
        warm.uidl()
        warm.quit()

        runs = []
        for preload in (False, True):
            # an empty seen-state for each run: both are first polls
            state = os.path.join(tmp, "state-%d" % len(runs))
            os.makedirs(state)
            env = dict(os.environ, MAILPEEK_PASSWORD=password, XDG_STATE_HOME=state,
                       GSETTINGS_BACKEND="memory")
            argv = [args.bench_first_poll] + (["--preload-tls"] if preload else [])
            runs.append(subprocess.run(argv + ["127.0.0.1", str(dc.ports["pop3s"]),
                                               dc.cafile, user, str(args.messages)],
                                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, timeout=600))
    except (mpd.HarnessError, OSError, poplib.error_proto, subprocess.TimeoutExpired) as e:
        print("bench-first-poll: FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        dc.stop()
        mptest.remove_tmpdir(tmp)

    print("First poll of %d messages from Dovecot over TLS (127.0.0.1, no added delay), "
          "in-process through MpPoller/MpMailbox, a 1 ms timer on the main loop:"
          % args.messages)
    labels = ("a fresh process (the engine loads the system trust store in a worker "
              "while it connects):",
              "the same with the trust store loaded in a thread beforehand (--preload-tls):")
    status = 0
    for label, run in zip(labels, runs):
        print("  " + label)
        for line in run.stdout.splitlines():
            print("    " + line)
        if run.returncode != 0:
            print("bench-first-poll: FAILED:\n%s" % run.stderr, file=sys.stderr)
            status = 1
    print("  load average: %.2f %.2f %.2f (2 shared cores)" % os.getloadavg())
    return status


if __name__ == "__main__":
    sys.exit(main())
