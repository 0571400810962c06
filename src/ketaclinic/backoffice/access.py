"""The one permission gate for staff views, and the one place their access is logged.

Every backoffice view is wrapped by ``staff_view``: it requires a signed-in,
active staff member and a ``rules`` permission (on the object, when the view
works on one), answers 403 otherwise, and marks responses ``no-store`` so that
patient-adjacent data never sits in a browser or proxy cache.

It also writes the access log (HIPAA 45 CFR 164.312(b); ONC 170.315(d)(2)), so that
no screen has to remember to:

- a permitted request on an object (``get_object``) logs "view" for GET/HEAD and
  "update" for other methods, naming the object's model label and pk (and its
  patient, once objects have one);
- a permitted request without an object logs the same actions for
  ``audit_object_type`` (a list page: "inquiries.inquiry"), with no id; a view with
  neither is not logged (it shows no records);
- ``audit_action`` overrides the action ("export", "print");
- a refusal logs "permission denied" (with the object, if any) before the 403.

The entry is written before the view runs and fails closed: if it cannot be
written the request fails and nothing is shown or changed (see audit.domain.log).
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers, patch_cache_control

from ketaclinic.audit.domain.log import action_for_method, record
from ketaclinic.audit.models import Action


def staff_view(
    permission: str,
    get_object=None,
    *,
    audit_object_type: str | None = None,
    audit_action: str | None = None,
):
    if audit_action is not None and audit_action not in Action.values:
        raise ValueError(f"unknown audit action {audit_action!r}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            obj = get_object(request, *args, **kwargs) if get_object else None
            if not user.has_perm(permission, obj):
                record(
                    Action.PERMISSION_DENIED,
                    request=request,
                    obj=obj,
                    object_type=audit_object_type or "",
                    detail={"permission": permission},
                )
                _offer_emergency_access(request, obj)
                raise PermissionDenied
            if obj is not None or audit_object_type:
                record(
                    audit_action or action_for_method(request.method),
                    request=request,
                    obj=obj,
                    object_type=audit_object_type or "",
                    detail=_query_detail(request),
                )
            if obj is not None:
                kwargs["obj"] = obj
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
            return response

        return wrapper

    return decorator


def _offer_emergency_access(request, obj) -> None:
    """Let the 403 page offer "break the glass" for a record of another location."""
    from ketaclinic.backoffice.emergency import kind_of

    kind = kind_of(obj) if obj is not None else None
    if kind and request.user.has_perm("accounts.break_glass", obj):
        request.emergency_target = (kind, obj.pk)


def _query_detail(request) -> dict:
    """The query string (filters, searches): who looked for whom is part of the trail."""
    query = request.META.get("QUERY_STRING", "")
    return {"query": query} if query else {}
