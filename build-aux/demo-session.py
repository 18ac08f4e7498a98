#!/usr/bin/python3
# demo-session.py: the applet demo behind build-aux/run.sh and
# build-aux/screenshots.sh
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
#   demo-session.py --bin MAILPEEK --dir DEMO_DIR [--headless] [--shots DIR]
#
# Starts the test harness's Dovecot with its sample mailbox (a dozen
# messages in several languages and encodings, one with an attachment) on
# 127.0.0.1, writes a demo account for it into a private settings file
# (GSETTINGS_BACKEND=keyfile under DEMO_DIR/config: nothing reaches the
# user's real settings), with the server certificate pinned, and starts
# the applet with the password in its environment for that process only
# (it is never written anywhere).
#
# On a display: the applet runs on the user's desktop until Ctrl+C.
# --headless: expected to run inside dbus-run-session (run.sh does that);
# starts Xvfb, a notification daemon (python3-dbusmock) and a tray watcher
# (tests/ui/sni-watcher.py), waits for the first notifications, shows the
# window, saves screenshots into --shots (default DEMO_DIR/screenshots),
# prints their paths and exits.

import argparse
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
HARNESS = os.path.join(TOP, "tests", "dovecot", "mp-dovecot.py")
WATCHER = os.path.join(TOP, "tests", "ui", "sni-watcher.py")
APP_ID = "io.github.mailpeek.Mailpeek"
APP_PATH = "/io/github/mailpeek/Mailpeek"
STATUS = "io.github.mailpeek.Mailpeek.Status"
WAIT = 60.0

children = []


def say(text):
    print("run.sh: " + text, file=sys.stderr, flush=True)


def load_harness():
    spec = importlib.util.spec_from_file_location("mp_dovecot", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["mp_dovecot"] = module
    spec.loader.exec_module(module)
    return module


def spawn(argv, env, log=None, **kwargs):
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=out if log else None, **kwargs)
    children.append(proc)
    return proc


def stop_children():
    for proc in reversed(children):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(children):
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(what, predicate, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit("run.sh: timed out waiting for %s" % what)
        time.sleep(0.1)


def start_xvfb(env):
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                             "-nolisten", "tcp"], pass_fds=(w,), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children.append(proc)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        number = f.readline().decode().strip()
    if not number:
        raise SystemExit("run.sh: Xvfb did not start")
    env["DISPLAY"] = ":" + number
    os.environ["DISPLAY"] = env["DISPLAY"]


def write_account(env, port, fingerprint, user):
    """The demo account, through GSettings' keyfile backend in the demo
    directory (the same schema the app reads; no password in it)."""
    os.environ.update(env)
    from gi.repository import Gio, GLib
    main = Gio.Settings.new(APP_ID)
    account = Gio.Settings.new_with_path(APP_ID + ".Account", APP_PATH + "/accounts/demo/")
    account.set_string("name", "Demo")
    account.set_string("host", "127.0.0.1")
    account.set_value("port", GLib.Variant("q", port))
    account.set_enum("security", 0)
    account.set_string("user", user)
    account.set_string("pinned-fingerprint", fingerprint)
    account.set_uint("interval", 5)
    main.set_strv("accounts", ["demo"])
    Gio.Settings.sync()


def bus():
    from gi.repository import Gio
    return Gio.bus_get_sync(Gio.BusType.SESSION, None)


def has_owner(name):
    from gi.repository import Gio, GLib
    reply = bus().call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus", "NameHasOwner", GLib.Variant("(s)", (name,)),
                            None, Gio.DBusCallFlags.NONE, 5000, None)
    return reply.unpack()[0]


def status(prop):
    from gi.repository import Gio, GLib
    try:
        reply = bus().call_sync(APP_ID, APP_PATH, "org.freedesktop.DBus.Properties", "Get",
                                GLib.Variant("(ss)", (STATUS, prop)), None,
                                Gio.DBusCallFlags.NONE, 5000, None)
    except GLib.Error:
        return None
    return reply.unpack()[0]


def show_messages():
    from gi.repository import Gio
    bus().call_sync(APP_ID, APP_PATH, STATUS, "ShowMessages", None, None,
                    Gio.DBusCallFlags.NONE, 5000, None)


