"""Versioned form definitions as data (JSON), e.g. the Spravato REMS Patient Monitoring
Form (``rems-monitoring-v1.json``). A package so that the JSON files ship with it."""
