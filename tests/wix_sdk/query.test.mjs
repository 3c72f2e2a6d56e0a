// Wix's SDK reading many items (query builder, typed query, search, count) and changing them by filter,
// against `stockroom serve`. Run by tests/local_runtime/test_wix_sdk.py.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';

import { applicationCode, lastSent, lineCodes, raw, refusal, violations, wixFor } from './client.mjs';

const STORE = 'sdk-query';
const wix = wixFor(STORE);
const ids = {};

before(async () => {
  // Two products: socks (three sizes, one sold out) and a cap that does not count its stock.
  const answer = await wix.bulkCreateInventoryItems(
    [
      { variantId: 'sock-s', productId: 'sock', quantity: 5, product: { name: 'Sports Socks' } },
      { variantId: 'sock-m', productId: 'sock', quantity: 0, product: { name: 'Sports Socks' },
        preorderInfo: { enabled: true, limit: 3 } },
      { variantId: 'sock-l', productId: 'sock', quantity: 12, product: { name: 'Sports Socks' } },
      { variantId: 'cap', productId: 'cap', inStock: true, product: { name: 'Running Cap' } },
    ],
    { returnEntity: true },
  );
  for (const r of answer.results) ids[r.item.variantId] = r.item._id;
});

const variants = (items) => items.map((i) => i.variantId);

test('the query builder: chained conditions ($and), sent as GET .r, next pages by cursor alone', async () => {
  const first = await wix.queryInventoryItems().eq('productId', 'sock').gt('quantity', 0).ascending('quantity').limit(1).find();
  const sent = lastSent('/stores/v3/inventory-items/query');
  assert.equal(sent.method, 'GET');
  const request = JSON.parse(Buffer.from(new URL(sent.url).searchParams.get('.r'), 'base64url'));
  assert.deepEqual(request.query.filter, { $and: [{ productId: 'sock' }, { quantity: { $gt: 0 } }] });
  assert.deepEqual(variants(first.items), ['sock-s']);
  assert.ok(first.hasNext());
  const second = await first.next();
  const next = JSON.parse(Buffer.from(new URL(lastSent('/stores/v3/inventory-items/query').url).searchParams.get('.r'), 'base64url'));
  assert.deepEqual(Object.keys(next.query), ['cursorPaging'], 'a next page sends only its cursor');
  assert.deepEqual(variants(second.items), ['sock-l']);
  assert.equal(second.hasNext(), false);
});

test('the query language: in, ne, startsWith, exists, or, not, dates, sort descending', async () => {
  const find = async (query) => variants((await query.limit(50).find()).items);
  const q = () => wix.queryInventoryItems();
  assert.deepEqual(await find(q().in('variantId', ['sock-m', 'cap'])), ['cap', 'sock-m']);
  assert.deepEqual(await find(q().ne('availabilityStatus', 'IN_STOCK')), ['sock-m']);
  assert.deepEqual(await find(q().startsWith('product.name', 'running')), ['cap']);
  assert.deepEqual(await find(q().exists('inStock', true)), ['cap']);
  assert.deepEqual(await find(q().eq('quantity', 0).or(q().eq('trackQuantity', false))), ['cap', 'sock-m']);
  assert.deepEqual(await find(q().not(q().eq('productId', 'sock'))), ['cap']);
  assert.deepEqual(await find(q().gt('_createdDate', new Date(Date.now() - 3_600_000)).eq('productId', 'cap')), ['cap']);
  assert.deepEqual(await find(q().eq('productId', 'sock').descending('quantity')), ['sock-l', 'sock-s', 'sock-m']);
  assert.deepEqual(await find(q().eq('preorderInfo.enabled', true)), ['sock-m']);
  const typed = await wix.queryInventoryItems({ filter: { variantId: { $eq: 'sock-l' } }, cursorPaging: { limit: 5 } });
  assert.deepEqual(variants(typed.inventoryItems), ['sock-l']);
  assert.equal(typed.inventoryItems[0]._id, ids['sock-l']);
});

test('search: free text on product.name, sort, aggregations, next page by cursor', async () => {
  const first = await wix.searchInventoryItems({
    search: { expression: 'socks', mode: 'OR' },
    sort: [{ fieldName: 'quantity', order: 'DESC' }],
    cursorPaging: { limit: 2 },
    aggregations: [
      { name: 'byStatus', type: 'VALUE', fieldPath: 'availabilityStatus' },
      { name: 'units', type: 'SCALAR', fieldPath: 'quantity', scalar: { type: 'SUM' } },
    ],
  });
  assert.equal(lastSent('/stores/v3/inventory-items/search').method, 'GET');
  assert.deepEqual(variants(first.inventoryItems), ['sock-l', 'sock-s']);
  const [byStatus, units] = first.aggregationData.results;
  assert.deepEqual(byStatus.values.results, [{ value: 'IN_STOCK', count: 2 }, { value: 'PREORDER', count: 1 }]);
  assert.deepEqual(units.scalar, { type: 'SUM', value: 17 });
  const second = await wix.searchInventoryItems({ cursorPaging: { cursor: first.pagingMetadata.cursors.next } });
  assert.deepEqual(variants(second.inventoryItems), ['sock-m']);
  assert.equal(second.pagingMetadata.hasNext, false);
});

test('count', async () => {
  assert.deepEqual(await wix.countInventoryItems({ filter: { productId: 'sock' } }), { count: 3 });
  assert.equal(lastSent('/stores/v3/inventory-items/count').method, 'GET');
  assert.deepEqual(await wix.countInventoryItems({ search: { expression: 'cap' } }), { count: 1 });
  assert.equal((await wix.countInventoryItems()).count, 4);
});

