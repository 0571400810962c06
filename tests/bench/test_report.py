"""The benchmark's reading of wrk's output, its ratios, table, JSON and target checks."""

import json

import pytest

from bench import report


def wrk_output(**overrides) -> str:
    data = {
        "requests": 3000,
        "duration_us": 15_000_000,
        "p50_us": 4100,
        "p95_us": 9800,
        "p99_us": 15200,
        "max_us": 40000,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        "ran_out": 0,
    }
    data.update(overrides)
    return (
        "Running 15s test @ http://127.0.0.1:8000\n  2 threads and 5 connections\n"
        f"BENCH_JSON {json.dumps(data)}\n"
    )


def make_row(page, patients, p95_ms, queries=10, errors=0):
    return report.Row(
        page=page,
        patients=patients,
        p50_ms=p95_ms / 2,
        p95_ms=p95_ms,
        p99_ms=p95_ms * 2,
        rps=100.0,
        errors=errors,
        queries=queries,
    )


def test_parse_wrk_output_reads_the_done_line():
    result = report.parse_wrk_output(wrk_output())

    assert (result.requests, result.p95_us, result.errors) == (3000, 9800.0, 0)
    assert result.rps == 200.0


def test_parse_wrk_output_counts_every_kind_of_error():
    errors = {"connect": 1, "read": 2, "write": 3, "status": 4, "timeout": 5}

    result = report.parse_wrk_output(wrk_output(errors=errors))

    assert result.errors == 15


def test_parse_wrk_output_refuses_output_without_the_line():
    with pytest.raises(report.WrkOutputError, match="no BENCH_JSON"):
        report.parse_wrk_output("Running 15s test\nunable to connect to 127.0.0.1:8000\n")


def test_parse_wrk_output_refuses_a_broken_line():
    with pytest.raises(report.WrkOutputError, match="unreadable"):
        report.parse_wrk_output('BENCH_JSON {"requests": 1}\n')


def test_row_is_in_milliseconds():
    row = report.row("dashboard", 1000, report.parse_wrk_output(wrk_output()), 15)

    assert (row.p50_ms, row.p95_ms, row.p99_ms, row.rps, row.queries) == (
        4.1,
        9.8,
        15.2,
        200.0,
        15,
    )


def test_ratios_use_the_bare_row_of_the_same_cohort():
    rows = report.add_ratios(
        [
            make_row("bare", 1000, 2.0),
            make_row("dashboard", 1000, 10.0),
            make_row("bare", 100000, 4.0),
            make_row("dashboard", 100000, 10.0),
        ]
    )

    assert [r.ratio_p95_to_bare for r in rows] == [1.0, 5.0, 1.0, 2.5]


def test_json_has_one_run_per_page_and_size_with_the_issue_fields():
    rows = report.add_ratios([make_row("bare", 1000, 2.0), make_row("alert_inbox", 1000, 8.0)])

    document = json.loads(report.to_json(rows))

    assert document["runs"][1] == {
        "page": "alert_inbox",
        "patients": 1000,
        "p50_ms": 4.0,
        "p95_ms": 8.0,
        "p99_ms": 16.0,
        "rps": 100.0,
        "errors": 0,
        "queries": 10,
        "ratio_p95_to_bare": 4.0,
    }


def test_write_json_replaces_the_file(tmp_path):
    target = tmp_path / "results" / "latest.json"

    report.write_json(target, [make_row("bare", 1000, 2.0)], {"seed": 1})

    assert json.loads(target.read_text())["meta"] == {"seed": 1}


def test_table_has_a_header_and_a_line_per_row():
    rows = report.add_ratios([make_row("bare", 1000, 2.0), make_row("dashboard", 1000, 20.0)])

    lines = report.table(rows).splitlines()

    assert len(lines) == 4
    assert lines[0].startswith("| page ")
    assert "10.00" in lines[3]


def test_check_targets_all_met():
    rows = report.add_ratios(
        [
            make_row("bare", 1000, 2.0),
            make_row("patient_overview", 1000, 10.0),
            make_row("dashboard", 1000, 50.0),
            make_row("bare", 100000, 2.0),
            make_row("patient_overview", 100000, 12.0),
            make_row("dashboard", 100000, 55.0),
        ]
    )

    assert report.check_targets(rows) == []


def test_check_targets_names_each_miss():
    rows = report.add_ratios(
        [
            make_row("bare", 1000, 2.0),
            make_row("patient_overview", 1000, 10.0, queries=20),
            make_row("dashboard", 1000, 50.0),
            make_row("bare", 100000, 2.0),
            make_row("patient_overview", 100000, 17.0, queries=21, errors=3),
            make_row("dashboard", 100000, 61.0),
        ]
    )

    assert report.check_targets(rows) == [
        "patient_overview at 100000: 3 errors",
        "patient_overview at 100000: p95 8.50x bare (target <= 8x)",
        "patient_overview: p95 grows 1.70x from 1000 to 100000 patients (target <= 1.3x)",
        "patient_overview: query counts differ by size ([20, 21])",
        "dashboard at 100000: p95 30.50x bare (target <= 30x)",
    ]


def test_rows_read_back_from_the_json():
    rows = report.add_ratios([make_row("bare", 1000, 2.0), make_row("dashboard", 1000, 20.0)])

    assert report.rows_from_json(report.to_json(rows, {"seed": 1})) == rows
