from django.urls import include, path

from pmloop.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
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
