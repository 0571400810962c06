"""The synthetic clinic's randomness: who the patients are and how they fare.

Pure Python (no Django): every function takes a ``random.Random`` and returns plain
values, so a seed gives the same cohort on any machine. ``build`` turns these plans
into rows.

The distributions, with their sources (docs/synthetic-network.md has the table):

- Response: IV racemic ketamine courses respond with probability
  ``IV_RESPONSE`` = 0.63, between ELEKT-D's 55.4 % (Anand 2023) and Murrough 2013's
  70.8 % after up to six infusions (CLINICAL.md §8); esketamine 0.55 (clinic
  assumption, close to ELEKT-D; SUSTAIN-1 reports relapse, not response).
- Remission given response: 0.60 for IV, so the cohort's remission is about
  0.63 × 0.60 ≈ 38 % (ELEKT-D, ketamine arm); 0.55 for esketamine.
- Time to response: the infusion after which a responder first responds is
  1 with probability 0.40, then 0.22, 0.15, 0.10, 0.08, 0.05 for 2–6: most
  responders respond early (Murrough 2013: a response at 4 h predicts the course
  response, 94 % sensitive; Zarate 2006: ~71 % at day 1, unverified).
- Relapse after an IV course without maintenance: days from the last induction
  session to relapse are log-normal with median 18 days (Murrough 2013) and
  σ = 0.8 (assumption); esketamine with maintenance: exponential hazard so that
  26.7 % relapse within a year (SUSTAIN-1, stable remitters).
- Suicidal ideation (PHQ-9 item 9 > 0) at baseline in 30 % of depressed patients
  (assumption); it fades with the score, so it mostly resolves within the first
  sessions (Wilkinson 2018: reduced within a day, lasting to day 7).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

# -- cohort mix ---------------------------------------------------------------------------

#: (group, primary ICD-10-CM code, description, share of patients)
CONDITIONS = (
    (
        "depression",
        "F33.2",
        "Major depressive disorder, recurrent severe without psychotic features",
        0.57,
    ),
    (
        "depression",
        "F32.2",
        "Major depressive disorder, single episode, severe without psychotic features",
        0.10,
    ),
    ("ptsd", "F43.10", "Post-traumatic stress disorder, unspecified", 0.15),
    (
        "bipolar",
        "F31.4",
        "Bipolar disorder, current episode depressed, severe, without psychotic features",
        0.10,
    ),
    ("chronic_pain", "G90.50", "Complex regional pain syndrome I, unspecified", 0.08),
)

#: Where a patient is in the pathway (shares; the rest are treated).
PATHWAY = (
    ("screening", 0.07),
    ("not_eligible", 0.04),
    ("eligible", 0.05),
    ("treated", 0.84),
)

IV_RESPONSE = 0.63
IV_REMISSION_GIVEN_RESPONSE = 0.60
ESK_RESPONSE = 0.55
ESK_REMISSION_GIVEN_RESPONSE = 0.55
ONSET_WEIGHTS = (0.40, 0.22, 0.15, 0.10, 0.08, 0.05)
IV_RELAPSE_MEDIAN_DAYS = 18.0
IV_RELAPSE_SIGMA = 0.8
ESK_RELAPSE_ONE_YEAR = 0.267
BASELINE_IDEATION = 0.30
RESCUE_AFTER_RELAPSE = 0.55
PAIN_RESPONSE = 0.50  # PEG ≥ 30 % drop after a CRPS course (assumption)

FIRST_NAMES = (
    "Avery",
    "Blake",
    "Casey",
    "Dana",
    "Eden",
    "Finley",
    "Gray",
    "Harper",
    "Indy",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Noel",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Taylor",
    "Uma",
    "Val",
    "Wren",
    "Xan",
    "Yael",
    "Zion",
    "Alex",
    "Robin",
    "Sam",
    "Jamie",
)
LAST_NAMES = (
    "Abbott",
    "Barker",
    "Chen",
    "Diaz",
    "Ellis",
    "Foster",
    "Garcia",
    "Hughes",
    "Ibarra",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mehta",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Walsh",
    "Xu",
    "Young",
    "Zimmer",
    "Moreau",
    "Novak",
    "Olsen",
    "Price",
    "Reyes",
    "Stone",
    "Turner",
    "Vance",
    "Wong",
    "Yates",
)
# Surnames beyond the list above, composed from a stem and an ending ("Ashford",
# "Thornley"): with the list alone a network of 100,000 patients had about 90 patients
# for every full name, where a real population has a handful, so a name search
# returned pages a clinic would not see. 36 listed + 30 x 20 composed = 636 surnames,
# 30 first names: about 5 patients per full name at 100,000.
SURNAME_STEMS = (
    "Ash", "Brad", "Carl", "Dun", "Elm", "Fair", "Gold", "Hart", "Kings", "Lang",
    "Mar", "Nor", "Oak", "Pem", "Red", "Stan", "Thorn", "Wat", "Whit", "York",
    "Ber", "Cal", "Dal", "Fen", "Gar", "Hol", "Lin", "Mel", "Rad", "Sel",
)  # fmt: skip
SURNAME_ENDINGS = (
    "ley", "ton", "wood", "field", "ford", "well", "more", "by", "worth", "man",
    "son", "ridge", "brook", "land", "ham", "er", "wick", "stead", "croft", "dale",
)  # fmt: skip
SURNAMES = LAST_NAMES + tuple(stem + end for stem in SURNAME_STEMS for end in SURNAME_ENDINGS)


def surname(rng: random.Random) -> str:
    """A surname, every one of ``SURNAMES`` as likely."""
    return rng.choice(SURNAMES)


ANTIDEPRESSANTS = (
    ("sertraline", 50, 200),
    ("escitalopram", 10, 20),
    ("fluoxetine", 20, 60),
    ("venlafaxine", 75, 225),
    ("duloxetine", 60, 120),
    ("bupropion", 300, 450),
    ("vortioxetine", 10, 20),
    ("mirtazapine", 15, 45),
    ("citalopram", 20, 40),
    ("desvenlafaxine", 50, 100),
)


def pick(rng: random.Random, weighted) -> object:
    """One item of ``((value, weight), ...)`` or ``((..., weight), ...)`` rows."""
    roll = rng.random() * sum(row[-1] for row in weighted)
    for row in weighted:
        roll -= row[-1]
        if roll < 0:
            return row
    return weighted[-1]


def locations_for(patients: int, per_location: int = 3500) -> int:
    """About one location per 2,000–5,000 patients, at least 2."""
    return max(2, round(patients / per_location))


# -- one patient's trajectory ----------------------------------------------------------------


@dataclass
class Trajectory:
    """The latent course of one patient's symptoms (PHQ-9 scale, 0–27)."""

    baseline: float
    responder: bool
    remitter: bool
    onset_session: int  # the session after which a responder has responded
    target: float  # fraction of the baseline removed at full effect
    relapse_days: float | None  # after the last induction session (responders)
    ideation: bool  # item 9 > 0 at baseline
    noise: float = 1.4
    pain_baseline: float = 0.0
    pain_target: float = 0.0

    def improvement(
        self, sessions_done: int, days_since_induction: float | None, rescued: bool = False
    ) -> float:
        """Fraction of the baseline removed after ``sessions_done`` sessions."""
        if sessions_done <= 0:
            return 0.0
        if self.responder:
            full = self.target * min(1.0, sessions_done / self.onset_session)
        else:
            full = self.target * min(1.0, sessions_done / 6)
        if (
            self.relapse_days is not None
            and days_since_induction is not None
            and days_since_induction > self.relapse_days
            and not rescued
        ):
            # back towards the baseline over about two weeks
            lost = 1 - math.exp(-(days_since_induction - self.relapse_days) / 10)
            full *= 1 - 0.85 * lost
            full = min(full, 0.35)
        return full

    def phq9(self, rng: random.Random, improvement: float) -> int:
        value = self.baseline * (1 - improvement) + rng.gauss(0, self.noise)
        return max(0, min(27, round(value)))


