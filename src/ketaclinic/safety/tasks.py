"""django-q2 tasks: thin wrappers over the safety domain functions."""

from ketaclinic.safety.domain import delivery


def deliver_notification(notification_id: int) -> str:
    return delivery.deliver_notification(notification_id)


def sweep_alerts() -> dict:
    return delivery.sweep()
