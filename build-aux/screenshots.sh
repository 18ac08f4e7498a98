#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Retakes data/screenshots/ (the AppStream metainfo's <screenshots>):
#
# - window.png and notification-1.png: the headless demo of
#   build-aux/run.sh (Xvfb, private session bus, the harness's sample
#   mailbox) with its screenshots saved there;
# - tray-menu.png: the applet's tray menu, open.  A tray icon that
#   StatusNotifierItem hosts draw cannot be photographed without a
#   desktop, so this one uses the X11 XEmbed fallback for real: the same
#   demo (build-aux/demo-session.py's pieces) on its own Xvfb and private
#   bus with no StatusNotifierWatcher and `trayer` as the system tray,
#   a right click on the embedded icon through XTest (libXtst, there with
#   Xvfb's dependencies) and `import -window root` cropped to the tray and
#   the menu.

set -euo pipefail

cd "$(dirname "$0")/.."
export MAILPEEK_SCREENSHOTS=$PWD/data/screenshots
mkdir -p "$MAILPEEK_SCREENSHOTS"
env -u DISPLAY -u WAYLAND_DISPLAY bash build-aux/run.sh --demo

# run.sh built _build; the tray menu from the same binary.
demo_dir=$(mktemp -d /tmp/mailpeek-tray-shot.XXXXXX)
chmod 755 "$demo_dir"
trap 'rm -rf "$demo_dir"' EXIT
env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS \
  dbus-run-session -- /usr/bin/python3 - "$PWD" "$demo_dir" "$MAILPEEK_SCREENSHOTS/tray-menu.png" \
  2> >(grep -v --line-buffered 'Failed to set fd limit' >&2) <<'EOF'
import ctypes
import importlib.util
import os
import subprocess
import sys
import time

top, demo, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("demo_session",
                                              os.path.join(top, "build-aux", "demo-session.py"))
ds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ds)


def say(text):
    print("screenshots.sh: " + text, file=sys.stderr, flush=True)


class X:
    """The few Xlib and XTest calls needed, through ctypes."""

    def __init__(self, display):
        self.xlib = ctypes.CDLL("libX11.so.6")
        self.xtst = ctypes.CDLL("libXtst.so.6")
        self.xlib.XOpenDisplay.restype = ctypes.c_void_p
        self.xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.xlib.XInternAtom.restype = ctypes.c_ulong
        self.xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.xlib.XGetSelectionOwner.restype = ctypes.c_ulong
        self.xlib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.xlib.XFlush.argtypes = [ctypes.c_void_p]
        self.xlib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.xlib.XDefaultRootWindow.restype = ctypes.c_ulong
        self.xlib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        self.xlib.XSetWindowBackground.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                                   ctypes.c_ulong]
        self.xlib.XClearWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_int, ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.dpy = self.xlib.XOpenDisplay(display.encode())
        if not self.dpy:
            raise SystemExit("screenshots.sh: cannot open %s" % display)

    def set_background(self, rgb):
        """A desktop colour instead of Xvfb's black (24-bit TrueColor)."""
        root = self.xlib.XDefaultRootWindow(self.dpy)
        self.xlib.XSetWindowBackground(self.dpy, root, rgb)
        self.xlib.XClearWindow(self.dpy, root)
        self.xlib.XSync(self.dpy, 0)

    def tray_present(self):
        atom = self.xlib.XInternAtom(self.dpy, b"_NET_SYSTEM_TRAY_S0", 0)
        return self.xlib.XGetSelectionOwner(self.dpy, atom) != 0

    def click(self, x, y, button):
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.xlib.XSync(self.dpy, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, button, 1, 0)
        self.xlib.XSync(self.dpy, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, button, 0, 0)
        self.xlib.XSync(self.dpy, 0)


def top_windows(display):
    """Mapped top-level windows: [(id, name, x, y, width, height)]."""
    listing = subprocess.run(["xwininfo", "-root", "-children", "-display", display],
                             capture_output=True, text=True).stdout
    wins = []
    for line in listing.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("0x"):
            continue
        info = subprocess.run(["xwininfo", "-id", fields[0], "-display", display],
                              capture_output=True, text=True).stdout
        if "IsViewable" not in info:
            continue
        geo = {}
        for key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"):
            for l in info.splitlines():
                if l.strip().startswith(key + ":"):
                    geo[key] = int(l.split(":")[1])
        name = line.split('"')[1] if '"' in line else ""
        wins.append((fields[0], name, geo["Absolute upper-left X"], geo["Absolute upper-left Y"],
                     geo["Width"], geo["Height"]))
    return wins


