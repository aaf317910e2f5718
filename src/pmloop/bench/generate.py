"""Fill a database with realistic, deterministic benchmark data (``pmloop bench seed``).

Users, products, module trees, memberships and the API token go through the services (they
are permission-checked and in the operation log, so ``pmloop audit verify`` passes). Every
other row — customers, pool items with planted near-duplicates, requirements in every status
with versions, acceptance criteria, stage history, review rounds and votes, change requests,
plans, releases and their items, the search index — is written with ``bulk_create`` in
batches (and ``search.services.bulk_index``). These bulk rows **bypass the operation log**:
bench data has no history, which is what a freshly imported database looks like too.
The same ``seed`` gives the same data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from pmloop.bench import data as words

BENCH_USER = "bench"
BENCH_PASSWORD = "Bench-pmloop-2026!"  # noqa: S105 (scratch bench databases only)
BATCH = 2000


@dataclass
class SeedResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    token: str = ""
    username: str = BENCH_USER
    password: str = BENCH_PASSWORD
    products: list[dict] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "total_rows": self.total_rows, "total_seconds": round(self.total_seconds, 3),
            "rows_per_second": round(self.total_rows / self.total_seconds) if self.total_seconds else None,
            "username": self.username, "password": self.password, "token": self.token,
            "products": self.products,
        }  # fmt: skip


class Text:
    """Sentences in zh-Hans (about 70 %) and English, drawn from a fixed library of distinct
    sentences and titles (so that their search terms are computed once each, see ``Index``)."""

    def __init__(self, rng: random.Random, library: int = 4000) -> None:
        self.rng = rng
        self._titles = [self._title() for _ in range(library)]
        self._sentences = [self._sentence() for _ in range(library)]

    def title(self) -> str:
        return self.rng.choice(self._titles)

    def sentence(self) -> str:
        return self.rng.choice(self._sentences)

    def _title(self) -> str:
        r = self.rng
        if r.random() < 0.7:
            return f"{r.choice(words.ZH_VERBS)}{r.choice(words.ZH_SUBJECTS)}{r.choice(words.ZH_SUBJECTS)}"
        return f"{r.choice(words.EN_VERBS).capitalize()} {r.choice(words.EN_SUBJECTS)} {r.choice(words.EN_ENDINGS)}"

    def _sentence(self) -> str:
        r = self.rng
        if r.random() < 0.7:
            return (f"{r.choice(words.ZH_VERBS)}{r.choice(words.ZH_SUBJECTS)}和{r.choice(words.ZH_SUBJECTS)}"
                    f"{r.choice(words.ZH_ENDINGS)}。")  # fmt: skip
        return (f"Please {r.choice(words.EN_VERBS)} {r.choice(words.EN_SUBJECTS)} and "
                f"{r.choice(words.EN_SUBJECTS)} {r.choice(words.EN_ENDINGS)}.")  # fmt: skip

    def paragraph(self, n: int = 2) -> str:
        return "".join(self.sentence() for _ in range(n))

    def perturb(self, text: str) -> str:
        """A near-duplicate: the same request in slightly different words."""
        r = self.rng
        edits = ["", "！", "，谢谢", " 急", "（客户原话）", " please", " ASAP"]
        cut = max(1, len(text) - r.randint(0, 4))
        return text[:cut] + r.choice(edits)


class Index:
    """Search rows for generated documents. ``search.services.build_tokens`` runs jieba over
    the whole text (~2–10 ms a document here: 100k requirements would take minutes); the
    generated texts are built from a fixed library of sentences, so the terms of each sentence
    (``core.text.index_string``, what search stores) are computed once and joined. The set of
    terms equals what ``build_tokens`` gives for the joined text (sentences end in punctuation,
    which jieba does not cut across); only repeats of a CJK pair differ. Rows are upserted with
    ``search.services``' own statement, so the FTS5 triggers / GIN index are fed as usual.
    ``exact=True`` goes through ``search.services.bulk_index`` instead."""

    def __init__(self, exact: bool = False) -> None:
        self.exact = exact
        self._cache: dict[str, str] = {}

    def terms(self, piece: str) -> str:
        got = self._cache.get(piece)
        if got is None:
            from pmloop.core import text as text_mod

            got = self._cache[piece] = text_mod.index_string(piece)
        return got

    def write(self, docs: list[tuple[str, int, int, str, list[str]]]) -> int:
        from pmloop.search import services as search
        from pmloop.search.models import SearchDocument

        if self.exact:
            return search.bulk_index(search.Doc(k, o, p, t, "\n".join(parts)) for k, o, p, t, parts in docs)
        now = timezone.now()
        rows = []
        for kind, object_id, product_id, title, parts in docs:
            t = self.terms(title)
            tokens = " ".join(x for x in (t, t, *(self.terms(p) for p in parts)) if x)
            rows.append(SearchDocument(kind=kind, object_id=object_id, product_id=product_id,
                                       title=title[: search.TITLE_MAX], tokens=tokens, updated_at=now))  # fmt: skip
        for start in range(0, len(rows), 1000):
            search._upsert(rows[start : start + 1000])
        return len(rows)


def _chunks(n: int, size: int = BATCH):
    for start in range(0, n, size):
        yield start, min(size, n - start)


def seed(*, requirements: int, pool: int, seed: int = 20261121, index: bool = True, exact_index: bool = False,
         progress: Callable[[str], None] | None = None) -> SeedResult:  # fmt: skip
    from django.test.utils import override_settings

    # One transaction for the whole seed; e-mail copies of notifications go nowhere.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute("PRAGMA synchronous=OFF")  # bench data is re-creatable; this connection only
        with transaction.atomic():
            res = _seed(requirements=requirements, pool=pool, seed=seed,
                        index=Index(exact=exact_index) if index else None, progress=progress)  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return res


def _seed(*, requirements: int, pool: int, seed: int, index: Index | None,
          progress: Callable[[str], None] | None) -> SeedResult:  # fmt: skip
    from pmloop.accounts import services as accounts_services
    from pmloop.accounts.models import User
    from pmloop.accounts.roles import Role
    from pmloop.core.actor import Actor, system_actor
    from pmloop.products import services as products_services

    say = progress or (lambda _m: None)
    rng = random.Random(seed)
    text = Text(rng)
    res = SeedResult()

    # ---- through the services: people, products, modules, memberships, token -----------------
    t0 = time.perf_counter()
    system = system_actor("cli")
    if User.objects.filter(username=BENCH_USER).exists():
        raise RuntimeError("this database already holds bench data: seed an empty one")
    owner = accounts_services.create_user(actor=system, username=BENCH_USER, password=BENCH_PASSWORD,
                                          display_name="压测 Bench", is_admin=False)  # fmt: skip
    people = [
        accounts_services.create_user(
            actor=system,
            username=f"user{i:02d}",
            password=BENCH_PASSWORD,
            display_name=f"{words.SURNAMES[i % len(words.SURNAMES)]}{words.GIVEN[i % len(words.GIVEN)]}",
        )
        for i in range(20)
    ]
    actor = Actor(user=owner, via="cli")
    roles = [Role.PM, Role.REVIEWER, Role.REVIEWER, Role.SALES, Role.SUPPORT, Role.DEVELOPER, Role.VIEWER]
    products = []
    for code, name, top in words.PRODUCTS:
        product = products_services.create_product(actor=actor, code=code, name=name,
                                                    description=text.paragraph(2))  # fmt: skip
        modules = []
        for _pos, mname in enumerate(top):
            m = products_services.create_module(actor=actor, product_id=product.pk, name=mname)
            modules.append(m.pk)
            for sub in words.SUBMODULES:
                modules.append(products_services.create_module(actor=actor, product_id=product.pk,
                                                               name=f"{mname}·{sub}", parent_id=m.pk).pk)  # fmt: skip
        for i, person in enumerate(people):
            accounts_services.add_member(actor=actor, product_id=product.pk, user_id=person.pk,
                                         role=roles[i % len(roles)])  # fmt: skip
        products.append({"id": product.pk, "code": code, "modules": modules,
                         "top_modules": modules[:: 1 + len(words.SUBMODULES)]})  # fmt: skip
    res.token = accounts_services.create_api_token(actor=actor, name="bench", scope="write").raw
    res.products = products
    res.seconds["services"] = time.perf_counter() - t0
    res.rows["services_rows"] = 21 + len(products) * (1 + 20) + sum(len(p["modules"]) for p in products)
    user_ids = [owner.pk] + [p.pk for p in people]
    reviewer_ids = [p.pk for i, p in enumerate(people) if roles[i % len(roles)] == Role.REVIEWER]
    say(f"services: {res.seconds['services']:.1f} s")

    def timed(name: str, fn: Callable[[], int]) -> None:
        t = time.perf_counter()
        res.rows[name] = res.rows.get(name, 0) + fn()
        res.seconds[name] = res.seconds.get(name, 0.0) + time.perf_counter() - t
        say(f"{name}: {res.rows[name]} rows, {res.seconds[name]:.1f} s")

    customers: dict[int, list[int]] = {}
    timed("customers", lambda: _customers(rng, products, user_ids, customers))
    req_ids: dict[int, list[int]] = {}
    timed(
        "requirements",
        lambda: _requirements(rng, text, products, requirements, user_ids, reviewer_ids, req_ids, index),
    )
    timed("plans_releases", lambda: _plans(rng, products, owner.pk, req_ids))
    timed("pool_items", lambda: _pool(rng, text, products, pool, user_ids, customers, req_ids, index))
    return res


def _customers(rng, products, user_ids, out) -> int:
    from pmloop.customers.choices import Industry, Tier
    from pmloop.customers.models import Customer

    rows = []
    for p in products:
        for i in range(200):
            name = f"{rng.choice(words.COMPANY_PREFIX)}{rng.choice(words.COMPANY_SUFFIX)} {p['code']}-{i}"
            rows.append(Customer(product_id=p["id"], name=name, industry=rng.choice(Industry.values),
                                 tier=rng.choice(Tier.values), owner_id=rng.choice(user_ids)))  # fmt: skip
    with transaction.atomic():
        Customer.objects.bulk_create(rows, batch_size=BATCH)
    for c in rows:
        out.setdefault(c.product_id, []).append(c.pk)
    return len(rows)


STATUS_WEIGHTS = [("draft", 20), ("reviewing", 10), ("active", 45), ("changing", 5), ("closed", 20)]
OPEN_STAGES = ["wait", "planned", "developing", "testing", "released"]


def _requirements(rng, text, products, n, user_ids, reviewer_ids, out, index) -> int:
    from pmloop.requirements import spec as prd
    from pmloop.requirements.models import (
        AcceptanceCriterion,
        ChangeRequest,
        Requirement,
        RequirementVersion,
        StageChange,
    )  # fmt: skip
    from pmloop.reviews.models import ReviewRound, ReviewVote

    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    numbers = {p["id"]: 0 for p in products}
    total = 0
    now = timezone.now()
    for _start, size in _chunks(n):
        reqs = []
        for _ in range(size):
            p = rng.choice(products)
            numbers[p["id"]] += 1
            status = rng.choice(statuses)
            stage = "wait"
            close_reason = ""
            if status in ("active", "changing"):
                stage = rng.choice(OPEN_STAGES)
            elif status == "closed":
                close_reason = rng.choice(["done", "done", "done", "postponed", "will_not_do", "duplicate"])
                stage = "accepted" if close_reason == "done" else "wait"
            spec = prd.empty()
            parts = [text.sentence() for _ in range(7)]
            spec.update({"summary": parts[0], "value": parts[1], "problem": "".join(parts[2:4]),
                         "functional_design": "".join(parts[4:7]),
                         "acceptance_criteria": [text.sentence(), text.sentence()]})  # fmt: skip
            sv = rng.randint(1, 3) if status != "draft" else 1
            reqs.append(Requirement(
                product_id=p["id"], number=numbers[p["id"]], title=text.title()[:200],
                module_id=rng.choice(p["modules"]) if rng.random() < 0.9 else None,
                category=rng.choice(["feature", "feature", "interface", "performance", "security", "experience"]),
                priority=rng.choice([1, 2, 2, 3, 3, 3, 4]), estimate=Decimal(rng.randint(1, 40)),
                owner_id=rng.choice(user_ids), created_by_id=rng.choice(user_ids), status=status, stage=stage,
                close_reason=close_reason, closed_at=now if status == "closed" else None, spec=spec,
                spec_version=sv, version=sv + rng.randint(0, 3), completeness=rng.randint(40, 100),
                voices=rng.randint(0, 12),
            ))  # fmt: skip
            reqs[-1].parts = parts
        with transaction.atomic():
            Requirement.objects.bulk_create(reqs, batch_size=BATCH)
            versions, criteria, stages, changes, rounds = [], [], [], [], []
            for r in reqs:
                out.setdefault(r.product_id, []).append(r.pk)
                for v in range(1, r.spec_version + 1):
                    versions.append(RequirementVersion(requirement_id=r.pk, number=v, title=r.title, spec=r.spec,
                                                       author_id=r.owner_id, note="" if v == 1 else "变更"))  # fmt: skip
                for pos, line in enumerate(r.spec["acceptance_criteria"]):
                    criteria.append(AcceptanceCriterion(requirement_id=r.pk, position=pos, text=line,
                                                        verified=r.stage in ("released", "accepted")))  # fmt: skip
                order = ["wait", "planned", "developing", "testing", "released", "accepted"]
                for k in range(order.index(r.stage)):
                    stages.append(StageChange(requirement_id=r.pk, from_stage=order[k], to_stage=order[k + 1],
                                              actor_id=r.owner_id))  # fmt: skip
                if r.status == "changing":
                    changes.append(ChangeRequest(requirement_id=r.pk, reason=text.sentence(), impact=text.sentence(),
                                                 status="reviewing", base_version=r.spec_version,
                                                 created_by_id=r.owner_id))  # fmt: skip
                elif r.spec_version > 1:
                    changes.append(ChangeRequest(requirement_id=r.pk, reason=text.sentence(), status="approved",
                                                 base_version=r.spec_version - 1, created_by_id=r.owner_id,
                                                 decided_at=now))  # fmt: skip
                if r.status != "draft":
                    is_open = r.status == "reviewing"
                    rounds.append(ReviewRound(product_id=r.product_id, subject_type="requirement", subject_id=r.pk,
                                              rule="all", status="open" if is_open else "decided",
                                              outcome="" if is_open else "pass", opened_by_id=r.owner_id,
                                              decided_at=None if is_open else now))  # fmt: skip
            RequirementVersion.objects.bulk_create(versions, batch_size=BATCH)
            AcceptanceCriterion.objects.bulk_create(criteria, batch_size=BATCH)
            StageChange.objects.bulk_create(stages, batch_size=BATCH)
            ChangeRequest.objects.bulk_create(changes, batch_size=BATCH)
            ReviewRound.objects.bulk_create(rounds, batch_size=BATCH)
            votes = []
            for rd in rounds:
                for rid in rng.sample(reviewer_ids, k=min(2, len(reviewer_ids))):
                    done = rd.status == "decided"
                    votes.append(ReviewVote(round_id=rd.pk, reviewer_id=rid, verdict="pass" if done else "",
                                            given_at=now if done else None))  # fmt: skip
            ReviewVote.objects.bulk_create(votes, batch_size=BATCH)
            Through = Requirement.reviewers.through
            Through.objects.bulk_create(
                [Through(requirement_id=r.pk, user_id=uid) for r in reqs if r.status == "reviewing"
                 for uid in reviewer_ids[:2]], batch_size=BATCH)  # fmt: skip
            if index:
                index.write([("requirement", r.pk, r.product_id, r.title,
                              r.parts + r.spec["acceptance_criteria"]) for r in reqs])  # fmt: skip
        total += (len(reqs) + len(versions) + len(criteria) + len(stages) + len(changes) + len(rounds)
                  + len(votes) + (len(reqs) if index else 0))  # fmt: skip
    return total


def _plans(rng, products, owner_id, req_ids) -> int:
    from pmloop.plans.models import Plan, PlanItem, Release, ReleaseItem
    from pmloop.requirements.models import Requirement

    total = 0
    now = timezone.now()
    with transaction.atomic():
        for p in products:
            plans = [Plan(product_id=p["id"], title=f"2026 Q{q} 规划", start_date=date(2026, 3 * q - 2, 1),
                          end_date=date(2026, 3 * q - 2, 1) + timedelta(days=89), capacity=Decimal(400),
                          owner_id=owner_id) for q in range(1, 5)]  # fmt: skip
            Plan.objects.bulk_create(plans)
            releases = [Release(product_id=p["id"], plan_id=plans[i].pk, version_name=f"v{3}.{i}.0",
                                title=f"{p['code']} 3.{i}", planned_date=plans[i].end_date,
                                status="released" if i < 2 else "draft", manager_id=owner_id,
                                released_at=now if i < 2 else None,
                                released_by_id=owner_id if i < 2 else None) for i in range(4)]  # fmt: skip
            Release.objects.bulk_create(releases)
            planned = list(Requirement.objects.filter(product_id=p["id"]).exclude(stage="wait")
                           .values_list("pk", "stage", "number", "title", "spec_version"))  # fmt: skip
            items = [PlanItem(plan_id=plans[i % 4].pk, requirement_id=pk, position=i, planned_at=now, added_by_id=owner_id)
                     for i, (pk, *_r) in enumerate(planned)]  # fmt: skip
            PlanItem.objects.bulk_create(items, batch_size=BATCH)
            shipped = [t for t in planned if t[1] in ("released", "accepted")]
            ritems = [ReleaseItem(release_id=releases[i % 2].pk, requirement_id=pk, position=i, added_by_id=owner_id,
                                  stage_before="testing",
                                  snapshot={"key": f"{p['code']}-{num}", "title": title, "spec_version": sv})
                      for i, (pk, _s, num, title, sv) in enumerate(shipped)]  # fmt: skip
            ReleaseItem.objects.bulk_create(ritems, batch_size=BATCH)
            total += len(plans) + len(releases) + len(items) + len(ritems)
    return total


POOL_STATUS = ["new"] * 5 + ["triaged"] * 2 + ["linked"] * 2 + ["declined"]
TAGS = ["api", "大客户", "合规", "性能", "移动端", "群聊", "billing", "安全"]


def _pool(rng, text, products, n, user_ids, customers, req_ids, index) -> int:
    from pmloop.pool.models import PoolCounter, PoolItem, PoolLink, PoolSource

    sources = list(PoolSource.objects.values_list("pk", flat=True))
    numbers = {p["id"]: 0 for p in products}
    codes = {p["id"]: p["code"] for p in products}
    recent: list[tuple[int, str, str]] = []  # (product, title, text) of items to copy as near-duplicates
    total = 0
    for _start, size in _chunks(n):
        items = []
        for _ in range(size):
            if recent and rng.random() < 0.05:  # planted near-duplicate (~5 %)
                pid, title, body = rng.choice(recent)
                title, body = text.perturb(title), text.perturb(body)
                sents = [body]
            else:
                pid = rng.choice(products)["id"]
                sents = [text.sentence() for _ in range(rng.randint(1, 3))]
                title, body = text.title()[:200], "".join(sents)
                if len(recent) < 5000:
                    recent.append((pid, title, body))
                else:
                    recent[rng.randrange(5000)] = (pid, title, body)
            numbers[pid] += 1
            status = rng.choice(POOL_STATUS)
            p = next(x for x in products if x["id"] == pid)
            tags = rng.sample(TAGS, k=rng.randint(0, 2))
            items.append(PoolItem(
                product_id=pid, number=numbers[pid], source_id=rng.choice(sources), text=body, title=title,
                customer_id=rng.choice(customers[pid]) if rng.random() < 0.7 else None,
                reporter_id=rng.choice(user_ids), module_id=rng.choice(p["modules"]) if rng.random() < 0.6 else None,
                importance=rng.choice(["critical", "high", "medium", "medium", "low"]),
                tags=("," + ",".join(tags) + ",") if tags else "", status=status,
                decline_reason=text.sentence() if status == "declined" else "",
            ))  # fmt: skip
            items[-1].sentences = sents
        with transaction.atomic():
            PoolItem.objects.bulk_create(items, batch_size=BATCH)
            links = [PoolLink(item_id=it.pk, requirement_id=rng.choice(req_ids[it.product_id]))
                     for it in items if it.status == "linked" and req_ids.get(it.product_id)]  # fmt: skip
            PoolLink.objects.bulk_create(links, batch_size=BATCH)
            if index:
                index.write([("pool_item", it.pk, it.product_id, it.title,
                              [f"{codes[it.product_id]}-P{it.number}", *it.sentences, *it.tag_list])
                             for it in items])  # fmt: skip
        total += len(items) + len(links) + (len(items) if index else 0)
    with transaction.atomic():
        PoolCounter.objects.bulk_create(
            [PoolCounter(product_id=pid, last_number=num) for pid, num in numbers.items()],
            update_conflicts=True, unique_fields=["product"], update_fields=["last_number"],
        )  # fmt: skip
    return total
