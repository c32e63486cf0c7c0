"""``kefu import customers|tickets|products|list|rollback``, ``kefu export customers|tickets``."""

from __future__ import annotations

import argparse
import sys

from core.config import Settings
from core.db import Database, upgrade
from core.imports.commands import (
    add_batch_commands,
    add_file_options,
    options,
    print_result,
    run_batch_command,
)
from core.imports.runner import run
from intake.imports.contacts import id_channels
from intake.imports.customers import CustomerImport
from intake.imports.export import export_customers, export_tickets
from intake.imports.products import ProductImport
from intake.imports.tickets import TicketImport


def add_arguments(imp_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add customers, tickets, list and rollback to the ``kefu import`` subcommands."""
    add_file_options(
        imp_sub.add_parser(
            "customers",
            help="customers: name, phone, email, channel ids (column named after the channel), "
            "company, tier, note",
        )
    )
    add_file_options(
        imp_sub.add_parser(
            "tickets", help="tickets with their original numbers, times and customers"
        )
    )
    add_file_options(
        imp_sub.add_parser(
            "products",
            help="products customers own: phone or email, model, serial, category, purchase "
            "date, channel, order number, invoice, install address (docs/workorders.md)",
        )
    )
    add_batch_commands(imp_sub)


async def run_import(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``kefu import`` subcommand (kb excepted: see kb.imports)."""
    if args.import_command in ("list", "rollback"):
        return await run_batch_command(args, settings)
    opts = options(args)
    importer: CustomerImport | TicketImport | ProductImport
    if args.import_command == "customers":
        importer = CustomerImport(settings)
    elif args.import_command == "products":
        importer = ProductImport(settings)
    else:
        importer = TicketImport(settings)
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        result = await run(db, importer, args.file, opts)
    finally:
        await db.dispose()
    print_result(result, opts)
    return 0


async def run_export(kind: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run ``kefu export customers|tickets FILE``."""
    db = Database(settings.database_url)
    try:
        await upgrade(settings.database_url)
        if kind == "customers":
            ids = [c.name for c in id_channels(settings)]
            count = await export_customers(db, args.file, settings.sla.timezone, ids)
        else:
            count = await export_tickets(db, args.file, settings.sla.timezone)
    finally:
        await db.dispose()
    print(f"exported {count} {kind} to {args.file}", file=sys.stderr)
    return 0
