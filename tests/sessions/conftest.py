import pytest

from tests.sessions.factories import esketamine_setup, iv_setup


@pytest.fixture
def iv(riverside, prescriber, nurse):
    """(session, order): a ready Riverside patient's first IV session, its order checked."""
    return iv_setup(riverside, prescriber, nurse)


@pytest.fixture
def esk(riverside, prescriber, nurse):
    return esketamine_setup(riverside, prescriber, nurse)
