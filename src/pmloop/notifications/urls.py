from django.urls import path

from pmloop.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:notification_id>/", views.open_notification, name="open"),
    path("<int:notification_id>/read/", views.mark_read, name="read"),
]
