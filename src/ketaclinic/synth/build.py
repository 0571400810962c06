"""Build a synthetic clinic network into a migrated database (``manage.py synth``).

What the domain layer keeps consistent is consistent here too:

- outcome rows (``PatientOutcome``, ``OutcomeSummary``, ``IdeationStatus``) are
  computed from the patient's generated scores and sessions by ``synth.summaries``
  (the pure ``outcomes.metrics`` arithmetic of ``outcomes.domain.summaries``);
- every ``Lot``'s cached ``balance_mg`` / ``outstanding_mg`` is the sum of its ledger
  entries (``inventory.ledger``), computed after the last draw and written once;
- eligibility decisions carry the screening engine's hint, hits and fingerprint for
  the generated record (``screening.engine.eligibility.evaluate``), so they show as
  current; each status a patient passed through has its ``StatusChange`` row.

Rows are written by ``synth.writer`` (PostgreSQL ``COPY``) with explicit keys: in one
transaction with every check on for small networks, and from ``FAST_FROM`` patients on
PostgreSQL by worker processes, one transaction per chunk of patients. Randomness
comes from ``synth.distributions``: one ``random.Random`` per patient, seeded by
(seed, patient number), so a seed and an anchor date give the same rows.

Not made (left for the domain functions when someone uses the screens): historical
(simple-history) rows, bookings, notification outboxes, access-log rows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, connections, models, transaction

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import Role
from ketaclinic.booking.models import Chair, ClinicHours
from ketaclinic.clinic.models import Location
from ketaclinic.inventory import ledger
from ketaclinic.inventory.models import LedgerEntry, Lot, Registration
from ketaclinic.measures.instruments import load
from ketaclinic.measures.models import Assignment, Response, ResponseLink
from ketaclinic.outcomes.models import IdeationStatus, OutcomeSummary, PatientOutcome
from ketaclinic.patients.domain.parsing import months_between, next_month_change
from ketaclinic.patients.models import (
    HISTORY_QUESTIONS,
    AntidepressantTrial,
    Condition,
    MedicalHistory,
    Medication,
    OtherTreatment,
    Patient,
    StatusChange,
)
from ketaclinic.safety.domain.tiers import tier_for_suicidal_ideation
from ketaclinic.safety.models import TIER_ORDER, Alert
from ketaclinic.screening.domain.snapshot import ENGINE_MEDICATION_CLASSES, HISTORY_FLAGS
from ketaclinic.screening.engine import adequacy, staging
from ketaclinic.screening.engine.eligibility import (
    ELIGIBLE,
    WITH_CONDITIONS,
    ScreeningInput,
    evaluate,
)
from ketaclinic.screening.models import Consent, ConsentText, EligibilityDecision
from ketaclinic.sessions.domain import policy
from ketaclinic.sessions.models import (
    Administration,
    AdverseEvent,
    CheckIn,
    DischargeRecord,
    ReadinessCheck,
    ScaleScore,
    Session,
    SessionAlert,
    VitalSigns,
)
from ketaclinic.sessions.thresholds import Vitals, classify_predose, in_session_breaches
from ketaclinic.synth import distributions as dist
from ketaclinic.synth.summaries import PatientFacts, ScoreRow, SessionFact, outcome_rows
from ketaclinic.synth.writer import Writer
from ketaclinic.treatment.demo import PRODUCTS
from ketaclinic.treatment.domain.protocols import latest_version, load_shipped_protocols
from ketaclinic.treatment.models import (
    Course,
    Product,
    Protocol,
    RemsCertification,
    RemsEnrolment,
    SessionOrder,
)
from ketaclinic.treatment.protocols import schedule_dates, vital_sign_minutes

UTC = UTC
HISTORY_YEARS = 3
CHUNK = 2000  # patients per transaction
#: From this many patients on PostgreSQL the rows go through a second connection, in a
#: thread, that sets ``session_replication_role = replica``: foreign-key triggers do
#: not fire during the load (the rows are built with their keys; the tests run small
#: networks with every check on). Check constraints and unique indexes still apply.
FAST_FROM = 5000
#: The most rows of each model one patient can have: a patient's rows take ids from
#: its own block (ids are 64-bit), so any worker builds any patient with the same keys.
BLOCKS = {
    Patient: 1,
    MedicalHistory: 1,
    Condition: 3,
    AntidepressantTrial: 6,
    OtherTreatment: 4,
    Medication: 4,
    EligibilityDecision: 1,
    Consent: 1,
    StatusChange: 6,
    Course: 1,
    RemsEnrolment: 1,
    SessionOrder: 100,
    Session: 100,
    CheckIn: 100,
    DischargeRecord: 100,
    VitalSigns: 2400,
    Administration: 400,
    ScaleScore: 200,
    AdverseEvent: 100,
    SessionAlert: 400,
    LedgerEntry: 300,
    Assignment: 16,
    ResponseLink: 500,
    Response: 500,
    Alert: 800,
    PatientOutcome: 1,
    OutcomeSummary: 6,
    IdeationStatus: 1,
}
#: Disk a patient takes with its indexes (measured on PostgreSQL 15, with a margin);
#: the command refuses to start without N times this free. Setting SYNTH_BYTES_PER_PATIENT.
BYTES_PER_PATIENT = 120_000
STAFF_PASSWORD = "synth-staff-2026"  # noqa: S105 - synthetic staff, documented in docs/synthetic-network.md
SEVERITY_CODES = {"depression": "severe", "bipolar": "severe", "ptsd": "moderate"}
# Every yes/no question of the medical history (the patients app's list).
HISTORY_FIELDS = tuple(name for name, _question in HISTORY_QUESTIONS)
EXCLUSIONS = ("active_substance_use_disorder", "psychotic_disorder", "prior_ketamine_misuse")
DISCHARGE_SENTENCES = (
    ("vitals_in_range", "The latest vital signs are within the discharge limits."),
    ("alert_and_oriented", "The patient is alert and oriented."),
    ("escort_present", "An escort is present to take the patient home."),
    ("suicidal_ideation_rechecked", "Suicidal ideation was checked again before discharge."),
)


class DiskShort(Exception):
    pass


@dataclass
class Options:
    patients: int
    seed: int
    anchor: date
    digest: bool = False
    dry_run: bool = False
    workers: int = 2
    progress: Callable[[int, int], None] | None = None


@dataclass
class Site:
    location: Location
    prescribers: list[int]
    nurses: list[int]
    front_desk: list[int]
    chairs: list[int]


@dataclass
class LotState:
    """What the draws of one lot add up to (merged across worker processes)."""

    id: int
    first_use: datetime
    drawn: Decimal = Decimal(0)
    administered: Decimal = Decimal(0)
    wasted: Decimal = Decimal(0)

    def merge(self, other: LotState) -> None:
        self.first_use = min(self.first_use, other.first_use)
        self.drawn += other.drawn
        self.administered += other.administered
        self.wasted += other.wasted


@dataclass
class Report:
    patients: int = 0
    counts: dict = field(default_factory=dict)
    digest: str | None = None
    locations: int = 0


# -- helpers --------------------------------------------------------------------------------


def _dea_number(rng: random.Random, letter: str) -> str:
    digits = [rng.randrange(10) for _ in range(6)]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    return "A" + letter + "".join(map(str, digits)) + str(check)


class Builder:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.w = Writer(digest=options.digest, dry_run=options.dry_run)
        self.now = self.local(options.anchor, dtime(18, 0))
        self.start_day = options.anchor - timedelta(days=365 * HISTORY_YEARS)
        self.thresholds = policy.thresholds()
        self.instruments = {i: load(i) for i in ("phq-9", "gad-7", "pcl-5", "peg")}
        self.lots: dict[tuple, LotState] = {}
        self.readiness: set[tuple] = set()
        self.token = 0
        self.lot_base = Lot.objects.aggregate(top=models.Max("pk"))["top"] or 0
        self.first_quarter = _quarter(self.start_day) - 1
        self.quarters = _quarter(options.anchor) - self.first_quarter + 2

    # -- time ---------------------------------------------------------------------------
    def local(self, day: date, at: dtime) -> datetime:
        return datetime.combine(day, at).replace(tzinfo=self.zone).astimezone(UTC)

    # -- reference data -------------------------------------------------------------------
    def reference(self) -> None:
        rng = random.Random(f"{self.o.seed}:reference")  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
        w = self.w
        load_shipped_protocols()
        self.protocols = {p.slug: p for p in Protocol.objects.all()}
        self.versions = {slug: latest_version(p) for slug, p in self.protocols.items()}
        products = {}
        for name, drug, form, concentration, volume, ndc in PRODUCTS:
            product = Product.objects.filter(ndc=ndc).first()
            if product is None:
                product = Product(
                    id=w.next_id(Product),
                    name=name,
                    drug=drug,
                    form=form,
                    concentration_mg_per_ml=Decimal(concentration),
                    unit_volume_ml=Decimal(volume),
                    ndc=ndc,
                )
                product.save(force_insert=True)
            products[ndc] = product
        self.ketamine = products["00000-010-20"]
        self.esketamine = products["00000-028-02"]
        self.groups = {g.name: g.pk for g in Group.objects.all()}
        text = ConsentText.objects.filter(is_current=True).first()
        if text is None:
            text = ConsentText(
                id=w.next_id(ConsentText),
                version="synth-1",
                title="Consent to ketamine treatment (synthetic)",
                body="Synthetic consent text for a generated clinic network.",
                effective_from=self.start_day,
                is_current=True,
            )
            text.save(force_insert=True)
        self.consent_text = text
        # computed once for every account, with a fixed salt so a seed gives the same rows
        self.password = make_password(STAFF_PASSWORD, salt=f"synth{self.o.seed}")
        count = dist.locations_for(self.o.patients)
        existing = Location.objects.filter(slug__startswith="synth-").count()
        self.sites = []
        director = None
        for index in range(existing, existing + count):
            site_rng = random.Random(f"{self.o.seed}:site:{index}")  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
            self.sites.append(self._site(site_rng, index))
        if not User.objects.filter(email="synth.director@example.org").exists():
            director = self._user(
                rng,
                "synth.director@example.org",
                Role.MEDICAL_DIRECTOR,
                [s.location.pk for s in self.sites],
            )
        self.director = director or User.objects.get(email="synth.director@example.org").pk
        w.flush()
        self.site_weights = [1.0 + 0.35 * i for i in range(len(self.sites))]

    def _user(self, rng, email: str, role: str, locations: list[int]) -> int:
        w = self.w
        uid = w.add(
            User,
            password=self.password,
            last_login=None,
            is_superuser=False,
            first_name=rng.choice(dist.FIRST_NAMES),
            last_name=rng.choice(dist.LAST_NAMES),
            is_staff=role == Role.MEDICAL_DIRECTOR,
            is_active=True,
            date_joined=self.local(self.start_day, dtime(9)),
            email=email,
        )
        w.add(User.groups.through, user_id=uid, group_id=self.groups[role])
        for location in locations:
            w.add(User.locations.through, user_id=uid, location_id=location)
        return uid

    def _site(self, rng, index: int) -> Site:
        w = self.w
        slug = f"synth-{index + 1:03d}"
        city = rng.choice(
            ("Springfield", "Riverton", "Lakeside", "Hillview", "Fairmont", "Oakdale")
        )
        location = Location(
            id=w.next_id(Location),
            name=f"Synthetic Clinic {index + 1}",
            slug=slug,
            address_line1=f"{100 + index} Main Street",
            city=city,
            region="IL",
            postal_code=f"6{index:04d}",
            phone=f"(555) 01{index % 10}-{1000 + index:04d}",
            email=f"{slug}@example.org",
            hours="Mon–Fri 8:00–17:00",
            order=100 + index,
        )
        location.save(force_insert=True)
        Registration(
            location=location,
            registrant_name=location.name,
            dea_number=_dea_number(rng, "S"),
            expires_on=self.o.anchor + timedelta(days=700),
        ).save()
        RemsCertification(
            location=location, certification_id=f"SYN-{slug}", certified_on=self.start_day
        ).save()
        for weekday in range(7):
            open_ = weekday < 5
            ClinicHours(
                location=location,
                weekday=weekday,
                is_closed=not open_,
                opens_at=dtime(8) if open_ else None,
                closes_at=dtime(17) if open_ else None,
            ).save()
        chairs = []
        for n in range(rng.randint(4, 8)):
            chairs.append(
                w.add(Chair, location_id=location.pk, name=f"Chair {n + 1}", kind="chair", order=n)
            )

        def staff(role, how_many):
            return [
                self._user(
                    rng, f"synth.{role}.{index + 1}.{n + 1}@example.org", role, [location.pk]
                )
                for n in range(how_many)
            ]

        return Site(
            location=location,
            prescribers=staff(Role.PRESCRIBER, rng.randint(3, 4)),
            nurses=staff(Role.NURSE, rng.randint(6, 8)),
            front_desk=staff(Role.FRONT_DESK, rng.randint(2, 3)),
            chairs=chairs,
        )

    # -- run ------------------------------------------------------------------------------
    def run(self) -> Report:
        with transaction.atomic():
            self.reference()
        self.w.configure(blocks=BLOCKS, patients=self.o.patients)
        self.bases = self.w.bases
        if self.o.patients >= FAST_FROM and self.w.postgres and _superuser():
            self._run_parallel()
        else:
            with transaction.atomic():  # small networks: one transaction, every check on
                for n in range(self.o.patients):
                    self.patient(n)
                    if self.o.progress and (n % 250 == 249 or n + 1 == self.o.patients):
                        self.o.progress(n + 1, self.o.patients)
                self.finish()
                self.w.flush()
                self.w.reset_sequences(extra=[Location, Product, ConsentText])
        return Report(
            patients=self.o.patients,
            counts=dict(self.w.counts),
            digest=self.w.hexdigest(),
            locations=len(self.sites),
        )

    def _run_parallel(self) -> None:
        """Large networks on PostgreSQL: ``--workers`` processes build alternate chunks of
        patients, each writing through a background COPY connection with foreign-key
        triggers off; then this process adds what spans patients (lots, receipts,
        readiness checks) with every check on."""
        import multiprocessing

        global _PARALLEL
        chunks = math.ceil(self.o.patients / CHUNK)
        done = multiprocessing.get_context("fork").Value("i", 0)
        _PARALLEL = (self, done)
        connections.close_all()  # each process opens its own
        context = multiprocessing.get_context("fork")
        workers = max(1, self.o.workers)
        with context.Pool(workers) as pool:
            pending = pool.map_async(_work, [(k, workers, chunks) for k in range(workers)])
            while not pending.ready():
                pending.wait(2)
                if self.o.progress:
                    self.o.progress(min(done.value, self.o.patients), self.o.patients)
            results = pending.get()
        _PARALLEL = None
        for lots, readiness, counts in results:
            for key, lot in lots.items():
                if key in self.lots:
                    self.lots[key].merge(lot)
                else:
                    self.lots[key] = lot
            self.readiness |= readiness
            for label, count in counts.items():
                self.w.counts[label] = self.w.counts.get(label, 0) + count
        with transaction.atomic():
            self.finish()
            self.w.flush()
            self.w.reset_sequences(extra=[Location, Product, ConsentText, *BLOCKS])

    def work(self, worker: int, workers: int, chunks: int, done) -> tuple:
        self.w = Writer()
        self.w.configure(blocks=BLOCKS, patients=self.o.patients, bases=self.bases)
        self.w.start_background(replica=True)
        for chunk in range(worker, chunks, workers):
            start = chunk * CHUNK
            for n in range(start, min(start + CHUNK, self.o.patients)):
                self.patient(n)
                if n % 50 == 49:
                    with done.get_lock():
                        done.value += 50
            self.w.flush()
            self.w.commit()
        self.w.finish()
        return self.lots, self.readiness, self.w.counts

    # -- one patient ------------------------------------------------------------------------
    def patient(self, n: int) -> None:
        rng = random.Random(f"{self.o.seed}:{n}")  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
        w = self.w
        site = self.sites[
            dist.pick(rng, tuple((i, wgt) for i, wgt in enumerate(self.site_weights)))[0]
        ]
        loc = site.location.pk
        group, code, description, _share = dist.pick(rng, dist.CONDITIONS)
        pathway = dist.pick(rng, dist.PATHWAY)[0]
        # intake day: more patients recently (the network grows)
        span = (self.o.anchor - self.start_day).days - 20
        intake = self.start_day + timedelta(days=int(span * math.sqrt(rng.random())))
        age = rng.randint(19, 74) if rng.random() < 0.93 else rng.randint(65, 78)
        dob = self.o.anchor - timedelta(days=int(age * 365.25 + rng.randint(0, 364)))
        sex = "female" if rng.random() < 0.58 else "male"
        first, _listed = rng.choice(dist.FIRST_NAMES), rng.choice(dist.LAST_NAMES)
        # the surname from its own stream, so that every other draw of the patient (and
        # so the cohort's figures) stays what it was before composed surnames existed
        last = dist.surname(random.Random(f"{self.o.seed}:{n}:surname"))  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
        prescriber = rng.choice(site.prescribers)
        front = rng.choice(site.front_desk)
        created = self.local(intake, dtime(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
        w.begin_patient(n)
        self.token = 0
        pid = w.patient_id(Patient)
        hypertension = rng.random() < 0.16
        bp = (
            (rng.randint(126, 148), rng.randint(80, 92))
            if hypertension
            else (rng.randint(104, 134), rng.randint(64, 84))
        )
        history = dict.fromkeys(HISTORY_FIELDS, False)
        history["hypertension"] = hypertension
        history["alcohol_use"] = rng.random() < 0.4
        history["bipolar_disorder"] = group == "bipolar"
        history["on_mood_stabiliser"] = group == "bipolar"
        if pathway == "not_eligible":
            if rng.random() < 0.25:
                bp = (rng.randint(162, 176), rng.randint(101, 108))
            else:
                history[rng.choice(EXCLUSIONS)] = True
        weight = Decimal(str(round(max(46.0, min(140.0, rng.gauss(80, 15))), 1)))
        height = Decimal(str(round(max(150.0, min(198.0, rng.gauss(170, 9))), 1)))
        w.add(
            MedicalHistory,
            patient_id=pid,
            **history,
            latest_systolic=bp[0],
            latest_diastolic=bp[1],
            bp_measured_on=intake,
            weight_kg=weight,
            height_cm=height,
            updated_at=created,
        )
        # conditions and the episode
        episode_start = intake - timedelta(days=rng.randint(120, 1500))
        severity = SEVERITY_CODES.get(group, "")
        conditions = [
            (
                group,
                code,
                description,
                True,
                episode_start if group in {"depression", "bipolar"} else None,
                severity if group in {"depression", "bipolar"} else "",
            )
        ]
        if group in {"ptsd", "chronic_pain"} and rng.random() < (0.8 if group == "ptsd" else 0.5):
            conditions.append(
                (
                    "depression",
                    "F33.1",
                    "Major depressive disorder, recurrent, moderate",
                    False,
                    episode_start,
                    "moderate",
                )
            )
        for cgroup, ccode, cdesc, primary, started, sev in conditions:
            w.add(
                Condition,
                patient_id=pid,
                code=ccode,
                description=cdesc,
                group=cgroup,
                is_primary=primary,
                active=True,
                episode_started_on=started,
                episode_severity=sev,
                noted_at=created,
                noted_by_id=prescriber,
            )
        # antidepressant trials (the treatment resistance is computed from these)
        trials = []
        if group != "chronic_pain" or len(conditions) > 1:
            day = episode_start
            for drug, low, high in rng.sample(dist.ANTIDEPRESSANTS, rng.randint(2, 5)):
                weeks = Decimal(rng.choice((6, 8, 8, 10, 12, 16)))
                dose = Decimal(rng.randrange(low, high + 1, max(1, (high - low) // 4 or 1)))
                outcome = rng.choice(("none", "none", "partial", "intolerance"))
                adherence = rng.choice(("good", "good", "good", "partial"))
                trials.append((drug, dose, weeks, adherence, outcome))
                w.add(
                    AntidepressantTrial,
                    patient_id=pid,
                    drug=drug,
                    dose_mg=dose,
                    weeks=weeks,
                    adherence=adherence,
                    outcome=outcome,
                    current_episode=True,
                    started_on=day,
                    created_at=created,
                )
                day += timedelta(weeks=int(weeks) + 2)
        augmentation = bool(trials) and rng.random() < 0.35
        ect = bool(trials) and rng.random() < 0.05
        for kind, text, flag in (
            ("augmentation", "Aripiprazole augmentation", augmentation),
            ("ect", "ECT, 8 sessions", ect),
            ("psychotherapy", "CBT, weekly", rng.random() < 0.6),
        ):
            if flag:
                w.add(
                    OtherTreatment,
                    patient_id=pid,
                    kind=kind,
                    description=text,
                    current_episode=True,
                    outcome="No lasting benefit",
                    created_at=created,
                )
        # medications
        classes = set()
        meds = []
        if trials:
            meds.append((trials[-1][0], f"{trials[-1][1]} mg daily", ""))
        if group == "bipolar":
            meds.append(
                rng.choice(
                    (
                        ("lithium", "900 mg daily", "mood_stabiliser"),
                        ("lamotrigine", "200 mg daily", "lamotrigine"),
                    )
                )
            )
        if rng.random() < 0.1:
            meds.append(("clonazepam", "0.5 mg at night", "benzodiazepine"))
        for name, dose_text, klass in meds:
            if klass:
                classes.add(klass)
            w.add(
                Medication,
                patient_id=pid,
                name=name,
                dose_text=dose_text,
                interaction_class=klass,
                active=True,
                started_on=intake - timedelta(days=90),
                created_at=created,
            )
        # the maudsley stage, as treatment_history computes it on the anchor day
        maudsley, stage_until = "", None
        episode = next((c for c in conditions if c[0] in {"depression", "bipolar"} and c[4]), None)
        if episode:
            assessed = [
                adequacy.TrialInput(
                    drug=t[0],
                    dose_mg=float(t[1]),
                    weeks=float(t[2]),
                    adherence=t[3],
                    outcome=t[4],
                    current_episode=True,
                )
                for t in trials
            ]
            summary = adequacy.summarize_trials(assessed)
            sev = {
                "severe": staging.Severity.SEVERE_WITHOUT_PSYCHOSIS,
                "moderate": staging.Severity.MODERATE,
            }[episode[5]]
            maudsley = staging.maudsley_stage(
                months_between(episode[4], self.o.anchor),
                sev,
                summary.failed_adequate_in_episode,
                augmentation,
                ect,
            ).category
            stage_until = next_month_change(episode[4], self.o.anchor)
        # screening
        engine_classes = set(classes) & ENGINE_MEDICATION_CLASSES
        if history["alcohol_use"]:
            engine_classes.add("alcohol_use")
        engine_input = ScreeningInput(
            age_years=age_on(dob, self.o.anchor),
            pregnancy_possible=sex != "male",
            systolic=bp[0],
            diastolic=bp[1],
            bp_measured_on=intake,
            bipolar_disorder=group == "bipolar",
            on_mood_stabiliser=group == "bipolar",
            medication_classes=frozenset(engine_classes),
            **{name: history[name] for name in HISTORY_FLAGS},
        )
        result = evaluate(engine_input)
        decided = intake + timedelta(days=rng.randint(3, 12))
        status_path = [("screening", "Patient record created", created)]
        if pathway != "screening":
            if result.decision_hint in (ELIGIBLE, WITH_CONDITIONS) and pathway != "not_eligible":
                decision = (
                    "eligible" if result.decision_hint == ELIGIBLE else "eligible_with_conditions"
                )
            else:
                decision, pathway = "not_eligible", "not_eligible"
            signed_at = self.local(decided, dtime(12, rng.choice((0, 20, 40))))
            w.add(
                EligibilityDecision,
                patient_id=pid,
                decision=decision,
                note="Synthetic screening: the rule results at signing are listed.",
                engine_hint=result.decision_hint,
                hits=[asdict(hit) for hit in result.hits],
                rules_version=result.rules_version,
                rules_fingerprint=result.fingerprint,
                signed_by_id=prescriber,
                signed_at=signed_at,
            )
            label = {
                "eligible": "Eligible",
                "eligible_with_conditions": "Eligible with conditions",
                "not_eligible": "Not eligible",
            }[decision]
            status_path.append(
                (
                    "eligible" if decision != "not_eligible" else "not_eligible",
                    f"Eligibility decision signed: {label}",
                    signed_at,
                )
            )
            if decision != "not_eligible":
                w.add(
                    Consent,
                    patient_id=pid,
                    text_id=self.consent_text.pk,
                    signed_name=f"{first} {last}",
                    signed_at=signed_at + timedelta(minutes=30),
                    witness_id=rng.choice(site.nurses),
                    recorded_by_id=front,
                )
        facts = PatientFacts(
            patient_id=pid,
            location_id=loc,
            condition_group=group,
            maudsley=maudsley,
            protocol_id=None,
            course_first_day=None,
            stage_until=stage_until,
        )
        # the intake questionnaire (a link sent at intake)
        traj = None
        esketamine = False
        slug = None
        if pathway == "treated":
            if group == "chronic_pain":
                slug = "iv-ketamine-crps"
            else:
                roll = rng.random()
                if group in {"depression"} and roll < 0.30:
                    esketamine = True
                    if rng.random() < 0.08:
                        slug = "esketamine-mdd-suicidal-ideation"
                    else:
                        slug = (
                            "esketamine-trd-65-and-over" if age >= 65 else "esketamine-trd-under-65"
                        )
                elif roll < 0.8:
                    slug = "iv-ketamine-depression-twice-weekly"
                else:
                    slug = "iv-ketamine-depression-three-weekly"
            if slug not in self.versions or self.versions[slug] is None:
                slug = "iv-ketamine-depression-twice-weekly"
        traj = dist.trajectory(
            rng,
            group=group,
            esketamine=esketamine,
            si_protocol=slug == "esketamine-mdd-suicidal-ideation",
        )
        assignments = {}

        def assignment(instrument, schedule, at):
            key = (instrument, schedule)
            if key not in assignments:
                assignments[key] = w.add(
                    Assignment,
                    patient_id=pid,
                    instrument_id=instrument,
                    schedule=schedule,
                    next_due_at=None,
                    last_sent_at=at,
                    active=schedule != "once",
                    created_by_id=front,
                    created_at=at,
                )
            return assignments[key]

        def respond(instrument, schedule, at, improvement, channel="email"):
            if at > self.now:  # nothing is answered after the anchor day
                return None
            answers = self._answers(rng, instrument, traj, improvement)
            scored = self.instruments[instrument].score(answers)
            aid = assignment(instrument, schedule, at - timedelta(hours=2))
            self.token += 1
            link = w.add(
                ResponseLink,
                patient_id=pid,
                assignment_id=aid,
                purpose="instrument",
                instrument_id=instrument,
                history_report_id=None,
                token_hash=_token(self.o.seed, pid, self.token),
                channel=channel,
                created_at=at - timedelta(hours=2),
                created_by_id=None,
                expires_at=at + timedelta(days=7),
                used_at=at,
            )
            total = None if scored.total is None else float(scored.total)
            rid = w.add(
                Response,
                patient_id=pid,
                link_id=link,
                instrument_id=instrument,
                instrument_version=scored.instrument_version,
                answers=dict(scored.item_answers),
                submitted_at=at,
                total=total,
                band=scored.band or "",
                flags=sorted(scored.flags),
                risk=scored.risk or "",
                valid=scored.valid,
                entered_by_id=None,
                created_at=at - timedelta(minutes=5),
                updated_at=at,
            )
            facts.scores.append(
                ScoreRow(
                    rid, at, instrument, total, dict(scored.item_answers), schedule, scored.valid
                )
            )
            return rid

        intake_at = created + timedelta(hours=rng.randint(2, 30))
        extra = {"ptsd": "pcl-5", "chronic_pain": "peg"}.get(group)
        respond("phq-9", "once", intake_at, 0.0)
        if extra:
            respond(extra, "once", intake_at + timedelta(minutes=4), 0.0)
        sessions_made = []
        if pathway == "treated":
            first_day = _weekday(decided + timedelta(days=rng.randint(5, 25)))
            if first_day < self.o.anchor:
                sessions_made = self.course(
                    rng,
                    site,
                    pid,
                    slug,
                    first_day,
                    prescriber,
                    front,
                    weight,
                    height,
                    traj,
                    facts,
                    respond,
                    dob,
                    sex,
                )
            else:
                pathway = "eligible"
        # status history
        if pathway == "treated" and facts.course_first_day is not None:
            started = self.local(facts.course_first_day - timedelta(days=3), dtime(15))
            name = self.protocols[slug].name
            status_path.append(("in_treatment", f"Course started: {name}", started))
            if self._course_status == "completed":
                last_session_at = sessions_made[-1].at if sessions_made else started
                status_path.append(
                    (
                        "maintenance" if (self.now - last_session_at).days < 60 else "discharged",
                        "Course completed (synthetic record)",
                        last_session_at + timedelta(hours=4),
                    )
                )
        previous = ""
        for to, reason, at in status_path:
            w.add(
                StatusChange,
                patient_id=pid,
                from_status=previous,
                to_status=to,
                reason=reason,
                actor_id=prescriber if to != "screening" else front,
                changed_at=at,
            )
            previous = to
        final_status, final_at = status_path[-1][0], status_path[-1][2]
        w.add(
            Patient,
            id=pid,
            location_id=loc,
            inquiry_id=None,
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=dob,
            sex=sex,
            email=f"synth.patient.{pid}@example.org",
            phone=f"+1555{pid % 10_000_000:07d}",
            address_line1=f"{rng.randint(1, 999)} {rng.choice(dist.LAST_NAMES)} Avenue",
            city=site.location.city,
            region="IL",
            postal_code=site.location.postal_code,
            emergency_contact_name=f"{rng.choice(dist.FIRST_NAMES)} {last}",
            emergency_contact_phone=f"+1555{(pid * 7 + 3) % 10_000_000:07d}",
            emergency_contact_relationship=rng.choice(("spouse", "parent", "sibling", "friend")),
            primary_prescriber_id=prescriber,
            status=final_status,
            status_changed_at=final_at,
            created_by_id=front,
            created_at=created,
            updated_at=final_at,
        )
        # safety alerts for ideation answers (what measures.domain.responses raises)
        self.alerts(rng, pid, facts, prescriber)
        outcome, summaries, ideation = outcome_rows(facts, self.now)
        w.add(PatientOutcome, **outcome)
        for row in summaries:
            w.add(OutcomeSummary, **row)
        w.add(IdeationStatus, **ideation)

    _course_status = "active"

    # -- a course and its sessions --------------------------------------------------------------
    def course(
        self,
        rng,
        site,
        pid,
        slug,
        first_day,
        prescriber,
        front,
        weight,
        height,
        traj,
        facts,
        respond,
        dob,
        sex,
    ):
        w = self.w
        version = self.versions[slug]
        definition = version.parsed
        esketamine = definition.drug == "esketamine"
        product = self.esketamine if esketamine else self.ketamine
        started_at = self.local(first_day - timedelta(days=3), dtime(15))
        if esketamine:
            w.add(
                RemsEnrolment,
                patient_id=pid,
                enrolment_id=f"SYN-{pid:08d}",
                enrolled_on=first_day - timedelta(days=4),
                recorded_by_id=prescriber,
                recorded_at=started_at - timedelta(days=1),
            )
        days = list(schedule_dates(definition.schedule, first_day))
        induction_count = definition.schedule.induction_sessions
        reasons = ["induction"] * induction_count + ["maintenance"] * (len(days) - induction_count)
        last_induction_day = days[induction_count - 1]
        follow_weeks = rng.randint(6, 40)
        follow_end = min(self.o.anchor, last_induction_day + timedelta(weeks=follow_weeks))
        if esketamine:
            # maintenance every one or two weeks until the follow-up ends
            gap = rng.choice((7, 14))
            day = days[-1] + timedelta(days=gap)
            while day < follow_end:
                days.append(day)
                reasons.append("maintenance")
                day += timedelta(days=gap)
        elif traj.relapse_days is not None and rng.random() < dist.RESCUE_AFTER_RELAPSE:
            rescue_day = last_induction_day + timedelta(
                days=int(traj.relapse_days) + rng.randint(4, 10)
            )
            if rescue_day < follow_end:
                days.append(rescue_day)
                reasons.append("rescue")
        # sessions only up to the anchor (yesterday at the latest)
        planned = [(d, r) for d, r in zip(days, reasons, strict=True) if d < self.o.anchor]
        self._course_status = (
            "completed"
            if (
                not esketamine
                and len(planned) == len(days)
                and (self.o.anchor - planned[-1][0]).days > 30
            )
            else "active"
        )
        course_id = w.add(
            Course,
            patient_id=pid,
            protocol_version_id=version.pk,
            prescriber_id=prescriber,
            first_session_on=first_day,
            status=self._course_status,
            note="",
            started_by_id=prescriber,
            started_at=started_at,
            version=1,
        )
        facts.protocol_id = version.protocol_id
        facts.course_first_day = first_day
        person = dist.person_vitals(rng, hypertension=False)
        made: list[SessionFact] = []
        rescued = False
        last_induction_at = None
        previous_day = None
        number = 0
        for day, reason in planned:
            day = _weekday(day)
            if previous_day is not None and day <= previous_day:
                day = _weekday(previous_day + timedelta(days=1))
            if day >= self.o.anchor:
                break
            previous_day = day
            number += 1  # noqa: SIM113 - sessions past the anchor stop the loop early
            if reason == "rescue":
                rescued = True
            sessions_done = number - 1
            days_since = None
            if day > last_induction_day:
                days_since = float((day - last_induction_day).days)
            before = traj.improvement(sessions_done, days_since, rescued)
            fact = self.session(
                rng,
                site,
                pid,
                course_id,
                number,
                reason,
                day,
                definition,
                version,
                product,
                prescriber,
                front,
                weight,
                height,
                person,
                traj,
                respond,
                before,
                esketamine,
            )
            made.append(fact)
            facts.sessions.append(fact)
            if reason == "induction":
                last_induction_at = fact.at
        # after the course: weekly for 8 weeks, then monthly, until the follow-up ends
        if made and last_induction_at is not None:
            day = last_induction_at.date() + timedelta(days=7)
            k = 0
            while day < follow_end:
                at = self.local(day, dtime(rng.randint(8, 20), rng.choice((0, 10, 25, 40))))
                since = (at - last_induction_at).total_seconds() / 86400
                done = sum(1 for s in made if s.at < at)
                got_rescue = any(s.reason == "rescue" and s.at < at for s in made)
                imp = traj.improvement(done, since, got_rescue)
                respond("phq-9", "weekly" if k < 8 else "monthly", at, imp)
                if k % 4 == 3:
                    respond("gad-7", "monthly", at + timedelta(minutes=3), imp * 0.85)
                    extra = {"ptsd": "pcl-5", "chronic_pain": "peg"}.get(facts.condition_group)
                    if extra:
                        respond(extra, "monthly", at + timedelta(minutes=6), imp)
                k += 1
                day += timedelta(days=7 if k < 8 else 28)
        return made

    def session(
        self,
        rng,
        site,
        pid,
        course_id,
        number,
        reason,
        day,
        definition,
        version,
        product,
        prescriber,
        front,
        weight,
        height,
        person,
        traj,
        respond,
        before,
        esketamine,
    ):
        w = self.w
        nurse = rng.choice(site.nurses)
        other_nurse = rng.choice([n for n in site.nurses if n != nurse])
        slot = rng.randint(0, 14)
        check_in = self.local(day, dtime(8 + slot // 2, 30 * (slot % 2)))
        dose_start = check_in + timedelta(minutes=rng.randint(15, 25))
        infusion = definition.infusion_minutes or 0
        observe = definition.monitoring.minimum_observation_minutes
        # the dose
        if esketamine:
            mg = Decimal(
                definition.dose.first_dose_mg
                if number == 1
                else rng.choice(definition.dose.allowed_mg)
            )
            devices = int(mg / 28)
            dose_fields = {
                "dose_basis": "fixed_mg",
                "devices": devices,
                "units_needed": devices,
                "max_mg": Decimal(definition.dose.max_mg),
            }
        elif definition.dose.kind == "mg_per_kg":
            per_kg = Decimal("0.5")
            esc = definition.dose.escalation
            if esc and number >= esc.from_session and before < 0.5 and reason == "induction":
                per_kg = Decimal("0.75")
            mg = min((per_kg * weight).quantize(Decimal("0.1")), Decimal(definition.dose.max_mg))
            volume = (mg / product.concentration_mg_per_ml).quantize(Decimal("0.01"))
            rate_mg_h = (mg * 60 / infusion).quantize(Decimal("0.01"))
            dose_fields = {
                "dose_basis": "mg_per_kg",
                "mg_per_kg": per_kg,
                "measured_weight_kg": weight,
                "weight_measured_on": day - timedelta(days=1),
                "height_cm": height,
                "weight_rule": "actual",
                "dosing_weight_kg": weight,
                "weight_explanation": "Actual body weight (clinic policy).",
                "minutes": infusion,
                "final_volume_ml": Decimal("100.00"),
                "volume_ml": volume,
                "infused_ml": Decimal("100.00"),
                "rate_ml_per_h": (Decimal(100) * 60 / infusion).quantize(Decimal("0.01")),
                "rate_mg_per_h": rate_mg_h,
                "units_needed": max(1, math.ceil(volume / product.unit_volume_ml)),
                "max_mg": Decimal(definition.dose.max_mg),
                "max_mg_per_kg": Decimal(str(definition.dose.max_mg_per_kg)),
            }
        else:  # mg/kg/h (CRPS)
            per_kg_h = Decimal(str(definition.dose.mg_per_kg_per_h))
            rate_mg_h = min(
                (per_kg_h * weight).quantize(Decimal("0.1")), Decimal(definition.dose.max_mg_per_h)
            )
            mg = (rate_mg_h * infusion / 60).quantize(Decimal("0.1"))
            volume = (mg / product.concentration_mg_per_ml).quantize(Decimal("0.01"))
            dose_fields = {
                "dose_basis": "mg_per_kg_per_h",
                "mg_per_kg_per_h": per_kg_h,
                "measured_weight_kg": weight,
                "weight_measured_on": day - timedelta(days=1),
                "height_cm": height,
                "weight_rule": "actual",
                "dosing_weight_kg": weight,
                "weight_explanation": "Actual body weight (clinic policy).",
                "minutes": infusion,
                "final_volume_ml": Decimal("250.00"),
                "volume_ml": volume,
                "infused_ml": Decimal("250.00"),
                "rate_ml_per_h": (Decimal(250) * 60 / infusion).quantize(Decimal("0.01")),
                "rate_mg_per_h": rate_mg_h,
                "units_needed": max(1, math.ceil(volume / product.unit_volume_ml)),
                "max_mg": Decimal(definition.dose.max_mg),
                "max_mg_per_h": Decimal(definition.dose.max_mg_per_h),
            }
        ordered_at = self.local(day - timedelta(days=1), dtime(16, 0))
        order_id = w.add(
            SessionOrder,
            course_id=course_id,
            session_number=number,
            product_id=product.pk,
            route=definition.route,
            concentration_mg_per_ml=product.concentration_mg_per_ml,
            dose_mg=mg,
            inputs={"source": "manage.py synth", "protocol": definition.slug, "dose_mg": str(mg)},
            status="checked",
            ordered_by_id=prescriber,
            ordered_at=ordered_at,
            prepared_by_id=nurse,
            prepared_at=check_in + timedelta(minutes=8),
            checked_by_id=prescriber,
            checked_at=check_in + timedelta(minutes=11),
            version=3,
            **dose_fields,
        )
        # questionnaire before the session (its baseline for session 1)
        pre_at = check_in - timedelta(minutes=rng.randint(20, 90))
        respond("phq-9", "before_session", pre_at, before)
        if number == 1 or number % 3 == 0:
            respond("gad-7", "before_session", pre_at + timedelta(minutes=3), before * 0.85)
        end = infusion + observe
        discharged = dose_start + timedelta(minutes=end + rng.randint(2, 12))
        sid = w.patient_id(Session)
        self.readiness.add((site.location.pk, day))  # one readiness check per day
        w.add(
            CheckIn,
            session_id=sid,
            fasting_confirmed=True,
            nasal_steroid_gap_confirmed=True if esketamine else None,
            escort_confirmed=True,
            no_driving_confirmed=True,
            pregnancy_test="not_applicable",
            medication_changes="",
            medication_changes_reviewed=True,
            suicidal_ideation=False,
            by_id=nurse,
            at=check_in + timedelta(minutes=2),
        )
        # vital signs every 10–15 minutes
        minutes = set(vital_sign_minutes(definition))
        if not definition.monitoring.vital_signs.during_every_minutes:
            minutes.update(range(15, end + 1, 15))  # every 15 minutes at the least
        spike = rng.random() < 0.01
        peak_minute = 40.0
        peaks = [0, 0]
        alert_vitals = []
        data_items = 0
        for minute in sorted(minutes):
            if minute == 0:
                at = dose_start - timedelta(minutes=5)
                values = dist.vitals_at(rng, person, -5, peak_minute)
                verdict = classify_predose(Vitals(*values), self.thresholds)
                level, reasons_ = verdict.level, verdict.reasons
                if level == "hold":  # a nurse rechecks after rest: a calmer reading
                    values = (
                        min(values[0], 138),
                        min(values[1], 86),
                        min(values[2], 96),
                        values[3],
                        values[4],
                    )
                    verdict = classify_predose(Vitals(*values), self.thresholds)
                    level, reasons_ = verdict.level, verdict.reasons
            else:
                at = dose_start + timedelta(minutes=minute)
                values = dist.vitals_at(
                    rng, person, minute, peak_minute, spike=spike and minute == 40
                )
                level, reasons_ = "", []
            vid = w.add(
                VitalSigns,
                session_id=sid,
                occurred_at=at,
                entered_at=at + timedelta(seconds=rng.randint(20, 240)),
                by_id=nurse,
                systolic=values[0],
                diastolic=values[1],
                heart_rate=values[2],
                spo2=values[3],
                resp_rate=values[4],
                predose_level=level,
                reasons=reasons_,
                from_paper=False,
            )
            data_items += 1
            peaks[0] = max(peaks[0], values[0])
            peaks[1] = max(peaks[1], values[1])
            if minute and self._beyond(values):
                breaches = in_session_breaches(Vitals(*values), self.thresholds)
                if breaches:
                    alert_vitals.append((vid, at, breaches))
        # administration and the controlled-substance ledger
        lot = self.lot_for(site, product, dose_start)
        lot_number = self.lot_number(site, product, dose_start)
        if esketamine:
            for device in range(int(mg / 28)):
                w.add(
                    Administration,
                    session_id=sid,
                    occurred_at=dose_start + timedelta(minutes=5 * device),
                    entered_at=dose_start + timedelta(minutes=5 * device, seconds=40),
                    by_id=nurse,
                    kind="bolus",
                    product_id=product.pk,
                    lot=lot_number,
                    rate_mg_per_h=None,
                    amount_mg=Decimal(28),
                )
            drawn = mg
        else:
            w.add(
                Administration,
                session_id=sid,
                occurred_at=dose_start,
                entered_at=dose_start + timedelta(seconds=50),
                by_id=nurse,
                kind="start",
                product_id=product.pk,
                lot=lot_number,
                rate_mg_per_h=rate_mg_h,
                amount_mg=None,
            )
            w.add(
                Administration,
                session_id=sid,
                occurred_at=dose_start + timedelta(minutes=infusion),
                entered_at=dose_start + timedelta(minutes=infusion, seconds=50),
                by_id=nurse,
                kind="stop",
                product_id=product.pk,
                lot=lot_number,
                rate_mg_per_h=None,
                amount_mg=None,
            )
            # drawn: the dose rounded up to the next half millilitre
            half_ml = product.concentration_mg_per_ml / 2
            drawn = (mg / half_ml).to_integral_value(rounding=ROUND_CEILING) * half_ml
        draw_at = check_in + timedelta(minutes=8)
        draw_id = w.add(
            LedgerEntry,
            kind="draw",
            lot_id=lot.id,
            quantity_mg=drawn,
            units=None,
            occurred_at=draw_at,
            entered_at=draw_at + timedelta(minutes=1),
            by_id=nurse,
            witness_id=None,
            patient_id=pid,
            order_id=order_id,
            draw_id=None,
            corrects_id=None,
            counterpart_id=None,
            counterpart_location_id=None,
        )
        lot.drawn += drawn
        given_at = dose_start + timedelta(minutes=infusion or 10)
        w.add(
            LedgerEntry,
            kind="administration",
            lot_id=lot.id,
            quantity_mg=mg,
            units=None,
            occurred_at=given_at,
            entered_at=given_at + timedelta(minutes=2),
            by_id=nurse,
            witness_id=None,
            patient_id=pid,
            order_id=None,
            draw_id=draw_id,
            corrects_id=None,
            counterpart_id=None,
            counterpart_location_id=None,
        )
        lot.administered += mg
        if drawn > mg:
            w.add(
                LedgerEntry,
                kind="waste",
                lot_id=lot.id,
                quantity_mg=drawn - mg,
                units=None,
                occurred_at=given_at + timedelta(minutes=3),
                entered_at=given_at + timedelta(minutes=5),
                by_id=nurse,
                witness_id=other_nurse,
                patient_id=pid,
                order_id=None,
                draw_id=draw_id,
                corrects_id=None,
                counterpart_id=None,
                counterpart_location_id=None,
                reason="Remainder of the drawn syringe",
            )
            lot.wasted += drawn - mg
        # scales and events
        cadss = max(0, min(92, int(rng.gammavariate(2.0, 8.0 if esketamine else 7.0))))
        w.add(
            ScaleScore,
            session_id=sid,
            occurred_at=dose_start + timedelta(minutes=40),
            entered_at=dose_start + timedelta(minutes=42),
            by_id=nurse,
            scale="cadss",
            score=cadss,
        )
        w.add(
            ScaleScore,
            session_id=sid,
            occurred_at=dose_start + timedelta(minutes=40),
            entered_at=dose_start + timedelta(minutes=42),
            by_id=nurse,
            scale="moaas",
            score=5 if rng.random() < 0.85 else 4,
        )
        if rng.random() < 0.08:
            w.add(
                AdverseEvent,
                session_id=sid,
                occurred_at=dose_start + timedelta(minutes=30),
                entered_at=dose_start + timedelta(minutes=33),
                by_id=nurse,
                type="nausea",
                description="Nausea",
                severity="mild",
                intervention="Reassurance",
                outcome="Resolved before discharge",
            )
        for vid, at, breaches in alert_vitals:
            alert_id = w.add(
                Alert,
                patient_id=pid,
                tier="urgent",
                tier_rank=TIER_ORDER["urgent"],
                kind="vital_signs",
                cause={
                    "session": sid,
                    "session_number": number,
                    "findings": [b.sentence for b in breaches],
                },
                source_type="sessions.sessionalert",
                source_id="",
                dedup_key=f"session-{sid}-vitals-{vid}",
                responsible_id=prescriber,
                created_at=at,
                acknowledged_by_id=prescriber,
                acknowledged_at=at + timedelta(minutes=3),
                escalate_at=None,
                escalation_level=0,
                closed_by_id=prescriber,
                closed_at=at + timedelta(minutes=40),
                action_taken="other",
                close_note="Blood pressure settled with rest; infusion completed.",
                version=3,
            )
            w.add(
                SessionAlert,
                session_id=sid,
                vitals_id=vid,
                scale_id=None,
                kinds=[str(b.kind) for b in breaches],
                sentences=[b.sentence for b in breaches],
                raised_at=at,
                safety_alert_id=alert_id,
                response="Rechecked after 5 minutes; settled with rest.",
                responded_by_id=prescriber,
                responded_at=at + timedelta(minutes=5),
            )
        pressure = {"systolic_high", "diastolic_high"}
        hypertensive = any(pressure & {str(b.kind) for b in br} for _v, _a, br in alert_vitals)
        ready = dose_start + timedelta(minutes=end)
        criteria = [
            {
                "name": "minimum_observation",
                "met": True,
                "sentence": f"Observed for at least {observe} minutes.",
                "override": None,
            }
        ]
        criteria += [
            {"name": name, "met": True, "sentence": sentence, "override": None}
            for name, sentence in DISCHARGE_SENTENCES
        ]
        w.add(
            DischargeRecord,
            session_id=sid,
            criteria=criteria,
            overrides={},
            overridden_by_id=None,
            alert_and_oriented=True,
            escort_present=True,
            suicidal_ideation_rechecked=True,
            total_dose_mg=mg,
            ready_to_leave_at=ready,
            by_id=nurse,
            at=discharged,
        )
        w.add(
            Session,
            id=sid,
            course_id=course_id,
            session_number=number,
            reason=reason,
            booking_id=None,
            order_id=order_id,
            location_id=site.location.pk,
            status="discharged",
            started_at=check_in,
            dose_started_at=dose_start,
            infusion_ended_at=dose_start + timedelta(minutes=infusion) if infusion else None,
            first_device_at=dose_start if esketamine else None,
            discharged_at=discharged,
            note=f"Session {number} ({reason}): tolerated, discharged with escort.",
            note_signed_by_id=prescriber,
            note_signed_at=discharged + timedelta(minutes=30),
            cancel_reason="",
            created_by_id=front,
            created_at=ordered_at,
            version=2,
            data_version=data_items + 6,
        )
        # after the first session: at discharge and 24 hours later
        if number == 1:
            after = traj.improvement(1, None)
            respond(
                "phq-9",
                "first_session_discharge",
                discharged + timedelta(minutes=1),
                after * 0.8,
                channel="in_clinic",
            )
            respond("phq-9", "24h_after_first_session", discharged + timedelta(hours=24), after)
        return SessionFact(
            at=dose_start,
            reason=reason,
            number=number,
            dose_mg=mg,
            peak_systolic=peaks[0],
            peak_diastolic=peaks[1],
            peak_cadss=cadss,
            hypertension_alert=hypertensive,
            serious_adverse_event=False,
        )

    def _beyond(self, values) -> bool:
        """A quick look whether any value crosses an in-session alert limit (the full
        check, ``in_session_breaches``, runs only then)."""
        t = self.thresholds
        systolic, diastolic, heart_rate, spo2, resp = values
        return (
            systolic >= t.alert_systolic_high
            or systolic < t.alert_systolic_low
            or diastolic >= t.alert_diastolic_high
            or heart_rate >= t.alert_heart_rate_high
            or heart_rate < t.alert_heart_rate_low
            or spo2 < t.alert_spo2_low
            or resp < t.alert_resp_rate_low
            or resp > t.alert_resp_rate_high
        )

    # -- questionnaires ----------------------------------------------------------------------
    def _answers(self, rng, instrument, traj, improvement):
        if instrument == "phq-9":
            total = traj.phq9(rng, improvement)
            chance = 0.0
            if traj.ideation:
                chance = min(1.0, 0.9 * total / max(traj.baseline, 1) - 0.15)
            return dist.phq9_answers(rng, total, max(0.0, chance))
        if instrument == "gad-7":
            base = min(21.0, traj.baseline * 0.7 + 2)
            total = max(0, min(21, round(base * (1 - improvement) + rng.gauss(0, 1.2))))
            return dist.gad7_answers(rng, total)
        if instrument == "pcl-5":
            base = min(80.0, 30 + traj.baseline * 1.4)
            total = max(0, min(80, round(base * (1 - improvement) + rng.gauss(0, 3))))
            return dist.pcl5_answers(rng, total)
        base = traj.pain_baseline or 6.0
        return dist.peg_answers(rng, base * (1 - traj.pain_target * min(1.0, improvement * 2)))

    # -- suicidal ideation alerts ------------------------------------------------------------
    def alerts(self, rng, pid, facts: PatientFacts, prescriber) -> None:
        previous = None
        for score in sorted(facts.scores, key=lambda s: (s.at, s.pk)):
            if score.instrument != "phq-9":
                continue
            current = score.answers.get("9")
            before = previous
            tier = tier_for_suicidal_ideation(current, before, threshold=1)
            previous = current
            if tier is None:
                continue
            recent = (self.now - score.at).days < 10
            closed = not recent or rng.random() < 0.3
            acknowledged = closed or rng.random() < 0.5
            self.w.add(
                Alert,
                patient_id=pid,
                tier=tier,
                tier_rank=TIER_ORDER[tier],
                kind="suicidal_ideation",
                cause={
                    "instrument": "phq-9",
                    "response": score.pk,
                    "item": "9",
                    "answer": current,
                    "previous": before,
                    "rule": "PHQ-9 item 9 > 0",
                },
                source_type="measures.response",
                source_id=str(score.pk),
                dedup_key=f"measures.response:{score.pk}:suicidal_ideation",
                responsible_id=prescriber,
                created_at=score.at,
                acknowledged_by_id=prescriber if acknowledged else None,
                acknowledged_at=score.at + timedelta(minutes=12) if acknowledged else None,
                escalate_at=None,
                escalation_level=0 if acknowledged else 2,
                closed_by_id=prescriber if closed else None,
                closed_at=score.at + timedelta(hours=5) if closed else None,
                action_taken="called_patient" if closed else "",
                close_note="Called the patient; safety plan reviewed." if closed else "",
                version=3 if closed else (2 if acknowledged else 1),
            )

    # -- lots ------------------------------------------------------------------------------------
    # One lot per location, product and calendar quarter; its id follows from that key,
    # so every worker process names the same lot.
    def _lot_key(self, site: Site, product: Product, at: datetime) -> tuple[int, int, int]:
        index = self.sites.index(site)
        kind = 0 if product.pk == self.ketamine.pk else 1
        return index, kind, _quarter(at)

    def lot_number(self, site: Site, product: Product, at: datetime) -> str:
        _index, kind, quarter = self._lot_key(site, product, at)
        return f"SYN{kind}{site.location.pk:04d}{quarter:05d}"

    def lot_for(self, site: Site, product: Product, at: datetime) -> LotState:
        key = self._lot_key(site, product, at)
        lot = self.lots.get(key)
        if lot is None:
            index, kind, quarter = key
            offset = (index * 2 + kind) * self.quarters + (quarter - self.first_quarter)
            lot = self.lots[key] = LotState(id=self.lot_base + offset + 1, first_use=at)
        return lot

    def finish(self) -> None:
        """After the last patient: the readiness checks, each lot with its receipt
        (enough for its draws, and stock on hand in this quarter's lots) and its cached
        balances, summed by ``inventory.ledger`` from the same movements."""
        w = self.w
        w.slot = None
        for location_id, day in sorted(self.readiness):
            site = next(s for s in self.sites if s.location.pk == location_id)
            rng = random.Random(f"{self.o.seed}:ready:{location_id}:{day}")  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
            w.add(
                ReadinessCheck,
                location_id=location_id,
                date=day,
                session_id=None,
                prescriber_on_site=True,
                acls_staff_present=True,
                crash_cart=True,
                oxygen=True,
                suction=True,
                pulse_oximeter=True,
                by_id=rng.choice(site.nurses),
                at=self.local(day, dtime(7, 45)),
            )
        current_quarter = _quarter(self.o.anchor)
        for (index, kind, quarter), lot in sorted(self.lots.items()):
            site = self.sites[index]
            product = self.ketamine if kind == 0 else self.esketamine
            number = f"SYN{kind}{site.location.pk:04d}{quarter:05d}"
            rng = random.Random(f"{self.o.seed}:lot:{number}")  # noqa: S311 - seeded pseudo-randomness is the point: a seed gives the same network
            unit = product.mg_per_unit
            stock = rng.randint(10, 40) if quarter >= current_quarter else 0
            units = math.ceil(lot.drawn / unit) + stock
            received_at = min(
                _quarter_start(quarter, UTC) - timedelta(days=2), lot.first_use - timedelta(days=1)
            )
            received = unit * units
            rid = w.add(
                LedgerEntry,
                kind="receipt",
                lot_id=lot.id,
                quantity_mg=received,
                units=units,
                occurred_at=received_at,
                entered_at=received_at + timedelta(hours=1),
                by_id=site.prescribers[0],
                witness_id=None,
                patient_id=None,
                order_id=None,
                draw_id=None,
                corrects_id=None,
                counterpart_id=None,
                counterpart_location_id=None,
                supplier="Synthetic Pharma Supply",
                reason="",
            )
            draw = ("draw", lot.id)
            totals = ledger.lot_totals(
                [
                    ledger.Entry(rid, "receipt", lot.id, received),
                    ledger.Entry(draw, "draw", lot.id, lot.drawn),
                    *(
                        [
                            ledger.Entry(
                                ("a", lot.id), "administration", lot.id, lot.administered, draw=draw
                            )
                        ]
                        if lot.administered
                        else []
                    ),
                    *(
                        [ledger.Entry(("w", lot.id), "waste", lot.id, lot.wasted, draw=draw)]
                        if lot.wasted
                        else []
                    ),
                ],
                lot.id,
            )
            w.add(
                Lot,
                id=lot.id,
                location_id=site.location.pk,
                product_id=product.pk,
                ndc=product.ndc,
                lot_number=number,
                expires_on=_quarter_end(quarter) + timedelta(days=400),
                balance_mg=totals.stock_mg,
                outstanding_mg=totals.outstanding_mg,
                created_at=received_at,
            )
        w.flush()


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _quarter(moment) -> int:
    return moment.year * 4 + (moment.month - 1) // 3


def _quarter_start(quarter: int, tz) -> datetime:
    year, q = divmod(quarter, 4)
    return datetime(year, q * 3 + 1, 1, tzinfo=tz)


def _quarter_end(quarter: int) -> date:
    year, q = divmod(quarter + 1, 4)
    return date(year, q * 3 + 1, 1) - timedelta(days=1)


def _token(seed: int, pid: int, n: int) -> str:
    import hashlib

    return hashlib.sha256(f"synth:{seed}:{pid}:{n}".encode()).hexdigest()


_PARALLEL = None


def _work(args) -> tuple:
    worker, workers, chunks = args
    builder, done = _PARALLEL
    return builder.work(worker, workers, chunks, done)


def _superuser() -> bool:
    """Whether this connection may switch foreign-key triggers off for the load."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def bytes_per_patient() -> int:
    return int(getattr(settings, "SYNTH_BYTES_PER_PATIENT", BYTES_PER_PATIENT))


def build(options: Options) -> Report:
    return Builder(options).run()
