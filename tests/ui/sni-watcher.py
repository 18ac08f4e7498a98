#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sni-watcher.py: an org.kde.StatusNotifierWatcher for the tests.
#
# Owns org.kde.StatusNotifierWatcher on the session bus (or --address) and
# implements the watcher side of the StatusNotifierItem protocol as KDE's
# does: RegisterStatusNotifierItem (a bus name, or an object path taken
# with the caller's unique name), RegisterStatusNotifierHost, the
# properties RegisteredStatusNotifierItems, IsStatusNotifierHostRegistered
# and ProtocolVersion, the four signals, and an item or host is dropped
# when its bus name goes away.
#
# What happens is printed on stdout, one event per line, flushed, so a test
# can wait for a line instead of sleeping:
#
#   READY <unique-name>                 the watcher name is ours
#   REGISTERED <item> <sender>          an item registered (again)
#   UNREGISTERED <item>                 its owner left the bus
#   HOST <service>                      a host registered
#
# <item> is "<bus name>/StatusNotifierItem" for a name registration and
# "<unique name><path>" for a path registration.  --record FILE appends
# the same lines to FILE.  --refuse answers every item registration with
# an error (to test an item's fallback).  --no-host reports that no
# StatusNotifierHost is registered.  The watcher exits on SIGTERM/SIGINT,
# when its bus goes away, and with --exit-on-eof when stdin closes.

import argparse
import signal
import sys

from gi.repository import Gio, GLib

WATCHER_NAME = 'org.kde.StatusNotifierWatcher'
WATCHER_PATH = '/StatusNotifierWatcher'
DEFAULT_ITEM_PATH = '/StatusNotifierItem'

INTROSPECTION = '''
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem">
      <arg type="s" name="service" direction="in"/>
    </method>
    <method name="RegisterStatusNotifierHost">
      <arg type="s" name="service" direction="in"/>
    </method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered">
      <arg type="s" name="service"/>
    </signal>
    <signal name="StatusNotifierItemUnregistered">
      <arg type="s" name="service"/>
    </signal>
    <signal name="StatusNotifierHostRegistered"/>
    <signal name="StatusNotifierHostUnregistered"/>
  </interface>
</node>
'''


