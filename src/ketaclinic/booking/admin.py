"""Clinic configuration for booking: chairs and rooms, weekly hours, closed days.
Appointments themselves are patient data and are not in the admin."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ketaclinic.booking.models import Chair, ClinicHours, ClosedDay


@admin.register(Chair)
class ChairAdmin(SimpleHistoryAdmin):
    list_display = ["name", "location", "kind", "is_active", "order"]
    list_filter = ["location", "kind", "is_active"]
    readonly_fields = ["bookings_changed_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # a chair with bookings is made inactive, never deleted


@admin.register(ClinicHours)
class ClinicHoursAdmin(SimpleHistoryAdmin):
    list_display = ["location", "weekday", "is_closed", "opens_at", "closes_at"]
    list_filter = ["location"]
    ordering = ["location", "weekday"]


@admin.register(ClosedDay)
class ClosedDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "location", "reason"]
    list_filter = ["location"]
    date_hierarchy = "date"
