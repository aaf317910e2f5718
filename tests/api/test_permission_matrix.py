"""The permission matrix, generated from the API's own route table (its OpenAPI schema).

Every operation × every caller:

    anonymous · site admin · a member holding each role · a member of ANOTHER product only ·
    a revoked token · an expired token · a read-only token · a read-write token (of an owner)

gets the status the rules predict, and a refused call (or any read) changes no row of any
pmloop table and adds no operation-log entry. A successful write adds operation-log entries
that name the caller. New endpoints join without new test code; what this file needs from them:

* ``openapi_extra=requires(<action>)`` on the operation (``pmloop.core.http.requires``): the
  action it checks, from ``pmloop.accounts.permissions.ACTIONS``. Who may call it is read
  from that action's roles — never listed here. Operations without one are taken to be open
  to every signed-in user (lists already limited to what the caller can see); an operation
  that names a product (a product-scoped path or body parameter) must declare its action.
* a resolver in PATH_RESOLVERS for each new path-parameter name, and in FIELD_RESOLVERS for
  each new required ``*_id`` body/query field. An operation with an unknown one fails, and the
  message says which resolver to add. The world (``_build_objects``) holds an object of every
  kind; when an operation needs one in a particular state (a draft to submit, a closed
  requirement to reopen), OBJECT_FOR names it.

* a route with ``auth=None`` must be listed in PUBLIC with its reason (and be a read).

A write that changed no row (say, marking zero notifications read) need not log anything;
a write that changed anything must have logged it, under the caller's name.

Expected results (refusal codes are asserted too):

=============================  ==========================================================
caller                         expected
=============================  ==========================================================
anonymous, revoked, expired    401 unauthenticated
member of another product      404 on product-scoped operations (existence is not leaked)
read-only token                403 read_only_token on every write (POST/PUT/PATCH/DELETE),
                               product-scoped or not (exceptions: READ_ONLY_EXCEPTIONS, empty)
member with role R             2xx if R is in the action's roles, else 403 role_forbidden
site admin                     2xx
anyone signed in, not          2xx, unless the action is admin-only (no roles): 403
product-scoped                 admin_only — with the exceptions in SELF_SERVICE below
=============================  ==========================================================
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from pmloop.accounts.permissions import ACTIONS
from pmloop.accounts.roles import Role
from pmloop.config.api import api

WRITE_METHODS = {"post", "put", "patch", "delete"}
BODY_TYPES = ("application/json", "multipart/form-data")  # a file field gets a small text file
# Strings that belong to the target product only: no response to a non-member may contain them.
MARKERS = ("IMSDK", "IM SDK", "单聊", "已读", "群聊")

# Actions with no roles are site-admin-only, except these (action → who may, and why).
SELF_SERVICE: dict[str, str] = {
    "accounts.manage_own_tokens": "any signed-in user, on their own tokens (a token_id resolves to the caller's own)",
}

# Operations open without any credentials ("METHOD path" → reason). Opening one is a security
# decision, so a route with auth=None that is not listed here fails the matrix.
PUBLIC: dict[str, str] = {
    "GET /api/v1/health": "load balancers and the benchmark probe it without credentials",
}

# Writes a read-only token may still make (operationId → reason). None today: even the writes
# that are not product-scoped — create a product, create or revoke one's own token, create a
# user — refuse a read-only token with 403 read_only_token. A future exception (say, marking
# one's own notifications read) goes here with its reason.
READ_ONLY_EXCEPTIONS: dict[str, str] = {}

# Operations whose success depends on object state the generic fixtures cannot reach (a guard
# may refuse with 409/422 even for an allowed caller): operationId → reason. For these an
# allowed caller must get past the permission gate (no 401/403/404) rather than a 2xx.
STATE_DEPENDENT: dict[str, str] = {
    "pmloop_requirements_api_request_change": "a change must edit a spec section; the generic body "
    "(a reason only) is refused as empty_change",
    "pmloop_requirements_api_confirm_change": "needs an unconfirmed change of the parent on the requirement",
    "pmloop_plans_api_confirm_change": "needs an unconfirmed change on the planned requirement",
    "pmloop_requirements_api_close": "the first close reason, 'done', needs every acceptance criterion verified",
}


# ---- the route table ------------------------------------------------------------------------
@dataclass
class Operation:
    id: str
    method: str
    path: str
    action: str | None
    success: int
    path_params: list[str]
    query: dict[str, dict]  # required query parameters: name → schema
    body: dict | None  # JSON body schema (resolved), or None
    body_type: str | None  # content type of the body, if any
    public: bool = False  # no authentication at all (auth=None on the route)

    @property
    def write(self) -> bool:
        return self.method in WRITE_METHODS

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


SCHEMA = api.get_openapi_schema()
COMPONENTS = SCHEMA.get("components", {}).get("schemas", {})


def deref(schema: dict) -> dict:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return deref({**{k: v for k, v in schema.items() if k != "allOf"}, **deref(schema["allOf"][0])})
    return schema


def _operations() -> list[Operation]:
    ops = []
    for path, methods in SCHEMA["paths"].items():
        for method, op in methods.items():
            params = op.get("parameters", [])
            body, body_type = None, None
            for ctype, content in op.get("requestBody", {}).get("content", {}).items():
                body, body_type = deref(content["schema"]), ctype
            success = min(int(code) for code in op["responses"] if str(code).startswith("2"))
            ops.append(
                Operation(
                    id=op["operationId"],
                    method=method,
                    path=path,
                    action=op.get("x-pmloop-action"),
                    success=success,
                    path_params=[p["name"] for p in params if p["in"] == "path"],
                    query={
                        p["name"]: p.get("schema", {})
                        for p in params
                        if p["in"] == "query" and p.get("required")
                    },
                    body=body,
                    body_type=body_type,
                    public=not op.get("security"),
                )
            )
    return ops


OPERATIONS = _operations()


# ---- resolvers: fill a parameter from the fixtures, by its name ---------------------------------
@dataclass
class Resolver:
    """``get(world, caller)`` returns a model instance (its pk is sent) or a plain value.
    ``scoped``: the value names an object inside the target product, so the operation is
    product-scoped (another product's member gets 404)."""

    get: Callable[[World, Caller], Any]
    scoped: bool = False


# Which of the world's objects a parameter names, when an operation needs one in a particular
# state (operationId → {parameter → key in World.objects}); otherwise the parameter's default.
OBJECT_FOR: dict[str, dict[str, str]] = {
    "pmloop_requirements_api_submit": {"requirement_id": "draft"},
    "pmloop_requirements_api_withdraw_review": {"requirement_id": "reviewing"},
    "pmloop_requirements_api_verdict": {"requirement_id": "reviewing"},
    "pmloop_requirements_api_submit_change": {"requirement_id": "changing"},
    "pmloop_requirements_api_withdraw_change": {"requirement_id": "changing"},
    "pmloop_requirements_api_reopen": {"requirement_id": "closed"},
    "pmloop_plans_api_remove_release_item": {"requirement_id": "in_release"},
    "pmloop_plans_api_delete_plan": {"plan_id": "empty_plan"},
    "pmloop_pool_api_update_item": {"pool_item_id": "new_pool_item"},
    "pmloop_pool_api_triage_item": {"pool_item_id": "new_pool_item"},
    "pmloop_pool_api_decline_item": {"pool_item_id": "new_pool_item"},
    "pmloop_pool_api_merge_item": {"pool_item_id": "new_pool_item"},
    "pmloop_pool_api_reopen_item": {"pool_item_id": "declined_pool_item"},
    "pmloop_pool_api_activate_source": {"pool_source_id": "inactive_source"},
    "pmloop_deliverables_api_open_kit": {"release_id": "bare_release"},
}


def _pick(param: str, default: str) -> Callable[[World, Caller], Any]:
    return lambda w, c: w.objects[OBJECT_FOR.get(w.op.id, {}).get(param, default)]


def _own_check(w: World, c: Caller):
    """A checklist item owned by the caller (only its owner signs it off): signed off already
    when the operation revokes a sign-off."""
    key = "signed_checks" if w.op.path.endswith("/revoke") else "checks"
    return w.objects[key][w.user_of(c).pk]


PATH_RESOLVERS: dict[str, Resolver] = {
    "product_id": Resolver(lambda w, c: w.product, scoped=True),
    "module_id": Resolver(lambda w, c: w.leaf_module, scoped=True),
    "user_id": Resolver(lambda w, c: w.victim),  # a viewer of the product; only under /products/{product_id}/
    "token_id": Resolver(lambda w, c: w.spare_token(c)),  # the caller's own token
    "customer_id": Resolver(_pick("customer_id", "customer"), scoped=True),
    "contact_id": Resolver(_pick("contact_id", "contact"), scoped=True),
    "pool_item_id": Resolver(_pick("pool_item_id", "pool_item"), scoped=True),  # linked to "active"
    "pool_source_id": Resolver(_pick("pool_source_id", "pool_source")),  # sources are site-wide
    # the active requirement: planned, with a linked pool item, a link, an attachment, criteria
    "requirement_id": Resolver(_pick("requirement_id", "active"), scoped=True),
    "criterion_id": Resolver(_pick("criterion_id", "criterion"), scoped=True),  # of "active"
    "link_id": Resolver(_pick("link_id", "link"), scoped=True),
    "attachment_id": Resolver(_pick("attachment_id", "attachment"), scoped=True),
    "plan_id": Resolver(_pick("plan_id", "plan"), scoped=True),  # holds "active"
    "milestone_id": Resolver(_pick("milestone_id", "milestone"), scoped=True),
    "release_id": Resolver(_pick("release_id", "release"), scoped=True),  # a draft, with a launch kit
    "kit_id": Resolver(_pick("kit_id", "kit"), scoped=True),
    # /launch/items/ are checklist items (the caller's own); a pool item anywhere else
    "item_id": Resolver(
        lambda w, c: _own_check(w, c) if w.op.path.startswith("/api/v1/launch/") else w.objects["pool_item"],
        scoped=True,
    ),
    "session_id": Resolver(_pick("session_id", "session"), scoped=True),
    "attendee_id": Resolver(_pick("attendee_id", "attendee"), scoped=True),
    "doc": Resolver(lambda w, c: "notes"),  # which document of a release (the release is the scope)
}

FIELD_RESOLVERS: dict[str, Resolver] = {  # body fields and required query parameters
    "version": Resolver(lambda w, c: w.target_version),
    "name": Resolver(lambda w, c: w.unique("matrix ")),
    "code": Resolver(lambda w, c: w.unique("MX").replace(" ", "")),
    "username": Resolver(lambda w, c: w.unique("matrix-user-")),
    "password": Resolver(lambda w, c: "pw-Secret-123-matrix"),
    "user_id": Resolver(lambda w, c: w.newcomer),  # someone to add as a member
    "role": Resolver(lambda w, c: Role.DEVELOPER.value),
    "product_id": Resolver(lambda w, c: w.product, scoped=True),
    "pool_item_id": Resolver(lambda w, c: w.objects["pool_item"], scoped=True),  # create a requirement
    "pool_item_ids": Resolver(lambda w, c: [w.objects["spare_pool_item"].pk], scoped=True),
    "merge_into_id": Resolver(lambda w, c: w.objects["spare_pool_item"], scoped=True),
    "target_id": Resolver(lambda w, c: w.objects["draft"], scoped=True),  # link "active" to the draft
    "requirement_ids": Resolver(lambda w, c: [w.objects["spare"].pk], scoped=True),  # active, unplanned
    "to_plan_id": Resolver(lambda w, c: w.objects["empty_plan"], scoped=True),
    "note": Resolver(lambda w, c: "matrix note"),  # moving a stage back or reopening needs a reason
    "owner_id": Resolver(lambda w, c: w.users["owner"]),  # the product owner (may own anything)
}


def problems(op: Operation) -> list[str]:
    """Why the matrix cannot run this operation (each with the fix), or []."""
    return input_problems(op) + declaration_problems(op)


def input_problems(op: Operation) -> list[str]:
    """Parameters the fixtures cannot fill (each with the fix), or []."""
    found = []
    for name in op.path_params:
        if name not in PATH_RESOLVERS:
            found.append(
                f"path parameter '{name}' has no resolver: add PATH_RESOLVERS['{name}'] = Resolver(lambda w, c: "
                f"<an object of the target product>, scoped=True) in {__name__}"
            )
    required_fields = dict(op.query)
    if op.body is not None:
        if op.body_type not in BODY_TYPES:
            found.append(
                f"body is {op.body_type}; the matrix builds {', '.join(BODY_TYPES)} bodies only: "
                "extend build_request()"
            )
        else:
            props = op.body.get("properties", {})
            required_fields.update({n: props.get(n, {}) for n in op.body.get("required", [])})
    for name in required_fields:
        if name not in FIELD_RESOLVERS and (name.endswith(("_id", "_ids")) or name == "version"):
            found.append(
                f"required field '{name}' refers to an object: add FIELD_RESOLVERS['{name}'] = Resolver(...) "
                f"in {__name__}"
            )
    return found


def declaration_problems(op: Operation) -> list[str]:
    """What the route must declare for its permission expectations to be known, or []."""
    found = []
    if op.public and str(op) not in PUBLIC:
        found.append(
            f"is open without credentials (auth=None): list it in PUBLIC in {__name__} with the reason"
        )
    if op.public and op.write:
        found.append("is a write open without credentials")
    if op.action is not None and op.action not in ACTIONS:
        found.append(f"declares action '{op.action}', which no permissions.py defines")
    elif op.action is not None and ACTIONS[op.action].write != op.write:
        found.append(
            f"a {op.method.upper()} declares action '{op.action}' whose write={ACTIONS[op.action].write}"
        )
    if op.action is None and is_scoped(op):
        found.append(
            "names a product but declares no permission action: add openapi_extra=requires(perms.<ACTION>) "
            "(from pmloop.core.http) to the route"
        )
    return found


def is_scoped(op: Operation) -> bool:
    names = [PATH_RESOLVERS[n] for n in op.path_params if n in PATH_RESOLVERS]
    fields = list(op.query)
    if op.body is not None and op.body_type in BODY_TYPES:
        fields += list(op.body.get("properties", {}))
    names += [FIELD_RESOLVERS[n] for n in fields if n in FIELD_RESOLVERS]
    return any(r.scoped for r in names)


# ---- callers ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Caller:
    name: str
    kind: str  # anonymous | admin | member | outsider | token
    role: str | None = None  # member: the role; token: the token owner's role (owner)
    scope: str | None = None  # token: read | write | revoked | expired

    @property
    def read_only(self) -> bool:
        return self.scope == "read"

    def __str__(self) -> str:
        return self.name


CALLERS = [
    Caller("anonymous", "anonymous"),
    Caller("admin", "admin"),
    *[Caller(f"role-{r}", "member", role=r) for r in Role.values],
    Caller("other-product-member", "outsider"),
    Caller("revoked-token", "token", role=Role.OWNER, scope="revoked"),
    Caller("expired-token", "token", role=Role.OWNER, scope="expired"),
    Caller("read-only-token", "token", role=Role.OWNER, scope="read"),
    Caller("read-write-token", "token", role=Role.OWNER, scope="write"),
]


@dataclass
class Expect:
    status: int | str  # a number, or "2xx" (the operation's documented success status)
    code: str | None = None  # the error body's code (a regex)


def expected(op: Operation, caller: Caller) -> Expect:
    if op.public:
        return Expect("2xx")
    if caller.kind == "anonymous" or caller.scope in ("revoked", "expired"):
        return Expect(401, "unauthenticated")
    scoped = is_scoped(op)
    if scoped and caller.kind == "outsider":
        return Expect(404, r".*not_found")
    if op.write and caller.read_only and op.id not in READ_ONLY_EXCEPTIONS:
        return Expect(403, "read_only_token")
    if caller.kind == "admin":
        return Expect("2xx")
    action = ACTIONS[op.action] if op.action else None
    if scoped:
        return Expect("2xx") if caller.role in action.roles else Expect(403, "role_forbidden")
    if action is not None and not action.roles and op.action not in SELF_SERVICE:
        return Expect(403, "admin_only")
    return Expect("2xx")


# ---- the world: built once per module, each test rolls back to it -------------------------------
@dataclass
class World:
    users: dict[str, Any]
    product: Any
    other_product: Any
    leaf_module: Any
    victim: Any
    newcomer: Any
    tokens: dict[str, str]  # scope → raw secret (of the product owner)
    spare_tokens: dict[int, Any]  # user id → an active token of that user
    clients: dict[str, Client] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)
    target_version: int | None = None
    objects: dict[str, Any] = field(default_factory=dict)  # an object of every kind the API names by id
    op: Operation | None = None  # the operation being built (some resolvers pick by it)
    # Every test starts from the same rows (each rolls back to the world), so the snapshot
    # before a request and the objects' versions are read once.
    baseline: dict[str, tuple] | None = None
    versions: dict[tuple[type, Any], int | None] = field(default_factory=dict)

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.counter)}"

    def user_of(self, caller: Caller):
        if caller.kind == "admin":
            return self.users["admin"]
        if caller.kind == "member":
            return self.users[f"role:{caller.role}"]
        if caller.kind == "outsider":
            return self.users["outsider"]
        return self.users["owner"]  # tokens, and the anonymous caller's borrowed ids

    def spare_token(self, caller: Caller):
        return self.spare_tokens[self.user_of(caller).pk]

    def client(self, caller: Caller) -> Client:
        if caller.name not in self.clients:
            if caller.kind == "token":
                c = Client(HTTP_AUTHORIZATION=f"Bearer {self.tokens[caller.scope]}")
            else:
                c = Client()
                if caller.kind != "anonymous":
                    c.force_login(self.user_of(caller))
            self.clients[caller.name] = c
        return self.clients[caller.name]


