"""`stockroom import` and `stockroom export`: load and dump a store's catalog over the HTTP API.

Only the public Wix routes are used (query, bulk create, bulk update), so the same command works against
`make serve` and a deployed stack. Import is a diff against what the store has: it reads every item of
the store, creates the missing ones, and sets the count of those whose count differs, with the revision it
read. A row that matches the store sends nothing, which makes a re-run (after Ctrl-C, or a partial failure)
finish the job and a second run write nothing.
"""

from __future__ import annotations

import io
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import requests

from stockroom_local.catalog_csv import CsvFormatError, Row, RowError, decode_csv, read_rows, write_items
from stockroom_local.progress import Progress

DEFAULT_API = "http://127.0.0.1:3000"
DEFAULT_KEY = "local-dev-key"
QUERY_PATH = "/stores/v3/inventory-items/query"
CREATE_PATH = "/stores/v3/bulk/inventory-items/create"
UPDATE_PATH = "/stores/v3/bulk/inventory-items/update"
CREATE_PAGE = 1000  # the API's bulk create limit
UPDATE_PAGE = 300  # the API's bulk update limit
QUERY_PAGE = 100  # the API's largest query page
RETRIES = 5
# How long a send waits for an earlier send of the same request (same Idempotency-Key) to let go of it: past
# the function's timeout (30 s), after which an unanswered send's hold on its key lapses.
IN_PROGRESS_WAIT_SECONDS = 120.0
_TRANSIENT = {429, 500, 502, 503, 504}
# Lines storage could not settle: sent again, under the same Idempotency-Key, until they do (a line that
# did land is then reported applied, never applied twice).
UNSETTLED = {"OUTCOME_UNKNOWN", "TEMPORARILY_UNAVAILABLE"}
SETTLE_ATTEMPTS = 8

Item = dict[str, Any]
Key = tuple[str, str]  # (variantId, locationId)


def new_key() -> str:
    return f"import-{uuid.uuid4()}"


def settled(api: StoreApi, path: str, body: Any, *, keyed: bool = True) -> list[Item]:
    """A bulk call's results, every line settled: lines that storage could not settle (OUTCOME_UNKNOWN,
    TEMPORARILY_UNAVAILABLE) are sent again with the same body and Idempotency-Key, so each is applied
    exactly once, until none is left or the attempts run out (those lines then stay as they are).
    `keyed` False sends no key (the API then remembers nothing: for a call whose repeat is harmless)."""
    key = new_key() if keyed else None
    results: list[Item] = api.post(path, body, key=key)["results"]
    for attempt in range(SETTLE_ATTEMPTS):
        if not any(_code(result) in UNSETTLED for result in results):
            break
        time.sleep(min(5.0, 0.25 * 2**attempt))
        again: list[Item] = api.post(path, body, key=key)["results"]
        # A line settled before keeps its answer (the same request again answers it the same way).
        results = [new if _code(old) in UNSETTLED else old for old, new in zip(results, again, strict=True)]
    return results


def _code(result: Item) -> str | None:
    error = (result.get("itemMetadata") or {}).get("error") or {}
    return error.get("code")


class ApiError(Exception):
    """The API refused a request as a whole (a wrong key, a store the key does not cover, ...)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}")


class StoreApi:
    """The Wix routes of one store, with retries: every write page carries its own Idempotency-Key, kept
    across retries, so a page whose answer was lost is answered again, not applied twice."""

    def __init__(self, base_url: str, key: str, store: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": key, "wix-site-id": store, "Content-Type": "application/json"}
        self.timeout = timeout
        self.session = requests.Session()
        self.requests = 0

    def post(self, path: str, body: Any, idempotent: bool = False, key: str | None = None) -> Any:
        headers = dict(self.headers)
        if idempotent or key:
            headers["Idempotency-Key"] = key or new_key()
        attempt = 0
        started = time.monotonic()
        while True:
            self.requests += 1
            try:
                answer = self.session.post(
                    self.base_url + path, json=body, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout):
                if attempt == RETRIES - 1:
                    raise
            else:
                in_progress = answer.status_code == 409 and "REQUEST_IN_PROGRESS" in answer.text
                if answer.status_code not in _TRANSIENT and not in_progress:
                    try:
                        parsed = answer.json()
                    except ValueError:
                        parsed = answer.text
                    if answer.status_code >= 400:
                        raise ApiError(answer.status_code, parsed)
                    return parsed
                if in_progress and time.monotonic() - started < IN_PROGRESS_WAIT_SECONDS:
                    # An earlier send of this request still holds its key: it is answered, or its hold
                    # lapses (at most the function's timeout), before this one can run. Not a failure.
                    time.sleep(2.0)
                    continue
                if attempt == RETRIES - 1:
                    raise ApiError(answer.status_code, answer.text)
            time.sleep(min(8.0, 0.5 * 2**attempt))
            attempt += 1

    def items(self) -> Iterator[Item]:
        """Every item of the store, in (product, variant, location) order, page by page."""
        paging: dict[str, Any] = {"limit": QUERY_PAGE}
        while True:
            page = self.post(QUERY_PATH, {"query": {"cursorPaging": paging}})
            yield from page["inventoryItems"]
            cursor = (page.get("pagingMetadata") or {}).get("cursors", {}).get("next")
            if not cursor:
                return
            paging = {"limit": QUERY_PAGE, "cursor": cursor}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    requests: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.errors)} failed ({self.requests} API requests)"
        )


def new_item(row: Row) -> Item:
    """A bulk-create item: locationId left out means the store's default location, as in the API."""
    item: Item = {"variantId": row.variant_id}
    if row.product_id:
        item["productId"] = row.product_id
    if row.location_id:
        item["locationId"] = row.location_id
    if row.quantity is not None:
        item["quantity"] = row.quantity
    else:
        item["inStock"] = row.in_stock
    if row.preorder_enabled or row.preorder_limit is not None:
        preorder: Item = {"enabled": bool(row.preorder_enabled)}
        if row.preorder_limit is not None:
            preorder["limit"] = row.preorder_limit
        item["preorderInfo"] = preorder
    if row.product_name:
        item["product"] = {"name": row.product_name}
    return item


