import pytest

from ketaclinic.treatment.domain.protocols import load_shipped_protocols
from tests.treatment.factories import make_product, ready_patient


@pytest.fixture
def protocols(db):
    return load_shipped_protocols()


@pytest.fixture
def vial10(db):
    return make_product("10", volume="20", ndc="00000-010-20")


@pytest.fixture
def vial100(db):
    return make_product("100", volume="5", ndc="00000-100-05")


@pytest.fixture
def patient(riverside, prescriber, nurse, protocols):
    return ready_patient(riverside, prescriber, nurse)