test('bad queries are 400 validation errors: unknown operator, unfiltered field, .r, cursors', async () => {
  const regex = await refusal(wix.queryInventoryItems({ filter: { quantity: { $regex: '1' } } }));
  assert.equal(regex.status, 400);
  assert.match(violations(regex)[0].field, /filter\.quantity\.\$regex/);
  const sku = await refusal(wix.queryInventoryItems().eq('product.variantSku', 'x').find());
  assert.equal(sku.status, 400);
  for (const r of ['!!!', 'e30x', Buffer.from('[1]').toString('base64url')]) {
    const answer = await raw(`/stores/v3/inventory-items/query?.r=${r}`, STORE);
    assert.equal(answer.status, 400);
    assert.ok((await answer.json()).details.validationError.fieldViolations.length);
  }
  const page = await wix.queryInventoryItems().limit(1).find();
  const cursor = page.cursors.next;
  const altered = cursor.slice(0, 20) + (cursor[20] === 'A' ? 'B' : 'A') + cursor.slice(21);
  for (const [store, bad] of [[STORE, altered], ['sdk-other', cursor]]) {
    const refused = await refusal(wixFor(store).queryInventoryItems({ cursorPaging: { cursor: bad } }));
    assert.equal(refused.status, 400);
    assert.match(violations(refused)[0].field, /cursorPaging\.cursor/);
  }
});

test('by filter: update, set-or-adjust, adjust and delete, each item its own result', async () => {
  const filtered = wixFor('sdk-filter');
  await filtered.bulkCreateInventoryItems([
    { variantId: 'a', productId: 'p', quantity: 5 },
    { variantId: 'b', productId: 'p', quantity: 1 },
    { variantId: 'c', productId: 'p', inStock: true },
    { variantId: 'd', productId: 'q', quantity: 7 },
  ]);
  const quantities = async () =>
    Object.fromEntries((await filtered.queryInventoryItems().limit(10).find()).items.map((i) => [i.variantId, i.quantity ?? null]));
  const updated = await filtered.bulkUpdateInventoryItemsByFilter(
    { productId: 'p' }, { inventoryItem: { preorderInfo: { enabled: true } } },
  );
  assert.match(updated.jobId, /^[0-9a-f-]{36}$/);
  assert.equal(updated.bulkActionMetadata.totalSuccesses, 3);
  const clamped = await filtered.bulkSetOrAdjustInventoryItemsByFilter(
    { productId: 'p', trackQuantity: true }, { adjustedInventoryAction: { decrementBy: 3 } },
  );
  assert.deepEqual(lineCodes(clamped), [null, null]);
  assert.deepEqual(await quantities(), { a: 2, b: 0, c: null, d: 7 });
  const adjusted = await filtered.bulkAdjustInventoryItemsByFilter({ productId: 'p' }, { adjustment: { decrementBy: 2 } });
  assert.deepEqual(lineCodes(adjusted), [null, 'INSUFFICIENT_INVENTORY', 'INVENTORY_QUANTITY_NOT_TRACKED']);
  const counted = await filtered.bulkAdjustInventoryItemsByFilter(
    { variantId: 'c' }, { adjustment: { incrementBy: 4 }, trackQuantity: true },
  );
  assert.deepEqual(lineCodes(counted), [null]);
  assert.deepEqual(await quantities(), { a: 0, b: 0, c: 4, d: 7 });
  const deleted = await filtered.bulkDeleteInventoryItemsByFilter({ $or: [{ variantId: 'a' }, { quantity: { $gt: 5 } }] });
  assert.equal(deleted.bulkActionMetadata.totalSuccesses, 2);
  assert.deepEqual(await quantities(), { b: 0, c: 4 });
  const notServed = await refusal(filtered.bulkCreateInventoryItemsByVariantFilter({}, { locationId: randomUUID() }));
  assert.deepEqual([notServed.status, applicationCode(notServed)], [404, 'NOT_SERVED']);
});

test('a by-filter call that matches more than 1,000 items is a 400 and changes nothing', async () => {
  const big = wixFor('sdk-bound');
  for (const start of [0, 1000]) {
    const count = start === 0 ? 1000 : 1;
    const items = Array.from({ length: count }, (_, i) => ({ variantId: `v${start + i}`, productId: 'bulk', quantity: 1 }));
    assert.equal((await big.bulkCreateInventoryItems(items)).bulkActionMetadata.totalSuccesses, count);
  }
  const refused = await refusal(big.bulkAdjustInventoryItemsByFilter({ productId: 'bulk' }, { adjustment: { incrementBy: 1 } }));
  assert.equal(refused.status, 400);
  assert.match(violations(refused)[0].description, /matches 1,001 items; a call changes at most 1,000/);
  // Refused before anything was written: the first, a middle and the last item are as they were.
  const sample = await big.queryInventoryItems().in('variantId', ['v0', 'v500', 'v1000']).find();
  assert.deepEqual(sample.items.map((i) => [i.quantity, i.revision]), [[1, '1'], [1, '1'], [1, '1']]);
  const within = await big.bulkAdjustInventoryItemsByFilter({ variantId: { $in: ['v1', 'v2'] } }, { adjustment: { incrementBy: 1 } });
  assert.equal(within.bulkActionMetadata.totalSuccesses, 2);
});
