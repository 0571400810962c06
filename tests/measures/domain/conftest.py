"""The measures fixtures (a Riverside patient with an email, test settings)."""

from tests.measures.integration.conftest import _measures_settings, patient  # noqa: F401