def changes(row: Row, item: Item) -> Item | None:
    """The bulk-update fields that make `item` what `row` says, or None when it already is. Blank preorder
    cells keep what the item has; productName is not changed (the API's update does not set it)."""
    update: Item = {}
    tracked = item.get("trackQuantity", True)
    if row.quantity is not None and (not tracked or item.get("quantity") != row.quantity):
        update["quantity"] = row.quantity
    if row.in_stock is not None and (tracked or bool(item.get("inStock")) != row.in_stock):
        update["inStock"] = row.in_stock
    preorder = item.get("preorderInfo") or {}
    preorder_update: Item = {}
    if row.preorder_enabled is not None and bool(preorder.get("enabled")) != row.preorder_enabled:
        preorder_update["enabled"] = row.preorder_enabled
    if row.preorder_limit is not None and preorder.get("limit") != row.preorder_limit:
        preorder_update["limit"] = row.preorder_limit
    if preorder_update:
        update["preorderInfo"] = preorder_update
    if not update:
        return None
    return {"id": item["id"], "revision": item["revision"], **update}


def _failure(result: Item) -> str:
    error = (result.get("itemMetadata") or {}).get("error") or {}
    return f"{error.get('code', 'FAILED')}: {error.get('description', 'the API refused this row')}"


class Importer:
    def __init__(self, api: StoreApi, progress: Progress, *, allow_below_reserved: bool = False) -> None:
        self.api = api
        self.allow_below_reserved = allow_below_reserved
        self.progress = progress
        self.report = ImportReport()
        self.existing: dict[Key, Item] = {}
        self.variants: set[str] = set()
        self.default_location: str | None = None

    def run(self, rows: list[Row]) -> ImportReport:
        self.report.rows = len(rows)
        self.progress.start("reading the store", None)
        for item in self.api.items():
            self.existing[(item["variantId"], item["locationId"])] = item
            self.variants.add(item["variantId"])
            self.progress.advance(1)
        self.progress.start("importing", len(rows))
        creates: list[Row] = []
        updates: list[tuple[Row, Item]] = []
        for row in rows:
            existing = self._existing(row)
            if existing is None:
                creates.append(row)
                continue
            item = existing
            if row.product_id and row.product_id != item.get("productId"):
                self._fail(row, f"productId cannot change (this item's product is {item.get('productId')})")
                continue
            update = changes(row, item)
            if update is None:
                self.report.unchanged += 1
                self.progress.advance(1)
            else:
                updates.append((row, update))
        for start in range(0, len(creates), CREATE_PAGE):
            self._create(creates[start : start + CREATE_PAGE])
        for start in range(0, len(updates), UPDATE_PAGE):
            self._update(updates[start : start + UPDATE_PAGE])
        self.report.requests = self.api.requests
        self.report.errors.sort(key=lambda e: e.line)
        return self.report

    def _existing(self, row: Row) -> Item | None:
        if row.location_id is not None:
            return self.existing.get((row.variant_id, row.location_id))
        if row.variant_id not in self.variants:
            return None  # not in the store at any location: certainly a create
        if self.default_location is None:
            self.default_location = self._probe_default_location(row)
        if self.default_location is None:
            return None
        return self.existing.get((row.variant_id, self.default_location))

    def _probe_default_location(self, row: Row) -> str | None:
        """The API has no call that names a store's default location, but a create without locationId
        uses it: creating this row alone either creates it there, or fails ALREADY_EXISTS naming it. The
        failed create is a refused conditional put, so it writes nothing."""
        # No Idempotency-Key: a repeat is harmless (it creates the item or names its location), and a rerun
        # that finds everything as it should be then writes nothing at all, not even the key's record.
        body = {"inventoryItems": [new_item(row)], "returnEntity": True}
        [result] = settled(self.api, CREATE_PATH, body, keyed=False)
        if result["itemMetadata"]["success"]:
            item = result["item"]
            self.existing[(item["variantId"], item["locationId"])] = item
            self.report.created += 1
            self.report.unchanged -= 1  # counted as unchanged below, since the item now matches
            return str(item["locationId"])
        location = ((result["itemMetadata"].get("error") or {}).get("data") or {}).get("locationId")
        return str(location) if location else None

    def _fail(self, row: Row, message: str, advance: bool = True) -> None:
        self.report.errors.append(RowError(row.line, message))
        if advance:
            self.progress.advance(1)

    def _create(self, page: list[Row]) -> None:
        body = {"inventoryItems": [new_item(row) for row in page], "returnEntity": False}
        try:
            results = settled(self.api, CREATE_PATH, body)
        except ApiError as exc:
            if exc.status >= 500 or exc.status in (401, 403):
                raise
            for row in page:  # the rows are checked before sending: a 400 here is the API's own rule
                self._fail(row, str(exc), advance=False)
            self.progress.advance(len(page))
            return
        for row, result in zip(page, results, strict=True):
            if result["itemMetadata"]["success"]:
                self.report.created += 1
            else:
                self._fail(row, _failure(result), advance=False)
        self.progress.advance(len(page))

    def _update(self, page: list[tuple[Row, Item]]) -> None:
        body = {
            "inventoryItems": [{"inventoryItem": update} for _, update in page],
            "reason": "IMPORT",
            "returnEntity": False,
            "allowBelowReserved": self.allow_below_reserved,
        }
        try:
            results = settled(self.api, UPDATE_PATH, body)
        except ApiError as exc:
            if exc.status >= 500 or exc.status in (401, 403):
                raise
            for row, _ in page:
                self._fail(row, str(exc), advance=False)
            self.progress.advance(len(page))
            return
        for (row, _), result in zip(page, results, strict=True):
            if result["itemMetadata"]["success"]:
                self.report.updated += 1
            else:
                # REVISION_MISMATCH: the item changed after it was read; a re-run reads it again.
                self._fail(row, _failure(result), advance=False)
        self.progress.advance(len(page))


