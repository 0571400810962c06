"""What a patient is told about an appointment, in plain words. Pure Python (no Django).

Emails can be read by others (a shared inbox, a lock screen), so they carry
logistics only: when and where, what to do before coming, getting home, what to
bring. No diagnosis, no medicine names, no doses, no staff notes. The subject names
the clinic and the time, nothing else.

The esketamine rules come from the label (CLINICAL.md §3): no food for 2 hours and no
liquids for 30 minutes before dosing; nasal corticosteroids or decongestants at least
1 hour before; no driving until the next day after restful sleep. They are counted
back from the appointment time, which is never later than dosing, so the patient is
on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# CLINICAL.md §3, esketamine label: fasting and nasal sprays before dosing.
FOOD_MINUTES_BEFORE = 120
LIQUIDS_MINUTES_BEFORE = 30
NASAL_SPRAY_MINUTES_BEFORE = 60

SESSION = "session"
SCREENING = "screening"
# Used when the clinic has configured no crisis resources.
DEFAULT_CRISIS_LINES = ("Suicide & Crisis Lifeline: call or text 988", "Emergency: call 911")


@dataclass(frozen=True)
class Visit:
    """The facts an email needs; times are the clinic's local time."""

    first_name: str
    clinic_name: str
    location_name: str
    address_lines: tuple[str, ...]
    phone: str
    starts: datetime
    ends: datetime
    purpose: str  # booking.models.Purpose value
    esketamine: bool = False
    arrive_early_minutes: int = 15
    crisis_lines: tuple[str, ...] = DEFAULT_CRISIS_LINES


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def clock(moment: datetime) -> str:
    """9:00 AM"""
    return moment.strftime("%-I:%M %p")


def day(moment: datetime) -> str:
    """Tuesday, March 3"""
    return moment.strftime("%A, %B %-d")


def full_day(moment: datetime) -> str:
    """Tuesday, March 3, 2026"""
    return moment.strftime("%A, %B %-d, %Y")


def _minutes(value: int) -> str:
    if value % 60 == 0:
        hours = value // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{value} minutes"


def before_you_come(visit: Visit) -> list[str]:
    """The fasting and nasal-spray rules for an esketamine session (empty otherwise)."""
    if visit.purpose != SESSION or not visit.esketamine:
        return []
    food = visit.starts - timedelta(minutes=FOOD_MINUTES_BEFORE)
    liquids = visit.starts - timedelta(minutes=LIQUIDS_MINUTES_BEFORE)
    spray = visit.starts - timedelta(minutes=NASAL_SPRAY_MINUTES_BEFORE)
    return [
        f"Eat nothing after {clock(food)} ({_minutes(FOOD_MINUTES_BEFORE)} before your "
        "appointment time).",
        f"Drink nothing, not even water, after {clock(liquids)} "
        f"({_minutes(LIQUIDS_MINUTES_BEFORE)} before).",
        "If you use a steroid or decongestant nasal spray, use it no later than "
        f"{clock(spray)} ({_minutes(NASAL_SPRAY_MINUTES_BEFORE)} before).",
    ]


def getting_home(visit: Visit) -> list[str]:
    if visit.purpose != SESSION:
        return []
    return [
        "You must not drive yourself home. Arrange for an adult to collect you, or a ride "
        "where someone else drives.",
        "Do not drive, cycle or use machinery until the next day, after a night of restful sleep.",
    ]


def what_to_bring(visit: Visit) -> list[str]:
    items = [
        "Photo ID and your insurance card, if you have one.",
        "A list of the medicines you take, with their doses.",
    ]
    if visit.purpose == SCREENING:
        items.append("Any letters or results from your other doctors, if you have them.")
    if visit.purpose == SESSION:
        items.append("Comfortable clothes; headphones or an eye mask if you like them.")
    return items


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def details(visit: Visit) -> str:
    """When and where, then every instruction that applies: the body of every email
    that announces a time (confirmation, change, reminder)."""
    arrive = visit.starts - timedelta(minutes=visit.arrive_early_minutes)
    parts = [
        f"When: {full_day(visit.starts)} at {clock(visit.starts)}"
        + (f" (please arrive by {clock(arrive)})" if visit.arrive_early_minutes else ""),
        f"Plan to be with us until about {clock(visit.ends)}.",
        "Where: " + "\n".join((visit.location_name, *visit.address_lines)),
        f"Phone: {visit.phone}",
    ]
    sections = ["\n".join(parts)]
    for title, lines in (
        ("Before you come", before_you_come(visit)),
        ("Getting home", getting_home(visit)),
        ("What to bring", what_to_bring(visit)),
    ):
        if lines:
            sections.append(f"{title}\n{_bullets(lines)}")
    return "\n\n".join(sections)


def _closing(visit: Visit) -> str:
    crisis = "\n".join(f"- {line}" for line in visit.crisis_lines)
    return (
        f"To cancel or change the time, call us on {visit.phone}.\n\n"
        "We do not watch email around the clock. If you are in crisis or thinking about "
        f"harming yourself, reach out now:\n{crisis}\n\n"
        f"{visit.clinic_name}\n"
    )


def confirmation(visit: Visit) -> Email:
    return Email(
        subject=f"Your appointment at {visit.location_name} on {day(visit.starts)} "
        f"at {clock(visit.starts)}",
        body=(
            f"Hello {visit.first_name},\n\n"
            f"Your appointment at {visit.location_name} is booked.\n\n"
            f"{details(visit)}\n\n{_closing(visit)}"
        ),
    )


def change(visit: Visit, previous_starts: datetime) -> Email:
    return Email(
        subject=f"Your appointment has moved to {day(visit.starts)} at {clock(visit.starts)}",
        body=(
            f"Hello {visit.first_name},\n\n"
            f"Your appointment on {full_day(previous_starts)} at {clock(previous_starts)} "
            "has moved. That time no longer applies; here is the new one.\n\n"
            f"{details(visit)}\n\n{_closing(visit)}"
        ),
    )


def reminder(visit: Visit) -> Email:
    return Email(
        subject=f"Reminder: your appointment on {day(visit.starts)} at {clock(visit.starts)}",
        body=(
            f"Hello {visit.first_name},\n\n"
            f"A reminder of your appointment at {visit.location_name}.\n\n"
            f"{details(visit)}\n\n{_closing(visit)}"
        ),
    )


def cancellation(visit: Visit) -> Email:
    return Email(
        subject=f"Cancelled: your appointment on {day(visit.starts)} at {clock(visit.starts)}",
        body=(
            f"Hello {visit.first_name},\n\n"
            f"Your appointment at {visit.location_name} on {full_day(visit.starts)} at "
            f"{clock(visit.starts)} has been cancelled.\n\n"
            f"To book another time, call us on {visit.phone}.\n\n"
            "We do not watch email around the clock. If you are in crisis or thinking about "
            "harming yourself, reach out now:\n"
            + "\n".join(f"- {line}" for line in visit.crisis_lines)
            + f"\n\n{visit.clinic_name}\n"
        ),
    )
