"""Answer quality machinery: the intent classifier, calibration, ``kefu kb eval`` on tiny sets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import load_settings
from kb import classifier as intent
from kb.calibration import Quiz, best_threshold
from kb.config_file import write_section
from kb.evaluation import auroc, evaluate, load_set, report
from kb.scoring import Thresholds, Weights, decide, evidence, fuse
from kb.settings import KbSettings
from kb.vector_cache import CachedEmbedder

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TINY = HERE / "eval_tiny"
QRELS = HERE / "eval_qrels"


def test_classifier_learns_what_nearest_neighbour_gets_wrong() -> None:
    # Two classes on a circle: class 0 is spread wide, class 1 is tight. A query between them,
    # closer to one stray class-0 example than to class 1, belongs to class 1's region.
    rng = np.random.default_rng(0)
    angles0 = rng.uniform(-1.2, 1.2, 40)
    angles1 = rng.normal(2.0, 0.05, 40)
    x = np.stack([np.cos(np.r_[angles0, angles1]), np.sin(np.r_[angles0, angles1])], axis=1)
    labels = np.r_[np.zeros(40), np.ones(40)].astype(np.int32)
    clf = intent.train(x.astype(np.float32), labels, 2)
    p = clf.probabilities(np.asarray([[np.cos(1.9), np.sin(1.9)]], dtype=np.float32))
    assert p.shape == (1, 2) and p[0, 1] > 0.9
    assert clf.probabilities(np.asarray([1.0, 0.0], dtype=np.float32)).argmax() == 0


def test_classifier_only_when_entries_have_examples() -> None:
    assert intent.should_train(np.asarray([3, 4, 2, 1]))
    assert not intent.should_train(np.asarray([1, 1, 1, 2]))  # most have one question
    assert not intent.should_train(np.asarray([5]))


def test_fusion_and_decision_rules() -> None:
    w = Weights(bm25=0.3, classifier=0.3)
    same = np.asarray([True, False])
    s = fuse(
        np.asarray([0.8, 0.8], np.float32),
        np.asarray([0.5, 0.0], np.float32),
        np.asarray([0.9, 0.9], np.float32),
        same,
        w,
    )
    assert s[0] == pytest.approx(0.7 * (0.7 * 0.8 + 0.3 * 0.5) + 0.3 * 0.9 * 0.8, abs=1e-6)
    assert s[1] >= 0.8  # cross-lingual: missing BM25 is not held against it
    assert evidence(["发票"]) == 0.0 and evidence(["发票", "发票"]) == 0.0
    assert evidence(["invoice", "download"]) == 1.0
    t = Thresholds(answer=0.5, clarify=0.35, margin=0.05)
    assert decide(0.6, 0.4, t) == "answer"
    assert decide(0.6, 0.58, t) == "clarify"  # too close to the runner-up
    assert decide(0.7, 0.69, t) == "answer"  # far above the threshold: lead does not matter
    assert decide(0.4, 0.1, t) == "clarify"
    assert decide(0.2, 0.1, t) == "escalate"


def test_best_threshold_separates_in_and_out_of_scope() -> None:
    quiz = Quiz(
        top=np.asarray([0.9, 0.8, 0.7, 0.44, 0.4, 0.3], np.float32),
        second=np.zeros(6, np.float32),
        correct=np.asarray([True, True, True, False, False, False]),
        in_scope=np.asarray([True, True, True, False, False, False]),
    )
    t = best_threshold(quiz, 0.05)
    assert t is not None and 0.44 < t <= 0.7
    assert auroc(quiz.top[:3], quiz.top[3:]) == 1.0
    assert auroc(np.asarray([0.5]), np.asarray([0.5])) == 0.5


def test_vector_cache_embeds_each_text_once(tmp_path: Path, cached_embedder: Any) -> None:
    calls: list[list[str]] = []

    class Spy:
        name, dim = cached_embedder.name, cached_embedder.dim

        def encode(self, texts: list[str]) -> Any:
            calls.append(list(texts))
            return cached_embedder.encode(texts)

    first = CachedEmbedder(Spy(), tmp_path)
    a = first.encode(["退货", "refund", "退货"])
    first.save()
    again = CachedEmbedder(Spy(), tmp_path).encode(["refund", "退货"])
    assert calls == [["退货", "refund"]]
    np.testing.assert_allclose(again, a[[1, 0]])


async def test_eval_on_a_tiny_labelled_set(tmp_path: Path, cached_embedder: Any) -> None:
    data, results = await evaluate(
        TINY, KbSettings(), modes=("fused", "bm25"), embedder=cached_embedder
    )
    assert len(data.entries) == 5 and all(len(e.similar) == 3 for e in data.entries)
    body = report(data, results)
    for key in (
        "queries",
        "recall_at_1",
        "recall_at_5",
        "mrr_at_10",
        "answered_in_scope",
        "answer_precision",
        "refused_oos",
        "oos_auroc",
        "ms_per_query",
    ):
        assert key in body, key
    assert body["queries"] == 9 and body["recall_at_1"] == 1.0
    assert body["refused_oos"] == 1.0 and body["oos_auroc"] == 1.0
    assert [r.mode for r in results] == ["fused", "bm25"] and "bm25" in str(body["modes"])


async def test_eval_with_qrels_and_unlabelled_rows(cached_embedder: Any) -> None:
    data = load_set(QRELS)
    assert [e.id for e in data.entries] == ["doc:d0", "doc:d1", "doc:d2", "doc:d3"]
    assert data.queries[0].relevant == frozenset({"doc:d0"}) and not data.has_oos
    _, results = await evaluate(QRELS, KbSettings(), modes=("fused",), embedder=cached_embedder)
    assert results[0].recall_at_1 == 1.0 and results[0].refused_oos is None


def test_write_section_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "kefu.toml"
    path.write_text(
        "# my config\n[server]\nport = 9000\n\n[kb]\ntop_k = 3  # keep\nanswer_threshold = 0.7\n"
        "\n[bot]\nmax_misses = 3\n",
        encoding="utf-8",
    )
    write_section(path, "kb", {"answer_threshold": 0.55, "thresholds": "fixed"})
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my config\n[server]\nport = 9000\n")
    assert "top_k = 3  # keep" in text and "max_misses = 3" in text
    settings = load_settings(path, env={})
    assert settings.kb.answer_threshold == 0.55 and settings.kb.thresholds == "fixed"
    assert settings.kb.top_k == 3 and settings.server.port == 9000
    fresh = tmp_path / "new.toml"
    write_section(fresh, "kb", {"answer_threshold": 0.6})
    assert load_settings(fresh, env={}).kb.answer_threshold == 0.6


def test_cli_eval_json_and_calibrate(tmp_path: Path) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text("[server]\nport = 9001\n[kb]\nbm25_weight = 0.3\n", encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    out = subprocess.run(
        [
            *(sys.executable, "-m", "core.cli", "--config", str(config), "kb", "eval"),
            *(str(TINY), "--json", "--calibrate", "--mode", "fused"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["recall_at_1"] == 1.0 and body["mode"] == "fused"
    written = load_settings(config, env={})
    assert written.kb.thresholds == "fixed" and written.server.port == 9001
    assert written.kb.answer_threshold == body["calibrated"]["answer_threshold"]
    assert (tmp_path / "cache" / "kefu" / "vectors").is_dir()
