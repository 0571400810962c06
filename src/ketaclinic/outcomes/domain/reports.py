"""The progress report as PDF (WeasyPrint): what a patient can take to their own doctor.

The same stored summaries and the same trajectory figures as the staff page (embedded
as data: URIs, so WeasyPrint fetches nothing), without the internal parts (suggestions,
decisions). WeasyPrint needs the system Pango library (``libpango-1.0-0`` on Debian);
it is imported only when a report is made.
"""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.clinic.models import ClinicProfile
from ketaclinic.outcomes.domain.queries import patient_outcomes, trajectory_figure


def report_html(patient) -> str:
    outcomes = patient_outcomes(patient)
    figures = []
    for item in outcomes.summaries:
        content = trajectory_figure(patient, item.instrument_id)
        if content is not None:
            encoded = base64.b64encode(content).decode("ascii")
            figures.append((item, f"data:image/svg+xml;base64,{encoded}"))
    return render_to_string(
        "backoffice/outcomes/report.html",
        {
            "patient": patient,
            "outcomes": outcomes,
            "figures": figures,
            "clinic": ClinicProfile.objects.first(),
            "made_at": timezone.localtime(),
        },
    )


def progress_report_pdf(patient) -> bytes:
    from weasyprint import HTML

    return HTML(string=report_html(patient)).write_pdf()
