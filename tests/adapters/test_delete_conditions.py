"""The delete's condition on DynamoDB: only at the revision read, only while the item holds nothing, and
a tombstone in place of the id pointer."""

from __future__ import annotations

import uuid
from dataclasses import replace

import boto3
import pytest

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.adapters.dynamodb.layout import item_key_attrs, table_name
from stockroom.core.domain import AuditContext, InventoryItem
from stockroom.core.ports import ConditionNotMet, HoldsRemain

pytestmark = pytest.mark.usefixtures("clean_tables")


def audit() -> AuditContext:
    return AuditContext(request_id=str(uuid.uuid4()), reason="TEST", created_date="2026-01-01T00:00:01.000Z")


def stored(repository: DynamoDBInventoryRepository) -> InventoryItem:
    item = InventoryItem(
        id=str(uuid.uuid4()),
        store_id="delete-store",
        variant_id=str(uuid.uuid4()),
        location_id="loc",
        product_id="p",
        track_quantity=True,
        quantity=3,
        created_date="2026-01-01T00:00:00.000Z",
        updated_date="2026-01-01T00:00:00.000Z",
    )
    repository.create_item(item, audit())
    return item


def test_a_stale_revision_is_refused_with_the_item_found() -> None:
    repository = DynamoDBInventoryRepository()
    item = stored(repository)
    with pytest.raises(ConditionNotMet) as refused:
        repository.delete(replace(item, revision=2), line_index=0, audit=audit())
    assert not isinstance(refused.value, HoldsRemain) and refused.value.item == item
    assert repository.get_item(item.store_id, item.id) == item


@pytest.mark.parametrize("reserved", [0, 1])
def test_an_item_that_holds_units_is_not_deleted(reserved: int) -> None:
    repository = DynamoDBInventoryRepository()
    item = stored(repository)
    boto3.client("dynamodb").update_item(
        TableName=table_name(),
        Key=item_key_attrs(item.key),
        UpdateExpression="SET reserved = :r",
        ExpressionAttributeValues={":r": {"N": str(reserved)}},
    )
    if reserved:
        with pytest.raises(HoldsRemain) as refused:
            repository.delete(item, line_index=0, audit=audit())
        assert refused.value.reserved == reserved
        assert repository.get_item(item.store_id, item.id) == replace(item, reserved=reserved)
    else:
        repository.delete(item, line_index=0, audit=audit())
        assert repository.get_item(item.store_id, item.id) is None
        assert repository.resolve_ids(item.store_id, [item.id]) == {}
        tombstone = boto3.client("dynamodb").get_item(
            TableName=table_name(),
            Key={"pk": {"S": f"STORE#{item.store_id}#ID#{item.id}"}, "sk": {"S": "ITEM_ID"}},
        )["Item"]
        assert (
            tombstone["entity"] == {"S": "ItemTombstone"}
            and tombstone["change"]["M"]["kind"]["S"] == "DELETE"
        )
        assert "byStorePk" not in tombstone["item"]["M"]  # no item of the store's query index
