"""Reads of requirements, always restricted to what the actor may see, prefetched here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.audit import selectors as audit_selectors
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound, PermissionDenied
from pmloop.core.pagination import Counter, Page, count_limit_for, paginate, statuses_total
from pmloop.pool.models import PoolItem, PoolLink
from pmloop.requirements import spec as prd
from pmloop.requirements.choices import Stage, Status
from pmloop.requirements.models import (
    AcceptanceCriterion,
    ChangeRequest,
    Requirement,
    RequirementLink,
    RequirementSettings,
    RequirementVersion,
    StageChange,
)
from pmloop.reviews import selectors as review_selectors


def asked_items_q(requirement_id: int) -> Q:
    """Pool items that asked for a requirement: linked ones and those merged into them.

    One ``pk IN (linked ids UNION ids of items merged into them)`` test, searched by primary
    key, rather than an OR across two LEFT JOINs, which scanned every pool item (127 ms at 20k
    items, growing with the pool; see docs/benchmarks.md)."""
    linked = PoolLink.objects.filter(requirement_id=requirement_id).order_by().values("item_id")
    merged = PoolItem.objects.filter(merged_into_id__in=linked).order_by().values("pk")
    return Q(pk__in=linked.union(merged))


SORTS = {
    "newest": ("-id",),
    "oldest": ("id",),
    "priority": ("priority", "-id"),
    "voices": ("-voices", "-id"),
    "updated": ("-updated_at", "-id"),
    "completeness": ("completeness", "-id"),
}


@dataclass
class RequirementQuery:
    """One filter shape for the API, the pages, the CLI and exports."""

    product_id: int | None = None
    q: str = ""
    status: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    module_id: int | None = None
    priority: list[int] = field(default_factory=list)
    owner_id: int | None = None
    category: str | None = None
    parent_id: int | None = None
    unconfirmed_change: bool | None = None
    sort: str = "newest"


def _base(actor: Actor) -> QuerySet[Requirement]:
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    return acl.visible_to(actor, Requirement.objects.all())


def list_requirements(
    *, actor: Actor, query: RequirementQuery | None = None, with_spec: bool = True, for_api: bool = False
) -> QuerySet[Requirement]:
    """``with_spec=False`` for rows that do not show the PRD (the list page): the spec is the
    largest column. ``for_api``: only what the API's list schema reads (no spec, no module row:
    it shows ``module_id``)."""
    query = query or RequirementQuery()
    if for_api:
        qs = _base(actor).select_related("product", "owner").defer("spec")
    else:
        qs = _base(actor).select_related("product", "module", "owner")
        if not with_spec:
            qs = qs.defer("spec")
    if query.product_id is not None:
        if not acl.can_see(actor, query.product_id):
            raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
        qs = qs.filter(product_id=query.product_id)
    bad = [s for s in query.status if s not in Status.values] + [
        s for s in query.stage if s not in Stage.values
    ]
    if bad:
        raise InvalidInput(_("Unknown status or stage: %(b)s.") % {"b": ", ".join(bad)}, field="status")
    if query.status:
        qs = qs.filter(status__in=query.status)
    if query.stage:
        qs = qs.filter(stage__in=query.stage)
    if query.module_id is not None:
        qs = qs.filter(module_id=query.module_id)
    if query.priority:
        qs = qs.filter(priority__in=query.priority)
    if query.owner_id is not None:
        qs = qs.filter(owner_id=query.owner_id)
    if query.category:
        qs = qs.filter(category=query.category)
    if query.parent_id is not None:
        qs = qs.filter(parent_id=query.parent_id)
    if query.unconfirmed_change is not None:
        qs = qs.filter(unconfirmed_change__isnull=not query.unconfirmed_change)
    if query.q.strip():
        qs = _search(qs, query.q, product_id=query.product_id)
    if query.sort not in SORTS:
        raise InvalidInput(_("Sort by one of: %(s)s.") % {"s": ", ".join(SORTS)}, field="sort")
    return qs.order_by(*SORTS[query.sort])


def _key_filter(text: str) -> Q:
    """``IMSDK-42`` or ``42`` also finds that requirement (empty ``Q()`` for other words)."""
    key = text.upper().rsplit("-", 1)
    if len(key) == 2 and key[1].isdigit():
        return Q(product__code=key[0], number=int(key[1]))
    if text.isdigit():
        return Q(number=int(text))
    return Q()


def _search(qs: QuerySet, q: str, *, product_id: int | None) -> QuerySet:
    from pmloop.search import selectors as search

    text = q.strip()
    # qs is already limited to the products the actor sees (and to product_id when given).
    return qs.filter(
        search.text_matches(kind="requirement", q=text, product_id=product_id) | _key_filter(text)
    )


def search_counter(*, actor: Actor, query: RequirementQuery) -> Counter | None:
    """Counts a list that only words (no key) and the product narrow from the search index
    (``search.selectors.count_matches``): the list itself probes one document per row until
    enough match, 8,000 probes for a word in one requirement of eight. None for any other list.
    A filter added to ``RequirementQuery`` turns this off until it is handled here."""
    text = query.q.strip()
    if (
        not text
        or _key_filter(text)
        or replace(query, q="", product_id=None, sort="newest") != RequirementQuery()
    ):
        return None
    from pmloop.search import selectors as search

    scope = acl.visible_within(actor, query.product_id)
    return lambda n: search.count_matches(kind="requirement", q=text, product_ids=scope, limit=n)


def list_page(
    *, actor: Actor, query: RequirementQuery, page: int, page_size: int, with_spec: bool = True,
    for_api: bool = False,
) -> Page:  # fmt: skip
    """One page of ``list_requirements`` (same options): a text search counts at most
    ``SEARCH_COUNT_LIMIT`` rows, from the index where it can (``search_counter``). Every list
    front pages through here, so the rows and their count always come from the same query."""
    qs = list_requirements(actor=actor, query=query, with_spec=with_spec, for_api=for_api)
    return paginate(qs, page=page, page_size=page_size, count_limit=count_limit_for(query.q),
                    counter=search_counter(actor=actor, query=query))  # fmt: skip


def list_page_with_tabs(
    *, actor: Actor, query: RequirementQuery, page: int, page_size: int, with_spec: bool = True
) -> tuple[Page, dict[str, int]]:
    """One product's list page and its status tabs (``status_counts``) with one counting query
    instead of two: the page's count is the sum of its statuses' tabs, counted under the same
    filters (``query.product_id`` is required)."""
    if query.product_id is None:
        raise ValueError("list_page_with_tabs needs query.product_id (the tabs are one product's)")
    qs = list_requirements(actor=actor, query=query, with_spec=with_spec)  # checks the product and filters
    counts = status_counts(actor=actor, product_id=query.product_id, query=query)
    total = statuses_total(counts, query.status)
    return paginate(
        qs, page=page, page_size=page_size, count_limit=count_limit_for(query.q), total=total
    ), counts


def get_requirement(*, actor: Actor, requirement_id: int, for_api: bool = False) -> Requirement:
    """One requirement the actor may see, with what its page shows prefetched; ``for_api``:
    only what the API's detail schema reads (product, owner, reviewers, criteria): 2 queries
    and 5 joins fewer to compile, a third of the API's ``get`` (bench/profile_workload.py)."""
    qs = _base(actor)
    if for_api:
        qs = qs.select_related("product", "owner").prefetch_related("reviewers", "criteria")
    else:
        qs = qs.select_related(
            "product", "module", "owner", "created_by", "parent", "duplicate_of", "unconfirmed_change"
        ).prefetch_related(
            "reviewers",
            Prefetch("criteria", queryset=AcceptanceCriterion.objects.select_related("verified_by")),
            Prefetch("children", queryset=Requirement.objects.select_related("product")),
        )
    req = (
        qs.filter(
            pk=requirement_id
        ).order_by()  # one row by key: no ORDER BY to compile (a fifth of this call's ORM time)
    )
    req = next(iter(req[:1]), None)
    if req is None:
        raise NotFound(
            _("No such requirement, or you are not a member of its product."), code="requirement_not_found"
        )
    return req


