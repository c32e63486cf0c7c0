"""Bad input for ``kefu import``: xlsx with merged cells, formulas and empty rows; encodings;
mappings naming missing columns; a failure halfway leaves nothing behind."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from channels.registry import infos
from core.config import load_settings
from core.db import Database
from core.imports.runner import Options, run
from core.models import Contact, ImportBatch
from intake.imports.customers import CustomerImport
from tests.intake.import_helpers import make_kefu, query, snapshot

SETTINGS = load_settings(None, env={}, channels=infos())
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def cell(ref: str, value: Any, formula: str | None = None) -> str:
    """One <c> as Excel saves it: strings inline, numbers as numbers, formulas with a cache."""
    f = f"<f>{escape(formula)}</f>" if formula else ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="{"str" if formula else "inlineStr"}">{f}' + (
            f"<v>{escape(value)}</v></c>" if formula else f"<is><t>{escape(value)}</t></is></c>"
        )
    return f'<c r="{ref}">{f}<v>{value}</v></c>'


def write_xlsx(path: Path, rows: dict[int, str], merges: list[str]) -> Path:
    """A minimal workbook as Excel writes it (rows: number -> their <c> cells)."""
    body = "".join(f'<row r="{n}">{cells}</row>' for n, cells in sorted(rows.items()))
    merged = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">'
        f'<dimension ref="A1:F2"/>'  # wrong on purpose: some tools write it so
        f"<sheetData>{body}</sheetData>"
        f'<mergeCells count="{len(merges)}">{merged}</mergeCells></worksheet>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            f'"{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="{RELS}">'
            '<sheets><sheet name="客户" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type='
            f'"{RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def test_xlsx_with_title_row_merged_cells_formulas_numbers_and_empty_rows(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    rows = {
        1: cell("A1", "2023 年客户名单"),  # a title over the header, merged across
        2: "".join(
            cell(f"{c}2", h)
            for c, h in zip("ABCDE", ("姓名", "手机", "公司", "等级", "备注"), strict=True)
        ),
        3: cell("A3", "张三")
        + cell("B3", 13900000003)
        + cell("C3", "华东集团")
        + cell("D3", "VIP"),
        4: cell("A4", "李四") + cell("B4", "13900000004", formula='"1390000"&"0004"'),
        5: cell("A5", "王五") + cell("B5", 13900000005.0),
        7: cell("A7", "赵六") + cell("B7", "139 0000 0007") + cell("C7", "华南公司"),
        8: cell("A8", "钱七") + cell("B8", "13900000008") + cell("E8", 42, formula="6*7"),
        10: cell("A10", "孙八") + cell("B10", "1390000"),
    }
    src = write_xlsx(tmp_path / "客户.xlsx", rows, ["A1:E1", "C3:C5", "C7:C8", "D3:D4"])
    code, out, _ = kefu("import", "customers", str(src))
    assert code == 0, out
    assert "customers from 客户.xlsx [客户] (encoding xlsx)" in out
    assert "  created: 5\n" in out and "  rejected: 1\n" in out
    assert "rows read: 6 (empty rows skipped: 2)" in out  # rows 6 and 9
    assert "merged cells filled from their top-left cell: 8" in out  # 4 of them in the title
    assert "line 10: phone 1390000: not a Chinese mobile number (7 digits, need 11)" in out
    got = {
        r.name: (r.phone, r.company, r.tier, r.note) for r in query(database_url, select(Contact))
    }
    assert got == {
        "张三": ("13900000003", "华东集团", "vip", None),
        "李四": ("13900000004", "华东集团", "vip", None),
        "王五": ("13900000005", "华东集团", "normal", None),
        "赵六": ("13900000007", "华南公司", "normal", None),
        "钱七": ("13900000008", "华南公司", "normal", "42"),
    }


@pytest.mark.parametrize(
    ("raw", "encoding"),
    [
        ("姓名,手机\n张三,13900000001\n".encode("gbk"), "gb18030"),
        (b"\xef\xbb\xbf" + "姓名,手机\n张三,13900000001\n".encode(), "utf-8-sig"),
        ("姓名,手机\n张三,13900000001\n".encode("utf-16"), "utf-16"),
        ("姓名\t手机\n张三\t13900000001\n".encode(), "utf-8"),
    ],
)
async def test_csv_encodings_and_delimiters_are_detected(
    db: Database, tmp_path: Path, raw: bytes, encoding: str
) -> None:
    src = tmp_path / "c.csv"
    src.write_bytes(raw)
    result = await run(db, CustomerImport(SETTINGS), src, Options(progress=False))
    assert (result.encoding, result.counts["created"]) == (encoding, 1)
    async with db.reader() as s:
        assert (await s.execute(select(Contact.name))).scalar_one() == "张三"


def test_bad_files_and_mappings_are_refused_with_the_columns_named(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kefu = make_kefu(monkeypatch, database_url, tmp_path)
    src = tmp_path / "odd.csv"
    src.write_text("称呼,号码\n张三,13900000001\n", encoding="utf-8")
    before = snapshot(database_url, skip=())

    code, _, err = kefu("import", "customers", str(src))
    assert code == 2
    assert "no column for phone or email or wechat. The file's columns are: 称呼, 号码" in err
    assert "--map COLUMN=phone" in err
    code, _, err = kefu("import", "customers", str(src), "--map", "手机号码=phone")
    assert code == 2
    assert (
        "mapping 手机号码=phone: odd.csv has no column '手机号码'. Its columns are: 称呼, 号码"
        in err
    )
    code, _, err = kefu("import", "customers", str(src), "--map", "号码=mobile")
    assert code == 2 and "there is no field 'mobile'; the fields are: name, phone" in err
    code, _, err = kefu("import", "customers", str(src), "--map", "号码")
    assert code == 2 and "write it as COLUMN=FIELD" in err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"name,phone\n\x80\x80,139\xff")
    code, _, err = kefu("import", "customers", str(bad))
    assert code == 2 and "neither UTF-8 nor GBK/GB18030" in err
    code, _, err = kefu("import", "customers", str(tmp_path / "missing.csv"))
    assert code == 2 and "no such file" in err
    code, _, err = kefu("import", "customers", str(tmp_path / "old.xls"))
    assert code == 2 and "save .xls files as .xlsx" in err
    assert snapshot(database_url, skip=()) == before  # not even a batch record

    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\n"称呼" = "name"\n"号码" = "phone"\n', encoding="utf-8")
    code, out, _ = kefu("import", "customers", str(src), "--mapping", str(mapping))
    assert code == 0 and "  created: 1\n" in out


async def test_a_failure_halfway_leaves_nothing_behind(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "c.csv"
    src.write_text(
        "name,phone\n" + "".join(f"客户{i},139{i:08d}\n" for i in range(1200)), encoding="utf-8"
    )
    importer = CustomerImport(SETTINGS)
    calls = {"n": 0}
    real_apply = importer.apply

    async def apply(session: Any, writer: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the first two chunks (1000 rows) are already written
            raise RuntimeError("disk full")
        await real_apply(session, writer)

    monkeypatch.setattr(importer, "apply", apply)
    with pytest.raises(RuntimeError, match="disk full"):
        await run(db, importer, src, Options(progress=False))
    async with db.reader() as s:
        assert (await s.execute(select(Contact))).first() is None
        assert (await s.execute(select(ImportBatch))).first() is None
