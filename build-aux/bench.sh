#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The benchmark command: installs missing Debian packages, builds
# _build-bench (--buildtype=release, no sanitizers; a few seconds) and runs
# tests/bench/bench-headers.py:
# a private Dovecot with 2,000 messages behind a proxy that adds 5 ms in
# each direction (10 ms round trip), one `mailpeek --check` with
# pipelining, one with --no-pipelining, and a poplib client sending TOP one
# at a time as the baseline, all in the same run, and the first poll over
# STLS against a bare pipelined probe (tests/bench/bench-probe.py).  Then
# tests/bench/bench-steady.py: 10,000 messages behind the same 10 ms round
# trip, the first `mailpeek --check` (every header fetched) and the
# steady-state one of the unchanged mailbox (seen-state reused: no TOP),
# with the TOP counts from Dovecot's log, and both steady polls (the CLI's
# and the in-process one) against the bare probe.  Then tests/bench/bench-state.c:
# the seen-state of 10,000 messages saved, loaded, the steady cycle, and
# the longest main-loop stall of an asynchronous save (target < 20 ms).
# Then tests/bench/bench-download.c: the peak memory above
# idle of a 200 MiB download (.eml and Maildir) and the longest main-loop
# stall during a 20 MiB one.  Then tests/bench/bench-first-poll.py: the
# applet's first, second and steady polls of 10,000 messages from Dovecot
# in-process, with the longest main-loop stall of each (target < 20 ms).
# Then tests/bench/bench-window.c under Xvfb:
# the preview window's message list opening and sorting a 10,000-message
# mailbox (targets 0.5 s and 0.2 s).  Then tests/bench/bench-idle.py: the
# running applet with two accounts and 2,000 cached headers, its RssAnon,
# VmRSS, CPU seconds and wake-ups over 60 idle seconds (window never
# opened, open, closed again; targets 20 MiB and 0.05 CPU s a minute).
# Prints wall times and ratios; exits non-zero
# only if a run fails functionally or the steady-state poll sends a TOP.
# About six minutes.
#
# Extra arguments go to bench-headers.py, e.g.  build-aux/bench.sh --messages 500

set -euo pipefail

cd "$(dirname "$0")/.."

bash build-aux/install-deps.sh >&2

dir=_build-bench
if [[ -f $dir/meson-private/coredata.dat ]]; then
  meson configure "$dir" --buildtype=release >/dev/null
else
  rm -rf "$dir"
  meson setup "$dir" --buildtype=release >&2
fi
meson compile -C "$dir" >&2

status=0
/usr/bin/python3 tests/bench/bench-headers.py --mailpeek "$dir/src/mailpeek" "$@" || status=1
echo
/usr/bin/python3 tests/bench/bench-steady.py --mailpeek "$dir/src/mailpeek" || status=1
echo
"$dir/tests/bench-state" || status=1
echo
# A 200 MiB download's peak memory and a 20 MiB download's longest
# main-loop stall, against the scripted server in a child process.
"$dir/tests/bench-download" || status=1
echo
# The applet's first poll of 10,000 messages in-process (MpPoller and
# MpMailbox) against Dovecot: the longest main-loop stall (target < 20 ms).
/usr/bin/python3 tests/bench/bench-first-poll.py --bench-first-poll "$dir/tests/bench-first-poll" || status=1
# The preview window (built with -Dapplet=true): a 10,000-message mailbox
# opened and sorted in the message list, drawn on a private Xvfb.
if [[ -x $dir/tests/bench-window ]]; then
  echo
  xvfb-run -a -s '-screen 0 1280x1024x24 -nolisten tcp' \
    env NO_AT_BRIDGE=1 GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$dir/data" \
    "$dir/tests/bench-window" || status=1
fi
# The idle applet (-Dapplet=true): Xvfb, private bus and Dovecot of its own.
if [[ -x $dir/tests/bench-window ]]; then
  echo
  /usr/bin/python3 tests/bench/bench-idle.py --mailpeek "$dir/src/mailpeek" || status=1
fi
exit $status
