"""A query by variantId in a store of 20,000 items: it reads that variant's items, never the store's list.

Loads N items (20,000 by default) into one store of the embedded engine, and a second store of 200, then
times over HTTP (the local gateway, handlers in worker processes) the same query answered two ways:

- `variantId $eq` : the ByVariant index, one key condition (what Stockroom does);
- `$or: [variantId $eq]`: the same answer, but no key is taken from an $or, so it is read from the store's
  whole index (what a query by variantId cost when the store was one index partition).

and the keyed query in the small store, so the ratio says whether it depends on the store's size. Ratios are
measured in this one run; absolute times are this machine's (and the embedded engine's, not DynamoDB's).

    .venv/bin/python benchmarks/query_bench.py [--items 20000] [--calls 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
sys.path[:0] = [str(Path(__file__).resolve().parent.parent / p) for p in ("shared", "local")]

BIG, SMALL = "bench-big-store", "bench-small-store"
KEY = "bench-key"


def load(store: str, count: int) -> None:
    """`count` items (20 products of count/20 variants, two locations each), written in batches of 25: the
    load is not what is measured."""
    from stockroom.adapters.dynamodb.client import TableClient
    from stockroom.adapters.dynamodb.codec import item_to_attributes
    from stockroom.adapters.dynamodb.layout import table_name
    from stockroom.core.domain import InventoryItem

    table = TableClient()
    now = "2026-01-01T00:00:00.000Z"
    batch: list[dict[str, Any]] = []
    for n in range(count):
        item = InventoryItem(
            id=f"{store}-{n}",
            store_id=store,
            variant_id=f"v{n // 2:06d}",
            location_id=f"loc-{n % 2}",
            product_id=f"p{n % 20:02d}",
            track_quantity=True,
            quantity=n % 7,
            created_date=now,
            updated_date=now,
        )
        batch.append({"PutRequest": {"Item": item_to_attributes(item)}})
        if len(batch) == 25 or n == count - 1:
            table.call("batch_write_item", RequestItems={table_name(): batch})
            batch = []


def timed_query(url: str, store: str, filter_: dict[str, Any], calls: int) -> tuple[float, int]:
    """The median of `calls` POSTs of the query (ms), and how many items it answered."""
    body = json.dumps({"query": {"filter": filter_, "cursorPaging": {"limit": 100}}}).encode()
    times, found = [], 0
    for _ in range(calls):
        request = urllib.request.Request(
            f"{url}/stores/v3/inventory-items/query",
            data=body,
            headers={"Authorization": KEY, "wix-site-id": store, "Content-Type": "application/json"},
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                found = len(json.load(answer)["inventoryItems"])
        except urllib.error.HTTPError as refused:
            # The embedded engine reads a whole table for every index query: past the read timeout, the
            # call answers 503 (DynamoDB reads one index partition, and would answer).
            print(f"{filter_}: {refused.code} after {time.perf_counter() - start:.1f} s", file=sys.stderr)
            return float("nan"), -1
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), found


def in_process(store: str, variant_id: str, calls: int) -> tuple[float, float]:
    """The keyed query's two reads, timed in this process (ms, medians): where its time goes."""
    from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository

    repository = DynamoDBInventoryRepository()
    index, items = [], []
    for _ in range(calls):
        start = time.perf_counter()
        keys = repository.variant_keys(store, [variant_id])
        middle = time.perf_counter()
        repository.get_items(keys)
        index.append((middle - start) * 1000)
        items.append((time.perf_counter() - middle) * 1000)
    return statistics.median(index), statistics.median(items)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    os.environ["STOCKROOM_API_KEYS"] = json.dumps({KEY: [BIG, SMALL]})

    from stockroom_local.engine import Engine, ensure_tables
    from stockroom_local.gateway import make_server
    from stockroom_local.template import load_template

    template = load_template()
    for function in template.functions.values():
        for name, value in function.environment.items():
            os.environ.setdefault(name, value)
    with Engine():
        ensure_tables(template)
        started = time.perf_counter()
        load(BIG, args.items)
        load(SMALL, 200)
        print(f"loaded {args.items:,} + 200 items in {time.perf_counter() - started:.0f} s")
        server = make_server(template, port=0, verbose=False)
        thread = server.start_background()
        try:
            variant = {"variantId": {"$eq": f"v{args.items // 4:06d}"}}
            timed_query(server.url, BIG, variant, 2)  # warm the worker that answers
            keyed, n_keyed = timed_query(server.url, BIG, variant, args.calls)
            small, n_small = timed_query(server.url, SMALL, {"variantId": {"$eq": "v000050"}}, args.calls)
            index_ms, items_ms = in_process(BIG, variant["variantId"]["$eq"], args.calls)
            # Last: a 503 leaves the engine busy with the abandoned read a while.
            scanned, n_scanned = timed_query(server.url, BIG, {"$or": [variant]}, 1)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    assert n_keyed == n_small == 2 and n_scanned in (2, -1), (n_keyed, n_scanned, n_small)
    rows = [
        (f"query by variantId, {args.items:,} items (ByVariant)", f"{keyed:.0f} ms (median of {args.calls})"),
        ("the same in a store of 200 items", f"{small:.0f} ms (big/small {keyed / small:.2f})"),
        ("the same read from the store's whole index", f"{scanned:.0f} ms ({scanned / keyed:.0f}x keyed)"),
        ("  of the keyed: the ByVariant query (in process)", f"{index_ms:.0f} ms"),
        ("  of the keyed: reading its 2 items (in process)", f"{items_ms:.0f} ms"),
    ]
    for figure, measured in rows:
        print(f"| {figure:<48} | {measured:<34} |")


if __name__ == "__main__":
    main()
