from django.urls import include, path

from pmloop.accounts import views as accounts_views
from pmloop.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    # The language switch (Django's set_language, plus storing a logged-in user's choice).
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("accounts/", include("pmloop.accounts.urls")),
    path("products/", include("pmloop.products.urls")),
    path("audit/", include("pmloop.audit.urls")),
    path("customers/", include("pmloop.customers.urls")),
    path("pool/", include("pmloop.pool.urls")),
    path("requirements/", include("pmloop.requirements.urls")),
    path("inbox/", include("pmloop.notifications.urls")),
    path("plans/", include("pmloop.plans.urls")),
    path("launch/", include("pmloop.deliverables.urls")),
    path("", include("pmloop.web.urls")),
]

handler404 = "pmloop.web.views.not_found"
handler500 = "pmloop.web.views.server_error"
handler403 = "pmloop.web.views.forbidden"
