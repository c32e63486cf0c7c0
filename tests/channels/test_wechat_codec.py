"""WeChat's wire format: the verified crypto vectors, signatures, hostile XML, normalization."""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.wechat.codec import Cipher, parse_xml, sign, signature_ok, text_reply
from channels.wechat.config import parse
from channels.wechat.inbound import normalize
from core.config import InboxSettings
from core.errors import BadRequest, ConfigError, Forbidden, PayloadTooLarge
from tests.channels.fakes.wechat_client import FIXTURES, VECTORS


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_verified_vectors_open(vector: dict[str, Any]) -> None:
    cipher = Cipher(vector["token"], vector["appid"], (vector["encoding_aes_key"],))
    fields = parse_xml(vector["xml"].encode())
    plain = cipher.open(fields, vector["timestamp"], vector["nonce"], vector["msg_signature"])
    assert plain == vector["decrypted_plaintext"]


def test_previous_key_still_opens_and_wrong_key_or_appid_do_not() -> None:
    v = VECTORS[0]
    fields = parse_xml(v["xml"].encode())
    args = (fields, v["timestamp"], v["nonce"], v["msg_signature"])
    rotated = Cipher(
        v["token"], v["appid"], (VECTORS[1]["encoding_aes_key"], v["encoding_aes_key"])
    )
    assert "abcdteT" in rotated.open(*args)
    with pytest.raises(Forbidden) as wrong_key:
        Cipher(v["token"], v["appid"], (VECTORS[1]["encoding_aes_key"],)).open(*args)
    assert wrong_key.value.code == "bad_encryption"
    with pytest.raises(Forbidden) as wrong_appid:
        Cipher(v["token"], "wx0000000000000000", (v["encoding_aes_key"],)).open(*args)
    assert wrong_appid.value.code == "wrong_appid"
    with pytest.raises(Forbidden) as bad_sig:
        Cipher(v["token"], v["appid"], (v["encoding_aes_key"],)).open(
            fields, v["timestamp"], v["nonce"], "0" * 40
        )
    assert bad_sig.value.code == "bad_signature"


def test_sealed_reply_round_trips() -> None:
    v = VECTORS[0]
    cipher = Cipher(v["token"], v["appid"], (v["encoding_aes_key"],))
    sealed = parse_xml(
        cipher.seal(text_reply("oUser", "gh_x", "您好 ]]> <b>"), "1409735669", "42").encode()
    )
    assert sealed["MsgSignature"] == sign(v["token"], "1409735669", "42", sealed["Encrypt"])
    inner = parse_xml(cipher.open(sealed, "1409735669", "42", sealed["MsgSignature"]).encode())
    assert inner["Content"] == "您好 ]]> <b>" and inner["ToUserName"] == "oUser"


def test_url_signature_is_checked_exactly() -> None:
    good = sign("kefutoken", "1409735669", "1320562132")
    assert signature_ok(("1409735669", "1320562132"), "kefutoken", good)
    assert not signature_ok(("1409735669", "1320562133"), "kefutoken", good)
    assert not signature_ok(("1409735669", "1320562132"), "kefutoken", "")


HOSTILE = {
    "xxe": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b"<xml><Content>&e;</Content></xml>",
    "billion_laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b"<xml><Content>&c;</Content></xml>",
    "truncated": b"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Content>hi",
    "not_xml": b"hello",
    "wrong_root": b"<html><body>hi</body></html>",
}


@pytest.mark.parametrize("body", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_or_broken_xml_is_refused(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_xml(body)


def test_oversized_xml_is_refused_before_parsing() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_xml(b"<xml>" + b"<a>x</a>" * 20000 + b"</xml>")


def test_every_fixture_push_normalizes_without_crashing() -> None:
    kinds = {}
    for path in sorted((FIXTURES / "wechatpy").glob("*.xml")):
        try:
            fields = parse_xml(path.read_bytes())
        except BadRequest:
            continue  # e.g. test_replies__test_reply_render__1.xml is not a push
        try:
            inc = normalize(fields, {"EVENTKEY": "转人工"})
        except BadRequest:
            continue  # pushes without a sender (refund notifications, encrypted envelopes)
        kinds[path.name] = (inc.kind, inc.action, inc.text)
    assert kinds["test_parser__test_parse_text_message__1.xml"] == ("text", "bot", "this is a test")
    assert kinds["test_parser__test_parse_image_message__1.xml"][:2] == ("image", "notice")
    assert kinds["test_parser__test_parse_voice_message__1.xml"][:2] == ("voice", "notice")
    assert kinds["test_parser__test_parse_video_message__1.xml"][:2] == ("video", "notice")
    assert "位置信息" in kinds["test_parser__test_parse_location_message__1.xml"][2]
    assert "公众平台官网链接" in kinds["test_parser__test_parse_link_message__1.xml"][2]
    assert kinds["test_parser__test_parse_subscribe_event__1.xml"][1] == "welcome"
    assert kinds["test_parser__test_parse_click_event__1.xml"] == ("text", "bot", "转人工")
    assert kinds["test_parser__test_parse_unknown_message__1.xml"][:2] == ("unknown", "notice")
    assert kinds["test_parser__test_parse_view_event__1.xml"][:2] == ("event", "store")
    assert len(kinds) > 60


def test_dedupe_keys_messages_by_msgid_and_events_by_sender_and_time() -> None:
    text = normalize(
        parse_xml((FIXTURES / "wechatpy/test_parser__test_parse_text_message__1.xml").read_bytes())
    )
    assert text.source_id == "msg:1234567890123456"
    event = normalize(
        parse_xml((FIXTURES / "wechatpy/test_parser__test_parse_view_event__1.xml").read_bytes())
    )
    assert event.source_id == "ev:FromUser:123456789:VIEW"


def test_missing_fields_are_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        normalize(parse_xml(b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>"))


def inbox(**options: Any) -> InboxSettings:
    base = {"token": "kefutoken", "app_id": "wx0123456789abcdef", "app_secret": "s"}
    return InboxSettings("wx-main", "wechat", {**base, **options})


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"app_id": "wx123"}, "app_id"),
        ({"encoding_aes_key": "short"}, "encoding_aes_key"),
        ({"token": ""}, "token"),
        ({"app_secret": ""}, "app_secret"),
        ({"api_base": "ftp://x"}, "api_base"),
        ({"previous_encoding_aes_key": "a" * 43}, "previous_encoding_aes_key"),
        ({"menu": {"A": 1}}, "menu"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_config_errors_name_the_inbox_and_key(options: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(inbox(**options))
    assert f"[[inboxes]] wx-main {key}" in err.value.message


def test_config_accepts_a_complete_safe_mode_inbox() -> None:
    cfg = parse(inbox(encoding_aes_key="a" * 43, previous_encoding_aes_key="b" * 43))
    assert cfg.safe_mode and cfg.encoding_aes_keys == ("a" * 43, "b" * 43)
    assert json.dumps(cfg.menu) == "{}"
