"""The figures every drill prints: what people were told against what the database holds."""

import _web
import two_nurses

from ketaclinic.sessions.thresholds import (
    Thresholds,
    Vitals,
    classify_predose,
    in_session_breaches,
)


def attempt(key, attempts=1, *, confirmed=True):
    return _web.Attempted(key=key, attempts=attempts, confirmed=confirmed)


def test_count_figures_every_confirmed_submission_found_once_passes():
    attempted = [attempt("a"), attempt("b", 3), attempt("c", 2)]

    figures = _web.count_figures(attempted, {"a": 1, "b": 1, "c": 1})

    assert (figures.sent, figures.attempts, figures.retried) == (3, 6, 2)
    assert (figures.confirmed, figures.found, figures.lost, figures.duplicated) == (3, 3, 0, 0)
    assert figures.ok is True


def test_count_figures_a_confirmed_submission_missing_is_lost():
    figures = _web.count_figures([attempt("a"), attempt("b")], {"a": 1})

    assert (figures.found, figures.lost) == (1, 1)
    assert figures.ok is False


def test_count_figures_a_key_held_twice_is_duplicated_even_unconfirmed():
    figures = _web.count_figures([attempt("a"), attempt("b", confirmed=False)], {"a": 1, "b": 2})

    assert (figures.duplicated, figures.unconfirmed) == (1, 1)
    assert figures.ok is False


def test_count_figures_a_submission_never_confirmed_fails_the_drill():
    figures = _web.count_figures([attempt("a", 9, confirmed=False)], {})

    assert (figures.unconfirmed, figures.lost) == (1, 0)
    assert figures.ok is False


def test_count_figures_an_inquiry_without_its_outbox_rows_is_incomplete():
    figures = _web.count_figures([attempt("a")], {"a": 1}, incomplete=["a"])

    assert figures.incomplete == 1
    assert figures.ok is False


def test_figures_lines_name_every_figure_and_the_verdict():
    figures = _web.count_figures([attempt("a")], {"a": 1}, extra={"workers_killed": 5})

    assert figures.lines("web_kill") == [
        "web_kill: sent=1 attempts=1 retried=0 confirmed=1 unconfirmed=0 found=1 lost=0 "
        "duplicated=0 incomplete=0 workers_killed=5",
        "web_kill: PASS",
    ]


def test_verdict_prints_the_figures_and_the_first_failed_check(capsys):
    good = _web.count_figures([attempt("a")], {"a": 1})

    assert good.verdict("web_kill", [(True, "fine")]) == 0
    assert (
        good.verdict("web_kill", [(True, "fine"), (False, "no worker killed"), (False, "x")]) == 1
    )
    assert _web.count_figures([attempt("a")], {}).verdict("web_kill") == 1  # lost

    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == good.lines("web_kill")
    assert "web_kill: FAIL: no worker killed" in printed
    assert "web_kill: FAIL: x" not in printed


def test_entry_values_are_unique_per_person_for_1600_sets():
    keys = {two_nurses.entry_key(7, two_nurses.entry_values(0, n)) for n in range(1600)}

    assert len(keys) == 1600


def test_entry_values_of_two_people_differ_even_with_one_user():
    first = two_nurses.entry_values(0, 5)

    assert first != two_nurses.entry_values(1, 5)


def test_entry_values_stay_inside_every_default_threshold():
    thresholds = Thresholds()
    for person in (0, 1):
        for n in range(1600):
            vitals = Vitals(**two_nurses.entry_values(person, n))

            assert classify_predose(vitals, thresholds).level == "ok"
            assert in_session_breaches(vitals, thresholds) == []
