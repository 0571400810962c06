from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ketaclinic.clinic.models import ClinicProfile, CrisisResource, FeeItem, Location


@admin.register(ClinicProfile)
class ClinicProfileAdmin(SimpleHistoryAdmin):
    list_display = ["name", "intake_email", "phone_region"]

    def has_add_permission(self, request):
        return not ClinicProfile.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Location)
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "city", "phone", "is_active", "order"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CrisisResource)
class CrisisResourceAdmin(SimpleHistoryAdmin):
    list_display = ["label", "action", "href", "order"]


@admin.register(FeeItem)
class FeeItemAdmin(SimpleHistoryAdmin):
    list_display = ["name", "amount", "order"]
