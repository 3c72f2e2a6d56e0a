"""Small helpers the tests share: calling the local API over HTTP, and the demo data's ids."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests

from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID

DEV_KEY = "local-dev-key"
SOCKS_A_ITEM = "9bacfc09-2da2-4041-ac87-86df152d3edb"
SOCKS_A_VARIANT = "4d9126f7-6fcb-423a-89df-bd5e61b83b01"
SOCKS_B_ITEM = "1832a09f-2b01-4731-9bfd-681994f452f1"
SOCKS_B_VARIANT = "666795f6-15dd-4f99-806e-129dd834f1ac"
SHOES_ITEM = "169faacb-b979-405a-92d4-adb721c7f3a1"
SHOES_VARIANT = "ccfda17f-b124-4044-af19-069da8a83c25"
SHOES_LOCATION = "10300abc-8f76-49a0-bf89-d5219a1418fa"

DECREMENT_BY_VARIANT = "/stores/v3/bulk/inventory-items/decrement-by-variant-and-location"
CREATE_ITEM = "/stores/v3/inventory-items"

# The SPEC's Wix example, verbatim.
SPEC_WIX_EXAMPLE: dict[str, Any] = {
    "decrementData": [
        {"variantId": SOCKS_A_VARIANT, "locationId": DEMO_DEFAULT_LOCATION_ID, "decrementBy": 1},
        {"variantId": SOCKS_B_VARIANT, "decrementBy": 3},
        {"variantId": SHOES_VARIANT, "locationId": SHOES_LOCATION, "decrementBy": 2, "preorderRequest": True},
    ],
    "restrictInventory": True,
    "returnEntity": True,
    "reason": "ORDER",
}

__all__ = ["DEMO_DEFAULT_LOCATION_ID", "DEMO_STORE_ID"]
T = TypeVar("T")


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


class Api:
    """A client of the local server, as a store's backend would call it."""

    def __init__(self, base_url: str, key: str | None = DEV_KEY) -> None:
        self.base_url = base_url
        self.key = key
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = {"content-type": "application/json", **(headers or {})}
        if self.key is not None:
            sent["Authorization"] = self.key
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        response = self.session.request(method, self.base_url + path, data=data, headers=sent, timeout=30)
        try:
            parsed = response.json()
        except ValueError:
            parsed = response.text
        return Answer(response.status_code, parsed, dict(response.headers))

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Answer:
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.call("GET", path, **kwargs)

    def item(self, item_id: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.get(f"/stores/v3/inventory-items/{item_id}", **kwargs)
        assert answer.status == 200, answer.body
        return answer.body["inventoryItem"]

    def create(self, **fields: Any) -> dict[str, Any]:
        answer = self.post(CREATE_ITEM, {"inventoryItem": fields})
        assert answer.status == 200, answer.body
        return answer.body["inventoryItem"]

    def decrement(self, *lines: dict[str, Any], **options: Any) -> Answer:
        return self.post(DECREMENT_BY_VARIANT, {"decrementData": list(lines), **options})


def eventually(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "the condition") -> T:
    """Probe until it answers (not None): for what trails a change, as the ledger (from the stream) does."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def ledger(api: Api, item_id: str, **params: Any) -> list[dict[str, Any]]:
    """An item's adjustments (newest first) once the ledger has caught up with the item's revision."""
    query = "&".join(f"{k}={v}" for k, v in params.items())

    def caught_up() -> list[dict[str, Any]] | None:
        revision = api.item(item_id)["revision"]
        answer = api.get(f"/stores/v3/inventory-items/{item_id}/adjustments?{query}")
        assert answer.status == 200, answer.body
        records: list[dict[str, Any]] = answer.body["adjustments"]
        return records if records and records[0]["revision"] == revision else None

    return eventually(caught_up, what=f"the ledger of {item_id} catching up")
