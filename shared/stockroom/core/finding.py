"""Finding items by a `Search`: a page in order, everything that matches (bounded), or a count.

How a search is read, cheapest first:

- ids (`id` $eq or $in among the filter's conjuncts): their pointers, then the items;
- variants (`variantId` $eq or $in): the ByVariant index, then the items; neither reads the store's list;
- products (`productId` $eq or $in): that part of the store's index, one key prefix a product;
- otherwise the store's whole index.

The index holds no counts, so its entries are first judged on what they hold (`Search.maybe_matches`), and
only the entries that may match are read as items (consistent reads: a page shows the stock as it is) and
judged on everything. Without a sort (or sorted by product id) a page streams in the index's order and stops
as soon as it is full; a call never reads more than `MAX_ENTRIES_READ` entries or `MAX_ITEMS_READ` items,
and answers a short page with a cursor when it reaches either. Any other sort, a count that needs counts, and
the by-filter calls read everything that matches first: past those bounds they are refused (400) rather
than answered slowly or wrongly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from stockroom.core.domain import InventoryItem, ItemKey
from stockroom.core.errors import InvalidRequest
from stockroom.core.filters import Field, Search, is_static, position_of, sort_order, sort_position, values_of
from stockroom.core.ports import InventoryRepository

# A call reads at most this many entries of a store's index (~4 MB of it) ...
MAX_ENTRIES_READ = 40_000
# ... and this many items.
MAX_ITEMS_READ = 10_000
# Entries a read of the index asks for at once (about one 1 MB page of DynamoDB's).
INDEX_PAGE = 1_000
# Items read at once while a page fills (BatchGetItem reads 100 a request, these in parallel).
ITEM_BATCH = 300

Position = list[Any]


class TooBroad(InvalidRequest):
    """A search that would read more than a call may: the caller narrows it (400, nothing changed)."""

    def __init__(self, description: str) -> None:
        super().__init__("filter", description)


@dataclass(frozen=True, slots=True)
class Found:
    items: list[InventoryItem]
    next: Position | None  # where the next page starts after; None: this was the last page


def _index_position(position: Position) -> tuple[str, str, str]:
    product, variant, location = position[-3:]
    return str(product), str(variant), str(location)


class Finder:
    _repository: InventoryRepository

    def live(self, items: list[InventoryItem]) -> list[InventoryItem]:
        raise NotImplementedError  # the service's: holds stop counting at their expiry

    # --- reading ------------------------------------------------------------------------------------------

    def _keyed(self, store_id: str, search: Search) -> list[ItemKey] | None:
        """The keys of every item the search can match, where its filter names ids or variants."""
        ids = values_of(search.filter, Field.ID)
        if ids is not None:
            return list(self._repository.resolve_ids(store_id, sorted(ids)).values())
        variants = values_of(search.filter, Field.VARIANT_ID)
        if variants is not None:
            return self._repository.variant_keys(store_id, sorted(variants))
        return None

    def _read(self, keys: Sequence[ItemKey], search: Search) -> list[InventoryItem]:
        """The items of these keys (as readers see them) that match, in the keys' order."""
        if len(keys) > MAX_ITEMS_READ:
            raise TooBroad(f"The filter names more than {MAX_ITEMS_READ:,} items: narrow it.")
        found = self._repository.get_items(keys)
        items = self.live([found[k] for k in keys if k in found])
        return [i for i in items if search.matches(i)]

    def _entries(self, store_id: str, search: Search) -> list[InventoryItem]:
        """Every entry of the store's index (or of the filter's products) that may match."""
        products = values_of(search.filter, Field.PRODUCT_ID)
        after: tuple[str, str, str] | None = None
        found: list[InventoryItem] = []
        read = 0
        while True:
            entries, more = self._repository.index_entries(
                store_id, product_ids=_sorted(products), after=after, limit=INDEX_PAGE
            )
            read += len(entries)
            found += [e for e in entries if search.maybe_matches(e)]
            if not more or not entries:
                return found
            if read >= MAX_ENTRIES_READ:
                raise TooBroad(
                    f"The filter needs more than {MAX_ENTRIES_READ:,} of the store's items judged: narrow it"
                    " (by productId, variantId or id)."
                )
            after = _index_position(position_of(entries[-1]))

    def matching_items(
        self, store_id: str, search: Search, *, at_most: int | None = None
    ) -> list[InventoryItem]:
        """Every item that matches, in the index's order, within the call's bounds (else TooBroad); more
        than `at_most` is refused too, before any item is read where the index alone decides the filter."""
        keys = self._keyed(store_id, search)
        if keys is None:
            entries = self._entries(store_id, search)
            if at_most is not None and is_static(search.filter):
                _at_most(len(entries), at_most)
            keys = [e.key for e in entries]
        items = sorted(self._read(keys, search), key=position_of)
        if at_most is not None:
            _at_most(len(items), at_most)
        return items

    def count_items(self, store_id: str, search: Search) -> int:
        """How many items match: from the index alone where its fields decide the filter."""
        if self._keyed(store_id, search) is None and is_static(search.filter):
            return len(self._entries(store_id, search))
        return len(self.matching_items(store_id, search))

    def find_items(self, store_id: str, search: Search, *, limit: int, after: Position | None) -> Found:
        """One page of up to `limit` matching items after `after` (a position this call gave before)."""
        keys = self._keyed(store_id, search)
        if not search.in_index_order or keys is not None:
            items = self.matching_items(store_id, search)
            if search.in_index_order:
                return _page(items, position_of, None, limit, after)
            place = lambda i: sort_position(i, search.sort)  # noqa: E731
            return _page(items, place, sort_order(search.sort), limit, after)
        return self._stream(store_id, search, limit=limit, after=after)

    def _stream(self, store_id: str, search: Search, *, limit: int, after: Position | None) -> Found:
        """A page in the index's order, read only as far as it needs (within the call's bounds)."""
        products = _sorted(values_of(search.filter, Field.PRODUCT_ID))
        static = is_static(search.filter)
        start = None if after is None else _index_position(after)
        found: list[InventoryItem] = []
        entries_read = items_read = 0
        # With nothing to judge, the page's entries are the page: read no more of the index than that.
        wanted_entries = limit + 1 if search == Search() else INDEX_PAGE
        while True:
            entries, more = self._repository.index_entries(
                store_id, product_ids=products, after=start, limit=wanted_entries
            )
            entries_read += len(entries)
            candidates = [e for e in entries if search.maybe_matches(e)]
            while candidates and len(found) <= limit:
                # Where the index decides, every candidate matches: read only what the page still needs.
                wanted = limit + 1 - len(found) if static else max(ITEM_BATCH, 2 * (limit + 1 - len(found)))
                batch, candidates = candidates[:wanted], candidates[wanted:]
                items_read += len(batch)
                found += self._read([e.key for e in batch], search)
            if len(found) > limit:
                return Found(found[:limit], position_of(found[limit - 1]))
            if not more or not entries:
                return Found(found, None)
            start = _index_position(position_of(entries[-1]))
            if entries_read >= MAX_ENTRIES_READ or items_read >= MAX_ITEMS_READ:
                # The call's bounds: answer what was found, and resume after the last entry judged.
                return Found(found, list(start))


def _at_most(matches: int, bound: int) -> None:
    if matches > bound:
        raise TooBroad(f"The filter matches {matches:,} items; a call changes at most {bound:,}: narrow it.")


def _sorted(values: frozenset[Any] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def _page(
    items: list[InventoryItem],
    place: Callable[[InventoryItem], Position],
    order: Callable[[Sequence[Any]], Any] | None,
    limit: int,
    after: Position | None,
) -> Found:
    """A page of already-matched items, in `place` order (by `order` over places where given)."""
    key = (lambda i: order(place(i))) if order is not None else (lambda i: tuple(place(i)))
    ordered = sorted(items, key=key)
    if after is not None:
        mark = order(after) if order is not None else tuple(after)
        ordered = [i for i in ordered if key(i) > mark]
    page = ordered[:limit]
    return Found(page, list(place(page[-1])) if len(ordered) > limit else None)
