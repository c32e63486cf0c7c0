"""Urgency beyond the word lists: compound hazards, the learned model, resolved past hazards,
``kefu triage train`` and ``kefu triage eval --cross``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from intake.urgency import assess, lexicon
from intake.urgency_eval import ORDINARY, fit, ordinary_questions, read_set
from intake.urgency_model import KINDS, SHIPPED, grams, load, train

DATA = Path(__file__).parent / "urgency_sets"
WORDS_ONLY = replace(lexicon(), thresholds=(1.0, 1.0, 1.0))


def kinds(text: str) -> set[str]:
    return set(assess(text).kinds)


@pytest.mark.parametrize(
    "text",
    [
        # A live part and a dangerous state of it, in one clause or the next.
        "插线板泡在水里了，上面还插着电饭煲",
        "拖地的水溅进了插座，现在插座里滋滋响",
        "电源线的外皮被老鼠咬破了，能看到里面的铜丝",
        "The extension cable is frayed and the copper is showing",
        "Rain got in and the outdoor socket is soaking wet",
        "The charger is glowing red at the plug end",
    ],
)
def test_a_live_part_in_a_dangerous_state_is_a_hazard(text: str) -> None:
    assert kinds(text) == {"hazard"}


@pytest.mark.parametrize(
    "text",
    ["烤箱门玻璃突然碎了一地", "The heater tipped over and the rug underneath is smouldering"],
)
def test_the_model_finds_hazards_in_words_no_list_holds(text: str) -> None:
    assert set(assess(text, WORDS_ONLY).kinds) == set()
    assert kinds(text) == {"hazard"}


@pytest.mark.parametrize(
    "text",
    [
        "插线板可以放在厨房吗？",  # a question about a live part
        "如果电源线破皮了怎么办？",  # supposed
        "The cable is a bit short, can I get a longer one?",
        "电池不耐用，充一次只能用半天",
        "我要退货",  # the model's complaint reading is off by default: 我要... is not one
        "I want a refund",
        "插座冒火花的问题师傅已经修好了，谢谢",  # put right since
        "The socket sparked last month but the electrician fixed it, all good now",
        "Fire up the app and it crashes",  # a product phrase is blanked for the model too
    ],
)
def test_look_alikes_stay_calm(text: str) -> None:
    assert kinds(text) == set()


def test_a_hazard_that_came_back_counts_and_posting_online_is_not_hearsay() -> None:
    assert "hazard" in kinds("插座修好了没两天，又冒火花了")
    assert kinds("热水器差点烧起来，我要把视频发网上曝光") == {"hazard", "complaint"}


def test_each_kind_of_the_model_can_be_switched_on_or_off() -> None:
    text = "烤箱门玻璃突然碎了一地"
    assert set(assess(text, lexicon(thresholds=(1.0, 1.0, 1.0))).kinds) == set()
    assert set(assess(text, lexicon(builtin=False)).kinds) == set()  # no built-in model
    eager = lexicon(thresholds=(0.7, 0.0, 1.0))  # every message reads as a complaint
    assert set(assess("烤箱预热很快", eager).kinds) == {"complaint"}


def test_negation_marks_what_it_governs() -> None:
    assert "w" + "smoke" in grams("there is smoke") and "nwsmoke" in grams("there is no smoke")
    assert "c漏电" in grams("热水器漏电了") and "n漏电" in grams("热水器没有漏电")
    assert "c断电" in grams("一直不断电")  # 不断 does not negate


def test_the_shipped_model_is_the_one_the_sets_and_the_demo_questions_train() -> None:
    shipped = load(SHIPPED)
    assert shipped is not None
    examples = [ex for path in sorted(DATA.glob("*.tsv")) for ex in read_set(path)]
    ordinary = ordinary_questions(ORDINARY, "safety")
    assert len(ordinary) >= 500 and not any(ex.labels for ex in ordinary)
    fresh = fit(examples, ordinary)
    assert set(fresh.weights) == set(shipped.weights), "retrain: kefu triage train SETS"
    pieces = sorted(fresh.weights)
    a = np.array([fresh.weights[p] for p in pieces], dtype=np.float32)
    b = np.array([shipped.weights[p] for p in pieces], dtype=np.float32)
    assert np.allclose(a, b, atol=2e-2), "retrain: kefu triage train SETS"
    assert np.allclose(fresh.bias, shipped.bias, atol=1e-3)


def test_kefu_triage_train_and_cross_evaluation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one, two = tmp_path / "one.tsv", tmp_path / "two.tsv"
    one.write_text(
        "hazard\t插座冒烟了\nhazard\t电线烧焦了\nnone\t怎么预约安装\nnone\t发票怎么开\n",
        encoding="utf-8",
    )
    two.write_text("hazard\t插头冒烟了\nnone\t安装要多久\n", encoding="utf-8")
    kb = tmp_path / "kb.jsonl"
    kb.write_text(
        json.dumps({"category": "order", "question": "怎么改地址", "similar": ["改收货地址"]})
        + "\n"
        + json.dumps({"category": "safety", "question": "冒烟了怎么办", "similar": []})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "model.npz"
    assert (
        main(["triage", "train", str(one), str(two), "--out", str(out), "--ordinary", str(kb)]) == 0
    )
    assert "6 labelled and 2 ordinary" in capsys.readouterr().out
    model = load(out)
    assert model is not None
    assert model.probabilities("插座冒烟了")["hazard"] > model.probabilities("发票怎么开")["hazard"]
    assert set(model.probabilities("x")) == set(KINDS)
    assert main(["triage", "eval", "--cross", "--json", str(one), str(two)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["messages"] == 6 and scores["classes"]["hazard"]["recall"] == 1.0
    assert main(["triage", "eval", "--cross", str(one)]) == 2  # one set cannot be crossed
    assert "--cross" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"category": "order"}\n', encoding="utf-8")
    assert main(["triage", "train", str(one), "--out", str(out), "--ordinary", str(bad)]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_a_trained_model_file_is_configured_and_checked_at_load(tmp_path: Path) -> None:
    from core.errors import ConfigError
    from intake.settings import TriageSettings
    from intake.triage import urgency

    texts = ["机器里面咕咚咕咚", "咕咚咕咚的声音", "发票怎么开", "怎么预约安装", "安装要多久"]
    labels = [frozenset({"hazard"})] * 2 + [frozenset()] * 3
    own = tmp_path / "own.npz"
    train(texts, labels).save(own)
    mine = TriageSettings(model_file=str(own), hazard_model_threshold=0.5)
    assert urgency("柜子里一直咕咚咕咚", mine).kinds == {"hazard"}
    assert urgency("柜子里一直咕咚咕咚", TriageSettings()).kinds == frozenset()
    assert urgency("怎么预约安装", mine).kinds == frozenset()
    with pytest.raises(ConfigError, match="model_file"):
        TriageSettings(model_file=str(tmp_path / "missing.npz"))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"broken\.npz"):
        TriageSettings(model_file=str(broken))
