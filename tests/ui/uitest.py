# uitest.py: the desktop session the UI tests run the applet in
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs inside tests/session-run.sh (private session bus, unlocked
# gnome-keyring, XDG directories in a throw-away directory) and adds:
#
#   - Xvfb on a free display (-displayfd), DISPLAY set for children;
#   - python3-dbusmock's notification_daemon template, with the `actions`
#     capability, whose Notify calls the tests read back;
#   - tests/ui/sni-watcher.py, a StatusNotifierWatcher;
#   - the AT-SPI bus (D-Bus activated on first use; GNOME_ACCESSIBILITY=1
#     makes GTK's atk-bridge export the widgets);
#   - a private Dovecot (tests/dovecot/mp-dovecot.py) with a stored
#     account added by `mailpeek --add-account`, password in the keyring;
#   - the applet itself, `mailpeek` with no arguments.
#
# GSettings use the keyfile backend under XDG_CONFIG_HOME so that the
# command line and the applet (two processes) see the same accounts.
# Every wait is bounded and waits on a condition.

import html
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import mptest  # noqa: E402

from gi.repository import Gio, GLib  # noqa: E402

APP_ID = "io.github.mailpeek.Mailpeek"
APP_PATH = "/io/github/mailpeek/Mailpeek"
STATUS_IFACE = "io.github.mailpeek.Mailpeek.Status"
NOTIFY_NAME = "org.freedesktop.Notifications"
NOTIFY_PATH = "/org/freedesktop/Notifications"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
WATCHER_NAME = "org.kde.StatusNotifierWatcher"
ACCOUNT = "work"
USER = "alice"

SKIP = mptest.SKIP
TIMEOUT = float(os.environ.get("MP_UI_TIMEOUT", "20"))
# D-Bus calls to the applet: generous, an ASan build is slow to answer.
CALL_MS = int(TIMEOUT * 1000)


def die_with_parent():
    mptest.load_harness().die_with_parent()


def wait_for(what, predicate, timeout=TIMEOUT, context=None):
    """Iterate the default main context (so D-Bus signals are delivered)
    until PREDICATE returns a true value; return it, or fail saying WHAT."""
    ctx = context or GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            # MP_UI_FAILURE_SHOT=FILE.png: what the screen showed then
            shot = os.environ.get("MP_UI_FAILURE_SHOT")
            if shot and os.environ.get("DISPLAY"):
                subprocess.run(["import", "-window", "root", shot], check=False)
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        while ctx.iteration(False):
            pass
        time.sleep(0.05)


class Desktop:
    """One session: X server, notification daemon, tray watcher, Dovecot,
    the applet.  Use as a context manager; everything is stopped at exit."""

    def __init__(self, caps="actions body body-markup", watcher=True, dovecot=True,
                 sample=False):
        if not os.environ.get("MP_SESSION_DIR"):
            print("not inside tests/session-run.sh", file=sys.stderr)
            sys.exit(SKIP)
        self.bin = mptest.mailpeek_bin()
        self.caps = caps
        self.want_watcher = watcher
        self.want_dovecot = dovecot
        self.sample = sample
        self.procs = {}
        self.app = None
        self.app_log = None
        self.dc = None
        self.tmp = None
        self.bus = None
        self.env = dict(os.environ)

    # -- setup ------------------------------------------------------------

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _spawn(self, key, argv, env=None, stdout=None):
        log = open(os.path.join(self.env["MP_SESSION_DIR"], key + ".log"), "wb")
        proc = subprocess.Popen(argv, env=env or self.env, stdin=subprocess.DEVNULL,
                                stdout=stdout or log, stderr=log,
                                preexec_fn=die_with_parent)
        self.procs[key] = (proc, log)
        return proc

    def _start(self):
        self.env["GSETTINGS_BACKEND"] = "keyfile"
        self.env["GNOME_ACCESSIBILITY"] = "1"
        self.env["NO_AT_BRIDGE"] = "0"
        self.env.pop("MAILPEEK_PASSWORD", None)
        self.env["GDK_BACKEND"] = "x11"
        os.environ.update(self.env)
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)

        self._start_xvfb()
        if self.caps is not None:
            self.start_notifications()
        if self.want_watcher:
            self.start_watcher()
        if self.want_dovecot:
            self.tmp = mptest.make_tmpdir("mp-ui-")
            harness = mptest.load_harness()
            self.dc = harness.Dovecot(os.path.join(self.tmp, "dovecot"))
            self.dc.start(sample=self.sample)
            self.add_account()

    def _start_xvfb(self):
        r, w = os.pipe()
        proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24",
                                 "-nolisten", "tcp", "-noreset"],
                                pass_fds=(w,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=die_with_parent)
        os.close(w)
        self.procs["xvfb"] = (proc, None)
        number = b""
        deadline = time.monotonic() + TIMEOUT
        with os.fdopen(r, "rb") as f:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = f.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip():
            raise AssertionError("Xvfb did not report a display")
        self.env["DISPLAY"] = ":" + number.decode().strip()
        os.environ["DISPLAY"] = self.env["DISPLAY"]
        # The AT-SPI bus and registry are started by D-Bus activation, with
        # the bus daemon's environment: without DISPLAY there, the registry
        # cannot synthesize the key presses and clicks the tests send.
        self.bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "UpdateActivationEnvironment",
                           GLib.Variant("(a{ss})", ({"DISPLAY": self.env["DISPLAY"]},)),
                           None, Gio.DBusCallFlags.NONE, CALL_MS, None)

    def name_has_owner(self, name):
        reply = self.bus.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameHasOwner",
                                   GLib.Variant("(s)", (name,)), GLib.VariantType("(b)"),
                                   Gio.DBusCallFlags.NONE, CALL_MS, None)
        return reply.unpack()[0]

    def start_notifications(self):
        params = '{"capabilities": "%s"}' % self.caps
        self._spawn("notifications", ["/usr/bin/python3", "-m", "dbusmock", "--session",
                                      "--template", "notification_daemon", "-p", params])
        wait_for("the mock notification daemon", lambda: self.name_has_owner(NOTIFY_NAME))

    def stop_notifications(self):
        self._stop("notifications")
        wait_for("the notification daemon to go", lambda: not self.name_has_owner(NOTIFY_NAME))

    def start_watcher(self):
        self._spawn("watcher", ["/usr/bin/python3", os.path.join(HERE, "sni-watcher.py")])
        wait_for("the StatusNotifierWatcher", lambda: self.name_has_owner(WATCHER_NAME))

    def stop_watcher(self):
        self._stop("watcher")
        wait_for("the watcher to go", lambda: not self.name_has_owner(WATCHER_NAME))

    def cli(self, *args, password=None, timeout=60):
        env = dict(self.env)
        env.pop("DISPLAY", None)
        if password is not None:
            env["MAILPEEK_PASSWORD"] = password
        proc = subprocess.run([self.bin] + list(args), env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout,
                              preexec_fn=die_with_parent)
        return mptest.Run(args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                          proc.stderr.decode("utf-8", "replace"), 0)

    def add_account(self, name=ACCOUNT, user=USER):
        url = "pop3://%s@127.0.0.1:%d" % (user, self.dc.ports["pop3s"])
        run = self.cli("--add-account", name, "--url", url, "--pin", self.dc.fingerprint,
                       password=self.dc.users[user])
        if run.returncode != 0:
            raise AssertionError(run.describe())

    # -- the applet -------------------------------------------------------

    def start_app(self, extra_env=None):
        env = dict(self.env)
        if extra_env:
            env.update(extra_env)
        self.app_log_path = os.path.join(self.env["MP_SESSION_DIR"],
                                         "app-%d.log" % len(self.procs))
        self.app_log = open(self.app_log_path, "wb")
        self.app = subprocess.Popen([self.bin], env=env, stdin=subprocess.DEVNULL,
                                    stdout=self.app_log, stderr=self.app_log,
                                    preexec_fn=die_with_parent)
        wait_for("the applet's Status object", self._status_ready)
        return self.app

    def _status_ready(self):
        if self.app.poll() is not None:
            raise AssertionError("the applet exited with %s:\n%s"
                                 % (self.app.returncode, self.app_output()))
        if not self.name_has_owner(APP_ID):
            return False
        try:
            self.status_property("TotalMessages")
        except GLib.Error:
            return False
        return True

    def app_output(self):
        try:
            with open(self.app_log_path, "rb") as f:
                return f.read()[-8000:].decode("utf-8", "replace")
        except (OSError, AttributeError):
            return ""

    def stop_app(self, timeout=TIMEOUT):
        """app.quit through org.gtk.Actions, as the menu's Quit does."""
        if self.app is None:
            return
        if self.app.poll() is None:
            try:
                self.bus.call_sync(APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                                   GLib.Variant("(sava{sv})", ("quit", [], {})), None,
                                   Gio.DBusCallFlags.NONE, CALL_MS, None)
            except GLib.Error:
                self.app.terminate()
            try:
                self.app.wait(timeout)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
                raise AssertionError("the applet did not quit within %d s" % timeout)
        rc = self.app.returncode
        self.app = None
        self.app_log.close()
        wait_for("the bus name to be released", lambda: not self.name_has_owner(APP_ID))
        if rc != 0:
            raise AssertionError("the applet exited with %d:\n%s" % (rc, self.app_output()))

    def activate_action(self, name, parameter=None):
        params = [parameter] if parameter is not None else []
        self.bus.call_sync(APP_ID, APP_PATH, "org.gtk.Actions", "Activate",
                           GLib.Variant("(sava{sv})", (name, params, {})), None,
                           Gio.DBusCallFlags.NONE, CALL_MS, None)

    # -- the Status interface ---------------------------------------------

    def status_property(self, name):
        reply = self.bus.call_sync(APP_ID, APP_PATH, "org.freedesktop.DBus.Properties", "Get",
                                   GLib.Variant("(ss)", (STATUS_IFACE, name)),
                                   GLib.VariantType("(v)"), Gio.DBusCallFlags.NONE, CALL_MS, None)
        return reply.unpack()[0]

    def status_call(self, method):
        self.bus.call_sync(APP_ID, APP_PATH, STATUS_IFACE, method, None, None,
                           Gio.DBusCallFlags.NONE, CALL_MS, None)

    def account_summary(self):
        accounts = self.status_property("Accounts")
        if len(accounts) != 1:
            raise AssertionError("expected one account, got %r" % (accounts,))
        return accounts[0]

    def check_and_wait(self, offset=None):
        """CheckNow, then wait until Dovecot logged the session's end and
        the applet shows the mailbox no longer busy."""
        if offset is None:
            offset = self.dc.log_offset()
        self.status_call("CheckNow")
        mptest.session(self.dc, offset, USER, timeout=TIMEOUT)
        self.wait_idle()

    def wait_idle(self):
        def idle():
            return self.account_summary().get("state") not in (None, "checking", "idle")
        wait_for("the mailbox to finish its check", idle)

    # -- notifications ----------------------------------------------------

    def notifications(self):
        """Every Notify call the mock daemon received: a list of dicts."""
        reply = self.bus.call_sync(NOTIFY_NAME, NOTIFY_PATH, MOCK_IFACE, "GetMethodCalls",
                                   GLib.Variant("(s)", ("Notify",)), None,
                                   Gio.DBusCallFlags.NONE, CALL_MS, None)
        calls = []
        for _stamp, args in reply.unpack()[0]:
            app_name, replaces, icon, summary, body, actions, hints, timeout = args
            calls.append({"app_name": app_name, "summary": summary,
                          "body": html.unescape(body) if "body-markup" in (self.caps or "")
                          else body,
                          "actions": actions, "hints": hints, "icon": icon})
        return calls

    def notification_ids(self):
        """Notify calls in order, with the id each returned: dbusmock hands
        out 1, 2, 3… for calls without replaces_id."""
        return list(enumerate(self.notifications(), start=1))

    def invoke_action(self, notification_id, action):
        self.bus.call_sync(NOTIFY_NAME, NOTIFY_PATH, MOCK_IFACE, "EmitSignal",
                           GLib.Variant("(sssav)", (NOTIFY_NAME, "ActionInvoked", "us",
                                                    [GLib.Variant("u", notification_id),
                                                     GLib.Variant("s", action)])),
                           None, Gio.DBusCallFlags.NONE, CALL_MS, None)

    # -- teardown ---------------------------------------------------------

    def _stop(self, key):
        proc, log = self.procs.pop(key, (None, None))
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log is not None:
            log.close()

    def close(self):
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(10)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
        if self.dc is not None:
            self.dc.stop()
            self.dc = None
        for key in list(self.procs):
            self._stop(key)
        if self.tmp is not None:
            mptest.remove_tmpdir(self.tmp)
            self.tmp = None


