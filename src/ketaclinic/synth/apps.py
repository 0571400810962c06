from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "ketaclinic.synth"
    label = "synth"
    verbose_name = "Synthetic clinic network (manage.py synth)"
