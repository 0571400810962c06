"""factory_boy factories for the test suite. Inquiries are built through the domain."""

from __future__ import annotations

import uuid

import factory
from django.contrib.auth.models import Group

from ketaclinic.accounts.models import User
from ketaclinic.clinic.models import Location
from ketaclinic.inquiries.domain.submission import InquiryData, submit_inquiry


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Location {n}")
    slug = factory.Sequence(lambda n: f"location-{n}")
    address_line1 = "1 Main Street"
    city = "Springfield"
    region = "IL"
    postal_code = "62701"
    phone = "(217) 555-0100"
    hours = "Mon–Fri 9:00–17:00"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@clinic.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            # get_or_create: transactional tests flush the groups the migration made
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])

    @factory.post_generation
    def locations(self, create, extracted, **kwargs):
        if create and extracted:
            self.locations.set(extracted)
        if create:
            self.save()


def make_inquiry(location, **overrides):
    values = {
        "location": location,
        "first_name": "Alex",
        "last_name": "Morgan",
        "email": "alex@example.com",
        "phone": "+12175550110",
        "message": "I would like to know more about ketamine therapy.",
        "help_with": "depression",
    }
    values.update(overrides)
    key = values.pop("idempotency_key", None) or uuid.uuid4()
    client_ip = values.pop("client_ip", "203.0.113.9")
    return submit_inquiry(InquiryData(**values), idempotency_key=key, client_ip=client_ip).inquiry
