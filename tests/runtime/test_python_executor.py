"""scripts/executors/python_executor.py with real cloudpickled functions, encoded exactly as the
COGNIT Python device client encodes them (base64 of cloudpickle) and decoded as it decodes the
answer (base64-decode and unpickle `res`, whatever `ret_code` says)."""
import base64
import json
import os
import subprocess
import sys

import cloudpickle

HERE = os.path.dirname(os.path.abspath(__file__))
EXECUTOR = os.path.join(HERE, "..", "..", "scripts", "executors", "python_executor.py")


def encode(value):
    return base64.b64encode(cloudpickle.dumps(value)).decode("utf-8")


def decode(text):
    return cloudpickle.loads(base64.b64decode(text))


def execute(payload, raw=None):
    stdin = raw if raw is not None else json.dumps(payload)
    done = subprocess.run(["/usr/bin/python3", EXECUTOR], input=stdin.encode(),
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    response = json.loads(done.stdout)
    assert set(response) == {"ret_code", "res", "err"}
    return response, done.stderr.decode()


def payload(fc, *params, lang="PY"):
    return {"lang": lang, "fc": encode(fc), "fc_hash": "hash",
            "params": [encode(p) for p in params], "app_req_id": 39}


def test_runs_a_pickled_lambda_and_pickles_its_result():
    response, _ = execute(payload(lambda a, b: a * b, 6, 7))
    assert response["ret_code"] == 0
    assert response["err"] is None
    assert decode(response["res"]) == 42


def test_runs_a_function_with_closures_and_structured_results():
    offset = 100

    def summarize(values, label):
        return {"label": label, "total": sum(values) + offset, "items": list(values)}

    response, _ = execute(payload(summarize, [1, 2, 3], "x"))
    assert response["ret_code"] == 0
    assert decode(response["res"]) == {"label": "x", "total": 106, "items": [1, 2, 3]}


def test_a_function_that_raises_is_ret_code_minus_one_with_the_srs_text():
    def fails(x):
        raise ValueError(f"bad input {x}")

    response, _ = execute(payload(fails, 5))
    assert response["ret_code"] == -1
    assert response["err"] == "Error executing function: bad input 5"
    assert decode(response["res"]) is None  # as the real SR: the client can always unpickle


def test_what_the_function_prints_does_not_corrupt_the_answer():
    def chatty():
        print("hello from the function")
        return "done"

    response, stderr = execute(payload(chatty))
    assert decode(response["res"]) == "done"
    assert "hello from the function" in stderr


def test_another_language_is_refused_clearly():
    response, _ = execute(payload(lambda: 1, lang="C"))
    assert response["ret_code"] == -1
    assert "Unsupported language" in response["err"]
    assert decode(response["res"]) is None


def test_undecodable_function_or_parameters_are_refused():
    broken = {"lang": "PY", "fc": "not base64 pickle!", "params": []}
    response, _ = execute(broken)
    assert response["ret_code"] == -1
    assert response["err"].startswith("Error deserializing sync PY function")

    bad_param = payload(lambda x: x)
    bad_param["params"] = ["gAVLAi4=", "%%%"]
    response, _ = execute(bad_param)
    assert response["ret_code"] == -1


def test_something_not_callable_is_refused():
    response, _ = execute(payload(42))
    assert response["ret_code"] == -1
    assert response["err"] == "Not callable function"


def test_input_that_is_not_json_is_answered_not_raised():
    response, _ = execute(None, raw="{not json")
    assert response["ret_code"] == -1
    assert "not JSON" in response["err"]