def trajectory(
    rng: random.Random, *, group: str, esketamine: bool, si_protocol: bool
) -> Trajectory:
    baseline = min(27.0, max(7.0, rng.gauss(18.5, 4.0)))
    if group == "chronic_pain":
        baseline = min(27.0, max(4.0, rng.gauss(13.0, 5.0)))
    p_resp, p_remit = (
        (ESK_RESPONSE, ESK_REMISSION_GIVEN_RESPONSE)
        if esketamine
        else (IV_RESPONSE, IV_REMISSION_GIVEN_RESPONSE)
    )
    responder = rng.random() < p_resp
    remitter = responder and rng.random() < p_remit
    onset = pick(rng, tuple((n + 1, w) for n, w in enumerate(ONSET_WEIGHTS)))[0]
    if remitter:  # down to 1–3.5 points
        target = max(rng.uniform(0.56, 0.8), 1 - rng.uniform(1.0, 3.5) / baseline)
    elif responder:  # at or below half the baseline, but above the remission range
        target = max(0.53, min(rng.uniform(0.56, 0.8), 1 - 7.5 / baseline))
    else:  # noise should rarely carry a non-responder across the response line
        target = rng.uniform(0.0, 0.3)
    relapse = None
    if responder:
        if esketamine:
            rate = -math.log(1 - ESK_RELAPSE_ONE_YEAR) / 365
            relapse = rng.expovariate(rate)
        else:
            relapse = rng.lognormvariate(math.log(IV_RELAPSE_MEDIAN_DAYS), IV_RELAPSE_SIGMA)
    ideation = si_protocol or rng.random() < BASELINE_IDEATION
    pain = rng.uniform(5.5, 9.0) if group == "chronic_pain" else 0.0
    pain_target = rng.uniform(0.3, 0.6) if rng.random() < PAIN_RESPONSE else rng.uniform(0, 0.25)
    return Trajectory(
        baseline=baseline,
        responder=responder,
        remitter=remitter,
        onset_session=onset,
        target=target,
        relapse_days=relapse,
        ideation=ideation,
        pain_baseline=pain,
        pain_target=pain_target,
    )


