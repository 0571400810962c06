"""Demo patients: a dozen realistic records across both demo locations.

Built only through the domain functions (intake, records), so the demo exercises the
same paths as the screens. Idempotent: a patient already present (same name, date of
birth and location) is left alone; each patient is made in one transaction.

Called by ``manage.py load_demo`` after the demo inquiries exist, so that Alex Morgan's
inquiry is converted rather than typed again. Statuses stay "screening": the records
that move them (signed eligibility decisions) belong to the screening app.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.roles import Role
from ketaclinic.inquiries.models import Inquiry
from ketaclinic.patients.domain import intake, records
from ketaclinic.patients.models import HISTORY_QUESTIONS, Patient

ALL_NO = {name: False for name, _ in HISTORY_QUESTIONS}


def _months_ago(months: int) -> date:
    return timezone.localdate() - timedelta(days=round(months * 30.44))


def _trial(drug, dose, weeks, outcome, adherence="good", current=True):
    return {
        "drug": drug,
        "dose_mg": Decimal(str(dose)),
        "weeks": Decimal(str(weeks)),
        "adherence": adherence,
        "outcome": outcome,
        "current_episode": current,
    }


def _history(*, yes=(), unasked=(), bp=None, weight=None, height=None, notes=""):
    values = dict(ALL_NO)
    for name in yes:
        values[name] = True
    for name in unasked:
        values[name] = None
    if bp:
        values["latest_systolic"], values["latest_diastolic"] = bp
        values["bp_measured_on"] = timezone.localdate() - timedelta(days=3)
    if weight:
        values["weight_kg"] = Decimal(str(weight))
    if height:
        values["height_cm"] = Decimal(str(height))
    values["substance_use_notes"] = notes
    return values


PATIENTS = [
    # --- Riverside ------------------------------------------------------------------
    {
        "location": "riverside",
        "from_inquiry": "alex.morgan@example.com",
        "legal_first_name": "Alex",
        "legal_last_name": "Morgan",
        "date_of_birth": date(1986, 4, 12),
        "sex": "male",
        "pronouns": "he/him",
        "conditions": [
            {
                "code": "F33.2",
                "is_primary": True,
                "episode_months": 26,
                "episode_severity": "severe",
            }
        ],
        "allergies": [{"substance": "Penicillin", "reaction": "Hives", "severity": "moderate"}],
        "medications": [{"name": "Bupropion XL", "dose_text": "300 mg every morning"}],
        "trials": [
            _trial("sertraline", 150, 10, "none"),
            _trial("venlafaxine", 225, 12, "partial"),
            _trial("bupropion", 300, 4, "none"),  # too short to count
        ],
        "treatments": [
            {"kind": "psychotherapy", "description": "CBT, 16 sessions", "outcome": "Some help"}
        ],
        "history": _history(yes=("alcohol_use",), bp=(128, 82), weight=78.5, height=176),
    },
    {
        "location": "riverside",
        "legal_first_name": "Maria",
        "legal_last_name": "Gonzalez",
        "preferred_name": "Mari",
        "date_of_birth": date(1979, 9, 3),
        "sex": "female",
        "pronouns": "she/her",
        "email": "maria.gonzalez@example.com",
        "phone": "+12175550121",
        "city": "Springfield",
        "region": "IL",
        "conditions": [
            {
                "code": "F33.1",
                "is_primary": True,
                "episode_months": 18,
                "episode_severity": "moderate",
            }
        ],
        "allergies": [],
        "medications": [
            {"name": "Duloxetine", "dose_text": "60 mg daily"},
            {"name": "Lorazepam", "dose_text": "0.5 mg as needed for anxiety"},
        ],
        "trials": [
            _trial("fluoxetine", 40, 10, "none"),
            _trial("escitalopram", 20, 8, "partial"),
            _trial("duloxetine", 60, 14, "partial"),
        ],
        "treatments": [
            {
                "kind": "augmentation",
                "description": "Aripiprazole 5 mg",
                "outcome": "Stopped: akathisia",
            }
        ],
        "history": _history(bp=(118, 76), weight=64, height=162),
    },
    {
        "location": "riverside",
        "legal_first_name": "James",
        "legal_last_name": "Carter",
        "date_of_birth": date(1992, 1, 27),
        "sex": "male",
        "phone": "+12175550122",
        "conditions": [
            {"code": "F32.2", "is_primary": True, "episode_months": 9, "episode_severity": "severe"}
        ],
        "allergies": [],
        "medications": [{"name": "Mirtazapine", "dose_text": "30 mg at night"}],
        "trials": [_trial("citalopram", 40, 8, "none"), _trial("mirtazapine", 30, 9, "partial")],
        "treatments": [],
        "history": _history(
            yes=("prior_ketamine_misuse", "alcohol_use"),
            bp=(124, 80),
            weight=83,
            height=181,
            notes="Recreational ketamine use 2017–2019, stopped after a urology referral.",
        ),
    },
    {
        "location": "riverside",
        "legal_first_name": "Emily",
        "legal_last_name": "Chen",
        "date_of_birth": date(1994, 6, 30),
        "sex": "female",
        "pronouns": "she/her",
        "email": "emily.chen@example.com",
        "conditions": [
            {
                "code": "F33.1",
                "is_primary": True,
                "episode_months": 7,
                "episode_severity": "moderate",
            }
        ],
        "allergies": [{"substance": "Sulfonamides", "reaction": "Rash", "severity": "mild"}],
        "medications": [{"name": "Sertraline", "dose_text": "100 mg daily"}],
        "trials": [_trial("sertraline", 100, 10, "partial"), _trial("bupropion", 300, 8, "none")],
        "treatments": [],
        "history": _history(yes=("pregnant",), bp=(110, 70), weight=61, height=165),
    },
    {
        "location": "riverside",
        "legal_first_name": "Robert",
        "legal_last_name": "Williams",
        "preferred_name": "Bob",
        "date_of_birth": date(1961, 11, 8),
        "sex": "male",
        "phone": "+12175550124",
        "conditions": [
            {
                "code": "F33.2",
                "is_primary": True,
                "episode_months": 30,
                "episode_severity": "severe",
            }
        ],
        "allergies": [],
        "medications": [
            {"name": "Amlodipine", "dose_text": "10 mg daily"},
            {"name": "Lisinopril", "dose_text": "20 mg daily"},
            {"name": "Venlafaxine", "dose_text": "150 mg daily"},
        ],
        "trials": [
            _trial("escitalopram", 20, 8, "none"),
            _trial("sertraline", 200, 12, "partial"),
            _trial("venlafaxine", 150, 3, "none"),  # too short to count
        ],
        "treatments": [],
        "history": _history(yes=("hypertension",), bp=(168, 104), weight=96, height=178),
    },
    {
        "location": "riverside",
        "legal_first_name": "Linda",
        "legal_last_name": "Thompson",
        "date_of_birth": date(1970, 3, 14),
        "sex": "female",
        "email": "linda.thompson@example.com",
        "conditions": [
            {"code": "M79.7", "is_primary": True},
            {"code": "F33.1", "episode_months": 40, "episode_severity": "moderate"},
        ],
        "allergies": [{"substance": "Codeine", "reaction": "Vomiting", "severity": "moderate"}],
        "medications": [
            {"name": "Tramadol", "dose_text": "50 mg up to three times a day"},
            {"name": "Duloxetine", "dose_text": "60 mg daily"},
        ],
        "trials": [
            _trial("duloxetine", 60, 20, "partial"),
            _trial("amitriptyline", 25, 12, "none"),
        ],
        "treatments": [
            {"kind": "other", "description": "Graded exercise programme", "outcome": "Helpful"}
        ],
        "history": _history(bp=(132, 84), weight=72, height=160),
    },
    # --- Hillcrest ------------------------------------------------------------------
    {
        "location": "hillcrest",
        "legal_first_name": "Daniel",
        "legal_last_name": "Brooks",
        "date_of_birth": date(1984, 8, 19),
        "sex": "male",
        "pronouns": "he/him",
        "phone": "+12175550131",
        "emergency_contact_name": "Rachel Brooks",
        "emergency_contact_phone": "+12175550132",
        "emergency_contact_relationship": "Spouse",
        "conditions": [{"code": "F43.12", "is_primary": True}],
        "allergies": [],
        "medications": [{"name": "Prazosin", "dose_text": "2 mg at night"}],
        "trials": [_trial("sertraline", 200, 12, "partial"), _trial("paroxetine", 40, 8, "none")],
        "treatments": [
            {"kind": "psychotherapy", "description": "Prolonged exposure therapy, 12 sessions"}
        ],
        "history": _history(yes=("alcohol_use",), bp=(136, 88), weight=88, height=183),
    },
    {
        "location": "hillcrest",
        "legal_first_name": "Patricia",
        "legal_last_name": "Harris",
        "preferred_name": "Pat",
        "date_of_birth": date(1958, 2, 2),
        "sex": "female",
        "conditions": [
            {
                "code": "F33.2",
                "is_primary": True,
                "episode_months": 14,
                "episode_severity": "severe",
            }
        ],
        "allergies": [{"substance": "Aspirin", "reaction": "Wheezing", "severity": "severe"}],
        "medications": [
            {"name": "Metoprolol", "dose_text": "50 mg twice a day"},
            {"name": "Atorvastatin", "dose_text": "40 mg daily"},
            {"name": "Clopidogrel", "dose_text": "75 mg daily"},
        ],
        "trials": [_trial("citalopram", 20, 10, "none"), _trial("mirtazapine", 45, 8, "partial")],
        "treatments": [],
        "attachments": [
            (
                "ecg",
                "ecg-harris.pdf",
                ["12-lead ECG (demo)", "Sinus rhythm, rate 68", "Old inferior Q waves"],
            )
        ],
        "history": _history(
            yes=("recent_myocardial_infarction", "other_cardiac_disease", "hypertension"),
            bp=(138, 86),
            weight=70,
            height=158,
        ),
    },
    {
        "location": "hillcrest",
        "legal_first_name": "Michael",
        "legal_last_name": "Reyes",
        "date_of_birth": date(1988, 12, 5),
        "sex": "male",
        "conditions": [
            {
                "code": "F31.4",
                "is_primary": True,
                "episode_months": 5,
                "episode_severity": "severe",
            }
        ],
        "allergies": [],
        "medications": [
            {"name": "Lithium carbonate", "dose_text": "900 mg daily"},
            {"name": "Lamotrigine", "dose_text": "200 mg daily"},
        ],
        "trials": [_trial("bupropion", 300, 8, "none"), _trial("escitalopram", 10, 6, "none")],
        "treatments": [],
        "history": _history(
            yes=("bipolar_disorder", "on_mood_stabiliser"), bp=(122, 78), weight=80, height=177
        ),
    },
    {
        "location": "hillcrest",
        "legal_first_name": "Sarah",
        "legal_last_name": "Kim",
        "date_of_birth": date(1975, 7, 21),
        "sex": "female",
        "pronouns": "she/her",
        "email": "sarah.kim@example.com",
        "conditions": [
            {"code": "G90.512", "is_primary": True},
            {"code": "M79.2"},
        ],
        "allergies": [{"substance": "Latex", "reaction": "Contact dermatitis", "severity": "mild"}],
        "medications": [
            {"name": "Oxycodone", "dose_text": "10 mg every 6 hours as needed"},
            {"name": "Gabapentin", "dose_text": "600 mg three times a day"},
            {"name": "Clonazepam", "dose_text": "0.5 mg at night"},
        ],
        "trials": [],
        "treatments": [
            {
                "kind": "other",
                "description": "Stellate ganglion blocks ×3",
                "outcome": "Brief relief",
            }
        ],
        "history": _history(bp=(126, 80), weight=59, height=168),
    },
    {
        "location": "hillcrest",
        "legal_first_name": "Thomas",
        "legal_last_name": "Wright",
        "date_of_birth": date(1966, 10, 11),
        "sex": "male",
        "conditions": [
            {
                "code": "F33.2",
                "is_primary": True,
                "episode_months": 52,
                "episode_severity": "severe",
            }
        ],
        "allergies": [
            {"substance": "Haloperidol", "reaction": "Acute dystonia", "severity": "severe"}
        ],
        "medications": [
            {"name": "Tranylcypromine", "dose_text": "40 mg daily"},
            {"name": "Methylphenidate", "dose_text": "10 mg twice a day"},
        ],
        "trials": [
            _trial("sertraline", 200, 12, "none"),
            _trial("venlafaxine", 300, 10, "partial"),
            _trial("mirtazapine", 45, 8, "none"),
            _trial("bupropion", 450, 10, "none"),
            _trial("vortioxetine", 20, 8, "partial"),
            _trial("nortriptyline", 100, 10, "none"),
        ],
        "treatments": [
            {"kind": "augmentation", "description": "Lithium 600 mg", "outcome": "No response"},
            {"kind": "ect", "description": "Right unilateral ECT, 10 sessions", "outcome": "Brief"},
            {"kind": "tms", "description": "rTMS, 36 sessions", "outcome": "No response"},
        ],
        "history": _history(bp=(130, 85), weight=91, height=180),
    },
    {
        "location": "hillcrest",
        "legal_first_name": "Olivia",
        "legal_last_name": "Martin",
        "date_of_birth": date(2005, 5, 9),
        "sex": "female",
        "gender_identity": "Non-binary",
        "pronouns": "they/them",
        "email": "olivia.martin@example.com",
        "conditions": [
            {
                "code": "F32.1",
                "is_primary": True,
                "episode_months": 4,
                "episode_severity": "moderate",
            }
        ],
        "allergies": [],
        "medications": [{"name": "Zolpidem", "dose_text": "5 mg at night"}],
        "trials": [_trial("fluoxetine", 20, 8, "partial")],
        "treatments": [],
        # a new intake: much not asked yet
        "history": _history(
            unasked=(
                "pregnant",
                "breastfeeding",
                "active_substance_use_disorder",
                "prior_ketamine_misuse",
                "alcohol_use",
            )
        ),
    },
]

DEMOGRAPHIC_KEYS = set(intake.DEMOGRAPHIC_FIELDS) - {"location", "primary_prescriber"}


def _staff_member(staff: dict, role: str, location):
    """A demo user with ``role`` working at ``location`` (any key in ``staff``)."""
    for user in staff.values():
        if user.has_role(role) and (
            user.sees_all_locations
            or location.pk in set(user.locations.values_list("pk", flat=True))
        ):
            return user
    return None


def load_demo_patients(locations: dict, staff: dict) -> None:
    """Make the demo patients (idempotent). ``locations`` maps slugs ("riverside",
    "hillcrest") to Location; ``staff`` maps any key to the demo users."""
    for spec in PATIENTS:
        location = locations[spec["location"]]
        if Patient.objects.filter(
            legal_first_name=spec["legal_first_name"],
            legal_last_name=spec["legal_last_name"],
            date_of_birth=spec["date_of_birth"],
            location=location,
        ).exists():
            continue
        front_desk = _staff_member(staff, Role.FRONT_DESK, location) or _staff_member(
            staff, Role.ADMIN, location
        )
        clinician = _staff_member(staff, Role.PRESCRIBER, location) or _staff_member(
            staff, Role.MEDICAL_DIRECTOR, location
        )
        with transaction.atomic():
            patient = _make_patient(spec, location, front_desk, clinician)
            _fill_record(patient, spec, clinician)


def _make_patient(spec: dict, location, front_desk, clinician) -> Patient:
    inquiry = None
    if spec.get("from_inquiry"):
        inquiry = Inquiry.objects.filter(email=spec["from_inquiry"], location=location).first()
    if inquiry is not None and not Patient.objects.filter(inquiry=inquiry).exists():
        patient = intake.create_patient_from_inquiry(
            inquiry,
            actor=front_desk,
            date_of_birth=spec["date_of_birth"],
            sex=spec["sex"],
        )
        changes = {key: spec[key] for key in DEMOGRAPHIC_KEYS if key in spec and key not in {"sex"}}
        changes["primary_prescriber"] = clinician
        return records.update_demographics(
            patient, changes, actor=front_desk, expected_version=patient.version
        )
    values = {key: spec[key] for key in DEMOGRAPHIC_KEYS if key in spec}
    return intake.create_patient(
        intake.PatientData(location=location, primary_prescriber=clinician, **values),
        actor=front_desk,
    )


def _fill_record(patient: Patient, spec: dict, clinician) -> None:
    for condition in spec["conditions"]:
        values = dict(condition)
        months = values.pop("episode_months", None)
        if months is not None:
            values["episode_started_on"] = _months_ago(months)
        records.add_condition(patient, actor=clinician, **values)
    for allergy in spec["allergies"]:
        records.add_allergy(patient, actor=clinician, **allergy)
    for medication in spec["medications"]:
        records.add_medication(patient, actor=clinician, **medication)
    for trial in spec["trials"]:
        records.add_trial(patient, actor=clinician, **trial)
    for treatment in spec["treatments"]:
        records.add_other_treatment(patient, actor=clinician, **treatment)
    for kind, name, lines in spec.get("attachments", []):
        records.add_attachment(
            patient, actor=clinician, kind=kind, uploaded=SimpleUploadedFile(name, demo_pdf(lines))
        )
    history = patient.medical_history
    records.update_medical_history(
        patient, spec["history"], actor=clinician, expected_version=history.version
    )


def demo_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` (plain ASCII): a stand-in for a scanned ECG."""
    text = " ".join(
        f"({line.replace(chr(92), '').replace('(', '').replace(')', '')}) Tj 0 -20 Td"
        for line in lines
    )
    stream = f"BT /F1 14 Tf 72 720 Td {text} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
