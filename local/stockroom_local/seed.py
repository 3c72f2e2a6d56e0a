"""The demo data that makes SPEC's examples run as they are. Idempotent: existing items are left alone."""

from __future__ import annotations

import contextlib

from stockroom.adapters.dynamodb.inventory import DynamoDBInventoryRepository
from stockroom.core.domain import ItemDraft, PreorderSettings
from stockroom.core.errors import ItemAlreadyExists
from stockroom.core.service import InventoryService

DEMO_STORE_ID = "639749a5cb1db88617891bf0"
DEMO_DEFAULT_LOCATION_ID = "b6e63540-242c-462a-ac6c-b1e449e0c194"
DEMO_CATEGORY_ID = "9d98c2b8-7cd3-4a61-a46f-bba5847128b2"

DEMO_ITEMS = (
    # Sports Socks: two variants at the default location.
    ItemDraft(
        item_id="9bacfc09-2da2-4041-ac87-86df152d3edb",
        variant_id="4d9126f7-6fcb-423a-89df-bd5e61b83b01",
        product_id="b84d8a3b-52e7-403c-99ff-18db6185418b",
        quantity=9,
        product_name="Sports Socks",
        category_ids=(DEMO_CATEGORY_ID,),
    ),
    ItemDraft(
        item_id="1832a09f-2b01-4731-9bfd-681994f452f1",
        variant_id="666795f6-15dd-4f99-806e-129dd834f1ac",
        product_id="b84d8a3b-52e7-403c-99ff-18db6185418b",
        quantity=10,
        product_name="Sports Socks",
        category_ids=(DEMO_CATEGORY_ID,),
    ),
    # Running Shoes: sold out at another location, open for preorder up to 10.
    ItemDraft(
        item_id="169faacb-b979-405a-92d4-adb721c7f3a1",
        variant_id="ccfda17f-b124-4044-af19-069da8a83c25",
        location_id="10300abc-8f76-49a0-bf89-d5219a1418fa",
        product_id="5d97b0ab-9b0c-4b1b-b89c-a43bba702321",
        quantity=0,
        preorder=PreorderSettings(enabled=True, limit=10),
        product_name="Running Shoes",
        category_ids=(DEMO_CATEGORY_ID,),
    ),
    # Prosperna's examples: a product without variants, and a variant combination of another product.
    ItemDraft(
        item_id="63e4f4fabf61b3a5047d9da4",
        variant_id="63e4f4fabf61b3a5047d9da4",
        product_id="63e4f4fabf61b3a5047d9da4",
        quantity=20,
    ),
    ItemDraft(
        item_id="63e64f99ca104a61440fd50b",
        variant_id="63e64f99ca104a61440fd50b",
        product_id="63e64f99ca104a61440fd500",
        quantity=10,
    ),
)


def seed_demo_data() -> None:
    repository = DynamoDBInventoryRepository()
    repository.put_store(DEMO_STORE_ID, DEMO_DEFAULT_LOCATION_ID)
    service = InventoryService(repository)
    audit = service.audit_context("seed", "SEED")
    for draft in DEMO_ITEMS:
        with contextlib.suppress(ItemAlreadyExists):  # seeded before: leave it as it is now
            service.create_item(DEMO_STORE_ID, draft, audit)
