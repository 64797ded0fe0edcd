import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import peers  # noqa: E402


@pytest.fixture(scope="session")
def ref():
    peer = peers.reference()
    yield peer
    peer.close()


@pytest.fixture(scope="session")
def cpp():
    peer = peers.cpp()
    yield peer
    peer.close()
