"""Every check of a signature someone sent refuses a forged one, whatever characters it has:
``hmac.compare_digest`` raises TypeError on a str with non-ASCII characters, which turned a
forged visitor token into a 500 (found by ``make abuse``'s schemathesis run)."""

from __future__ import annotations

import time

import pytest

from api.webhooks import sign, verify
from channels.sms.gateway import callback_ok, callback_signature
from core.errors import Unauthorized
from core.security import TokenSigner, same
from intake.ticket_links import TicketLinks

SECRET = b"0123456789abcdef0123456789abcdef"
FORGED = ("签名", "s\u00e9", "\u200b", "ａｂｃ", "x" * 43 + "é")


@pytest.mark.parametrize("forged", FORGED)
def test_a_visitor_token_with_a_forged_signature_is_unauthorized(forged: str) -> None:
    signer = TokenSigner(SECRET, "webchat-visitor")
    good = signer.sign({"v": "abc", "c": 1}, 3600)
    raw = good.split(".")[0]
    with pytest.raises(Unauthorized):
        signer.verify(f"{raw}.{forged}")
    assert signer.verify(good)["c"] == 1


@pytest.mark.parametrize("forged", FORGED)
def test_ticket_links_webhooks_and_sms_callbacks_refuse_non_ascii_signatures(forged: str) -> None:
    links = TicketLinks(SECRET, "https://kefu.example.cn", days=30)
    good = links.token(7, 1)
    assert links.parse(good) is not None
    assert links.parse(good.rsplit(".", 1)[0] + "." + forged) is None

    now = int(time.time())
    header = sign("whsec", now, b"{}")
    assert verify("whsec", header, b"{}", now)
    assert not verify("whsec", f"t={now},v1={forged}", b"{}", now)

    stamp = str(now)
    assert callback_ok("smssecret", stamp, callback_signature("smssecret", stamp, b"x"), b"x")
    assert not callback_ok("smssecret", stamp, forged, b"x")


def test_same_compares_exactly() -> None:
    assert same("abc", "abc")
    assert not same("abc", "abd") and not same("ab", "abc") and not same("签", "abc")
