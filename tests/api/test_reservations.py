"""Reservations (SPEC §7) over real HTTP against the local engine: the calls, their errors, exact expiry
with real TTLs, and races of threads (holds and confirms)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.support import Api, ledger

# Seeded: the demo store has its default location (a handler caches it for minutes).
pytestmark = pytest.mark.usefixtures("seeded")

RESERVATIONS = "/stores/v3/inventory-reservations"


@pytest.fixture
def api(server: str) -> Api:
    return Api(server)


def new_item(api: Api, quantity: int | None = None, **fields: Any) -> dict[str, Any]:
    if quantity is not None:
        fields["quantity"] = quantity
    return api.create(variantId=f"v-{uuid.uuid4().hex[:12]}", **fields)


def reserve(api: Api, *lines: tuple[dict[str, Any], int], ttl: int | None = None, **kw: Any) -> Any:
    body: dict[str, Any] = {"lines": [{"variantId": item["variantId"], "quantity": n} for item, n in lines]}
    if ttl is not None:
        body["ttlSeconds"] = ttl
    return api.post(RESERVATIONS, {"reservation": body}, **kw)


def counts(api: Api, item: dict[str, Any]) -> tuple[int, int, int]:
    found = api.item(item["id"])
    return found["quantity"], found["reservedQuantity"], found["availableQuantity"]


def sell(api: Api, item: dict[str, Any], units: int) -> bool:
    answer = api.decrement({"variantId": item["variantId"], "decrementBy": units}, restrictInventory=True)
    assert answer.status == 200, answer.body
    return bool(answer.body["results"][0]["itemMetadata"]["success"])


def seconds_until(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() - time.time()


def test_create_get_confirm_over_http(api: Api) -> None:
    shirt = new_item(api, 5)
    created = reserve(api, (shirt, 2), (shirt, 1))
    assert created.status == 201, created.body
    reservation = created.body["reservation"]
    assert reservation["status"] == "ACTIVE"
    assert reservation["lines"] == [
        {
            "variantId": shirt["variantId"],
            "locationId": shirt["locationId"],
            "inventoryItemId": shirt["id"],
            "quantity": 3,
        }
    ]
    assert 899 < seconds_until(reservation["expiresAt"]) <= 900  # ttlSeconds defaults to 900
    assert counts(api, shirt) == (5, 3, 2)
    path = f"{RESERVATIONS}/{reservation['id']}"
    assert api.get(path).body == created.body
    confirmed = api.post(f"{path}/confirm", {"reason": "order 1001"})
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["reservation"]["status"] == "CONFIRMED"
    assert counts(api, shirt) == (2, 0, 2)
    assert api.post(f"{path}/confirm", {}).body["reservation"]["status"] == "CONFIRMED"  # once only
    assert counts(api, shirt) == (2, 0, 2)
    refused = api.post(f"{path}/release")
    assert refused.status == 409
    assert refused.body["details"]["applicationError"]["code"] == "RESERVATION_CONFIRMED"
    kinds = [
        (r["kind"], r.get("reservedQuantityBefore"), r.get("reservedQuantityAfter"))
        for r in ledger(api, shirt["id"])
    ]
    assert kinds == [("CONFIRM", 3, 0), ("RESERVE", 0, 3), ("CREATE", None, None)]


def test_release_and_extend(api: Api) -> None:
    shirt = new_item(api, 4)
    reservation = reserve(api, (shirt, 4), ttl=30).body["reservation"]
    path = f"{RESERVATIONS}/{reservation['id']}"
    extended = api.post(f"{path}/extend", {"ttlSeconds": 600})
    assert extended.status == 200, extended.body
    assert 599 < seconds_until(extended.body["reservation"]["expiresAt"]) <= 600
    assert api.post(f"{path}/release").body["reservation"]["status"] == "RELEASED"
    assert api.post(f"{path}/release").status == 200  # again: nothing changes
    assert counts(api, shirt) == (4, 0, 4)
    for call, body in (("confirm", {}), ("extend", {"ttlSeconds": 5})):
        answer = api.post(f"{path}/{call}", body)
        assert answer.status == 409
        assert answer.body["details"]["applicationError"]["code"] == "RESERVATION_RELEASED"


def test_a_refused_reservation_is_428_with_every_failing_line_and_holds_nothing(api: Api) -> None:
    shirt, hat = new_item(api, 5), new_item(api, 1)
    ghost = {"variantId": "no-such-variant"}
    answer = reserve(api, (shirt, 2), (hat, 2), (ghost, 1))
    assert answer.status == 428, answer.body
    error = answer.body["details"]["applicationError"]
    assert error["code"] == "RESERVATION_REFUSED"
    assert [
        (f["index"], f["code"], f.get("requested"), f.get("available")) for f in error["data"]["failures"]
    ] == [
        (1, "INSUFFICIENT_INVENTORY", 2, 1),
        (2, "INVENTORY_ITEM_NOT_FOUND", None, None),
    ]
    assert counts(api, shirt) == (5, 0, 5)
    assert counts(api, hat) == (1, 0, 1)


@pytest.mark.parametrize(
    "reservation",
    [
        {"lines": [{"variantId": "v", "quantity": 0}]},
        {"lines": [{"variantId": "v", "quantity": -1}]},
        {"lines": [{"variantId": "v", "quantity": 1.5}]},
        {"lines": [{"variantId": "v", "quantity": "1"}]},
        {"lines": [{"variantId": "v", "quantity": 10**12}]},
        {"lines": [{"quantity": 1}]},
        {"lines": []},
        {"lines": [{"variantId": "v", "quantity": 1}] * 41},
        {"lines": [{"variantId": "v", "quantity": 1}], "ttlSeconds": 0},
        {"lines": [{"variantId": "v", "quantity": 1}], "ttlSeconds": 86_401},
        {"lines": [{"variantId": "v", "quantity": 1}], "ttlSeconds": "60"},
        {"lines": [{"variantId": "", "quantity": 1}]},
    ],
)
def test_bad_input_is_400_and_holds_nothing(api: Api, reservation: dict[str, Any]) -> None:
    shirt = new_item(api, 5)
    for line in reservation["lines"]:
        if line.get("variantId") == "v":
            line["variantId"] = shirt["variantId"]
    answer = api.post(RESERVATIONS, {"reservation": reservation})
    assert answer.status == 400, answer.body
    assert answer.body["details"]["validationError"]["fieldViolations"]
    assert counts(api, shirt) == (5, 0, 5)


def test_bad_extend_and_malformed_json_are_400(api: Api) -> None:
    shirt = new_item(api, 5)
    path = f"{RESERVATIONS}/{reserve(api, (shirt, 1)).body['reservation']['id']}"
    for body in ({}, {"ttlSeconds": 0}, {"ttlSeconds": "5"}, {"ttlSeconds": 5.0}):
        assert api.post(f"{path}/extend", body).status == 400
    assert api.post(RESERVATIONS, raw='{"reservation": ').status == 400
    assert counts(api, shirt) == (5, 1, 4)


def test_unknown_and_foreign_reservations_are_404(api: Api, server: str) -> None:
    shirt = new_item(api, 5)
    reservation = reserve(api, (shirt, 1)).body["reservation"]
    assert api.get(f"{RESERVATIONS}/{uuid.uuid4()}").status == 404
    other_store = Api(server, key="second-store-key")
    for method, suffix in (("GET", ""), ("POST", "/confirm"), ("POST", "/release")):
        answer = other_store.call(
            method, f"{RESERVATIONS}/{reservation['id']}{suffix}", {} if method == "POST" else None
        )
        assert answer.status == 404, answer.body
    assert counts(api, shirt) == (5, 1, 4)


def test_idempotency_key_answers_a_repeated_create_once(api: Api) -> None:
    shirt = new_item(api, 5)
    key = {"Idempotency-Key": f"checkout-{uuid.uuid4()}"}
    first = reserve(api, (shirt, 2), headers=key)
    again = reserve(api, (shirt, 2), headers=key)
    assert first.status == again.status == 201
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert counts(api, shirt) == (5, 2, 3)


def test_expiry_is_exact_with_a_real_ttl(api: Api) -> None:
    shirt = new_item(api, 3)
    reservation = reserve(api, (shirt, 3), ttl=2).body["reservation"]
    assert not sell(api, shirt, 1)  # before expiresAt: every unit is held
    time.sleep(max(0.0, seconds_until(reservation["expiresAt"])) + 0.3)
    assert counts(api, shirt) == (3, 0, 3)  # a GET leaves the expired hold out
    assert sell(api, shirt, 3)  # the same call reclaims the hold and takes the units
    path = f"{RESERVATIONS}/{reservation['id']}"
    confirm = api.post(f"{path}/confirm", {})
    assert confirm.status == 409
    assert confirm.body["details"]["applicationError"]["code"] == "RESERVATION_EXPIRED"
    assert api.get(path).body["reservation"]["status"] == "EXPIRED"
    assert counts(api, shirt) == (0, 0, 0)
    kinds = [r["kind"] for r in ledger(api, shirt["id"])]
    assert kinds == ["DECREMENT", "EXPIRE", "RESERVE", "CREATE"]


def test_sixteen_threads_reserving_three_of_twenty_make_exactly_six_holds(server: str) -> None:
    item = new_item(Api(server), 20)
    barrier = threading.Barrier(16)
    statuses: list[int] = []

    def checkout() -> None:
        api = Api(server)
        barrier.wait()
        statuses.append(reserve(api, (item, 3)).status)

    threads = [threading.Thread(target=checkout) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 6 + [428] * 10
    assert counts(Api(server), item) == (20, 18, 2)


def test_ten_concurrent_confirms_take_the_stock_once(server: str) -> None:
    api = Api(server)
    item = new_item(api, 10)
    path = f"{RESERVATIONS}/{reserve(api, (item, 4)).body['reservation']['id']}/confirm"
    barrier = threading.Barrier(10)
    answers: list[Any] = []

    def confirm() -> None:
        client = Api(server)
        barrier.wait()
        answers.append(client.post(path, {}))

    threads = [threading.Thread(target=confirm) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status for a in answers] == [200] * 10
    assert {a.body["reservation"]["status"] for a in answers} == {"CONFIRMED"}
    assert counts(api, item) == (6, 0, 6)
    assert [r["kind"] for r in ledger(api, item["id"])].count("CONFIRM") == 1


def test_an_untracked_item_is_held_without_counts(api: Api) -> None:
    card = new_item(api, inStock=True)
    answer = reserve(api, (card, 2))
    assert answer.status == 201, answer.body
    confirmed = api.post(f"{RESERVATIONS}/{answer.body['reservation']['id']}/confirm", {})
    assert confirmed.status == 200
    assert api.item(card["id"]).get("reservedQuantity") is None


def test_a_missing_body_field_is_named(api: Api) -> None:
    answer = api.post(RESERVATIONS, {"reservation": {"lines": [{"quantity": 1}]}})
    assert answer.status == 400
    fields = [v["field"] for v in answer.body["details"]["validationError"]["fieldViolations"]]
    assert fields == ["reservation.lines[0].variantId"]
