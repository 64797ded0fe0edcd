"""The ECF under a service manager (issue 10, items 1 and 2): it tells systemd when it is ready,
reloading and stopping (sd_notify, `Type=notify`), and SIGHUP re-reads the configuration's
reloadable keys, refusing a broken file with one line and keeping the running values."""
import os
import signal
import socket
import tempfile
import time

import requests

from conftest import fresh_flavour

WAIT_S = 30
CLIENT_TIMEOUT_S = 30


class NotifySocket:
    """What systemd listens on for sd_notify: a Unix datagram socket named by NOTIFY_SOCKET."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="ecf-notify-")
        self.path = os.path.join(self.folder, "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)

    def wait_for(self, assignment, timeout_s=WAIT_S):
        """The messages received until one holds `assignment` (e.g. READY=1)."""
        seen = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                message = self.socket.recv(4096).decode()
            except socket.timeout:
                break
            seen.append(message)
            if assignment in message.split("\n"):
                return seen
        raise AssertionError("no %s within %s s; got %r" % (assignment, timeout_s, seen))

    def close(self):
        self.socket.close()
        os.unlink(self.path)
        os.rmdir(self.folder)


def wait_for_log(ecf, text, timeout_s=WAIT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in ecf.log():
            return
        time.sleep(0.05)
    raise AssertionError("%r not in the log:\n%s" % (text, ecf.log()))


def execute(stack, function_id, app_req_id):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": "sync"}, json=[],
                         headers={"token": stack.token("alice")}, timeout=CLIENT_TIMEOUT_S)


def test_ready_reloading_and_stopping_are_told_to_the_service_manager(make_stack):
    notify = NotifySocket()
    try:
        stack = make_stack(env={"NOTIFY_SOCKET": notify.path})
        notify.wait_for("READY=1")
        stack.ecf.process.send_signal(signal.SIGHUP)
        messages = notify.wait_for("READY=1")
        assert any("RELOADING=1" in m.split("\n") for m in messages), messages
        stack.ecf.process.send_signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1")
    finally:
        notify.close()


def test_sighup_applies_a_new_timeout_and_log_level(make_stack, runtimes):
    stack = make_stack()
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")  # takes the request, never answers
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)

    with open(stack.ecf.config_path) as f:
        original = f.read()
    assert "log_level: info" in original
    with open(stack.ecf.config_path, "w") as f:
        f.write(original.replace("log_level: info", "log_level: debug") +
                "execution_timeout: 1\n")
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "configuration reloaded: execution_timeout, log_level changed")

    started = time.monotonic()
    reply = execute(stack, function_id, requirement_id)
    assert reply.status_code == 504, reply.text
    # The default execution_timeout is 120 s: the 1 s of the reload is in force.
    assert time.monotonic() - started < 60


def test_a_broken_configuration_is_refused_and_the_running_one_stays(make_stack, runtimes):
    stack = make_stack()
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    with open(stack.ecf.config_path) as f:
        original = f.read()
    with open(stack.ecf.config_path, "w") as f:
        f.write(original + "execution_timeout: 1\n")
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "configuration reloaded: execution_timeout changed")

    with open(stack.ecf.config_path, "w") as f:
        f.write(original + "execution_timeout: soon\n")
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "configuration reload refused")
    refusal = [line for line in stack.ecf.log().splitlines() if "reload refused" in line]
    assert len(refusal) == 1 and "execution_timeout" in refusal[0], refusal

    # Still serving, still with the 1 s timeout.
    started = time.monotonic()
    reply = execute(stack, function_id, requirement_id)
    assert reply.status_code == 504, reply.text
    assert time.monotonic() - started < 60


def test_a_changed_key_that_needs_a_restart_is_named(make_stack):
    stack = make_stack()
    with open(stack.ecf.config_path) as f:
        original = f.read()
    with open(stack.ecf.config_path, "w") as f:
        f.write(original + "max_connections: 500\n")
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "take effect only after a restart: max_connections")


def test_limits_and_cache_sizes_are_reloadable(make_stack):
    stack = make_stack()
    with open(stack.ecf.config_path) as f:
        original = f.read()
    with open(stack.ecf.config_path, "w") as f:
        f.write(original + "max_waiting_executions: 50\nmax_waiting_executions_per_user: 5\n"
                "document_cache_entries: 10\n")
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "configuration reloaded: document_cache_entries, "
                            "max_waiting_executions, max_waiting_executions_per_user changed")
    assert "only after a restart" not in stack.ecf.log()


def test_the_flavours_allow_list_is_reloadable(make_stack, runtimes):
    stack = make_stack()
    served, other = fresh_flavour("Served"), fresh_flavour("Other")
    runtimes(served)
    runtimes(other)
    function_id = stack.add_function("alice")
    served_requirement = stack.add_requirement("alice", served)
    other_requirement = stack.add_requirement("alice", other)
    assert execute(stack, function_id, other_requirement).status_code == 200

    with open(stack.ecf.config_path) as f:
        original = f.read()
    with open(stack.ecf.config_path, "w") as f:
        f.write(original + "flavours: [%s]\n" % served)
    stack.ecf.process.send_signal(signal.SIGHUP)
    wait_for_log(stack.ecf, "configuration reloaded: flavours changed")
    assert "only after a restart" not in stack.ecf.log()

    assert execute(stack, function_id, served_requirement).status_code == 200
    refused = execute(stack, function_id, other_requirement)
    assert refused.status_code == 403, refused.text
