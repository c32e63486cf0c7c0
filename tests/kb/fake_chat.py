"""A local OpenAI-compatible chat-completions server (vLLM, Ollama and hosted APIs speak it).

``POST /v1/chat/completions`` with the real request and response bodies: ``choices[0].message
.content`` on success, and the real error bodies (401 ``invalid_api_key``, 429
``rate_limit_exceeded``, 500 ``server_error``). Tests tell it how to answer (:attr:`mode`, or
per question in :attr:`by_question`) and read what it was sent (:attr:`requests`).

Modes: ``paraphrase`` (a courtesy, then the named entry's answer), ``verbatim`` (the entry's
answer), ``second`` (names and uses entry E2), ``invent`` (a reply with made-up facts),
``declined`` (NO_ANSWER), ``empty``, ``malformed`` (not JSON), ``no_choices``, ``unknown``
(names an entry that was not sent), ``401``, ``429``, ``500``, ``slow`` (answers only when
:attr:`release` is set: a timeout for whoever waits less).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from aiohttp import web

KEY = "sk-test-0123456789abcdefKEY"
MODEL = "qwen2.5-7b-instruct"
_ENTRY = re.compile(r"\[E(\d)\] (?:问题|Question): (.*)\n(?:答案|Answer): (.*)")
INVENTED = {
    "zh": "您可以直接到附近的门店办理，店员会当场为您处理，还会赠送一张50元优惠券，"
    "详询 400-900-5678。",
    "en": "Just bring it to any of our stores and we will hand you a $50 voucher on the spot. "
    "Call 400-900-5678 for details.",
}


class FakeChat:
    """Records chat-completions requests and answers them as told."""

    def __init__(self) -> None:
        self.mode = "paraphrase"
        self.by_question: dict[str, str] = {}  # the user message -> mode, over ``mode``
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str] = []
        self.release = asyncio.Event()
        self.base_url = ""

    def app(self) -> web.Application:
        """The server's routes."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.completions)
        return app

    async def start(self, aiohttp_server: Any) -> FakeChat:
        """Serve on a local port; ``base_url`` ends in /v1 as a real one does."""
        server = await aiohttp_server(self.app())
        self.base_url = str(server.make_url("/v1"))
        return self

    def user_text(self, body: dict[str, Any]) -> str:
        """What the request said the customer asked."""
        return str(next(m["content"] for m in body["messages"] if m["role"] == "user"))

    async def completions(self, request: web.Request) -> web.Response:
        """``POST /v1/chat/completions``."""
        self.authorizations.append(request.headers.get("Authorization", ""))
        body = await request.json()
        self.requests.append(body)
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return self._error(401, "Incorrect API key provided.", "invalid_request_error",
                               "invalid_api_key")  # fmt: skip
        question = self.user_text(body).split("\n", 1)[0]
        mode = self.by_question.get(question, self.mode)
        if mode == "401":
            return self._error(
                401,
                f"Incorrect API key provided: {KEY[:5]}****{KEY[-4:]}. You can find your API key "
                "at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if mode == "429":
            return self._error(
                429,
                f"Rate limit reached for {body['model']} on requests per min (RPM): Limit 3.",
                "requests",
                "rate_limit_exceeded",
                headers={"Retry-After": "20"},
            )
        if mode == "500":
            return self._error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
                None,
            )
        if mode == "malformed":
            return web.Response(status=200, text="{'choices': [", content_type="application/json")
        if mode == "no_choices":
            empty = {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}
            return web.json_response(empty)
        if mode == "slow":
            await self.release.wait()
        return web.json_response(self._completion(body, self._content(body, mode)))

    def _content(self, body: dict[str, Any], mode: str) -> str:
        system = body["messages"][0]["content"]
        zh = "简体中文" in system
        entries: dict[int, str] = {int(n): a for n, _q, a in _ENTRY.findall(system)}
        if mode == "invent":
            return "[E1] " + INVENTED["zh" if zh else "en"]
        if mode == "declined":
            return "NO_ANSWER"
        if mode == "empty":
            return ""
        if mode == "unknown":
            return "[E7] " + entries[1]
        if mode == "second":
            return "[E2] " + entries[2]
        if mode == "verbatim":
            return "[E1] " + entries[1]
        return "[E1] " + ("您好！" if zh else "Sure! ") + entries[1]

    def _completion(self, body: dict[str, Any], content: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 412, "completion_tokens": 57, "total_tokens": 469},
        }

    @staticmethod
    def _error(
        status: int,
        message: str,
        kind: str,
        code: str | None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        return web.json_response(body, status=status, headers=headers)
