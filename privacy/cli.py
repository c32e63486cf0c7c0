"""``kefu admin export-contact ID`` and ``kefu admin erase-contact ID --reason ...``."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from core.attachments import AttachmentStore
from core.config import Settings
from core.db import Database
from privacy import trail

COMMANDS = ("export-contact", "erase-contact", "retention")


def add_arguments(admin_sub: Any) -> None:
    """The two commands on ``kefu admin``'s subparsers."""
    ex = admin_sub.add_parser(
        "export-contact", help="write everything kefu holds about one customer to a zip"
    )
    ex.add_argument("contact_id", type=int)
    ex.add_argument("--output", type=Path, help="default: ./contact-<ID>.zip")
    er = admin_sub.add_parser(
        "erase-contact", help="erase one customer's personal data (keeps anonymous report data)"
    )
    er.add_argument("contact_id", type=int)
    er.add_argument("--reason", required=True, help="why (e.g. the customer's request number)")
    rt = admin_sub.add_parser(
        "retention", help="empty what [privacy] retention says is past its time (daily job)"
    )
    rt.add_argument("--dry-run", action="store_true", help="print what would go, change nothing")
    rt.add_argument("--json", action="store_true", help="print JSON")


def _actor() -> trail.Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return trail.Actor(None, f"cli:{user}", "local")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of the commands; errors surface as KefuError (exit code 2)."""
    from core.db import upgrade
    from core.security import load_or_create_secret
    from privacy.service import Privacy  # the knowledge base's modules: only when needed

    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        privacy = Privacy(
            db,
            AttachmentStore(settings.data_path / "attachments"),
            settings,
            load_or_create_secret(settings.server.secret_key, settings.data_path),
        )
        if args.admin_command == "retention":
            return await _retention(args, settings, db, privacy.store)
        if args.admin_command == "export-contact":
            target = args.output or Path(f"contact-{args.contact_id}.zip")
            size = await privacy.export_file(args.contact_id, target, _actor())
            print(f"exported contact {args.contact_id} to {target} ({size} bytes)")
            return 0
        result = await privacy.erase(args.contact_id, args.reason, _actor())
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        if result.backups:
            print(
                "these backups were made before the erasure and still hold the customer's "
                "data: " + ", ".join(result.backups),
                file=sys.stderr,
            )
        return 0
    finally:
        await db.dispose()


async def _retention(
    args: argparse.Namespace, settings: Settings, db: Database, store: AttachmentStore
) -> int:
    from privacy import retention

    if args.dry_run:
        result = await retention.plan(db, settings)
    else:
        result = await retention.apply(db, store, settings)
    if args.json:
        print(json.dumps([p.to_json() for p in result], ensure_ascii=False, indent=2))
        return 0
    verb = "would empty" if args.dry_run else "emptied"
    if not result:
        print("no [privacy] retention rule applies to any inbox")
    for p in result:
        print(
            f"{p.inbox}: {verb} {len(p.conversations)} resolved conversations "
            f"(older than {p.conversation_days or '-'} days) and the attachments of "
            f"{len(p.attachment_messages)} messages (older than {p.attachment_days or '-'} days)"
        )
    return 0
