"""django-q2 tasks: thin wrappers over the outbox domain functions."""

from ketaclinic.notifications.domain import outbox


def deliver_message(message_id: int) -> str:
    return outbox.deliver(message_id)


def sweep_outbox() -> int:
    return outbox.sweep()
