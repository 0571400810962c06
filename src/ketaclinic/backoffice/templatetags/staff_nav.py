"""``{% staff_nav %}``: the staff header's navigation, the links the user may follow.

The same HTML as ``backoffice/_staff_nav.html`` (kept as the reference), written in
Python with each link's URL reversed once per process (``ketaclinic.urlcache``):
rendered on every staff page, the template's twelve ``{% url %}`` tags were about
1.5 ms of each request. The permission checks still run on every request, for this
user. ``tests/backoffice/test_staff_nav.py`` renders both for every role and fails on
any difference.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ketaclinic.urlcache import fixed_url

register = template.Library()

#: (permission, URL name, label), in the order the header shows them
LINKS = (
    ("inquiries.view_inbox", "backoffice:inbox", "Inquiries"),
    ("patients.view_patient_list", "backoffice:patient-list", "Patients"),
    ("booking.view_calendar", "backoffice:booking-home", "Calendar"),
    ("treatment.view_protocols", "backoffice:treatment-protocols", "Protocols"),
    ("inventory.view_inventory", "backoffice:inventory-index", "Controlled substances"),
    ("outcomes.view_dashboard", "backoffice:outcomes-dashboard", "Outcomes"),
    ("safety.view_alerts", "backoffice:safety-inbox", "Alerts"),
    ("notifications.view_delivery_problems", "backoffice:delivery-problems", "Email delivery"),
    ("accounts.manage_staff", "backoffice:team", "Team"),
    ("audit.view_report", "backoffice:audit-report", "Access log"),
    ("accounts.review_emergency_access", "backoffice:emergency-queue", "Emergency access"),
)
ALERTS = "safety.view_alerts"
NOT_PROVIDED = "NOTPROVIDED"  # Django's marker: no CSRF token in this context
# safety: the open-urgent count, fetched passively (no activity: the idle timer runs)
BADGE = (
    ' <span hx-get="{}" hx-trigger="load, every 60s"'
    ' hx-headers=\'{{"X-Staff-Passive": "1"}}\'></span>'
)


@register.simple_tag(takes_context=True)
def staff_nav(context) -> str:
    user = context["user"]
    items = []
    for permission, name, label in LINKS:
        if not user.has_perm(permission):
            continue
        badge = ""
        if permission == ALERTS:
            badge = format_html(BADGE, fixed_url("backoffice:safety-badge"))
        items.append(format_html('<li><a href="{}">{}{}</a></li>', fixed_url(name), label, badge))
    roles = user.role_labels
    items.append(
        format_html(
            '<li><span class="muted-inverse">{}{}</span></li>',
            user,
            format_html(" ({})", ", ".join(roles)) if roles else "",
        )
    )
    items.append(
        format_html(
            '<li>\n  <form method="post" action="{}">{}<button type="submit">Sign out</button>'
            "</form>\n</li>",
            fixed_url("account_logout"),
            _csrf_input(context),
        )
    )
    return mark_safe("\n".join(items))  # each item escaped by format_html


@register.simple_tag
def fixed_url_of(name: str) -> str:
    """``{% fixed_url_of 'backoffice:home' %}``: ``{% url %}`` for a name without
    arguments, reversed once per process."""
    return fixed_url(name)


def _csrf_input(context) -> str:
    """What ``{% csrf_token %}`` renders."""
    token = context.get("csrf_token")
    if not token or token == NOT_PROVIDED:
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
