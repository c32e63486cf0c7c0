"""``kefu import customers`` on 10,000 GBK rows with planted problems: dry run, sample, full
import and rollback, on SQLite and PostgreSQL, through the command line."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.conversations import record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.models import Contact, ContactIdentity, ImportBatch
from tests.intake.import_helpers import make_kefu, query, snapshot

N = 10_000
HEADER = ["姓名", "手机", "邮箱", "公司", "等级", "备注"]
OLD_EMAIL = "old.customer@example.com"
BAD = {
    16: ("1390000001", "phone 1390000001: not a Chinese mobile number (10 digits, need 11)"),
    5000: ("+1 415 555 0100", "phone +1 415 555 0100: only Chinese (+86) numbers are accepted"),
    7777: ("1.39E+10", "phone 1.39E+10 was stored by Excel as a number in scientific notation"),
    9998: ("139abc00000", "phone 139abc00000: not a phone number"),
}
BLANK_AFTER = (10, 5000, 9999)


def phone(i: int) -> str:
    return f"139{i:08d}"


def planted_rows() -> list[list[str] | None]:
    """The data rows in file order (None = an empty row), with the planted problems."""
    data: list[list[str]] = []
    for i in range(N):
        number = phone(i)
        if i % 7 == 0:
            number = f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"
        elif i % 11 == 0:
            number = f"0086 {number[:3]} {number[3:7]} {number[7:]}"
        email = f"c{i}@Example.com" if i % 3 == 0 else ""
        data.append(
            [f"客户{i:05d}", number, email, f"公司{i % 50}", "VIP" if i % 10 == 0 else "", ""]
        )
    for i, (bad, _) in BAD.items():
        data[i][1] = bad
    data[50][1] = "１３９００００００５０"  # full width: cleaned, not rejected
    data[6001][2] = "c6001@@example"  # bad email
    data[6500][0] = ""  # no name
    data[6500][3] = ""
    data[3000] = ["客户03000", phone(200), "dup3000@example.com", "", "", ""]  # merged: +email
    data[3001] = list(data[201])  # exact copy of an earlier row: skipped
    data[4000] = ["客户04000", "13800004000", "c300@example.com", "", "", ""]  # merged: +phone
    data[4001] = ["客户04001", phone(400), "c303@example.com", "", "", ""]  # two people: rejected
    data[8000] = ["老客户", "13800008000", OLD_EMAIL.upper(), "", "", ""]  # existing contact
    data[9000] = ["客户00100有限公司", "13800009000", "", "", "", ""]  # looks like 客户00100
    rows: list[list[str] | None] = []
    for i, row in enumerate(data):
        rows.append(row)
        if i in BLANK_AFTER:
            rows.append(None)
    return rows


def line_of(rows: list[list[str] | None]) -> dict[int, int]:
    """Data index -> the line a person sees in Excel (the header is line 1)."""
    out, i = {}, 0
    for pos, row in enumerate(rows):
        if row is not None:
            out[i] = pos + 2
            i += 1
    return out


def write_gbk(path: Path, rows: list[list[str] | None]) -> None:
    with path.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for row in rows:
            w.writerow(row if row is not None else [""] * len(HEADER))


def seed_existing_contact(database_url: str) -> None:
    """A customer who already wrote in by email before the import."""

    async def seed() -> None:
        db = Database(database_url)
        async with db.transaction() as s:
            await record_inbound(
                s,
                InboundMessage(
                    channel="email",
                    inbox="mail",
                    external_id=OLD_EMAIL,
                    source_id="<m1@example.com>",
                    text="你好",
                    contact_name="Old Customer",
                    contact_email=OLD_EMAIL,
                ),
            )
        await db.dispose()

    asyncio.run(seed())


def report_rows(path: Path) -> dict[int, tuple[str, str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {int(r["line"]): (r["action"], r["detail"], r["review"]) for r in csv.DictReader(f)}


def test_ten_thousand_gbk_customers_dry_run_sample_full_and_rollback(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    rows = planted_rows()
    line = line_of(rows)
    src = tmp_path / "客户.csv"
    write_gbk(src, rows)
    seed_existing_contact(database_url)
    initial = snapshot(database_url)

    # Dry run: exact counts and the planted problems' lines and reasons; nothing changes.
    code, out, _ = kefu("import", "customers", str(src), "--dry-run", "--report", "dry.csv")
    assert code == 0
    assert "dry run (nothing was changed)" in out and "encoding gb18030" in out
    for label, n in (("created", 9989), ("merged", 3), ("skipped", 1), ("rejected", 7)):
        assert f"  would be {label}: {n}\n" in out
    assert "rows read: 10000 (empty rows skipped: 3)" in out
    assert "to review (possible duplicates, not merged): 1" in out
    assert f"line {line[16]}: {BAD[16][1]}" in out
    report = report_rows(tmp_path / "dry.csv")
    assert len(report) == N
    problems = {ln: r for ln, r in report.items() if r[0] != "created" or r[2]}
    assert {ln: r[0] for ln, r in problems.items()} == {
        line[16]: "rejected",
        line[5000]: "rejected",
        line[7777]: "rejected",
        line[9998]: "rejected",
        line[6001]: "rejected",
        line[6500]: "rejected",
        line[4001]: "rejected",
        line[3000]: "merged",
        line[4000]: "merged",
        line[8000]: "merged",
        line[3001]: "skipped",
        line[9000]: "created",
    }
    for i, (_, reason) in BAD.items():
        assert report[line[i]][1].startswith(reason)
    assert report[line[6001]][1] == "email c6001@@example: not a valid address"
    assert report[line[6500]][1] == "missing name"
    assert report[line[4001]][1].startswith(
        f"phone matches line {line[400]} but email matches line {line[303]}"
    )
    assert report[line[3000]][1] == (
        f"merged into line {line[200]}, same phone {phone(200)}: added email, filled email; "
        "name differs, kept 客户00200"
    )
    assert report[line[3001]][1] == f"duplicate of line {line[201]}, same phone {phone(201)}"
    assert report[line[4000]][1] == (
        f"merged into line {line[300]}, same email c300@example.com: added phone; "
        "name differs, kept 客户00300"
    )
    assert report[line[8000]][1].startswith("merged into contact #1 (Old Customer), same email")
    assert report[line[8000]][1].endswith(
        "added phone, filled phone; name differs, kept Old Customer"
    )
    assert report[line[9000]][2].startswith(f"name 客户00100有限公司 looks like line {line[100]}")
    assert snapshot(database_url) == initial

    # A sample of 100 rows, then the whole file: the sample's rows are not imported twice.
    code, out, _ = kefu("import", "customers", str(src), "--sample", "100")
    assert code == 0 and "  created: 99\n" in out and "  rejected: 1\n" in out
    after_sample = snapshot(database_url)
    code, out, _ = kefu("import", "customers", str(src), "--no-progress")
    assert code == 0
    for label, n in (("created", 9890), ("merged", 3), ("skipped", 100), ("rejected", 7)):
        assert f"  {label}: {n}\n" in out
    assert "batch 2 (undo with: kefu import rollback 2)" in out

    contacts = query(database_url, select(func.count()).select_from(Contact))[0][0]
    assert contacts == 1 + 9989
    phones = query(
        database_url,
        select(func.count()).select_from(ContactIdentity).where(ContactIdentity.channel == "phone"),
    )[0][0]
    assert phones == 9989 + 2  # every new contact, plus the phones merged into two others
    by_phone = dict(query(database_url, select(Contact.phone, Contact.tier)))
    # full width, "+86 139-...", "0086 139 ..." all stored as 11 digits
    assert (by_phone["13900000050"], by_phone[phone(70)], by_phone[phone(11)]) == (
        "vip",
        "vip",
        "normal",
    )
    old = query(database_url, select(Contact).where(Contact.id == 1))[0]
    assert (old.name, old.phone, old.email) == ("Old Customer", "13800008000", OLD_EMAIL)

    code, out, _ = kefu("import", "list")
    assert "rolled_back" not in out and "sample 100" in out

    # Rolling back the full batch, then the sample: the database is exactly as before.
    code, out, _ = kefu("import", "rollback", "2")
    assert code == 0 and "9890 contacts" in out and "restored 1 changed rows" in out
    assert snapshot(database_url) == after_sample
    code, out, _ = kefu("import", "rollback", "1")
    assert code == 0
    assert snapshot(database_url) == initial
    statuses = query(database_url, select(ImportBatch.id, ImportBatch.status))
    assert sorted(statuses) == [(1, "rolled_back"), (2, "rolled_back")]
    code, _, err = kefu("import", "rollback", "1")
    assert code == 2 and "already rolled back" in err
