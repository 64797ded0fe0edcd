#!/usr/bin/python3
"""Runs one offloaded Python function, as a Serverless Runtime's python executor does.

`ecf-runtime --exec "/usr/bin/python3 scripts/executors/python_executor.py"` starts this once
per execution. Standard input: the execution payload of the ECF contract (section 4) as JSON,
{"lang": "PY", "fc": <base64 cloudpickle>, "params": [<base64 cloudpickle>, ...], ...}.
Standard output: one ExecResponse, {"ret_code": 0 | -1, "res": <string>, "err": <string|null>},
encoded as the real SR encodes it: `res` is base64(cloudpickle.dumps(result)), and on failure
base64(cloudpickle.dumps(None)) rather than null, because the COGNIT Python device client
base64-decodes and unpickles `res` whatever `ret_code` says. Error texts match the SR's.

What the function prints goes to standard error, so that it cannot corrupt the answer.
"""
import base64
import contextlib
import json
import sys

SUCCESS = 0
ERROR = -1


def serialize(value):
    import cloudpickle

    return base64.b64encode(cloudpickle.dumps(value)).decode("utf-8")


def deserialize(text):
    import cloudpickle

    return cloudpickle.loads(base64.b64decode(text))


def answer(ret_code, res, err):
    return {"ret_code": ret_code, "res": res, "err": err}


def failure(err):
    return answer(ERROR, serialize(None), err)


def run(payload):
    if not isinstance(payload, dict):
        return failure("Error deserializing sync PY function: payload is not a JSON object")
    lang = payload.get("lang", "")
    if lang != "PY":
        return failure(f"Unsupported language: {lang!r}. Supported languages: PY")
    try:
        params = payload.get("params", [])
        if not isinstance(params, list):
            raise TypeError("params is not a list")
        fc = deserialize(payload.get("fc", ""))
        args = [deserialize(p) for p in params]
    except Exception as e:  # the SR answers any deserialization failure, never raises it
        return failure(f"Error deserializing sync PY function: {e}")
    if not callable(fc):
        return failure("Not callable function")
    try:
        with contextlib.redirect_stdout(sys.stderr):
            result = fc(*args)
    except Exception as e:
        return failure(f"Error executing function: {e}")
    try:
        return answer(SUCCESS, serialize(result), None)
    except Exception as e:
        return failure(f"Error serializing the function's result: {e}")


def main():
    try:
        payload = json.load(sys.stdin)
    except Exception as e:
        response = failure(f"Error deserializing sync PY function: payload is not JSON ({e})")
    else:
        response = run(payload)
    sys.stdout.write(json.dumps(response))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
