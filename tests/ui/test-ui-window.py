#!/usr/bin/python3
# test-ui-window.py: the preview window driven through the accessibility
# tree, as a person would, against a real Dovecot with the sample mailbox
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# - the list shows the server's messages with decoded From and Subject;
# - select one, press Delete, then Undo: nothing deleted (no DELE in the
#   server's log); Delete again and wait: exactly that UID is gone;
# - every control showing (push and toggle buttons, entries, the table
#   and its column headers, lists, menu items) has an accessible name:
#   with a message selected, with the search bar, the main menu open and
#   the Undo bar (the offenders are listed when it fails);
# - with --keys (a second test, ui-window-keys): Ctrl+S downloads a
#   byte-exact file (the message with the attachment), Ctrl+F filters;
#   Tab goes from the list to the details pane's buttons, and through
#   the account list in one stop without selecting another account;
# - with --russian (a second test, ui-window-ru): under LANGUAGE=ru a
#   Russian label is found in the window (needs po/ru.po to translate the
#   window's strings: the lead adds them at merge time).

import os
import sys
import time
import unittest

import uitest
from uitest import USER, wait_for

from gi.repository import Gio, GLib

RUSSIAN = "--russian" in sys.argv
# --keys: Ctrl+S and Ctrl+F pressed on the focused list (ui-window-keys):
# MpWindow's accelerators must win over GtkTreeView's own key handling.
KEYS = "--keys" in sys.argv
# The window's "N messages deleted · Undo" bar waits this long before the
# server session starts (MpWindow:undo-timeout).
UNDO_SECONDS = 5


_x = {}


def key(keysym_name, modifiers=()):
    """Press a key (by keysym name) with modifiers held, as the keyboard
    would: XTest through libXtst (the AT-SPI registry's synthesis drops
    the modifiers of a keysym event).  No window manager runs, so the key
    goes to the window under the pointer."""
    import ctypes
    if not _x:
        x11 = ctypes.CDLL("libX11.so.6")
        xtst = ctypes.CDLL("libXtst.so.6")
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XKeysymToKeycode.restype = ctypes.c_ubyte
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                           ctypes.c_ulong]
        display = x11.XOpenDisplay(os.environ["DISPLAY"].encode())
        assert display, "cannot open the X display"
        _x.update(x11=x11, xtst=xtst, display=display)
    x11, xtst, display = _x["x11"], _x["xtst"], _x["display"]

    def code(name):
        keycode = x11.XKeysymToKeycode(display, x11.XStringToKeysym(name.encode()))
        assert keycode, "no keycode for %s" % name
        return keycode

    held = [code({"ctrl": "Control_L"}[m]) for m in modifiers]
    for c in held:
        xtst.XTestFakeKeyEvent(display, c, 1, 0)
    xtst.XTestFakeKeyEvent(display, code(keysym_name), 1, 0)
    xtst.XTestFakeKeyEvent(display, code(keysym_name), 0, 0)
    for c in reversed(held):
        xtst.XTestFakeKeyEvent(display, c, 0, 0)
    x11.XFlush(display)


def table_rows(table, attempts=20):
    """The text of each row of a GtkTreeView's accessible table.  The list
    may change while it is read (a poll, a filter): a cell that vanished
    mid-read makes it read the whole table again."""
    t = table.get_table_iface() if hasattr(table, "get_table_iface") else table
    for attempt in range(attempts):
        table.clear_cache()
        try:
            rows = []
            for r in range(t.get_n_rows()):
                cells = []
                for c in range(t.get_n_columns()):
                    cell = t.get_accessible_at(r, c)
                    cells.append(cell.get_name() if cell is not None else "")
                rows.append(cells)
            return rows
        except GLib.Error:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


def row_index(table, text):
    for i, cells in enumerate(table_rows(table)):
        if any(text == c for c in cells):
            return i
    return None


# Controls a screen reader announces by their name: each one showing must
# have a non-empty accessible name (it is also how the tests find them).
NAMED_ROLES = {"push button", "toggle button", "menu button", "check box", "radio button",
               "entry", "text", "password text", "spin button", "combo box", "table",
               "tree table", "table column header", "list", "list box", "tree", "menu item",
               "check menu item", "radio menu item"}


