"""The REMS forms of many esketamine sessions as CSV rows (screen export and command)."""

from __future__ import annotations

from ketaclinic.sessions import rems
from ketaclinic.sessions.domain.rems_form import esketamine_sessions, fill


def header() -> list[str]:
    """``session_id``, every field of the form in form order, then ``missing`` (the
    labels of required fields the chart does not fill)."""
    return ["session_id", *rems.csv_header(), "missing"]


def rows(sessions=None):
    for session in sessions if sessions is not None else esketamine_sessions():
        filled = fill(session)
        yield [str(session.pk), *rems.csv_row(filled), "; ".join(filled.missing_labels)]
