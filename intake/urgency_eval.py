"""``kefu triage eval FILE...``: precision and recall of the urgency rules on a labelled set;
``kefu triage train FILE...``: the learned second opinion (:mod:`intake.urgency_model`).

A set is a UTF-8 text file, one message a line: ``labels<TAB>text``, where labels are
``hazard``, ``complaint``, ``angry`` separated by commas, or ``none``; ``#`` starts a comment.
Each kind is scored on its own (a message may be a hazard and a complaint), plus
``escalate``: any kind at all, which is what sends the message to a person. ``--cross``
scores each file with a model trained on the other files only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.config import Settings
from core.errors import ConfigError
from intake.triage import lexicon_for
from intake.urgency import KINDS, Lexicon, assess, lexicon, masked
from intake.urgency_model import SHIPPED, UrgencyModel, train
from intake.urgency_templates import examples as generated

CLASSES = (*KINDS, "escalate")
ORDINARY = Path(__file__).resolve().parent.parent / "kb" / "demo" / "faq.jsonl"


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    labels: frozenset[str]
    text: str
    where: str  # file:line


@dataclass(frozen=True)
class Score:
    """Counts and figures for one class."""

    name: str
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Of the messages flagged, the share that were right (1.0 when none was flagged)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Of the labelled messages, the share that were flagged (1.0 when none is labelled)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def read_set(path: Path) -> list[Example]:
    """Read a labelled set; a bad line is a ConfigError naming the file and line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        labels, tab, text = line.partition("\t")
        names = {x.strip() for x in labels.split(",") if x.strip()}
        if not tab or not text.strip() or not names or not names <= {*KINDS, "none"}:
            raise ConfigError(
                f"{path}:{n}: expected 'labels<TAB>text' with labels among "
                f"{', '.join((*KINDS, 'none'))}."
            )
        out.append(Example(frozenset(names - {"none"}), text.strip(), f"{path.name}:{n}"))
    return out


def evaluate(
    examples: list[Example], lex: Lexicon
) -> tuple[list[Score], list[tuple[Example, frozenset[str]]]]:
    """Scores per class, and the examples the rules got wrong (with what they found)."""
    counts = {c: [0, 0, 0] for c in CLASSES}
    wrong = []
    for ex in examples:
        found = assess(ex.text, lex).kinds
        for c in CLASSES:
            truth = bool(ex.labels) if c == "escalate" else c in ex.labels
            got = bool(found) if c == "escalate" else c in found
            if got and truth:
                counts[c][0] += 1
            elif got:
                counts[c][1] += 1
            elif truth:
                counts[c][2] += 1
        if found != ex.labels:
            wrong.append((ex, found))
    return [Score(c, *counts[c]) for c in CLASSES], wrong


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kefu triage eval`` and ``kefu triage train``."""
    triage = sub.add_parser("triage", help="complaint, hazard and anger detection")
    tsub = triage.add_subparsers(dest="triage_command", required=True)
    ev = tsub.add_parser("eval", help="precision and recall on labelled sets (labels<TAB>text)")
    ev.add_argument("files", nargs="+", type=Path)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--errors", action="store_true", help="list the messages misjudged")
    ev.add_argument(
        "--cross",
        action="store_true",
        help="score each file with a model trained on the other files only",
    )
    tr = tsub.add_parser("train", help="train the learned second opinion on labelled sets")
    tr.add_argument("files", nargs="+", type=Path)
    tr.add_argument("--out", type=Path, default=SHIPPED, help="default: the shipped model")
    tr.add_argument(
        "--ordinary",
        type=Path,
        default=ORDINARY,
        help="a knowledge base's JSON lines: its questions (but the safety category's) are "
        "ordinary messages (default: the demo knowledge base)",
    )


def _read_all(paths: list[Path]) -> list[list[Example]]:
    out = []
    for path in paths:
        try:
            out.append(read_set(path))
        except OSError as err:
            raise ConfigError(f"Cannot read {path}: {err.strerror}.") from err
    return out


def ordinary_questions(path: Path, safety_category: str) -> list[Example]:
    """A knowledge base's questions and similar questions, outside the safety category, as
    messages that are none of the kinds: the everyday requests ("我要退货", "I want a
    refund") the labelled sets have too few of."""
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror}.") from err
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row.get("category") == safety_category:
                continue
            texts = [row["question"], *row.get("similar", [])]
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise ConfigError(f"{path}:{n}: not a knowledge-base entry ({err}).") from err
        out += [Example(frozenset(), str(t).strip(), f"{path.name}:{n}") for t in texts]
    return [ex for ex in out if ex.text]