def unnamed_controls(root):
    """The showing controls under ROOT without an accessible name, each as
    the path of roles and names that leads to it."""
    Atspi = uitest.atspi()
    offenders = []

    def walk(acc, path, depth):
        if acc is None or depth > 40:
            return
        try:
            role = acc.get_role_name()
            name = acc.get_name() or ""
            showing = acc.get_state_set().contains(Atspi.StateType.SHOWING)
            n = acc.get_child_count()
        except GLib.Error:
            return
        here = path + ["%s %r" % (role, name) if name else role]
        if showing and role in NAMED_ROLES and not name.strip():
            # what else tells it apart: its tooltip (the description)
            try:
                hint = acc.get_description() or ""
            except GLib.Error:
                hint = ""
            offenders.append(" > ".join(here) + (" (described as %r)" % hint if hint else ""))
        # a table's cells are the mail itself, named by their text
        if role in ("table", "tree table"):
            t = acc.get_table_iface() if hasattr(acc, "get_table_iface") else acc
            for c in range(t.get_n_columns()):
                header = t.get_column_header(c)
                if header is None or not (header.get_name() or "").strip():
                    offenders.append(" > ".join(here + ["column header %d" % c]))
            return
        for i in range(n):
            try:
                child = acc.get_child_at_index(i)
            except GLib.Error:
                continue
            walk(child, here, depth + 1)

    root.clear_cache()
    walk(root, [], 0)
    return offenders


def uid_of(dc, message_id):
    import poplib
    import ssl
    ctx = ssl.create_default_context(cafile=dc.cafile)
    ctx.check_hostname = False
    pop = poplib.POP3_SSL("127.0.0.1", dc.ports["pop3s"], context=ctx, timeout=10)
    try:
        pop.user(USER)
        pop.pass_(dc.users[USER])
        for line in pop.uidl()[1]:
            number, uid = line.split()
            header = pop.top(int(number), 0)[1]
            if ("Message-ID: " + message_id).encode() in header:
                return uid.decode()
    finally:
        pop.quit()
    return None


