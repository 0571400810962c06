"""django-q2 tasks: thin wrappers over the sealer."""

from ketaclinic.audit.domain import sealer


def seal_audit_log() -> int:
    return sealer.seal_pending()


def email_audit_head() -> int:
    return sealer.email_head_to_directors()
