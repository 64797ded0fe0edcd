"""The OpenNebula and COGNIT frontend doubles speak the real wire formats (contract §2, §3):
checked with Python's own XML-RPC and HTTP clients, as pyone and the original ECF call them."""
import json
import os
import subprocess
import sys
import urllib.request
import xmlrpc.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from doubles import cognit_frontend, opennebula_xmlrpc  # noqa: E402

USERS = {"alice": {"password": "pw", "uid": 5, "gid": 1, "group": "users"},
         "bob": {"password": "bob", "uid": 6, "gid": 1, "group": "users"},
         "oneadmin": {"password": "admin", "uid": 0, "gid": 0, "group": "oneadmin"}}
DOCS = [{"id": 39, "owner": "alice", "name": "fn", "type": 1339,
         "template": {"LANG": "PY", "FC": "gA]]>W", "GEOLOCATION": {"LATITUDE": "43.05"}}},
        {"id": 40, "owner": "alice", "type": 1338,
         "permissions": {"owner_use": 1, "group_use": 1}, "template": {"FLAVOUR": "Energy"}}]


def test_document_info_answers_like_opennebula():
    double = opennebula_xmlrpc.start(DOCS, USERS)
    try:
        one = xmlrpc.client.ServerProxy(double.url)
        ok = one.one.document.info("alice:pw", 39)
        assert ok[0] is True and ok[2] == 0
        assert "<ID>39</ID>" in ok[1] and "<UID>5</UID>" in ok[1] and "<TYPE>1339</TYPE>" in ok[1]
        assert "<GEOLOCATION><LATITUDE><![CDATA[43.05]]></LATITUDE></GEOLOCATION>" in ok[1]
        assert "<FC><![CDATA[gA]]]]><![CDATA[>W]]></FC>" in ok[1]
        assert one.one.document.info("alice:bad", 39)[:3] == [
            False, "[one.document.info] User couldn't be authenticated, aborting call.", 0x0100]
        denied = one.one.document.info("bob:bob", 39)
        assert denied[0] is False and denied[2] == 0x0200
        assert one.one.document.info("bob:bob", 40)[0] is True  # group use
        assert one.one.document.info("oneadmin:admin", 39)[0] is True
        missing = one.one.document.info("alice:pw", 77)
        assert missing[0] is False and missing[2] == 0x0400
        one.test.set_document({"id": 77, "owner": "bob", "type": 1339})
        assert one.one.document.info("bob:bob", 77)[0] is True
        assert one.test.requests() == 7
    finally:
        double.stop()


def test_frontend_serves_the_key_and_counts():
    double = cognit_frontend.start("ab" * 32)
    try:
        with urllib.request.urlopen(double.url + "/v1/public_key", timeout=5) as reply:
            assert json.load(reply) == "ab" * 32
        double.rotate("cd" * 32)
        with urllib.request.urlopen(double.url + "/v1/public_key", timeout=5) as reply:
            assert json.load(reply) == "cd" * 32
        with urllib.request.urlopen(double.url + "/_test/requests", timeout=5) as reply:
            assert json.load(reply) == {"public_key": 2}
    finally:
        double.stop()


def test_scripts_print_ready_and_exit_with_stdin():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "doubles")
    for script, extra in (("opennebula_xmlrpc.py", []),
                          ("cognit_frontend.py", ["--key", "ab" * 32, "--prefixed"])):
        process = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(here, script), "--port", "0",
             "--exit-on-stdin-eof"] + extra, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        try:
            line = process.stdout.readline()
            assert line.startswith("ready ")
            port = int(line.split()[1])
            if script == "cognit_frontend.py":
                url = "http://127.0.0.1:%d/v1/public_key" % port
                with urllib.request.urlopen(url, timeout=5) as reply:
                    assert json.load(reply) == "ed25519/" + "ab" * 32
            process.stdin.close()
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