def import_csv(
    path: str,
    store: str,
    api_url: str = DEFAULT_API,
    key: str = DEFAULT_KEY,
    out: IO[str] | None = None,
    *,
    allow_below_reserved: bool = False,
) -> ImportReport:
    """Import one CSV file; reports every bad row on `out` (default stderr) and returns the report."""
    out = out or sys.stderr
    with open(path, "rb") as stream:
        rows, bad = read_rows(io.StringIO(decode_csv(stream.read()), newline=""))
    progress = Progress(out)
    try:
        importer = Importer(
            StoreApi(api_url, key, store), progress, allow_below_reserved=allow_below_reserved
        )
        report = importer.run(rows)
    finally:
        progress.stop()
    report.rows += len(bad)
    report.errors = sorted([*bad, *report.errors], key=lambda e: e.line)
    for error in report.errors:
        print(error, file=out)
    print(report.summary(), file=out, flush=True)
    return report


def export_csv(store: str, stream: IO[str], api_url: str = DEFAULT_API, key: str = DEFAULT_KEY) -> int:
    """Write every item of the store to `stream` as CSV; returns how many."""
    return write_items(stream, StoreApi(api_url, key, store).items())


def import_command(args: Any) -> int:
    """`stockroom import`: exit 0 when every row loaded, 1 when some row failed, 2 when nothing could run,
    130 on Ctrl-C (what was written stays written; a re-run completes it)."""
    try:
        report = import_csv(
            args.file, args.store, args.api, args.key, allow_below_reserved=args.allow_below_reserved
        )
    except KeyboardInterrupt:
        print(
            "interrupted: the pages sent so far are applied; run the same import again to finish",
            file=sys.stderr,
        )
        return 130
    except (OSError, CsvFormatError, ApiError, requests.RequestException) as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    return 0 if report.ok else 1


def export_command(args: Any) -> int:
    try:
        if args.out:
            with open(args.out, "w", encoding="utf-8", newline="") as stream:
                count = export_csv(args.store, stream, args.api, args.key)
        else:
            count = export_csv(args.store, sys.stdout, args.api, args.key)
    except (OSError, ApiError, requests.RequestException) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 2
    print(f"exported {count} items", file=sys.stderr)
    return 0
