#!/usr/bin/python3
"""Certificates for TLS tests, made with the openssl CLI into a folder (never committed).

  /usr/bin/python3 tests/harness/test_certificates.py DIR

or import it: `make(dir)` returns the paths. In DIR:
  ca.pem                    a private CA
  server.pem / server.key   signed by ca.pem for DNS:localhost and IP:127.0.0.1
  elsewhere.pem / .key      signed by ca.pem for DNS:elsewhere.example only (a name mismatch)
  client.pem / client.key   a client certificate signed by ca.pem
  other-ca.pem              an unrelated CA (a server signed by ca.pem is unknown to it)
"""
import os
import subprocess
import sys


def _openssl(cwd, *args):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, timeout=60,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _ca(d, name):
    _openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=%s" % name, "-keyout", name + ".key", "-out", name + ".pem")


def _signed(d, name, common_name, alt_names):
    _openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % common_name,
             "-keyout", name + ".key", "-out", name + ".csr")
    with open(os.path.join(d, name + ".ext"), "w") as f:
        if alt_names:
            f.write("subjectAltName = %s\n" % alt_names)
    _openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem")


def make(d):
    os.makedirs(d, exist_ok=True)
    if not os.path.exists(os.path.join(d, "client.pem")):
        _ca(d, "ca")
        _ca(d, "other-ca")
        _signed(d, "server", "localhost", "DNS:localhost, IP:127.0.0.1")
        _signed(d, "elsewhere", "elsewhere.example", "DNS:elsewhere.example")
        _signed(d, "client", "ecf-test-client", "")
    return {name: os.path.join(d, name) for name in (
        "ca.pem", "other-ca.pem", "server.pem", "server.key", "elsewhere.pem", "elsewhere.key",
        "client.pem", "client.key")}


if __name__ == "__main__":
    make(sys.argv[1])
