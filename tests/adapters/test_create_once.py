"""A create whose answer was lost: its retry under the same request (the same Idempotency-Key) gets the item
it created, never ALREADY_EXISTS for its own write; another request for the same item still gets
ALREADY_EXISTS."""

from __future__ import annotations

import pytest

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.domain import ItemDraft
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.service import InventoryService

pytestmark = pytest.mark.usefixtures("clean_tables")


def test_the_retry_of_a_create_gets_its_own_item_and_another_request_a_conflict() -> None:
    service = InventoryService(DynamoDBInventoryRepository())
    draft = ItemDraft(variant_id="lost-answer", quantity=4)
    first = service.create_item("store", draft, service.audit_context("idem-1", "CREATE"), line_index=3)

    # The same request again (a new id is drawn, other dates: DynamoDB's token sees other parameters).
    again = service.create_item("store", draft, service.audit_context("idem-1", "CREATE"), line_index=3)
    assert again.id == first.id
    assert service.get_item("store", first.id).quantity == 4

    with pytest.raises(ItemAlreadyExists):
        service.create_item("store", draft, service.audit_context("idem-2", "CREATE"), line_index=3)
    # Another line of the same request is another create.
    with pytest.raises(ItemAlreadyExists):
        service.create_item("store", draft, service.audit_context("idem-1", "CREATE"), line_index=4)


def test_a_create_sends_a_client_request_token() -> None:
    real = DynamoDBInventoryRepository().client
    sent: list[dict[str, object]] = []

    class Spy:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def transact_write_items(self, **kwargs: object) -> object:
            sent.append(kwargs)
            return real.transact_write_items(**kwargs)

    service = InventoryService(DynamoDBInventoryRepository(Spy()))
    service.create_item(
        "store", ItemDraft(variant_id="tokened", quantity=1), service.audit_context("r", None)
    )
    assert sent and sent[0].get("ClientRequestToken")
