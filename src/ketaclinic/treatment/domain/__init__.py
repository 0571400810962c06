"""Treatment domain functions: every write of the treatment app goes through here.

For other apps (booking): ``courses.proposed_session_dates(course)`` and the ``Course``
model (``ketaclinic.treatment.models.Course``).
"""
