"""The worker-kill drill's arithmetic (drills/worker_kill.py ``tally``): what counts as
found, lost, duplicated and resent."""

from __future__ import annotations

import collections
import importlib.util

from tests.workers.conftest import ROOT


def load_drill():
    spec = importlib.util.spec_from_file_location("worker_kill", ROOT / "drills/worker_kill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXPECTED = collections.Counter({("+1", 7): 1, ("+2", 7): 1, ("a@x.test", 7): 1})


def test_tally_counts_a_resend_with_the_same_key_as_resent_not_duplicated():
    drill = load_drill()
    deliveries = [("+1", 7, "k1"), ("+1", 7, "k1"), ("+2", 7, "k2"), ("a@x.test", 7, "m1")]

    figures = drill.tally(EXPECTED, deliveries)

    assert figures == {
        "expected": 3,
        "sent": 4,
        "found": 3,
        "lost": 0,
        "duplicated": 0,
        "resent": 1,
    }


def test_tally_counts_a_second_key_or_an_unexpected_recipient_as_duplicated():
    drill = load_drill()
    deliveries = [("+1", 7, "k1"), ("+1", 7, "other"), ("+3", 7, "k3"), ("a@x.test", 7, "m1")]

    figures = drill.tally(EXPECTED, deliveries)

    assert (figures["found"], figures["lost"], figures["duplicated"]) == (2, 1, 2)
