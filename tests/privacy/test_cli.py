"""``kefu admin export-contact`` and ``kefu admin erase-contact`` from the command line, on a
customer who wrote by email and whose phone ``kefu import customers`` then added (the import's
history keeps the values it replaced): SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from core.conversations import record_inbound
from core.db import Database
from core.domain import InboundMessage
from core.models import Contact, ImportItem
from privacy.tables import PrivacyTrail
from tests.intake.import_helpers import make_kefu, query

OLD_NAME, EMAIL, PHONE = "旧名字王芳", "wang.fang.cli@example.com", "13912340001"


def seed(database_url: str) -> int:
    """A customer who emailed once; returns the contact id."""

    async def run() -> int:
        db = Database(database_url)
        try:
            async with db.transaction() as s:
                rec = await record_inbound(
                    s,
                    InboundMessage(
                        channel="email",
                        inbox="mail",
                        external_id=EMAIL,
                        source_id="m-cli-1@example.com",
                        text="我的洗碗机订单 A-7781 还没到",
                        contact_name=OLD_NAME,
                        contact_email=EMAIL,
                    ),
                )
                return rec.conversation.contact_id
        finally:
            await db.dispose()

    return asyncio.run(run())


def test_export_and_erase_from_the_command_line(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    contact_id = seed(database_url)
    src = tmp_path / "customers.csv"
    src.write_text(f"姓名,手机,邮箱\n王芳,{PHONE},{EMAIL}\n", encoding="utf-8")
    code, out, err = kefu("import", "customers", str(src))
    assert code == 0, err
    assert query(database_url, select(ImportItem.id).where(ImportItem.action == "updated"))

    code, out, err = kefu("admin", "export-contact", str(contact_id), "--output", "c.zip")
    assert code == 0, err
    doc = json.loads(zipfile.ZipFile(tmp_path / "c.zip").read("contact.json"))
    assert (doc["contact"]["name"], doc["contact"]["phone"]) == (OLD_NAME, PHONE)
    assert doc["identities"][0]["external_id"] == EMAIL

    with pytest.raises(SystemExit) as refused:  # argparse: the reason is required
        kefu("admin", "erase-contact", str(contact_id))
    assert refused.value.code == 2
    code, _, err = kefu("admin", "backup", "--output", "before.tar.gz")
    assert code == 0, err
    code, out, err = kefu("admin", "erase-contact", str(contact_id), "--reason", "工单 #88 申请")
    assert code == 0, err
    result = json.loads(out)
    # The backup made before the erasure still holds the customer: the operator is told.
    assert result["backups_holding_data"] == [str((tmp_path / "before.tar.gz").resolve())]
    assert "before.tar.gz" in err
    assert result["counts"]["messages"] == 1 and result["counts"]["import_history"] >= 1
    [contact] = query(database_url, select(Contact.name, Contact.phone, Contact.email))
    assert tuple(contact) == ("", None, None)
    left = json.dumps(
        [r[0] for r in query(database_url, select(ImportItem.before))], ensure_ascii=False
    )
    assert OLD_NAME not in left and PHONE not in left and EMAIL not in left
    [(actor, detail)] = query(
        database_url,
        select(PrivacyTrail.actor, PrivacyTrail.detail).where(PrivacyTrail.action == "erase"),
    )
    assert actor.startswith("cli:") and detail["reason"] == "工单 #88 申请"
    assert kefu("admin", "erase-contact", "999999", "--reason", "x")[0] == 2
