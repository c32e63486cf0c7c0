"""``kefu email check``: validate every email inbox and try its IMAP and SMTP connections."""

from __future__ import annotations

import argparse

from channels.email.check import check_connections
from channels.email.config import validate
from core.config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``kefu email check [--inbox NAME]``."""
    sub = parser.add_subparsers(dest="email_command", required=True)
    check = sub.add_parser("check", help="log in to each email inbox's IMAP and SMTP servers")
    check.add_argument("--inbox", help="only this inbox")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print one line per check; exit 1 when any failed."""
    inboxes = [i for i in settings.inboxes_of("email") if args.inbox in (None, i.name)]
    if not inboxes:
        print("no email inbox configured / 未配置邮件收件箱")
        return 1
    failed = False
    for inbox in inboxes:
        cfg = validate(inbox)
        results = await check_connections(cfg)
        if not results:
            print(f"[[inboxes]] {cfg.name}: no imap_url or smtp_url to check / 无可检查的连接")
        for r in results:
            failed = failed or not r.ok
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.what}: {r.detail}")
    return 1 if failed else 0
