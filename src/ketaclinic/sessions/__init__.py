"""Session charting: check-in, vital signs, administrations, discharge and the REMS form.

So far this package holds only pure building blocks (no Django import; importable without
settings), each tested without a database:

- ``thresholds``: vital signs, their plausibility, the pre-dose review/hold levels and
  the in-session alert limits (CLINICAL.md §3, clinic policy);
- ``schedule``: when vital signs are due, from a protocol's monitoring rule;
- ``discharge``: the discharge criteria and which of them a prescriber may override;
- ``doses``: total dose given, integrated from the administration record;
- ``rems``: the Spravato REMS Patient Monitoring Form, its fields kept as data;
- ``charts``: the vital-signs timeline as an SVG (matplotlib, no pyplot).
"""
