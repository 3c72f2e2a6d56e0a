"""Domain exceptions: what the engine refuses, in its own words. `stockroom.http.errors` gives each its
HTTP status; each dialect only renders bodies."""

from __future__ import annotations


class StockroomError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "INTERNAL"

    def __init__(self, description: str, data: dict[str, object] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.data = data or {}


class ItemNotFound(StockroomError):
    code = "INVENTORY_ITEM_NOT_FOUND"


class ItemAlreadyExists(StockroomError):
    code = "ALREADY_EXISTS"


class RevisionMismatch(StockroomError):
    """Optimistic concurrency: the caller's revision is not the item's any more; nothing was changed."""

    code = "REVISION_MISMATCH"


class ChangeRefused(StockroomError):
    """A change of one item that its state refuses (the rules refused a single-item call's one line:
    INSUFFICIENT_INVENTORY, HELD_BY_RESERVATIONS, a negative quantity set lower than its own, preorder
    settings it cannot take, ...): a conflict with the item's state, nothing was changed. The code is the
    engine's outcome (`LineErrorCode`)."""

    def __init__(self, code: str, description: str, data: dict[str, object] | None = None) -> None:
        super().__init__(description, data)
        self.code = code


class ItemReserved(StockroomError):
    """The item holds units for live reservations, so it cannot be deleted; nothing was changed."""

    code = "INVENTORY_ITEM_RESERVED"


class InvalidRequest(StockroomError):
    """A request that passed schema validation but breaks a domain rule (e.g. both quantity and inStock).

    `loc` names what broke it in the engine's neutral words (("item",), ("lines", 3), ("cursor",)); each
    dialect renames the first part into its own (Wix says "inventoryItem")."""

    code = "INVALID_ARGUMENT"

    def __init__(self, loc: str | tuple[str | int, ...], description: str, *, rule: str = "other") -> None:
        self.loc = (loc,) if isinstance(loc, str) else loc
        self.rule = rule  # the rule broken, where a dialect names it (Wix: DUPLICATE_BULK_UPSERT_KEY...)
        super().__init__(description, {"field": ".".join(map(str, self.loc))})


class StorageUnavailable(StockroomError):
    """DynamoDB stayed throttled, conflicting or unreachable past our retries (or the deadline came first),
    and the change is known NOT to have been applied: retrying it is safe."""

    code = "TEMPORARILY_UNAVAILABLE"


class OutcomeUnknown(StorageUnavailable):
    """A write was sent and its answer never came (a timeout, a dropped connection, a 5xx), and nothing
    could tell in time whether it landed: it may or may not have been applied. A retry with the same
    Idempotency-Key settles it exactly once (the write's witness is keyed by it)."""

    code = "OUTCOME_UNKNOWN"


class IdempotencyConflict(StockroomError):
    """DynamoDB refused a write as a repeat of an earlier, different one (IdempotentParameterMismatch: the
    same ClientRequestToken with other parameters, within its 10-minute window), and the write's witness
    could not settle it either; nothing was applied by this request."""

    code = "IDEMPOTENCY_CONFLICT"


class PublishFailed(StockroomError):
    """EventBridge refused or did not answer a PutEvents: the event was not (wholly) published."""

    code = "TEMPORARILY_UNAVAILABLE"


class ReservationNotFound(StockroomError):
    """No such reservation in this store (another store's is not found either)."""

    code = "RESERVATION_NOT_FOUND"


class ReservationRefused(StockroomError):
    """A reservation that could not hold every line, so it holds nothing: `data.failures` names each line."""

    code = "RESERVATION_REFUSED"


class ReservationConflict(StockroomError):
    """The reservation's state does not allow the call: RESERVATION_EXPIRED, _RELEASED or _CONFIRMED."""

    def __init__(self, code: str, description: str, data: dict[str, object] | None = None) -> None:
        super().__init__(description, data)
        self.code = code
