"""Fuzzing configuration files (kefu.toml, its [[inboxes]]) and knowledge-base ingest files."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from channels.email.config import validate as email_inbox
from channels.wechat.config import parse as wechat_inbox
from channels.wecom_kf.config import parse as wecom_inbox
from core.config import SECTIONS, InboxSettings, Settings, load_settings
from core.errors import BadRequest, ConfigError
from kb.ingest import read_entries
from tests.security.fuzzing import Tally, budget

scalars = (
    st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.text(max_size=20)
    | st.sampled_from(
        ["zh", "INFO", "auto", "09:00-18:00", "redis://x", "sqlite+aiosqlite:///:memory:"]
    )
)
values = scalars | st.lists(scalars, max_size=3)
KEYS = sorted({(s, f.name) for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)})
INBOX_KEYS = [
    "token",
    "app_id",
    "app_secret",
    "encoding_aes_key",
    "corp_id",
    "secret",
    "open_kfid",
    "address",
    "imap_url",
    "smtp_url",
    "api_base",
    "menu",
    "reply_deadline_seconds",
    "domain",
    "max_clock_skew_seconds",
    "password",
    "username",
    "listen",
    "poll_seconds",
]


def toml_value(value: Any) -> str:
    """A TOML literal (json strings are valid TOML basic strings, but for a few escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value).replace("inf", "inf")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


@st.composite
def toml_files(draw: st.DrawFn) -> str:
    """A kefu.toml: known and unknown sections and keys, any values, sometimes broken."""
    lines: list[str] = []
    by_section: dict[str, list[str]] = {}
    for section, key in draw(st.lists(st.sampled_from(KEYS), max_size=8)):
        by_section.setdefault(section, []).append(f"{key} = {toml_value(draw(values))}")
    if draw(st.booleans()):
        by_section.setdefault(draw(st.sampled_from(["server", "nope"])), []).append(
            f"{draw(st.from_regex(r'[a-z_]{1,10}', fullmatch=True))} = 1"
        )
    for section, body in by_section.items():
        lines.append(f"[{section}]")
        lines.extend(dict.fromkeys(body))  # TOML refuses a key twice: keep the first
    for _ in range(draw(st.integers(0, 2))):
        lines.append("[[inboxes]]")
        name = draw(st.sampled_from(["wx", "mail", "kf", "web", "../x", ""]) | st.text(max_size=8))
        lines.append(f"name = {toml_value(name)}")
        lines.append(
            f"channel = {toml_value(draw(st.sampled_from(['wechat', 'wecom_kf', 'email', 'fax'])))}"
        )
        for key in draw(st.lists(st.sampled_from(INBOX_KEYS), max_size=5, unique=True)):
            lines.append(f"{key} = {toml_value(draw(values))}")
    text = "\n".join(lines)
    if draw(st.integers(0, 4)) == 0:
        text += draw(st.text(max_size=30))  # anything goes, even broken TOML
    return text


CONFIG = Tally("config: kefu.toml")
INBOXES = Tally("config: [[inboxes]] options")
PARSERS = {"wechat": wechat_inbox, "wecom_kf": wecom_inbox, "email": email_inbox}


@budget()
@given(st.one_of(toml_files(), st.binary(max_size=200).map(lambda b: b.decode("latin1"))))
def _config(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kefu.toml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        settings = CONFIG.run(lambda: load_settings(path, env={}), (ConfigError,))
    if isinstance(settings, Settings):
        for inbox in settings.inboxes:
            parser = PARSERS.get(inbox.channel)
            if parser is not None:
                INBOXES.run(lambda i=inbox, p=parser: p(i), (ConfigError,))  # type: ignore[misc]


def test_any_config_file_loads_or_names_the_problem() -> None:
    """A TOML file is valid Settings or one ConfigError; channel options likewise."""
    _config()
    CONFIG.record()
    INBOXES.record()
    assert CONFIG.accepted > 0 and CONFIG.rejected > 0


@budget()
@given(
    channel=st.sampled_from(sorted(PARSERS)),
    options=st.dictionaries(st.sampled_from(INBOX_KEYS), values, max_size=8),
)
def _inbox_options(channel: str, options: dict[str, Any]) -> None:
    inbox = InboxSettings(name="x", channel=channel, options=options)
    INBOXES.run(lambda: PARSERS[channel](inbox), (ConfigError,))


def test_any_inbox_options_parse_or_name_the_key() -> None:
    """Each channel's inbox options are typed settings or a ConfigError naming the key."""
    _inbox_options()
    INBOXES.record()


INGEST = Tally("kb: ingest files")
FIELDS = ["id", "question", "answer", "similar", "category", "language", "group"]


@st.composite
def kb_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """A .jsonl, .csv, .md, .html or .txt file: plausible rows with hostile values, or bytes."""
    suffix = draw(st.sampled_from([".jsonl", ".csv", ".md", ".html", ".txt", ".exe", ""]))
    if draw(st.integers(0, 3)) == 0:
        return suffix, draw(st.binary(max_size=300))
    if suffix == ".jsonl":
        rows = draw(
            st.lists(st.dictionaries(st.sampled_from(FIELDS), values, max_size=7), max_size=4)
        )
        return suffix, "\n".join(json.dumps(r) for r in rows).encode()
    if suffix == ".csv":
        header = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=7))
        cells = draw(st.lists(st.lists(st.text(max_size=15), max_size=8), max_size=4))

        def quote(c: str) -> str:
            return '"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c

        body = [",".join(header)] + [",".join(quote(c) for c in row) for row in cells]
        return suffix, "\r\n".join(body).encode("utf-8", "surrogatepass")
    heading = draw(st.sampled_from(["# ", "## ", "<h2>", "Q: ", ""]))
    parts = [
        heading + draw(st.text(max_size=30)) + "\n" + draw(st.text(max_size=60))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return suffix, "\n\n".join(parts).encode("utf-8", "surrogatepass")


@budget()
@given(kb_files())
def _ingest(file: tuple[str, bytes]) -> None:
    suffix, data = file
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"faq{suffix}"
        path.write_bytes(data)
        out = INGEST.run(lambda: read_entries(path), (BadRequest,))
    if out is not None:
        entries, errors = out
        for e in entries:  # normalized: trimmed, bounded, a known language
            assert e.id and e.question and e.answer and e.language in ("zh", "en")
            assert len(e.question) <= 500 and "\x00" not in e.answer
        assert all(err.line >= 1 and err.message for err in errors)


def test_any_ingest_file_gives_entries_and_line_errors() -> None:
    """A KB file yields checked entries plus per-line errors, or one BadRequest for the file."""
    _ingest()
    INGEST.record()
