"""Forms of the treatment screens. They only shape input: every rule is in the domain,
whose refusals are shown beside the field they name."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ketaclinic import formfields
from ketaclinic.accounts.roles import Role
from ketaclinic.treatment.models import (
    Product,
    ProductForm,
    ProtocolVersion,
    Route,
    StandingOrder,
)

DATE = forms.DateInput(attrs={"type": "date"})


def _decimal(label, *, places, max_digits=7, required=True, help_text="", **attrs):
    return forms.DecimalField(
        label=label,
        max_digits=max_digits,
        decimal_places=places,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal", **attrs}),
    )


def latest_versions():
    """The newest version of each protocol offered for new courses (one query)."""
    newest = {}
    for version in (
        ProtocolVersion.objects.filter(protocol__active=True)
        .select_related("protocol")
        .order_by("protocol__name", "-number")
    ):
        newest.setdefault(version.protocol_id, version)
    return list(newest.values())


class VersionChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.protocol.name} (version {obj.number})"


class StartCourseForm(forms.Form):
    protocol_version = VersionChoiceField(
        label="Protocol", queryset=ProtocolVersion.objects.none(), empty_label="Choose a protocol"
    )
    prescriber = formfields.ModelChoiceField(
        label="Prescriber responsible", queryset=None, empty_label=None
    )
    first_session_on = forms.DateField(label="First session on", widget=DATE)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        versions = latest_versions()
        self.fields["protocol_version"].queryset = (
            ProtocolVersion.objects.filter(pk__in=[version.pk for version in versions])
            .select_related("protocol")
            .order_by("protocol__name")
        )
        self.fields["prescriber"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True, groups__name__in=[Role.PRESCRIBER, Role.MEDICAL_DIRECTOR]
            )
            .filter(Q(locations=patient.location_id) | Q(groups__name=Role.MEDICAL_DIRECTOR))
            .distinct()
            .order_by("first_name", "last_name")
        )
        self.fields["first_session_on"].initial = timezone.localdate()


class RemsEnrolmentForm(forms.Form):
    enrolment_id = forms.CharField(label="REMS patient enrolment number", max_length=40)
    enrolled_on = forms.DateField(label="Enrolled on", widget=DATE)


class ProductChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.name} — {obj.concentration_mg_per_ml.normalize():f} mg/mL, "
            f"{obj.unit_volume_ml.normalize():f} mL (NDC {obj.ndc})"
        )


class OrderForm(forms.Form):
    """The fields depend on the protocol's dose rule: mg/kg, mg/kg/h or esketamine mg."""

    session_number = forms.IntegerField(label="Session number", min_value=1, max_value=500)
    product = ProductChoiceField(
        label="Product (concentration comes from the product list)",
        queryset=Product.objects.none(),
        empty_label="Choose the vial or device",
    )

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        definition = course.definition
        form = ProductForm.VIAL if definition.route == Route.IV else ProductForm.NASAL_DEVICE
        self.fields["product"].queryset = Product.objects.filter(
            active=True, drug=definition.drug, form=form
        )
        kind = definition.dose.kind
        self.kind = kind
        if kind == "esketamine_devices":
            self.fields["fixed_mg"] = forms.TypedChoiceField(
                label="Dose (mg)",
                coerce=int,
                choices=[
                    (mg, f"{mg} mg ({mg // 28} device{'s' if mg > 28 else ''})")
                    for mg in definition.dose.allowed_mg
                ],
            )
            return
        if kind == "mg_per_kg":
            self.fields["mg_per_kg"] = _decimal(
                "Dose (mg/kg)",
                places=3,
                max_digits=6,
                help_text=f"Protocol: {definition.dose.mg_per_kg:g} mg/kg",
            )
        else:
            self.fields["mg_per_kg_per_h"] = _decimal(
                "Dose (mg/kg/h)",
                places=3,
                max_digits=6,
                help_text=f"Protocol: {definition.dose.mg_per_kg_per_h:g} mg/kg/h, never above "
                f"{definition.dose.max_mg_per_h:g} mg/h",
            )
        self.fields["measured_weight_kg"] = _decimal("Weight (kg)", places=1, max_digits=5)
        self.fields["weight_measured_on"] = forms.DateField(
            label="Weighed on",
            widget=DATE,
            help_text="The date this weight was measured: within "
            f"{settings.TREATMENT_WEIGHT_MAX_AGE_DAYS} days of the session (its booked date; "
            "today while the session is not booked). The weight may come from the record: "
            "weigh the patient if it is not recent.",
        )
        self.fields["height_cm"] = _decimal(
            "Height (cm)",
            places=1,
            max_digits=5,
            required=False,
            help_text="Needed when the clinic doses on ideal or adjusted body weight.",
        )
        self.fields["minutes"] = forms.IntegerField(
            label="Infusion time (minutes)", min_value=1, max_value=480
        )
        self.fields["final_volume_ml"] = _decimal(
            "Final diluted volume (mL)",
            places=2,
            required=False,
            help_text="The bag or syringe volume after dilution. Leave empty when the dose runs "
            "undiluted by syringe pump.",
        )

    def choices(self) -> dict:
        """The cleaned values, named as ``order_dose`` takes them."""
        return dict(self.cleaned_data)


class CancelOrderForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why is it cancelled?", max_length=500)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class StandingOrderChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.drug} {obj.route} — {obj.indication} (up to {obj.max_single_mg.normalize():f} "
            f"mg at once, {obj.max_total_mg.normalize():f} mg per session)"
        )


class RescueDoseForm(forms.Form):
    standing_order = StandingOrderChoiceField(
        label="Standing order",
        queryset=StandingOrder.objects.filter(active=True),
        empty_label="Choose the medication",
    )
    session_number = forms.IntegerField(label="Session number", min_value=1, max_value=500)
    dose_mg = _decimal("Dose given (mg)", places=3)
    reason = forms.CharField(label="Why (symptom, blood pressure)", max_length=500)


class ProtocolForm(forms.Form):
    definition = forms.CharField(
        label="Definition (JSON)",
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code-input"}),
        max_length=50_000,
    )
    note = forms.CharField(
        label="Why this version", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
