"""The appointment calendar and bookings: included under /staff/calendar/."""

from django.urls import path

from ketaclinic.backoffice import views_booking

urlpatterns = [
    path("", views_booking.calendar_home, name="booking-home"),
    path("<int:location_pk>/day/", views_booking.calendar_day, name="booking-day"),
    path("<int:location_pk>/week/", views_booking.calendar_week, name="booking-week"),
    path("<int:location_pk>/book/", views_booking.booking_new, name="booking-new"),
    path("bookings/<int:pk>/", views_booking.booking_detail, name="booking-detail"),
    path("bookings/<int:pk>/cancel/", views_booking.booking_cancel, name="booking-cancel"),
    path("bookings/<int:pk>/move/", views_booking.booking_reschedule, name="booking-reschedule"),
    path("bookings/<int:pk>/outcome/", views_booking.booking_outcome, name="booking-outcome"),
    path("courses/<int:pk>/", views_booking.course_sessions_book, name="booking-course"),
]
