"""``python -m bench urgency``: the cost of the complaint, hazard and anger check per message.

The bot runs ``intake.urgency.assess`` on every message, on the event loop's thread, so its
cost is paid by every turn. This times it over ``--messages`` texts (default 2,000): every
labelled message of ``tests/intake/urgency_sets`` first, then the demo knowledge base's
questions (everyday requests, the usual case), in file order. Each of ``--rounds`` rounds
scores all of them once; the report gives CPU µs a message for the best and the median round
(the best is the least disturbed by other work on a shared machine). To compare two versions,
run both in turn with ``PYTHONPATH`` pointing at each and read the ratio.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from bench.common import ROOT, Report, parser

SETS = ROOT / "tests" / "intake" / "urgency_sets"
FAQ = ROOT / "kb" / "demo" / "faq.jsonl"


def messages(limit: int) -> list[str]:
    """The labelled messages, then the demo questions, up to ``limit``."""
    out: list[str] = []
    for path in sorted(SETS.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#") and "\t" in line:
                out.append(line.split("\t", 1)[1])
    for line in FAQ.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out += [row["question"], *row.get("similar", [])]
    return out[:limit]


def main(argv: list[str]) -> int:
    """Run the urgency bench with ``argv`` options."""
    from core.config import Settings
    from intake.triage import lexicon_for
    from intake.urgency import assess

    p = parser("urgency", __doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=2000, help="texts scored a round (2000)")
    p.add_argument("--rounds", type=int, default=9, help="rounds (9)")
    p.add_argument("--clients", type=int, default=1, help="(ignored: one thread)")
    p.add_argument("--duration", type=float, default=None, help="(ignored)")
    p.add_argument("--entries", default="", help="(ignored)")
    args = p.parse_args(argv)
    report = Report("urgency", args, argv)
    texts = messages(args.messages)
    lex = lexicon_for(Settings().triage)
    flagged = sum(bool(assess(t, lex).kinds) for t in texts)  # warm: compiles, loads the model
    per_round = []
    for _ in range(args.rounds):
        start = time.process_time()
        for text in texts:
            assess(text, lex)
        per_round.append((time.process_time() - start) / len(texts) * 1e6)
    import intake.urgency

    result = {
        "messages": len(texts),
        "flagged": flagged,
        "best_us": round(min(per_round), 1),
        "median_us": round(statistics.median(per_round), 1),
        "module": str(Path(intake.urgency.__file__).resolve().parent),
    }
    report.line(
        f"{len(texts)} messages, {flagged} flagged: best {result['best_us']} µs, "
        f"median {result['median_us']} µs a message (CPU)"
    )
    report.finish(result, ["messages", "best_us", "median_us"])
    return 0
