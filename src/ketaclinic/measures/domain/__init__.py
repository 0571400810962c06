"""Measurement-based care: assignments and schedules (``schedule``), links and
delivery (``links``), answering and scoring with safety alerts (``responses``), read
helpers for screens (``queries``)."""
