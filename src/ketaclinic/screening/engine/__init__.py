"""Pure screening calculations: no Django import, tested without a database.

- ``staging``: Maudsley Staging Method (Fekadu et al., BMC Psychiatry 2018, table 3).
- ``adequacy``: was an antidepressant trial adequate, and did it fail? (table in
  ``data/adequate_trials.json``).
- ``eligibility``: contraindication rules (``data/eligibility_rules.json``) evaluated on a
  patient snapshot; ``rules`` holds the rule loader and the small condition language.

The sources are listed in ``shared/CLINICAL.md`` §5 and in each data file.
"""
