"""``kefu import products`` on 10,000 GBK rows with planted problems: dry run, full import with
warranty dates from ``[workorders] warranty_rules``, and rollback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from core.db import Database
from core.models import Contact, utcnow
from intake.tables import Product
from tests.intake.import_helpers import make_kefu, query, snapshot

N = 10_000
CUSTOMERS = 2_000
HEADER = ["手机", "品类", "型号", "序列号", "购买日期", "购买渠道", "订单号", "安装地址"]


def phone(i: int) -> str:
    return f"137{i:08d}"


def seed_customers(database_url: str) -> None:
    """Customers 0..CUSTOMERS-1, already known (as a customer import would leave them)."""

    async def seed() -> None:
        db = Database(database_url)
        now = utcnow()
        async with db.transaction() as s:
            await s.execute(
                insert(Contact),
                [
                    {"name": f"客户{i}", "phone": phone(i), "created_at": now, "updated_at": now}
                    for i in range(CUSTOMERS)
                ],
            )
        await db.dispose()

    asyncio.run(seed())


def planted_rows() -> list[list[str]]:
    rows = []
    for i in range(N):
        kind, model = ("空调", f"KFR-35GW/{i % 7}") if i % 2 else ("洗衣机", f"XQG100-{i % 9}")
        year = 2016 + i % 9
        rows.append(
            [
                phone(i % CUSTOMERS) if i % 5 else f"+86 {phone(i % CUSTOMERS)}",
                kind,
                model,
                f"SN{i:07d}",
                f"{year}/{1 + i % 12}/{1 + i % 28}",
                "京东" if i % 3 else "天猫",
                f"JD{i:09d}",
                f"浙江省杭州市西湖区文三路{i}号",
            ]
        )
    rows[10][0] = "1370000"  # bad phone
    rows[11][2] = ""  # no model
    rows[12][0] = phone(CUSTOMERS + 5)  # nobody
    rows[13][4] = "明年"  # bad date
    rows[20] = list(rows[19])  # the same row twice: skipped
    rows[21][3] = rows[30][3]  # the same serial for two customers: the later one rejected
    rows[30][0] = phone(7)
    return rows


def write_gbk(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)


def test_ten_thousand_gbk_products_dry_run_import_warranty_and_rollback(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    seed_customers(database_url)
    src = tmp_path / "产品.csv"
    rows = planted_rows()
    write_gbk(src, rows)
    initial = snapshot(database_url)

    code, out, _ = kefu("import", "products", str(src), "--dry-run", "--report", "dry.csv")
    assert code == 0, out
    assert "dry run (nothing was changed)" in out and "encoding gb18030" in out
    for label, n in (("created", 9994), ("skipped", 1), ("rejected", 5)):
        assert f"  would be {label}: {n}\n" in out, out
    with (tmp_path / "dry.csv").open(encoding="utf-8-sig", newline="") as f:
        report = {int(r["line"]): (r["action"], r["detail"]) for r in csv.DictReader(f)}
    line = {i: i + 2 for i in range(N)}
    assert report[line[10]] == (
        "rejected",
        "phone 1370000: not a Chinese mobile number (7 digits, need 11)",
    )
    assert report[line[11]] == ("rejected", "missing model")
    assert report[line[12]] == (
        "rejected",
        f"no customer with {phone(CUSTOMERS + 5)} (import the customers first)",
    )
    assert report[line[13]][1].startswith("time '明年'")
    assert report[line[20]] == ("skipped", f"duplicate of line {line[19]}, same serial")
    assert report[line[30]] == (
        "rejected",
        f"serial SN0000030 is on line {line[21]} for another customer",
    )
    assert snapshot(database_url) == initial

    code, out, _ = kefu("import", "products", str(src), "--no-progress")
    assert code == 0 and "  created: 9994\n" in out, out
    assert query(database_url, select(func.count()).select_from(Product))[0][0] == 9994
    # Row 1: an air conditioner bought 2017-02-02: unit 12 months, compressor 120 months.
    ac = query(database_url, select(Product).where(Product.serial == "SN0000001"))[0]
    assert (ac.category, ac.model, ac.purchase_date) == ("空调", "KFR-35GW/1", date(2017, 2, 2))
    assert ac.warranty_end == date(2018, 2, 2)
    assert ac.part_warranty == {"compressor": "2027-02-02"}
    assert ac.install_address == "浙江省杭州市西湖区文三路1号"
    washer = query(database_url, select(Product).where(Product.serial == "SN0000000"))[0]
    assert washer.part_warranty == {"motor": "2026-01-01"} and washer.contact_id == 1
    owner = query(database_url, select(Contact.phone).where(Contact.id == washer.contact_id))
    assert owner[0][0] == phone(0)  # "+86 137..." found the customer

    # Importing again: every serial is already recorded for its customer.
    code, out, _ = kefu("import", "products", str(src), "--dry-run")
    assert "  would be skipped: 9995\n" in out and "  would be created: 0\n" in out

    code, out, _ = kefu("import", "rollback", "1")
    assert code == 0 and "9994 products" in out, out
    assert snapshot(database_url) == initial


def test_rolling_back_customers_refuses_while_their_products_remain(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    people = tmp_path / "customers.csv"
    people.write_text("姓名,手机\n张三,13900000001\n", encoding="utf-8")
    things = tmp_path / "products.csv"
    things.write_text("手机,型号,序列号\n13900000001,XQG100,SN-1\n", encoding="utf-8")
    assert kefu("import", "customers", str(people), "--no-progress")[0] == 0
    assert kefu("import", "products", str(things), "--no-progress")[0] == 0
    code, _, err = kefu("import", "rollback", "1")
    assert code != 0 and "products" in err and "roll back batch 2 first" in err
    assert kefu("import", "rollback", "2")[0] == 0
    assert kefu("import", "rollback", "1")[0] == 0


def test_bom_crlf_bad_rows_and_bad_bytes(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Excel's 'CSV UTF-8' (BOM, CRLF, a quoted address over two lines), a short row, a
    purchase date in the future; and a file whose BOM says UTF-8 but whose text is not: a
    clear error naming the row, nothing changed (it was a traceback)."""
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    people = tmp_path / "customers.csv"
    people.write_text("姓名,手机\n张三,13900000001\n李四,13900000002\n", encoding="utf-8")
    assert kefu("import", "customers", str(people), "--no-progress")[0] == 0
    later = date.today().replace(year=date.today().year + 1).isoformat()
    src = tmp_path / "设备.csv"
    src.write_bytes(
        "\ufeff手机,型号,序列号,购买日期,安装地址\r\n"
        '13900000001,XQG100,SN-A1,2024-01-05,"浙江省杭州市\r\n西湖区文三路1号"\r\n'
        "13900000002\r\n"
        f"13900000002,KFR-35GW,SN-A2,{later},\r\n"
        "\r\n"
        "13900000002,KFR-26GW,SN-A3,2023/3/1,\r\n".encode()
    )
    code, out, _ = kefu("import", "products", str(src), "--dry-run", "--report", "r.csv")
    assert code == 0 and "(encoding utf-8-sig)" in out, out
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as f:
        report = {int(r["line"]): (r["action"], r["detail"]) for r in csv.DictReader(f)}
    assert report == {
        2: ("created", ""),
        3: ("rejected", "missing model"),
        4: ("rejected", f"purchase date {later}: in the future"),
        6: ("created", ""),
    }
    code, out, _ = kefu("import", "products", str(src), "--no-progress")
    assert code == 0 and "  created: 2\n" in out, out
    [addr] = query(database_url, select(Product.install_address).where(Product.serial == "SN-A1"))
    assert addr[0] == "浙江省杭州市 西湖区文三路1号"  # the line break in the cell, cleaned

    before = snapshot(database_url)
    broken = tmp_path / "broken.csv"
    text = "手机,型号\n13900000001,XQG1\n".encode()
    broken.write_bytes(b"\xef\xbb\xbf" + text + b"139,\xff\xfe\n")
    code, out, err = kefu("import", "products", str(broken), "--no-progress")
    assert code != 0 and "is not valid utf-8-sig text" in err and "--encoding" in err, err
    assert snapshot(database_url) == before
