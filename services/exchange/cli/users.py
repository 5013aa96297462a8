"""``exchange user add|password|disable``: accounts for the pages, made on the server."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from services.exchange.service import users
from services.exchange.settings import Settings
from services.exchange.storage.db import make_engine
from services.exchange.storage.migrate import upgrade


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the two passwords differ")
    return first


def _set_email(engine: Engine, args: argparse.Namespace) -> int:
    try:
        found = users.set_notice_address(engine, args.username, args.email, args.language)
    except users.UserError as exc:
        print(f"exchange user email: {exc}", file=sys.stderr)
        return 2
    if not found:
        print(f"exchange user email: there is no user {args.username}", file=sys.stderr)
        return 2
    where = f"to {args.email} ({args.language or 'en'})" if args.email else "nowhere"
    print(f"notices of {args.username} are e-mailed {where}")
    return 0


def run_user_command(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        if args.user_command == "add":
            try:
                user = users.add_user(
                    engine,
                    args.username,
                    _password(args.password_stdin),
                    args.role,
                    partner_code=args.partner,
                    display_name=args.name,
                    email=args.email,
                    language=args.language,
                )
            except users.UserError as exc:
                print(f"exchange user add: {exc}", file=sys.stderr)
                return 2
            where = f" for partner {args.partner}" if args.partner else ""
            print(f"user {user.username} ({user.role}{where}) created")
            return 0
        if args.user_command == "email":
            return _set_email(engine, args)
        if args.user_command == "password":
            try:
                changed = users.set_password(engine, args.username, _password(args.password_stdin))
            except users.UserError as exc:
                print(f"exchange user password: {exc}", file=sys.stderr)
                return 2
            if not changed:
                print(f"exchange user password: there is no user {args.username}", file=sys.stderr)
                return 2
            print(f"password of {args.username} changed; their sessions have ended")
            return 0
        if not users.disable_user(engine, args.username):
            print(f"exchange user disable: there is no user {args.username}", file=sys.stderr)
            return 2
        print(f"user {args.username} disabled; their sessions have ended")
        return 0
    finally:
        engine.dispose()
