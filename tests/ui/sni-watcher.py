#!/usr/bin/python3
# sni-watcher.py: a minimal org.kde.StatusNotifierWatcher for the UI tests
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Owns org.kde.StatusNotifierWatcher on the session bus, accepts
# RegisterStatusNotifierItem, says a host is registered, and forgets an
# item when its bus name vanishes, as real watchers (KDE's, waybar's) do.
# Prints "ready" on stdout once it owns the name.  Gio only.

import sys

from gi.repository import Gio, GLib

NAME = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""

items = []      # "BUSNAME/PATH" strings
watches = {}    # bus name -> watch id


def emit(conn, signal, item):
    conn.emit_signal(None, PATH, NAME, signal, GLib.Variant("(s)", (item,)))
    conn.emit_signal(None, PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged",
                     GLib.Variant("(sa{sv}as)", (NAME, {"RegisteredStatusNotifierItems":
                                                        GLib.Variant("as", items)}, [])))


def on_vanished(conn, name):
    for item in [i for i in items if i.split("/", 1)[0] == name]:
        items.remove(item)
        emit(conn, "StatusNotifierItemUnregistered", item)
    Gio.bus_unwatch_name(watches.pop(name))


def method_call(conn, sender, path, iface, method, params, invocation):
    if method == "RegisterStatusNotifierItem":
        service = params.unpack()[0]
        # an object path alone means "at the sender's unique name"
        if service.startswith("/"):
            bus_name, obj = sender, service
        else:
            bus_name, obj = service, "/StatusNotifierItem"
        item = bus_name + obj
        if item not in items:
            items.append(item)
            if bus_name not in watches:
                watches[bus_name] = Gio.bus_watch_name_on_connection(
                    conn, bus_name, Gio.BusNameWatcherFlags.NONE, None, on_vanished)
            emit(conn, "StatusNotifierItemRegistered", item)
        invocation.return_value(None)
    elif method == "RegisterStatusNotifierHost":
        invocation.return_value(None)
    else:
        invocation.return_dbus_error("org.freedesktop.DBus.Error.UnknownMethod", method)


def get_property(conn, sender, path, iface, prop):
    if prop == "RegisteredStatusNotifierItems":
        return GLib.Variant("as", items)
    if prop == "IsStatusNotifierHostRegistered":
        return GLib.Variant("b", True)
    if prop == "ProtocolVersion":
        return GLib.Variant("i", 0)
    return None


def main():
    loop = GLib.MainLoop()
    node = Gio.DBusNodeInfo.new_for_xml(XML)

    def on_bus(conn, name):
        conn.register_object(PATH, node.interfaces[0], method_call, get_property, None)

    def on_name(conn, name):
        print("ready", flush=True)

    def on_lost(conn, name):
        print("sni-watcher: could not own %s" % NAME, file=sys.stderr)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, NAME, Gio.BusNameOwnerFlags.NONE,
                     on_bus, on_name, on_lost)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 2, loop.quit)
    loop.run()


if __name__ == "__main__":
    main()