class WindowTest(unittest.TestCase):

    def setUp(self):
        self.downloads = os.path.join(os.environ["MP_SESSION_DIR"], "downloads")
        os.makedirs(self.downloads, exist_ok=True)

    def open_window(self, d, env=None):
        # The global download folder, where the folder chooser starts.
        settings = Gio.Settings.new(uitest.APP_ID)
        settings.set_string("download-folder", self.downloads)
        Gio.Settings.sync()
        d.start_app(extra_env=env)
        d.wait_idle()
        d.status_call("ShowMessages")
        frame = wait_for("the window", uitest.showing_window)
        return frame

    def test_window(self):
        if RUSSIAN:
            return self.russian()
        if KEYS:
            return self.keys()
        with uitest.Desktop(sample=True) as d:
            samples = {m["id"]: m for m in d.dc.messages[USER]}
            frame = self.open_window(d)
            table = wait_for("the message list",
                             lambda: uitest.find_accessible(frame, name="Messages"))
            wait_for("every message listed", lambda: len(table_rows(table)) == len(samples))

            # decoded From and Subject
            cells = [c for row in table_rows(table) for c in row]
            for ident in ("koi8r-raw", "utf8-b", "koi8r-b", "iso2022jp", "cp1251"):
                e = samples[ident]["expect"]
                self.assertIn(e["subject"], cells, ident)
                self.assertTrue(any(e["from_name"] in c for c in cells), (ident, e["from_name"]))

            # Delete, then Undo: nothing deleted
            victim = samples["latin1-q"]["expect"]
            subject = victim["subject"]
            uid = uid_of(d.dc, victim["message_id"])
            before = uitest.uids(d.dc)
            offset = d.dc.log_offset()
            self.select(table, subject)
            self.assert_all_named(frame)
            key("Delete")
            wait_for("the row gone", lambda: row_index(table, subject) is None)
            undo = wait_for("the Undo button", lambda: uitest.find_accessible(frame, name="Undo"))
            self.assert_all_named(frame, "with the Undo bar")
            undo.get_action_iface().do_action(0)
            wait_for("the row back", lambda: row_index(table, subject) is not None)
            # nothing to wait on for something that must not happen: the
            # undo period, then a poll queued after any session it started
            time.sleep(UNDO_SECONDS + 1)
            d.check_and_wait(offset=d.dc.log_offset())
            text = d.dc.log_since(offset)
            self.assertNotRegex(text, r"del=[1-9]", text)
            self.assertEqual(uitest.uids(d.dc), before)

            # Delete again and wait: exactly that UID is gone
            self.select(table, subject)
            key("Delete")
            wait_for("the UID gone from the server", lambda: uid not in uitest.uids(d.dc),
                     timeout=UNDO_SECONDS + uitest.TIMEOUT)
            self.assertEqual(sorted(uitest.uids(d.dc)), sorted(u for u in before if u != uid))
            # and the applet has taken the server's answer in
            wait_for("the mailbox updated",
                     lambda: d.status_property("TotalMessages") == len(before) - 1)
            wait_for("the delete session over", lambda: d.account_summary().get("state") == "ok")

            d.stop_app()

    def keys(self):
        with uitest.Desktop(sample=True) as d:
            samples = {m["id"]: m for m in d.dc.messages[USER]}
            frame = self.open_window(d)
            table = wait_for("the message list",
                             lambda: uitest.find_accessible(frame, name="Messages"))
            wait_for("every message listed", lambda: len(table_rows(table)) == len(samples))

            # Ctrl+S: the message with the attachment, byte-exact
            big = samples["big-attachment"]
            self.select(table, big["expect"]["subject"])
            self.tab_order(frame)
            self.select(table, big["expect"]["subject"])
            key("s", ("ctrl",))
            dialog = wait_for("the folder chooser",
                              lambda: uitest.find_accessible(uitest.atspi_app(), role="file chooser") or
                              uitest.find_accessible(uitest.atspi_app(), role="dialog"))
            button = None
            for name in ("Select", "Download", "Save", "Open", "OK"):
                button = uitest.find_accessible(dialog, role="push button", name=name)
                if button is not None:
                    break
            self.assertIsNotNone(button, "no accept button in the folder chooser")
            button.get_action_iface().do_action(0)
            expected = uitest.mptest.load_harness().to_crlf(big["data"])
            wait_for("the downloaded file", lambda: self.downloaded(expected))

            # Ctrl+F filters
            key("f", ("ctrl",))
            entry = wait_for("the search entry",
                             lambda: uitest.find_accessible(frame, name="Search messages"))
            entry.get_editable_text_iface().set_text_contents("Quarterly")
            wait_for("one row left", lambda: len(table_rows(table)) == 1)
            self.assertIsNotNone(row_index(table, big["expect"]["subject"]))
            d.stop_app()

    def russian(self):
        # Needs the Russian translation of the window's strings (po/ru.po,
        # regenerated by the lead at merge time); the build's .mo files
        # are found through MAILPEEK_LOCALEDIR.
        localedir = os.environ.get("MAILPEEK_LOCALEDIR")
        if not localedir or not os.path.exists(os.path.join(localedir, "ru", "LC_MESSAGES",
                                                            "mailpeek.mo")):
            print("no Russian catalogue built", file=sys.stderr)
            sys.exit(uitest.SKIP)
        with uitest.Desktop(sample=True) as d:
            frame = self.open_window(d, env={"LANGUAGE": "ru", "LC_ALL": "C.UTF-8"})
            # "Check now" and "Messages" in Russian (accessible names)
            russian = wait_for("a Russian label", lambda: next(
                (a for a in uitest.descendants(frame)
                 if any("\u0400" <= ch <= "\u04ff" for ch in (a.get_name() or ""))
                 # controls only: message cells hold Cyrillic mail text anyway
                 and a.get_role_name() in ("push button", "toggle button",
                                           "table column header")),
                None))
            self.assertTrue(russian.get_name())
            # and every control keeps a name in Russian
            offenders = unnamed_controls(frame)
            if offenders:
                self.fail("controls without an accessible name under LANGUAGE=ru:\n  " +
                          "\n  ".join(offenders))
            d.stop_app()

    def tab_order(self, frame):
        """Tab from the list reaches the details pane's buttons next; the
        account list is one Tab stop that leaves the selected account as
        it was (GtkListBox selects each row Tab passes)."""
        Atspi = uitest.atspi()
        app = uitest.atspi_app()

        def focused():
            for acc in uitest.descendants(app):
                try:
                    if acc.get_state_set().contains(Atspi.StateType.FOCUSED):
                        return (acc.get_role_name(), acc.get_name())
                except GLib.Error:
                    continue
            return None

        wait_for("the list focused", lambda: focused() == ("table", "Messages"))
        key("Tab")
        wait_for("Open in mail client focused after the list",
                 lambda: focused() == ("push button", "Open in mail client"))
        seen = []
        for _ in range(12):
            if focused() == ("list item", "All accounts"):
                break
            key("Tab")
            previous = seen[-1] if seen else ("push button", "Open in mail client")
            seen.append(wait_for("the focus to move", lambda: (focused() != previous and focused())))
        self.assertEqual(focused(), ("list item", "All accounts"), "Tab went %r" % (seen,))
        key("Tab")
        wait_for("the list focused after the accounts", lambda: focused() == ("table", "Messages"))
        row = uitest.find_accessible(frame, role="list item", name="All accounts")
        self.assertTrue(row.get_state_set().contains(Atspi.StateType.SELECTED),
                        "Tab through the account list changed the selected account")

    def assert_all_named(self, frame, state="with a message selected"):
        """Every control showing has an accessible name: the window as it
        is (a message selected: the details pane's buttons), then with
        the search bar and with the main menu open."""
        Atspi = uitest.atspi()
        offenders = {}
        wait_for("the details pane",
                 lambda: uitest.find_accessible(frame, role="push button",
                                                name="Open in mail client"))
        offenders[state] = unnamed_controls(frame)

        search = uitest.find_accessible(frame, role="toggle button", name="Search")
        self.assertIsNotNone(search, "no Search button")
        search.get_action_iface().do_action(0)
        wait_for("the search entry",
                 lambda: uitest.find_accessible(frame, name="Search messages"))
        offenders["with the search bar"] = unnamed_controls(frame)
        search.get_action_iface().do_action(0)
        wait_for("the search bar closed",
                 lambda: uitest.find_accessible(frame, name="Search messages") is None)

        menu = uitest.find_accessible(frame, name="Main menu")
        self.assertIsNotNone(menu, "no Main menu button")
        menu.get_action_iface().do_action(0)
        quit_item = wait_for("the main menu open",
                             lambda: uitest.find_accessible(frame, name="Quit"))
        offenders["with the main menu open"] = unnamed_controls(frame)
        menu.get_action_iface().do_action(0)
        wait_for("the main menu closed", lambda: not quit_item.get_state_set().contains(
            Atspi.StateType.SHOWING) or uitest.find_accessible(frame, name="Quit") is None)

        found = ["%s: %s" % (where, path) for where, paths in offenders.items() for path in paths]
        if found:
            self.fail("controls without an accessible name:\n  " + "\n  ".join(found))

    def select(self, table, text):
        """Click the row, as a person would: it selects the row and gives
        the list the keyboard focus (no window manager here: the keyboard
        goes to the window under the pointer)."""
        Atspi = uitest.atspi()
        index = wait_for("the row of %r" % text, lambda: row_index(table, text))
        t = table.get_table_iface() if hasattr(table, "get_table_iface") else table
        cell = None
        for c in range(t.get_n_columns()):
            cell = t.get_accessible_at(index, c)
            if cell is not None and cell.get_name() == text:
                break
        box = cell.get_extents(Atspi.CoordType.SCREEN)
        self.assertGreater(box.width, 0, "the row of %r is not on screen" % text)
        x, y = box.x + box.width // 2, box.y + box.height // 2
        Atspi.generate_mouse_event(x, y, "abs")
        Atspi.generate_mouse_event(x, y, "b1p")
        Atspi.generate_mouse_event(x, y, "b1r")

        def selected():
            i = row_index(table, text)
            return i is not None and t.is_row_selected(i)
        try:
            wait_for("the row of %r selected" % text, selected)
        except AssertionError:
            shot = os.environ.get("MP_UI_FAILURE_SHOT")
            if shot:
                os.system("import -window root %s" % shot)
            raise

    def downloaded(self, expected):
        for name in os.listdir(self.downloads):
            path = os.path.join(self.downloads, name)
            if name.endswith(".eml") and os.path.isfile(path):
                with open(path, "rb") as f:
                    if f.read() == expected:
                        return path
        return None


if __name__ == "__main__":
    unittest.main(verbosity=2, argv=[sys.argv[0]])
