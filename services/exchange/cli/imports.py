"""``exchange import FILE``: upload a MARC file to the running service and watch it import.

It talks to the API like any client (``EXCHANGE_API_URL``, ``EXCHANGE_API_KEY``; on the dev
stack the staff key from the data directory is used), so the import runs in the workers and
shows the same report as the web pages. The file is staged, as every upload is; ``--commit``
then commits it as proposed (it is refused while a multi-match waits for a cataloguer).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

import httpx

import marc
from services.exchange.settings import Settings

_BAR = 30


def _key(settings: Settings, given: str | None) -> str:
    if given:
        return given
    if settings.admin_token:
        return settings.admin_token
    if settings.admin_token_file.exists():
        return settings.admin_token_file.read_text().strip()
    raise SystemExit("set EXCHANGE_API_KEY (a staff key with the cataloguer role)")


def _bar(batch: dict[str, Any]) -> str:
    progress = batch["progress"]
    done, expected = progress["processed"], progress["expected_total"]
    rate, eta = progress["records_per_second"], progress["eta_seconds"]
    if expected:
        filled = min(_BAR, int(_BAR * done / max(expected, 1)))
        bar = "#" * filled + "." * (_BAR - filled)
        text = f"[{bar}] {done:,}/{expected:,} records"
    else:
        text = f"{done:,} records"
    if rate:
        text += f"  {rate:,.0f}/s"
    if eta is not None and batch["state"] == "staging":
        text += f"  about {eta:,.0f} s left"
    return text


def run_import(
    settings: Settings,
    path: Path,
    *,
    exchange_id: str | None,
    dry_run: bool,
    api_url: str | None,
    api_key: str | None,
    encoding: str | None = None,
    commit: bool = False,
    out: TextIO = sys.stdout,
    poll_seconds: float = 0.5,
) -> int:
    """Upload ``path`` and follow its import; ``encoding`` (``--encoding``) is the character
    set its ISO 2709 records are read in, checked here so a typo costs no upload."""
    if encoding is not None and encoding not in marc.TEXT_ENCODINGS:
        print(
            f"--encoding {encoding}: not a character set the service knows; name one of "
            f"{', '.join(marc.TEXT_ENCODINGS)}",
            file=out,
        )
        return 2
    base = (api_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    headers = {"Authorization": f"Bearer {_key(settings, api_key)}"}
    params = {"dry_run": str(dry_run).lower()}
    if encoding is not None:
        params["encoding"] = encoding
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http, path.open("rb") as f:
        r = http.post(
            "/api/v1/marc-batches",
            params=params,
            data={"exchange_id": exchange_id} if exchange_id else {},
            files={"file": (path.name, f)},
        )
        if r.status_code != 202:
            problem = r.json() if r.headers.get("content-type", "").endswith("json") else {}
            print(f"refused ({r.status_code}): {problem.get('detail', r.text)}", file=out)
            return 1
        batch_id = r.json()["batch_id"]
        print(f"batch {batch_id}{' (dry run)' if dry_run else ''}", file=out)
        while True:
            batch = http.get(f"/api/v1/marc-batches/{batch_id}").json()
            print("\r" + _bar(batch), end="", file=out, flush=True)
            if batch["state"] != "staging":
                break
            time.sleep(poll_seconds)
        if commit and not dry_run and batch["state"] == "staged":
            r = http.post(f"/api/v1/marc-batches/{batch_id}/commit")
            if r.status_code != 202:
                print(f"\ncommit refused ({r.status_code}): {r.json().get('detail')}", file=out)
                return 1
            while batch["state"] == "committing" or batch["state"] == "staged":
                time.sleep(poll_seconds)
                batch = http.get(f"/api/v1/marc-batches/{batch_id}").json()
    print(file=out)
    counts = batch["counts"]
    verb = "" if batch["state"] == "committed" else "would be "
    print(
        f"{batch['state']}: {batch['total']:,} records; {verb}created {counts['created']:,}, "
        f"{verb}merged {counts['merged']:,}, multi-matches {counts['multi_matches']:,}, "
        f"duplicates {counts['duplicates']:,}, rejected {counts['rejected']:,}, "
        f"encoding suspects {counts['encoding_suspects']:,}",
        file=out,
    )
    print(f"character set: {batch['encoding'] or 'told from each record'}", file=out)
    for rejected in batch["rejected"][:10]:
        print(f"  record {rejected['index']}: {rejected['reason']}", file=out)
    if len(batch["rejected"]) > 10:
        print(f"  … {len(batch['rejected']) - 10} more in the report", file=out)
    print(f"report: {base}/api/v1/marc-batches/{batch_id}/outcomes.csv", file=out)
    if batch["state"] == "staged" and not dry_run:
        print(
            f"staged: nothing is in the catalogue yet; review it at {base}/batches/{batch_id}, "
            "or commit it as proposed: exchange import … --commit",
            file=out,
        )
    if batch["error"]:
        print(f"error: {batch['error']}", file=out)
    return 0 if batch["state"] in ("staged", "committed") else 1
