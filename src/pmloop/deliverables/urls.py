from django.urls import path

from pmloop.deliverables import views

app_name = "deliverables"
urlpatterns = [
    path("releases/<int:release_id>/", views.kit, name="kit"),
    path("releases/<int:release_id>/open/", views.kit_open, name="open"),
    path("releases/<int:release_id>/<str:doc>.<str:fmt>", views.download, name="download"),
    path("releases/<int:release_id>/kits/<int:kit_id>/goal/", views.kit_goal, name="goal"),
    path("releases/<int:release_id>/kits/<int:kit_id>/items/", views.item_add, name="item_add"),
    path("releases/<int:release_id>/kits/<int:kit_id>/sessions/", views.session_add, name="session_add"),
    path("releases/<int:release_id>/items/<int:item_id>/owner/", views.item_owner, name="item_owner"),
    path("releases/<int:release_id>/items/<int:item_id>/sign-off/", views.item_sign_off, name="sign_off"),
    path("releases/<int:release_id>/items/<int:item_id>/revoke/", views.item_revoke, name="revoke"),
    path(
        "releases/<int:release_id>/sessions/<int:session_id>/attendees/",
        views.attendee_add,
        name="attendee_add",
    ),
    path("releases/<int:release_id>/attendees/<int:attendee_id>/", views.attendance, name="attendance"),
    path(
        "sessions/<int:session_id>/attendance.<str:fmt>",
        views.attendance_download,
        name="attendance_download",
    ),
]
