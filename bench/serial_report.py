"""The serial benchmark's measurements and its tables (``bench.serials`` takes them)."""

from __future__ import annotations

import argparse
import os
import statistics
from dataclasses import dataclass, field

from bench.serial_claim_day import ClaimDay
from bench.serial_year import YearHistory
from services.exchange.cli.server import worker_count
from services.exchange.settings import Settings


@dataclass
class Load:
    label: str
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass
class Histories:
    """What the server holds for a set of runs: per run, open timers, events, tasks, signals."""

    timers: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)
    signals: list[int] = field(default_factory=list)


def mean(values: list[int]) -> float:
    return statistics.fmean(values) if values else 0.0


def report(
    args: argparse.Namespace,
    database_url: str,
    year: int,
    load_before: float,
    load_after: float,
    rows: list[tuple[str, int, float, str]],
    setup: Histories,
    bare0: Histories,
    bare1: Histories,
    ours: Load,
    bare: Load,
    after: Histories,
    settled: float,
    years: list[YearHistory],
    claims: ClaimDay | None,
) -> None:
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"\n{backend}, file-backed dev server: {args.titles} monthly titles of {args.partners} "
        f"partners set up for {year}, concurrency {args.concurrency}; {os.cpu_count()} CPUs, "
        f"{worker_count(Settings())} API process(es); load average {load_before:.1f} before, "
        f"{load_after:.1f} after\n"
    )
    print("| setting up a year | titles | seconds | titles/s | |")
    print("|---|---:|---:|---:|---|")
    for label, n, seconds, note in rows:
        print(f"| {label} | {n} | {seconds:.1f} | {n / seconds:.0f} | {note} |")
    print("\n| what the server holds (per run, mean; max) | timers | events | workflow tasks |")
    print("|---|---:|---:|---:|")
    for label, h in (
        ("title, its year set up", setup),
        (f"title, after {len(ours.latencies)} check-ins", after),
        ("bare: start, timer", bare0),
        ("bare: start, activity, timer", bare1),
    ):
        print(
            f"| {label} | {mean(h.timers):.2f}; {max(h.timers)} | {mean(h.events):.1f}; "
            f"{max(h.events)} | {mean(h.tasks):.1f}; {max(h.tasks)} |"
        )
    signals = sum(after.signals)
    per_check_in = (sum(after.events) - sum(setup.events)) / max(signals, 1)
    tasks_per = (sum(after.tasks) - sum(setup.tasks)) / max(signals, 1)
    print(
        f"\ntimers held: {sum(setup.timers)} for {args.titles} titles after the setup, "
        f"{sum(after.timers)} after the check-ins; signals in the histories: {signals} "
        f"(check-ins: {len(ours.latencies)}); per check-in {per_check_in:.1f} events, "
        f"{tasks_per:.1f} workflow tasks; every run asleep again {settled:.1f} s after the "
        "last check-in\n"
    )
    print("| endpoint | requests | per second | p50 ms | p99 ms | rate / bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for one in (ours, bare):
        print(
            f"| {one.label} | {len(one.latencies)} | {one.rate:.0f} | {one.pct(0.5):.1f} "
            f"| {one.pct(0.99):.1f} | {one.rate / bare.rate:.2f} |"
        )
    if years:
        print(
            f"\n| a whole title-year ({year}, time-skipping server, real worker) | runs "
            "| events | workflow tasks | timers | activities | signals | notices (children) |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for kind in ("late", "on time"):
            runs = [y for y in years if y.kind == kind]
            if not runs:
                continue
            what = (
                "late: issues 1-2 received, the rest claimed twice"
                if kind == "late"
                else "on time: each issue received on its day (a signal each)"
            )
            print(
                f"| {what} | {len(runs)} | {max(r.events for r in runs)} "
                f"| {max(r.workflow_tasks for r in runs)} | {max(r.timers for r in runs)} "
                f"| {max(r.activities for r in runs)} | {max(r.signals for r in runs)} "
                f"| {max(r.children for r in runs)} |"
            )
        print(
            "(largest run of each kind; every run ended: "
            + ", ".join(sorted({y.state for y in years}))
            + ")"
        )
    if claims is not None:
        print(
            f"\nclaim day {claims.day}: {claims.titles} runs restarted in "
            f"{claims.restart_seconds:.1f} s with their clocks set to wake at one instant; "
            f"{claims.claims} claims written {claims.written_seconds:.1f} s after it "
            f"({claims.claims / claims.written_seconds:.0f}/s), every run asleep again (its "
            f"delivery workflow ended) after {claims.asleep_seconds:.1f} s"
        )