def sample(ident):
    """One message of the harness's sample set, by id."""
    for s in mptest.load_harness().sample_messages():
        if s["id"] == ident:
            return s
    raise KeyError(ident)


def uids(dc, user=USER):
    """The UIDs on the server, through a poplib session."""
    import poplib
    import ssl
    ctx = ssl.create_default_context(cafile=dc.cafile)
    ctx.check_hostname = False
    pop = poplib.POP3_SSL("127.0.0.1", dc.ports["pop3s"], context=ctx, timeout=10)
    try:
        pop.user(user)
        pop.pass_(dc.users[user])
        _resp, listing, _octets = pop.uidl()
        return [line.split()[1].decode() for line in listing]
    finally:
        pop.quit()


# -- the tray item, as a StatusNotifierHost sees it ------------------------

SNI_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"


def registered_items(d):
    reply = d.bus.call_sync(WATCHER_NAME, "/StatusNotifierWatcher",
                            "org.freedesktop.DBus.Properties", "Get",
                            GLib.Variant("(ss)", (WATCHER_NAME, "RegisteredStatusNotifierItems")),
                            GLib.VariantType("(v)"), Gio.DBusCallFlags.NONE, CALL_MS, None)
    return reply.unpack()[0]


def split_item(item):
    """"BUSNAME/PATH" (the watcher's form) -> (bus name, object path)."""
    slash = item.index("/")
    return item[:slash], item[slash:]


