"""Settings for the test suite: a throw-away PMLOOP_HOME and fast password hashing."""

import os
import tempfile

os.environ.setdefault("PMLOOP_HOME", tempfile.mkdtemp(prefix="pmloop-test-"))

from pmloop.config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LANGUAGE_CODE = "en"
ALLOWED_HOSTS = ["*"]
