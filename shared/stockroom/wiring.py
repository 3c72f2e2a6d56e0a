"""The objects a warm Lambda keeps between invocations, built once on first use."""

from __future__ import annotations

import functools

from stockroom.dynamodb import DynamoDBInventoryRepository
from stockroom.service import InventoryService


@functools.cache
def inventory_service() -> InventoryService:
    return InventoryService(DynamoDBInventoryRepository())
