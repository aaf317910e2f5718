"""The requirement list's row tag renders exactly what the template loop body rendered."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from pmloop.accounts.models import User
from pmloop.products.models import Module, Product
from pmloop.requirements.models import Requirement
from pmloop.requirements.templatetags.requirement_markup import detail_url

# The loop body of requirements/list.html before the row became a tag (kept as the reference).
TEMPLATE_ROW = """{% load i18n requirement_markup %}
    <tr>{% url 'requirements:detail' r.pk as detail_url %}
      <td class="nowrap"><a class="code" href="{{ detail_url }}">{{ product.code }}-{{ r.number }}</a></td>
      <td class="title-cell"><a href="{{ detail_url }}">{{ r.title }}</a>{% if r.unconfirmed_change_id %}<span class="flag" title="{% translate 'The parent changed; not yet confirmed' %}">● {% translate "parent changed" %}</span>{% endif %}</td>
      <td>{{ r.module.name|default:"—" }}</td>
      <td><span class="prio prio-{{ r.priority }}" title="{{ r.get_priority_display }}">P{{ r.priority }}</span></td>
      <td>{% status_badge r %}{% if r.status == "closed" %} <span class="muted small">{{ r.get_close_reason_display }}</span>{% endif %}</td>
      <td><span class="sg sg-{{ r.stage }}">{{ r.get_stage_display }}</span></td>
      <td class="nowrap">{% prd_bar r.completeness %}</td>
      <td class="num">{{ r.voices }}</td>
      <td>{{ r.owner|default:"—" }}</td>
    </tr>"""


def _squash(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _rows():
    product = Product(pk=3, code="IMSDK", name="IM SDK")
    owner = User(pk=7, username="li", display_name="李雷 <b>")
    module = Module(pk=5, product=product, name="群组 & 权限")
    plain = Requirement(pk=41, product=product, number=41, title="按角色配置 <script>alert(1)</script>",
                        status="active", stage="developing", priority=1, completeness=85, voices=12)  # fmt: skip
    plain.module, plain.owner = module, owner
    closed = Requirement(pk=42, product=product, number=42, title='"引号" & 符号', status="closed",
                         close_reason="duplicate", stage="released", priority=4, completeness=0, voices=0)  # fmt: skip
    changed = Requirement(pk=43, product=product, number=43, title="子需求", status="draft", stage="none",
                          priority=2, completeness=55, voices=3, unconfirmed_change_id=9)  # fmt: skip
    changed.module = Module(pk=6, product=product, name="")
    return product, [plain, closed, changed]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_row_tag_renders_what_the_template_rendered(language):
    product, rows = _rows()
    reference, tag = (
        Template(TEMPLATE_ROW),
        Template("{% load requirement_markup %}{% requirement_row r product %}"),
    )
    with translation.override(language):
        for r in rows:
            expected = _squash(reference.render(Context({"r": r, "product": product})))
            assert _squash(tag.render(Context({"r": r, "product": product}))) == expected
    assert "<script>" not in tag.render(Context({"r": rows[0], "product": product}))


def test_detail_url_equals_reverse():
    from django.urls import reverse

    for pk in (1, 42, 10**9):
        assert detail_url(pk) == reverse("requirements:detail", args=[pk])
