"""The ``kefu kb eval`` and ``kefu export kb`` commands (wired into core/cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from core.config import Settings
from core.db import Database, upgrade
from core.errors import ConfigError
from kb.authoring import Authoring
from kb.config_file import write_section
from kb.evaluation import MODE_HELP, MODES, calibrate, evaluate, report
from kb.exchange import render
from kb.service import KnowledgeBase


def add_arguments(kb_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``eval`` to the ``kefu kb`` subcommands."""
    ev = kb_sub.add_parser(
        "eval", help="measure search and answer decisions on a labelled question set"
    )
    ev.add_argument("directory", type=Path, help="corpus.jsonl + queries.jsonl (+ qrels.tsv)")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument(
        "--calibrate",
        action="store_true",
        help="choose the answer threshold from this set and write [kb] thresholds to the config",
    )
    ev.add_argument(
        "--mode",
        choices=(*MODES, "all"),
        default="all",
        help="; ".join(f"{k}: {v}" for k, v in MODE_HELP.items()) + "; all (default): each",
    )
    ev.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where eval vectors are cached (default ~/.cache/kefu/vectors); 'none' = off",
    )
    ev.add_argument(
        "--generate",
        action="store_true",
        help="also ask the [generation] model for every answered question whose entry has an "
        "answer, and report how often its reply kept to the entries (docs/quality.md)",
    )
    ev.add_argument(
        "--generate-limit",
        type=int,
        default=200,
        help="ask the model at most this many questions (default 200)",
    )


def add_export(exp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kb`` to the ``kefu export`` subcommands: the one KB export."""
    ex = exp_sub.add_parser(
        "kb", help="FAQ entries as CSV (UTF-8 with BOM, for Excel) or JSONL; '-' = stdout"
    )
    ex.add_argument("file", type=Path, help="where to write ('-' for standard output)")
    ex.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        default=None,
        help="default: jsonl for a .jsonl file, else csv",
    )
    ex.add_argument(
        "--status", choices=("published", "draft", "archived", "all"), default="published"
    )


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/kefu/vectors`` (or ``~/.cache/kefu/vectors``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kefu" / "vectors"


async def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu kb eval``; with --calibrate, write the thresholds to the config file."""
    modes = MODES if args.mode == "all" else (args.mode,)
    cache: Path | None = args.cache_dir or default_cache_dir()
    if args.cache_dir is not None and str(args.cache_dir) == "none":
        cache = None
    generator = None
    if args.generate:
        if not settings.generation.enabled:
            raise ConfigError(
                "kefu kb eval --generate needs [generation] base_url and model "
                "(or KEFU_GENERATION__BASE_URL and KEFU_GENERATION__MODEL)."
            )
        from kb.generation import Generator

        generator = Generator(settings.generation)
    try:
        data, results = await evaluate(
            args.directory,
            settings.kb,
            modes=modes,
            cache_dir=cache,
            generator=generator,
            generation=settings.generation,
            generate_limit=max(1, args.generate_limit),
        )
    finally:
        if generator is not None:
            await generator.close()
    body = report(data, results)
    if args.calibrate:
        fused = next((r for r in results if r.mode == "fused"), results[0])
        chosen = calibrate(fused, settings.kb)
        target = _config_path(settings)
        write_section(
            target,
            "kb",
            {
                "thresholds": "fixed",
                "answer_threshold": round(chosen.answer, 2),
                "clarify_threshold": round(chosen.clarify, 2),
            },
        )
        body["calibrated"] = {
            "answer_threshold": round(chosen.answer, 2),
            "clarify_threshold": round(chosen.clarify, 2),
            "written_to": str(target),
        }
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        _print_table(body)
    return 0


def _config_path(settings: Settings) -> Path:
    """The config file in use, else ./kefu.toml."""
    source = Path(settings.source) if settings.source not in ("", "defaults") else None
    return source if source is not None and source.suffix == ".toml" else Path("kefu.toml")


def _print_table(body: dict[str, object]) -> None:
    modes = body["modes"]
    assert isinstance(modes, dict)
    print(f"{body['set']}: {body['entries']} entries, {body['queries']} queries")
    keys = (
        "recall_at_1",
        "recall_at_5",
        "mrr_at_10",
        "answered_in_scope",
        "answer_precision",
        "refused_oos",
        "oos_auroc",
        "clarified",
        "clarify_hit_rate",
        "clarify_choices",
        "ms_per_query",
    )
    print("mode     " + " ".join(f"{k:>17}" for k in keys))
    for mode, m in modes.items():
        cells = " ".join(f"{m[k]:>17}" if k in m else f"{'-':>17}" for k in keys)
        print(f"{mode:<8} {cells}")
    if "calibrated" in body:
        print(f"calibrated: {json.dumps(body['calibrated'], ensure_ascii=False)}")
    gen = body.get("generation")
    if isinstance(gen, dict):
        print(
            f"generation ({body['mode']}): {gen['replies']} replies to {gen['asked']} answered "
            f"questions; kept_sentences {gen['kept_sentences']}, kept_replies "
            f"{gen['kept_replies']} (min_kept {gen['min_kept']}), named_right "
            f"{gen['named_right']}, {gen['seconds_per_reply']} s a reply; failures "
            f"{json.dumps(gen['failures'])}"
        )
    sys.stdout.flush()


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu export kb FILE``: the entries with the status, in a format that
    ``kefu import kb`` (CSV) and ``kefu kb ingest`` (both) read back."""
    fmt = args.format or ("jsonl" if args.file.suffix.lower() == ".jsonl" else "csv")
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        kb = KnowledgeBase(db, settings.kb, settings.data_path)  # not loaded: only its db
        records = await Authoring(kb).export(None if args.status == "all" else args.status)
    finally:
        await db.dispose()
    text = render(records, fmt)
    if str(args.file) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    # A BOM so that Excel reads a CSV's Chinese right (the readers skip it).
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    await asyncio.to_thread(args.file.write_text, text, encoding=encoding)
    print(f"exported {len(records)} kb entries to {args.file}", file=sys.stderr)
    return 0
