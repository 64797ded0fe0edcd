#!/usr/bin/python3
"""A private RabbitMQ node for tests: Debian's rabbitmq-server on 127.0.0.1.

Each node has its own name (ecf-test-<pid>-<random>@localhost), a free AMQP port, a free
distribution port, and its own data, log and config folders (and Erlang cookie) under one
folder, so it never touches or clashes with a RabbitMQ already running on the machine (epmd may
be shared: that is harmless). Every wait is bounded.

Use it
  - from Python: `with RabbitMQ() as rabbit: ... rabbit.port, rabbit.url ...`;
  - from pytest: `from harness.rabbitmq import rabbitmq` in a conftest.py (session fixture);
  - from scripts and CTest fixtures:
      python3 tests/harness/rabbitmq.py start --dir D [--port-file F]   (prints the AMQP port)
      python3 tests/harness/rabbitmq.py restart --dir D   (same name and port)
      python3 tests/harness/rabbitmq.py ctl --dir D ARGS...  (rabbitmqctl against it)
      python3 tests/harness/rabbitmq.py stop --dir D [--remove]
      python3 tests/harness/rabbitmq.py cluster --dir D [--nodes 3]   (prints the AMQP ports;
                                                              runs until SIGTERM)
A cluster of N nodes: `with RabbitMQCluster(3) as cluster: ... cluster.nodes[i].url ...`.
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

RABBITMQ_BIN = "/usr/lib/rabbitmq/bin"
START_TIMEOUT_S = 60.0
# The policy that gives contract §4's `results` the ECF's fanout as alternate exchange: the
# ECF's fast path (src/broker/README.md). Nodes get it unless started with results_policy=False.
RESULTS_POLICY = ("set_policy", "--apply-to", "exchanges", "ecf-results", "^results$",
                  '{"alternate-exchange":"results.unrouted"}')
STOP_TIMEOUT_S = 30.0


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_dist_port():
    # The CLI tools (rabbitmqctl) take their own distribution port at dist_port + 10000..10010,
    # so stay below 55525.
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _port_is_free(port) and _port_is_free(port + 10000):
            return port
    raise RuntimeError("rabbitmq harness: no free distribution port found")


def _amqp_ready(port, timeout_s=2.0):
    """True when the node answers the AMQP 0-9-1 protocol header with connection.start.

    RabbitMQ opens its AMQP listener only at the end of its boot, so this means "ready". A raw
    socket keeps the harness free of client libraries (any Python 3 can run it)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.settimeout(timeout_s)
            s.sendall(b"AMQP\x00\x00\x09\x01")
            header = s.recv(7)
            # A method frame (type 1) on channel 0: connection.start.
            return len(header) == 7 and header[0] == 1 and header[1:3] == b"\x00\x00"
    except OSError:
        return False


