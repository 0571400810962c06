"""The product list: NDC format, drug and form, a device holds 28 mg."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.treatment.models import Product

pytestmark = pytest.mark.django_db


def product(**changes) -> Product:
    values = {
        "name": "Ketamine 10 mg/mL",
        "drug": "ketamine",
        "form": "vial",
        "concentration_mg_per_ml": Decimal("10"),
        "unit_volume_ml": Decimal("20"),
        "ndc": "12345-678-90",
    }
    values.update(changes)
    return Product(**values)


@pytest.mark.parametrize("ndc", ["1234-5678-90", "12345-678-90", "12345-6789-0", "12345-6789-01"])
def test_ndc_formats_accepted(ndc):
    product(ndc=ndc).full_clean()


@pytest.mark.parametrize("ndc", ["1234567890", "12345-678-9", "ABCDE-123-45", "12345-678-901", ""])
def test_ndc_formats_refused(ndc):
    with pytest.raises(ValidationError) as caught:
        product(ndc=ndc).full_clean()
    assert "ndc" in caught.value.message_dict


def test_a_concentration_of_zero_is_refused():
    with pytest.raises(ValidationError) as caught:
        product(concentration_mg_per_ml=Decimal("0")).full_clean()
    assert caught.value.message_dict["concentration_mg_per_ml"] == ["Must be more than 0."]


def test_ketamine_is_a_vial_and_esketamine_a_28_mg_device():
    with pytest.raises(ValidationError, match="Racemic ketamine is stocked as vials"):
        product(form="nasal_device").full_clean()
    with pytest.raises(ValidationError, match="Esketamine is stocked as nasal spray devices"):
        product(drug="esketamine").full_clean()
    with pytest.raises(ValidationError, match="holds 28 mg"):
        product(
            drug="esketamine",
            form="nasal_device",
            concentration_mg_per_ml=Decimal("140"),
            unit_volume_ml=Decimal("0.3"),
        ).full_clean()
    device = product(
        drug="esketamine",
        form="nasal_device",
        concentration_mg_per_ml=Decimal("140"),
        unit_volume_ml=Decimal("0.2"),
    )
    device.full_clean()
    assert device.mg_per_unit == 28