def sni_property(d, item, name):
    bus_name, path = split_item(item)
    reply = d.bus.call_sync(bus_name, path, "org.freedesktop.DBus.Properties", "Get",
                            GLib.Variant("(ss)", (SNI_IFACE, name)), GLib.VariantType("(v)"),
                            Gio.DBusCallFlags.NONE, CALL_MS, None)
    return reply.unpack()[0]


def sni_call(d, item, method, args=None):
    bus_name, path = split_item(item)
    d.bus.call_sync(bus_name, path, SNI_IFACE, method, args, None,
                    Gio.DBusCallFlags.NONE, CALL_MS, None)


def menu_layout(d, item):
    bus_name, _path = split_item(item)
    menu_path = sni_property(d, item, "Menu")
    reply = d.bus.call_sync(bus_name, menu_path, MENU_IFACE, "GetLayout",
                            GLib.Variant("(iias)", (0, -1, [])), None,
                            Gio.DBusCallFlags.NONE, CALL_MS, None)
    _revision, layout = reply.unpack()
    return menu_path, layout


def menu_items(layout):
    """Flatten a dbusmenu layout (id, props, children) into a list of
    (id, props)."""
    out = []
    ident, props, children = layout
    out.append((ident, props))
    for child in children:
        out.extend(menu_items(child))
    return out


