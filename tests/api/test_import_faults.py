"""`stockroom import` tells the truth when DynamoDB misbehaves: the handlers' DynamoDB traffic goes through
the fault proxy (throttles, 5xx, conflicts, answers dropped after the write landed), so bulk lines come back
OUTCOME_UNKNOWN and TEMPORARILY_UNAVAILABLE. The importer sends them again with the same Idempotency-Key
until they settle, and its summary is exact: what it says it created is what the store has, and a rerun
finds every row unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from stockroom_local.catalog_io import StoreApi, import_csv
from tests.api.test_fault_injection import (  # noqa: F401 (fixtures)
    KEY,
    FaultProxy,
    api,
    direct,
    proxy,
    quick_sdk_backoff,
    store,
)
from tests.support import Api

ROWS = 600


def catalog(path: Path, quantity: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["variantId", "productId", "quantity"])
        for i in range(ROWS):
            writer.writerow([f"faulty-{i:04d}", f"p-{i // 3:04d}", quantity + i % 7])
    return path


def test_an_import_through_faults_reports_exactly_what_it_did(
    api: Api,
    proxy: FaultProxy,
    store: str,
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    first = import_csv(str(catalog(tmp_path / "a.csv", 10)), store, api.base_url, KEY, out=out)
    unsettled = proxy.faults  # the proxy's faults: the import met them
    assert sum(n for (op, kind), n in unsettled.items() if kind != "forward") > 0
    items: dict[str, Any] = {i["variantId"]: i for i in StoreApi(api.base_url, KEY, store).items()}
    assert (first.created, first.updated, first.unchanged, len(first.errors)) == (ROWS, 0, 0, 0), (
        out.getvalue()
    )
    assert len(items) == ROWS
    assert all(item["quantity"] == 10 + int(v[-4:]) % 7 for v, item in items.items())

    # The same file again: nothing to do, and the summary says so.
    again = import_csv(str(tmp_path / "a.csv"), store, api.base_url, KEY, out=io.StringIO())
    assert (again.created, again.updated, again.unchanged, len(again.errors)) == (0, 0, ROWS, 0)

    # New counts: every row updated once, through the same faults.
    third = import_csv(str(catalog(tmp_path / "b.csv", 20)), store, api.base_url, KEY, out=io.StringIO())
    assert (third.created, third.updated, third.unchanged, len(third.errors)) == (0, ROWS, 0, 0)
    after = {i["variantId"]: i for i in StoreApi(api.base_url, KEY, store).items()}
    assert all(item["quantity"] == 20 + int(v[-4:]) % 7 for v, item in after.items())
    # Each updated exactly once: one revision on from the create.
    assert {item["revision"] for item in after.values()} == {"2"}
