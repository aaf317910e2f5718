"""The demo seeder for plans, releases and the launch kit runs after the others, through services."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_seed_plans_after_the_demo():
    from pmloop.audit import selectors as audit_selectors
    from pmloop.deliverables import demo as launch_demo
    from pmloop.deliverables.models import Attendee, ChecklistItem
    from pmloop.demo import seed
    from pmloop.plans import demo
    from pmloop.plans.models import Plan, PlanItem, Release

    # The demo's SEEDERS include plans and launch kits (the last two).
    assert [s.run for s in seed.SEEDERS[-2:]] == [demo.seed_plans, launch_demo.seed_launch_kits]
    info = seed.seed_demo(admin_password="pw-Admin-123", user_password="pw-User-123")
    assert info.counts["plans"] == 3 and info.counts["releases"] == 2
    q4 = Plan.objects.get(title="2026 Q4")
    assert q4.children.count() == 2 and q4.milestones.count() == 4
    assert PlanItem.objects.count() >= 8
    v32 = Release.objects.get(version_name="v3.2")
    assert v32.status == "released" and v32.items.count() == 3
    assert set(v32.items.values_list("requirement__stage", flat=True)) <= {"released", "accepted"}
    assert Release.objects.get(version_name="v3.3").status == "draft"
    items = ChecklistItem.objects.filter(kit__release=v32)
    assert items.count() == 6 and items.filter(signed_off_at__isnull=False).count() == 3
    assert Attendee.objects.filter(signed_in_at__isnull=False).count() == 3
    assert audit_selectors.verify_chain().ok
