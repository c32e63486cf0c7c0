"""``kefu kb eval`` measures the choices the bot offers when it clarifies (issue 19)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from kb.evaluation import evaluate, report
from kb.settings import KbSettings

TINY = Path(__file__).with_name("eval_tiny")


async def test_every_question_clarified_reports_the_hit_rate_and_the_choices(
    cached_embedder: Any,
) -> None:
    # An answer threshold nothing reaches: the bot clarifies every question it can.
    always = dataclasses.replace(KbSettings(), answer_threshold=1.0, clarify_threshold=0.0)
    data, results = await evaluate(TINY, always, modes=("fused",), embedder=cached_embedder)
    body = report(data, results)
    assert body["clarified"] == 1.0  # every in-scope question
    assert body["clarify_hit_rate"] == 1.0  # R@1 is 1.0 on this set: the right one is offered
    assert 2.0 <= float(str(body["clarify_choices"])) <= 3.0


async def test_a_set_answered_outright_has_no_clarify_hit_rate(cached_embedder: Any) -> None:
    never = dataclasses.replace(KbSettings(), answer_threshold=0.0, clarify_threshold=0.0)
    data, results = await evaluate(TINY, never, modes=("fused",), embedder=cached_embedder)
    body = report(data, results)
    # No in-scope question is clarified (out-of-scope ones may be: choices counts them).
    assert body["clarified"] == 0.0 and "clarify_hit_rate" not in body
