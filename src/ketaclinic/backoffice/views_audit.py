"""The access-log report (ONC 170.315(d)(3)): medical director and administrators only.

Both views go through ``staff_view``, so reading the log is itself logged ("view" of
"audit.accesslog"), and the CSV export is logged as "export" with its filters.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.roles import Role
from ketaclinic.audit.domain.chain import utc_iso
from ketaclinic.audit.domain.queries.report import SORTS, normalise_sort, report_entries
from ketaclinic.audit.models import Action
from ketaclinic.backoffice.access import staff_view
from ketaclinic.clinic.models import Location

PAGE_SIZE = 100
FILTERS = ("user", "patient", "action", "date_from", "date_to")
CSV_COLUMNS = (
    "id",
    "time_utc",
    "user_id",
    "user_email",
    "roles",
    "locations",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "user_agent",
    "path",
    "detail",
)


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=254, label="User email contains")
    patient = forms.CharField(required=False, max_length=64, label="Patient id")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    date_from = forms.DateField(required=False, label="From (UTC)", widget=DateInput)
    date_to = forms.DateField(required=False, label="To (UTC)", widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
            data.pop("date_to", None)
        return data


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, str, object]:
    """The form, the sort, and the entries. Invalid filters are shown and not applied."""
    form = AuditFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data  # holds the valid fields only
    sort = normalise_sort(request.GET.get("sort"))
    entries = report_entries(
        user_email=data.get("user", ""),
        patient_id=data.get("patient", ""),
        action=data.get("action", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        sort=sort,
    )
    return form, sort, entries


def _query(request: HttpRequest, **changes: str) -> str:
    params = request.GET.copy()
    for key in list(params):
        if key not in (*FILTERS, "sort"):
            params.pop(key)
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


def _sort_headers(request: HttpRequest, sort: str) -> dict[str, dict[str, str]]:
    headers = {}
    for name in SORTS:
        current = sort.removeprefix("-") == name
        descending = sort.startswith("-")
        # First click: time newest first, text A→Z; a second click reverses.
        if current:
            target = name if descending else f"-{name}"
        else:
            target = f"-{name}" if name == "time" else name
        headers[name] = {
            "query": _query(request, sort=target, page=""),
            "aria_sort": ("descending" if descending else "ascending") if current else "",
        }
    return headers


def _role_label(name: str) -> str:
    return Role(name).label if name in Role.values else name


@require_GET
@staff_view("audit.view_report", audit_object_type="audit.accesslog")
def audit_report(request: HttpRequest) -> HttpResponse:
    form, sort, entries = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    location_ids = {pk for entry in page.object_list for pk in entry.locations}
    location_names = (
        dict(Location.objects.filter(pk__in=location_ids).values_list("pk", "name"))
        if location_ids
        else {}
    )
    rows = [
        {
            "entry": entry,
            "iso": utc_iso(entry.at),
            "time": utc_iso(entry.at)[:19].replace("T", " "),
            "roles": ", ".join(_role_label(name) for name in entry.roles),
            "locations": ", ".join(location_names.get(pk, f"#{pk}") for pk in entry.locations),
            "detail": json.dumps(entry.detail, sort_keys=True, ensure_ascii=False)
            if entry.detail
            else "",
        }
        for entry in page.object_list
    ]
    return render(
        request,
        "backoffice/audit_report.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "sort": sort,
            "sort_headers": _sort_headers(request, sort),
            # filters and sort, without the page: for page links and the export link
            "query_string": _query(request, page=""),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV injection) in text typed by anyone."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_rows(entries) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _safe_cell(value)
                for value in (
                    entry.pk,
                    utc_iso(entry.at),
                    entry.user_id or "",
                    entry.user_email,
                    " ".join(entry.roles),
                    " ".join(str(pk) for pk in entry.locations),
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    entry.patient_id or "",
                    entry.ip or "",
                    entry.user_agent,
                    entry.path,
                    json.dumps(entry.detail, sort_keys=True, ensure_ascii=False)
                    if entry.detail
                    else "",
                )
            ]
        )


@require_GET
@staff_view("audit.view_report", audit_object_type="audit.accesslog", audit_action=Action.EXPORT)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, _sort, entries = _filtered(request)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_csv_rows(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="access-log-{stamp}-utc.csv"'
    return response
