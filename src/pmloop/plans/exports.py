"""The roadmap as an Excel sheet (pure: read model → bytes), with the requirements exporters'
sheet writer (frozen header, autofilter, CJK-aware widths, no formula injection)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from pmloop.plans.selectors import Roadmap
from pmloop.requirements import exporters as base

COLUMNS = (
    (N_("Group"), (12, 30)), (N_("Product"), (8, 12)), (N_("Key"), (10, 16)), (N_("Title"), (24, 60)), (N_("Stage"), (8, 14)),
    (N_("Plan"), (10, 30)), (N_("Start"), (11, 12)), (N_("End"), (11, 12)), (N_("Release"), (8, 14)),
)  # fmt: skip


def roadmap_xlsx(rm: Roadmap, stage_labels: dict[str, str]) -> bytes:
    rows = [
        [lane.label, r.product, r.key, r.title, stage_labels.get(r.stage, r.stage), r.plan, r.start, r.end, r.release]
        for lane in rm.lanes for r in lane.rows
    ]  # fmt: skip
    return base._xlsx(_("Roadmap"), [_(label) for label, _w in COLUMNS], rows, [w for _label, w in COLUMNS])
