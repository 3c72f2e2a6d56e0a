// The Wix dialect's contract: Wix's own SDK (@wix/sdk with @wix/stores, module inventoryItemsV3) against
// `stockroom serve`, checking what the SDK hands its caller. Run by tests/local_runtime/test_wix_sdk.py.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { applicationCode, lastSent, lineCodes, raw, refusal, violations, wixFor } from './client.mjs';

const DEMO_STORE = '639749a5cb1db88617891bf0';
const SOCKS_A = { item: '9bacfc09-2da2-4041-ac87-86df152d3edb', variant: '4d9126f7-6fcb-423a-89df-bd5e61b83b01' };
const SOCKS_B = { item: '1832a09f-2b01-4731-9bfd-681994f452f1', variant: '666795f6-15dd-4f99-806e-129dd834f1ac' };
const SHOES = { item: '169faacb-b979-405a-92d4-adb721c7f3a1', variant: 'ccfda17f-b124-4044-af19-069da8a83c25' };
const DEFAULT_LOCATION = 'b6e63540-242c-462a-ac6c-b1e449e0c194';
const SHOES_LOCATION = '10300abc-8f76-49a0-bf89-d5219a1418fa';

const uuid = () => randomUUID();

test("SPEC's seed example: quantities 8, 7 and 0, the third PREORDER with counter 2", async () => {
  const wix = wixFor(DEMO_STORE);
  const answer = await wix.bulkDecrementInventoryItemsByVariantAndLocation(
    [
      { variantId: SOCKS_A.variant, locationId: DEFAULT_LOCATION, decrementBy: 1 },
      { variantId: SOCKS_B.variant, decrementBy: 3 },
      { variantId: SHOES.variant, locationId: SHOES_LOCATION, decrementBy: 2, preorderRequest: true },
    ],
    { restrictInventory: true, returnEntity: true, reason: 'ORDER' },
  );
  assert.deepEqual(answer.bulkActionMetadata, { totalSuccesses: 3, totalFailures: 0, undetailedFailures: 0 });
  assert.deepEqual(answer.results.map((r) => r.itemMetadata._id), [SOCKS_A.item, SOCKS_B.item, SHOES.item]);
  assert.deepEqual(answer.results.map((r) => r.item.quantity), [8, 7, 0]);
  const shoes = answer.results[2].item;
  assert.equal(shoes.availabilityStatus, 'PREORDER');
  assert.equal(shoes.preorderInfo.counter, 2);
  assert.ok(shoes._updatedDate instanceof Date, 'the SDK turns Stockroom\'s times into Dates');
  assert.equal((await wix.getInventoryItem(SHOES.item)).preorderInfo.counter, 2);
});

test('create answers the item (200), get reads it, a duplicate is ITEM_ALREADY_EXISTS', async () => {
  const wix = wixFor('sdk-catalog');
  const variantId = uuid();
  const created = await wix.createInventoryItem({ variantId, productId: 'hat', quantity: 12, product: { name: 'Wool Hat' } });
  assert.equal(created.revision, '1');
  assert.equal(created.quantity, 12);
  assert.equal(created.availabilityStatus, 'IN_STOCK');
  assert.ok(created._createdDate instanceof Date);
  assert.deepEqual(await wix.getInventoryItem(created._id), created);
  const twice = await refusal(wix.createInventoryItem({ variantId, productId: 'hat', quantity: 1 }));
  assert.equal(twice.status, 409);
  assert.equal(applicationCode(twice), 'ITEM_ALREADY_EXISTS');
  const negative = await refusal(wix.createInventoryItem({ variantId: uuid(), productId: 'hat', quantity: -1 }));
  assert.equal(negative.status, 400);
  assert.equal(violations(negative)[0].ruleName, 'REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE');
});

test('updates: at the revision read; a stale one or a negative quantity lower than the item\'s is refused', async () => {
  const wix = wixFor('sdk-catalog');
  const item = await wix.createInventoryItem({ variantId: uuid(), productId: 'scarf', quantity: 4 });
  const updated = await wix.updateInventoryItem(item._id, { revision: item.revision, quantity: 9 }, { reason: 'MANUAL' });
  assert.deepEqual([updated.quantity, updated.revision], [9, '2']);
  const stale = await refusal(wix.updateInventoryItem(item._id, { revision: '1', quantity: 1 }));
  assert.equal(applicationCode(stale), 'REVISION_MISMATCH');
  const negative = await refusal(wix.updateInventoryItem(item._id, { revision: '2', quantity: -3 }));
  assert.equal(applicationCode(negative), 'REQUESTED_QUANTITY_MUST_BE_NON_NEGATIVE_DECREASING');
  // An item read with the SDK goes back whole: its read-only fields are ignored.
  const whole = await wix.updateInventoryItem(item._id, { ...updated, quantity: 2 });
  assert.deepEqual([whole.quantity, whole.revision], [2, '3']);
  const bulk = await wix.bulkUpdateInventoryItems(
    [{ inventoryItem: { _id: item._id, revision: '3', preorderInfo: { enabled: true, limit: 5 } } }],
    { returnEntity: true },
  );
  assert.deepEqual(bulk.results[0].item.preorderInfo, { enabled: true, limit: 5, counter: 0, quantity: 5 });
});

