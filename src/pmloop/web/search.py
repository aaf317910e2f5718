"""One search box over requirements and pool items: what the page, the API and the CLI share.

Parsing and checking the parameters, and the two reads, each through its app's existing list
selector (``requirements.selectors.list_requirements``, ``pool.selectors.list_items``): the
same permission filter, text search and row loading as the two list pages, no query of its
own. The rules for the filters (docs/search.md, "One search box"):

* product and module apply to both kinds;
* a status applies to the kind whose statuses hold it; a kind for which statuses were given
  but none of its own is not searched (``Section.skipped``, with a note);
* priority 1–4 applies to requirements and, mapped to importance (1 critical, 2 high,
  3 medium, 4 low), to pool items;
* owner applies to requirements only: pool items have no owner (the pool section says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pmloop.accounts import selectors as account_selectors
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput
from pmloop.core.pagination import Page
from pmloop.pool import selectors as pool_selectors
from pmloop.pool.choices import Status as PoolStatus
from pmloop.pool.schemas import PoolItemFilters
from pmloop.products import selectors as product_selectors
from pmloop.requirements import selectors as requirement_selectors
from pmloop.requirements.choices import Status as RequirementStatus

REQUIREMENT_STATUSES: tuple[str, ...] = tuple(RequirementStatus.values)
POOL_STATUSES: tuple[str, ...] = tuple(PoolStatus.values)
PRIORITY_TO_IMPORTANCE = {1: "critical", 2: "high", 3: "medium", 4: "low"}
Q_MAX = 200
PAGE_ROWS = 10  # rows per kind on the page and in the CLI by default
MAX_PAGE_SIZE = 50  # per kind, in the API and the CLI


@dataclass
class SearchParams:
    q: str = ""
    product_id: int | None = None
    module_id: int | None = None
    status: list[str] = field(default_factory=list)
    priority: int | None = None
    owner: str | None = None
    """The owner's user name as given; ``owner_id`` is the user it names."""
    owner_id: int | None = None

    @property
    def requirement_statuses(self) -> list[str]:
        return [s for s in self.status if s in REQUIREMENT_STATUSES]

    @property
    def pool_statuses(self) -> list[str]:
        return [s for s in self.status if s in POOL_STATUSES]

    @property
    def importance(self) -> str | None:
        return PRIORITY_TO_IMPORTANCE.get(self.priority) if self.priority else None


@dataclass
class Section:
    kind: str  # "requirements" | "pool_items"
    page: Page | None = None
    """None when the kind was not searched (no words, or ``skipped``)."""
    skipped: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)
    """(code, message): why the kind was skipped, or a filter that does not apply to it."""


@dataclass
class SearchResult:
    params: SearchParams
    product: Any = None  # the products.Product filtered on, if any
    requirements: Section = field(default_factory=lambda: Section("requirements"))
    pool_items: Section = field(default_factory=lambda: Section("pool_items"))

    @property
    def searched(self) -> bool:
        return bool(self.params.q.strip())


# ---- parameters --------------------------------------------------------------------------------
def resolve_owner(actor: Actor, username: str) -> int:
    """The id of the user with exactly this name (case-insensitive)."""
    wanted = username.strip().lower()
    for user in account_selectors.list_users(actor=actor, q=username.strip()):
        if user.username.lower() == wanted:
            return user.pk
    raise InvalidInput(
        _("No user named “%(u)s”.") % {"u": username.strip()}, field="owner", code="owner_not_found"
    )


def check(actor: Actor, params: SearchParams) -> SearchParams:
    """Refuse unknown statuses and priorities, resolve the owner; every bad field at once."""
    errors: dict[str, str] = {}
    bad = [s for s in params.status if s not in REQUIREMENT_STATUSES and s not in POOL_STATUSES]
    if bad:
        errors["status"] = _("Unknown status: %(b)s. Requirements: %(r)s; pool items: %(p)s.") % {
            "b": ", ".join(bad),
            "r": ", ".join(REQUIREMENT_STATUSES),
            "p": ", ".join(POOL_STATUSES),
        }
    if params.priority is not None and params.priority not in PRIORITY_TO_IMPORTANCE:
        errors["priority"] = _("Priority is 1, 2, 3 or 4.")
    if params.owner and params.owner_id is None:
        try:
            params.owner_id = resolve_owner(actor, params.owner)
        except InvalidInput as exc:
            errors["owner"] = exc.message
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first, fields=errors, field=next(iter(errors)))
    return params