def fit(examples: Sequence[Example], ordinary: Sequence[Example] = ()) -> UrgencyModel:
    """The model trained on labelled examples, ordinary messages and the generated ones
    (:mod:`intake.urgency_templates`), read as the rules read them (the built-in product
    words blanked out)."""
    made = [Example(labels, text, "template") for text, labels in generated()]
    both = [*examples, *ordinary, *made]
    lex = lexicon()
    return train([masked(ex.text, lex) for ex in both], [ex.labels for ex in both])


def cross_evaluate(
    sets: list[list[Example]], lex: Lexicon, ordinary: Sequence[Example] = ()
) -> tuple[list[Score], list[tuple[Example, frozenset[str]]]]:
    """Each set scored with a model trained on the others (the words as configured), pooled:
    an estimate of the model on wording it was not trained on."""
    totals = {c: [0, 0, 0] for c in CLASSES}
    wrong = []
    for i, held in enumerate(sets):
        rest = [ex for j, other in enumerate(sets) if j != i for ex in other]
        scores, missed = evaluate(held, replace(lex, model=fit(rest, ordinary)))
        for sc in scores:
            totals[sc.name] = [
                a + b for a, b in zip(totals[sc.name], (sc.tp, sc.fp, sc.fn), strict=True)
            ]
        wrong += missed
    return [Score(c, *totals[c]) for c in CLASSES], wrong


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu triage eval`` (a table of precision and recall per class) or ``train``."""
    sets = _read_all(args.files)
    examples = [ex for one in sets for ex in one]
    ordinary = ordinary_questions(ORDINARY, settings.triage.safety_category)
    if args.triage_command == "train":
        if args.ordinary != ORDINARY:
            ordinary = ordinary_questions(args.ordinary, settings.triage.safety_category)
        fit(examples, ordinary).save(args.out)
        made = len(generated())
        print(
            f"trained on {len(examples)} labelled and {len(ordinary)} ordinary messages "
            f"(and {made} generated from templates)"
        )
        return 0
    lex = lexicon_for(settings.triage)
    if args.cross:
        if len(sets) < 2 or lex.model is None:
            raise ConfigError("--cross needs two sets or more and the model (builtin_words).")
        scores, wrong = cross_evaluate(sets, lex, ordinary)
    else:
        scores, wrong = evaluate(examples, lex)
    if args.json:
        print(
            json.dumps(
                {
                    "messages": len(examples),
                    "classes": {
                        s.name: {
                            "precision": round(s.precision, 4),
                            "recall": round(s.recall, 4),
                            "tp": s.tp,
                            "fp": s.fp,
                            "fn": s.fn,
                        }
                        for s in scores
                    },
                },
                indent=2,
            )
        )
    else:
        print(f"{len(examples)} messages")
        print(f"{'class':<10} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5}")
        for s in scores:
            print(
                f"{s.name:<10} {s.precision:>9.3f} {s.recall:>7.3f} {s.tp:>5} {s.fp:>5} {s.fn:>5}"
            )
    if args.errors:
        for ex, found in wrong:
            said = ",".join(sorted(found)) or "none"
            truth = ",".join(sorted(ex.labels)) or "none"
            print(f"{ex.where}\tlabel={truth}\tfound={said}\t{ex.text}", file=sys.stderr)
    return 0
