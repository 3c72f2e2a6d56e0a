"""The unit tier: the core on the in-memory repository. No moto, boto3 or botocore is imported here."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from stockroom.adapters.memory import InMemoryInventoryRepository
from stockroom.core.domain import AuditContext, ItemDraft, PreorderSettings
from stockroom.core.service import InventoryService

STORE = "store-1"
LOCATION = "loc-1"


def ticking_clock() -> Callable[[], str]:
    """A clock that moves one millisecond a call: every audit context gets a distinct, ordered time."""
    ticks = itertools.count()

    def now() -> str:
        n = next(ticks)
        return f"2026-01-01T00:{n // 60000 % 60:02d}:{n // 1000 % 60:02d}.{n % 1000:03d}Z"

    return now


@pytest.fixture
def repository() -> InMemoryInventoryRepository:
    repository = InMemoryInventoryRepository()
    repository.put_store(STORE, LOCATION)
    return repository


@pytest.fixture
def service(repository: InMemoryInventoryRepository) -> InventoryService:
    return InventoryService(repository, max_parallel_writes=8, clock=ticking_clock())


Make = Callable[..., str]


@pytest.fixture
def make(service: InventoryService) -> Make:
    """make(variant, quantity=..., in_stock=..., preorder=..., limit=...) -> the new item's id."""
    requests = itertools.count()

    def create(
        variant: str,
        quantity: int | None = None,
        *,
        in_stock: bool | None = None,
        preorder: bool = False,
        limit: int | None = None,
        product: str | None = None,
        location: str | None = None,
        name: str | None = None,
    ) -> str:
        draft = ItemDraft(
            variant_id=variant,
            product_id=product,
            location_id=location,
            quantity=quantity if in_stock is None else None,
            in_stock=in_stock,
            preorder=PreorderSettings(enabled=preorder, limit=limit),
            product_name=name,
        )
        return service.create_item(STORE, draft, service.audit_context(f"create-{next(requests)}", None)).id

    return create


def audit(service: InventoryService, request_id: str = "req") -> AuditContext:
    return service.audit_context(request_id, "TEST")
