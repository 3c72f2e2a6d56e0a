"""Swagger UI in a real browser: "Try it out" from /swagger reaches the API and shows its 200.

The page lists the server /v1 (API Gateway's stage); the local gateway serves every route under the stage
too, so the call the page makes is the one a deployed stack would get. Chromium is Debian's (`make test`
installs it); a missing browser fails this test instead of skipping it, so CI cannot go green without it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from stockroom_local.engine import Engine
from tests.support import DEV_KEY, SOCKS_A_ITEM, Api

CHROMIUM = "/usr/bin/chromium"
# No sandbox as root; no background networking, which this machine's closed network refuses.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GET_ITEM = "/stores/v3/inventory-items/{inventoryItemId}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_the_stage_prefix_reaches_the_same_routes_as_the_root(server: str, seeded: Engine) -> None:
    api = Api(server)
    assert (
        api.get(f"/v1/stores/v3/inventory-items/{SOCKS_A_ITEM}").body
        == api.get(f"/stores/v3/inventory-items/{SOCKS_A_ITEM}").body
    )
    # Prosperna's own path starts with /v1: under the stage it is /v1/v1/..., as deployed.
    query = "?store_id=639749a5cb1db88617891bf0&product_id=63e64f99ca104a61440fd500"
    assert api.get("/v1/v1/products/stock-quantity" + query).status == 200
    assert api.get("/v1/products/stock-quantity" + query).status == 200
    assert api.get("/v2/stores/v3/inventory-items/" + SOCKS_A_ITEM).status == 403  # no such stage


def test_try_it_out_from_swagger_gets_a_200(server: str, seeded: Engine, page: Page) -> None:
    page.goto(f"{server}/swagger")
    expect(page.locator(".servers select")).to_have_value("/v1")

    page.locator("button.authorize").first.click()
    page.locator(".modal-ux input").fill(DEV_KEY)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()

    operation = page.locator(".opblock-get").filter(has=page.get_by_text(GET_ITEM, exact=True)).first
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator('input[placeholder="inventoryItemId"]').fill(SOCKS_A_ITEM)
    operation.locator("button.execute").click()

    live = operation.locator(".live-responses-table .response .response-col_status")
    expect(live).to_have_text("200", timeout=20_000)
    # The request the page made, as it shows it: under the stage, with the key.
    expect(operation.locator(".request-url")).to_contain_text(f"/v1/stores/v3/inventory-items/{SOCKS_A_ITEM}")
    expect(operation.locator(".responses-wrapper .microlight").first).to_contain_text(SOCKS_A_ITEM)
