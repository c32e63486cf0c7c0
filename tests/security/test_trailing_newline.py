"""``$`` in a Python pattern also matches before a final newline, so "a@b.com\\n" passed a
check written ``^...$`` (found by the hostile suite: a customer's Message-ID ``0\\n`` came
back in ``In-Reply-To`` and the reply could not be built). Every check that decides whether
a value may be used as it is ends at ``\\Z``; these are the ones that guard a door."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.email.compose import Outgoing, build_message, safe_id
from channels.email.loops import usable_address
from channels.email.threads import reply_token, token_conversation
from core.attachments import AttachmentStore
from core.errors import NotFound


def test_a_message_id_with_a_trailing_newline_is_left_out_of_the_reply() -> None:
    assert safe_id("0") == "0" and safe_id("0\n") is None
    assert safe_id("abc@mail.example\n", utf8=False) is None
    out = Outgoing(
        message_id="kefu.1.abc@example.com",
        from_name="客服",
        from_address="support@example.com",
        reply_to="support+t@example.com",
        to="customer@example.org",
        subject="Re: 退货",
        text="您好",
        in_reply_to="0\n",
        references=("first@mail.example", "0\n"),
        automatic=False,
    )
    msg = build_message(out)
    assert msg["In-Reply-To"] is None
    assert str(msg["References"]) == "<first@mail.example>"


def test_a_trailing_newline_is_not_a_usable_address() -> None:
    assert usable_address("wang@customer.example")
    assert not usable_address("wang@customer.example\n")


def test_a_trailing_newline_is_not_an_attachment_key_or_a_thread_token(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path)
    key = "a" * 64
    assert store.path(key).name == key
    with pytest.raises(NotFound):
        store.path(key + "\n")
    token = reply_token(b"s" * 32, 12)
    assert token_conversation(b"s" * 32, token) == 12
    assert token_conversation(b"s" * 32, token + "\n") is None
