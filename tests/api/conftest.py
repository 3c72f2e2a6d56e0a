"""Fixtures of the API tier: clients of the local server, as a store's backend calls it."""

from __future__ import annotations

import pytest

from tests.support import Api


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


@pytest.fixture
def other_store(server: str) -> Api:
    """A key covering the demo store and "second-store"; its calls name the second one."""
    return Api(server, key="two-stores")
