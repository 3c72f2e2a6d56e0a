"""Packed bulk creates and updates racing over HTTP: each line is still its own condition. Threads create the
same variants at once (each is created exactly once, the others fail ITEM_ALREADY_EXISTS, Wix's code) and
update the same items from the same revision at once (exactly one wins per item, the others fail
REVISION_MISMATCH, and the item holds the winner's count)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from tests.support import Api

pytestmark = pytest.mark.usefixtures("seeded")
CREATE = "/stores/v3/bulk/inventory-items/create"
UPDATE = "/stores/v3/bulk/inventory-items/update"
THREADS = 6
ITEMS = 120  # three packs of creates, two of updates


def race(server: str, work: Any) -> list[Any]:
    answers: list[Any] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def run(n: int) -> None:
        client = Api(server)
        start.wait()
        answers[n] = work(client, n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_racing_bulk_creates_and_updates_apply_each_line_once(server: str) -> None:
    prefix = f"race-{uuid.uuid4().hex[:8]}"
    variants = [f"{prefix}-{i:03d}" for i in range(ITEMS)]

    def create(client: Api, n: int) -> Any:
        body = {"inventoryItems": [{"variantId": v, "quantity": n} for v in variants], "returnEntity": True}
        answer = client.post(CREATE, body)
        assert answer.status in (200, 201), answer.body
        return answer.body["results"]

    created = race(server, create)
    winners: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, results in enumerate(created):
        for variant, result in zip(variants, results, strict=True):
            if result["itemMetadata"]["success"]:
                assert variant not in winners, variant  # created once
                winners[variant] = (n, result["item"])
            else:
                assert result["itemMetadata"]["error"]["code"] == "ITEM_ALREADY_EXISTS", result
    assert set(winners) == set(variants)

    def update(client: Api, n: int) -> Any:
        body = {
            "inventoryItems": [
                {"inventoryItem": {"id": item["id"], "revision": item["revision"], "quantity": 1000 + n}}
                for _, item in winners.values()
            ],
            "returnEntity": False,
        }
        answer = client.post(UPDATE, body)
        assert answer.status == 200, answer.body
        return answer.body["results"]

    updated = race(server, update)
    api = Api(server)
    for position, (_, item) in enumerate(winners.values()):
        outcomes = [results[position]["itemMetadata"] for results in updated]
        won = [n for n, outcome in enumerate(outcomes) if outcome["success"]]
        assert len(won) == 1, outcomes  # one update from a revision, never two
        assert all(o["error"]["code"] == "REVISION_MISMATCH" for o in outcomes if not o["success"])
        now = api.item(item["id"])
        assert (now["quantity"], now["revision"]) == (1000 + won[0], "2")