def get_by_key(*, actor: Actor, key: str) -> Requirement:
    """A requirement by its key (IMSDK-42) or its id."""
    key = (key or "").strip()
    if key.isdigit():
        return get_requirement(actor=actor, requirement_id=int(key))
    code, _sep, number = key.upper().rpartition("-")
    if not code or not number.isdigit():
        raise InvalidInput(_("Give a requirement key like IMSDK-42, or its id."), field="key")
    pk = _base(actor).filter(product__code=code, number=int(number)).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("No requirement %(k)s that you can see.") % {"k": key}, code="requirement_not_found")
    return get_requirement(actor=actor, requirement_id=pk)


def completeness(*, actor: Actor, requirement_id: int) -> prd.Completeness:
    req = get_requirement(actor=actor, requirement_id=requirement_id)
    return prd.completeness(req.spec, required=_settings(req.product_id).required_sections,
                            has_sources=PoolLink.objects.filter(requirement_id=req.pk).exists())  # fmt: skip


def list_versions(*, actor: Actor, requirement_id: int) -> QuerySet[RequirementVersion]:
    get_requirement(actor=actor, requirement_id=requirement_id)
    return RequirementVersion.objects.filter(requirement_id=requirement_id).select_related(
        "author", "change_request"
    )


@dataclass
class VersionDiff:
    requirement: Requirement
    a: RequirementVersion
    b: RequirementVersion
    sections: list[prd.SectionDiff]