class RabbitMQ:
    """One private RabbitMQ node. `start()` waits until it accepts AMQP; `stop()` ends it."""

    def __init__(self, base_dir=None, port=None, tls=False, results_policy=True,
                 tls_client_certificates=False, cookie=None, name_suffix="", erl_args=None):
        self._own_dir = base_dir is None
        # The Erlang cookie: nodes of one cluster share it (RabbitMQCluster); else a fresh one.
        self.cookie = cookie
        # Extra flags of the Erlang VM (RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS): benchmarks turn off
        # the schedulers' busy waiting so that the node's CPU time counts work, not spinning.
        self.erl_args = erl_args
        self.results_policy = results_policy
        self.dir = os.path.abspath(base_dir or tempfile.mkdtemp(prefix="ecf-rabbitmq-"))
        self.port = port or _free_port()
        # With tls, a second listener speaks AMQP over TLS with a certificate for 127.0.0.1 and
        # localhost, signed by a CA of this node only (ca_file).
        self.tls_port = _free_port() if tls else None
        # With tls_client_certificates, the TLS listener also requires a client certificate
        # signed by that CA (client_cert_file, client_key_file).
        self.tls_client_certificates = tls and tls_client_certificates
        self.dist_port = _free_dist_port()
        self.nodename = "ecf-test-%d-%s%s@localhost" % (os.getpid(), secrets.token_hex(3),
                                                        name_suffix)
        self.pid = None
        self._process = None

    # --- addresses ------------------------------------------------------------------------
    @property
    def url(self):
        """The AMQP URL as the SRs write it."""
        return "amqp://guest:guest@127.0.0.1:%d" % self.port

    @property
    def tls_url(self):
        return "amqps://guest:guest@localhost:%d" % self.tls_port if self.tls_port else None

    @property
    def ca_file(self):
        return os.path.join(self.dir, "tls", "ca.pem") if self.tls_port else None

    @property
    def client_cert_file(self):
        return os.path.join(self.dir, "tls", "client.pem") if self.tls_port else None

    @property
    def client_key_file(self):
        return os.path.join(self.dir, "tls", "client.key") if self.tls_port else None

    @property
    def original_url(self):
        """The broker address as the original ECF's config writes it."""
        return "http://127.0.0.1:%d" % self.port

    # --- environment ----------------------------------------------------------------------
    def env(self):
        d = self.dir
        env = {
            "PATH": RABBITMQ_BIN + ":/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.path.join(d, "home"),  # the Erlang cookie lives here
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(d, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(d, "log"),
            "RABBITMQ_CONFIG_FILE": os.path.join(d, "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(d, "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(d, "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(d, "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": os.path.join(d, "plugins-expand"),
            "RABBITMQ_PID_FILE": os.path.join(d, "rabbitmq.pid"),
            "RABBITMQ_ALLOW_INPUT": "",
        }
        if getattr(self, "erl_args", None):
            env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = self.erl_args
        return env

    def _prepare(self):
        d = self.dir
        for sub in ("home", "mnesia", "log", "plugins-expand"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        cookie = os.path.join(d, "home", ".erlang.cookie")
        if not os.path.exists(cookie):
            with open(cookie, "w") as f:
                f.write(self.cookie or secrets.token_hex(20).upper())
            os.chmod(cookie, 0o400)
        if self.tls_port:
            self._make_certificates()
        with open(os.path.join(d, "rabbitmq.conf"), "w") as f:
            f.write("listeners.tcp.default = 127.0.0.1:%d\n" % self.port)
            if self.tls_port:
                tls = os.path.join(d, "tls")
                f.write("listeners.ssl.default = 127.0.0.1:%d\n" % self.tls_port)
                f.write("ssl_options.cacertfile = %s/ca.pem\n" % tls)
                f.write("ssl_options.certfile = %s/server.pem\n" % tls)
                f.write("ssl_options.keyfile = %s/server.key\n" % tls)
                if self.tls_client_certificates:
                    f.write("ssl_options.verify = verify_peer\n")
                    f.write("ssl_options.fail_if_no_peer_cert = true\n")
                else:
                    f.write("ssl_options.verify = verify_none\n")
                    f.write("ssl_options.fail_if_no_peer_cert = false\n")
            # Containers often have little free disk: never block publishers for it in tests.
            f.write("disk_free_limit.absolute = 1\n")
            f.write("log.console = false\n")
            f.write("log.file.level = info\n")
        with open(os.path.join(d, "rabbitmq-env.conf"), "w") as f:
            f.write("# private test node: no settings from /etc\n")
        with open(os.path.join(d, "enabled_plugins"), "w") as f:
            f.write("[].\n")

    def _make_certificates(self):
        tls = os.path.join(self.dir, "tls")
        if os.path.exists(os.path.join(tls, "server.pem")):
            return
        os.makedirs(tls, exist_ok=True)

        def openssl(*args):
            subprocess.run(["openssl"] + list(args), cwd=tls, check=True, timeout=60,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=ecf-test-ca", "-keyout", "ca.key", "-out", "ca.pem")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
                "server.key", "-out", "server.csr")
        with open(os.path.join(tls, "san.ext"), "w") as f:
            f.write("subjectAltName = DNS:localhost, IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
        os.chmod(os.path.join(tls, "server.key"), 0o644)
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ecf-test-client", "-keyout",
                "client.key", "-out", "client.csr")
        openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", "client.pem")

    def _write_state(self):
        with open(os.path.join(self.dir, "state.json"), "w") as f:
            json.dump({"pid": self.pid, "port": self.port, "dist_port": self.dist_port,
                       "nodename": self.nodename, "tls_port": self.tls_port}, f)

    @classmethod
    def from_dir(cls, base_dir):
        """The node a `start --dir` left running, to stop it."""
        with open(os.path.join(base_dir, "state.json")) as f:
            state = json.load(f)
        node = cls.__new__(cls)
        node._own_dir = False
        node.dir = os.path.abspath(base_dir)
        node.port = state["port"]
        node.dist_port = state["dist_port"]
        node.nodename = state["nodename"]
        node.pid = state["pid"]
        node.tls_port = state.get("tls_port")
        node.cookie = None  # already written in DIR/home
        node.results_policy = False  # a restarted node keeps its policies
        node._process = None
        return node

    # --- life cycle -----------------------------------------------------------------------
    def start(self, timeout_s=START_TIMEOUT_S):
        self._prepare()
        log = open(os.path.join(self.dir, "server.out"), "ab")
        self._process = subprocess.Popen(
            [os.path.join(RABBITMQ_BIN, "rabbitmq-server")], env=self.env(), cwd=self.dir,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, so stop() can end all of it
        log.close()
        self.pid = self._process.pid
        self._write_state()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._cleanup_dirs_on_failure()
                raise RuntimeError("rabbitmq harness: rabbitmq-server exited with %s; see %s"
                                   % (self._process.returncode, os.path.join(self.dir, "server.out")))
            if _amqp_ready(self.port):
                if not self.results_policy:
                    return self
                # The listener may accept before the `rabbit` app counts as running for
                # rabbitmqctl (its boot steps go on): then set_policy fails; ask again.
                try:
                    self.ctl(*RESULTS_POLICY)
                    return self
                except subprocess.CalledProcessError:
                    if time.monotonic() + 0.25 >= deadline:
                        raise
            time.sleep(0.25)
        self.stop()
        raise RuntimeError("rabbitmq harness: node did not accept AMQP within %.0f s" % timeout_s)

    def _cleanup_dirs_on_failure(self):
        pass  # keep the folder: its logs say why

    def _alive(self):
        if self._process is not None:
            return self._process.poll() is None
        try:
            os.kill(self.pid, 0)
            return True
        except (OSError, TypeError):
            return False

    def _wait_exit(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None:
                try:
                    self._process.wait(timeout=0.1)
                    return True
                except subprocess.TimeoutExpired:
                    continue
            if not self._alive():
                return True
            # Not our child (started by another CLI call): reap is not ours to do.
            time.sleep(0.1)
        return not self._alive()

    def _killpg(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError, TypeError):
            pass

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """Stops the node: rabbitmqctl stop, then its whole process group. Bounded."""
        if self.pid is None:
            return
        try:
            subprocess.run([os.path.join(RABBITMQ_BIN, "rabbitmqctl"), "-n", self.nodename,
                            "stop"], env=self.env(), cwd=self.dir, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout_s)
        except (subprocess.TimeoutExpired, OSError):
            pass
        self._wait_exit(min(10.0, timeout_s))
        # The group holds beam.smp, erl_child_setup and inet_gethost: end what is left of it.
        self._killpg(signal.SIGTERM)
        if not self._wait_exit(5.0):
            self._killpg(signal.SIGKILL)
            self._wait_exit(5.0)
        else:
            self._killpg(signal.SIGKILL)  # stragglers of the group, if any
        self.pid = None

    def kill(self):
        """Ends the node abruptly (tests of a broker that goes away)."""
        if self.pid is None:
            return
        self._killpg(signal.SIGKILL)
        self._wait_exit(10.0)
        self.pid = None

    def restart(self, timeout_s=START_TIMEOUT_S):
        """Stops and starts the same node (same name, port and data)."""
        self.stop()
        return self.start(timeout_s)

    def ctl(self, *args, timeout_s=30.0):
        """Runs rabbitmqctl against this node; returns its stdout."""
        out = subprocess.run([os.path.join(RABBITMQ_BIN, "rabbitmqctl"), "-n", self.nodename,
                              "-q"] + list(args), env=self.env(), cwd=self.dir,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s,
                             check=True)
        return out.stdout.decode()

    def close(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()
        return False


class RabbitMQCluster:
    """N private RabbitMQ nodes on 127.0.0.1 joined in one cluster.

    Each node is a RabbitMQ of its own (name ecf-test-<pid>-<random>-n<i>@localhost, AMQP and
    distribution ports, data folder DIR/node<i>), all with the same Erlang cookie; nodes 1..N-1
    join node 0 (`rabbitmqctl stop_app`, `join_cluster`, `start_app`). The ECF's results policy
    is set once the cluster is formed (policies are cluster-wide). `stop_node(i)` and
    `start_node(i)` take one node down and bring it back (same name, ports and data: it rejoins).
    Every wait is bounded."""

    def __init__(self, size=3, base_dir=None, results_policy=True):
        if size < 1:
            raise ValueError("a cluster has at least one node")
        self._own_dir = base_dir is None
        self.dir = os.path.abspath(base_dir or tempfile.mkdtemp(prefix="ecf-rabbitmq-cluster-"))
        self.results_policy = results_policy
        cookie = secrets.token_hex(20).upper()
        self.nodes = [RabbitMQ(base_dir=os.path.join(self.dir, "node%d" % i),
                               results_policy=False, cookie=cookie, name_suffix="-n%d" % i)
                      for i in range(size)]

    @property
    def urls(self):
        """Each node's AMQP URL, as the SRs write it."""
        return [node.url for node in self.nodes]

    def broker_list(self, scheme="amqp"):
        """The ECF's `broker` value naming every node, comma-separated."""
        if scheme == "http":
            return ",".join(node.original_url for node in self.nodes)
        return ",".join(self.urls)

    def start(self, timeout_s=START_TIMEOUT_S * 2):
        deadline = time.monotonic() + timeout_s
        errors = []

        def boot(node):
            try:
                node.start(max(1.0, deadline - time.monotonic()))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
        # The nodes boot at once (each takes seconds), then join one by one.
        import threading
        threads = [threading.Thread(target=boot, args=(node,), daemon=True)
                   for node in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if errors or any(thread.is_alive() for thread in threads):
            self.stop()
            raise RuntimeError("rabbitmq cluster: a node did not start: %s" % errors)
        first = self.nodes[0]
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.nodename)
            node.ctl("start_app")
            self._wait(lambda node=node: _amqp_ready(node.port), deadline,
                       "%s accepting AMQP after joining" % node.nodename)
        self.wait_running(len(self.nodes), max(1.0, deadline - time.monotonic()))
        if self.results_policy:
            first.ctl(*RESULTS_POLICY)
        return self

    @staticmethod
    def _wait(condition, deadline, what):
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.25)
        raise RuntimeError("rabbitmq cluster: not reached in time: %s" % what)

    def running_nodes(self, via=None):
        """The node names `rabbitmqctl cluster_status` reports running (asked of a live node)."""
        for node in ([via] if via is not None else self.nodes):
            if node.pid is None:
                continue
            try:
                status = json.loads(node.ctl("cluster_status", "--formatter", "json",
                                             timeout_s=20.0))
                return sorted(status.get("running_nodes", []))
            except (subprocess.SubprocessError, ValueError, OSError):
                continue
        return []

    def wait_running(self, count, timeout_s=60.0):
        deadline = time.monotonic() + timeout_s
        self._wait(lambda: len(self.running_nodes()) == count, deadline,
                   "%d nodes running in cluster_status" % count)

    def stop_node(self, index):
        """Takes node `index` down (rabbitmqctl stop, then its process group): its connections
        close and its classic queues go with it."""
        self.nodes[index].stop()

    def kill_node(self, index):
        self.nodes[index].kill()

    def start_node(self, index, timeout_s=START_TIMEOUT_S):
        """Starts node `index` again: same name, ports and data, so it rejoins the cluster."""
        self.nodes[index].start(timeout_s)
        self.wait_running(sum(1 for node in self.nodes if node.pid is not None), timeout_s)

    def ctl(self, *args, timeout_s=30.0):
        """rabbitmqctl against the first live node."""
        for node in self.nodes:
            if node.pid is not None:
                return node.ctl(*args, timeout_s=timeout_s)
        raise RuntimeError("rabbitmq cluster: no node is running")

    def stop(self):
        for node in self.nodes:
            node.stop()

    def close(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc):
        self.close()
        return False


try:
    import pytest

    @pytest.fixture(scope="session")
    def rabbitmq():
        """A private RabbitMQ node for the whole session (import it into a conftest.py)."""
        with RabbitMQ() as node:
            yield node
except ImportError:  # pragma: no cover - the CLI works without pytest
    pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start a node in DIR, print its AMQP port")
    p_start.add_argument("--dir", required=True)
    p_start.add_argument("--port-file", help="also write the AMQP port to this file")
    p_start.add_argument("--timeout", type=float, default=START_TIMEOUT_S)
    p_start.add_argument("--tls", action="store_true",
                         help="also listen for AMQP over TLS (port in DIR/state.json, CA in "
                              "DIR/tls/ca.pem)")
    p_start.add_argument("--no-results-policy", action="store_true",
                         help="do not set the policy of the ECF's fast path on `results`")
    p_restart = sub.add_parser("restart", help="stop and start the node of DIR (same port)")
    p_restart.add_argument("--dir", required=True)
    p_restart.add_argument("--timeout", type=float, default=START_TIMEOUT_S)
    p_ctl = sub.add_parser("ctl", help="run rabbitmqctl against the node of DIR")
    p_ctl.add_argument("--dir", required=True)
    p_ctl.add_argument("args", nargs=argparse.REMAINDER)
    p_cluster = sub.add_parser("cluster", help="start a cluster of N nodes under DIR, print "
                                               "their AMQP ports, run until SIGTERM/SIGINT")
    p_cluster.add_argument("--dir", required=True)
    p_cluster.add_argument("--nodes", type=int, default=3)
    p_cluster.add_argument("--max-seconds", type=float, default=3600.0)
    p_stop = sub.add_parser("stop", help="stop the node started in DIR")
    p_stop.add_argument("--dir", required=True)
    p_stop.add_argument("--remove", action="store_true", help="then delete DIR")
    args = parser.parse_args(argv)

    if args.command == "start":
        if os.path.exists(os.path.join(args.dir, "state.json")):
            old = RabbitMQ.from_dir(args.dir)
            if old._alive():
                print("rabbitmq harness: a node from %s is still running; stopping it" % args.dir,
                      file=sys.stderr)
                old.stop()
        shutil.rmtree(args.dir, ignore_errors=True)
        os.makedirs(args.dir, exist_ok=True)
        node = RabbitMQ(base_dir=args.dir, tls=args.tls,
                        results_policy=not args.no_results_policy)
        node.start(args.timeout)
        if args.port_file:
            with open(args.port_file, "w") as f:
                f.write("%d\n" % node.port)
        print(node.port, flush=True)
        return 0
    if args.command == "restart":
        node = RabbitMQ.from_dir(args.dir)
        node.stop()
        node.start(args.timeout)
        print(node.port, flush=True)
        return 0
    if args.command == "cluster":
        cluster = RabbitMQCluster(args.nodes, base_dir=args.dir)
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        with cluster:
            print(" ".join(str(node.port) for node in cluster.nodes), flush=True)
            end = time.monotonic() + args.max_seconds
            while not stop and time.monotonic() < end:
                time.sleep(0.2)
        return 0
    if args.command == "ctl":
        sys.stdout.write(RabbitMQ.from_dir(args.dir).ctl(*args.args))
        return 0
    if args.command == "stop":
        if not os.path.exists(os.path.join(args.dir, "state.json")):
            print("rabbitmq harness: nothing started in %s" % args.dir, file=sys.stderr)
            return 0
        node = RabbitMQ.from_dir(args.dir)
        node.stop()
        if args.remove:
            shutil.rmtree(args.dir, ignore_errors=True)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