def _build_world() -> World:
    from pmloop.accounts import services as accounts
    from pmloop.accounts.models import ApiToken, User
    from pmloop.core.actor import Actor
    from pmloop.products import services as products

    def user(name, admin=False):
        u = User(username=name, is_superuser=admin, is_staff=admin)
        u.set_password("pw-Secret-123")
        u.save()
        return u

    def act(u):
        return Actor(user=u, via="cli")

    owner, admin, outsider = user("owner"), user("admin", admin=True), user("outsider")
    product = products.create_product(actor=act(owner), code="IMSDK", name="IM SDK")
    other = products.create_product(actor=act(outsider), code="OTHER", name="Other")
    users = {"owner": owner, "admin": admin, "outsider": outsider}
    for role in Role.values:
        users[f"role:{role}"] = user(f"m-{role}")
        accounts.add_member(
            actor=act(owner), product_id=product.pk, user_id=users[f"role:{role}"].pk, role=role
        )
    victim, newcomer = user("victim"), user("newcomer")
    accounts.add_member(actor=act(owner), product_id=product.pk, user_id=victim.pk, role=Role.VIEWER)
    root = products.create_module(actor=act(owner), product_id=product.pk, name="单聊")
    products.create_module(actor=act(owner), product_id=product.pk, name="已读", parent_id=root.pk)
    leaf = products.create_module(actor=act(owner), product_id=product.pk, name="群聊")
    products.create_module(actor=act(outsider), product_id=other.pk, name="foreign")
    tokens = {}
    for scope in ("read", "write", "revoked", "expired"):
        new = accounts.create_api_token(
            actor=act(owner), name=scope, scope="read" if scope == "read" else "write"
        )
        tokens[scope] = new.raw
        if scope == "revoked":
            accounts.revoke_api_token(actor=act(owner), token_id=new.token.pk)
        if scope == "expired":
            ApiToken.objects.filter(pk=new.token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    spare = {
        u.pk: accounts.create_api_token(actor=act(u), name="spare", scope="write").token
        for u in set(users.values())
    }
    w = World(users, product, other, leaf, victim, newcomer, tokens, spare)
    filed = products.create_module(
        actor=act(owner), product_id=product.pk, name="消息"
    )  # in use: not deleted
    w.objects = _build_objects(users, product, filed)
    return w


SPEC = {
    "summary": "群聊支持按角色配置权限",
    "value": "教育和金融客户要求细粒度的群管理权限",
    "scenarios": [{"title": "直播课堂禁言", "industry": "教育", "customer_type": "大客户"}],
    "acceptance_criteria": ["群主可以设置管理员", "管理员可以禁言成员"],
}


def _build_objects(users: dict[str, Any], product, module) -> dict[str, Any]:
    """The target product's customers, pool items, requirements in each state, plans, a release
    and its launch kit, built through the real services."""
    from datetime import date

    from pmloop.core.actor import Actor
    from pmloop.customers import services as customers
    from pmloop.deliverables import services as launch
    from pmloop.deliverables.choices import CheckCategory
    from pmloop.deliverables.models import ChecklistItem
    from pmloop.plans import services as plans
    from pmloop.pool import services as pool
    from pmloop.requirements import permissions as req_perms
    from pmloop.requirements import services as reqs
    from pmloop.requirements.models import AcceptanceCriterion
    from pmloop.reviews.models import ReviewRound, ReviewVote

    owner, admin, pm = (Actor(user=users[n], via="cli") for n in ("owner", "admin", "role:pm"))
    o: dict[str, Any] = {}
    o["customer"] = customers.create_customer(
        actor=owner, product_id=product.pk, name="IM SDK 客户", owner_id=users["role:sales"].pk
    )
    o["contact"] = customers.add_contact(actor=owner, customer_id=o["customer"].pk, name="张老师")
    o["pool_item"], o["spare_pool_item"], o["new_pool_item"], declined = (
        pool.create_item(
            actor=owner,
            product_id=product.pk,
            customer_id=o["customer"].pk,
            text=f"希望群聊里可以按角色设置权限 {i}",
            module_id=module.pk,
        )
        for i in range(4)
    )
    o["declined_pool_item"] = pool.decline_item(actor=owner, item_id=declined.pk, reason="重复")
    o["pool_source"] = pool.create_source(actor=admin, code="matrix", label_en="Matrix", label_zh="矩阵")
    inactive = pool.create_source(actor=admin, code="matrix-off", label_en="Off", label_zh="停用")
    o["inactive_source"] = pool.set_source_active(actor=admin, source_id=inactive.pk, active=False)
    # every member the review action allows is a requested reviewer (a verdict is a reviewer's own)
    reviewers = [users[k].pk for k in ("owner", *(f"role:{r}" for r in sorted(req_perms.REVIEWER_ROLES)))]

    def new(title):
        return reqs.create_requirement(actor=pm, product_id=product.pk, title=title, spec=SPEC,
                                       module_id=module.pk, reviewer_ids=reviewers)  # fmt: skip

    def activate(req):
        reqs.submit_for_review(
            actor=pm, requirement_id=req.pk, expected_version=req.version, skip_review=False
        )
        for pk in reviewers:
            r = reqs.record_review_verdict(
                actor=Actor(user=next(u for u in users.values() if u.pk == pk), via="cli"),
                requirement_id=req.pk, verdict="pass",
            )  # fmt: skip
            if r.status == "active":
                return r
        return r

    o["draft"] = new("草稿需求")
    o["active"] = activate(new("群组角色权限"))
    o["spare"] = activate(new("消息撤回时限可配置"))
    o["in_release"] = activate(new("在线状态"))
    changing = activate(new("已读回执"))
    reqs.request_change(actor=pm, requirement_id=changing.pk, expected_version=changing.version,
                        reason="补充场景", spec={"functional_design": "功能设计"}, submit=False)  # fmt: skip
    o["changing"] = changing
    reviewing = new("评审中需求")
    o["reviewing"] = reqs.submit_for_review(actor=pm, requirement_id=reviewing.pk,
                                            expected_version=reviewing.version)  # fmt: skip
    # the site admin is no member, so no service can request their review: a vote slot is added
    # directly, so the admin's verdict is also checked past the permission gate
    rnd = ReviewRound.objects.get(subject_id=reviewing.pk, status="open")
    ReviewVote.objects.create(round=rnd, reviewer=users["admin"])
    closed = new("已关闭需求")
    o["closed"] = reqs.close_requirement(actor=pm, requirement_id=closed.pk, expected_version=closed.version,
                                         reason="postponed")  # fmt: skip
    reqs.link_pool_items(actor=pm, requirement_id=o["active"].pk, pool_item_ids=[o["pool_item"].pk])
    o["link"] = reqs.link_requirements(actor=pm, requirement_id=o["active"].pk, target_id=o["spare"].pk,
                                       kind="relates_to")  # fmt: skip
    o["attachment"] = reqs.add_attachment(
        actor=pm, requirement_id=o["active"].pk, name="a.txt", content=b"hi"
    )
    o["criterion"] = AcceptanceCriterion.objects.filter(requirement_id=o["active"].pk).first()
    o["plan"] = plans.create_plan(actor=owner, product_id=product.pk, title="2026 Q4", start_date=date(2026, 10, 1),
                                  end_date=date(2026, 12, 31), capacity=20)  # fmt: skip
    o["empty_plan"] = plans.create_plan(actor=owner, product_id=product.pk, title="2027 Q1",
                                        start_date=date(2027, 1, 1), end_date=date(2027, 3, 31))  # fmt: skip
    plans.add_to_plan(actor=owner, plan_id=o["plan"].pk, requirement_ids=[o["active"].pk])
    o["milestone"] = plans.add_milestone(
        actor=owner, plan_id=o["plan"].pk, name="冻结", date=date(2026, 11, 1)
    )
    o["release"] = plans.create_release(actor=owner, product_id=product.pk, version_name="v3.2",
                                        planned_date="2026-11-30", title="群管理增强")  # fmt: skip
    for stage in ("developing", "testing"):  # through testing, so the release can be published
        o["in_release"].refresh_from_db()
        reqs.set_stage(actor=pm, requirement_id=o["in_release"].pk, expected_version=o["in_release"].version,
                       stage=stage)  # fmt: skip
    plans.add_to_release(actor=owner, release_id=o["release"].pk, requirement_ids=[o["in_release"].pk])
    o["bare_release"] = plans.create_release(actor=owner, product_id=product.pk, version_name="v3.3")
    o["kit"] = launch.open_launch_kit(actor=owner, release_id=o["release"].pk, training_goal="培训")
    o["check"] = launch.add_checklist_item(actor=owner, kit_id=o["kit"].pk, category=CheckCategory.values[0],
                                           title="文档", owner_id=users["role:pm"].pk)  # fmt: skip
    o["session"] = launch.add_training_session(actor=owner, kit_id=o["kit"].pk, title="培训会",
                                               starts_at="2026-11-20T10:00:00+08:00")  # fmt: skip
    o["attendee"] = launch.add_attendee(actor=owner, session_id=o["session"].pk, name="学员")
    # only its owner signs an item off: one item per user, and one already signed off (to revoke)
    o["checks"], o["signed_checks"] = {}, {}
    for u in users.values():
        for key, signed in (("checks", False), ("signed_checks", True)):
            o[key][u.pk] = ChecklistItem.objects.create(
                kit=o["kit"], category=CheckCategory.values[0], title=f"{key} {u.username}", owner=u,
                signed_off_by=u if signed else None, signed_off_at=timezone.now() if signed else None,
            )  # fmt: skip
    return o


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, inside a transaction that is rolled back when the module ends; each test
    runs in a savepoint inside it (the ``db`` fixture), so no test sees another's writes."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            w = _build_world()
            for caller in CALLERS:
                w.client(caller)
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# ---- one request ----------------------------------------------------------------------------------
def _value(schema: dict, name: str, w: World, caller: Caller) -> Any:
    if name in FIELD_RESOLVERS:
        v = FIELD_RESOLVERS[name].get(w, caller)
        return getattr(v, "pk", v)
    schema = deref(schema)
    if "anyOf" in schema:
        schema = deref(next(s for s in schema["anyOf"] if s.get("type") != "null"))
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        formats = {
            "date": timezone.localdate().isoformat(),
            "date-time": timezone.now().isoformat(),
            "email": "matrix@example.com",
            "uri": "https://example.com/matrix",
            "uuid": "00000000-0000-4000-8000-000000000000",
        }
        if schema.get("format") == "binary":
            from django.core.files.uploadedfile import SimpleUploadedFile

            return SimpleUploadedFile("matrix.txt", b"matrix", content_type="text/plain")
        if schema.get("format") in formats:
            return formats[schema["format"]]
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return _body(schema, w, caller)
    return None


def _body(schema: dict, w: World, caller: Caller) -> dict:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return {
        name: _value(sub, name, w, caller)
        for name, sub in props.items()
        if name in required or (name in FIELD_RESOLVERS and name != "product_id")
    }


def build_request(op: Operation, w: World, caller: Caller) -> tuple[str, dict | None]:
    path = op.path
    w.target_version = None
    w.op = op
    for name in op.path_params:
        obj = PATH_RESOLVERS[name].get(w, caller)
        if hasattr(obj, "refresh_from_db"):
            key = (type(obj), obj.pk)
            if key not in w.versions:
                obj.refresh_from_db()
                w.versions[key] = getattr(obj, "version", None)
            if w.versions[key] is not None:
                w.target_version = w.versions[key]
        path = path.replace("{" + name + "}", str(getattr(obj, "pk", obj)))
    if op.query:
        path += "?" + "&".join(f"{n}={_value(s, n, w, caller)}" for n, s in op.query.items())
    body = _body(op.body, w, caller) if op.body is not None else None
    return path, body


@functools.cache
def _tables() -> list[tuple[str, str, list[str]]]:
    """(table, pk column, columns) of every pmloop model; API-token bookkeeping of last use
    (written on a token's first use) is left out."""
    tables = []
    for model in apps.get_models():
        if not model.__module__.startswith("pmloop.") or model._meta.proxy or not model._meta.managed:
            continue
        columns = [f.column for f in model._meta.concrete_fields if f.column != "last_used_at"]
        tables.append((model._meta.db_table, model._meta.pk.column, columns))
    return tables


@functools.cache
def _snapshot_sql() -> str:
    """One query that returns, per pmloop table, its row count and all its rows as text (in pk
    order): this runs twice per case, so it is one round trip, not one per table."""
    qn = connection.ops.quote_name
    parts = []
    for table, pk, columns in _tables():
        if connection.vendor == "postgresql":
            row = "concat_ws(chr(31), " + ", ".join(f"quote_nullable({qn(c)}::text)" for c in columns) + ")"
            rows = f"(SELECT string_agg({row}, chr(30) ORDER BY {qn(pk)}) FROM {qn(table)})"  # noqa: S608
        else:
            row = " || char(31) || ".join(f"quote({qn(c)})" for c in columns)
            rows = f"(SELECT group_concat(r, char(30)) FROM (SELECT {row} AS r FROM {qn(table)} ORDER BY {qn(pk)}))"  # noqa: S608
        parts.append(f"SELECT '{table}', (SELECT COUNT(*) FROM {qn(table)}), {rows}")  # noqa: S608 (model metadata)
    return " UNION ALL ".join(parts)


def snapshot() -> dict[str, tuple]:
    """Every row of every pmloop table: {table: (row count, rows as text)}."""
    with connection.cursor() as cur:
        cur.execute(_snapshot_sql())
        return {table: (count, rows) for table, count, rows in cur.fetchall()}


def _cases():
    for op in OPERATIONS:
        if problems(op):
            yield pytest.param(op, None, id=f"{op}-UNRESOLVED")
            continue
        for caller in CALLERS:
            yield pytest.param(op, caller, id=f"{op}-{caller}")


@pytest.mark.parametrize(("op", "caller"), list(_cases()))
def test_matrix(world, db, op: Operation, caller: Caller | None):
    if caller is None:
        pytest.fail(f"{op} ({op.id}) cannot join the permission matrix:\n  - " + "\n  - ".join(problems(op)))
    from pmloop.audit.models import AuditEntry

    path, body = build_request(op, world, caller)
    if world.baseline is None:
        world.baseline = snapshot()
    before = world.baseline
    last_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    client = world.client(caller)
    if body is None:
        response = getattr(client, op.method)(path)
    elif op.body_type == "multipart/form-data":
        response = getattr(client, op.method)(path, data=body)
    else:
        response = getattr(client, op.method)(path, data=body, content_type="application/json")
    want = expected(op, caller)
    label = f"{op} as {caller} (body {body}) → {response.status_code} {response.content[:300]!r}"

    if want.status == "2xx":
        if op.id in STATE_DEPENDENT:
            assert response.status_code < 500 and response.status_code not in (401, 403, 404), label
        else:
            assert response.status_code == op.success, f"expected {op.success}: {label}"
    else:
        assert response.status_code == want.status, f"expected {want.status}: {label}"
        err = response.json()
        assert set(err) == {"code", "message", "fields", "missing"}, label
        assert re.fullmatch(want.code, err["code"]), f"expected code {want.code}: {label}"

    if caller.kind == "outsider" and 200 <= response.status_code < 300 and response.content:
        text = json.dumps(response.json(), ensure_ascii=False)
        leaked = [m for m in MARKERS if m in text]
        assert not leaked, f"{label}: a non-member sees {leaked} of the product"

    refused = want.status != "2xx"
    after = snapshot()
    if refused or not op.write:
        assert after == before, f"{label} changed the database"
    elif 200 <= response.status_code < 300 and after != before:  # a write that changed nothing logs nothing
        new = list(AuditEntry.objects.filter(seq__gt=last_seq or 0).values("action", "actor_id", "via"))
        assert new, f"{label}: a successful write left no operation-log entry"
        caller_id = world.user_of(caller).pk
        assert all(e["actor_id"] == caller_id and e["via"] == "api" for e in new), f"{label}: {new}"


# ---- the table itself ----------------------------------------------------------------------------
def test_the_route_table_is_not_empty():
    assert len(OPERATIONS) >= 20
    assert {op.path for op in OPERATIONS} >= {"/api/v1/products", "/api/v1/products/{product_id}"}


def test_every_product_scoped_route_is_covered_for_outsiders():
    scoped = [op for op in OPERATIONS if not problems(op) and is_scoped(op)]
    assert scoped, "no product-scoped operation was found"
    outsider = next(c for c in CALLERS if c.kind == "outsider")
    assert all(expected(op, outsider).status == 404 for op in scoped)


def test_self_service_and_state_dependent_tables_name_real_things():
    assert set(SELF_SERVICE) <= set(ACTIONS)
    assert set(STATE_DEPENDENT) | set(READ_ONLY_EXCEPTIONS) <= {op.id for op in OPERATIONS}
    assert set(PUBLIC) <= {str(op) for op in OPERATIONS}


def test_snapshot_sees_every_kind_of_change(world, db):
    from pmloop.audit.models import AuditEntry
    from pmloop.products.models import Module, Product

    before = snapshot()
    Product.objects.filter(pk=world.product.pk).update(description="changed")
    assert snapshot() != before
    before = snapshot()
    Module.objects.filter(pk=world.leaf_module.pk).update(position=99)
    assert snapshot() != before
    before = snapshot()
    AuditEntry.objects.filter(seq=1).update(note="edited")
    assert snapshot() != before
    before = snapshot()
    Module.objects.create(product=world.product, name="new")
    assert snapshot() != before
    assert len(before) == len(_tables()) and all(count >= 0 for count, _ in before.values())
