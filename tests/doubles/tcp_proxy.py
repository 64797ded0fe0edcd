"""A TCP proxy on 127.0.0.1 that a test controls, to break a connection at the socket level.

    proxy = TcpProxy(target_port).start()   # proxy.port forwards to 127.0.0.1:target_port
    proxy.cut(refuse=True)   # closes every forwarded connection (RST) and refuses new ones
    proxy.cut(hold=True)     # the same, but new connections are accepted and held, unforwarded
    proxy.restore()          # forwards again (held connections too)
    proxy.pause()            # connections stay open but nothing goes through (a stalled
                             # network); proxy.stalled_bytes counts what the client sent since
    proxy.freeze()           # what the client sends is no longer read: its send buffer and
                             # our receive window fill, and its writes block (restore() ends it)

TcpProxy(port, receive_buffer=4096) keeps the window it offers the client small, so that a
frozen connection fills after little data.

One thread accepts; each connection has one thread that copies both ways with select(). Every
wait is bounded; stop() ends all of it.
"""
import select
import socket
import struct
import threading


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1", receive_buffer=None):
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if receive_buffer:
            # Inherited by accepted connections: the window offered from the first segment.
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs = []
        self._refusing = False
        self._holding = False
        self._held = []
        self._paused = False
        self._frozen = False
        self.stalled_bytes = 0
        self._stopping = False
        self._threads = []
        self.accepted = 0  # connections forwarded so far

    def start(self):
        thread = threading.Thread(target=self._accept_loop, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def _accept_loop(self):
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
                if self._holding and not refusing:
                    self._held.append(client)
                    continue
            if refusing:
                _reset(client)
                continue
            self._forward(client)

    def _forward(self, client):
        try:
            upstream = socket.create_connection(self.target, timeout=2.0)
        except OSError:
            _reset(client)
            return
        pair = (client, upstream)
        with self._lock:
            self._pairs.append(pair)
            self.accepted += 1
        thread = threading.Thread(target=self._pump, args=(pair,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump(self, pair):
        client, upstream = pair
        peer = {client: upstream, upstream: client}
        try:
            while not self._stopping:
                with self._lock:
                    frozen = self._frozen
                readable, _, _ = select.select([upstream] if frozen else [client, upstream], [],
                                               [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    with self._lock:
                        paused = self._paused
                        if paused and sock is client:
                            self.stalled_bytes += len(data)
                    if not paused:
                        peer[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                if pair in self._pairs:
                    self._pairs.remove(pair)
            _reset(client)
            _reset(upstream)

    def pause(self):
        """Drops (never forwards) what either side sends from now on, connections open."""
        with self._lock:
            self._paused = True
            self.stalled_bytes = 0

    def freeze(self):
        """Stops reading what clients send (what they receive still flows) until restore()."""
        with self._lock:
            self._frozen = True

    def cut(self, refuse=True, hold=False):
        """Resets every forwarded connection; with refuse, new ones too until restore(); with
        hold, new ones wait unforwarded until restore()."""
        with self._lock:
            self._refusing = refuse and not hold
            self._holding = hold
            self._paused = False
            pairs = list(self._pairs)
            self._pairs.clear()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def restore(self):
        with self._lock:
            self._refusing = False
            self._holding = False
            self._frozen = False
            held, self._held = self._held, []
        for client in held:
            self._forward(client)

    def connections(self):
        with self._lock:
            return len(self._pairs)

    def stop(self):
        self._stopping = True
        self.cut(refuse=True)
        with self._lock:
            held, self._held = self._held, []
        for client in held:
            _reset(client)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2.0)


def _reset(sock):
    """Closes with RST (SO_LINGER 0), as a dead peer or a middlebox would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
