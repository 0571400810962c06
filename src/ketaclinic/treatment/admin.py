"""Treatment configuration in the admin: the product list, standing orders and the
REMS certification of locations. Protocols are shown read-only: the medical director
adds and revises them on the staff protocols screen (a revision is a new version)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ketaclinic.treatment.models import (
    Product,
    Protocol,
    ProtocolVersion,
    RemsCertification,
    StandingOrder,
)

FIXED_ONCE_ORDERED = ["drug", "form", "concentration_mg_per_ml", "unit_volume_ml"]


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "drug", "concentration_mg_per_ml", "unit_volume_ml", "ndc", "active"]
    list_filter = ["drug", "active"]

    def get_readonly_fields(self, request, obj=None):
        # a product that orders name keeps its strength: add a new product instead
        if obj is not None and obj.orders.exists():
            return FIXED_ONCE_ORDERED
        return []

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.orders.exists()


@admin.register(StandingOrder)
class StandingOrderAdmin(SimpleHistoryAdmin):
    list_display = ["drug", "route", "indication", "max_single_mg", "max_total_mg", "active"]
    list_filter = ["active"]

    def has_delete_permission(self, request, obj=None):
        return False  # retire it (active off): rescue doses name it


@admin.register(RemsCertification)
class RemsCertificationAdmin(SimpleHistoryAdmin):
    list_display = ["location", "certification_id", "certified_on", "active"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Protocol)
class ProtocolAdmin(ReadOnly):
    list_display = ["name", "slug", "active"]


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReadOnly):
    list_display = ["protocol", "number", "drug", "route", "origin", "created_at"]
    list_filter = ["drug", "origin"]
