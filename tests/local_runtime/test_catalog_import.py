"""`stockroom import` / `stockroom export` against the local API: bulk load, idempotent re-runs, counts set
with the revision read, bad rows named by line, and a CSV that round-trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from stockroom_local import cli
from stockroom_local.catalog_csv import COLUMNS
from stockroom_local.catalog_io import StoreApi, export_csv, import_csv
from stockroom_local.engine import Engine
from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID
from tests.support import DEV_KEY, SOCKS_A_ITEM, SOCKS_A_VARIANT, Api, ledger

ROWS = 2000
BAD_LINES = {12: "quantity", 502: "variantId is missing", 902: "exactly one of quantity"}  # header = line 1


def catalog_row(i: int) -> dict[str, str]:
    preorder = i % 7 == 0
    return {
        "variantId": f"imp-{i:05d}",
        "productId": f"prod-{i // 4:05d}",
        "locationId": "",
        "quantity": "" if i % 11 == 0 else str(i % 50),
        "inStock": "true" if i % 11 == 0 else "",
        "preorderEnabled": "true" if preorder else "",
        "preorderLimit": "5" if preorder and i % 11 else "",  # a limit counts: only with a quantity
        "productName": f"Product {i // 4}, size {i % 4}",  # a comma: quoted by the csv module
    }


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def catalog_with_bad_rows(path: Path) -> Path:
    rows = [catalog_row(i) for i in range(ROWS)]
    # Data row i is on line i + 2 (the header is line 1).
    rows[10] |= {"quantity": "-3", "inStock": ""}
    rows[500] |= {"variantId": ""}
    rows[900] |= {"quantity": "4", "inStock": "true"}
    return write_csv(path, rows)


def store_items(server: str) -> dict[str, dict[str, Any]]:
    return {item["variantId"]: item for item in StoreApi(server, DEV_KEY, DEMO_STORE_ID).items()}


def test_a_catalog_loads_reruns_as_nothing_and_exports_back(
    server: str, seeded: Engine, tmp_path: Path
) -> None:
    path = catalog_with_bad_rows(tmp_path / "catalog.csv")
    before = set(store_items(server))

    out = io.StringIO()
    report = import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=out)

    assert (report.created, report.updated, report.unchanged) == (ROWS - 3, 0, 0)
    assert [e.line for e in report.errors] == sorted(BAD_LINES)
    for error in report.errors:
        assert BAD_LINES[error.line] in error.message
        assert f"line {error.line}: " in out.getvalue()
    items = store_items(server)
    imported = {v: item for v, item in items.items() if v not in before}
    assert len(imported) == ROWS - 3
    assert imported["imp-00023"]["quantity"] == 23 and imported["imp-00023"]["trackQuantity"] is True
    assert imported["imp-00011"]["inStock"] is True and imported["imp-00011"]["trackQuantity"] is False
    assert imported["imp-00007"]["preorderInfo"] == {"enabled": True, "limit": 5, "counter": 0, "quantity": 5}
    assert imported["imp-00001"]["locationId"] == DEMO_DEFAULT_LOCATION_ID  # blank location: the default
    assert imported["imp-00005"]["product"]["name"] == "Product 1, size 1"

    # Re-run: nothing is written, so no revision moves.
    again = import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO())
    assert (again.created, again.updated, again.unchanged) == (0, 0, ROWS - 3)
    assert len(again.errors) == 3
    assert {v: i["revision"] for v, i in store_items(server).items()} == {
        v: i["revision"] for v, i in items.items()
    }

    # Export round-trips: the imported rows come back as they went in (the location filled in).
    exported = io.StringIO()
    assert export_csv(DEMO_STORE_ID, exported, server, DEV_KEY) == len(items)
    exported.seek(0)
    back = {row["variantId"]: row for row in csv.DictReader(exported)}
    with path.open(newline="", encoding="utf-8") as stream:
        sent = [row for line, row in enumerate(csv.DictReader(stream), start=2) if line not in BAD_LINES]
    for row in sent:
        expected = row | {
            "locationId": DEMO_DEFAULT_LOCATION_ID,
            "preorderEnabled": row["preorderEnabled"] or "false",
        }
        assert back[row["variantId"]] == expected
    # And importing the export changes nothing either.
    exported_path = tmp_path / "exported.csv"
    exported_path.write_text(exported.getvalue(), encoding="utf-8")
    third = import_csv(str(exported_path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO())
    assert (third.created, third.updated, len(third.errors)) == (0, 0, 0)


def test_a_changed_count_is_set_with_the_revision_read(server: str, seeded: Engine, tmp_path: Path) -> None:
    api = Api(server)
    item = api.item(SOCKS_A_ITEM)
    # No locationId: the store's default location, learned from the API, not guessed.
    path = write_csv(
        tmp_path / "count.csv",
        [{"variantId": SOCKS_A_VARIANT, "quantity": "42", "preorderEnabled": "true", "preorderLimit": "3"}],
    )

    report = import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO())

    assert (report.created, report.updated, report.errors) == (0, 1, [])
    after = api.item(SOCKS_A_ITEM)
    assert after["quantity"] == 42
    assert after["preorderInfo"]["enabled"] is True and after["preorderInfo"]["limit"] == 3
    assert int(after["revision"]) == int(item["revision"]) + 1
    assert after["product"] == item["product"]  # blank cells keep what the item has
    adjustments = ledger(api, SOCKS_A_ITEM)  # the ledger trails the change (it is written from the stream)
    assert adjustments[0]["reason"] == "IMPORT"
    assert import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO()).updated == 0


def test_a_product_id_that_differs_from_the_items_is_refused(
    server: str, seeded: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "product.csv",
        [
            {"variantId": SOCKS_A_VARIANT, "productId": "another-product", "quantity": "1"},
            {"variantId": "new-one", "locationId": "bad location", "quantity": "1"},
            {"variantId": "new-two", "quantity": "3", "preorderLimit": "x"},
        ],
    )
    report = import_csv(str(path), DEMO_STORE_ID, server, DEV_KEY, out=io.StringIO())
    assert [(e.line, e.message.split(" ")[0]) for e in report.errors] == [
        (2, "productId"),
        (3, "locationId"),
        (4, "preorderLimit"),
    ]
    assert Api(server).item(SOCKS_A_ITEM)["quantity"] != 1


def test_the_exit_code_says_whether_a_row_failed(server: str, seeded: Engine, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [{"variantId": "exit-a", "quantity": "1"}])
    bad = write_csv(tmp_path / "bad.csv", [{"variantId": "exit-b", "quantity": "1.5"}])
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("variantId,quantty\nexit-c,1\n", encoding="utf-8")
    common = ["--store", DEMO_STORE_ID, "--api", server]
    assert cli.main(["import", str(good), *common]) == 0
    assert cli.main(["import", str(bad), *common]) == 1
    assert cli.main(["import", str(unknown), *common]) == 2  # a misspelt column: nothing runs
    assert cli.main(["import", str(good), *common, "--key", "no-such-key"]) == 2
    out = tmp_path / "out.csv"
    assert cli.main(["export", "--out", str(out), *common]) == 0
    assert "exit-a" in out.read_text(encoding="utf-8") and "exit-b" not in out.read_text(encoding="utf-8")
