"""Fuzzing the WeChat wire format: XML pushes, their normalization and the AES envelope."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels.wechat.api import check
from channels.wechat.codec import Cipher, cdata, parse_xml, sign
from channels.wechat.inbound import normalize
from core.errors import BadRequest, DeliveryError, Forbidden
from tests.security.fuzzing import Tally, budget

KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
OTHER_KEY = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")
CIPHER = Cipher("tok", "wx0123456789abcdef", (KEY, OTHER_KEY))
FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "MediaId",
    "Recognition",
    "Label",
    "Location_X",
    "Title",
    "Url",
    "Encrypt",
]
MSG_TYPES = ["text", "image", "voice", "video", "shortvideo", "location", "link", "event", "x"]
EVENTS = ["subscribe", "unsubscribe", "CLICK", "VIEW", "SCAN", "kf_close_session", ""]

# Hostile documents: entity expansion, external entities, deep nesting, odd encodings.
NASTY = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    b"<xml><Content>&b;</Content></xml>",
    b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    b'<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/evil.dtd"><xml/>',
    b"<xml>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</xml>",
    b'<?xml version="1.0" encoding="utf-16"?><xml/>',
    b'<?xml version="1.0" encoding="x-unknown"?><xml/>',
    b"<xml><Content><![CDATA[\xff\xfe]]></Content></xml>",
    b"\x00<xml/>",
    b"<xml>" + b"<F>1</F>" * 300 + b"</xml>",
]

texts = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", "]]>", "<", "&amp;", "&#0;", "\x00", "6054768590064713728", "9" * 40]
)


@st.composite
def pushes(draw: st.DrawFn) -> bytes:
    """An XML push: plausible fields with hostile values, sometimes broken on purpose."""
    fields = draw(
        st.lists(
            st.sampled_from(FIELDS) | st.from_regex(r"[A-Za-z_]{1,8}", fullmatch=True), max_size=12
        )
    )
    if draw(st.booleans()):  # the fields every push has, so normalization gets exercised
        fields = ["ToUserName", "FromUserName", "CreateTime", "MsgType", *fields]
    parts = []
    for name in fields:
        if name == "MsgType":
            value = draw(st.sampled_from(MSG_TYPES) | texts)
        elif name == "Event":
            value = draw(st.sampled_from(EVENTS) | texts)
        elif name in ("CreateTime", "MsgId"):
            value = str(draw(st.integers(min_value=-(10**20), max_value=10**20)))
        elif name in ("ToUserName", "FromUserName"):
            value = draw(st.sampled_from(["oUser", "gh_1", ""]) | texts)
        else:
            value = draw(texts)
        wrapped = cdata(value) if draw(st.booleans()) else value
        parts.append(f"<{name}>{wrapped}</{name}>")
    doc = "<xml>" + "".join(parts) + "</xml>"
    raw = doc.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # truncate or splice to break the document
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=8))
    return raw


@budget()
@given(st.one_of(pushes(), st.binary(max_size=512), st.sampled_from(NASTY)))
def _xml_and_normalize(raw: bytes) -> None:
    fields = XML.run(lambda: parse_xml(raw), (BadRequest,))
    if fields is not None:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
        inc = PUSH.run(lambda: normalize(fields, {"HUMAN": "转人工"}), (BadRequest,))
        if inc is not None:
            assert inc.user and inc.source_id and len(inc.text) <= 4200


XML = Tally("wechat: XML parser")
PUSH = Tally("wechat: push normalizer")


def test_xml_pushes_parse_or_are_refused() -> None:
    """Any body parses to flat string fields, or BadRequest / PayloadTooLarge: never a crash."""
    _xml_and_normalize()
    XML.record()
    PUSH.record()
    assert XML.rejected > 0 and XML.accepted > 0 and PUSH.accepted > 0


def test_entity_expansion_and_external_entities_are_refused() -> None:
    """Billion laughs and XXE never expand: the document is refused outright."""
    for raw in NASTY[:3]:
        try:
            parse_xml(raw)
        except BadRequest as err:
            assert err.code == "bad_xml"
        else:
            raise AssertionError(f"accepted {raw[:60]!r}")


ENVELOPE = Tally("wechat: AES envelope")


@budget()
@given(
    encrypted=st.text(max_size=300)
    | st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()),
    timestamp=st.text(max_size=12),
    nonce=st.text(max_size=12),
    signed=st.booleans(),
)
def _envelope(encrypted: str, timestamp: str, nonce: str, signed: bool) -> None:
    sig = sign("tok", timestamp, nonce, encrypted) if signed else "0" * 40
    ENVELOPE.run(
        lambda: CIPHER.open_text(encrypted, timestamp, nonce, sig), (Forbidden, BadRequest)
    )


@budget()
@given(plaintext=st.text(max_size=300), app_id=st.sampled_from(["wx0123456789abcdef", "wxother"]))
def _roundtrip(plaintext: str, app_id: str) -> None:
    sealed = Cipher("tok", app_id, (OTHER_KEY,)).encrypt(plaintext)
    opened = ENVELOPE.run(lambda: CIPHER.decrypt(sealed), (Forbidden,))
    if app_id == CIPHER.app_id:
        assert opened == plaintext  # the previous key still opens it (key rotation)
    else:
        assert opened is None


def test_envelope_opens_or_is_forbidden() -> None:
    """Random ciphertexts and signatures are Forbidden; real ones round-trip for our appid."""
    _envelope()
    _roundtrip()
    ENVELOPE.record()
    assert ENVELOPE.accepted > 0 and ENVELOPE.rejected > 0


API = Tally("wechat/wecom: API answers")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@budget()
@given(
    json_values
    | st.dictionaries(st.sampled_from(["errcode", "errmsg", "access_token"]), json_values)
)
def _api_answers(data: object) -> None:
    API.run(lambda: check(data, "/cgi-bin/x"), (DeliveryError,))


def test_platform_api_answers_are_checked_or_refused() -> None:
    """Whatever the platform answers is a result or a DeliveryError (the outbox retries)."""
    _api_answers()
    API.record()


def test_a_non_numeric_errcode_is_a_delivery_error() -> None:
    """Regression: ``{"errcode": "busy"}`` or a list raised ValueError/TypeError out of the API."""
    for bad in ("busy", [None], {"a": 1}):
        with pytest.raises(DeliveryError):
            check({"errcode": bad, "errmsg": "x"}, "/cgi-bin/x")


def test_deep_nesting_and_unknown_encodings_are_bad_xml() -> None:
    """Regression: 5000 nested tags raised RecursionError; an unknown encoding LookupError."""
    for raw in (NASTY[3], NASTY[5], b'<?xml version="1.0" encoding="x"?><xml/>'):
        with pytest.raises(BadRequest) as err:
            parse_xml(raw)
        assert err.value.code == "bad_xml"


def test_an_empty_signed_ciphertext_is_forbidden() -> None:
    """Regression: a correctly signed but empty Encrypt raised IndexError inside wechatpy."""
    with pytest.raises(Forbidden) as err:
        CIPHER.open_text("", "1", "2", sign("tok", "1", "2", ""))
    assert err.value.code == "bad_encryption"


def test_the_previous_key_is_tried_when_the_current_one_yields_a_wrong_appid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression (found by the full fuzz run): the current key's garbage for a message sealed
    with the previous key sometimes passes as a plaintext for "another appid"; decrypt gave up
    with wrong_appid instead of trying the previous key, so the push was lost during a key
    rotation. Plaintext "129" with this fixed random prefix is such a case."""
    from wechatpy.crypto import PrpCrypto

    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: "abcdefghijklmnop")
    sealed = Cipher("tok", CIPHER.app_id, (OTHER_KEY,)).encrypt("129")
    assert CIPHER.decrypt(sealed) == "129"
