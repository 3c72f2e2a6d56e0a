"""What the Wix API tests share: paths, and calling and reading Wix's bulk calls and query."""

from __future__ import annotations

from typing import Any

from tests.support import Api, ledger

BULK_CREATE = "/stores/v3/bulk/inventory-items/create"
BULK_UPDATE = "/stores/v3/bulk/inventory-items/update"
QUERY = "/stores/v3/inventory-items/query"
INCREMENT_BY_ID = "/stores/v3/bulk/inventory-items/increment"
DECREMENT_BY_ID = "/stores/v3/bulk/inventory-items/decrement"
SOCKS_PRODUCT = "b84d8a3b-52e7-403c-99ff-18db6185418b"
SECOND_STORE = {"wix-site-id": "second-store"}


def ok(answer: Any) -> list[dict[str, Any]]:
    assert answer.status == 200, answer.body
    return answer.body["results"]


def error_of(result: dict[str, Any]) -> str:
    assert result["itemMetadata"]["success"] is False, result
    return result["itemMetadata"]["error"]["code"]


def adjustments(api: Api, item_id: str, **params: Any) -> list[dict[str, Any]]:
    return ledger(api, item_id, **params)


def query(api: Api, filter: dict[str, Any] | None = None, **paging: Any) -> Any:
    return api.post(QUERY, {"query": {"filter": filter or {}, "cursorPaging": paging}})


def queried_ids(api: Api, filter: dict[str, Any] | None = None) -> set[str]:
    answer = query(api, filter)
    assert answer.status == 200, answer.body
    assert answer.body["pagingMetadata"]["hasNext"] is False
    return {item["id"] for item in answer.body["inventoryItems"]}


def update(api: Api, *items: dict[str, Any], headers: dict[str, str] | None = None, **options: Any) -> Any:
    body = {"inventoryItems": [{"inventoryItem": i} for i in items], **options}
    return api.post(BULK_UPDATE, body, headers=headers)


def assert_400(answer: Any, field: str | None = None) -> None:
    assert answer.status == 400, answer.body
    violations = answer.body["details"]["validationError"]["fieldViolations"]
    assert violations
    if field is not None:
        assert any(v["field"].startswith(field) for v in violations), violations
