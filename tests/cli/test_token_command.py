"""`ecf token ...`: keygen, mint, attenuate, inspect and authorize, with the exit statuses and
JSON lines the contract of the command promises."""
import json
import os
import subprocess

import pytest

ECF = os.environ.get("ECF_BINARY", "ecf")


def ecf(*args, stdin=None):
    return subprocess.run([ECF, "token", *args], input=stdin, capture_output=True, text=True,
                          timeout=30)


@pytest.fixture(scope="module")
def keys():
    result = ecf("keygen")
    assert result.returncode == 0, result.stderr
    pair = json.loads(result.stdout)
    assert len(pair["private_key"]) == 64 and len(pair["public_key"]) == 64
    return pair


AUTHORITY = 'user("alice"); password("s3cret"); check if time($t), $t < 2099-01-01T00:00:00Z;'
AUTHORIZER = "time(2026-01-01T00:00:00Z); allow if user($u), password($p);"


@pytest.fixture(scope="module")
def token(keys):
    result = ecf("mint", "--private-key", keys["private_key"], "--code", AUTHORITY)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_authorize_accepts_with_bare_and_prefixed_keys(keys, token):
    for key in (keys["public_key"], "ed25519/" + keys["public_key"]):
        result = ecf("authorize", "--public-key", key, "--authorizer", AUTHORIZER, token)
        assert result.returncode == 0, result
        assert json.loads(result.stdout) == {"authorized": True, "policy": 0}


def test_authorize_refuses_with_kind_and_status_1(keys, token):
    other = json.loads(ecf("keygen").stdout)["public_key"]
    result = ecf("authorize", "--public-key", other, "--authorizer", AUTHORIZER, token)
    assert result.returncode == 1
    answer = json.loads(result.stdout)
    assert answer["authorized"] is False and answer["error"]["kind"] == "Format"
    assert "s3cret" not in result.stdout + result.stderr


def test_attenuated_token_from_stdin_and_file(keys, token, tmp_path):
    result = ecf("attenuate", "--code", 'check if operation("read");', "-", stdin=token + "\n")
    assert result.returncode == 0, result.stderr
    attenuated = result.stdout.strip()
    path = tmp_path / "token.txt"
    path.write_text(attenuated)
    refused = ecf("authorize", "--public-key", keys["public_key"], "--authorizer", AUTHORIZER,
                  "@" + str(path))
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"]["kind"] == "FailedLogic"
    code = tmp_path / "authorizer.dl"
    code.write_text(AUTHORIZER + ' operation("read");')
    allowed = ecf("authorize", "--public-key", keys["public_key"], "--authorizer", "@" + str(code),
                  "@" + str(path))
    assert allowed.returncode == 0, allowed


def test_inspect_prints_blocks_and_revocation_ids(keys, token):
    result = ecf("inspect", "--public-key", keys["public_key"], token)
    assert result.returncode == 0, result.stderr
    assert 'user("alice");' in result.stdout
    assert "revocation ids:" in result.stdout


def test_usage_errors_exit_2(keys, token):
    assert ecf("authorize", "--public-key", keys["public_key"], token).returncode == 2
    assert ecf("authorize", "--public-key", keys["public_key"], "--authorizer", AUTHORIZER,
               "@/nonexistent/token").returncode == 2


def test_garbage_token_is_refused_not_crashed(keys):
    result = ecf("authorize", "--public-key", keys["public_key"], "--authorizer", AUTHORIZER,
                 "bm90IGEgdG9rZW4")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["kind"] == "Format"
