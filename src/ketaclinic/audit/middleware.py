"""Makes the request being handled known to audit entries written deep inside it.

Privilege changes are caught by model signals, which do not see the request; this
middleware (placed after AuthenticationMiddleware) puts the request in a context
variable for the duration of the response, so those entries name the acting user,
their address and the page. Outside a request (shell, commands, tasks) the actor is
recorded as nobody: the system.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ketaclinic.audit.domain.log import acting_request


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_request(request):
            return self.get_response(request)
