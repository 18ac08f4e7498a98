#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Retakes data/screenshots/ (the AppStream metainfo's <screenshots>): the
# headless demo of build-aux/run.sh (Xvfb, private session bus, the
# harness's sample mailbox) with its screenshots saved there.

set -euo pipefail

cd "$(dirname "$0")/.."
export MAILPEEK_SCREENSHOTS=$PWD/data/screenshots
mkdir -p "$MAILPEEK_SCREENSHOTS"
env -u DISPLAY -u WAYLAND_DISPLAY bash build-aux/run.sh --demo