test('bulk create, bulk upsert (a duplicate key is a validation error), deletes', async () => {
  const wix = wixFor('sdk-catalog');
  const [a, b] = [uuid(), uuid()];
  const created = await wix.bulkCreateInventoryItems(
    [{ variantId: a, productId: 'glove', quantity: 1 }, { variantId: b, productId: 'glove', inStock: true }],
    { returnEntity: true },
  );
  assert.deepEqual(created.results.map((r) => r.item.trackQuantity), [true, false]);
  const upserted = await wix.bulkUpsertInventoryItems(
    [
      { inventoryItem: { variantId: a, productId: 'glove', quantity: 6 } },
      { inventoryItem: { variantId: uuid(), productId: 'glove', quantity: 2 } },
      { inventoryItem: { variantId: uuid(), productId: 'glove', quantity: -2 } },
    ],
    { returnEntity: true },
  );
  assert.deepEqual(lineCodes(upserted), [null, null, 'INVALID_TARGET_QUANTITY']);
  assert.deepEqual([upserted.results[0].item.quantity, upserted.results[0].item.revision], [6, '2']);
  assert.equal(upserted.results[1].item.revision, '1');
  const twice = await refusal(
    wix.bulkUpsertInventoryItems([
      { inventoryItem: { variantId: a, quantity: 1 } },
      // The same item: the first names no location, which is the store's default, this one's.
      { inventoryItem: { variantId: a, locationId: created.results[0].item.locationId, quantity: 2 } },
    ]),
  );
  assert.equal(twice.status, 400);
  assert.equal(violations(twice)[0].ruleName, 'DUPLICATE_BULK_UPSERT_KEY');
  assert.equal((await wix.getInventoryItem(created.results[0].item._id)).quantity, 6);

  assert.equal(await wix.deleteInventoryItem(created.results[0].item._id), undefined);
  const gone = await refusal(wix.getInventoryItem(created.results[0].item._id));
  assert.deepEqual([gone.status, applicationCode(gone)], [404, 'INVENTORY_ITEM_NOT_FOUND']);
  const deleted = await wix.bulkDeleteInventoryItems([created.results[1].item._id, 'no-such-item']);
  assert.deepEqual(lineCodes(deleted), [null, 'INVENTORY_ITEM_NOT_FOUND']);
});

test("stock changes answer in Wix's codes, within Wix's bounds", async () => {
  const wix = wixFor('sdk-stock');
  const [tracked, untracked] = [uuid(), uuid()];
  const made = await wix.bulkCreateInventoryItems(
    [{ variantId: tracked, productId: 'p', quantity: 99_990 }, { variantId: untracked, productId: 'p', inStock: true }],
    { returnEntity: true },
  );
  const [trackedId, untrackedId] = made.results.map((r) => r.item._id);
  const up = await wix.bulkIncrementInventoryItemsByVariantAndLocation(
    [{ variantId: tracked, incrementBy: 9 }, { variantId: tracked, incrementBy: 1 }, { variantId: untracked, incrementBy: 1 },
      { variantId: uuid(), incrementBy: 1 }],
    { returnEntity: true },
  );
  assert.deepEqual(lineCodes(up), [null, 'MAX_QUANTITY_LIMIT_REACHED', 'INVENTORY_QUANTITY_NOT_TRACKED', 'NOT_FOUND']);
  const byId = await wix.bulkIncrementInventoryItems([{ inventoryItemId: trackedId, incrementBy: 1 }]);
  assert.deepEqual(lineCodes(byId), ['MAX_QUANTITY_LIMIT_REACHED']);
  const down = await wix.bulkDecrementInventoryItems(
    [{ inventoryItemId: trackedId, decrementBy: 99_999 }, { inventoryItemId: trackedId, decrementBy: 1 },
      { inventoryItemId: untrackedId, decrementBy: 1 }, { inventoryItemId: 'no-such-item', decrementBy: 1 }],
    { returnEntity: true },
  );
  assert.deepEqual(lineCodes(down), [null, 'INSUFFICIENT_INVENTORY', 'INVENTORY_QUANTITY_NOT_TRACKED', 'INVENTORY_ITEM_NOT_FOUND']);
  const below = await wix.bulkDecrementInventoryItemsByVariantAndLocation(
    [{ variantId: tracked, decrementBy: 99_999 }, { variantId: tracked, decrementBy: 99_999 }],
    { restrictInventory: false, returnEntity: true },
  );
  assert.deepEqual(lineCodes(below), [null, 'MIN_QUANTITY_LIMIT_REACHED']);
  assert.equal(below.results[0].item.quantity, -99_999);
  const tooMany = await refusal(wix.bulkIncrementInventoryItems([{ inventoryItemId: trackedId, incrementBy: 100_000 }]));
  assert.equal(tooMany.status, 400);
});
