"""Helpers of the standalone-mode tests: users made with `ecf users add`, and the ECF started
in standalone mode (a configuration naming neither one_xmlrpc nor cognit_frontend)."""
import json
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


class EchoRuntime:
    """A minimal Serverless Runtime on one flavour queue over pika, as the real SR consumes it
    (default queue properties, prefetch 1): answers 200 with ret_code 0, keeps what it got."""

    def __init__(self, amqp_url, flavour):
        import pika
        import queue
        import threading

        self.received = queue.Queue()
        self._stop = threading.Event()
        ready = threading.Event()

        def consume():
            connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
            channel = connection.channel()
            channel.queue_declare(queue=flavour)
            channel.basic_qos(prefetch_count=1)

            def on_message(ch, method, properties, body):
                message = json.loads(body)
                self.received.put(message)
                ch.basic_publish(exchange="results", routing_key=message["request_id"],
                                 body=json.dumps({"code": 200, "message": {
                                     "ret_code": 0, "res": "gAVLAi4=", "err": None}}))
                ch.basic_ack(delivery_tag=method.delivery_tag)

            channel.basic_consume(queue=flavour, on_message_callback=on_message)
            ready.set()
            try:
                while not self._stop.is_set():
                    connection.process_data_events(time_limit=0.1)
            finally:
                connection.close()

        self._thread = threading.Thread(target=consume, daemon=True)
        self._thread.start()
        if not ready.wait(timeout=30):
            raise RuntimeError("the echo runtime did not connect within 30 s")

    def next_message(self, timeout=10):
        return self.received.get(timeout=timeout)

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)
