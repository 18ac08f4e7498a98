#!/usr/bin/python3
# mpproxy.py: a loopback TCP proxy that adds latency and records traffic
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Each chunk read from one side is written to the other DELAY seconds after
# it arrived, in order; chunks in flight do not wait for each other, so the
# proxy adds latency (2 x DELAY per round trip) without limiting bandwidth,
# like a long cable.  Client-to-server bytes of every connection are kept
# for tests that must prove what a client sent.
#
# With cut_after (--cut-after WORD), a connection is dropped on purpose:
# once a client line starting with WORD (e.g. DELE) has been forwarded,
# the proxy waits for the server's answer to it (at most CUT_WAIT seconds),
# does not pass that answer on, and closes both sides.  Nothing the client
# sends after that line reaches the server.  This is how a test drops a
# plain-text POP3 session after DELE and before QUIT.
#
#   mpproxy.py --target PORT [--delay 0.005] [--lifetime 120] [--cut-after DELE]
#     listens on 127.0.0.1 on a free port, prints {"port": N} on one line,
#     serves until --lifetime seconds have passed, its parent has gone, or
#     SIGTERM/SIGINT.
#
#   As a module:
#     with Proxy(target_port, delay=0.005) as proxy:
#         proxy.port, proxy.sent_by_client()
#     with Proxy(target_port, cut_after="DELE") as proxy:
#         ...; proxy.cut_replies  (one per connection cut so far)

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time

CHUNK = 65536

# How long a cut waits for the server to answer the line it cuts after.
CUT_WAIT = 15.0


class _LineWatch:
    """Finds the end of the first client line that starts with PREFIX
    (case-insensitive, as POP3 commands are), across chunk boundaries."""

    def __init__(self, prefix):
        self.prefix = prefix.upper()
        self.head = b""

    def split(self, data):
        """(bytes to forward, True if they end with a PREFIX line)."""
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
            if len(self.head) < len(self.prefix):
                self.head += data[pos:end][:len(self.prefix) - len(self.head)]
            pos = end
            if nl >= 0:
                if self.head.upper() == self.prefix:
                    return data[:end], True
                self.head = b""
        return data, False


class _Cut:
    """The state of one connection that is to be cut."""

    def __init__(self, prefix):
        self.watch = _LineWatch(prefix)
        # set once the line went out to the server: from then on nothing
        # more goes to the client
        self.armed = asyncio.Event()
        self.done = asyncio.Event()
        # what the server answered to the line, kept from the client
        self.reply = b""


