import pytest

from ketaclinic.measures.demo import load_demo_measures
from ketaclinic.measures.models import Assignment, Response
from ketaclinic.safety.models import Alert
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_shows_an_alert(riverside, nurse, director):
    for n in range(3):
        make_patient(riverside, legal_first_name=f"Demo{n}")
    staff = {"nurse": nurse, "director": director}
    load_demo_measures(staff)
    load_demo_measures(staff)
    assert Assignment.objects.count() == 6
    assert Response.objects.filter(submitted_at__isnull=False).count() == 8
    assert Alert.objects.filter(kind="suicidal_ideation").count() == 1
