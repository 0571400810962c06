"""Template tags for staff pages.

``{% staff_session_scripts %}`` (in the ``<head>`` of ``backoffice/base.html``): the
idle-warning script and the form-draft autosave script, with their settings as
``data-`` attributes (no inline script: the Content-Security-Policy forbids it).

``{% draft_key "inquiry-note" inquiry.pk %}`` → ``inquiry-note-12``, for
``<form data-draft-key="{% draft_key 'inquiry-note' inquiry.pk %}">``.
"""

from __future__ import annotations

import time

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.utils.html import format_html

from ketaclinic.accounts import session_policy
from ketaclinic.accounts.domain.drafts import draft_key as build_draft_key
from ketaclinic.urlcache import fixed_url

register = template.Library()

DRAFT_URL_PLACEHOLDER = "DRAFTKEY"


@register.simple_tag(takes_context=True)
def staff_session_scripts(context) -> str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return ""
    session = request.session
    if session_policy.is_locked(session):
        return ""
    timeout = session_policy.request_idle_timeout(request)
    remaining = session_policy.seconds_remaining(session, time.time(), timeout)
    draft_url = fixed_url("accounts:draft", DRAFT_URL_PLACEHOLDER)
    return format_html(
        '<script src="{}" defer data-idle-seconds="{}" data-remaining-seconds="{}"'
        ' data-warning-seconds="{}" data-status-url="{}" data-keep-alive-url="{}"'
        ' data-csrf-token="{}"></script>\n'
        '  <script src="{}" defer data-draft-url="{}" data-draft-placeholder="{}"'
        ' data-csrf-token="{}"></script>',
        static("ketaclinic/js/staff-session.js"),
        timeout,
        remaining,
        settings.STAFF_IDLE_WARNING_SECONDS,
        fixed_url("accounts:session-status"),
        fixed_url("accounts:keep-alive"),
        get_token(request),
        static("ketaclinic/js/form-drafts.js"),
        draft_url,
        DRAFT_URL_PLACEHOLDER,
        get_token(request),
    )


@register.simple_tag
def draft_key(*parts) -> str:
    return build_draft_key(*parts)
