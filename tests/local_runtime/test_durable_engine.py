"""`stockroom serve --data-dir`: answered changes survive SIGKILL; SIGTERM stops it and its workers cleanly;
workers of a SIGKILLed server exit on their own. Each server runs in its own process group, killed whole in a
finally."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.local_runtime.serve_process import group_members, kill_group, serving, start_serve
from tests.support import Api

WORKERS = 8


def test_answered_decrements_survive_sigkill_of_the_whole_group(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    # Snapshots every 40 changes: the run crosses several, so restart loads one and replays its log.
    with serving("--data-dir", data, "--snapshot-every", "40") as (process, url):
        api = Api(url)
        item = api.create(variantId="durable-tee", productId="durable", quantity=99_999)
        answered = [0] * WORKERS
        stop = threading.Event()

        def sell(worker: int) -> None:
            client = Api(url)
            while not stop.is_set():
                try:
                    answer = client.decrement({"variantId": "durable-tee", "decrementBy": 1})
                except requests.RequestException:
                    return  # the server was killed under this call: it is in flight, not answered
                if answer.status == 200:
                    answered[worker] += 1

        threads = [threading.Thread(target=sell, args=(w,)) for w in range(WORKERS)]
        for thread in threads:
            thread.start()
        # Kill mid-run, once the workers are warm and changes have crossed a few snapshots.
        assert _wait_until(lambda: sum(answered) >= 150, 90), answered
        kill_group(process)  # SIGKILL to serve, its workers and the resource tracker alike
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    with serving("--data-dir", data, "--no-seed") as (_, url):
        quantity = Api(url).item(item["id"])["quantity"]
    applied_unanswered = 99_999 - quantity - sum(answered)
    # Every answered decrement is kept; at most one call per thread was in flight (applied, never answered).
    assert 0 <= applied_unanswered <= WORKERS, (sum(answered), quantity)


def test_without_data_dir_nothing_is_kept_and_with_it_everything_is(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with serving("--data-dir", data) as (process, url):
        item = Api(url).create(variantId="kept", productId="kept", quantity=7)
        kill_group(process, signal.SIGTERM)
        assert process.returncode == 0
    assert sorted(p.name for p in Path(data).iterdir() if p.suffix == ".log")
    with serving("--data-dir", data) as (_, url):
        # The demo data is seeded again over the kept tables without touching the new item.
        assert Api(url).item(item["id"])["quantity"] == 7
    with serving() as (_, url):
        assert Api(url).get(f"/stores/v3/inventory-items/{item['id']}").status == 404


def test_one_data_dir_serves_one_engine(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with (
        serving("--data-dir", data),
        pytest.raises(AssertionError, match="in use by another stockroom process"),
    ):
        start_serve("--data-dir", data, timeout=60)


def _wait_until(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


def _start_workers(url: str) -> None:
    # Concurrent calls start several execution environments (worker processes).
    threads = [threading.Thread(target=lambda: Api(url).get("/openapi.json")) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_sigterm_stops_serve_and_every_child() -> None:
    with serving() as (process, url):
        _start_workers(url)
        assert len(group_members(process.pid)) > 2  # serve, workers, the resource tracker
        os.kill(process.pid, signal.SIGTERM)  # the parent only, as a service manager would
        process.wait(timeout=30)
        assert process.returncode == 0
        assert _wait_until(lambda: not group_members(process.pid), 10), group_members(process.pid)


def test_workers_exit_when_serve_is_sigkilled() -> None:
    with serving() as (process, url):
        _start_workers(url)
        children = [pid for pid in group_members(process.pid) if pid != process.pid]
        assert children
        os.kill(process.pid, signal.SIGKILL)  # the parent only: nobody shuts the pool down
        process.wait(timeout=30)
        assert _wait_until(lambda: not group_members(process.pid), 10), group_members(process.pid)