class _Pipe:
    """One direction of one connection."""

    def __init__(self, reader, writer, delay, record=None, cut=None, upstream=True):
        self.reader = reader
        self.writer = writer
        self.delay = delay
        self.record = record
        self.cut = cut
        self.upstream = upstream
        self.queue = asyncio.Queue()

    async def pump_in(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await self.reader.read(CHUNK)
                if not data:
                    break
                if self.cut is not None and self.upstream:
                    data, cut_here = self.cut.watch.split(data)
                    if self.record is not None:
                        self.record.append(data)
                    self.queue.put_nowait((loop.time() + self.delay, data, cut_here))
                    if cut_here:
                        # the rest of the client's bytes never go anywhere
                        return
                    continue
                if self.cut is not None and self.cut.armed.is_set():
                    # the server's answer to the cut line: withheld; the
                    # cut happens once a whole line of it has come
                    self.cut.reply += data
                    if b"\n" in self.cut.reply:
                        self.cut.done.set()
                    continue
                if self.record is not None:
                    self.record.append(data)
                self.queue.put_nowait((loop.time() + self.delay, data, False))
        except (ConnectionError, OSError):
            pass
        finally:
            self.queue.put_nowait((loop.time() + self.delay, None, False))

    async def pump_out(self):
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, data, cut_here = await self.queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    break
                self.writer.write(data)
                if cut_here:
                    # armed before any await, so no answer the server
                    # sends to this line can slip through to the client
                    self.cut.armed.set()
                    await self.writer.drain()
                    break
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if self.cut is None or not self.cut.armed.is_set():
                try:
                    if self.writer.can_write_eof():
                        self.writer.write_eof()
                except (ConnectionError, OSError, RuntimeError):
                    pass


class Proxy:
    """The proxy in a background thread with its own event loop."""

    def __init__(self, target_port, delay=0.0, target_host="127.0.0.1", cut_after=None):
        self.target = (target_host, target_port)
        self.delay = delay
        if isinstance(cut_after, str):
            cut_after = cut_after.encode("ascii")
        self.cut_after = cut_after
        self.port = None
        self.connections = []
        # per connection cut after a cut_after line: the server's answer
        # to that line, which the client never saw (b"" if none came)
        self.cut_replies = []
        self._loop = None
        self._server = None
        self._thread = None
        self._ready = threading.Event()
        self._tasks = set()

    async def _handle(self, client_reader, client_writer):
        record = []
        self.connections.append(record)
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        cut = _Cut(self.cut_after) if self.cut_after else None
        up = _Pipe(client_reader, server_writer, self.delay, record, cut, True)
        down = _Pipe(server_reader, client_writer, self.delay, None, cut, False)
        pumps = [up.pump_in(), up.pump_out(), down.pump_in(), down.pump_out()]
        try:
            if cut is None:
                await asyncio.gather(*pumps)
            else:
                await self._serve_until_cut(cut, pumps)
        finally:
            for w in (client_writer, server_writer):
                w.close()

    async def _serve_until_cut(self, cut, pumps):
        tasks = [asyncio.ensure_future(p) for p in pumps]
        armed = asyncio.ensure_future(cut.armed.wait())
        try:
            # the connection may end by itself before any cut line
            while not armed.done() and not all(t.done() for t in tasks):
                pending = [t for t in tasks + [armed] if not t.done()]
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if armed.done():
                try:
                    await asyncio.wait_for(cut.done.wait(), CUT_WAIT)
                except asyncio.TimeoutError:
                    pass
                self.cut_replies.append(cut.reply)
        finally:
            for t in tasks + [armed]:
                t.cancel()
            await asyncio.gather(*tasks, armed, return_exceptions=True)

    def _handle_task(self, reader, writer):
        task = asyncio.ensure_future(self._handle(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def serve(self, port=0):
        self._server = await asyncio.start_server(self._handle_task, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    def start(self):
        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.serve())
            self._ready.set()
            self._loop.run_forever()
            for task in list(self._tasks):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="mpproxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def stop(self):
        if self._loop and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def sent_by_client(self, index=-1):
        """Bytes the client sent on connection INDEX (default: the last)."""
        return b"".join(self.connections[index])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


async def _main_async(args):
    proxy = Proxy(args.target, args.delay, cut_after=args.cut_after)
    await proxy.serve(args.port)
    print(json.dumps({"port": proxy.port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    parent = os.getppid()
    deadline = time.monotonic() + args.lifetime
    # stop by ourselves: after the lifetime, or when whoever started us
    # is gone
    while not stop.is_set() and time.monotonic() < deadline and os.getppid() == parent:
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except asyncio.TimeoutError:
            pass


def main():
    parser = argparse.ArgumentParser(description="latency-adding loopback TCP proxy")
    parser.add_argument("--target", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="listen port (default: free)")
    parser.add_argument("--delay", type=float, default=0.005,
                        help="seconds added in each direction (default 0.005)")
    parser.add_argument("--lifetime", type=float, default=120,
                        help="exit after this many seconds (default 120)")
    parser.add_argument("--cut-after", metavar="WORD",
                        help="drop each connection after forwarding a client line "
                        "starting with WORD (e.g. DELE) and the server's answer to it")
    args = parser.parse_args()
    asyncio.run(_main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
