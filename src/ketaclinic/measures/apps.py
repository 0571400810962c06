from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    """Measurement-based care. So far: the instrument library (pure Python, in
    ``instruments/``) and ``manage.py import_instrument``; assignments, links and
    responses arrive with the rest of issue 5."""

    name = "ketaclinic.measures"
    label = "measures"
    verbose_name = "Measurement-based care"

    def ready(self) -> None:
        from ketaclinic.measures.instruments import configure
        from ketaclinic.measures.management.commands.import_instrument import resolve_import_dir

        # Clinic-supplied item text (licensed instruments) is read from here.
        configure(import_dir=resolve_import_dir())
