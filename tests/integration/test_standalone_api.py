"""Standalone mode answers the device-facing API as the COGNIT frontend does
(SovereignEdgeEU-COGNIT/cognit-frontend, src/main.py), from its embedded store, users and key;
and OpenNebula's permissions hold: a user cannot use another user's documents."""
import json
import re
import subprocess

import pytest
import requests

from conftest import ECF, fresh_flavour
from standalone_support import EchoRuntime, device_client, start_standalone

TIMEOUT = 30
ALICE = ("alice", "alice's pass: \"quoted\" ; )")
BOB = ("bob", "bob-secret")


@pytest.fixture(scope="module")
def ecf(rabbitmq):
    process = start_standalone(rabbitmq, dict([ALICE, BOB]))
    yield process
    process.stop()


def token_of(ecf, user):
    response = requests.post(ecf.url + "/v1/authenticate", auth=user, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()


def requirement(ecf, token, body=None):
    response = requests.post(ecf.url + "/v1/app_requirements", headers={"token": token},
                             data=json.dumps(body or {"FLAVOUR": "Nature"}), timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def upload(ecf, token, fc_hash="hash-1", fc="gAWVAAAA"):
    response = requests.post(ecf.url + "/v1/daas/upload", headers={"token": token},
                             json={"LANG": "PY", "FC": fc, "FC_HASH": fc_hash}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def test_public_key_is_a_json_string_of_64_hex_digits(ecf):
    response = requests.get(ecf.url + "/v1/public_key", timeout=TIMEOUT)
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{64}", response.json())


def test_authenticate_issues_the_cognit_frontends_token(ecf, issuer):
    token = token_of(ecf, ALICE)
    assert isinstance(token, str) and len(token) > 100
    # The authority block the COGNIT frontend writes, checked with the public key it publishes.
    key = requests.get(ecf.url + "/v1/public_key", timeout=TIMEOUT).json()
    printed = subprocess.run([ECF, "token", "inspect", "--public-key", key, token],
                             capture_output=True, text=True, timeout=30)
    if printed.returncode == 0:
        assert 'user("alice");' in printed.stdout
        assert "check if time($time), $time < " in printed.stdout


@pytest.mark.parametrize("auth", [("alice", "wrong"), ("nobody", "x"), None])
def test_authenticate_refuses_bad_credentials_with_401(ecf, auth):
    response = requests.post(ecf.url + "/v1/authenticate", auth=auth, timeout=TIMEOUT)
    assert response.status_code == 401
    assert "detail" in response.json()
    assert "wrong" not in response.text


def test_app_requirements_lifecycle(ecf):
    token = token_of(ecf, ALICE)
    rid = requirement(ecf, token, {"FLAVOUR": "Energy", "MAX_FUNCTION_EXECUTION_TIME": 2.5,
                                   "GEOLOCATION": {"latitude": 43.05, "longitude": -2.53}})
    assert isinstance(rid, int) and rid >= 1
    url = "%s/v1/app_requirements/%d" % (ecf.url, rid)
    got = requests.get(url, headers={"token": token}, timeout=TIMEOUT)
    assert got.status_code == 200
    assert got.json() == {"ID": None, "IS_CONFIDENTIAL": False, "PROVIDER": None,
                          "FLAVOUR": "Energy", "MAX_LATENCY": 10,
                          "MAX_FUNCTION_EXECUTION_TIME": 2.5, "MIN_ENERGY_RENEWABLE_USAGE": 80,
                          "GEOLOCATION": {"latitude": 43.05, "longitude": -2.53}}
    put = requests.put(url, headers={"token": token}, data=json.dumps({"FLAVOUR": "Other"}),
                       timeout=TIMEOUT)
    assert put.status_code == 200 and put.json() is None
    assert requests.get(url, headers={"token": token}, timeout=TIMEOUT).json()["FLAVOUR"] == "Other"
    deleted = requests.delete(url, headers={"token": token}, timeout=TIMEOUT)
    assert deleted.status_code == 204 and deleted.content == b""
    assert requests.get(url, headers={"token": token}, timeout=TIMEOUT).status_code == 404


def test_ec_fe_lists_this_ecf(ecf):
    token = token_of(ecf, ALICE)
    rid = requirement(ecf, token, {"FLAVOUR": "Nature"})
    response = requests.get("%s/v1/app_requirements/%d/ec_fe" % (ecf.url, rid),
                            headers={"token": token}, timeout=TIMEOUT)
    assert response.status_code == 200
    clusters = response.json()
    assert len(clusters) == 1
    assert set(clusters[0]) == {"ID", "NAME", "HOSTS", "DATASTORES", "VNETS", "TEMPLATE"}
    assert clusters[0]["TEMPLATE"]["EDGE_CLUSTER_FRONTEND"] == ecf.url


def test_upload_returns_the_existing_id_for_the_same_hash(ecf):
    alice = token_of(ecf, ALICE)
    bob = token_of(ecf, BOB)
    first = upload(ecf, alice, "same-hash")
    assert upload(ecf, alice, "same-hash") == first
    assert upload(ecf, alice, "another-hash") != first
    assert upload(ecf, bob, "same-hash") != first  # only one's own functions count


def test_missing_and_bad_tokens(ecf):
    response = requests.post(ecf.url + "/v1/app_requirements", json={}, timeout=TIMEOUT)
    assert response.status_code == 400
    assert response.json() == {"detail": "Missing token in header"}
    response = requests.post(ecf.url + "/v1/app_requirements", json={},
                             headers={"token": "not-a-token"}, timeout=TIMEOUT)
    assert response.status_code == 401


def test_malformed_bodies_get_422(ecf):
    token = token_of(ecf, ALICE)
    for body in ['{"FLAVOUR": 3}', "not json", "[]", '{"MAX_LATENCY": "ten"}']:
        response = requests.post(ecf.url + "/v1/app_requirements", headers={"token": token},
                                 data=body, timeout=TIMEOUT)
        assert response.status_code == 422, body
    response = requests.post(ecf.url + "/v1/daas/upload", headers={"token": token},
                             json={"LANG": "PY"}, timeout=TIMEOUT)
    assert response.status_code == 422
    response = requests.get(ecf.url + "/v1/app_requirements/abc", headers={"token": token},
                            timeout=TIMEOUT)
    assert response.status_code == 422


def test_a_function_is_not_a_requirement(ecf):
    token = token_of(ecf, ALICE)
    fid = upload(ecf, token, "type-check")
    response = requests.get("%s/v1/app_requirements/%d" % (ecf.url, fid),
                            headers={"token": token}, timeout=TIMEOUT)
    assert response.status_code == 405


def test_another_user_cannot_use_the_first_users_documents(ecf, rabbitmq):
    alice = token_of(ecf, ALICE)
    bob = token_of(ecf, BOB)
    flavour = fresh_flavour("Private")
    runtime = EchoRuntime(rabbitmq.url, flavour)
    alices_requirement = requirement(ecf, alice, {"FLAVOUR": flavour})
    alices_function = upload(ecf, alice, "alices-function")
    bobs_requirement = requirement(ecf, bob, {"FLAVOUR": flavour})
    url = "%s/v1/app_requirements/%d" % (ecf.url, alices_requirement)
    # OpenNebula answers "not authorized" (403) for another user's document.
    assert requests.get(url, headers={"token": bob}, timeout=TIMEOUT).status_code == 403
    assert requests.put(url, headers={"token": bob}, json={"FLAVOUR": "x"},
                        timeout=TIMEOUT).status_code == 403
    assert requests.delete(url, headers={"token": bob}, timeout=TIMEOUT).status_code == 403
    assert requests.get(url + "/ec_fe", headers={"token": bob}, timeout=TIMEOUT).status_code == 403
    # Alice's own call goes through to the runtime.
    response = requests.post("%s/v1/functions/%d/execute" % (ecf.url, alices_function),
                             params={"app_req_id": alices_requirement, "mode": "sync"},
                             headers={"token": alice}, json=["gAVLAi4="], timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.json()["ret_code"] == 0
    message = runtime.next_message()
    assert message["payload"]["fc_hash"] == "alices-function"
    assert message["payload"]["app_req_id"] == alices_requirement
    # Bob cannot run Alice's function, with his requirement or hers (both documents are hers:
    # OpenNebula refuses both reads, and the answer is still 403).
    for function, app_req in [(alices_function, bobs_requirement),
                              (alices_function, alices_requirement)]:
        response = requests.post("%s/v1/functions/%d/execute" % (ecf.url, function),
                                 params={"app_req_id": app_req, "mode": "sync"},
                                 headers={"token": bob}, json=[], timeout=TIMEOUT)
        assert response.status_code == 403, response.text
    # Nothing of Bob's tries reached the runtime.
    assert runtime.received.empty()
    runtime.stop()


def test_a_removed_user_is_refused_at_once(ecf):
    from standalone_support import add_user
    add_user(ecf.data_dir, "carol", "carol-pass")
    token = token_of(ecf, ("carol", "carol-pass"))
    requirement(ecf, token)
    removed = subprocess.run([ECF, "users", "remove", "carol", "--data-dir", ecf.data_dir],
                             capture_output=True, text=True, timeout=30)
    assert removed.returncode == 0, removed.stderr
    response = requests.post(ecf.url + "/v1/app_requirements", headers={"token": token},
                             json={}, timeout=TIMEOUT)
    assert response.status_code == 401


def test_the_device_client_runs_unchanged(ecf):
    client = device_client.DeviceClient(ecf.url, *ALICE)
    client.authenticate()
    client.upload_requirements({"FLAVOUR": "Nature", "GEOLOCATION": {"latitude": 1, "longitude": 2}})
    client.upload_requirements({"FLAVOUR": "Nature2"})  # the update path (PUT)
    assert client.edge_cluster_frontends() == [ecf.url]


def ecf_cli(ecf, *args, input=None):
    return subprocess.run([ECF, *args, "--data-dir", ecf.data_dir], input=input,
                          capture_output=True, text=True, timeout=30)


def test_documents_added_on_the_command_line_serve_their_owner_only(ecf):
    added = ecf_cli(ecf, "documents", "add", "--user", "alice", "--type", "app_requirement",
                    "--flavour", "FromCli", "--max-function-execution-time", "3")
    assert added.returncode == 0, added.stderr
    rid = int(added.stdout)
    listed = ecf_cli(ecf, "documents", "list", "--user", "alice", "--type", "app_requirement")
    assert "%d\tAPP_REQUIREMENT\talice" % rid in listed.stdout
    shown = json.loads(ecf_cli(ecf, "documents", "show", str(rid)).stdout)
    assert shown["TYPE"] == 1338 and shown["UNAME"] == "alice"
    assert shown["TEMPLATE"]["MAX_FUNCTION_EXECUTION_TIME"] == "3.0"
    url = "%s/v1/app_requirements/%d" % (ecf.url, rid)
    got = requests.get(url, headers={"token": token_of(ecf, ALICE)}, timeout=TIMEOUT)
    assert got.status_code == 200 and got.json()["FLAVOUR"] == "FromCli"
    assert requests.get(url, headers={"token": token_of(ecf, BOB)},
                        timeout=TIMEOUT).status_code == 403
    assert ecf_cli(ecf, "documents", "remove", str(rid)).returncode == 0
    assert requests.get(url, headers={"token": token_of(ecf, ALICE)},
                        timeout=TIMEOUT).status_code == 404
    assert ecf_cli(ecf, "documents", "add", "--user", "nobody", "--type",
                   "function").returncode != 0


def test_users_list_shows_names_never_hashes(ecf):
    listed = ecf_cli(ecf, "users", "list")
    assert listed.returncode == 0
    assert "alice" in listed.stdout and "bob" in listed.stdout
    assert "argon2" not in listed.stdout
    # Without a terminal the password must come from --password-stdin.
    refused = ecf_cli(ecf, "users", "add", "dave", input="secret\n")
    assert refused.returncode != 0
    assert "secret" not in refused.stdout + refused.stderr


def login_from(ecf, user, source):
    """POST /v1/authenticate over a connection from `source` (another loopback address)."""
    import base64
    import http.client
    from urllib.parse import urlparse
    where = urlparse(ecf.url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=TIMEOUT,
                                            source_address=(source, 0))
    try:
        auth = base64.b64encode(("%s:%s" % user).encode()).decode()
        connection.request("POST", "/v1/authenticate", headers={"Authorization": "Basic " + auth})
        response = connection.getresponse()
        return response.status, response.getheader("Retry-After"), response.read()
    finally:
        connection.close()


def test_a_wrong_password_flood_gets_429_while_real_users_log_in(rabbitmq):
    import concurrent.futures
    import threading
    real_users = {"real%d" % i: "pass-%d" % i for i in range(4)}
    process = start_standalone(rabbitmq, dict([ALICE, BOB], **real_users))
    try:
        # Alice logged in before the flood: her check is remembered and needs no hash.
        assert login_from(process, ALICE, "127.0.0.1")[0] == 201
        flooding = threading.Event()

        def wrong_password(i):
            flooding.set()
            response = requests.post(process.url + "/v1/authenticate",
                                     auth=("bob", "wrong-%d" % i), timeout=TIMEOUT)
            return response.status_code, response.headers.get("Retry-After")

        with concurrent.futures.ThreadPoolExecutor(max_workers=80) as pool:
            flood = [pool.submit(wrong_password, i) for i in range(300)]
            assert flooding.wait(timeout=TIMEOUT)
            # Users who never logged in before: each needs a full Argon2 check now.
            fresh = [login_from(process, (name, password), "127.0.0.2")
                     for name, password in real_users.items()]
            remembered = [login_from(process, ALICE, "127.0.0.1") for _ in range(5)]
            answers = [f.result(timeout=120) for f in flood]
        assert [status for status, _, _ in fresh] == [201] * len(real_users), fresh
        assert [status for status, _, _ in remembered] == [201] * 5, remembered
        statuses = [status for status, _ in answers]
        assert set(statuses) <= {401, 429}, set(statuses)
        assert statuses.count(429) > 200
        assert all(int(retry) >= 1 for status, retry in answers if status == 429)
        # The address is limited, the rest of the world is not. Its bucket refills one failure
        # every 2 s: on a slow machine the flood may have ended a few seconds ago, so a few
        # more failures may pass (401) before the limit answers again; never more than a burst.
        late = []
        for _ in range(12):
            late.append(login_from(process, ("bob", "wrong"), "127.0.0.1"))
            if late[-1][0] == 429:
                break
        assert late[-1][0] == 429 and int(late[-1][1]) >= 1, late
        assert all(status == 401 for status, _, _ in late[:-1]), late
    finally:
        process.stop()


def test_quotas_flavours_ownership_and_file_modes(rabbitmq):
    import os
    import stat
    process = start_standalone(rabbitmq, dict([ALICE, BOB]),
                               "max_documents_per_user: 3\nflavours: [Nature, Energy]\n")
    try:
        alice = token_of(process, ALICE)
        # Flavours outside the allow-list are refused where a requirement is made or changed.
        response = requests.post(process.url + "/v1/app_requirements", headers={"token": alice},
                                 json={"FLAVOUR": "Elsewhere"}, timeout=TIMEOUT)
        assert response.status_code == 422 and "FLAVOUR" in response.json()["detail"]
        rid = requirement(process, alice, {"FLAVOUR": "Energy"})
        response = requests.put("%s/v1/app_requirements/%d" % (process.url, rid),
                                headers={"token": alice}, json={"FLAVOUR": "Elsewhere"},
                                timeout=TIMEOUT)
        assert response.status_code == 422
        # ... and where an execution reads one (this one predates the list: made on the CLI).
        added = ecf_cli(process, "documents", "add", "--user", "alice", "--type",
                        "app_requirement", "--flavour", "Elsewhere")
        assert added.returncode == 0, added.stderr
        old = int(added.stdout)
        # De-duplication needs the same FC as well as the same FC_HASH.
        first = upload(process, alice, "h", "Zmlyc3Q=")
        assert upload(process, alice, "h", "Zmlyc3Q=") == first
        response = requests.post("%s/v1/functions/%d/execute" % (process.url, first),
                                 params={"app_req_id": old, "mode": "sync"},
                                 headers={"token": alice}, json=[], timeout=TIMEOUT)
        assert response.status_code == 403, response.text
        # Alice owns 3 documents now: the quota is reached.
        response = requests.post(process.url + "/v1/daas/upload", headers={"token": alice},
                                 json={"LANG": "PY", "FC": "c2Vjb25k", "FC_HASH": "h"},
                                 timeout=TIMEOUT)
        assert response.status_code == 403 and "quota" in response.json()["detail"]
        response = requests.post(process.url + "/v1/app_requirements", headers={"token": alice},
                                 json={"FLAVOUR": "Nature"}, timeout=TIMEOUT)
        assert response.status_code == 403
        # Deleting one makes room; a different FC under the same FC_HASH is a new function.
        assert requests.delete("%s/v1/app_requirements/%d" % (process.url, old),
                               headers={"token": alice}, timeout=TIMEOUT).status_code == 204
        assert upload(process, alice, "h", "c2Vjb25k") != first
        # Bob's quota is his own.
        bob = token_of(process, BOB)
        bobs = upload(process, bob, "b", "Ym9i")
        # Bob removed and added again: a new user, who does not own the old Bob's documents.
        assert ecf_cli(process, "users", "remove", "bob").returncode == 0
        from standalone_support import add_user
        add_user(process.data_dir, "bob", BOB[1])
        new_bob = token_of(process, BOB)
        response = requests.post("%s/v1/functions/%d/execute" % (process.url, bobs),
                                 params={"app_req_id": rid, "mode": "sync"},
                                 headers={"token": new_bob}, json=[], timeout=TIMEOUT)
        assert response.status_code == 403, response.text
        assert upload(process, new_bob, "b", "Ym9i") != bobs  # not the old Bob's id either
        # The data folder and the store are the owner's only.
        assert stat.S_IMODE(os.stat(process.data_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.join(process.data_dir,
                                                 "documents.sqlite")).st_mode) == 0o600
    finally:
        process.stop()


def test_latency_measurements_are_answered_as_the_cognit_frontend_does(rabbitmq):
    import time
    process = start_standalone(rabbitmq, dict([ALICE]), "log_level: debug\n")
    try:
        url = process.url + "/v1/latency"
        measurements = {process.url: 12.5, "http://10.0.0.9:1339\n\"injected": 40}
        assert requests.post(url, json=measurements, timeout=TIMEOUT).status_code == 400
        assert requests.post(url, json=measurements, headers={"token": "not-a-token"},
                             timeout=TIMEOUT).status_code == 401
        token = token_of(process, ALICE)
        response = requests.post(url, json=measurements, headers={"token": token},
                                 timeout=TIMEOUT)
        assert response.status_code == 200 and response.json() is None
        for body in [[1], {"a": "fast"}, {"a": None}, {"x" * 257: 1},
                     {"http://c%d" % i: 1 for i in range(65)}]:
            response = requests.post(url, json=body, headers={"token": token}, timeout=TIMEOUT)
            assert response.status_code == 422, body
            assert "detail" in response.json()
        # Nothing stored, one escaped debug line (the key's line break does not split it).
        deadline = time.monotonic() + 10
        while "latency measurements of alice" not in process.log():
            assert time.monotonic() < deadline, process.log()
            time.sleep(0.05)
        line = next(l for l in process.log().splitlines() if "latency measurements" in l)
        assert "10.0.0.9:1339" in line and "injected" in line
        assert token not in process.log() and ALICE[1] not in process.log()
    finally:
        process.stop()


def test_uids_of_removed_users_are_not_given_again_after_an_upgrade(rabbitmq):
    import os
    from standalone_support import add_user
    from conftest import EcfProcess
    process = start_standalone(rabbitmq, dict([ALICE, BOB]))
    data_dir, config = process.data_dir, open(process.config_path).read()
    try:
        bobs = upload(process, token_of(process, BOB), "b", "Ym9i")
        assert ecf_cli(process, "users", "remove", "bob").returncode == 0
    finally:
        # Stopped without EcfProcess.stop(), which would remove the data folder too.
        process.process.terminate()
        process.process.wait(timeout=30)
    # A users file from before `#next_uid`: only the remaining users tell the next UID.
    users_file = os.path.join(data_dir, "users")
    lines = [l for l in open(users_file) if not l.startswith("#next_uid:")]
    with open(users_file, "w") as f:
        f.writelines(lines)
    again = EcfProcess(config, workdir=process.workdir)
    again.data_dir = data_dir
    try:
        add_user(data_dir, "carol", "carol-pass")  # after the start: not bob's old UID
        carol = token_of(again, ("carol", "carol-pass"))
        response = requests.post("%s/v1/functions/%d/execute" % (again.url, bobs),
                                 params={"app_req_id": bobs, "mode": "sync"},
                                 headers={"token": carol}, json=[], timeout=TIMEOUT)
        assert response.status_code == 403, response.text
    finally:
        again.stop()
