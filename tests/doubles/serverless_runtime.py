#!/usr/bin/python3
"""A Serverless Runtime double: consumes flavour queues and answers as contract §4 says.

Like today's SRs (SovereignEdgeEU-COGNIT/serverless-runtime, app/modules/_rabbitmq_client.py)
it declares only its flavour queues, with default properties, consumes them with prefetch 1, and
publishes each result to exchange `results` (which it never declares) with routing key =
request_id and body {"code": ..., "message": {...}}.

Modes
  echo       code 200, message {"ret_code": 0, "res": <the request's payload as JSON text>,
             "err": null}: tests check the exact payload with json.loads(res)
  fixed      the given code and message
  silent     never answers (the request is still acknowledged and recorded)
  duplicate  answers as echo, then a second time with res "duplicate"
Any mode answers after `delay` seconds.

Every message received is recorded (self.received; and with a record file, one JSON line each:
flavour, body, raw body, properties) so tests can check the exact payload and properties.

As a script:  serverless_runtime.py --broker URL --flavour F [--flavour G] [--mode M]
              [--code N --message JSON] [--delay S] [--record FILE] [--max-seconds S]
prints "ready" once it consumes, and runs until SIGTERM/SIGINT or --max-seconds.
"""

import argparse
import json
import signal
import sys
import threading
import time

import pika  # Debian's python3-pika

MODES = ("echo", "fixed", "silent", "duplicate")


class ServerlessRuntimeDouble:
    def __init__(self, broker_url, flavours, mode="echo", code=200, message=None, delay=0.0,
                 record_file=None, results_exchange="results"):
        if mode not in MODES:
            raise ValueError("mode must be one of %s" % (MODES,))
        self.broker_url = broker_url
        self.flavours = [flavours] if isinstance(flavours, str) else list(flavours)
        self.mode = mode
        self.code = code
        self.message = message if message is not None else {"ret_code": 0, "res": None,
                                                              "err": None}
        self.delay = delay
        self.record_file = record_file
        self.results_exchange = results_exchange
        self.received = []
        self.answered = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self._thread = None

    # --- life cycle -----------------------------------------------------------------------
    def start(self, timeout_s=15.0):
        self._thread = threading.Thread(target=self._run, name="sr-double", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            self.stop()
            raise RuntimeError("SR double: not consuming after %.0f s: %s"
                               % (timeout_s, self._error))
        if self._error:
            raise RuntimeError("SR double: %s" % self._error)
        return self

    def stop(self, timeout_s=10.0):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout_s)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait_for(self, count, timeout_s=10.0):
        """Waits until `count` messages were received; returns the records."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self._lock:
            raise AssertionError("SR double received %d messages, expected %d"
                                 % (len(self.received), count))

    # --- the consumer ---------------------------------------------------------------------
    def _run(self):
        connection = None
        try:
            params = pika.URLParameters(self.broker_url)
            params.socket_timeout = 5
            params.connection_attempts = 1
            connection = pika.BlockingConnection(params)
            channel = connection.channel()
            channel.basic_qos(prefetch_count=1)
            for flavour in self.flavours:
                channel.queue_declare(queue=flavour)  # default properties, as the SRs do
                channel.basic_consume(queue=flavour, on_message_callback=self._on_message)
            self._ready.set()
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.1)
        except Exception as e:  # noqa: BLE001 - reported through start() or the script
            self._error = "%s: %s" % (type(e).__name__, e)
            self._ready.set()
        finally:
            if connection is not None and connection.is_open:
                try:
                    connection.close()
                except Exception:  # noqa: BLE001
                    pass

    def _record(self, flavour, body, properties):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        entry = {
            "flavour": flavour,
            "body": parsed,
            "raw": body.decode("utf-8", "replace"),
            "properties": {
                "content_type": properties.content_type,
                "correlation_id": properties.correlation_id,
                "expiration": properties.expiration,
                "reply_to": properties.reply_to,
                "delivery_mode": properties.delivery_mode,
                "headers": properties.headers,
            },
            "time": time.time(),
        }
        with self._lock:
            self.received.append(entry)
            if self.record_file:
                with open(self.record_file, "a") as f:
                    f.write(json.dumps(entry) + "\n")
        return parsed

    def _on_message(self, channel, method, properties, body):
        request = self._record(method.routing_key, body, properties)
        request_id = request.get("request_id") if isinstance(request, dict) else None
        if self.delay > 0:
            # Short sleeps, so a stop() is not held up for long.
            end = time.monotonic() + self.delay
            while time.monotonic() < end and not self._stop.is_set():
                time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        if request_id and self.mode != "silent" and not self._stop.is_set():
            if self.mode == "fixed":
                result = {"code": self.code, "message": self.message}
            else:
                result = {"code": 200, "message": {
                    "ret_code": 0, "res": json.dumps(request.get("payload")), "err": None}}
            self._publish(channel, request_id, result)
            if self.mode == "duplicate":
                self._publish(channel, request_id, {"code": 200, "message": {
                    "ret_code": 0, "res": "duplicate", "err": None}})
        channel.basic_ack(delivery_tag=method.delivery_tag)

    def _publish(self, channel, request_id, result):
        channel.basic_publish(exchange=self.results_exchange, routing_key=request_id,
                              body=json.dumps(result).encode())
        with self._lock:
            self.answered += 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True, help="amqp://user:pass@host:port")
    parser.add_argument("--flavour", action="append", required=True)
    parser.add_argument("--mode", choices=MODES, default="echo")
    parser.add_argument("--code", type=int, default=200)
    parser.add_argument("--message", help="JSON of the message (mode fixed)")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--record", help="append a JSON line per received message")
    parser.add_argument("--results-exchange", default="results")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop on its own after this long (tests never hang)")
    args = parser.parse_args(argv)

    double = ServerlessRuntimeDouble(
        args.broker, args.flavour, mode=args.mode, code=args.code,
        message=json.loads(args.message) if args.message else None, delay=args.delay,
        record_file=args.record, results_exchange=args.results_exchange)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    double.start()
    print("ready", flush=True)
    stop.wait(args.max_seconds)
    double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
