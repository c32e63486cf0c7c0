"""WeChat's wire format: signatures, AES message encryption, safe XML parsing and replies.

Signatures are SHA-1 over the sorted, concatenated strings and compared in constant time.
Encryption is WeChat's AES-256-CBC scheme (``wechatpy.crypto.PrpCrypto`` does the cipher;
we only pick the key): the current and the previous EncodingAESKey are both accepted so
an operator can rotate the key without losing messages. XML is parsed with ``defusedxml``
(no DTDs, no entities: no XXE, no billion laughs) after the body size is bounded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from wechatpy.crypto import PrpCrypto
from wechatpy.exceptions import InvalidAppIdException

from core.errors import BadRequest, Forbidden, PayloadTooLarge

MAX_BODY_BYTES = 64 * 1024  # WeChat pushes are a few hundred bytes; 64 KiB is generous
MAX_FIELDS = 200
MAX_DEPTH = 8  # WeChat nests at most 3 levels (e.g. ScanCodeInfo.ScanResult)


def sign(token: str, *parts: str) -> str:
    """WeChat's signature: sha1 of the sorted, concatenated token and parts."""
    return hashlib.sha1("".join(sorted((token, *parts))).encode()).hexdigest()


def signature_ok(expected_from: tuple[str, ...], token: str, signature: str) -> bool:
    """Whether ``signature`` signs ``expected_from`` with ``token`` (constant time)."""
    return hmac.compare_digest(sign(token, *expected_from).encode(), (signature or "").encode())


def parse_xml(raw: bytes, max_bytes: int = MAX_BODY_BYTES) -> dict[str, str]:
    """The children of a WeChat ``<xml>`` document as a flat dict; BadRequest when malformed."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The XML body is larger than {max_bytes} bytes.")
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, LookupError) as err:
        # LookupError: an unknown encoding in the XML declaration
        raise BadRequest(
            f"The XML body is malformed ({type(err).__name__}).", code="bad_xml"
        ) from None
    if root.tag != "xml":
        raise BadRequest("The XML body must have an <xml> root.", code="bad_xml")
    return flatten(root)


def flatten(root: Element) -> dict[str, str]:
    """Child elements as ``{tag: text}``; nested children become ``Parent.Child`` keys."""
    out: dict[str, str] = {}

    def walk(el: Element, prefix: str, depth: int) -> None:
        if depth > MAX_DEPTH:  # deep nesting would exhaust the recursion limit
            raise BadRequest("The XML body is nested too deeply.", code="bad_xml")
        for child in el:
            if len(out) >= MAX_FIELDS:
                raise BadRequest("The XML body has too many fields.", code="bad_xml")
            key = f"{prefix}{child.tag}"
            if len(child):
                walk(child, key + ".", depth + 1)
            else:
                out.setdefault(key, (child.text or "").strip())

    walk(root, "", 1)
    return out


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


@dataclass(frozen=True)
class Cipher:
    """WeChat message encryption with the current key and, optionally, the previous one."""

    token: str
    app_id: str  # the appid (Official Account) or corpid (WeCom) the plaintext must carry
    keys: tuple[str, ...]  # EncodingAESKeys, current first

    def decrypt(self, encrypted: str) -> str:
        """The plaintext of ``encrypted``; Forbidden when no key opens it for our appid."""
        wrong_appid = False
        for key in self.keys:
            try:
                return str(PrpCrypto(aes_key(key)).decrypt(encrypted, self.app_id))
            except InvalidAppIdException:
                # Also what the wrong key's garbage can look like now and then: try the others.
                wrong_appid = True
            except (
                ValueError,
                TypeError,
                IndexError,
                binascii.Error,
                struct.error,
                UnicodeDecodeError,
            ):  # IndexError: an empty or truncated ciphertext
                continue
        if wrong_appid:
            raise Forbidden("The message was encrypted for another appid.", code="wrong_appid")
        raise Forbidden("The message could not be decrypted.", code="bad_encryption")

    def encrypt(self, plaintext: str) -> str:
        """``plaintext`` encrypted with the current key."""
        sealed: bytes = PrpCrypto(aes_key(self.keys[0])).encrypt(plaintext, self.app_id)
        return sealed.decode()

    def open(self, body: dict[str, str], timestamp: str, nonce: str, msg_signature: str) -> str:
        """Check ``msg_signature`` over the ``Encrypt`` field, then decrypt it."""
        encrypted = body.get("Encrypt", "")
        if not encrypted:
            raise BadRequest("The encrypted body has no Encrypt field.", code="bad_xml")
        return self.open_text(encrypted, timestamp, nonce, msg_signature)

    def open_text(self, encrypted: str, timestamp: str, nonce: str, msg_signature: str) -> str:
        """Check ``msg_signature`` over ``encrypted`` (a body field or an echostr), decrypt it."""
        if not signature_ok((timestamp, nonce, encrypted), self.token, msg_signature):
            raise Forbidden("The message signature is wrong.", code="bad_signature")
        return self.decrypt(encrypted)

    def seal(self, plaintext: str, timestamp: str | None = None, nonce: str | None = None) -> str:
        """An encrypted reply body (Encrypt, MsgSignature, TimeStamp, Nonce) for ``plaintext``."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**9))
        encrypted = self.encrypt(plaintext)
        signature = sign(self.token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
        )


def cdata(text: str) -> str:
    """``text`` in a CDATA section, safe even when it contains ``]]>``."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, text: str, create_time: int | None = None) -> str:
    """A passive text reply."""
    created = int(time.time()) if create_time is None else create_time
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(text)}</Content></xml>"
    )


def text_message(
    to_user: str, from_user: str, text: str, msg_id: int, create_time: int | None = None
) -> str:
    """A customer's text message as WeChat pushes it (for the simulator and tests)."""
    created = int(time.time()) if create_time is None else create_time
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(text)}</Content><MsgId>{msg_id}</MsgId></xml>"
    )
