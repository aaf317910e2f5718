"""get_<field>_display: the fast lookup answers exactly as Django's own, in each language."""

import pytest
from django.apps import apps
from django.utils import translation

from pmloop.core.apps import use_fast_choice_labels


def _choice_fields():
    for model in apps.get_models():
        if model.__module__.startswith("pmloop."):
            for field in model._meta.concrete_fields:
                if field.choices:
                    yield model, field


def test_every_choice_field_of_pmloop_uses_the_lookup():
    fields = list(_choice_fields())
    assert len(fields) > 20
    for model, field in fields:
        method = getattr(model, f"get_{field.name}_display")
        assert method.__qualname__.startswith("_label_lookup"), (model, field.name)
    assert use_fast_choice_labels() == 0  # already done at start-up; nothing left to patch


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_labels_equal_djangos_for_every_choice(language):
    with translation.override(language):
        for model, field in _choice_fields():
            for value, _label in field.flatchoices:
                obj = model(**{field.attname: value})
                fast = getattr(obj, f"get_{field.name}_display")()
                assert fast == obj._get_FIELD_display(field), (model, field.name, value)
                assert isinstance(fast, str)


def test_a_value_outside_the_choices_shows_as_itself():
    from pmloop.requirements.models import Requirement

    assert Requirement(status="legacy").get_status_display() == "legacy"
    assert Requirement(priority=9).get_priority_display() == 9


def test_the_label_follows_the_active_language():
    from pmloop.requirements.models import Requirement

    r = Requirement(status="draft")
    with translation.override("en"):
        english = r.get_status_display()
    with translation.override("zh-hans"):
        chinese = r.get_status_display()
    assert english == "Draft" and chinese != english and chinese
