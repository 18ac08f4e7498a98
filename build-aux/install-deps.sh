#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs every Debian 12 package that building, running and testing
# Mailpeek needs.  Idempotent: when everything is present it touches
# nothing (and needs no root); otherwise it runs apt-get as root.
#
# Dovecot is only used by the test harness, which starts private instances
# on free loopback ports; the system service the package would start is
# kept from starting and, if this run installed it, left stopped.

set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config gcc
  clang libclang-rt-14-dev          # libFuzzer and sanitizers with clang
  libglib2.0-dev libglib2.0-bin glib-networking
  libgmime-3.0-dev libjson-glib-dev
  libgtk-3-dev libnotify-dev libsecret-1-dev
  gettext desktop-file-utils appstream
  # integration tests: a real POP3 server with a generated certificate
  dovecot-core dovecot-pop3d openssl python3
  mailutils-pop3d                   # a second real server (issue 7)
  # UI tests: X server, session bus, secrets, mock notification daemon
  xvfb xauth dbus dbus-x11 gnome-keyring libsecret-tools python3-dbusmock python3-gi
  # UI tests and the demo: the accessibility bus and its client library,
  # xwininfo, fonts with Cyrillic and CJK for the screenshots
  at-spi2-core gir1.2-atspi-2.0 x11-utils fonts-dejavu-core
  fonts-droid-fallback              # CJK glyphs for the sample mailbox in the screenshots
  # tray tests: an XEmbed system tray (stalonetray is not in Debian 12;
  # trayer is) and the SVG renderer that checks the status icons
  trayer librsvg2-bin
  imagemagick
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  if [[ $status != ii* ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root (or: sudo $0) to install them" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# invoke-rc.d asks policy-rc.d before starting a service; 101 means
# "not allowed".  Only put ours in place when the admin has none.
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup () {
  if [[ $own_policy -eq 1 ]]; then
    rm -f "$policy"
  fi
}
trap cleanup EXIT
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, from mailpeek install-deps.sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  own_policy=1
fi

dovecot_was_installed=0
if dpkg-query -W -f='${db:Status-Abbrev}' dovecot-core 2>/dev/null | grep -q '^ii'; then
  dovecot_was_installed=1
fi
mailutils_was_installed=0
if dpkg-query -W -f='${db:Status-Abbrev}' mailutils-pop3d 2>/dev/null | grep -q '^ii'; then
  mailutils_was_installed=1
fi

apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
          -o Dpkg::Options::=--force-confold)

echo "install-deps: apt-get update"
apt-get "${apt_opts[@]}" update -q
echo "install-deps: apt-get install ${missing[*]}"
apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}"

# The harness runs its own Dovecot; a system one would only hold ports
# 110/995 and leave a daemon behind.  With systemd as init, policy-rc.d
# does not stop the unit from being enabled for the next boot.
if [[ $dovecot_was_installed -eq 0 ]]; then
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
  elif command -v update-rc.d >/dev/null && [[ -e /etc/init.d/dovecot ]]; then
    update-rc.d dovecot disable >/dev/null 2>&1 || true
  fi
  pidfile=/run/dovecot/master.pid
  if [[ -s $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "install-deps: stopping the system dovecot started by the package"
    doveadm stop 2>/dev/null || kill "$(cat "$pidfile")" || true
  fi
fi

# Likewise GNU Mailutils' pop3d: the tests run it in a temporary
# directory.  Debian may wire it to inetd (update-inetd) or a unit; take
# it out of both so that nothing answers on 110/995.
if [[ $mailutils_was_installed -eq 0 ]] &&
   dpkg-query -W -f='${db:Status-Abbrev}' mailutils-pop3d 2>/dev/null | grep -q '^ii'; then
  if command -v update-inetd >/dev/null; then
    update-inetd --disable pop3 >/dev/null 2>&1 || true
    update-inetd --disable pop3s >/dev/null 2>&1 || true
  fi
  # The package enables its unit for the next boot even without systemd
  # running; the symlink is taken away offline too.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    systemctl disable --now mailutils-pop3d.service >/dev/null 2>&1 || true
  elif command -v deb-systemd-helper >/dev/null; then
    deb-systemd-helper disable mailutils-pop3d.service >/dev/null 2>&1 || true
  fi
  rm -f /etc/systemd/system/multi-user.target.wants/mailutils-pop3d.service
  if [[ -e /etc/init.d/mailutils-pop3d ]] && command -v update-rc.d >/dev/null; then
    update-rc.d mailutils-pop3d disable >/dev/null 2>&1 || true
  fi
  for pid in $(pgrep -x pop3d 2>/dev/null || true); do
    # only the daemon the package started (parent init), never a test's
    if [[ $(ps -o ppid= -p "$pid" | tr -d ' ') == 1 ]]; then
      echo "install-deps: stopping the system pop3d started by the package"
      kill "$pid" 2>/dev/null || true
    fi
  done
fi

still_missing=()
for p in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ $status == ii* ]] || still_missing+=("$p")
done
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