def diff_versions(*, actor: Actor, requirement_id: int, a: int, b: int) -> VersionDiff:
    req = get_requirement(actor=actor, requirement_id=requirement_id)
    versions = {v.number: v for v in RequirementVersion.objects.filter(requirement=req, number__in=[a, b])}
    missing = [n for n in (a, b) if n not in versions]
    if missing:
        raise NotFound(_("No version %(v)s of this requirement.") % {"v": ", ".join(map(str, missing))})
    va, vb = versions[a], versions[b]
    return VersionDiff(req, va, vb, prd.diff(va.spec, vb.spec, title_a=va.title, title_b=vb.title))


class Trace:
    """Everything that answers "where did this come from and where did it go".

    Who asked, the reviews, the changes and the criteria are read at once (the page's actions
    and PRD need them); versions, stages, links, history and attachments when first used, so the
    requirement page, which shows one tab, reads one of them and takes the tabs' numbers from
    ``counts`` (one query). Readers of everything (the API, exports) read each part once."""

    def __init__(self, *, actor: Actor, requirement: Requirement, pool_items: list[PoolItem],
                 rounds: list[Any], changes: list[ChangeRequest], criteria: list[AcceptanceCriterion]):  # fmt: skip
        self.actor, self.requirement, self.pool_items = actor, requirement, pool_items
        self.rounds, self.changes, self.criteria = rounds, changes, criteria
        self.customers = list({i.customer_id: i.customer for i in pool_items if i.customer_id}.values())

    @cached_property
    def versions(self) -> list[RequirementVersion]:
        return list(
            RequirementVersion.objects.filter(requirement=self.requirement)
            .select_related("author")
            .order_by("-number")
        )

    @cached_property
    def stages(self) -> list[StageChange]:
        return list(self.requirement.stage_changes.select_related("actor").order_by("at", "id"))

    @cached_property
    def links_out(self) -> list[RequirementLink]:
        return list(self.requirement.links_out.select_related("target", "target__product"))

    @cached_property
    def links_in(self) -> list[RequirementLink]:
        return list(self.requirement.links_in.select_related("source", "source__product"))

    @cached_property
    def history(self) -> list[Any]:
        return list(audit_selectors.history(actor=self.actor, obj=self.requirement)[:200])

    @cached_property
    def attachments(self) -> list[Any]:
        return list(self.requirement.attachments.select_related("uploaded_by"))

    @cached_property
    def counts(self) -> dict[str, int]:
        """How many versions, stage changes and links (both ways): one query."""

        pk = self.requirement.pk

        def n(model: Any, fk: str) -> Subquery:  # one count, grouped by the requirement it points to
            rows = model.objects.filter(**{fk: pk}).order_by().values(fk).annotate(n=Count("pk"))
            return Subquery(rows.values("n"))

        row = (
            Requirement.objects.filter(pk=pk)
            .order_by()
            .values(
                n_versions=n(RequirementVersion, "requirement_id"),
                n_stages=n(StageChange, "requirement_id"),
                n_links_out=n(RequirementLink, "source_id"),
                n_links_in=n(RequirementLink, "target_id"),
            )[0]
        )
        return {k.removeprefix("n_"): v or 0 for k, v in row.items()}


