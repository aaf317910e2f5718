from django.urls import path

from pmloop.plans import views

app_name = "plans"
urlpatterns = [
    path("product/<int:product_id>/", views.plan_list, name="list"),
    path("product/<int:product_id>/releases/", views.release_list, name="releases"),
    path("product/<int:product_id>/roadmap/", views.roadmap, name="roadmap"),
    path("product/<int:product_id>/roadmap.<str:fmt>", views.roadmap_export, name="roadmap_export"),
    path("product/<int:product_id>/outlook/", views.outlook, name="outlook"),
    path("roadmap/", views.roadmap, name="roadmap_all"),
    path("roadmap.<str:fmt>", views.roadmap_export, name="roadmap_all_export"),
    path("<int:plan_id>/", views.plan_detail, name="detail"),
    path("<int:plan_id>/edit/", views.plan_edit, name="edit"),
    path("<int:plan_id>/sub/", views.plan_sub, name="sub"),
    path("<int:plan_id>/burnup.svg", views.plan_burnup_svg, name="burnup_svg"),
    path("<int:plan_id>/items/", views.plan_items_add, name="items_add"),
    path("<int:plan_id>/items/<int:requirement_id>/remove/", views.plan_item_remove, name="item_remove"),
    path("<int:plan_id>/items/<int:requirement_id>/move/", views.plan_item_move, name="item_move"),
    path("<int:plan_id>/items/<int:requirement_id>/confirm/", views.plan_item_confirm, name="item_confirm"),
    path("<int:plan_id>/milestones/", views.milestone_add, name="milestone_add"),
    path("<int:plan_id>/milestones/<int:milestone_id>/", views.milestone_status, name="milestone_status"),
    path("releases/<int:release_id>/", views.release_detail, name="release"),
    path("releases/<int:release_id>/items/", views.release_items_add, name="release_items_add"),
    path(
        "releases/<int:release_id>/items/<int:requirement_id>/remove/",
        views.release_item_remove,
        name="release_item_remove",
    ),
    path("releases/<int:release_id>/publish/", views.release_publish, name="release_publish"),
]
