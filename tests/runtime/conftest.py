import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from harness.rabbitmq import rabbitmq  # noqa: E402,F401  (the session's private RabbitMQ)
