from datetime import date

from django.db import migrations

TITLE = "Consent to ketamine or esketamine treatment"
BODY = """\
What the treatment is. Ketamine is an anaesthetic medicine. At lower doses, given in a
supervised clinic, it can ease depression and some kinds of pain. Esketamine nasal spray is
approved by the US FDA for treatment-resistant depression and for depressive symptoms with
acute suicidal thoughts or behaviour. Intravenous ketamine for depression, PTSD and chronic
pain is an off-label use of an approved medicine: it is legal and studied, but it is not an
approved use.

What I can expect. My prescriber has explained the plan for my course: the medicine, the
dose and how it is worked out, how many sessions, and how my progress will be measured with
questionnaires. Some people improve within hours or days; some improve slowly; some do not
improve. The benefit often fades over weeks, and further sessions may be suggested.

Risks. During and after a session I may feel detached or unreal, sleepy, dizzy or sick, and
my blood pressure and heart rate may rise. Staff check my vital signs and watch me until I
am ready to leave. Rare serious events include very high blood pressure, slowed breathing and
loss of consciousness. With repeated or heavy use, ketamine can damage the bladder, and it
can be misused. I will tell the clinic about every medicine, drug and alcohol use, pregnancy
or possible pregnancy, and any change in my health.

My part. I will follow the fasting instructions, bring an adult to take me home, and not
drive, cycle or operate machinery until the next day after a night's sleep. I will tell staff
at once about thoughts of suicide, unusual excitement or reduced need for sleep.

Alternatives. Other treatments exist, including other medicines, psychotherapy, ECT and TMS.
I may ask about them at any time.

My choice. My consent is voluntary. I may ask questions, decline, or withdraw my consent at
any time, and this will not affect the rest of my care.
"""


def add_text(apps, schema_editor):
    ConsentText = apps.get_model("screening", "ConsentText")
    ConsentText.objects.get_or_create(
        version="1.0",
        defaults={"title": TITLE, "body": BODY, "effective_from": date(2026, 11, 27), "is_current": True},
    )


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]
    operations = [migrations.RunPython(add_text, migrations.RunPython.noop)]
