"""Urgency rules: hazards, complaints and anger, their look-alikes, and ``kefu triage eval``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from intake.urgency import assess, lexicon
from intake.urgency_eval import evaluate, read_set
from intake.urgency_rules import shouting as _shouting

DATA = Path(__file__).parent / "urgency_sets"
LABELLED = [DATA / "alarm_zh.tsv", DATA / "alarm_en.tsv"]
HELD_OUT = sorted(DATA.glob("alarm_holdout*.tsv"))


def kinds(text: str) -> set[str]:
    return set(assess(text).kinds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我家的热水器漏电了，太危险了，我要投诉！", {"hazard", "complaint"}),
        ("冒烟了怎么办", {"hazard"}),  # a question, but something happened
        ("The dryer is on fire!! what do I do", {"hazard"}),
        ("插座那里冒火花了", {"hazard"}),
        ("我要投诉，怎么投诉？", {"complaint"}),  # the intent is in the first clause
        ("再不解决我就去消费者协会投诉", {"complaint"}),  # 不 negates 解决, not the threat
        ("Refund me or I'll report you", {"complaint"}),
        ("什么破服务，打了五次电话都没人接", {"angry"}),
        ("STOP TELLING ME TO WAIT. I HAVE NO HOT WATER", {"angry"}),
        # Look-alikes: negations, questions about the policy, products, hypotheticals, ids.
        ("投诉流程是什么", set()),
        ("How do I file a complaint?", set()),
        ("不是投诉，就是想问一下安装时间", set()),
        ("This is not a complaint, just a question", set()),
        ("上次的投诉已经处理好了，谢谢", set()),
        ("冰箱没有漏电，就是不制冷了", set()),
        ("No sparks or smoke, it just stopped", set()),
        ("插座没烧，就是松了", set()),
        ("热水器会漏电吗？", set()),
        ("如果热水器漏电了应该怎么办？", set()),
        ("你们的热水器有没有漏电保护", set()),
        ("Do you sell smoke detectors?", set()),
        ("燃气灶打不着火", set()),
        ("订单号12315678，什么时候发货", set()),
        ("信号太差了", set()),
        ("太好了，终于修好了！！！", set()),
    ],
)
def test_rules(text: str, expected: set[str]) -> None:
    assert kinds(text) == expected


def test_configured_words_add_to_or_replace_the_built_in_ones() -> None:
    own = lexicon(hazard=("冒泡泡",), complaint=("找居委会",))
    assert set(assess("洗衣机一直冒泡泡", own).kinds) == {"hazard"}
    assert set(assess("我要找居委会", own).kinds) == {"complaint"}
    assert kinds("我要找居委会") == set()
    only = lexicon(complaint=("找居委会",), builtin=False)
    assert set(assess("热水器漏电了", only).kinds) == set()


def test_the_labelled_set_is_large_varied_and_meets_the_targets() -> None:
    examples = [ex for path in LABELLED for ex in read_set(path)]
    assert len(examples) >= 300
    zh = [ex for ex in examples if any("\u4e00" <= ch <= "\u9fff" for ch in ex.text)]
    assert len(zh) >= 150 and len(examples) - len(zh) >= 100
    for kind in ("hazard", "complaint", "angry"):
        assert sum(kind in ex.labels for ex in examples) >= 40, kind
    assert sum(not ex.labels for ex in examples) >= 150  # look-alikes and ordinary questions
    scores = {s.name: s for s in evaluate(examples, lexicon())[0]}
    assert scores["hazard"].recall >= 0.95 and scores["hazard"].precision >= 0.9
    assert scores["escalate"].precision >= 0.9


def test_the_blind_set_meets_the_hazard_target() -> None:
    """Set 12 was written by someone who read no code, scored once, never trained on
    (docs/quality.md): the hazard target holds on wording nobody tuned to."""
    examples = read_set(DATA.parent / "urgency_blind" / "alarm_blind12.tsv")
    assert len(examples) == 200
    scores = {s.name: s for s in evaluate(examples, lexicon())[0]}
    assert scores["hazard"].recall >= 0.95 and scores["hazard"].precision >= 0.9
    assert scores["complaint"].precision >= 0.9 and scores["escalate"].precision >= 0.9


def test_the_held_out_sets_keep_precision() -> None:
    examples = [ex for path in HELD_OUT for ex in read_set(path)]
    assert len(examples) >= 200
    scores = {s.name: s for s in evaluate(examples, lexicon())[0]}
    assert scores["escalate"].precision >= 0.9 and scores["hazard"].precision >= 0.9


def test_kefu_triage_eval_prints_precision_and_recall(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sample = tmp_path / "set.tsv"
    sample.write_text(
        "# a comment\nhazard\t冰箱冒烟了\ncomplaint\t我要投诉\nnone\t投诉流程是什么\n"
        "none\t热水器会漏电吗？\nangry\t还行吧\n",
        encoding="utf-8",
    )
    assert main(["triage", "eval", str(sample), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["messages"] == 5
    assert out["classes"]["hazard"] == {"precision": 1.0, "recall": 1.0, "tp": 1, "fp": 0, "fn": 0}
    assert out["classes"]["angry"]["recall"] == 0.0 and out["classes"]["angry"]["fn"] == 1
    assert main(["triage", "eval", str(sample)]) == 0
    assert "hazard" in capsys.readouterr().out


def test_a_bad_line_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sample = tmp_path / "bad.tsv"
    sample.write_text("danger\t冰箱冒烟了\n", encoding="utf-8")
    assert main(["triage", "eval", str(sample)]) == 2
    assert "bad.tsv:1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("fire", True),  # a term at the very start of the text
        ("the oven is on fire", True),
        ("campfire stories", False),  # a Latin term never matches inside a word
        ("he was fired", False),
        ("我已经打了12315", True),
        ("订单8812315", False),  # nor a digit term inside a longer number
        ("12315a", False),
    ],
)
def test_latin_and_digit_terms_match_whole_words_only(text: str, found: bool) -> None:
    lex = lexicon(hazard=("fire",), complaint=("12315",), builtin=False)
    hits = [m.group(0) for p in (lex.hazard, lex.complaint) for m in p.finditer(text.lower())]
    assert bool(hits) is found, hits


@pytest.mark.parametrize(
    ("text", "shouting"),
    [
        ("WHY IS MY ORDER STILL NOT HERE", True),
        ("THE FRIDGE DOES NOT COOL!!", True),
        ("my USB LED TV is not working", False),  # three acronyms, mostly lower case
        ("ABC DEF", False),  # two words in capitals are not shouting
        ("洗衣机不转了 WHY WHY WHY", True),
        ("", False),
    ],
)
def test_shouting_is_three_words_in_capitals_and_mostly_capitals(text: str, shouting: bool) -> None:
    assert _shouting(text) is shouting
    if shouting and text.isascii():
        assert "angry" in assess(text).kinds and "angry" not in assess(text.lower()).kinds