class Watcher:
    def __init__(self, connection, args, loop):
        self.connection = connection
        self.args = args
        self.loop = loop
        self.items = {}      # item string -> name watch id
        self.hosts = {}      # service -> name watch id
        self.record = open(args.record, 'a', encoding='utf-8') if args.record else None
        node = Gio.DBusNodeInfo.new_for_xml(INTROSPECTION)
        self.interface = node.interfaces[0]
        self.registration_id = connection.register_object(
            WATCHER_PATH, self.interface, self.on_method_call, self.on_get_property, None)

    def say(self, line):
        print(line, flush=True)
        if self.record:
            self.record.write(line + '\n')
            self.record.flush()

    def emit(self, name, parameters=None):
        self.connection.emit_signal(None, WATCHER_PATH, WATCHER_NAME, name, parameters)

    def properties_changed(self, names):
        changed = {name: self.on_get_property(self.connection, None, WATCHER_PATH,
                                              WATCHER_NAME, name)
                   for name in names}
        self.connection.emit_signal(None, WATCHER_PATH, 'org.freedesktop.DBus.Properties',
                                    'PropertiesChanged',
                                    GLib.Variant('(sa{sv}as)', (WATCHER_NAME, changed, [])))

    def on_method_call(self, connection, sender, path, interface, method, parameters,
                       invocation):
        if method == 'RegisterStatusNotifierItem':
            service = parameters.unpack()[0]
            if self.args.refuse:
                invocation.return_dbus_error('org.kde.StatusNotifierWatcher.Error.Refused',
                                             'sni-watcher.py was started with --refuse')
                return
            if service.startswith('/'):
                owner, item = sender, sender + service
            else:
                owner, item = service, service + DEFAULT_ITEM_PATH
            invocation.return_value(None)
            if item not in self.items:
                self.items[item] = Gio.bus_watch_name_on_connection(
                    connection, owner, Gio.BusNameWatcherFlags.NONE, None,
                    lambda _c, _n, item=item: self.item_vanished(item))
                self.properties_changed(['RegisteredStatusNotifierItems'])
            self.emit('StatusNotifierItemRegistered', GLib.Variant('(s)', (item,)))
            self.say('REGISTERED %s %s' % (item, sender))
        elif method == 'RegisterStatusNotifierHost':
            service = parameters.unpack()[0]
            invocation.return_value(None)
            if service not in self.hosts:
                self.hosts[service] = Gio.bus_watch_name_on_connection(
                    connection, service if not service.startswith('/') else sender,
                    Gio.BusNameWatcherFlags.NONE, None,
                    lambda _c, _n, service=service: self.host_vanished(service))
                self.emit('StatusNotifierHostRegistered')
                self.properties_changed(['IsStatusNotifierHostRegistered'])
            self.say('HOST %s' % service)
        else:
            invocation.return_dbus_error('org.freedesktop.DBus.Error.UnknownMethod', method)

    def item_vanished(self, item):
        watch_id = self.items.pop(item, None)
        if watch_id is None:
            return
        Gio.bus_unwatch_name(watch_id)
        self.emit('StatusNotifierItemUnregistered', GLib.Variant('(s)', (item,)))
        self.properties_changed(['RegisteredStatusNotifierItems'])
        self.say('UNREGISTERED %s' % item)

    def host_vanished(self, service):
        watch_id = self.hosts.pop(service, None)
        if watch_id is None:
            return
        Gio.bus_unwatch_name(watch_id)
        self.emit('StatusNotifierHostUnregistered')
        self.properties_changed(['IsStatusNotifierHostRegistered'])

    def on_get_property(self, connection, sender, path, interface, name):
        if name == 'RegisteredStatusNotifierItems':
            return GLib.Variant('as', list(self.items))
        if name == 'IsStatusNotifierHostRegistered':
            return GLib.Variant('b', bool(self.hosts) or not self.args.no_host)
        if name == 'ProtocolVersion':
            return GLib.Variant('i', 0)
        return None


def main():
    parser = argparse.ArgumentParser(description='A StatusNotifierWatcher for tests.')
    parser.add_argument('--address', help='bus address (default: the session bus)')
    parser.add_argument('--record', metavar='FILE', help='append the event lines to FILE')
    parser.add_argument('--refuse', action='store_true',
                        help='answer RegisterStatusNotifierItem with an error')
    parser.add_argument('--no-host', action='store_true',
                        help='IsStatusNotifierHostRegistered is false until a host registers')
    parser.add_argument('--exit-on-eof', action='store_true', help='exit when stdin closes')
    args = parser.parse_args()

    loop = GLib.MainLoop()
    if args.address:
        connection = Gio.DBusConnection.new_for_address_sync(
            args.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
    else:
        connection = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    connection.set_exit_on_close(False)
    connection.connect('closed', lambda *_: loop.quit())

    watcher = Watcher(connection, args, loop)
    status = {'code': 0}

    def acquired(_connection, _name):
        watcher.say('READY %s' % connection.get_unique_name())

    def lost(_connection, _name):
        print('sni-watcher.py: could not own %s' % WATCHER_NAME, file=sys.stderr, flush=True)
        status['code'] = 1
        loop.quit()

    owner_id = Gio.bus_own_name_on_connection(connection, WATCHER_NAME,
                                              Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
                                              acquired, lost)

    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda: loop.quit() or False)
    if args.exit_on_eof:
        GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT,
                          GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR,
                          lambda fd, cond: (not sys.stdin.readline() and loop.quit()) or True)

    loop.run()
    Gio.bus_unown_name(owner_id)
    connection.unregister_object(watcher.registration_id)
    try:
        connection.flush_sync(None)
    except GLib.Error:
        pass
    return status['code']


if __name__ == '__main__':
    sys.exit(main())
