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
from core.db import Database, upgrade
from core.security import load_or_create_secret
from privacy import trail
from privacy.service import Privacy

COMMANDS = ("export-contact", "erase-contact")


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


def _actor() -> trail.Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return trail.Actor(None, f"cli:{user}", "local")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of the commands; errors surface as KefuError (exit code 2)."""
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        privacy = Privacy(
            db,
            AttachmentStore(settings.data_path / "attachments"),
            settings,
            load_or_create_secret(settings.server.secret_key, settings.data_path),
        )
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
