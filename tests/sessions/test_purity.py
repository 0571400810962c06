"""The session building blocks are pure: importable without Django or its settings."""

import json
import os
import subprocess
import sys

MODULES = ["thresholds", "schedule", "discharge", "doses", "rems", "charts"]

PROBE = f"""
import importlib, json, sys
for name in {MODULES!r}:
    importlib.import_module("ketaclinic.sessions." + name)
from ketaclinic.sessions.rems import load_form
load_form()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("django", "matplotlib"))))
"""


def test_modules_import_without_django_and_without_pyplot():
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
    assert "matplotlib.figure" in loaded  # the probe did load the chart module
    assert "matplotlib.pyplot" not in loaded
