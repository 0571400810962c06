"""Patient screens: included under /staff/patients/ by backoffice.urls."""

from django.urls import path, register_converter

from ketaclinic.backoffice import views_patients


class RecordKindConverter:
    """Only the record kinds: other words after /<pk>/ belong to other screens
    (e.g. /staff/patients/<pk>/screening/)."""

    regex = "|".join(views_patients.RECORD_KINDS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RecordKindConverter, "patient_record_kind")

urlpatterns = [
    path("", views_patients.patient_list, name="patient-list"),
    path("new/", views_patients.patient_new, name="patient-new"),
    path(
        "from-inquiry/<int:inquiry_pk>/",
        views_patients.patient_convert,
        name="patient-convert",
    ),
    path("<int:pk>/", views_patients.patient_overview, name="patient"),
    path(
        "<int:pk>/portal-access/",
        views_patients.patient_portal_access,
        name="patient-portal-access",
    ),
    path("<int:pk>/details/", views_patients.patient_demographics, name="patient-demographics"),
    path(
        "<int:pk>/medical-history/",
        views_patients.patient_medical_history,
        name="patient-medical-history",
    ),
    path(
        "<int:pk>/medical-history/send-form/",
        views_patients.patient_history_send,
        name="patient-history-send",
    ),
    path(
        "<int:pk>/medical-history/reports/<int:report_pk>/",
        views_patients.patient_history_report,
        name="patient-history-report",
    ),
    path(
        "<int:pk>/<patient_record_kind:kind>/",
        views_patients.patient_records,
        name="patient-records",
    ),
    path(
        "<int:pk>/<patient_record_kind:kind>/<int:item_pk>/",
        views_patients.patient_record_edit,
        name="patient-record-edit",
    ),
    path(
        "<int:pk>/<patient_record_kind:kind>/<int:item_pk>/remove/",
        views_patients.patient_record_remove,
        name="patient-record-remove",
    ),
    path(
        "<int:pk>/attachments/new/",
        views_patients.patient_attachment_upload,
        name="patient-attachment-upload",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/",
        views_patients.patient_attachment,
        name="patient-attachment",
    ),
]
