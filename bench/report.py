"""The benchmark's arithmetic and output, without Django or wrk (tested in tests/bench/).

wrk runs ``bench/wrk/*.lua``, whose ``done()`` prints one line
``BENCH_JSON {"requests": ..., "duration_us": ..., "p50_us": ..., ...}``. This module
reads that line, turns it into a result row, adds each row's ratio to the bare
endpoint's p95 *of the same run and cohort size*, prints the table and checks the
targets of issue 10.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

BARE = "bare"
MARKER = "BENCH_JSON "
# Targets at the largest cohort (issue 10).
PER_PATIENT_RATIO = 8.0
DASHBOARD_RATIO = 30.0
GROWTH_RATIO = 1.3
DASHBOARD = "dashboard"
# Pages judged against the dashboard's ratio; every other page but "bare" is a
# per-patient page or POST.
WIDE_PAGES = frozenset({DASHBOARD})


class WrkOutputError(ValueError):
    """wrk's output held no (or a broken) BENCH_JSON line: the run cannot be trusted."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_us: int
    p50_us: float
    p95_us: float
    p99_us: float
    errors: int  # non-2xx/3xx answers + connect, read, write errors and time-outs

    @property
    def rps(self) -> float:
        return self.requests / (self.duration_us / 1_000_000) if self.duration_us else 0.0


def parse_wrk_output(text: str) -> WrkResult:
    """The last BENCH_JSON line of wrk's standard output."""
    lines = [line for line in text.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise WrkOutputError("no BENCH_JSON line in wrk's output")
    try:
        data = json.loads(lines[-1][len(MARKER) :])
        errors = data["errors"]
        return WrkResult(
            requests=int(data["requests"]),
            duration_us=int(data["duration_us"]),
            p50_us=float(data["p50_us"]),
            p95_us=float(data["p95_us"]),
            p99_us=float(data["p99_us"]),
            errors=int(
                errors["status"]
                + errors["connect"]
                + errors["read"]
                + errors["write"]
                + errors["timeout"]
            ),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise WrkOutputError(f"unreadable BENCH_JSON line: {exc}") from exc


@dataclass
class Row:
    page: str
    patients: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    errors: int
    queries: int | None
    ratio_p95_to_bare: float | None = None


def row(page: str, patients: int, result: WrkResult, queries: int | None) -> Row:
    return Row(
        page=page,
        patients=patients,
        p50_ms=round(result.p50_us / 1000, 2),
        p95_ms=round(result.p95_us / 1000, 2),
        p99_ms=round(result.p99_us / 1000, 2),
        rps=round(result.rps, 1),
        errors=result.errors,
        queries=queries,
    )


def add_ratios(rows: Iterable[Row]) -> list[Row]:
    """Each row's p95 divided by the bare row's p95 at the same cohort size."""
    rows = list(rows)
    bare = {r.patients: r.p95_ms for r in rows if r.page == BARE}
    for r in rows:
        base = bare.get(r.patients)
        r.ratio_p95_to_bare = round(r.p95_ms / base, 2) if base else None
    return rows


def to_json(rows: Iterable[Row], meta: dict | None = None) -> str:
    document = {"runs": [asdict(r) for r in rows]}
    if meta:
        document["meta"] = meta
    return json.dumps(document, indent=2) + "\n"


def write_json(path: Path, rows: Iterable[Row], meta: dict | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(to_json(rows, meta))
    tmp.replace(path)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


COLUMNS = ("page", "patients", "p50_ms", "p95_ms", "p99_ms", "rps", "errors", "queries")


def table(rows: Iterable[Row]) -> str:
    """A plain-text (and Markdown) table, one line per page and cohort size."""
    header = [*COLUMNS, "x bare p95"]
    body = [
        [_cell(getattr(r, name)) for name in COLUMNS] + [_cell(r.ratio_p95_to_bare)] for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])


def check_targets(rows: Iterable[Row]) -> list[str]:
    """Every missed target of issue 10, as sentences (empty: all met).

    At the largest cohort: per-patient pages and POSTs p95 <= 8x bare, the dashboard
    <= 30x; every page's p95 grows at most 1.3x from the smallest to the largest
    cohort; no errors anywhere; the same query count at every size."""
    rows = list(rows)
    if not rows:
        return ["no results"]
    sizes = sorted({r.patients for r in rows})
    small, large = sizes[0], sizes[-1]
    by = {(r.page, r.patients): r for r in rows}
    missed = []
    for r in rows:
        if r.errors:
            missed.append(f"{r.page} at {r.patients}: {r.errors} errors")
    for page in dict.fromkeys(r.page for r in rows):
        big = by.get((page, large))
        if big is None:
            continue
        if page != BARE and big.ratio_p95_to_bare is not None:
            limit = DASHBOARD_RATIO if page in WIDE_PAGES else PER_PATIENT_RATIO
            if big.ratio_p95_to_bare > limit:
                missed.append(
                    f"{page} at {large}: p95 {big.ratio_p95_to_bare:.2f}x bare "
                    f"(target <= {limit:g}x)"
                )
        first = by.get((page, small))
        if first is not None and large != small and first.p95_ms:
            growth = big.p95_ms / first.p95_ms
            if growth > GROWTH_RATIO:
                missed.append(
                    f"{page}: p95 grows {growth:.2f}x from {small} to {large} patients "
                    f"(target <= {GROWTH_RATIO:g}x)"
                )
        counts = {by[(page, s)].queries for s in sizes if (page, s) in by}
        if len(counts) > 1:
            missed.append(f"{page}: query counts differ by size ({sorted(counts, key=str)})")
    return missed


def rows_from_json(text: str) -> list[Row]:
    return [Row(**run) for run in json.loads(text)["runs"]]


def main(argv: list[str]) -> int:
    """``python -m bench.report [bench/results/latest.json]``: the table and the misses."""
    path = Path(argv[0]) if argv else Path(__file__).parent / "results" / "latest.json"
    rows = rows_from_json(path.read_text())
    print(table(rows))
    missed = check_targets(rows)
    print("\nTargets missed:" if missed else "\nAll targets met.")
    for line in missed:
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
