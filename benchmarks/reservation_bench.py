"""The reservations figure of `make bench`: a hot item, 16 threads each reserving one unit and confirming
it over HTTP, until the item is sold out. It reports throughput, and checks nothing was held or sold twice."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from stockroom import wiring
from stockroom.core.domain import ItemDraft, ItemKey
from stockroom_local.gateway import make_server
from stockroom_local.seed import DEMO_DEFAULT_LOCATION_ID, DEMO_STORE_ID
from stockroom_local.template import Template

RESERVATIONS = "/stores/v3/inventory-reservations"
HEADERS = {"Authorization": "local-dev-key", "Content-Type": "application/json"}
VARIANT = "bench-hot-holds"


def hot_reservations(
    template: Template, units: int = 300, attempts: int = 400, threads: int = 16
) -> tuple[str, str, str, bool]:
    """(figure, measured, target, ok) for the bench's table."""
    service = wiring.inventory_service()
    audit = service.audit_context("bench-holds", "BENCH")
    service.create_item(DEMO_STORE_ID, ItemDraft(variant_id=VARIANT, item_id=VARIANT, quantity=units), audit)
    server = make_server(template, port=0, verbose=False)
    server.start_background()
    host, port = server.server_address[:2]
    body = json.dumps({"reservation": {"lines": [{"variantId": VARIANT, "quantity": 1}], "ttlSeconds": 60}})
    remaining = iter(range(attempts))
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()

    def shopper() -> None:
        conn = http.client.HTTPConnection(str(host), port, timeout=30)

        def post(path: str, payload: str) -> tuple[int, dict[str, object]]:
            conn.request("POST", path, payload, HEADERS)
            response = conn.getresponse()
            return response.status, json.loads(response.read())

        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            status, answer = post(RESERVATIONS, body)
            if status == 201:
                reservation = answer["reservation"]
                assert isinstance(reservation, dict)
                status, _ = post(f"{RESERVATIONS}/{reservation['id']}/confirm", "{}")
                outcome = "confirmed" if status == 200 else f"confirm HTTP {status}"
            else:
                outcome = "refused" if status == 428 else f"reserve HTTP {status}"
            with lock:
                outcomes[outcome] += 1

    start = time.perf_counter()
    try:
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(shopper) for _ in range(threads)]:
                done.result()
    finally:
        server.shutdown()
        server.server_close()
    elapsed = time.perf_counter() - start
    key = ItemKey(DEMO_STORE_ID, VARIANT, DEMO_DEFAULT_LOCATION_ID)
    final = service.live([service.get_items([key])[key]])[0]
    confirmed = outcomes["confirmed"]
    oversold = max(0, confirmed - units) + max(0, -(final.quantity or 0)) + max(0, -final.available)
    ok = confirmed == units and final.quantity == 0 and final.reserved == 0 and oversold == 0
    others = ", ".join(f"{n} {what}" for what, n in outcomes.items() if what != "confirmed")
    return (
        f"7. hot item holds: {attempts} x (reserve 1 + confirm), {threads} threads, {units} in stock (HTTP)",
        f"{confirmed / elapsed:.0f} confirmed reservations/s ({2 * confirmed / elapsed:.0f} calls/s); "
        f"{confirmed} confirmed, final quantity {final.quantity}, reserved {final.reserved}, "
        f"oversold {oversold} ({others})",
        f"{units} confirmed, 0 left, 0 held, 0 oversold",
        ok,
    )
