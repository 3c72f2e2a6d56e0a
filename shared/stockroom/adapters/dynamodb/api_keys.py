"""The DynamoDB adapter of `stockroom.core.ports.ApiKeyStore`.

Keys are stored by the SHA-256 of the key: the table never holds a key itself. A second record, by the
key's printable prefix, lets an operator revoke a key without having it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockroom.adapters.dynamodb.client import Cancelled, TableClient
from stockroom.adapters.dynamodb.conditions import put_new
from stockroom.adapters.dynamodb.layout import API_KEY_SK, api_key_pk, api_key_prefix_pk, table_name
from stockroom.core.errors import InvalidRequest


class DynamoDBApiKeyStore:
    def __init__(self, client: Any = None) -> None:
        self._table = TableClient(client)

    def add(self, key_hash: str, prefix: str, store_ids: Sequence[str], created_date: str) -> None:
        key_record = {
            "pk": {"S": api_key_pk(key_hash)},
            "sk": {"S": API_KEY_SK},
            "entity": {"S": "ApiKey"},
            "prefix": {"S": prefix},
            "storeIds": {"L": [{"S": s} for s in store_ids]},
            "revoked": {"BOOL": False},
            "createdDate": {"S": created_date},
        }
        prefix_record = {
            "pk": {"S": api_key_prefix_pk(prefix)},
            "sk": {"S": API_KEY_SK},
            "entity": {"S": "ApiKeyPrefix"},
            "keyHash": {"S": key_hash},
        }
        try:
            self._table.transact([put_new(key_record), put_new(prefix_record)])
        except Cancelled as cancelled:
            raise InvalidRequest(
                "key", "A key with this hash or printable prefix exists already."
            ) from cancelled

    def stores_of(self, key_hash: str) -> list[str] | None:
        """The stores a live key covers; None if unknown or revoked."""
        found = self._table.get(
            {"pk": {"S": api_key_pk(key_hash)}, "sk": {"S": API_KEY_SK}}, consistent=False
        )
        if found is None or found["revoked"]["BOOL"]:
            return None
        return [s["S"] for s in found["storeIds"]["L"]]

    def revoke(self, prefix: str) -> bool:
        """Revoke the key with this prefix; False if there is none."""
        pointer = self._table.get({"pk": {"S": api_key_prefix_pk(prefix)}, "sk": {"S": API_KEY_SK}})
        if pointer is None:
            return False
        self._table.call(
            "update_item",
            TableName=table_name(),
            Key={"pk": {"S": api_key_pk(pointer["keyHash"]["S"])}, "sk": {"S": API_KEY_SK}},
            UpdateExpression="SET revoked = :true",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )
        return True
