#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# session-run.sh COMMAND [ARG…]
#
# Runs COMMAND with a real Secret Service: a private D-Bus session bus
# (dbus-run-session) with gnome-keyring-daemon's "secrets" component,
# its login keyring created and unlocked, all in a throw-away directory:
#
#   $MP_SESSION_DIR/home      HOME
#   $MP_SESSION_DIR/data      XDG_DATA_HOME (the keyring files: data/keyrings/)
#   $MP_SESSION_DIR/config    XDG_CONFIG_HOME
#   $MP_SESSION_DIR/cache     XDG_CACHE_HOME
#   $MP_SESSION_DIR/state     XDG_STATE_HOME
#   $MP_SESSION_DIR/runtime   XDG_RUNTIME_DIR
#
# so a test can search every file the session wrote. The directory and the
# keyring daemon are gone when this returns. Exit status: COMMAND's, or 99
# (meson's "hard error") when the session could not be set up.
#
# The keyring gets a non-empty password on purpose: gnome-keyring saves a
# keyring with an empty password unencrypted, and then asks a prompter
# (which needs a display) before it will create one. With a password the
# file is encrypted, as on a real desktop, which is what the tests that
# look for plaintext passwords on disk need.

set -uo pipefail

# Long enough for a loaded CI machine, short enough to fail well within
# meson's test timeout.
readonly WAIT_SECONDS=20
readonly KEYRING_PASSWORD=mailpeek-test-keyring

die () {
  echo "session-run.sh: $*" >&2
  exit 99
}

# True while process $1 runs (a zombie, not yet reaped, does not count).
alive () {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

inside_session () {
  local keyring_pid owner="" alias="" rc i

  # In the foreground (as a background job of this shell) rather than
  # --daemonize, so the daemon is our child: we know its pid and reap it.
  printf '%s' "$KEYRING_PASSWORD" |
    gnome-keyring-daemon --foreground --unlock --components=secrets \
      > "$MP_SESSION_DIR/keyring.log" 2>&1 &
  keyring_pid=$!

  # Ready when it owns org.freedesktop.secrets and the default alias
  # points at the (new, unlocked) login collection.
  for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
    alive "$keyring_pid" || break
    if [[ -z $owner ]]; then
      owner=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
                /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
                string:org.freedesktop.secrets 2>/dev/null | awk '{ print $2 }')
    fi
    if [[ -n $owner ]]; then
      alias=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.secrets \
                /org/freedesktop/secrets org.freedesktop.Secret.Service.ReadAlias \
                string:default 2>/dev/null | tr -d ' ')
      [[ -n $alias && $alias != / ]] && break
    fi
    sleep 0.1
  done
  if [[ -z $alias || $alias == / ]]; then
    cat "$MP_SESSION_DIR/keyring.log" >&2
    kill "$keyring_pid" 2>/dev/null
    wait "$keyring_pid" 2>/dev/null
    die "gnome-keyring-daemon did not offer an unlocked default collection within ${WAIT_SECONDS}s"
  fi
  export MP_KEYRING_PID=$keyring_pid

  "$@"
  rc=$?

  kill "$keyring_pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    alive "$keyring_pid" || break
    sleep 0.1
  done
  if alive "$keyring_pid"; then
    echo "session-run.sh: gnome-keyring-daemon ($keyring_pid) ignored SIGTERM, killing it" >&2
    kill -KILL "$keyring_pid" 2>/dev/null
  fi
  wait "$keyring_pid" 2>/dev/null
  exit "$rc"
}

if [[ ${1-} == --inside-session ]]; then
  shift
  inside_session "$@"
fi

[[ $# -gt 0 ]] || die "usage: session-run.sh COMMAND [ARG…]"
command -v dbus-run-session >/dev/null || die "dbus-run-session not found (Debian package dbus-bin)"
command -v gnome-keyring-daemon >/dev/null || die "gnome-keyring-daemon not found (Debian package gnome-keyring)"

session_dir=$(mktemp -d "${TMPDIR:-/tmp}/mp-session-XXXXXX") || die "mktemp failed"
trap 'rm -rf "$session_dir"' EXIT
mkdir -p "$session_dir"/{home,data,config,cache,state,runtime}
chmod 700 "$session_dir/runtime"

export MP_SESSION_DIR=$session_dir
export HOME=$session_dir/home
export XDG_DATA_HOME=$session_dir/data
export XDG_CONFIG_HOME=$session_dir/config
export XDG_CACHE_HOME=$session_dir/cache
export XDG_STATE_HOME=$session_dir/state
export XDG_RUNTIME_DIR=$session_dir/runtime
# No prompter may pop up, and nothing may reach the user's real session.
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

# dbus-run-session complains that it cannot raise its fd limit when not
# root-owned; that line is noise, everything else goes through.
dbus-run-session -- bash "${BASH_SOURCE[0]}" --inside-session "$@" \
  2> >(grep -v --line-buffered 'Failed to set fd limit' >&2)
rc=$?
wait
exit "$rc"
