"""The one permission gate for staff views.

Every backoffice view is wrapped by ``staff_view``: it requires a signed-in,
active staff member and a ``rules`` permission (on the object, when the view
works on one), answers 403 otherwise, and marks responses ``no-store`` so that
patient-adjacent data never sits in a browser or proxy cache.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.cache import add_never_cache_headers, patch_cache_control


def staff_view(permission: str, get_object=None):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            obj = get_object(request, *args, **kwargs) if get_object else None
            if not user.has_perm(permission, obj):
                raise PermissionDenied
            if obj is not None:
                kwargs["obj"] = obj
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
            return response

        return wrapper

    return decorator
