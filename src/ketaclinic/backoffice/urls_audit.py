"""The access-log report; included under /staff/audit/ in the backoffice namespace."""

from django.urls import path

from ketaclinic.backoffice import views_audit

urlpatterns = [
    path("", views_audit.audit_report, name="audit-report"),
    path("export.csv", views_audit.audit_export, name="audit-export"),
]
