"""The ``kefu`` command line: serve, db, check-config, kb, admin."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Each package declares its kefu.toml sections next to its code; importing its settings
# module registers them with core/config.py. A new package with settings adds one line here
# (a channel's section is named on its line of channels/registry.py).
import api.settings
import bot.settings
import channels.registry
import handoff.settings
import intake.settings
import kb.settings
import privacy.settings
from core.config import Settings, describe, load_settings
from core.errors import KefuError
from core.logs import configure_logging

SETTINGS_MODULES = (
    api.settings,
    bot.settings,
    channels.registry,
    handoff.settings,
    intake.settings,
    kb.settings,
    privacy.settings,
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kefu", description="kefu (客服): after-sales service bot")
    p.add_argument("--config", help="path to kefu.toml (default: ./kefu.toml or $KEFU_CONFIG)")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server (applies pending migrations first)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--demo",
        action="store_true",
        help="ingest the demo KB when empty and create the demo agent",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes on the same port (default [workers] count); "
        "more than 1 needs PostgreSQL and Redis",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply pending migrations")

    sub.add_parser("check-config", help="validate the configuration and print it (no secrets)")

    kb = sub.add_parser("kb", help="knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    ingest = kb_sub.add_parser("ingest", help="ingest FAQ entries from JSONL or CSV files")
    ingest.add_argument("files", nargs="+", type=Path)
    query = kb_sub.add_parser("query", help="search the KB and show the bot's decision")
    query.add_argument("text")
    query.add_argument("--json", action="store_true", help="print JSON")
    query.add_argument("-k", type=int, default=None, help="number of hits")
    query.add_argument("--language", choices=("zh", "en"), default=None)
    from kb.commands import add_arguments as add_kb_commands

    add_kb_commands(kb_sub)

    imp = sub.add_parser("import", help="bring customers, tickets or FAQ in from CSV/xlsx")
    imp_sub = imp.add_subparsers(dest="import_command", required=True)
    from intake.imports.commands import add_arguments as add_import_commands
    from kb.imports import add_arguments as add_kb_import

    add_import_commands(imp_sub)
    add_kb_import(imp_sub)
    exp = sub.add_parser("export", help="write customers, tickets or FAQ as CSV (UTF-8, BOM)")
    exp_sub = exp.add_subparsers(dest="kind", required=True)
    for kind in ("customers", "tickets"):
        exp_sub.add_parser(kind, help=f"{kind} as CSV").add_argument("file", type=Path)
    from kb.commands import add_export as add_kb_export

    add_kb_export(exp_sub)

    admin = sub.add_parser("admin", help="administration")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    ca = admin_sub.add_parser("create-agent", help="create an agent account")
    ca.add_argument("--email", required=True)
    ca.add_argument("--name", default="")
    ca.add_argument("--password", help="default: asked on the terminal (or $KEFU_AGENT_PASSWORD)")
    ca.add_argument("--role", choices=("agent", "supervisor", "admin"), default="agent")
    from core.backup import add_arguments as add_backup_commands

    add_backup_commands(admin_sub)
    from privacy.cli import add_arguments as add_privacy_commands

    add_privacy_commands(admin_sub)

    from intake.urgency_eval import add_arguments as add_triage_commands

    add_triage_commands(sub)

    from channels.registry import CLI_COMMANDS

    for name, module in CLI_COMMANDS.items():
        ext = sub.add_parser(name, help=f"{name} channel tools")
        importlib.import_module(module).add_arguments(ext)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kefu`` console script."""
    args = _parser().parse_args(argv)
    try:
        overrides: dict[str, dict[str, Any]] = {}
        if args.command == "serve":
            server = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
            if server:
                overrides["server"] = server
            if args.workers is not None:
                overrides["workers"] = {"count": args.workers}
        settings = load_settings(args.config, overrides=overrides)
        configure_logging(settings)  # text or JSON, personal data and secrets masked
        return _run(args, settings)
    except KefuError as err:
        print(f"kefu: {err.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return _serve(settings, demo=args.demo)
    if args.command == "db":
        from core.db import upgrade_sync

        upgrade_sync(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "check-config":
        from channels.registry import validate_inboxes
        from intake.ticket_types import parse_type_line
        from intake.warranty import parse_rules

        validate_inboxes(settings)
        # Lines in a small language of their own: checked here as kefu serve would read them.
        parse_rules(settings.workorders.warranty_rules)
        for line in settings.workorders.ticket_types:
            parse_type_line(line)
        print(f"configuration OK (from {settings.source})")
        print(json.dumps(describe(settings), indent=2, ensure_ascii=False))
        return 0
    if args.command == "kb":
        return asyncio.run(_kb(args, settings))
    if args.command == "admin" and args.admin_command in ("backup", "restore"):
        from core.backup import run as run_backup

        return run_backup(args, settings)
    from privacy.cli import COMMANDS as PRIVACY_COMMANDS

    if args.command == "admin" and args.admin_command in PRIVACY_COMMANDS:
        from privacy.cli import run as run_privacy

        return asyncio.run(run_privacy(args, settings))
    if args.command == "admin":
        return asyncio.run(_admin(args, settings))
    if args.command == "triage":
        from intake.urgency_eval import run as run_triage

        return run_triage(args, settings)
    if args.command in ("import", "export"):
        return asyncio.run(_import_export(args, settings))
    from channels.registry import CLI_COMMANDS

    module = importlib.import_module(CLI_COMMANDS[args.command])
    return int(asyncio.run(module.run(args, settings)))


def _serve(settings: Settings, *, demo: bool) -> int:
    from aiohttp import web

    from channels.registry import validate_inboxes
    from core.workers import Supervisor, check_workers

    validate_inboxes(settings)
    workers = settings.workers.count
    check_workers(settings, workers)
    url = settings.public_url
    lines = [
        "",
        f"kefu is running on {url}" + (f" ({workers} workers)" if workers > 1 else ""),
        f"  web chat demo (widget): {url}/",
        f"  agent console:          {url}/agent/",
    ]
    if workers > 1:  # the parent stays light: core.app is imported in the workers only
        return Supervisor(settings, workers, demo=demo).run("\n".join(lines) + "\n")
    from core.app import DEMO_AGENT, create_app

    if demo:
        lines.append(f"  demo agent login:       {DEMO_AGENT[0]} / {DEMO_AGENT[2]}")

    from core.workers import use_fast_loop

    logging.getLogger(__name__).info("event loop: %s", use_fast_loop())
    app = create_app(settings, demo=demo)

    async def announce(_app: web.Application) -> None:
        print("\n".join(lines) + "\n", flush=True)

    app.on_startup.append(announce)
    web.run_app(
        app,
        host=settings.server.host,
        port=settings.server.port,
        print=None,
        shutdown_timeout=15,
        access_log=None,
    )
    return 0


async def _kb(args: argparse.Namespace, settings: Settings) -> int:
    if args.kb_command == "eval":  # a temporary KB: the real one is not opened
        from kb.commands import run_eval

        return await run_eval(args, settings)
    from core.db import Database, upgrade
    from kb.ingest import read_entries
    from kb.service import KnowledgeBase

    db = Database(settings.database_url)
    await upgrade(settings.database_url)
    kb = KnowledgeBase(db, settings.kb, settings.data_path)
    try:
        await kb.load()
        if args.kb_command == "ingest":
            total, failed = 0, 0
            for path in args.files:
                entries, errors = read_entries(path)
                for err in errors:
                    print(f"{path}: {err.message}", file=sys.stderr)
                failed += len(errors)
                total += await kb.ingest(entries)
            print(
                f"ingested {total} entries ({failed} rows skipped); "
                f"the knowledge base has {await kb.count()} entries"
            )
            return 1 if failed and not total else 0
        result = await kb.search(args.text, language=args.language, k=args.k)
        if args.json:
            print(
                json.dumps(
                    {
                        "decision": result.decision,
                        "confidence": round(result.confidence, 4),
                        "hits": [
                            {
                                "id": h.entry_id,
                                "score": round(h.score, 4),
                                "dense": round(h.dense, 4),
                                "lexical": round(h.lexical, 4),
                                "language": h.language,
                                "category": h.category,
                                "question": h.question,
                                "answer": h.answer,
                            }
                            for h in result.hits
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            print(f"decision: {result.decision} (confidence {result.confidence:.3f})")
            for i, h in enumerate(result.hits, 1):
                print(
                    f"{i}. [{h.score:.3f} dense {h.dense:.3f} bm25 {h.lexical:.3f}] "
                    f"{h.entry_id}: {h.question}"
                )
            if result.decision == "answer" and result.hits:
                print(f"\nanswer: {result.hits[0].answer}")
        return 0
    finally:
        await kb.close()
        await db.dispose()


async def _import_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "import" and args.import_command == "kb":
        from kb.imports import run_import as run_kb_import

        return await run_kb_import(args, settings)
    if args.command == "import":
        from intake.imports.commands import run_import

        return await run_import(args, settings)
    if args.kind != "kb":
        from intake.imports.commands import run_export

        return await run_export(args.kind, args, settings)
    from kb.commands import run_export as run_kb_export

    return await run_kb_export(args, settings)


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    import os

    from core.db import Database, upgrade
    from handoff.auth import create_agent

    password = args.password or os.environ.get("KEFU_AGENT_PASSWORD")
    if not password:
        password = getpass.getpass("password for the new agent: ")
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        agent = await create_agent(db, args.email, args.name, password, role=args.role)
        print(f"created agent {agent.email} ({agent.role}), id {agent.id}")
        return 0
    finally:
        await db.dispose()


if __name__ == "__main__":
    sys.exit(main())