def _int(raw: Any, name: str, message: str, errors: dict[str, str]) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if text == "":
        return None
    if text.isdigit() and len(text) <= 18:
        return int(text)
    errors[name] = message
    return None


def from_query(
    actor: Actor, get: Mapping[str, Any], *, default_product_id: int | None = None
) -> SearchParams:
    """The parameters from a page's query string (``request.GET``): ``product`` absent means
    ``default_product_id`` (the shell's current product), empty or ``all`` means every product
    the actor sees. Raises InvalidInput naming every bad field."""
    errors: dict[str, str] = {}
    getlist = getattr(get, "getlist", lambda k: [get[k]] if k in get else [])
    q = str(get.get("q", "") or "").strip()[:Q_MAX]
    if "product" in get:
        raw_product = str(get.get("product") or "").strip()
        product_id = (
            None
            if raw_product in ("", "all")
            else _int(raw_product, "product", _("Choose a product from the list."), errors)
        )
    else:
        product_id = default_product_id
    module_id = _int(get.get("module"), "module", _("Choose a module from the list."), errors)
    priority = _int(get.get("priority"), "priority", _("Priority is 1, 2, 3 or 4."), errors)
    statuses = [s.strip() for v in getlist("status") for s in str(v).split(",") if s.strip()]
    owner = str(get.get("owner", "") or "").strip()[:150] or None
    params = SearchParams(
        q=q, product_id=product_id, module_id=module_id, status=statuses, priority=priority, owner=owner
    )
    try:
        check(actor, params)
    except InvalidInput as exc:
        errors = {**exc.fields, **errors}
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors, field=next(iter(errors)))
    return params


# ---- the two reads -----------------------------------------------------------------------------
def _empty(page_size: int) -> Page:
    return Page(items=[], count=0, page=1, page_size=page_size)


def search(
    actor: Actor, params: SearchParams, *, page: int = 1, page_size: int = PAGE_ROWS, for_api: bool = False
) -> SearchResult:
    """Both kinds for ``params`` (already checked): two COUNTs and two page queries at most.
    Without words nothing is read (empty pages). A product the actor may not see is NotFound."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(
            _("page_size must be between 1 and %(n)s") % {"n": MAX_PAGE_SIZE}, field="page_size"
        )
    result = SearchResult(params=params)
    if params.product_id is not None:
        result.product = product_selectors.get_product(actor=actor, product_id=params.product_id)
    reqs, pool = result.requirements, result.pool_items
    if params.status and not params.requirement_statuses:
        reqs.skipped = True
        reqs.notes.append(
            ("status_not_applicable", _("No requirement status was chosen: requirements not searched."))
        )
    if params.status and not params.pool_statuses:
        pool.skipped = True
        pool.notes.append(
            ("status_not_applicable", _("No pool item status was chosen: pool items not searched."))
        )
    if params.owner_id is not None:
        pool.notes.append(("owner_not_applicable", _("Pool items have no owner: the owner filter applies to requirements only.")))  # fmt: skip
    q = params.q.strip()
    if not q:
        reqs.page = None if reqs.skipped else _empty(page_size)
        pool.page = None if pool.skipped else _empty(page_size)
        return result
    if not reqs.skipped:
        query = requirement_selectors.RequirementQuery(
            product_id=params.product_id,
            q=q,
            status=params.requirement_statuses,
            module_id=params.module_id,
            priority=[params.priority] if params.priority else [],
            owner_id=params.owner_id,
        )
        reqs.page = requirement_selectors.list_page(
            actor=actor, query=query, page=page, page_size=page_size, with_spec=False, for_api=for_api
        )
    if not pool.skipped:
        filters = PoolItemFilters(
            product=params.product_id,
            q=q,
            status=params.pool_statuses,
            module=params.module_id,
            importance=params.importance,
            page=page,
            page_size=page_size,
        )
        pool.page = pool_selectors.list_page(actor=actor, filters=filters)
    return result
