// Wix's official SDK, as a store's backend builds it, pointed at `stockroom serve` through its `fetch`
// option: nothing else of the SDK is changed. Every request it sends is recorded, so a test can check how
// the SDK sent it (GET with `.r` for query, search and count), not only what came back.
import assert from 'node:assert/strict';
import { createClient, ApiKeyStrategy } from '@wix/sdk';
import { inventoryItemsV3 } from '@wix/stores';

export const BASE_URL = process.env.STOCKROOM_URL ?? 'http://127.0.0.1:3000';
export const API_KEY = process.env.STOCKROOM_KEY ?? 'local-dev-key';
export const WIX_API = 'https://www.wixapis.com';

export const sent = [];

function stockroomFetch(url, init) {
  const target = String(url).replace(WIX_API, BASE_URL);
  sent.push({ method: init?.method ?? 'GET', url: target });
  return fetch(target, init);
}

/** The SDK for one store (the key must cover it: the SDK names the store in `wix-site-id`). */
export function wixFor(siteId) {
  const client = createClient({
    modules: { inventoryItemsV3 },
    auth: ApiKeyStrategy({ apiKey: API_KEY, siteId }),
    fetch: stockroomFetch,
  });
  return client.inventoryItemsV3;
}

/** The last request the SDK sent to this path. */
export function lastSent(path) {
  const found = sent.filter((r) => new URL(r.url).pathname === path);
  assert.ok(found.length, `the SDK sent nothing to ${path}`);
  return found[found.length - 1];
}

/** What the SDK throws: Wix's error, with its status and details, as a caller catches it. */
export async function refusal(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the SDK resolved where Stockroom should have refused');
}

export function applicationCode(error) {
  return error.details?.applicationError?.code;
}

export function violations(error) {
  return error.details?.validationError?.fieldViolations ?? [];
}

/** A raw request to Stockroom with the same headers the SDK sends (for what the SDK would never send). */
export function raw(path, siteId, init = {}) {
  return fetch(`${BASE_URL}${path}`, {
    ...init,
    headers: { Authorization: API_KEY, 'wix-site-id': siteId, 'Content-Type': 'application/json' },
  });
}

export function lineCodes(response) {
  return response.results.map((r) => r.itemMetadata.error?.code ?? null);
}
