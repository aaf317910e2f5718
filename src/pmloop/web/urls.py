from django.urls import path

from pmloop.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch_product, name="switch_product"),
    path("search/", views.search, name="search"),
]
