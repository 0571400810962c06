"""The outcome modules are pure: importable and usable without Django or its settings,
and without pyplot."""

import json
import os
import subprocess
import sys

MODULES = ["metrics", "cohort", "suggestions", "plots"]

PROBE = f"""
import importlib, json, sys
from datetime import UTC, datetime, timedelta
for name in {MODULES!r}:
    importlib.import_module("ketaclinic.outcomes." + name)
from ketaclinic.outcomes.cohort import cohort_stats
from ketaclinic.outcomes.metrics import summarize
from ketaclinic.outcomes.plots import km_svg
t0 = datetime(2025, 3, 3, tzinfo=UTC)
s = summarize("phq-9", 20, t0, [(t0 + timedelta(days=1), 8), (t0 + timedelta(days=9), 12),
              (t0 + timedelta(days=12), 13)], baseline_at=t0, last_induction_at=t0)
km_svg(cohort_stats([s]).durability)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("django", "matplotlib"))))
"""


def test_modules_import_and_run_without_django_and_without_pyplot():
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    finished = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    loaded = json.loads(finished.stdout.strip().splitlines()[-1])
    assert not [name for name in loaded if name.split(".")[0] == "django"]
    assert "matplotlib.figure" in loaded  # the probe did load the plotting module
    assert "matplotlib.pyplot" not in loaded
