from django.urls import path

from pmloop.products import views

app_name = "products"
urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<int:product_id>/", views.product_detail, name="detail"),
    path("<int:product_id>/settings/", views.product_settings, name="settings"),
    path("<int:product_id>/archive/", views.product_archive, name="archive"),
    path("<int:product_id>/members/", views.members, name="members"),
    path("<int:product_id>/members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("<int:product_id>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("<int:product_id>/modules/", views.modules, name="modules"),
    path("<int:product_id>/modules/add/", views.module_add, name="module_add"),
    path("<int:product_id>/modules/<int:module_id>/rename/", views.module_rename, name="module_rename"),
    path("<int:product_id>/modules/<int:module_id>/move/", views.module_move, name="module_move"),
    path("<int:product_id>/modules/<int:module_id>/delete/", views.module_delete, name="module_delete"),
]
