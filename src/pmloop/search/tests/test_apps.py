"""Which processes load jieba's dictionary at start-up (SearchConfig.ready)."""

import pytest

from pmloop.search.apps import should_warm_up


@pytest.mark.parametrize(
    ("argv", "warm"),
    [
        (["/venv/bin/granian", "--interface", "wsgi", "pmloop.config.wsgi:application"], True),
        (["/venv/bin/gunicorn", "pmloop.config.wsgi"], True),
        (["/venv/bin/pytest", "-q"], True),
        (["manage.py", "runserver"], True),
        (["/venv/bin/pmloop", "serve"], True),
        (["/venv/bin/pmloop", "demo"], True),
        (["/venv/bin/pmloop", "manage", "runserver", "8000"], True),
        (["manage.py", "migrate"], False),
        (["manage.py", "makemigrations", "--check"], False),
        (["/venv/bin/django-admin", "check"], False),
        (["/venv/bin/pmloop", "requirements", "list"], False),
        (["/venv/bin/pmloop", "manage", "migrate"], False),
        ([], False),
    ],
)
def test_should_warm_up(argv, warm):
    assert should_warm_up(argv, environ={}) is warm


def test_environment_overrides():
    assert should_warm_up(["manage.py", "migrate"], environ={"PMLOOP_WARM_JIEBA": "1"}) is True
    assert should_warm_up(["/venv/bin/granian"], environ={"PMLOOP_WARM_JIEBA": "0"}) is False
