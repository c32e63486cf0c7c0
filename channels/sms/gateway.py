"""The gateway's wire format: Aliyun RPC-style signed ``SendSms`` requests, and the callbacks.

Request signing (Aliyun RPC signature v1): every parameter, ``Signature`` excluded, sorted by
name, each name and value percent-encoded (RFC 3986: space ``%20``, ``*`` ``%2A``, ``~``
kept) and joined as ``a=1&b=2``; the string to sign is ``GET&%2F&`` + the percent-encoded
query; ``Signature`` = base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

Callbacks (delivery receipts, inbound SMS) are JSON arrays POSTed to us with
``X-Sms-Timestamp`` (Unix seconds) and ``X-Sms-Signature`` = hex HMAC-SHA256 over
``timestamp + "\\n" + body`` with the inbox's ``callback_secret``; older than 5 minutes or
badly signed: refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from core.security import same

CALLBACK_SKEW = 300.0


def percent(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun signs it."""
    return quote(value, safe="~")


def canonical(params: dict[str, str]) -> str:
    """The sorted, encoded query string (``Signature`` left out)."""
    return "&".join(
        f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The request's ``Signature``."""
    to_sign = f"{method}&{percent('/')}&{percent(canonical(params))}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def send_sms_params(
    *,
    access_key_id: str,
    secret: str,
    region: str,
    phone: str,
    sign_name: str,
    template_code: str,
    template_param: str,
    out_id: str,
) -> dict[str, str]:
    """The signed query of one SendSms call."""
    params = {
        "AccessKeyId": access_key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": out_id,
        "PhoneNumbers": phone,
        "RegionId": region,
        "SignName": sign_name,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex,
        "SignatureVersion": "1.0",
        "TemplateCode": template_code,
        "TemplateParam": template_param,
        "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25",
    }
    params["Signature"] = signature(params, secret)
    return params


def callback_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Sms-Signature`` of a callback."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def callback_ok(
    secret: str, timestamp: str, sig: str, body: bytes, now: float | None = None
) -> bool:
    """Whether a callback is ours: signed with the secret, and fresh."""
    if not secret or not timestamp.isdigit():
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > CALLBACK_SKEW:
        return False
    return same(sig or "", callback_signature(secret, timestamp, body))
