#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# test-demo.sh MAILPEEK SCHEMA-DIR DEMO-SESSION
#
# The README's run command with no display: build-aux/demo-session.py
# --headless (what build-aux/run.sh runs) on a private session bus, against
# the built applet.  It passes only if the applet logged in to the demo
# Dovecot with the session password (MAILPEEK_PASSWORD, never stored),
# listed the sample mailbox, raised a notification and showed its window,
# which the demo proves by writing the screenshots it prints.

set -uo pipefail

mailpeek=${1:?usage: test-demo.sh MAILPEEK SCHEMA-DIR DEMO-SESSION}
schemas=${2:?}
demo=${3:?}

dir=$(mktemp -d /tmp/mailpeek-test-demo.XXXXXX) || exit 99
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/demo" "$dir/shots" && chmod 755 "$dir/demo"

unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY MAILPEEK_PASSWORD
dbus-run-session -- /usr/bin/python3 "$demo" --bin "$mailpeek" --dir "$dir/demo" \
  --schemas "$schemas" --headless --shots "$dir/shots" > "$dir/out" 2> "$dir/err"
status=$?
cat "$dir/out"
if [[ $status -ne 0 ]]; then
  echo "FAIL: the demo exited with $status"
  grep -v '^dbus-daemon' "$dir/err" | tail -20
  [[ -f $dir/demo/mailpeek.log ]] && tail -20 "$dir/demo/mailpeek.log"
  exit 1
fi

fail=0
for shot in window.png notification-1.png; do
  path=$dir/shots/$shot
  if ! grep -qxF "$path" "$dir/out"; then
    echo "FAIL: the demo did not print $path"
    fail=1
  elif ! head -c 8 "$path" | cmp -s - <(printf '\x89PNG\r\n\x1a\n'); then
    echo "FAIL: $path is not a PNG"
    fail=1
  fi
done
[[ $fail -eq 0 ]] && echo "PASS: the demo logged in, notified and showed its window"
exit $fail
