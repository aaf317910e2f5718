from django.urls import path

from pmloop.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("users/", views.users, name="users"),
    path("users/<int:user_id>/active/", views.set_user_active, name="set_user_active"),
]
