#!/usr/bin/python3
"""A test double of OpenNebula's XML-RPC API: `one.document.info` with users, groups, document
owners and permissions, answering `[success, body, error code, resource id]` as OpenNebula does.

Run as a script:
  /usr/bin/python3 tests/doubles/opennebula_xmlrpc.py --port 0 --documents DOCS.json --users USERS.json
      [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]]   (HTTPS instead of HTTP)
prints "ready <port>" once it listens on 127.0.0.1, stops on SIGTERM or when its standard input
closes (--exit-on-stdin-eof), so a test that dies cannot leave it behind.

Or import it: `double = start(documents=[...], users={...})`, `double.port`, `double.stop()`.

USERS.json: {"alice": {"password": "pw", "uid": 5, "gid": 1, "group": "users"}, ...}
  (user "oneadmin" or group id 0 may read everything, as in OpenNebula).
DOCS.json: [{"id": 39, "owner": "alice", "name": "f", "type": 1339,
             "permissions": {"owner_use": 1, "group_use": 0, "other_use": 0},
             "template": {"LANG": "PY", "GEOLOCATION": {"LATITUDE": "43.05"}}}, ...]
  (a dict in the template becomes nested elements, a list repeated elements.)

Test controls (XML-RPC methods, same endpoint):
  test.set_document(doc)        add or replace a document
  test.remove_document(id)
  test.set_delay(seconds)       wait before answering every later one.document.info
  test.set_document_delay(id, seconds)   the same, only for document `id` (0 s clears it)
  test.set_raw_response(text)   answer every later POST with this HTTP body ("" to stop)
  test.requests()               how many one.document.info calls arrived
"""
import argparse
import json
import os
import signal
import socketserver
import sys
import threading
import time
from xml.sax.saxutils import escape
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

# OpenNebula's error codes (include/Request.h).
SUCCESS = 0x0000
AUTHENTICATION = 0x0100
AUTHORIZATION = 0x0200
NO_EXISTS = 0x0400

METHOD = "one.document.info"


def _cdata(text):
    return "<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _template_xml(name, value):
    if isinstance(value, dict):
        inner = "".join(_template_xml(k, v) for k, v in value.items())
        return "<%s>%s</%s>" % (name, inner, name)
    if isinstance(value, list):
        return "".join(_template_xml(name, v) for v in value)
    return "<%s>%s</%s>" % (name, _cdata(value), name)


def _bits(permissions, prefix):
    rights = (("U", "use"), ("M", "manage"), ("A", "admin"))
    return "".join("<%s_%s>%d</%s_%s>" % (prefix, letter, int(permissions.get(
        "%s_%s" % (prefix.lower(), word), 0)), prefix, letter) for letter, word in rights)


