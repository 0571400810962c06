"""Forms of the controlled-substance screens. They shape input and confirm the witness;
every rule about quantities, lots and people is in ``inventory.domain``, whose refusals
are shown beside the field they name.

The witness confirms on the same screen: they choose themself from the list of
colleagues who may witness here and type their own password, checked with
``check_password``. It proves the witness was at the keyboard, not a second factor.
Wrong passwords for one witness are limited (``WITNESS_MAX_FAILURES`` in
``WITNESS_WINDOW_SECONDS``) so the form cannot be used to guess a colleague's password.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from ketaclinic import formfields
from ketaclinic.clinic.models import Location
from ketaclinic.inventory.domain.people import witness_choices
from ketaclinic.inventory.models import CountKind, DiscrepancyOutcome, LossType, Lot
from ketaclinic.treatment.models import OrderStatus, Product, SessionOrder

DATE = forms.DateInput(attrs={"type": "date"})
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# The ledger's period filter (and the report command) accept dates in this range.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
WITNESS_MAX_FAILURES = 5
WITNESS_WINDOW_SECONDS = 15 * 60


def _mg(label, *, help_text="", required=True, min_value=None):
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=3,
        min_value=min_value,
        required=required,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


def _occurred_at():
    return forms.DateTimeField(
        label="When it happened",
        required=False,
        widget=WHEN,
        help_text="Leave empty for now. A later time than now is refused; an earlier one is "
        "kept and shown as a late entry.",
    )


def _units():
    return forms.IntegerField(
        label="Vials or devices", required=False, min_value=1, max_value=100_000
    )


class PersonChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email


class WitnessMixin:
    """Adds the witness and their password; ``clean`` confirms the password."""

    witness_required = True

    def add_witness_fields(self, location_id, user) -> None:
        self.fields["witness"] = PersonChoiceField(
            label="Witness",
            queryset=witness_choices(location_id, exclude=user),
            required=self.witness_required,
            empty_label="Choose the colleague who watched",
            help_text="A second licensed colleague (clinic policy), never yourself.",
        )
        self.fields["witness_password"] = forms.CharField(
            label="Witness's password",
            required=self.witness_required,
            strip=False,
            widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            help_text="The witness types their own password to confirm.",
        )

    def clean(self):
        cleaned = super().clean()
        witness = cleaned.get("witness")
        password = cleaned.get("witness_password") or ""
        if witness is None or "witness_password" in self.errors:
            return cleaned
        key = f"inventory:witness-failures:{witness.pk}"
        if (cache.get(key) or 0) >= WITNESS_MAX_FAILURES:
            self.add_error(
                "witness_password",
                "Too many wrong passwords for this witness: wait 15 minutes, or choose "
                "another witness.",
            )
        elif not password:
            self.add_error("witness_password", "The witness types their password to confirm.")
        elif not witness.check_password(password):
            cache.set(key, (cache.get(key) or 0) + 1, WITNESS_WINDOW_SECONDS)
            self.add_error("witness_password", "That is not the witness's password.")
        return cleaned


class ProductChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} (NDC {obj.ndc}, {obj.mg_per_unit.normalize():f} mg each)"


class ReceiptForm(forms.Form):
    product = ProductChoiceField(
        label="Product", queryset=Product.objects.filter(active=True), empty_label="Choose"
    )
    lot_number = forms.CharField(label="Lot number", max_length=40)
    ndc = forms.CharField(
        label="NDC on the carton",
        max_length=13,
        required=False,
        help_text="Leave empty when it is the product's NDC.",
    )
    expires_on = forms.DateField(label="Expiry date", widget=DATE)
    units = forms.IntegerField(label="Vials or devices received", min_value=1, max_value=100_000)
    supplier = forms.CharField(label="Supplier", max_length=200)
    occurred_at = _occurred_at()
    reason = forms.CharField(
        label="Note (invoice number)",
        required=False,
        max_length=500,
    )


class LotChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        expired = " — EXPIRED" if obj.is_expired() else ""
        return (
            f"{obj.product.name}, lot {obj.lot_number} (expires {obj.expires_on:%Y-%m-%d}, "
            f"{obj.balance_mg.normalize():f} mg in the safe){expired}"
        )


class OrderChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        patient = obj.course.patient
        return (
            f"{patient.display_name}: session {obj.session_number}, {obj.dose_mg.normalize():f} "
            f"mg of {obj.product.name} ({obj.get_status_display().split(':')[0].lower()})"
        )


class DrawForm(forms.Form):
    ORDERS_SHOWN_DAYS = 14  # the dose orders offered: recent ones, newest first

    order = OrderChoiceField(label="Dose order", queryset=SessionOrder.objects.none())
    lot = LotChoiceField(label="Lot", queryset=Lot.objects.none())
    mg = _mg("Drawn (mg)")
    units = _units()
    occurred_at = _occurred_at()

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = (
            Lot.objects.filter(location=location, balance_mg__gt=0)
            .select_related("product")
            .order_by("expires_on", "lot_number")
        )
        since = timezone.now() - timedelta(days=self.ORDERS_SHOWN_DAYS)
        self.fields["order"].queryset = (
            SessionOrder.objects.filter(course__patient__location=location, ordered_at__gte=since)
            .exclude(status=OrderStatus.CANCELLED)
            .select_related("course__patient", "product")
            .order_by("-ordered_at")
        )


class AdministrationForm(forms.Form):
    mg = _mg("Given (mg)")
    occurred_at = _occurred_at()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "given_%s")  # beside the waste form on one page
        super().__init__(*args, **kwargs)


class WasteForm(WitnessMixin, forms.Form):
    mg = _mg("Wasted (mg)", help_text="Drawn but not given, destroyed in front of the witness.")
    reason = forms.CharField(label="Why", required=False, max_length=500)
    occurred_at = _occurred_at()

    def __init__(self, *args, location_id, user, **kwargs):
        kwargs.setdefault("auto_id", "waste_%s")  # beside the "given" form on one page
        super().__init__(*args, **kwargs)
        self.add_witness_fields(location_id, user)


class ReturnForm(WitnessMixin, forms.Form):
    mg = _mg("Returned (mg)")
    units = _units()
    supplier = forms.CharField(label="Returned to (supplier or reverse distributor)")
    reason = forms.CharField(label="Why", required=False, max_length=500)
    occurred_at = _occurred_at()

    def __init__(self, *args, location_id, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_witness_fields(location_id, user)


class DisposalForm(WitnessMixin, forms.Form):
    mg = _mg("Disposed of (mg)")
    units = _units()
    reason = forms.CharField(
        label="How and why",
        max_length=500,
        help_text="E.g. expired; handed to the reverse distributor (name, DEA Form 41 number).",
    )
    occurred_at = _occurred_at()

    def __init__(self, *args, location_id, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_witness_fields(location_id, user)


class LocationChoiceField(formfields.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TransferForm(WitnessMixin, forms.Form):
    to_location = LocationChoiceField(
        label="To", queryset=Location.objects.none(), empty_label="Choose the location"
    )
    mg = _mg("Transferred (mg)")
    units = _units()
    reason = forms.CharField(label="Why", required=False, max_length=500)
    occurred_at = _occurred_at()

    def __init__(self, *args, location_id, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_location"].queryset = Location.objects.filter(
            Q(is_active=True) & ~Q(pk=location_id) & Q(dea_registration__isnull=False)
        ).order_by("order", "name")
        self.add_witness_fields(location_id, user)


class CorrectionForm(WitnessMixin, forms.Form):
    witness_required = False
    delta_mg = forms.DecimalField(
        label="Correction (mg, signed)",
        max_digits=12,
        decimal_places=3,
        help_text="What to add to the entry: −20 if it was 20 mg less than recorded, 20 if more.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    reason = forms.CharField(label="Why it is corrected", max_length=1000, widget=forms.Textarea)

    def __init__(self, *args, location_id, user, witnessed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.witness_required = witnessed
        self.add_witness_fields(location_id, user)


class CountForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of count", choices=CountKind.choices)
    note = forms.CharField(label="Note", required=False, max_length=1000)

    def __init__(self, *args, lots, **kwargs):
        super().__init__(*args, **kwargs)
        self.lots = list(lots)
        for lot in self.lots:
            self.fields[f"lot_{lot.pk}"] = _mg(
                f"{lot.product.name}, lot {lot.lot_number} — found (mg)",
                help_text=f"{lot.product.mg_per_unit.normalize():f} mg per full "
                f"{'vial' if lot.product.form == 'vial' else 'device'}.",
                min_value=0,
            )

    def lot_fields(self):
        return [self[f"lot_{lot.pk}"] for lot in self.lots]

    def found(self) -> dict[int, object]:
        return {lot.pk: self.cleaned_data[f"lot_{lot.pk}"] for lot in self.lots}


class LossDetailsForm(forms.Form):
    theft_suspected = forms.BooleanField(label="Theft is suspected", required=False)
    loss_type = forms.ChoiceField(
        label="Type of loss (DEA Form 106)",
        choices=[("", "Not known yet"), *LossType.choices],
        required=False,
    )
    loss_details = forms.CharField(
        label="What happened", required=False, max_length=2000, widget=forms.Textarea
    )
    police_notified = forms.BooleanField(label="The police were notified", required=False)
    police_details = forms.CharField(
        label="Police department, phone and report number", required=False, max_length=300
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What the investigation concluded",
        choices=DiscrepancyOutcome.choices,
        widget=forms.RadioSelect,
    )
    explanation = forms.CharField(
        label="Explanation", max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class LedgerFilterForm(forms.Form):
    lot = LotChoiceField(
        label="Lot", queryset=Lot.objects.none(), required=False, empty_label="Every lot"
    )
    start = forms.DateField(label="From", required=False, widget=DATE)
    end = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args, location, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lot"].queryset = (
            Lot.objects.filter(location=location)
            .select_related("product")
            .order_by("product__name", "lot_number")
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, f"Choose a date between {FIRST_DAY:%Y} and {LAST_DAY:%Y}.")
        if start and end and start > end:
            self.add_error("end", "The period ends before it starts.")
        return cleaned
