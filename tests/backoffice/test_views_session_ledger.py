"""The session chart draws each dose from a named lot of the controlled-substance ledger:
the lot is chosen from the location's unexpired lots of the ordered product, the draw is
written against the session's order, the chart's administration record names the drawn
lot, and discharge waits until given + wasted (with a witness) equals what was drawn."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.inventory.models import Kind, LedgerEntry
from ketaclinic.sessions.domain import charting, controlled, discharge
from ketaclinic.sessions.domain.errors import Refused, SessionError
from ketaclinic.sessions.models import Status
from tests.inventory.factories import receive, register
from tests.sessions.factories import NORMAL, checked_in, iv_setup

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
ANSWERS = {
    "alert_and_oriented": "on",
    "escort_present": "on",
    "suicidal_ideation_rechecked": "on",
}


@pytest.fixture
def planned(riverside, prescriber, nurse):
    return iv_setup(riverside, prescriber, nurse)


@pytest.fixture
def iv(planned):
    return planned[0]


@pytest.fixture
def lots(planned, riverside, hillcrest, nurse, other_prescriber):
    """A good lot, an expired one (received a month ago) and a lot of the same product
    at another location."""
    register(riverside)
    register(hillcrest)
    product = planned[1].product
    good = receive(riverside, nurse, product=product, units=2, lot_number="GOOD-1").lot
    expired = receive(
        riverside,
        nurse,
        product=product,
        units=1,
        lot_number="OLD-1",
        expires_on=timezone.localdate() - timedelta(days=1),
        occurred_at=timezone.now() - timedelta(days=30),
    ).lot
    elsewhere = receive(
        hillcrest, other_prescriber, product=product, units=1, lot_number="FAR-1"
    ).lot
    return good, expired, elsewhere


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def ready_to_dose(session, nurse, at):
    checked_in(session, nurse, now=at - timedelta(minutes=10))
    charting.record_vitals(
        session, actor=nurse, values=NORMAL, occurred_at=at - timedelta(minutes=2), now=at
    )


def test_the_session_page_offers_only_unexpired_lots_of_the_ordered_product_here(
    client_for, nurse, iv, lots
):
    good, _expired, _elsewhere = lots
    checked_in(iv, nurse)

    page = client_for(nurse).get(url("sessions-session", iv.pk)).content.decode()

    assert f'value="{good.pk}"' in page
    assert "GOOD-1" in page
    assert "OLD-1" not in page
    assert "FAR-1" not in page
    assert "Nothing drawn for this session yet." in page


def test_an_expired_lot_is_refused_on_the_page_and_in_the_domain(client_for, nurse, iv, lots):
    _good, expired, elsewhere = lots
    checked_in(iv, nurse)

    response = client_for(nurse).post(
        url("sessions-draw", iv.pk), {"lot": expired.pk, "mg": "35", "occurred_time": ""}
    )

    assert response.status_code == 400
    assert "Choose a lot from the list." in response.content.decode()
    assert 'value="35"' in response.content.decode()  # what was typed is kept
    with pytest.raises(SessionError, match="expired on"):
        controlled.draw_for_session(iv, lot_id=expired.pk, mg="35", actor=nurse)
    with pytest.raises(SessionError, match="is not"):
        controlled.draw_for_session(iv, lot_id=elsewhere.pk, mg="35", actor=nurse)
    assert not LedgerEntry.objects.filter(kind=Kind.DRAW).exists()


def test_draw_give_waste_with_a_witness_then_discharge(client_for, nurse, prescriber, iv, lots):
    good, _expired, _elsewhere = lots
    start = timezone.now() - timedelta(minutes=120)
    ready_to_dose(iv, nurse, start)
    client = client_for(nurse)

    # 1. draw 100 mg from the chosen lot, against the session's order
    drawn = client.post(url("sessions-draw", iv.pk), {"lot": good.pk, "mg": "100"})
    assert drawn.status_code == 302
    draw = LedgerEntry.objects.get(kind=Kind.DRAW)
    assert (draw.order, draw.lot, draw.quantity_mg) == (iv.order, good, Decimal("100.000"))

    # 2. the chart's administration record offers the drawn lot only
    page = client.get(url("sessions-session", iv.pk)).content.decode()
    assert '<option value="GOOD-1" selected>GOOD-1</option>' in page
    assert "100 mg</strong>" in page  # still to account for
    refused = client.post(
        url("sessions-administration", iv.pk),
        {"kind": "start", "rate_mg_per_h": "52.5", "lot": "TYPED-9"},
    )
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    with pytest.raises(SessionError, match="was not drawn for this session"):
        charting.record_administration(
            iv, actor=nurse, kind="start", rate_mg_per_h="52.5", lot="TYPED-9", occurred_at=start
        )
    charting.record_administration(
        iv, actor=nurse, kind="start", rate_mg_per_h="52.5", lot="GOOD-1", occurred_at=start
    )
    charting.record_administration(
        iv, actor=nurse, kind="stop", occurred_at=start + timedelta(minutes=40)
    )
    charting.record_vitals(iv, actor=nurse, values=NORMAL)
    assert iv.administrations.first().lot == "GOOD-1"

    # 3. the amount given, on the ledger's draw page (linked from the chart)
    assert url("inventory-draw", draw.pk) in page
    given = client.post(url("inventory-administer", draw.pk), {"mg": "35"})
    assert given.status_code == 302

    # 4. discharge is refused while 65 mg are unaccounted for
    refused = client.post(url("sessions-discharge", iv.pk), ANSWERS)
    assert refused.status_code == 400
    assert "1 controlled-substance draw is not yet accounted for" in refused.content.decode()
    with pytest.raises(Refused):
        discharge.discharge_session(
            iv,
            actor=nurse,
            alert_and_oriented=True,
            escort_present=True,
            suicidal_ideation_rechecked=True,
        )

    # 5. the waste, witnessed by a colleague who types their own password
    wasted = client.post(
        url("inventory-waste", draw.pk),
        {
            "mg": "65",
            "reason": "Not needed",
            "witness": prescriber.pk,
            "witness_password": PASSWORD,
        },
    )
    assert wasted.status_code == 302
    back = client.get(url("inventory-draw", draw.pk)).content.decode()
    assert url("sessions-session", iv.pk) in back  # the way back to the chart

    page = client.get(url("sessions-session", iv.pk)).content.decode()
    assert "Accounted for" in page

    # 6. now discharge goes through
    done = client.post(url("sessions-discharge", iv.pk), ANSWERS)
    assert done.status_code == 302
    iv.refresh_from_db()
    assert iv.status == Status.DISCHARGED


def test_a_draw_needs_a_lot_and_a_quantity(client_for, nurse, iv, lots):
    checked_in(iv, nurse)

    response = client_for(nurse).post(url("sessions-draw", iv.pk), {"lot": "", "mg": "lots"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page
    assert "Enter a number." in page


def test_at_a_registered_location_a_dose_cannot_be_charted_before_it_is_drawn(
    client_for, nurse, iv, lots
):
    start = timezone.now() - timedelta(minutes=30)
    ready_to_dose(iv, nurse, start)

    with pytest.raises(SessionError, match="Nothing has been drawn for this session") as caught:
        charting.record_administration(
            iv, actor=nurse, kind="start", rate_mg_per_h="52.5", lot="GOOD-1"
        )
    assert caught.value.field == "lot"
    refused = client_for(nurse).post(
        url("sessions-administration", iv.pk), {"kind": "start", "rate_mg_per_h": "52.5"}
    )
    assert refused.status_code == 400
    assert "Nothing has been drawn for this session" in refused.content.decode()
    assert not iv.administrations.exists()


def test_at_a_registered_location_a_dose_names_the_drawn_lot(nurse, iv, lots):
    good, _expired, _elsewhere = lots
    ready_to_dose(iv, nurse, timezone.now() - timedelta(minutes=30))
    controlled.draw_for_session(iv, lot_id=good.pk, mg="100", actor=nurse)

    with pytest.raises(SessionError, match="Name the lot this dose came from: GOOD-1"):
        charting.record_administration(iv, actor=nurse, kind="start", rate_mg_per_h="52.5")

    start = charting.record_administration(
        iv, actor=nurse, kind="start", rate_mg_per_h="52.5", lot="GOOD-1"
    )
    # a rate change or a stop of the same infusion needs no lot
    charting.record_administration(iv, actor=nurse, kind="rate_change", rate_mg_per_h="40")
    assert start.lot == "GOOD-1"


def test_without_a_dea_registration_the_lot_is_typed_freely(nurse, iv):
    ready_to_dose(iv, nurse, timezone.now() - timedelta(minutes=30))

    item = charting.record_administration(
        iv, actor=nurse, kind="start", rate_mg_per_h="52.5", lot="PAPER-7"
    )

    assert item.lot == "PAPER-7"