# -- answers that add up to a total -------------------------------------------------------------


def spread(rng: random.Random, total: int, items: int, top: int) -> list[int]:
    """``items`` answers in 0..``top`` summing to ``total`` (clipped to the possible)."""
    total = max(0, min(total, items * top))
    answers = [0] * items
    room = list(range(items))
    for _ in range(total):
        index = rng.choice(room)
        answers[index] += 1
        if answers[index] == top:
            room.remove(index)
    return answers


def phq9_answers(rng: random.Random, total: int, ideation_chance: float) -> dict[str, int]:
    item9 = 0
    if total > 0 and rng.random() < ideation_chance:
        item9 = 2 if rng.random() < 0.2 and total >= 12 else 1
    rest = spread(rng, total - item9, 8, 3)
    answers = {str(i + 1): value for i, value in enumerate(rest)}
    answers["9"] = item9
    return answers


def gad7_answers(rng: random.Random, total: int) -> dict[str, int]:
    return {str(i + 1): v for i, v in enumerate(spread(rng, total, 7, 3))}


def pcl5_answers(rng: random.Random, total: int) -> dict[str, int]:
    return {str(i + 1): v for i, v in enumerate(spread(rng, total, 20, 4))}


def peg_answers(rng: random.Random, mean: float) -> dict[str, int]:
    return {str(i + 1): max(0, min(10, round(mean + rng.gauss(0, 0.8)))) for i in range(3)}


# -- vital signs ----------------------------------------------------------------------------------


@dataclass
class VitalsPerson:
    systolic: float
    diastolic: float
    heart_rate: float
    rise: float = field(default=16.0)  # mean systolic rise at the peak (Yale: +16/+11)


def person_vitals(rng: random.Random, hypertension: bool) -> VitalsPerson:
    base = 132 if hypertension else 120
    return VitalsPerson(
        systolic=rng.gauss(base, 9),
        diastolic=rng.gauss(78, 7),
        heart_rate=rng.gauss(74, 9),
        rise=max(0.0, rng.gauss(16, 8)),
    )


def vitals_at(
    rng: random.Random,
    person: VitalsPerson,
    minute: float,
    peak_minute: float,
    *,
    spike: bool = False,
) -> tuple[int, int, int, int, int]:
    """(systolic, diastolic, heart rate, SpO2, respiratory rate) ``minute`` after the dose
    started: blood pressure rises to a peak about ``peak_minute`` and settles."""
    shape = max(0.0, 1 - abs(minute - peak_minute) / (peak_minute + 30)) if minute >= 0 else 0.0
    rise = person.rise + (48 if spike else 0)
    systolic = person.systolic + rise * shape + rng.gauss(0, 4)
    diastolic = person.diastolic + rise * 0.69 * shape + rng.gauss(0, 3)
    heart_rate = person.heart_rate + 6 * shape + rng.gauss(0, 3)
    spo2 = 97 + rng.choice((0, 0, 1, 1, 2, -1))
    resp = 14 + rng.choice((0, 1, 2, -1, -2))
    systolic = max(85, min(230, systolic))
    return (
        int(systolic),
        int(max(45, min(140, diastolic, systolic - 25))),
        int(max(54, min(140, heart_rate))),
        int(max(90, min(100, spo2))),
        int(resp),
    )
