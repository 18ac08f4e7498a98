#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The run command: installs missing Debian packages, builds _build and runs
# Mailpeek.  Until the tray UI exists this is a demo of `mailpeek --check`
# against a private Dovecot (started by the test harness in a temporary
# directory on free loopback ports, with a sample mailbox and a self-signed
# certificate), which is stopped again afterwards.
#
# Extra arguments go to mailpeek, e.g.  build-aux/run.sh --json

set -euo pipefail

cd "$(dirname "$0")/.."

# Everything but mailpeek's own output goes to stderr, so that
# `build-aux/run.sh --json | jq` works.
exec 3>&1 1>&2

bash build-aux/install-deps.sh

if [[ -f _build/meson-private/coredata.dat ]]; then
  meson configure _build
else
  rm -rf _build
  meson setup _build
fi
meson compile -C _build

harness=tests/dovecot/mp-dovecot.py
if [[ ! -f $harness ]]; then
  echo "run.sh: $harness is missing; cannot start the demo server" >&2
  exit 1
fi

demo_dir=$(mktemp -d -t mailpeek-demo.XXXXXX)
started=0
cleanup () {
  if [[ $started -eq 1 ]]; then
    /usr/bin/python3 "$harness" stop --dir "$demo_dir" >/dev/null || true
  fi
  rm -rf "$demo_dir"
}
trap cleanup EXIT

echo "run.sh: starting a demo Dovecot in $demo_dir"
started=1
info=$(/usr/bin/python3 "$harness" start --dir "$demo_dir" --sample)

# One field per line: pop3s port, user (percent-encoded for the URL),
# password, CA file.
mapfile -t fields < <(/usr/bin/python3 -c '
import json, sys, urllib.parse
info = json.loads(sys.stdin.read())
print(info["ports"]["pop3s"])
print(urllib.parse.quote(info["user"], safe=""))
print(info["password"])
print(info["cafile"])
' <<<"$info")
port=${fields[0]}
user=${fields[1]}
password=${fields[2]}
cafile=${fields[3]}

url="pop3://$user@127.0.0.1:$port"
echo "run.sh: mailpeek --check --url $url --cafile $cafile $*"
# The password reaches mailpeek through its environment only, never argv.
status=0
# The demo's seen-state lives and dies with the demo server.
MAILPEEK_PASSWORD=$password XDG_STATE_HOME=$demo_dir/state \
  _build/src/mailpeek --check --url "$url" --cafile "$cafile" "$@" >&3 || status=$?
echo "run.sh: mailpeek exited with $status; stopping the demo server"
exit "$status"
