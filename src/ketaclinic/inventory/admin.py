"""Inventory configuration in the admin: each location's DEA registration. The ledger,
lots, counts and discrepancies are not registered here: they are written only through
the staff screens (the admin bypasses the rules, the access log and the witness)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ketaclinic.inventory.models import Registration


@admin.register(Registration)
class RegistrationAdmin(SimpleHistoryAdmin):
    list_display = ["location", "registrant_name", "dea_number", "expires_on"]

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger names the location: renew or correct, never delete
