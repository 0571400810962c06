"""Controlled-substance screens: included under /staff/inventory/ by backoffice.urls."""

from django.urls import path

from ketaclinic.backoffice import views_inventory as views

urlpatterns = [
    path("", views.inventory_index, name="inventory-index"),
    path("locations/<int:pk>/", views.location_home, name="inventory-location"),
    path("locations/<int:pk>/receive/", views.receive, name="inventory-receive"),
    path("locations/<int:pk>/draw/", views.draw_new, name="inventory-draw-new"),
    path("locations/<int:pk>/count/", views.count_new, name="inventory-count-new"),
    path(
        "locations/<int:pk>/discrepancies/",
        views.discrepancy_list,
        name="inventory-discrepancies",
    ),
    path("locations/<int:pk>/ledger/", views.ledger, name="inventory-ledger"),
    path("locations/<int:pk>/ledger.csv", views.ledger_csv, name="inventory-ledger-csv"),
    path("draws/<int:pk>/", views.draw_detail, name="inventory-draw"),
    path("draws/<int:pk>/administer/", views.administer, name="inventory-administer"),
    path("draws/<int:pk>/waste/", views.waste, name="inventory-waste"),
    path("lots/<int:pk>/return/", views.lot_return, name="inventory-return"),
    path("lots/<int:pk>/transfer/", views.lot_transfer, name="inventory-transfer"),
    path("lots/<int:pk>/dispose/", views.lot_dispose, name="inventory-dispose"),
    path("entries/<int:pk>/correct/", views.correct, name="inventory-correct"),
    path("counts/<int:pk>/", views.count_detail, name="inventory-count"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="inventory-discrepancy"),
    path("discrepancies/<int:pk>/loss/", views.discrepancy_loss, name="inventory-loss"),
    path("discrepancies/<int:pk>/resolve/", views.discrepancy_resolve, name="inventory-resolve"),
    path("discrepancies/<int:pk>/form-106/", views.form_106, name="inventory-form-106"),
]
