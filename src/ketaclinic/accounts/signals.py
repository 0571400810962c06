"""Signals about staff accounts and sessions, for the audit log and anything else.

Every signal is sent with ``sender`` = the ``User`` class and these arguments:

- ``staff_invited``: ``request``, ``user`` (the invitee), ``invitation``, ``actor``
- ``invitation_resent``: ``request``, ``user``, ``invitation``, ``actor``
- ``invitation_accepted``: ``request``, ``user``, ``invitation``
- ``staff_disabled`` / ``staff_enabled``: ``request``, ``user``, ``actor``
- ``session_locked``: ``request``, ``user`` (idle time-out reached)
- ``session_unlocked``: ``request``, ``user`` (password given again)
- ``session_expired``: ``request``, ``user`` (absolute lifetime reached; the
  session is ended, so Django's ``user_logged_out`` is sent as well)

Failed and successful sign-ins are Django's ``user_login_failed`` /
``user_logged_in`` / ``user_logged_out``; MFA steps are allauth's signals.
"""

from django.dispatch import Signal

staff_invited = Signal()
invitation_resent = Signal()
invitation_accepted = Signal()
staff_disabled = Signal()
staff_enabled = Signal()
session_locked = Signal()
session_unlocked = Signal()
session_expired = Signal()
