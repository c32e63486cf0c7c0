"""A small async client for WeChat's JSON APIs (Official Account and WeCom share the shape).

Every call carries ``access_token`` from :class:`AccessTokens`; an answer of 40001, 40014
or 42001 (token invalid or expired) asks the token's owner for a fresh one once and tries
again. Network errors, 5xx, ``-1`` (system busy) and rate limits (45009, 45011) raise
:class:`DeliveryError` so the outbox retries with backoff; anything else the platform
refuses raises :class:`ApiRefused` (a :class:`PermanentDeliveryError`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from channels.wechat.token import AccessTokens
from core.errors import DeliveryError, PermanentDeliveryError

TOKEN_ERRORS = {40001, 40014, 42001}
TRANSIENT_ERRORS = {-1, 45009, 45011, 45033}
MAX_MEDIA_BYTES = 20 * 1024 * 1024


class ApiRefused(PermanentDeliveryError):
    """The platform refused a call for good; ``errcode`` says why."""

    def __init__(self, errcode: int, errmsg: str, message: str | None = None) -> None:
        super().__init__(message or f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class ApiBusy(DeliveryError):
    """A transient platform error (rate limit, busy, network); retry later."""

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


def check(data: Any, what: str) -> dict[str, Any]:
    """A successful JSON answer, or ApiBusy / ApiRefused by its errcode."""
    if not isinstance(data, dict):
        raise ApiBusy(f"{what}: the API answered something other than a JSON object.")
    try:
        code = int(data.get("errcode") or 0)
    except (TypeError, ValueError, OverflowError):
        raise ApiBusy(f"{what}: the API answered an errcode that is not a number.") from None
    if code == 0:
        return data
    msg = str(data.get("errmsg") or "")
    if code in TRANSIENT_ERRORS or code in TOKEN_ERRORS:  # a token refused twice: retry later
        raise ApiBusy(f"{what}: WeChat is busy or rate-limiting (errcode {code}: {msg}).", code)
    raise ApiRefused(code, msg, f"{what}: WeChat refused (errcode {code}: {msg}).")


class ApiClient:
    """Calls one WeChat API base URL with an access token."""

    def __init__(
        self,
        base: str,
        tokens: AccessTokens,
        http: Callable[[], aiohttp.ClientSession],
        timeout: float = 10.0,
    ) -> None:
        self.base = base.rstrip("/")
        self.tokens = tokens
        self.http = http
        self.timeout = timeout

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a JSON body to ``path``; the decoded successful answer."""
        payload = orjson.dumps(body)  # UTF-8, Chinese unescaped as WeChat expects
        for attempt in range(2):
            token = await self.tokens.get()
            data = await self._json("POST", path, {"access_token": token}, payload)
            if int(data.get("errcode") or 0) in TOKEN_ERRORS and attempt == 0:
                await self.tokens.invalid(token)
                continue
            return check(data, path)
        raise AssertionError("unreachable")

    async def media(self, path: str, params: dict[str, str]) -> tuple[bytes, str]:
        """GET a media file: (bytes, content type); JSON errors raise like ``post``."""
        for attempt in range(2):
            token = await self.tokens.get()
            try:
                async with self.http().get(
                    self.base + path,
                    params={"access_token": token, **params},
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    if resp.status >= 500:
                        raise ApiBusy(f"{path}: HTTP {resp.status} from WeChat.")
                    ctype = resp.headers.get("Content-Type", "application/octet-stream")
                    data = await _read_limited(resp, MAX_MEDIA_BYTES + 1)
            except (aiohttp.ClientError, TimeoutError) as err:
                raise ApiBusy(f"{path}: WeChat API unreachable ({type(err).__name__}).") from err
            if len(data) > MAX_MEDIA_BYTES:
                raise ApiRefused(0, "too large", f"{path}: the media file is too large.")
            if ctype.startswith(("application/json", "text/plain")):
                err_body = _decode(data)
                if int(err_body.get("errcode") or 0) in TOKEN_ERRORS and attempt == 0:
                    await self.tokens.invalid(token)
                    continue
                check(err_body, path)
            return data, ctype.split(";")[0].strip()
        raise AssertionError("unreachable")

    async def upload(self, path: str, kind: str, data: bytes, name: str, mime: str) -> str:
        """Upload a temporary media file (``/cgi-bin/media/upload?type=...``, multipart field
        ``media``); its ``media_id`` for a media message. Errors raise like ``post``."""
        for attempt in range(2):
            token = await self.tokens.get()
            form = aiohttp.FormData(quote_fields=False)  # a UTF-8 name as browsers send it
            form.add_field("media", data, filename=name or f"media.{kind}", content_type=mime)
            try:
                async with self.http().post(
                    self.base + path,
                    params={"access_token": token, "type": kind},
                    data=form,
                    timeout=aiohttp.ClientTimeout(total=max(self.timeout, 30.0)),
                ) as resp:
                    if resp.status >= 500 or resp.status == 429:
                        raise ApiBusy(f"{path}: HTTP {resp.status} from WeChat.")
                    answer = _decode(await resp.read())
            except (aiohttp.ClientError, TimeoutError) as err:
                raise ApiBusy(f"{path}: WeChat API unreachable ({type(err).__name__}).") from err
            if int(answer.get("errcode") or 0) in TOKEN_ERRORS and attempt == 0:
                await self.tokens.invalid(token)
                continue
            media_id = check(answer, path).get("media_id")
            if not isinstance(media_id, str) or not media_id:
                raise ApiBusy(f"{path}: the answer has no media_id.")
            return media_id
        raise AssertionError("unreachable")

    async def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET ``path`` without a token (token endpoints); the raw JSON answer."""
        return await self._json("GET", path, params, None)

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` without a token (``stable_token``); the raw JSON answer."""
        return await self._json("POST", path, {}, orjson.dumps(body))

    async def _json(
        self, method: str, path: str, params: dict[str, str], payload: bytes | None
    ) -> dict[str, Any]:
        try:
            async with self.http().request(
                method,
                self.base + path,
                params=params,
                data=payload,
                headers={"Content-Type": "application/json"} if payload is not None else None,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                if resp.status >= 500 or resp.status == 429:
                    raise ApiBusy(f"{path}: HTTP {resp.status} from WeChat.")
                raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise ApiBusy(f"{path}: WeChat API unreachable ({type(err).__name__}).") from err
        return _decode(raw)


async def _read_limited(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := await resp.content.read(65_536)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _decode(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiBusy("The WeChat API answered with invalid JSON.") from None
    if not isinstance(data, dict):
        raise ApiBusy("The WeChat API answered with something other than a JSON object.")
    return data


async def fetch_token(api: ApiClient, path: str, params: dict[str, str]) -> tuple[str, int]:
    """Fetch a token from a token endpoint's JSON answer (errors raised by errcode)."""
    data = check(await api.get_json(path, params), path)
    return _token_of(data, path)


async def fetch_stable_token(
    api: ApiClient, app_id: str, secret: str, force: bool
) -> tuple[str, int]:
    """``POST /cgi-bin/stable_token`` (the same token for every caller until it expires)."""
    body = {
        "grant_type": "client_credential",
        "appid": app_id,
        "secret": secret,
        "force_refresh": force,
    }
    data = check(await api.post_json("/cgi-bin/stable_token", body), "/cgi-bin/stable_token")
    return _token_of(data, "/cgi-bin/stable_token")


def _token_of(data: dict[str, Any], path: str) -> tuple[str, int]:
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise ApiBusy(f"{path}: the answer has no access_token.")
    return token, int(data.get("expires_in") or 7200)
