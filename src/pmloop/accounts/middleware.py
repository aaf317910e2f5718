"""A logged-in user's stored language (``User.language``) applies on a device that has made no
choice of its own (no language cookie). Runs after AuthenticationMiddleware, so it overrides
only what LocaleMiddleware guessed from the browser's Accept-Language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
