"""The rows of the back office's two long lists (patients, safety alerts) as HTML.

A page of these lists is up to 50 rows, and Django's template engine spent about
0.3 ms of Python per row on them (node dispatch, variable lookups, auto-escaping), most
of the page's time at 50 rows (docs/performance.md). Here each row is one f-string:
every value taken from the data goes through ``escape`` (so a name typed as markup
shows as text), and the markup is the same as the templates' was. The page's frame,
filters, counts and pagination stay in the templates, which insert the rows as
``{{ rows }}``.

No queries: the views hand over what they have loaded (patients with ``select_related``
and the ``active_conditions`` prefetch; alerts as ``.values()`` rows of
``ALERT_FIELDS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from html import escape  # what django.utils.html.escape does, without its lazy-string wrapper

from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language

from ketaclinic.patients.domain.parsing import age_on
from ketaclinic.patients.models import PatientStatus
from ketaclinic.safety.models import Action, Kind, Tier

#: stands in for a primary key while reversing a URL once for a whole page
_MARKER = "2147483646"
DASH = "—"


def url_for_each(name: str) -> Callable[[int], str]:
    """``pk -> reverse(name, args=[pk])`` from one ``reverse`` for the page (a reverse
    per row was about a sixth of the rows' rendering time)."""
    head, found, tail = reverse(name, args=[_MARKER]).partition(_MARKER)
    if not found:  # a pattern that does not show the id as given: ask for each
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{head}{pk}{tail}"


def _formatted(moment: date | datetime, pattern: str, language: str | None) -> str:
    """``format_date(moment, pattern)`` escaped, remembered: the inbox's first page
    shows the same alerts to every viewer at every refresh, and formatting a date was
    about 40 us of Python each. The key holds everything the text depends on: the
    moment, its time zone's name (aware datetimes of one instant are equal whatever
    their zone), the format and the language of the month names."""
    return _format_once(moment, str(getattr(moment, "tzinfo", None)), pattern, language)


@lru_cache(maxsize=4096)
def _format_once(moment, _zone: str, pattern: str, _language: str | None) -> str:
    return escape(format_date(moment, pattern))


def _labels(choices) -> dict[str, str]:
    """A choice field's value -> its label, escaped (``get_FOO_display`` per row costs
    more than the row's other values together)."""
    return {value: escape(str(label)) for value, label in choices}


def _label(labels: dict[str, str], value: str) -> str:
    return labels.get(value) or escape(value)  # a value no longer offered shows as stored


def _person(user) -> str:
    return DASH if user is None else escape(str(user))


# --- patients ------------------------------------------------------------------------------


def _conditions(patient) -> str:
    codes = [
        f'<span class="code" title="{escape(c.description)}">{escape(c.code)}</span>'
        for c in patient.active_conditions
    ]
    return " ".join(codes) if codes else f'<span class="muted">{DASH}</span>'


def patient_rows(patients: Iterable, today: date) -> SafeString:
    """The patient list's ``<tr>`` rows: name (linked), date of birth and age, status,
    active conditions' codes, location, primary prescriber."""
    url = url_for_each("backoffice:patient")
    born_format = "M j, Y"
    language = get_language()
    statuses = _labels(PatientStatus.choices)
    rows = []
    for p in patients:
        preferred = (
            f' <span class="muted">({escape(p.preferred_name)})</span>' if p.preferred_name else ""
        )
        born = _formatted(p.date_of_birth, born_format, language)
        rows.append(
            "<tr>"
            f'<td><a href="{url(p.pk)}">{escape(p.legal_last_name)}, '
            f"{escape(p.legal_first_name)}</a>{preferred}</td>"
            f'<td>{born} <span class="muted">({age_on(p.date_of_birth, today)})</span></td>'
            f'<td><span class="badge badge--status-{escape(p.status)}">'
            f"{_label(statuses, p.status)}</span></td>"
            f"<td>{_conditions(p)}</td>"
            f"<td>{escape(p.location.name)}</td>"
            f"<td>{_person(p.primary_prescriber)}</td>"
            "</tr>\n"
        )
    return mark_safe("".join(rows))  # every value above is escaped


# --- safety alerts -------------------------------------------------------------------------

_PEOPLE = ("responsible", "acknowledged_by", "closed_by")
#: The values an inbox row shows (``alert_rows`` takes them as ``.values()`` rows).
ALERT_FIELDS = (
    "pk",
    "tier",
    "kind",
    "created_at",
    "acknowledged_at",
    "escalation_level",
    "closed_at",
    "action_taken",
    "patient__preferred_name",
    "patient__legal_first_name",
    "patient__legal_last_name",
    "patient__location__name",
    *_PEOPLE,
    *(f"{person}__{field}" for person in _PEOPLE for field in ("first_name", "last_name", "email")),
)
_TIER_BADGE = {Tier.URGENT: " badge--urgent", Tier.SAME_DAY: " badge--age-old"}


def _named(row: dict, person: str) -> str:
    """``str(user)`` (``User.__str__``: the full name, else the email) from a row's
    values, escaped; a dash for nobody."""
    if row[person] is None:
        return DASH
    full = f"{row[f'{person}__first_name']} {row[f'{person}__last_name']}".strip()
    return escape(full or row[f"{person}__email"])


def _patient_name(row: dict) -> str:
    """``Patient.display_name`` from a row's values, escaped."""
    first = row["patient__preferred_name"] or row["patient__legal_first_name"]
    return escape(f"{first} {row['patient__legal_last_name']}")


def _alert_state(row: dict, actions: dict[str, str]) -> str:
    if row["closed_at"]:
        by = f" by {_named(row, 'closed_by')}" if row["closed_by"] is not None else ""
        return f"Closed{by} ({_label(actions, row['action_taken']).lower()})"
    if row["acknowledged_at"]:
        return f"Acknowledged by {_named(row, 'acknowledged_by')}"
    level = row["escalation_level"]
    escalated = f" · escalated to level {int(level)}" if level else ""
    return f"<strong>Not acknowledged</strong>{escalated}"


def alert_rows(alerts: Iterable[dict]) -> SafeString:
    """The safety inbox's ``<tr>`` rows from ``ALERT_FIELDS`` values plus ``for_me``:
    tier (and "for you"), patient and location, kind, when raised, who is responsible,
    state."""
    return join_alert_rows(*alert_row_parts(alerts))


def alert_row_parts(alerts: Iterable[dict]) -> tuple[list[str], list[datetime]]:
    """``alert_rows`` without the one thing in it that changes with the clock, "raised
    5 minutes ago": the markup around those texts, and the moments they tell of. What
    the inbox caches (the page stays right however long it is kept)."""
    url = url_for_each("backoffice:safety-alert")
    stamp = get_format("DATETIME_FORMAT")  # as ``{{ a_datetime }}`` shows it, read once
    language = get_language()
    tiers, kinds, actions = _labels(Tier.choices), _labels(Kind.choices), _labels(Action.choices)
    parts, moments, before = [], [], ""
    for row in alerts:
        tier, raised = row["tier"], row["created_at"]
        urgent = ' class="is-urgent"' if tier == Tier.URGENT and row["closed_at"] is None else ""
        for_me = ' <span class="badge badge--new">for you</span>' if row["for_me"] else ""
        parts.append(
            f"{before}<tr{urgent}>"
            f'<td><span class="badge{_TIER_BADGE.get(tier, "")}">'
            f"{_label(tiers, tier)}</span>{for_me}</td>"
            f'<td><a href="{url(row["pk"])}">{_patient_name(row)}</a> '
            f'<span class="muted">{escape(row["patient__location__name"])}</span></td>'
            f"<td>{_label(kinds, row['kind'])}</td>"
            f'<td title="{_formatted(localtime(raised), stamp, language)}">'
        )
        moments.append(raised)
        before = (
            f"</td><td>{_named(row, 'responsible')}</td>"
            f"<td>{_alert_state(row, actions)}</td>"
            "</tr>\n"
        )
    parts.append(before)
    return parts, moments


def join_alert_rows(parts: list[str], moments: list[datetime]) -> SafeString:
    """The rows from ``alert_row_parts``, each moment told relative to now."""
    told = [escape(naturaltime(moment)) for moment in moments]
    joined = "".join(part + text for part, text in zip(parts, [*told, ""], strict=True))
    return mark_safe(joined)  # every value in the parts and the told times is escaped
