"""The ledger's records in DynamoDB: written by the stream's consumer, read by item and by store."""

from __future__ import annotations

from typing import Any

from stockroom.adapters.dynamodb.client import TableClient
from stockroom.adapters.dynamodb.codec import adjustment_attributes
from stockroom.adapters.dynamodb.layout import table_name
from stockroom.core.domain import Adjustment, InventoryItem


class DynamoDBLedger:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    def put(self, item: InventoryItem, record: Adjustment) -> None:
        """Unconditional: the record of an (item, revision) is always the same, so writing it again is
        harmless (a redelivered stream record)."""
        self._table.call("put_item", TableName=table_name(), Item=adjustment_attributes(item, record))
