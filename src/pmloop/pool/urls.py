from django.urls import path

from pmloop.pool import views

app_name = "pool"
urlpatterns = [
    path("", views.item_list, name="list"),
    path("new/", views.item_create, name="create"),
    path("bulk/", views.bulk, name="bulk"),
    path("sources/", views.sources, name="sources"),
    path("sources/<int:source_id>/active/", views.source_active, name="source_active"),
    path("<int:item_id>/", views.item_detail, name="detail"),
    path("<int:item_id>/edit/", views.item_edit, name="edit"),
    path("<int:item_id>/triage/", views.item_triage, name="triage"),
    path("<int:item_id>/decline/", views.item_decline, name="decline"),
    path("<int:item_id>/merge/", views.item_merge, name="merge"),
    path("<int:item_id>/reopen/", views.item_reopen, name="reopen"),
]