def trace_requirement(*, actor: Actor, requirement_id: int) -> Trace:
    req = get_requirement(actor=actor, requirement_id=requirement_id)
    items = list(
        PoolItem.objects.filter(asked_items_q(req.pk))
        .select_related("customer", "source", "product", "reporter")
        .distinct()
        .order_by("-voices", "id")
    )
    return Trace(
        actor=actor,
        requirement=req,
        pool_items=items,
        rounds=list(review_selectors.rounds_for(subject_type="requirement", subject_id=req.pk)),
        changes=list(req.changes.select_related("created_by").order_by("-created_at")),
        criteria=list(req.criteria.all()),  # prefetched by get_requirement, with who verified each
    )


@dataclass
class MatrixRow:
    requirement: Requirement
    pool_items: list[PoolItem]
    review_outcome: str
    reviewers: str


def traceability_matrix(
    *, actor: Actor, product_id: int, query: RequirementQuery | None = None
) -> list[MatrixRow]:
    """Pool item ↔ requirement ↔ review ↔ stage, one row per requirement (constant queries).
    Every requirement of the product that matches: for exports. A page uses ``list_page`` +
    ``matrix_rows`` on one page of requirements."""
    query = replace(query or RequirementQuery(), product_id=product_id)
    return matrix_rows(list(list_requirements(actor=actor, query=query, with_spec=False)))


def matrix_rows(reqs: list[Requirement]) -> list[MatrixRow]:
    """The matrix rows of requirements the caller has already read through a selector (so the
    actor may see them): their pool items with customers and their last review round, in 2
    queries plus one for the votes, whatever their number."""
    items_of: dict[int, list[PoolItem]] = {}
    links = PoolLink.objects.filter(requirement_id__in=[r.pk for r in reqs]).select_related(
        "item__customer", "item__product"
    )
    for link in links.order_by("item_id"):
        items_of.setdefault(link.requirement_id, []).append(link.item)
    from pmloop.reviews.models import ReviewRound

    last_round: dict[int, Any] = {}
    rounds = (
        ReviewRound.objects.filter(subject_type="requirement", subject_id__in=[r.pk for r in reqs])
        .prefetch_related("votes__reviewer")
        .order_by("subject_id", "-opened_at", "-id")
    )
    for rnd in rounds:
        last_round.setdefault(rnd.subject_id, rnd)
    rows = []
    for r in reqs:
        rnd = last_round.get(r.pk)
        outcome = (rnd.get_outcome_display() if rnd.outcome else rnd.get_status_display()) if rnd else ""
        votes = (
            ", ".join(f"{v.reviewer}: {v.get_verdict_display() or '…'}" for v in rnd.votes.all())
            if rnd
            else ""
        )
        rows.append(MatrixRow(r, items_of.get(r.pk, []), outcome, votes))
    return rows


def status_counts(*, actor: Actor, product_id: int, query: RequirementQuery | None = None) -> dict[str, int]:
    """How many requirements of the product have each status, under ``query``'s filters
    except its status (the list page's tabs: what each tab would show). One query."""
    if query is None:
        qs = _base(actor).filter(product_id=product_id)
    else:
        without_status = replace(query, product_id=product_id, status=[], sort="newest")
        qs = list_requirements(actor=actor, query=without_status)
    rows = qs.order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


def for_customer(*, actor: Actor, customer_id: int) -> QuerySet[Requirement]:
    """What a customer asked that became requirements: status, stage, what shipped."""
    asked = PoolLink.objects.filter(
        Q(item__customer_id=customer_id) | Q(item__merged_items__customer_id=customer_id)
    )
    return (
        _base(actor)
        .filter(pk__in=asked.values("requirement_id"))
        .select_related("product", "module")
        .order_by("-id")
    )


def _settings(product_id: int) -> RequirementSettings:
    """The product's settings, or unsaved defaults (a read never writes)."""
    return RequirementSettings.objects.filter(product_id=product_id).first() or RequirementSettings(
        product_id=product_id
    )


def get_settings(*, actor: Actor, product_id: int) -> dict[str, Any]:
    from pmloop.requirements import permissions as perms

    acl.require(actor, perms.VIEW, product_id=product_id)
    s = _settings(product_id)
    saved = s.pk is not None
    return {
        "product_id": product_id,
        "required_sections": list(s.required_sections),
        "skip_review_user_ids": sorted(s.skip_review_users.values_list("pk", flat=True)) if saved else [],
        "force_review_user_ids": sorted(s.force_review_users.values_list("pk", flat=True)) if saved else [],
        "version": s.version,
    }
