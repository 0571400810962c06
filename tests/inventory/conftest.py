"""Fixtures of the inventory tests: both locations registered with the DEA, a ketamine
vial product (200 mg a vial), a Riverside patient and a lot of five vials."""

from __future__ import annotations

import pytest

from tests.inventory.factories import receive, register, vial_product
from tests.patients.factories import make_patient


@pytest.fixture
def registered(riverside, hillcrest):
    return register(riverside), register(hillcrest)


@pytest.fixture
def product(db):
    return vial_product()


@pytest.fixture
def patient(riverside):
    return make_patient(riverside)


@pytest.fixture
def lot(registered, nurse, product):
    """Riverside, lot KT-001: 5 vials, 1000 mg."""
    return receive(registered[0].location, nurse, product=product).lot
