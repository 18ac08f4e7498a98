#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The run command: installs missing Debian packages, builds _build and runs
# the Mailpeek tray applet.
#
# - With accounts already configured (mailpeek --add-account), it starts the
#   applet on your desktop with them.
# - Without any, it runs the demo (build-aux/demo-session.py): the test
#   harness's Dovecot with its sample mailbox on 127.0.0.1, a demo account
#   with the server certificate pinned and its password for this session
#   only, in a private XDG_CONFIG_HOME/XDG_STATE_HOME under a temporary
#   demo directory (nothing touches your real settings), then the applet on
#   your display: the tray icon, notifications and the window.
# - With no display (a server over ssh) it says so, runs the same demo
#   under Xvfb on a private session bus with a notification daemon and a
#   tray watcher, saves screenshots of the window and of the notifications,
#   prints their paths and exits.
#
# Ctrl+C stops everything it started.  Arguments other than --demo are
# passed to mailpeek when no demo runs (build-aux/run.sh --check --json).

set -euo pipefail

cd "$(dirname "$0")/.."
top=$PWD

bash build-aux/install-deps.sh >&2

if [[ -f _build/meson-private/coredata.dat ]]; then
  meson configure _build >/dev/null
else
  rm -rf _build
  meson setup _build >&2
fi
meson compile -C _build >&2

mailpeek=$top/_build/src/mailpeek
export GSETTINGS_SCHEMA_DIR=$top/_build/data

force_demo=0
if [[ ${1-} == --demo ]]; then
  force_demo=1
  shift
fi

if [[ $# -gt 0 ]]; then
  exec "$mailpeek" "$@"
fi

accounts=0
if [[ $force_demo -eq 0 ]]; then
  accounts=$("$mailpeek" --list-accounts --json 2>/dev/null |
             /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["accounts"]))' \
             2>/dev/null || echo 0)
fi
if [[ $accounts -gt 0 ]]; then
  echo "run.sh: $accounts configured account(s); starting the applet" >&2
  exec "$mailpeek"
fi

# Dovecot's unprivileged processes must reach the demo directory.
demo_dir=$(mktemp -d /tmp/mailpeek-demo.XXXXXX)
chmod 755 "$demo_dir"
cleanup () {
  rm -rf "$demo_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n ${DISPLAY-} || -n ${WAYLAND_DISPLAY-} ]]; then
  echo "run.sh: no account configured: running the demo on your display" >&2
  /usr/bin/python3 build-aux/demo-session.py --bin "$mailpeek" --dir "$demo_dir" \
    --schemas "$GSETTINGS_SCHEMA_DIR"
else
  echo "run.sh: no display: running the demo under Xvfb on a private session bus" >&2
  shots=${MAILPEEK_SCREENSHOTS:-$top/_build/demo-screenshots}
  mkdir -p "$shots"
  unset DBUS_SESSION_BUS_ADDRESS
  dbus-run-session -- /usr/bin/python3 build-aux/demo-session.py --bin "$mailpeek" \
    --dir "$demo_dir" --schemas "$GSETTINGS_SCHEMA_DIR" --headless --shots "$shots" \
    2> >(grep -v --line-buffered 'Failed to set fd limit' >&2)
  echo "run.sh: screenshots are in $shots" >&2
fi
