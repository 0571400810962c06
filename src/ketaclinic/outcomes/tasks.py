"""Work for the task worker (django-q2): thin wrappers over ``outcomes.domain``."""

from __future__ import annotations

from ketaclinic.outcomes.domain import dashboard


def refresh_dashboard(user_id: int, filters: dict, location_ids: list[int]) -> bool:
    """Build the clinic dashboard's current board after a page showed an earlier one."""
    return dashboard.refresh(user_id, filters, location_ids)
