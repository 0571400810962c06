"""Outcomes: whether each benefit the clinic promises is real, per patient and per clinic.

So far this package holds only pure building blocks (no Django import; importable without
settings), each tested without a database (issue 9; definitions and sources in
docs/outcomes.md):

- ``metrics``: one patient's trajectory on one instrument: baseline (CLINICAL.md §6
  window), percent change, response, remission, relapse, durability (censored), and the
  suicidal-ideation status over time; the severity gate for statistics;
- ``cohort``: clinic statistics from many patients' summaries: rates with Wilson
  intervals, median time to response, rapid relief, Kaplan–Meier durability (lifelines),
  and the published results of CLINICAL.md §8 as context (never as targets);
- ``suggestions``: personalised-adjustment rules as data, each with its source or
  "clinic policy"; a suggestion is never an order;
- ``plots``: the trajectory and Kaplan–Meier figures as deterministic SVG (matplotlib
  ``Figure``, no pyplot).

The instrument rules (response reduction, remission range, bands, the suicidal-ideation
item) are read from the instrument library's definitions
(``ketaclinic.measures.instruments``), never repeated here. Clinic-policy values are
module defaults here; the Django side passes the values in force from settings.
"""
