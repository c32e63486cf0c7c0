"""Products in the public API: an ERP records what a customer bought, the warranty follows the
configured rules, and the same cleaning and refusals as the console and the import apply."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.conftest import bearer, mint


async def test_an_erp_records_products_and_the_warranty_follows(
    api_client: Any, aiohttp_client: Any
) -> None:
    writer = await mint(api_client, ["contacts:write"], name="erp")
    reader = await mint(api_client, ["read"], name="bi")
    erp = await aiohttp_client(api_client.server)  # another system: no console cookie

    made = await erp.post(
        "/api/v1/contacts", json={"name": "李娜", "phone": "13900000001"}, headers=bearer(writer)
    )
    contact = (await made.json())["contact"]["id"]
    url = f"/api/v1/contacts/{contact}/products"
    today = date.today()
    bought = date(today.year - 2, today.month, min(today.day, 28)).isoformat()
    resp = await erp.post(
        url,
        json={"model": " xqg100-b1 ", "serial": "sn-2024-0001", "purchase_date": bought},
        headers=bearer(writer),
    )
    assert resp.status == 201, await resp.text()
    product = (await resp.json())["product"]
    # Cleaned as the import cleans (trimmed; the serial upper-cased); the whole unit's
    # year is over, the motor's ten years are not (the default [workorders] warranty_rules).
    assert product["model"] == "xqg100-b1" and product["serial"] == "SN-2024-0001"
    assert product["in_warranty"] is False
    assert product["part_warranty"]["motor"] > today.isoformat()

    listed = await erp.get(url, headers=bearer(reader))
    assert [p["id"] for p in (await listed.json())["products"]] == [product["id"]]

    # A later purchase date (the ERP corrected it): the warranty is recomputed.
    fixed = await erp.patch(
        f"/api/v1/products/{product['id']}",
        json={"purchase_date": today.isoformat()},
        headers=bearer(writer),
    )
    assert fixed.status == 200, await fixed.text()
    assert (await fixed.json())["product"]["in_warranty"] is True

    # Refusals: a read-only token, a bad field, a serial already recorded, unknown records.
    denied = await erp.post(url, json={"model": "KFR-35GW"}, headers=bearer(reader))
    assert denied.status == 403
    bad = await erp.post(url, json={"model": "KFR-35GW", "colour": "red"}, headers=bearer(writer))
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "bad_product"
    dated = await erp.post(
        url, json={"model": "KFR-35GW", "purchase_date": "去年"}, headers=bearer(writer)
    )
    assert dated.status == 400 and (await dated.json())["error"]["code"] == "bad_product"
    twice = await erp.post(
        url, json={"model": "KFR-35GW", "serial": "SN-2024-0001"}, headers=bearer(writer)
    )
    assert twice.status == 409 and (await twice.json())["error"]["code"] == "serial_taken"
    nobody = await erp.get("/api/v1/contacts/999999/products", headers=bearer(reader))
    assert nobody.status == 404
    gone = await erp.patch("/api/v1/products/999999", json={}, headers=bearer(writer))
    assert gone.status == 404
    # The console's cookie is not a token.
    cookie = await api_client.get(url)
    assert cookie.status == 401


async def test_merging_two_customers_keeps_the_products_of_both(
    api_client: Any, aiohttp_client: Any
) -> None:
    """A merge deletes the merged-away contact: its registered appliances (and their
    warranty) move to the kept customer instead of going with it."""
    writer = await mint(api_client, ["contacts:write"], name="erp")
    erp = await aiohttp_client(api_client.server)
    ids = []
    for name, phone, serial in (
        ("王伟", "13900000011", "SN-A-1"),
        ("王伟", "13900000012", "SN-B-2"),
    ):
        made = await erp.post(
            "/api/v1/contacts", json={"name": name, "phone": phone}, headers=bearer(writer)
        )
        cid = (await made.json())["contact"]["id"]
        added = await erp.post(
            f"/api/v1/contacts/{cid}/products",
            json={"model": "XQG100-B1", "serial": serial},
            headers=bearer(writer),
        )
        assert added.status == 201, await added.text()
        ids.append(cid)
    merged = await erp.post(
        f"/api/v1/contacts/{ids[1]}/merge", json={"into": ids[0]}, headers=bearer(writer)
    )
    assert merged.status == 200, await merged.text()
    kept = await erp.get(f"/api/v1/contacts/{ids[0]}/products", headers=bearer(writer))
    assert sorted(p["serial"] for p in (await kept.json())["products"]) == ["SN-A-1", "SN-B-2"]
