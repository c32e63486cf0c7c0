"""``kefu wechat simulate``: post a message to a running kefu exactly as WeChat would.

Signs the request with the inbox's token (and in safe mode encrypts the body with its
EncodingAESKey), posts it to ``/channels/wechat/<inbox>`` and prints the passive reply,
so an operator can test a setup before pointing WeChat at it.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time

import aiohttp

from channels.wechat.api import ApiClient, fetch_stable_token, fetch_token
from channels.wechat.codec import Cipher, cdata, parse_xml, sign, text_message
from channels.wechat.config import parse
from channels.wechat.token import AccessTokens
from channels.wecom_kf.config import parse as parse_kf
from core.config import Settings
from core.coordination import LocalLocks
from core.errors import BadRequest, ConfigError, DeliveryError, Forbidden


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``kefu wechat`` subcommands."""
    sub = parser.add_subparsers(dest="wechat_command", required=True)
    sim = sub.add_parser("simulate", help="send a message as WeChat would and print the reply")
    sim.add_argument("--inbox", required=True, help="a [[inboxes]] name with channel = wechat")
    sim.add_argument("--url", help="kefu's base URL (default: [server] public_url)")
    sim.add_argument("--user", default="o_kefu_simulator", help="the sender's openid")
    sim.add_argument("text", help="the customer's message")
    sub.add_parser(
        "check", help="validate every wechat / wecom_kf inbox and try its credentials (a token)"
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run a ``kefu wechat`` subcommand; the exit code."""
    if args.wechat_command == "check":
        return await check(settings)
    return await simulate(args, settings)


async def check(settings: Settings) -> int:
    """Check each WeChat inbox's settings, then fetch a token with its credentials."""
    failures = 0
    async with aiohttp.ClientSession() as http:
        for inbox in settings.inboxes_of("wechat") + settings.inboxes_of("wecom_kf"):
            try:
                if inbox.channel == "wechat":
                    mp = parse(inbox)
                    api = ApiClient(mp.api_base, _no_tokens(), lambda: http)
                    await fetch_stable_token(api, mp.app_id, mp.app_secret, False)
                else:
                    kf = parse_kf(inbox)
                    api = ApiClient(kf.api_base, _no_tokens(), lambda: http)
                    params = {"corpid": kf.corp_id, "corpsecret": kf.secret}
                    await fetch_token(api, "/cgi-bin/gettoken", params)
                print(f"[[inboxes]] {inbox.name}: ok (credentials accepted)")
            except (ConfigError, DeliveryError) as err:
                failures += 1
                print(f"[[inboxes]] {inbox.name}: {err.message}")
    return 1 if failures else 0


def _no_tokens() -> AccessTokens:
    async def never(force: bool) -> tuple[str, int]:
        raise DeliveryError("no token needed for a credentials check")

    return AccessTokens("check", never, LocalLocks())


async def simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Post one signed (and, in safe mode, encrypted) text push; print kefu's reply."""
    found = [i for i in settings.inboxes_of("wechat") if i.name == args.inbox]
    if not found:
        raise ConfigError(f'Config has no [[inboxes]] {args.inbox} with channel = "wechat".')
    cfg = parse(found[0])
    base = (args.url or settings.public_url).rstrip("/")
    timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
    xml = text_message(cfg.app_id, args.user, args.text, secrets.randbelow(2**62))
    params = {
        "signature": sign(cfg.token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": args.user,
    }
    cipher = Cipher(cfg.token, cfg.app_id, cfg.encoding_aes_keys) if cfg.safe_mode else None
    body = xml
    if cipher is not None:
        encrypted = cipher.encrypt(xml)
        body = (
            f"<xml><ToUserName>{cdata(cfg.app_id)}</ToUserName>"
            f"<Encrypt>{cdata(encrypted)}</Encrypt></xml>"
        )
        params["encrypt_type"] = "aes"
        params["msg_signature"] = sign(cfg.token, timestamp, nonce, encrypted)
    url = f"{base}/channels/wechat/{cfg.name}"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, params=params, data=body.encode()) as resp:
            status, answer = resp.status, await resp.read()
    if status != 200:
        print(f"kefu answered HTTP {status}: {answer.decode(errors='replace')}", file=sys.stderr)
        return 1
    print(describe_reply(answer, cipher, timestamp, nonce))
    return 0


def describe_reply(answer: bytes, cipher: Cipher | None, timestamp: str, nonce: str) -> str:
    """What the customer would see for kefu's answer."""
    if answer.strip() in (b"", b"success"):
        return (
            "(已确认收到；回复将通过客服消息接口发送 / acknowledged: the reply goes out through "
            "the customer service message API)"
        )
    try:
        fields = parse_xml(answer)
        if cipher is not None:
            fields = parse_xml(
                cipher.open(fields, fields.get("TimeStamp", ""), fields.get("Nonce", ""),
                            fields.get("MsgSignature", "")).encode()
            )  # fmt: skip
    except (BadRequest, Forbidden) as err:
        return f"(unreadable reply: {err.message})"
    return fields.get("Content", "") or f"({fields.get('MsgType', '?')} reply)"