class Store:
    """Users and documents, shared between the server's threads."""

    def __init__(self, documents, users):
        self.lock = threading.Lock()
        self.users = dict(users)
        self.documents = {int(d["id"]): dict(d) for d in documents}
        self.delay = 0.0
        self.document_delays = {}
        self.released = threading.Event()  # set on stop: no answer waits any longer
        self.raw_response = ""
        self.request_count = 0

    def document_xml(self, doc):
        owner = self.users.get(doc.get("owner"), {})
        permissions = {"owner_use": 1}
        permissions.update(doc.get("permissions", {}))
        gid = int(doc.get("gid", owner.get("gid", 1)))
        gname = doc.get("group", owner.get("group", "users"))
        perms = (_bits(permissions, "OWNER") + _bits(permissions, "GROUP") +
                 _bits(permissions, "OTHER"))
        template = "".join(_template_xml(k, v) for k, v in doc.get("template", {}).items())
        return ("<DOCUMENT><ID>%d</ID><UID>%d</UID><GID>%d</GID><UNAME>%s</UNAME>"
                "<GNAME>%s</GNAME><NAME>%s</NAME><TYPE>%d</TYPE><PERMISSIONS>%s</PERMISSIONS>"
                "<LOCK/><TEMPLATE>%s</TEMPLATE></DOCUMENT>") % (
                    int(doc["id"]), int(owner.get("uid", 0)), gid, escape(doc.get("owner", "")),
                    escape(gname), escape(doc.get("name", "")), int(doc.get("type", 1339)), perms,
                    template)

    def document_info(self, session, oid):
        with self.lock:
            self.request_count += 1
            delay = self.document_delays.get(int(oid), self.delay)
        if delay:
            self.released.wait(delay)
        with self.lock:
            user, _, password = str(session).partition(":")
            account = self.users.get(user)
            if account is None or account.get("password") != password:
                return [False, "[one.document.info] User couldn't be authenticated, aborting call.",
                        AUTHENTICATION, -1]
            doc = self.documents.get(int(oid))
            if doc is None:
                return [False, "[one.document.info] Error getting document [%d]." % oid,
                        NO_EXISTS, int(oid)]
            if not self.may_use(user, account, doc):
                return [False, "[one.document.info] User [%d] : Not authorized to perform USE "
                        "DOCUMENT [%d]." % (int(account.get("uid", 0)), oid), AUTHORIZATION,
                        int(oid)]
            return [True, self.document_xml(doc), SUCCESS, int(oid)]

    def may_use(self, user, account, doc):
        if user == "oneadmin" or int(account.get("gid", -1)) == 0:
            return True
        permissions = {"owner_use": 1}
        permissions.update(doc.get("permissions", {}))
        owner = self.users.get(doc.get("owner"), {})
        if doc.get("owner") == user and permissions.get("owner_use"):
            return True
        doc_gid = int(doc.get("gid", owner.get("gid", 1)))
        if int(account.get("gid", -1)) == doc_gid and permissions.get("group_use"):
            return True
        return bool(permissions.get("other_use"))


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2", "/")

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        request = self.rfile.read(length)
        raw = self.server.store.raw_response
        if raw and b"<methodName>test." not in request:
            data = raw.encode("utf-8", "surrogateescape")
        else:
            data = self.server._marshaled_dispatch(request, None, self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog is 5: a burst of connections would lose SYNs.
    request_queue_size = 128


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


class OpenNebulaDouble:
    def __init__(self, documents=(), users=None, port=0, tls=None):
        self.store = Store(documents, users or {})
        self.server = _Server(("127.0.0.1", port), requestHandler=_Handler, logRequests=False,
                              allow_none=True)
        if tls:  # (cert_file, key_file[, client_ca_file])
            _serve_tls(self.server, *tls)
        self.server.store = self.store
        store = self.store
        self.server.register_function(store.document_info, METHOD)
        self.server.register_function(self.set_document, "test.set_document")
        self.server.register_function(self.remove_document, "test.remove_document")
        self.server.register_function(self.set_delay, "test.set_delay")
        self.server.register_function(self.set_document_delay, "test.set_document_delay")
        self.server.register_function(self.set_raw_response, "test.set_raw_response")
        self.server.register_function(self.requests, "test.requests")
        self.port = self.server.server_address[1]
        self.url = "%s://127.0.0.1:%d/RPC2" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def set_document(self, doc):
        with self.store.lock:
            self.store.documents[int(doc["id"])] = dict(doc)
        return True

    def remove_document(self, oid):
        with self.store.lock:
            self.store.documents.pop(int(oid), None)
        return True

    def set_delay(self, seconds):
        with self.store.lock:
            self.store.delay = float(seconds)
        return True

    def set_document_delay(self, oid, seconds):
        with self.store.lock:
            if float(seconds) > 0:
                self.store.document_delays[int(oid)] = float(seconds)
            else:
                self.store.document_delays.pop(int(oid), None)
        return True

    def set_raw_response(self, text):
        self.store.raw_response = text
        return True

    def requests(self):
        with self.store.lock:
            return self.store.request_count

    def stop(self):
        self.store.released.set()
        self.server.shutdown()
        self.server.server_close()


def start(documents=(), users=None, port=0, tls=None):
    double = OpenNebulaDouble(documents, users, port, tls)
    double.thread.start()
    return double


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--documents", help="JSON file: a list of documents")
    parser.add_argument("--users", help="JSON file: user name -> account")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's key (PEM)")
    parser.add_argument("--tls-client-ca", help="require a client certificate from this CA")
    args = parser.parse_args()
    documents = json.load(open(args.documents)) if args.documents else []
    users = json.load(open(args.users)) if args.users else {}
    tls = (args.tls_cert, args.tls_key, args.tls_client_ca) if args.tls_cert else None
    double = start(documents, users, args.port, tls)
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
