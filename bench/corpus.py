"""Benchmark data: a knowledge base of N entries, and distinct customer questions.

The KB is the bundled demo FAQ plus synthetic bilingual after-sales entries (each with a
question and two similar questions) up to the size asked for. Questions come from the
public evaluation sets in ``../shared/eval`` (Chinese and English, interleaved), so every
turn of a run embeds a text the server has never seen.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from bench.common import ROOT, shared_dir
from kb.ingest import read_entries
from kb.types import EntryIn

DEMO_KB = ROOT / "kb" / "demo" / "faq.jsonl"
PRODUCTS = (
    "washing machine",
    "fridge",
    "dishwasher",
    "air conditioner",
    "water heater",
    "oven",
    "TV",
    "vacuum",
)
TOPICS = (
    ("How do I return my {p} (order {n})?", "return the {p} from order {n}", "退货 {p} 订单{n}"),
    ("My {p} model X{n} shows error E{n}", "error E{n} on the {p}", "{p} X{n} 显示故障码E{n}"),
    (
        "When will the {p} from order {n} arrive?",
        "delivery time for order {n}",
        "订单{n}什么时候到",
    ),
    ("Is the {p} X{n} still under warranty?", "warranty of {p} X{n}", "{p} X{n} 保修期"),
    ("Book an installer for my {p}, order {n}", "installation for order {n}", "预约安装 订单{n}"),
)
EVAL_SETS = ("zh_afqmc", "en_banking77", "en_clinc150")


def synthetic(count: int, start: int = 0) -> list[EntryIn]:
    """Synthetic entries: topics x products x order numbers, two similar questions each."""
    out: list[EntryIn] = []
    combos = itertools.cycle(itertools.product(TOPICS, PRODUCTS))
    for i, (topic, product) in zip(range(start, start + count), combos, strict=False):
        n = 1000 + i
        q, s1, s2 = (t.format(p=product, n=n) for t in topic)
        out.append(EntryIn(id=f"e{i}", question=q, similar=(s1, s2), answer=f"Answer {i}."))
    return out


def demo_entries() -> list[EntryIn]:
    """The bundled demo FAQ (Chinese and English)."""
    entries, _errors = read_entries(DEMO_KB)
    return entries


def knowledge_base(size: int) -> list[EntryIn]:
    """``size`` entries: the demo FAQ first, synthetic ones for the rest."""
    demo = demo_entries()[:size]
    return demo + synthetic(size - len(demo))


def questions(limit: int | None = None) -> list[str]:
    """Distinct questions from the eval sets, Chinese and English interleaved.

    Queries first, then corpus rows (a customer's wording either way); ``limit`` caps it.
    """
    per_set: list[list[str]] = []
    for name in EVAL_SETS:
        texts: list[str] = []
        for part in ("queries.jsonl", "corpus.jsonl"):
            path = shared_dir("eval") / name / part
            if path.exists():
                texts += _texts(path)
        per_set.append(texts)
    seen: set[str] = set()
    out: list[str] = []
    for row in itertools.zip_longest(*per_set):
        for text in row:
            if text and text not in seen:
                seen.add(text)
                out.append(text)
                if limit is not None and len(out) >= limit:
                    return out
    if not out:
        raise SystemExit(f"no eval questions found under {shared_dir('eval')}")
    return out


def _texts(path: Path) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            text = str(json.loads(line).get("text", "")).strip()
            if text:
                out.append(text[:500])
    return out
