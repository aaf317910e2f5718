import os
import sys

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Processes that serve requests (or run tests) load jieba's dictionary at start-up, so no
# request pays for it. Anything else (migrate, check, most `pmloop …` commands) skips it:
# jieba then loads lazily on the first tokenising call. PMLOOP_WARM_JIEBA=1/0 overrides.
_SERVER_PROGRAMS = {"granian", "gunicorn", "uvicorn", "uwsgi", "daphne", "hypercorn", "pytest", "py.test"}
_SERVER_COMMANDS = {"runserver", "testserver", "serve", "demo"}


def should_warm_up(argv: list[str] | None = None, environ: os._Environ | dict | None = None) -> bool:
    environ = os.environ if environ is None else environ
    forced = environ.get("PMLOOP_WARM_JIEBA", "").strip().lower()
    if forced in {"1", "true", "yes", "on"}:
        return True
    if forced in {"0", "false", "no", "off"}:
        return False
    argv = sys.argv if argv is None else argv
    if not argv:
        return False
    program = os.path.basename(argv[0]).removesuffix(".py")
    if program in _SERVER_PROGRAMS or program.startswith("pytest"):
        return True
    # manage.py runserver, django-admin runserver, pmloop serve, pmloop manage runserver, …
    return any(arg in _SERVER_COMMANDS for arg in argv[1:3])


class SearchConfig(AppConfig):
    name = "pmloop.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        if should_warm_up():
            from pmloop.core import text

            text.warm_up()