def tray_icon(display):
    """Where the embedded icon is: the largest window inside trayer's
    panel (the icon's socket), in root coordinates, once it is there."""
    tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display],
                          capture_output=True, text=True).stdout
    best = None
    inside = False
    for line in tree.splitlines():
        if '"panel": ("panel" "trayer")' in line:
            inside = True
            continue
        if not inside or not line.strip().startswith("0x"):
            continue
        depth = len(line) - len(line.lstrip())
        if depth <= 5:          # the next top-level window
            break
        size = line.split()[-2]  # WxH+X+Y (relative), then +X+Y absolute
        w, h = (int(v) for v in size.split("+")[0].split("x"))
        ax, ay = (int(v) for v in line.split()[-1].lstrip("+").split("+"))
        if 16 <= w <= 64 and 16 <= h <= 64 and (best is None or ax > best[0]):
            best = (ax, ay, w, h)
    return best


env = dict(os.environ)
for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                 ("XDG_CACHE_HOME", "cache")):
    env[var] = os.path.join(demo, sub)
    os.makedirs(env[var], exist_ok=True)
env["GSETTINGS_BACKEND"] = "keyfile"
env["GSETTINGS_SCHEMA_DIR"] = os.path.join(top, "_build", "data")
env["NO_AT_BRIDGE"] = "1"
env["GDK_BACKEND"] = "x11"
env.pop("MAILPEEK_PASSWORD", None)
os.environ.update(env)

harness = ds.load_harness()
dc = harness.Dovecot(os.path.join(demo, "dovecot"))
try:
    ds.start_xvfb(env)
    display = env["DISPLAY"]
    x = X(display)
    x.set_background(0x4a6f8f)
    ds.spawn(["/usr/bin/python3", "-m", "dbusmock", "--session", "--template",
              "notification_daemon", "-p", '{"capabilities": "actions body body-markup"}'],
             env, log=os.path.join(demo, "notifications.log"))
    ds.wait_until("the notification daemon", lambda: ds.has_owner("org.freedesktop.Notifications"))
    # No StatusNotifierWatcher: the applet falls back to XEmbed.
    # a dark panel across the top of the screen, the icons on its right
    ds.spawn(["trayer", "--edge", "top", "--align", "right", "--widthtype", "percent",
              "--width", "100", "--height", "28", "--SetDockType", "false",
              "--transparent", "true", "--alpha", "0", "--tint", "0x2b2b2b"],
             env, log=os.path.join(demo, "trayer.log"))
    ds.wait_until("trayer to own the system tray", x.tray_present)

    info = dc.start(sample=True)
    ds.write_account(env, info["ports"]["pop3s"], info["fingerprint"], info["user"])
    app_env = dict(env)
    app_env["MAILPEEK_PASSWORD"] = info["password"]
    binary = os.path.join(top, "_build", "src", "mailpeek")
    app = ds.spawn([binary], app_env, log=os.path.join(demo, "mailpeek.log"))
    ds.wait_until("the applet",
                  lambda: app.poll() is not None or ds.status("TotalMessages") is not None)
    if app.poll() is not None:
        raise SystemExit("screenshots.sh: the applet exited with %d" % app.returncode)
    ds.wait_until("the first check", lambda: (ds.status("TotalMessages") or 0) > 0)
    px, py, pw, ph = ds.wait_until("the icon embedded in trayer", lambda: tray_icon(display))

    before = {w[0] for w in top_windows(display)}
    # the right button, as on most panels: the menu (the left one shows
    # the window)
    x.click(px + pw // 2, py + ph // 2, 3)

    def menu():
        for wid, name, mx, my, mw, mh in top_windows(display):
            if wid not in before and mw > 50 and mh > 50:
                return (mx, my, mw, mh)
        return None

    mx, my, mw, mh = ds.wait_until("the tray menu on screen", menu)
    time.sleep(1.0)   # let the menu draw (pixels: no condition to wait on)
    left = max(0, min(mx, px) - 120)
    right = 1280
    bottom = min(800, max(my + mh, py + ph) + 24)
    subprocess.run(["import", "-display", display, "-window", "root", "-crop",
                    "%dx%d+%d+0" % (right - left, bottom, left), "+repage", out],
                   check=True, env=env)
    print(out, flush=True)
finally:
    ds.stop_children()
    dc.stop()
EOF
