#!/usr/bin/python3
"""Offloads a Python function through a COGNIT edge, exactly as the COGNIT Python device client
(SovereignEdgeEU-COGNIT/device-runtime-py) talks to it:

  1. POST {frontend}/v1/authenticate          HTTP basic auth -> a Biscuit token (201)
  2. POST {frontend}/v1/app_requirements      the requirements (header `token`) -> their id
  3. GET  {frontend}/v1/app_requirements/{id}/ec_fe -> the Edge Cluster Frontend's address
  4. POST {frontend}/v1/daas/upload           {LANG, FC, FC_HASH} -> the function's id
  5. POST {ecf}/v1/functions/{fid}/execute?app_req_id=..&mode=sync   [params] -> ExecResponse

FC is base64(cloudpickle(function)), FC_HASH the SHA-256 of its bytecode, every parameter
base64(cloudpickle(value)), and `res` of the answer the same encoding of the result.

In standalone mode the ECF is also the frontend, so both addresses are the same.
Uses only Debian's python3-requests and python3-cloudpickle.

  scripts/demo/client.py --frontend http://127.0.0.1:1339 --user demo --password-file FILE
"""
import argparse
import base64
import hashlib
import json
import os
import sys

import cloudpickle
import requests
from requests.auth import HTTPBasicAuth

TIMEOUT_S = 30
EXECUTE_TIMEOUT_S = 120  # what the Python device client waits for a result


def serialize(value):
    return base64.b64encode(cloudpickle.dumps(value)).decode("utf-8")


def deserialize(text):
    return cloudpickle.loads(base64.b64decode(text))


class CognitError(RuntimeError):
    def __init__(self, step, response):
        try:
            detail = response.json()
        except ValueError:
            detail = response.text
        super().__init__("%s: HTTP %d: %s" % (step, response.status_code, detail))
        self.status_code = response.status_code
        self.detail = detail


class DeviceClient:
    """The calls of the COGNIT Python device client, one method a call."""

    def __init__(self, frontend, user, password):
        self.frontend = frontend.rstrip("/")
        self.user = user
        self.password = password
        self.token = None
        self.app_req_id = None

    def header(self):
        return {"token": self.token, "Content-Type": "application/json"}

    def authenticate(self):
        response = requests.post(self.frontend + "/v1/authenticate",
                                 auth=HTTPBasicAuth(self.user, self.password), timeout=TIMEOUT_S)
        if response.status_code not in (200, 201):
            raise CognitError("authenticate", response)
        self.token = response.json()
        return self.token

    def upload_requirements(self, requirements):
        if self.app_req_id is None:
            response = requests.post(self.frontend + "/v1/app_requirements", headers=self.header(),
                                     data=json.dumps(requirements), timeout=TIMEOUT_S)
            if response.status_code != 200:
                raise CognitError("app_requirements", response)
            self.app_req_id = response.json()
        else:
            response = requests.put("%s/v1/app_requirements/%s" % (self.frontend, self.app_req_id),
                                    headers=self.header(), data=json.dumps(requirements),
                                    timeout=TIMEOUT_S)
            if response.status_code != 200:
                raise CognitError("app_requirements update", response)
        return self.app_req_id

    def edge_cluster_frontends(self):
        response = requests.get("%s/v1/app_requirements/%s/ec_fe" % (self.frontend, self.app_req_id),
                                headers=self.header(), timeout=TIMEOUT_S)
        if response.status_code >= 300:
            raise CognitError("ec_fe", response)
        return [item["TEMPLATE"]["EDGE_CLUSTER_FRONTEND"] for item in response.json()
                if isinstance(item, dict) and "EDGE_CLUSTER_FRONTEND" in item.get("TEMPLATE", {})]

    def upload_function(self, function):
        body = {"LANG": "PY", "FC": serialize(function),
                "FC_HASH": hashlib.sha256(function.__code__.co_code).hexdigest()}
        response = requests.post(self.frontend + "/v1/daas/upload", headers=self.header(),
                                 data=json.dumps(body), timeout=TIMEOUT_S)
        if response.status_code != 200:
            raise CognitError("daas/upload", response)
        return response.json()

    def execute(self, ecf, function_id, *params, timeout=EXECUTE_TIMEOUT_S):
        """The ExecResponse as a dict, with `res` unpickled (None when absent)."""
        response = requests.post("%s/v1/functions/%s/execute" % (ecf.rstrip("/"), function_id),
                                 headers={"token": self.token},
                                 params={"app_req_id": self.app_req_id, "mode": "sync"},
                                 data=json.dumps([serialize(p) for p in params]), timeout=timeout)
        if response.status_code != 200:
            raise CognitError("execute", response)
        result = response.json()
        if result.get("res") is not None:
            result["res"] = deserialize(result["res"])
        return result

    def offload(self, function, *params, requirements=None):
        """Everything the device client does for one call: returns (ExecResponse, ecf)."""
        if self.token is None:
            self.authenticate()
        self.upload_requirements(requirements or {"FLAVOUR": "Demo",
                                                  "GEOLOCATION": {"latitude": 43.05,
                                                                  "longitude": -2.53}})
        ecfs = self.edge_cluster_frontends()
        if not ecfs:
            raise RuntimeError("the frontend lists no Edge Cluster Frontend")
        function_id = self.upload_function(function)
        return self.execute(ecfs[0], function_id, *params), ecfs[0]


def summary(values):
    """The demo's offloaded function: it runs in the Serverless Runtime, not here."""
    import platform
    import statistics

    return {"count": len(values), "mean": statistics.mean(values), "max": max(values),
            "ran_on": "python %s" % platform.python_version()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frontend", default="http://127.0.0.1:1339",
                        help="the COGNIT frontend (in standalone mode: the ECF)")
    parser.add_argument("--user", default="demo")
    parser.add_argument("--password-file", help="a file whose first line is the password "
                        "(default: the ECF_DEMO_PASSWORD environment variable)")
    parser.add_argument("--flavour", default="Demo")
    args = parser.parse_args(argv)

    if args.password_file:
        with open(args.password_file) as f:
            password = f.readline().rstrip("\n")
    else:
        password = os.environ.get("ECF_DEMO_PASSWORD", "")
    if not password:
        parser.error("give --password-file or set ECF_DEMO_PASSWORD")

    client = DeviceClient(args.frontend, args.user, password)
    values = [3, 1, 4, 1, 5, 9, 2, 6]
    try:
        result, ecf = client.offload(summary, values, requirements={
            "FLAVOUR": args.flavour, "MAX_FUNCTION_EXECUTION_TIME": 30.0,
            "GEOLOCATION": {"latitude": 43.05, "longitude": -2.53}})
    except (CognitError, requests.RequestException, RuntimeError) as e:
        print("demo: %s" % e, file=sys.stderr)
        return 1
    print("demo: authenticated as %s, requirements %s, offloaded to %s"
          % (args.user, client.app_req_id, ecf))
    if result["ret_code"] != 0:
        print("demo: the function failed: %s" % result.get("err"), file=sys.stderr)
        return 1
    print("demo: summary(%s) = %s" % (values, result["res"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
