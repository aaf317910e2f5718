"""Reads of plans, releases and the roadmap, always restricted to what the actor may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import selectors as audit_selectors
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound, PermissionDenied
from pmloop.plans.choices import GroupBy, Horizon, ReleaseStatus
from pmloop.plans.models import Milestone, Plan, PlanItem, Release, ReleaseItem
from pmloop.requirements.choices import STAGE_ORDER, Stage, Status
from pmloop.requirements.models import Requirement, StageChange

NEXT_DAYS = 90  # "next" on the customer roadmap: plans starting within this many days
SHIPPED_DAYS = 90  # "just shipped": released within this many days
MAX_FLOW_POINTS = 120


def _authenticated(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")


def _check_product(actor: Actor, product_id: int | None) -> None:
    if product_id is not None and not acl.can_see(actor, product_id):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")


# ---- plans ------------------------------------------------------------------------------------
def list_plans(*, actor: Actor, product_id: int | None = None, top_only: bool = False) -> QuerySet[Plan]:
    _authenticated(actor)
    _check_product(actor, product_id)
    qs = acl.visible_to(actor, Plan.objects.select_related("product", "owner", "parent"))
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if top_only:
        qs = qs.filter(parent__isnull=True)
    return qs.annotate(item_count=Count("items", distinct=True)).order_by("start_date", "id")


def get_plan(*, actor: Actor, plan_id: int) -> Plan:
    _authenticated(actor)
    plan = Plan.objects.select_related("product", "owner", "parent").filter(pk=plan_id).first()
    if plan is None or not acl.can_see(actor, plan.product_id):
        raise NotFound(_("No such plan, or you are not a member of its product."), code="plan_not_found")
    return plan


def get_milestone(*, actor: Actor, milestone_id: int) -> Milestone:
    ms = Milestone.objects.select_related("plan").filter(pk=milestone_id).first()
    if ms is None or not acl.can_see(actor, ms.plan.product_id):
        raise NotFound(_("No such milestone."), code="milestone_not_found")
    return ms


def _descendants(plan: Plan) -> list[Plan]:
    """The plan's sub-plans at any depth (one query per product)."""
    by_parent: dict[int | None, list[Plan]] = defaultdict(list)
    for p in (
        Plan.objects.filter(product_id=plan.product_id).select_related("owner").order_by("start_date", "id")
    ):
        by_parent[p.parent_id].append(p)
    out, stack = [], list(reversed(by_parent.get(plan.pk, [])))
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(reversed(by_parent.get(p.pk, [])))
    return out


@dataclass
class PlanSummary:
    plan: Plan
    items: list[PlanItem]  # directly in this plan
    children: list[Plan]  # sub-plans, any depth, in date order
    child_items: dict[int, list[PlanItem]]  # sub-plan id → its items
    milestones: list[Milestone]
    load: Decimal  # sum of the estimates of every requirement in the plan and its sub-plans
    unestimated: list[str]  # keys of those without an estimate
    stage_counts: dict[str, int]
    flagged: list[PlanItem]

    @property
    def capacity(self) -> Decimal | None:
        return self.plan.capacity

    @property
    def over_capacity(self) -> bool:
        return self.plan.capacity is not None and self.load > self.plan.capacity

    @property
    def over_by(self) -> Decimal:
        return (self.load - self.plan.capacity) if self.over_capacity else Decimal(0)

    @property
    def load_percent(self) -> int | None:
        if not self.plan.capacity:
            return None
        return round(100 * self.load / self.plan.capacity)

    @property
    def all_items(self) -> list[PlanItem]:
        return self.items + [i for c in self.children for i in self.child_items.get(c.pk, [])]

    @property
    def total(self) -> int:
        return len(self.all_items)


def plan_summary(*, actor: Actor, plan_id: int) -> PlanSummary:
    """A plan with its requirements (and those of its sub-plans), capacity against the sum of
    estimates, stage counts and the items flagged by an unconfirmed change."""
    plan = get_plan(actor=actor, plan_id=plan_id)
    children = _descendants(plan)
    items = list(
        PlanItem.objects.filter(plan_id__in=[plan.pk, *[c.pk for c in children]])
        .select_related(
            "requirement__product", "requirement__module", "requirement__owner", "unconfirmed_change"
        )
        .order_by("position", "id")
    )
    own = [i for i in items if i.plan_id == plan.pk]
    child_items: dict[int, list[PlanItem]] = defaultdict(list)
    for i in items:
        if i.plan_id != plan.pk:
            child_items[i.plan_id].append(i)
    load = sum((i.requirement.estimate or Decimal(0) for i in items), Decimal(0))
    counts: dict[str, int] = dict.fromkeys(STAGE_ORDER, 0)
    for i in items:
        counts[i.requirement.stage] += 1
    return PlanSummary(
        plan=plan, items=own, children=children, child_items=dict(child_items),
        milestones=list(plan.milestones.order_by("date", "id")), load=load,
        unestimated=[i.requirement.key for i in items if i.requirement.estimate is None], stage_counts=counts,
        flagged=[i for i in items if i.unconfirmed_change_id is not None],
    )  # fmt: skip


