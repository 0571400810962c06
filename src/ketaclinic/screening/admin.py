from django.contrib import admin

from ketaclinic.screening.models import ConsentText


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    """The medical director publishes consent text versions; a signed version is never edited."""

    list_display = ["version", "title", "effective_from", "is_current"]

    def get_readonly_fields(self, request, obj=None):
        return ["version", "title", "body", "effective_from"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False
