"""A mixed load over HTTP: 8 threads for about 8 s reserving (TTLs of 1, 2 and 30 s), confirming, releasing,
selling and restocking one item. Stock is conserved, expired holds stop counting, and the ledger is exact."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import pytest

from tests.api.test_ledger import all_records, assert_chain
from tests.api.test_reservations import RESERVATIONS, counts, new_item, reserve, sell
from tests.support import Api, eventually

# Seeded: the demo store has its default location (a handler caches it for minutes).
pytestmark = pytest.mark.usefixtures("seeded")

INITIAL = 40
SECONDS = 8.0


@dataclass
class Tally:
    sold: int = 0
    restocked: int = 0
    confirmed: int = 0
    errors: list[str] = field(default_factory=list)


def test_a_mixed_load_conserves_stock_and_leaves_nothing_held(server: str) -> None:
    item = new_item(Api(server), INITIAL)
    tallies = [Tally() for _ in range(8)]
    stop_at = time.monotonic() + SECONDS

    def shopper(seed: int, tally: Tally) -> None:
        api, rng = Api(server), random.Random(seed)
        mine: list[tuple[str, int]] = []  # (reservation id, units), each confirmed or released once
        while time.monotonic() < stop_at:
            roll = rng.random()
            if roll < 0.3:
                units = rng.randint(1, 3)
                answer = reserve(api, (item, units), ttl=rng.choice([1, 2, 30]))
                if answer.status == 201:
                    mine.append((answer.body["reservation"]["id"], units))
                elif answer.status != 428:
                    tally.errors.append(f"reserve {answer.status} {answer.body}")
            elif roll < 0.5 and mine:
                reservation_id, units = mine.pop(rng.randrange(len(mine)))
                answer = api.post(f"{RESERVATIONS}/{reservation_id}/confirm", {})
                if answer.status == 200:
                    tally.confirmed += units
                elif answer.body["details"]["applicationError"]["code"] != "RESERVATION_EXPIRED":
                    tally.errors.append(f"confirm {answer.status} {answer.body}")
            elif roll < 0.6 and mine:
                reservation_id, _ = mine.pop(rng.randrange(len(mine)))
                answer = api.post(f"{RESERVATIONS}/{reservation_id}/release")
                if answer.status != 200:
                    tally.errors.append(f"release {answer.status} {answer.body}")
            elif roll < 0.85:
                units = rng.randint(1, 2)
                if sell(api, item, units):
                    tally.sold += units
            else:
                units = rng.randint(1, 3)
                answer = api.post(
                    "/stores/v3/bulk/inventory-items/increment",
                    {"incrementData": [{"inventoryItemId": item["id"], "incrementBy": units}]},
                )
                if answer.status == 200 and answer.body["results"][0]["itemMetadata"]["success"]:
                    tally.restocked += units
                else:
                    tally.errors.append(f"increment {answer.status} {answer.body}")
        for reservation_id, _ in mine:  # the 30 s holds would outlive the test: let them go
            api.post(f"{RESERVATIONS}/{reservation_id}/release")

    threads = [threading.Thread(target=shopper, args=(i, t)) for i, t in enumerate(tallies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [e for t in tallies for e in t.errors] == []
    time.sleep(2.1)  # the longest short hold (2 s) has expired
    api = Api(server)
    quantity, reserved, available = counts(api, item)
    expected = INITIAL + sum(t.restocked for t in tallies) - sum(t.sold + t.confirmed for t in tallies)
    assert (quantity, reserved, available) == (expected, 0, expected)
    assert available >= 0
    # Every change is in the ledger, as an exact chain.
    records = eventually(lambda: all_records(api, item["id"]) or None)
    assert_chain([r for r in records], quantity)
    kinds = {r["kind"] for r in records}
    assert {"RESERVE", "DECREMENT", "INCREMENT"} <= kinds