def menu_find(layout, label):
    for ident, props in menu_items(layout):
        if props.get("label", "").replace("_", "") == label:
            return ident, props
    raise AssertionError("no menu item %r in %r" % (label, menu_items(layout)))


def menu_click(d, item, ident):
    bus_name, _path = split_item(item)
    menu_path = sni_property(d, item, "Menu")
    d.bus.call_sync(bus_name, menu_path, MENU_IFACE, "Event",
                    GLib.Variant("(isvu)", (ident, "clicked", GLib.Variant("s", ""), 0)),
                    None, Gio.DBusCallFlags.NONE, CALL_MS, None)


# -- the accessibility tree ------------------------------------------------

def atspi():
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi
    return Atspi


def atspi_app(name="mailpeek"):
    Atspi = atspi()
    desktop = Atspi.get_desktop(0)
    # The client caches the tree and only learns of changes from events a
    # main loop delivers; asking afresh is simpler and exact.
    desktop.clear_cache()
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        # the application name (g_set_application_name) or the program's
        if app is not None and (app.get_name() or "").lower() == name.lower():
            return app
    return None


def descendants(acc, depth=0, limit=40):
    if acc is None or depth > limit:
        return
    yield acc
    try:
        n = acc.get_child_count()
    except GLib.Error:
        return
    for i in range(n):
        try:
            child = acc.get_child_at_index(i)
        except GLib.Error:
            continue
        yield from descendants(child, depth + 1, limit)


def find_accessible(root, role=None, name=None, showing=True):
    Atspi = atspi()
    for acc in descendants(root):
        try:
            if role is not None and acc.get_role_name() != role:
                continue
            if name is not None and acc.get_name() != name:
                continue
            if showing and not acc.get_state_set().contains(Atspi.StateType.SHOWING):
                continue
        except GLib.Error:
            continue
        return acc
    return None


def showing_window(name="mailpeek"):
    """The applet's frame if one is on screen."""
    app = atspi_app(name)
    if app is None:
        return None
    app.clear_cache()
    return find_accessible(app, role="frame")
