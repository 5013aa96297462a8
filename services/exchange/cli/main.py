"""The ``exchange`` command: ``dev`` (whole stack), ``api``, ``worker``, ``migrate``, ``import``
and ``user``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from services.exchange.settings import Settings


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _require(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("EXCHANGE_TEMPORAL_ADDRESS", settings.temporal_address),
            ("EXCHANGE_ADMIN_TOKEN", settings.admin_token),
        )
        if not value
    ]
    if missing:
        raise SystemExit(
            f"set {', '.join(missing)} (or use 'exchange dev' to run everything locally)"
        )


def cmd_api(settings: Settings) -> int:
    from services.exchange.cli.server import serve

    _require(settings)
    return serve(settings, migrate=os.environ.get("EXCHANGE_SKIP_MIGRATIONS") != "1")


def cmd_worker(settings: Settings) -> int:
    from temporalio.client import Client

    from services.exchange.storage.db import make_engine
    from services.exchange.storage.migrate import upgrade
    from workflows.worker import run_worker

    if not settings.temporal_address:
        raise SystemExit("set EXCHANGE_TEMPORAL_ADDRESS (or use 'exchange dev')")
    engine = make_engine(settings.resolved_database_url)
    if os.environ.get("EXCHANGE_SKIP_MIGRATIONS") != "1":
        upgrade(engine)

    async def _main() -> None:
        assert settings.temporal_address
        client = await Client.connect(
            settings.temporal_address, namespace=settings.temporal_namespace
        )
        await run_worker(client, settings, engine)

    try:
        asyncio.run(_main())
    finally:
        engine.dispose()
    return 0


def cmd_migrate(settings: Settings) -> int:
    from services.exchange.storage.db import make_engine
    from services.exchange.storage.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(make_engine(settings.resolved_database_url))
    print("database is at the latest schema")
    return 0


def cmd_dev(settings: Settings) -> int:
    from services.exchange.cli.devstack import run_dev

    return run_dev(settings)


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from services.exchange.cli.imports import run_import

    return run_import(
        settings,
        Path(args.file),
        exchange_id=args.exchange,
        dry_run=args.dry_run,
        commit=args.commit,
        encoding=args.encoding,
        api_url=os.environ.get("EXCHANGE_API_URL"),
        api_key=os.environ.get("EXCHANGE_API_KEY"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exchange", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run Temporal, a worker and the API on this machine")
    sub.add_parser("api", help="run the HTTP API (needs an external Temporal and database)")
    sub.add_parser("worker", help="run a Temporal worker (needs an external Temporal and database)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    importer = sub.add_parser("import", help="import a MARC file through the running service")
    importer.add_argument("file", help="MARC 21 or UNIMARC (ISO 2709), MARCXML or MARC-in-JSON")
    importer.add_argument("--exchange", metavar="ID", help="the exchange the records belong to")
    importer.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    importer.add_argument(
        "--commit",
        action="store_true",
        help="commit the staged records to the catalogue at once, as proposed (without it, "
        "they wait for a cataloguer's review)",
    )
    importer.add_argument(
        "--encoding",
        metavar="ENC",
        help="the character set of the file's ISO 2709 records, whatever they declare: utf-8, "
        "marc-8, iso-5426, cp1251, cp866, koi8-r or latin-1 (default: the --exchange "
        "partner's marc_encoding, else told from each record)",
    )
    user = sub.add_parser("user", help="manage the people who sign in to the web pages")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a user (asks for the password)")
    add.add_argument("username")
    add.add_argument(
        "--role",
        required=True,
        choices=["admin", "acquisitions", "cataloguer", "partner"],
        help="staff role, or partner for a partner library's user",
    )
    add.add_argument("--partner", metavar="CODE", help="the partner library (partner users)")
    add.add_argument("--name", help="the name shown on the pages")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--email", help="where their notices are e-mailed (staff)")
    add.add_argument("--language", choices=["en", "id"], help="the language of those e-mails")
    email = user_sub.add_parser("email", help="where a staff user's notices are e-mailed")
    email.add_argument("username")
    email.add_argument("--email", help="the address (left out: they get no e-mails)")
    email.add_argument("--language", choices=["en", "id"], help="the language (default: en)")
    password = user_sub.add_parser("password", help="set a new password (ends their sessions)")
    password.add_argument("username")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    disable = user_sub.add_parser("disable", help="stop a user signing in (ends their sessions)")
    disable.add_argument("username")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "import":
        return cmd_import(settings, args)
    if args.command == "user":
        from services.exchange.cli.users import run_user_command

        return run_user_command(settings, args)
    _logging()
    commands = {"dev": cmd_dev, "api": cmd_api, "worker": cmd_worker, "migrate": cmd_migrate}
    return commands[args.command](settings)


if __name__ == "__main__":
    sys.exit(main())
