"""The drills are scripts run from drills/ (``python drills/web_kill.py``): their
modules import each other by bare name, so the tests put drills/ on the path too."""

import sys
from pathlib import Path

DRILLS = Path(__file__).resolve().parents[2] / "drills"
if str(DRILLS) not in sys.path:
    sys.path.insert(0, str(DRILLS))
