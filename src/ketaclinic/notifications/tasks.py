"""django-q2 tasks: thin wrappers over the outbox domain functions."""

from ketaclinic.notifications.domain import outbox


def deliver_message(message_id: int) -> str:
    return outbox.deliver(message_id)


def deliver_messages(message_ids: list[int]) -> list[str]:
    """Several messages of one cause, each claimed and sent on its own (one failing
    does not hold the others back; the sweep retries what is left pending)."""
    return [outbox.deliver(message_id) for message_id in message_ids]


def sweep_outbox() -> int:
    return outbox.sweep()