def plan_of(*, actor: Actor, requirement_id: int) -> PlanItem | None:
    """The plan item of a requirement (None when it is in no plan)."""
    item = (
        PlanItem.objects.select_related("plan", "requirement").filter(requirement_id=requirement_id).first()
    )
    if item is None or not acl.can_see(actor, item.plan.product_id):
        return None
    return item


def item_history(*, actor: Actor, item: PlanItem) -> list[Any]:
    """The plan moves of one requirement (the plan item's operation log)."""
    return list(audit_selectors.history(actor=actor, obj=item)[:50])


# ---- burn-up / cumulative flow -------------------------------------------------------------------
@dataclass
class FlowPoint:
    day: date
    counts: dict[str, int]  # stage → requirements at that stage at the end of the day
    scope: int  # requirements in the plan by then

    @property
    def done(self) -> int:
        return self.counts.get(Stage.RELEASED, 0) + self.counts.get(Stage.ACCEPTED, 0)


@dataclass
class Flow:
    plan: Plan
    points: list[FlowPoint] = field(default_factory=list)
    stages: tuple[str, ...] = tuple(STAGE_ORDER)

    @property
    def max_scope(self) -> int:
        return max((p.scope for p in self.points), default=0)


def plan_flow(*, actor: Actor, plan_id: int, today: date | None = None) -> Flow:
    """Requirements of the plan (and its sub-plans) by stage at the end of each day, from the
    plan's start to its end (or today, if sooner), rebuilt from the stage history. Scope counts
    a requirement from the day it joined the plan; its stage before its first recorded change
    is that change's starting stage. At most MAX_FLOW_POINTS days are sampled, evenly."""
    plan = get_plan(actor=actor, plan_id=plan_id)
    ids = [plan.pk, *[c.pk for c in _descendants(plan)]]
    items = list(PlanItem.objects.filter(plan_id__in=ids).values_list("requirement_id", "planned_at"))
    req_ids = [r for r, _at in items]
    joined = {r: timezone.localtime(at).date() for r, at in items}
    history: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    for rid, at, old, new in StageChange.objects.filter(requirement_id__in=req_ids).order_by("at", "id").values_list(
            "requirement_id", "at", "from_stage", "to_stage"):  # fmt: skip
        history[rid].append((at, old or Stage.WAIT, new))
    current = dict(Requirement.objects.filter(pk__in=req_ids).values_list("pk", "stage"))
    today = today or timezone.localdate()
    first = min([plan.start_date, *joined.values()]) if joined else plan.start_date
    last = max(first, min(plan.end_date, today))
    span = (last - first).days
    step = max(1, -(-span // (MAX_FLOW_POINTS - 1))) if span else 1
    days = [first + timedelta(days=d) for d in range(0, span + 1, step)]
    if days[-1] != last:
        days.append(last)
    tz = timezone.get_current_timezone()
    points = []
    for day in days:
        end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)
        counts = dict.fromkeys(STAGE_ORDER, 0)
        scope = 0
        for rid in req_ids:
            if joined[rid] > day:
                continue
            scope += 1
            changes = history.get(rid, [])
            stage = None
            for at, _old, new in changes:
                if at < end_of_day:
                    stage = new
                else:
                    break
            if stage is None:
                stage = changes[0][1] if changes else current.get(rid, Stage.WAIT)
            counts[stage] = counts.get(stage, 0) + 1
        points.append(FlowPoint(day=day, counts=counts, scope=scope))
    return Flow(plan=plan, points=points)


# ---- releases ---------------------------------------------------------------------------------
def list_releases(
    *, actor: Actor, product_id: int | None = None, status: str | None = None
) -> QuerySet[Release]:
    _authenticated(actor)
    _check_product(actor, product_id)
    if status is not None and status not in ReleaseStatus.values:
        raise InvalidInput(
            _("Status must be one of: %(v)s.") % {"v": ", ".join(ReleaseStatus.values)}, field="status"
        )
    qs = acl.visible_to(actor, Release.objects.select_related("product", "manager", "plan"))
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(item_count=Count("items")).order_by("-planned_date", "-id")


def get_release(*, actor: Actor, release_id: int) -> Release:
    _authenticated(actor)
    release = (
        Release.objects.select_related("product", "manager", "plan", "released_by")
        .filter(pk=release_id)
        .first()
    )
    if release is None or not acl.can_see(actor, release.product_id):
        raise NotFound(
            _("No such release, or you are not a member of its product."), code="release_not_found"
        )
    return release


def get_release_by_version(*, actor: Actor, version_name: str, product_id: int | None = None) -> Release:
    """A release by its version name; with several products holding it, name the product."""
    qs = list_releases(actor=actor, product_id=product_id).filter(
        version_name__iexact=(version_name or "").strip()
    )
    found = list(qs[:2])
    if not found:
        raise NotFound(
            _("No release “%(v)s” that you can see.") % {"v": version_name}, code="release_not_found"
        )
    if len(found) > 1:
        raise InvalidInput(_("Several products have a release “%(v)s”: name the product.") % {"v": version_name},
                           field="product")  # fmt: skip
    return get_release(actor=actor, release_id=found[0].pk)


def release_items(*, actor: Actor, release_id: int) -> list[ReleaseItem]:
    get_release(actor=actor, release_id=release_id)
    return list(
        ReleaseItem.objects.filter(release_id=release_id)
        .select_related("requirement__product", "requirement__module", "requirement__owner")
        .order_by("position", "id")
    )


def releasable_requirements(
    *,
    actor: Actor,
    product_id: int,
    exclude_ids: list[int] | None = None,
    unplanned: bool = False,
    not_in_draft_release: bool = False,
) -> QuerySet:
    """Active requirements of a product (for the 'add to plan/release' pickers)."""
    _check_product(actor, product_id)
    qs = acl.visible_to(actor, Requirement.objects.select_related("product", "module")).filter(
        product_id=product_id, status__in=[Status.ACTIVE, Status.CHANGING])  # fmt: skip
    if exclude_ids:
        qs = qs.exclude(pk__in=exclude_ids)
    if unplanned:
        qs = qs.filter(plan_item__isnull=True)
    if not_in_draft_release:
        qs = qs.exclude(release_items__release__status=ReleaseStatus.DRAFT).exclude(
            stage__in=[Stage.RELEASED, Stage.ACCEPTED]
        )
    return qs.order_by("priority", "-id")


# ---- roadmap ----------------------------------------------------------------------------------
@dataclass
class RoadmapRow:
    key: str
    title: str
    stage: str
    product: str
    start: date | None
    end: date | None
    plan: str = ""
    release: str = ""
    module: str = ""
    requirement_id: int = 0


@dataclass
class RoadmapLane:
    label: str
    rows: list[RoadmapRow] = field(default_factory=list)


@dataclass
class RoadmapPlan:
    id: int
    title: str
    product: str
    start: date
    end: date
    depth: int


@dataclass
class RoadmapRelease:
    id: int
    version: str
    product: str
    day: date | None
    released: bool


@dataclass
class Roadmap:
    start: date
    end: date
    group_by: str
    products: list[Any]
    plans: list[RoadmapPlan]
    releases: list[RoadmapRelease]
    lanes: list[RoadmapLane]
    today: date


def _products(actor: Actor, product_ids: list[int] | None) -> list[Any]:
    from pmloop.products import selectors as product_selectors

    visible = list(product_selectors.list_products(actor=actor))
    if not product_ids:
        return visible
    wanted = set(product_ids)
    found = [p for p in visible if p.pk in wanted]
    if len(found) != len(wanted):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    return found


def roadmap(*, actor: Actor, product_ids: list[int] | None = None, group_by: str = GroupBy.MODULE,
            start: date | None = None, end: date | None = None, today: date | None = None) -> Roadmap:  # fmt: skip
    """Plans and releases on a time axis, and the planned requirements grouped by module,
    theme (parent requirement) or category, each spanning its plan's dates. Without products,
    every product the actor can see (an owner's cross-product roadmap)."""
    _authenticated(actor)
    if group_by not in GroupBy.values:
        raise InvalidInput(_("Group by one of: %(v)s.") % {"v": ", ".join(GroupBy.values)}, field="group_by")
    products = _products(actor, product_ids)
    pids = [p.pk for p in products]
    multi = len(products) > 1
    plans = list(
        Plan.objects.filter(product_id__in=pids).select_related("product").order_by("start_date", "id")
    )
    releases = list(
        Release.objects.filter(product_id__in=pids).select_related("product").order_by("planned_date", "id")
    )
    depth: dict[int, int] = {}
    by_id = {p.pk: p for p in plans}

    def depth_of(p: Plan) -> int:
        if p.pk not in depth:
            depth[p.pk] = (
                0 if p.parent_id is None or p.parent_id not in by_id else depth_of(by_id[p.parent_id]) + 1
            )
        return depth[p.pk]

    today = today or timezone.localdate()
    dated = [d for p in plans for d in (p.start_date, p.end_date)] + [r.date for r in releases if r.date]
    start = start or (min(dated) if dated else today.replace(day=1))
    end = end or (max(dated) if dated else start + timedelta(days=90))
    if end < start:
        raise InvalidInput(_("The end date is before the start date."), field="end")
    shipped_in: dict[int, str] = {}
    for ri in ReleaseItem.objects.filter(release__product_id__in=pids).select_related("release").order_by(
            "release__planned_date", "release_id"):  # fmt: skip
        shipped_in[ri.requirement_id] = ri.release.version_name
    items = PlanItem.objects.filter(plan__product_id__in=pids).select_related(
        "plan", "requirement__product", "requirement__module", "requirement__parent").order_by(
        "plan__start_date", "position", "id")  # fmt: skip
    lanes: dict[str, RoadmapLane] = {}
    for item in items:
        r, plan = item.requirement, item.plan
        if plan.end_date < start or plan.start_date > end:
            continue
        if group_by == GroupBy.MODULE:
            label = r.module.name if r.module_id else _("No module")
        elif group_by == GroupBy.EPIC:
            label = r.parent.title if r.parent_id else _("No theme")
        else:
            label = str(r.get_category_display())
        if multi:
            label = f"{r.product.code} · {label}"
        lane = lanes.setdefault(label, RoadmapLane(label))
        lane.rows.append(RoadmapRow(
            key=r.key, title=r.title, stage=r.stage, product=r.product.code, start=plan.start_date,
            end=plan.end_date, plan=plan.title, release=shipped_in.get(r.pk, ""),
            module=r.module.name if r.module_id else "", requirement_id=r.pk,
        ))  # fmt: skip
    return Roadmap(
        start=start, end=end, group_by=group_by, products=products,
        plans=[RoadmapPlan(p.pk, p.title, p.product.code, p.start_date, p.end_date, depth_of(p)) for p in plans
               if not (p.end_date < start or p.start_date > end)],
        releases=[RoadmapRelease(r.pk, r.version_name, r.product.code, r.date, r.status == ReleaseStatus.RELEASED)
                  for r in releases if r.date is None or start <= r.date <= end],
        lanes=sorted(lanes.values(), key=lambda lane: lane.label), today=today,
    )  # fmt: skip


# ---- now / next / later (for customers) ----------------------------------------------------------
@dataclass
class OutlookCard:
    """What a customer may see of a requirement: no key, owner, estimate or internal stage."""

    title: str
    summary: str
    module: str
    product: str


def outlook(*, actor: Actor, product_ids: list[int] | None = None, today: date | None = None
            ) -> dict[str, list[OutlookCard]]:  # fmt: skip
    """Now / next / later, plus what just shipped, for talking to customers.

    shipped: released within SHIPPED_DAYS · now: in a plan running today, or being developed or
    tested · next: in a plan starting within NEXT_DAYS · later: in a plan starting after that.
    Unplanned requirements are never shown. Closed ones (other than shipped) neither."""
    _authenticated(actor)
    products = _products(actor, product_ids)
    today = today or timezone.localdate()
    out: dict[str, list[OutlookCard]] = {h.value: [] for h in Horizon}
    since = timezone.now() - timedelta(days=SHIPPED_DAYS)
    shipped_ids = set(StageChange.objects.filter(
        requirement__product_id__in=[p.pk for p in products], to_stage=Stage.RELEASED, at__gte=since,
    ).values_list("requirement_id", flat=True))  # fmt: skip
    reqs = Requirement.objects.filter(product_id__in=[p.pk for p in products]).filter(
        Q(pk__in=shipped_ids, stage__in=[Stage.RELEASED, Stage.ACCEPTED]) | Q(plan_item__isnull=False)
    ).select_related("product", "module", "plan_item__plan").order_by("priority", "id")  # fmt: skip

    def card(r: Requirement) -> OutlookCard:
        summary = str((r.spec or {}).get("summary") or "")
        return OutlookCard(title=r.title, summary=summary, module=r.module.name if r.module_id else "",
                           product=r.product.name)  # fmt: skip

    for r in reqs:
        if r.pk in shipped_ids and r.stage in (Stage.RELEASED, Stage.ACCEPTED):
            out[Horizon.SHIPPED].append(card(r))
            continue
        if r.status == Status.CLOSED or r.stage in (Stage.RELEASED, Stage.ACCEPTED):
            continue
        plan = r.plan_item.plan
        if r.stage in (Stage.DEVELOPING, Stage.TESTING) or plan.start_date <= today <= plan.end_date:
            out[Horizon.NOW].append(card(r))
        elif plan.start_date <= today + timedelta(days=NEXT_DAYS):
            out[Horizon.NEXT].append(card(r))
        else:
            out[Horizon.LATER].append(card(r))
    return out
