from django.urls import path

from pmloop.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:customer_id>/", views.customer_detail, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit, name="edit"),
    path("<int:customer_id>/archive/", views.customer_archive, name="archive"),
    path("<int:customer_id>/contacts/add/", views.contact_add, name="contact_add"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/remove/", views.contact_remove, name="contact_remove"),
]
