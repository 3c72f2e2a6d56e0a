"""The composition root: which adapter serves which port, built once on first use and kept by a warm
Lambda between invocations. With stockroom.key_wiring (the authorizer's), the only modules above the core
that name concrete adapters."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING

from stockroom.adapters.dynamodb.client import MAX_POOL_CONNECTIONS
from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.paging import CursorSeal
from stockroom.core.service import InventoryService

if TYPE_CHECKING:
    from stockroom.core.reservations import ReservationService

_service: InventoryService | None = None


def inventory_service() -> InventoryService:
    global _service
    if _service is None:
        # As many lines in flight as the client has connections: more would queue inside the SDK.
        _service = InventoryService(DynamoDBInventoryRepository(), max_parallel_writes=MAX_POOL_CONNECTIONS)
    return _service


def provide(service: InventoryService | None) -> None:
    """Serve `service` from now on (a benchmark on the in-memory repository, or a naive baseline); None
    goes back to DynamoDB."""
    global _service
    _service = service


@functools.cache
def reservation_service() -> ReservationService:
    # Imported here: the functions that hold no stock (Wix inventory, Prosperna, orders without a
    # reservation) never load reservations' modules at their cold start.
    from stockroom.adapters.dynamodb.holds import DynamoDBReservationRepository
    from stockroom.core.reservations import ReservationService

    return ReservationService(DynamoDBInventoryRepository(), DynamoDBReservationRepository())


# Where the deployment puts the key that signs query cursors (template.yaml: a generated secret, resolved
# into the environment when the stack deploys; locally, a random key for each run of the local stack).
CURSOR_KEY_VARIABLE = "CURSOR_SIGNING_KEY"


@functools.cache
def cursor_seal() -> CursorSeal:
    return CursorSeal(os.environ[CURSOR_KEY_VARIABLE].encode())
