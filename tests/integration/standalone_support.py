"""Helpers of the standalone-mode tests: users made with `ecf users add`, and the ECF started
in standalone mode (a configuration naming neither one_xmlrpc nor cognit_frontend)."""
import os
import subprocess
import sys
import tempfile

from conftest import ECF, SOURCE_DIR, EcfProcess

sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts", "demo"))

import client as device_client  # noqa: E402  (scripts/demo/client.py: the device's calls)


def add_user(data_dir, name, password):
    result = subprocess.run([ECF, "users", "add", name, "--password-stdin", "--data-dir", data_dir],
                            input=password + "\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout + result.stderr  # never echoed
    return result


def start_standalone(rabbitmq, users, extra=""):
    """An EcfProcess in standalone mode, with `users` ({name: password}) already added."""
    workdir = tempfile.mkdtemp(prefix="ecf-standalone-")
    data_dir = os.path.join(workdir, "data")
    for name, password in users.items():
        add_user(data_dir, name, password)
    config = ("host: 127.0.0.1\nport: 0\nbroker: %s\ndata_dir: %s\nworkers: 2\n%s"
              % (rabbitmq.original_url, data_dir, extra))
    process = EcfProcess(config, workdir=workdir)
    process.data_dir = data_dir
    return process
