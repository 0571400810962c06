"""Load a demo clinic: two locations, one staff member per role, a few inquiries.

Idempotent: every object is found by a natural key before it is made, and demo
inquiries carry fixed idempotency keys, so running it twice changes nothing.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from ketaclinic.accounts.demo import DEMO_TOTP_SECRET, demo_totp_uri, give_demo_totp
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.booking.demo import load_demo_booking
from ketaclinic.clinic.models import ClinicProfile, FeeItem, Location
from ketaclinic.inquiries.domain.phone import normalise_phone
from ketaclinic.inquiries.domain.submission import InquiryData, submit_inquiry
from ketaclinic.inventory.demo import load_demo_inventory, load_demo_inventory_activity
from ketaclinic.measures.demo import load_demo_measures
from ketaclinic.outcomes.demo import load_demo_outcomes
from ketaclinic.patients.demo import load_demo_patients
from ketaclinic.safety.demo import load_demo_safety
from ketaclinic.screening.demo import load_demo_screening
from ketaclinic.sessions.demo import load_demo_sessions
from ketaclinic.treatment.demo import load_demo_treatment

DEMO_PASSWORD = "ketaclinic-demo-2026"
DEMO_NAMESPACE = uuid.UUID("6f1c2a52-6c55-4d39-9a7a-0f8b5a1f7e10")

LOCATIONS = [
    {
        "slug": "riverside",
        "name": "Riverside Clinic",
        "address_line1": "120 River Street",
        "address_line2": "Suite 300",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "phone": "(217) 555-0142",
        "email": "riverside@clinic.example",
        "hours": "Mon–Fri 8:00–18:00\nSat 9:00–13:00\nSun closed",
        "order": 1,
    },
    {
        "slug": "hillcrest",
        "name": "Hillcrest Clinic",
        "address_line1": "45 Hillcrest Avenue",
        "address_line2": "",
        "city": "Shelbyville",
        "region": "IL",
        "postal_code": "62565",
        "phone": "(217) 555-0187",
        "email": "hillcrest@clinic.example",
        "hours": "Tue–Sat 9:00–17:00\nSun–Mon closed",
        "order": 2,
    },
]

STAFF = [
    # email, first, last, role, locations
    ("frontdesk@demo.ketaclinic.test", "Fran", "Desk", Role.FRONT_DESK, ["riverside"]),
    ("nurse@demo.ketaclinic.test", "Nora", "Nurse", Role.NURSE, ["riverside"]),
    ("prescriber@demo.ketaclinic.test", "Priya", "Prescriber", Role.PRESCRIBER, ["riverside"]),
    (
        "director@demo.ketaclinic.test",
        "Dana",
        "Director",
        Role.MEDICAL_DIRECTOR,
        ["riverside", "hillcrest"],
    ),
    ("admin@demo.ketaclinic.test", "Ada", "Admin", Role.ADMIN, ["riverside", "hillcrest"]),
    (
        "frontdesk.hillcrest@demo.ketaclinic.test",
        "Hal",
        "Hillcrest",
        Role.FRONT_DESK,
        ["hillcrest"],
    ),
    (
        "prescriber.hillcrest@demo.ketaclinic.test",
        "Hugo",
        "Hillcrest",
        Role.PRESCRIBER,
        ["hillcrest"],
    ),
]

FEES = [
    ("Consultation and screening", "$250", "Includes questionnaires and a prescriber assessment."),
    ("IV ketamine infusion", "$450 per session", "Courses usually start with six sessions."),
    (
        "Esketamine nasal spray session",
        "Billed to insurance where covered",
        "Ask us about coverage.",
    ),
]

INQUIRIES = [
    (
        "riverside",
        "Alex",
        "Morgan",
        "alex.morgan@example.com",
        "(217) 555-0110",
        "I've tried three antidepressants over two years and nothing has really helped. "
        "My psychiatrist mentioned ketamine. Could we talk about whether I'm a candidate?",
        "depression",
        "phone",
        "morning",
    ),
    (
        "riverside",
        "Sam",
        "Rivera",
        "sam.rivera@example.com",
        "(217) 555-0111",
        "Looking for information about treatment for nerve pain after surgery.",
        "chronic_pain",
        "email",
        "",
    ),
    (
        "riverside",
        "Jordan",
        "Lee",
        "jordan.lee@example.com",
        "(217) 555-0112",
        "Some days I feel there is no reason to live. I want to try something different.",
        "depression",
        "phone",
        "any",
    ),
    (
        "hillcrest",
        "Casey",
        "Nguyen",
        "casey.nguyen@example.com",
        "(217) 555-0113",
        "I have PTSD from military service. Is ketamine something you offer for that?",
        "ptsd",
        "text",
        "evening",
    ),
]


class Command(BaseCommand):
    help = "Load the demo clinic (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            profile = ClinicProfile.current()
            if not profile.pk or profile.name == "Ketaclinic":
                profile.name = "Ketaclinic Demo Clinic"
                profile.intake_email = "intake@clinic.example"
                profile.save()
            locations = {}
            for data in LOCATIONS:
                location, _ = Location.objects.get_or_create(slug=data["slug"], defaults=data)
                locations[data["slug"]] = location
            for order, (name, amount, note) in enumerate(FEES, start=1):
                FeeItem.objects.get_or_create(
                    name=name, defaults={"amount": amount, "note": note, "order": order}
                )
            for email, first, last, role, slugs in STAFF:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email=email,
                        password=DEMO_PASSWORD,
                        first_name=first,
                        last_name=last,
                        is_staff=role == Role.ADMIN,
                        is_superuser=role == Role.ADMIN,
                    )
                    user.groups.add(Group.objects.get(name=role))
                    user.locations.set([locations[slug] for slug in slugs])
                # MFA is required: every demo account uses the same, published secret.
                give_demo_totp(user)
        for slug, first, last, email, phone, message, help_with, method, time in INQUIRIES:
            submit_inquiry(
                InquiryData(
                    location=locations[slug],
                    first_name=first,
                    last_name=last,
                    email=email,
                    phone=normalise_phone(phone, profile.phone_region),
                    message=message,
                    help_with=help_with,
                    preferred_contact_method=method,
                    preferred_contact_time=time,
                ),
                idempotency_key=uuid.uuid5(DEMO_NAMESPACE, email),
                client_ip=None,
            )
        staff = {
            user.email: user for user in User.objects.filter(email__in=[row[0] for row in STAFF])
        }
        load_demo_patients(locations, staff)
        load_demo_screening(staff)
        load_demo_safety(staff)
        load_demo_measures(staff)
        load_demo_treatment(staff)
        load_demo_outcomes(staff)
        load_demo_inventory(staff)
        load_demo_booking(staff)
        load_demo_sessions(staff)  # draws its doses from the inventory demo's lots
        load_demo_inventory_activity(staff)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo clinic ready. Staff logins (password for all: {DEMO_PASSWORD}):"
            )
        )
        for email, _first, _last, role, slugs in STAFF:
            self.stdout.write(f"  {email:<44} {Role(role).label:<17} {', '.join(slugs)}")
        self.stdout.write(
            "Sign-in also asks for an authenticator-app code. Add this demo secret to an "
            f"authenticator app (one entry works for every demo account):\n"
            f"  secret: {DEMO_TOTP_SECRET}\n"
            f"  or scan/paste: {demo_totp_uri()}\n"
            "  or print the current code: uv run python manage.py demo_totp_code"
        )
