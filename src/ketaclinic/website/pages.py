"""The public information pages: one row per page (URL, name, template, title)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    path: str
    name: str
    template: str
    title: str


PAGES: tuple[Page, ...] = (
    Page("", "home", "home.html", "Home"),
    Page("ketamine-therapy/", "ketamine-therapy", "ketamine_therapy.html", "Ketamine therapy"),
    Page("conditions/", "conditions", "conditions.html", "Conditions we treat"),
    Page(
        "conditions/treatment-resistant-depression/",
        "condition-trd",
        "condition_trd.html",
        "Treatment-resistant depression",
    ),
    Page("conditions/ptsd/", "condition-ptsd", "condition_ptsd.html", "PTSD"),
    Page(
        "conditions/bipolar-depression/",
        "condition-bipolar",
        "condition_bipolar.html",
        "Bipolar depression",
    ),
    Page(
        "conditions/chronic-pain/",
        "condition-chronic-pain",
        "condition_chronic_pain.html",
        "Chronic pain",
    ),
    Page("benefits/", "benefits", "benefits.html", "Benefits, evidence and limits"),
    Page("risks/", "risks", "risks.html", "Risks and side effects"),
    Page("is-it-right-for-me/", "who-should-not", "who_should_not.html", "Is it right for me?"),
    Page("what-to-expect/", "what-to-expect", "what_to_expect.html", "What a session is like"),
    Page("faq/", "faq", "faq.html", "Frequently asked questions"),
    Page("privacy/", "privacy", "privacy.html", "Notice of Privacy Practices"),
)