def notify_calls():
    from gi.repository import Gio, GLib
    reply = bus().call_sync("org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                            "org.freedesktop.DBus.Mock", "GetMethodCalls",
                            GLib.Variant("(s)", ("Notify",)), None,
                            Gio.DBusCallFlags.NONE, 5000, None)
    return [args for _stamp, args in reply.unpack()[0]]


def window_mapped():
    """The X window id of the applet's top-level window, once mapped."""
    out = subprocess.run(["xwininfo", "-root", "-children"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) > 2 and '"Mailpeek":' in line and "1x1+" not in line:
            return fields[0]
    return None


def render_notification(path, summary, body):
    """The mock daemon draws nothing: render what it was asked to show, as
    a notification bubble would (ImageMagick)."""
    import html
    text = "%s\n%s" % (summary, html.unescape(body))
    subprocess.run(["convert", "-size", "420x", "-background", "#303030", "-fill", "white",
                    "-font", "DejaVu-Sans", "-pointsize", "15", "-bordercolor", "#303030",
                    "-border", "16", "caption:" + text, path], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--headless", action="store_true")
    parser.add_argument("--shots")
    args = parser.parse_args()

    demo = os.path.abspath(args.dir)
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"),
                     ("XDG_CACHE_HOME", "cache")):
        env[var] = os.path.join(demo, sub)
        os.makedirs(env[var], exist_ok=True)
    env["GSETTINGS_BACKEND"] = "keyfile"
    env["GSETTINGS_SCHEMA_DIR"] = args.schemas
    env.pop("MAILPEEK_PASSWORD", None)

    # Ctrl+C (even when started with SIGINT ignored, as background jobs of
    # a script are) and SIGTERM unwind through the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(130))
    harness = load_harness()
    dc = harness.Dovecot(os.path.join(demo, "dovecot"))
    try:
        if args.headless:
            start_xvfb(env)
            spawn(["/usr/bin/python3", "-m", "dbusmock", "--session", "--template",
                   "notification_daemon", "-p",
                   '{"capabilities": "actions body body-markup"}'], env,
                  log=os.path.join(demo, "notifications.log"))
            wait_until("the notification daemon", lambda: has_owner("org.freedesktop.Notifications"))
            spawn(["/usr/bin/python3", WATCHER], env, log=os.path.join(demo, "watcher.log"))
            wait_until("the tray watcher", lambda: has_owner("org.kde.StatusNotifierWatcher"))

        say("starting a demo Dovecot with the sample mailbox in %s" % demo)
        info = dc.start(sample=True)
        write_account(env, info["ports"]["pop3s"], info["fingerprint"], info["user"])

        app_env = dict(env)
        # The password for this one process (it drops it from its
        # environment at once); never written anywhere.
        app_env["MAILPEEK_PASSWORD"] = info["password"]
        say("starting the applet: %s" % args.bin)
        app = spawn([args.bin], app_env,
                    log=os.path.join(demo, "mailpeek.log") if args.headless else None)
        wait_until("the applet", lambda: app.poll() is not None or status("TotalMessages") is not None)
        if app.poll() is not None:
            raise SystemExit("run.sh: the applet exited with %d" % app.returncode)
        wait_until("the first check", lambda: (status("TotalMessages") or 0) > 0)
        show_messages()

        if not args.headless:
            say("the demo runs: the tray icon, a notification and the window; "
                "Ctrl+C stops everything")
            app.wait()
            return 0

        shots = os.path.abspath(args.shots or os.path.join(demo, "screenshots"))
        os.makedirs(shots, exist_ok=True)
        calls = wait_until("a notification", notify_calls)
        window = wait_until("the window on screen", window_mapped)
        time.sleep(1.5)   # let the window draw its list (no condition to wait on: pixels)
        paths = [os.path.join(shots, "window.png")]
        subprocess.run(["import", "-window", window, "-display", env["DISPLAY"], paths[0]],
                       check=True, env=env)
        for i, call in enumerate(calls, start=1):
            path = os.path.join(shots, "notification-%d.png" % i)
            render_notification(path, call[3], call[4])
            paths.append(path)
        for p in paths:
            print(p, flush=True)
        return 0
    finally:
        stop_children()
        dc.stop()


if __name__ == "__main__":
    sys.exit(main())
