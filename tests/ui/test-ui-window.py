#!/usr/bin/python3
# test-ui-window.py: the preview window driven through the accessibility
# tree, as a person would, against a real Dovecot with the sample mailbox
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# - the list shows the server's messages with decoded From and Subject;
# - select one, press Delete, then Undo: nothing deleted (no DELE in the
#   server's log); Delete again and wait: exactly that UID is gone;
# - Ctrl+S downloads a byte-exact file (the message with the attachment);
# - Ctrl+F filters the list;
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
# The window's "N messages deleted · Undo" bar waits this long before the
# server session starts (MpWindow:undo-timeout).
UNDO_SECONDS = 5


def key(keysym_name, modifiers=()):
    Atspi = uitest.atspi()
    from gi.repository import Gdk
    mods = {"ctrl": Gdk.keyval_from_name("Control_L")}
    for m in modifiers:
        Atspi.generate_keyboard_event(mods[m], None, Atspi.KeySynthType.PRESS | Atspi.KeySynthType.SYM)
    Atspi.generate_keyboard_event(Gdk.keyval_from_name(keysym_name), None,
                                  Atspi.KeySynthType.PRESSRELEASE | Atspi.KeySynthType.SYM)
    for m in reversed(modifiers):
        Atspi.generate_keyboard_event(mods[m], None, Atspi.KeySynthType.RELEASE | Atspi.KeySynthType.SYM)


def table_rows(table):
    """The text of each row of a GtkTreeView's accessible table."""
    t = table.get_table_iface() if hasattr(table, "get_table_iface") else table
    rows = []
    for r in range(t.get_n_rows()):
        cells = []
        for c in range(t.get_n_columns()):
            cell = t.get_accessible_at(r, c)
            cells.append(cell.get_name() if cell is not None else "")
        rows.append(cells)
    return rows


def row_index(table, text):
    for i, cells in enumerate(table_rows(table)):
        if any(text == c for c in cells):
            return i
    return None


def uid_of(dc, subject):
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
            if ("Subject: " + subject).encode() in header:
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
            subject = "Undated message"
            uid = uid_of(d.dc, subject)
            before = uitest.uids(d.dc)
            offset = d.dc.log_offset()
            self.select(table, subject)
            key("Delete")
            wait_for("the row gone", lambda: row_index(table, subject) is None)
            undo = wait_for("the Undo button", lambda: uitest.find_accessible(frame, name="Undo"))
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

            # Ctrl+S: the message with the attachment, byte-exact
            big = samples["big-attachment"]
            self.select(table, big["expect"]["subject"])
            key("s", ("ctrl",))
            app = uitest.atspi_app()
            dialog = wait_for("the folder chooser",
                              lambda: uitest.find_accessible(app, role="file chooser") or
                              uitest.find_accessible(app, role="dialog"))
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
            self.select(table, big["expect"]["subject"])
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
                 and a.get_role_name() in ("push button", "toggle button", "label",
                                           "table", "tree table", "table column header")),
                None))
            self.assertTrue(russian.get_name())
            d.stop_app()

    def select(self, table, text):
        index = wait_for("the row of %r" % text, lambda: row_index(table, text))
        t = table.get_table_iface() if hasattr(table, "get_table_iface") else table
        t.add_row_selection(index)
        table.get_component_iface().grab_focus()
        wait_for("the row selected", lambda: t.is_row_selected(index))

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
