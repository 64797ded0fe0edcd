#!/usr/bin/python3
"""A test double of the COGNIT frontend's public key route: `GET /v1/public_key` answers 200
with a JSON string holding the issuer's Ed25519 public key in hex (or "ed25519/<hex>").

Run as a script:
  /usr/bin/python3 tests/doubles/cognit_frontend.py --port 0 --key HEX [--prefixed]
      [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]   (HTTPS instead of HTTP)
prints "ready <port>" once it listens on 127.0.0.1, stops on SIGTERM or when its standard input
closes (--exit-on-stdin-eof).

Or import it: `double = start(key_hex)`, `double.port`, `double.rotate(hex)`, `double.stop()`.

Test routes:
  GET  /_test/requests    {"public_key": <number of GET /v1/public_key answered>}
  GET  /_test/connections {"connections": <number of TCP connections accepted>}
  GET  /_test/big/<n>     a JSON string of n characters
  GET  /_test/close       answers, then closes the connection without a Connection: close
  GET  /_test/closes      {"closes": <number of connections /_test/close has closed (FIN sent)>}
  POST /_test/key         body: the new key (hex text), takes effect at once (key rotation)
  POST /_test/status      body: an HTTP status for /v1/public_key from now on (200 to heal)
  POST /_test/delay       body: seconds to wait before answering /v1/public_key
"""
import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, key_hex, prefixed):
        self.lock = threading.Lock()
        self.key_hex = key_hex
        self.prefixed = prefixed
        self.status = 200
        self.delay = 0.0
        self.requests = 0
        self.connections = 0
        self.closes = 0


def _make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):
            pass

        def setup(self):
            super().setup()
            with state.lock:
                state.connections += 1
            self.closing = False

        def finish(self):
            super().finish()
            if self.closing:
                # The FIN leaves now, before /_test/closes counts it: a test that saw the count
                # knows the peer's socket has been told.
                try:
                    self.connection.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                with state.lock:
                    state.closes += 1

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/v1/public_key":
                with state.lock:
                    state.requests += 1
                    status, delay, key = state.status, state.delay, state.key_hex
                    prefixed = state.prefixed
                if delay:
                    time.sleep(delay)
                if status != 200:
                    self.reply(status, {"detail": "Internal Server Error"})
                else:
                    self.reply(200, ("ed25519/" + key) if prefixed else key)
            elif self.path == "/_test/requests":
                with state.lock:
                    self.reply(200, {"public_key": state.requests})
            elif self.path == "/_test/connections":
                with state.lock:
                    self.reply(200, {"connections": state.connections})
            elif self.path.startswith("/_test/big/"):
                self.reply(200, "x" * int(self.path.rsplit("/", 1)[1]))
            elif self.path == "/_test/close":
                # Answers, then closes the connection without saying so (as a peer restarting).
                self.reply(200, True)
                self.close_connection = True
                self.closing = True
            elif self.path == "/_test/closes":
                with state.lock:
                    self.reply(200, {"closes": state.closes})
            else:
                self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode().strip()
            with state.lock:
                if self.path == "/_test/key":
                    state.key_hex = body
                elif self.path == "/_test/status":
                    state.status = int(body)
                elif self.path == "/_test/delay":
                    state.delay = float(body)
                else:
                    self.reply(404, {"detail": "Not Found"})
                    return
            self.reply(200, True)

    return Handler


def _serve_tls(server, cert_file, key_file, client_ca_file=None):
    """Makes `server` speak HTTPS with this certificate; with client_ca_file, it also asks for a
    client certificate signed by that CA."""
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    if client_ca_file:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: on a loaded machine, a burst of connections then
    # loses SYNs, and the kernel retries them 1, 3, 7 s later (a test's call times out).
    request_queue_size = 128


class CognitFrontendDouble:
    def __init__(self, key_hex, prefixed=False, port=0, tls=None):
        self.state = State(key_hex, prefixed)
        self.server = _Server(("127.0.0.1", port), _make_handler(self.state))
        if tls:  # (cert_file, key_file[, client_ca_file])
            _serve_tls(self.server, *tls)
        self.port = self.server.server_address[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def rotate(self, key_hex):
        with self.state.lock:
            self.state.key_hex = key_hex

    def requests(self):
        with self.state.lock:
            return self.state.requests

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start(key_hex, prefixed=False, port=0, tls=None):
    double = CognitFrontendDouble(key_hex, prefixed, port, tls)
    double.thread.start()
    return double


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", required=True, help="the public key, 64 hex digits")
    parser.add_argument("--prefixed", action="store_true", help='answer "ed25519/<hex>"')
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's key (PEM)")
    parser.add_argument("--tls-client-ca", help="require a client certificate from this CA")
    args = parser.parse_args()
    tls = (args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    double = start(args.key, args.prefixed, args.port, tls)
    print("ready %d" % double.port, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    double.stop()
    os._exit(0)


if __name__ == "__main__":
    main()
