"""Fill a database with realistic, deterministic benchmark data (``pmloop bench seed``).

Users, products, module trees, memberships and the API token go through the services (they
are permission-checked and in the operation log, so ``pmloop audit verify`` passes). Every
other row — customers, pool items with planted near-duplicates, requirements in every status
with versions, acceptance criteria, stage history, review rounds and votes, change requests,
plans, releases and their items, the search index — is written as plain tuples with
``cursor.executemany`` (PostgreSQL: ``COPY``) on explicit primary keys (``Rows``), in one transaction: no model
instances, no per-value ``bulk_create`` preparation. These rows **bypass the operation log**:
bench data has no history, which is what a freshly imported database looks like too.
The search index is filled at the end in one statement (SQLite: the FTS5 insert trigger is
dropped during the load and restored from its own stored SQL; PostgreSQL: the GIN index is
dropped and re-created from its own definition). The same ``seed`` gives the same data.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

from django.db import connection, transaction
from django.utils import timezone

from pmloop.bench import data as words

BENCH_USER = "bench"
BENCH_PASSWORD = "Bench-pmloop-2026!"  # noqa: S105 (scratch bench databases only)
BATCH = 5000  # requirements or pool items generated and written per round
FTS_TRIGGER = "search_doc_ai"  # SQLite: the trigger feeding search_fts on INSERT (search migration 0005)
PG_GIN_INDEX = "search_doc_tsv_gin"  # PostgreSQL: the GIN index over the stored tsvector (migration 0003)


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


# Column types whose Python values the drivers take as they are (no get_db_prep_save needed).
_AS_IS = {
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "IntegerField", "SmallIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "PositiveBigIntegerField", "CharField", "TextField",
    "SlugField", "BooleanField", "ForeignKey", "OneToOneField",
}  # fmt: skip


class Rows:
    """Inserts into one model's table with ``executemany`` of plain tuples (PostgreSQL: ``COPY``).

    ``fields`` are the attnames the caller gives in each tuple, the primary key ``id`` first
    (allocated here: ``ids(n)``, counting on from the table's largest id). Every other concrete
    column gets one value for all rows: ``defaults[name]``, else ``now`` for ``auto_now`` /
    ``auto_now_add`` columns, else the field's default. Values of the
    given columns are converted with the field's ``get_db_prep_save`` unless the type needs no
    conversion (``_AS_IS``) or the column is listed in ``raw`` (the caller passes values made
    with ``prep``, e.g. one JSON document reused for a requirement and its versions).
    """

    def __init__(self, model, fields: Sequence[str], *, now, raw: Iterable[str] = (), defaults=None) -> None:
        opts = model._meta
        self.model = model
        by_name = {f.attname: f for f in opts.concrete_fields}
        given = [by_name[name] for name in fields]
        if not given or not given[0].primary_key:
            raise ValueError("the primary key comes first")
        rest = [f for f in opts.concrete_fields if f.attname not in set(fields)]
        raw = set(raw)
        self._convert = [(i, f) for i, f in enumerate(given)
                         if f.attname not in raw and f.get_internal_type() not in _AS_IS]  # fmt: skip
        const = []
        defaults = defaults or {}
        for f in rest:
            if f.attname in defaults:
                value = defaults[f.attname]
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            const.append(f.get_db_prep_save(value, connection))
        self._const = tuple(const)
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in given + rest)
        marks = ", ".join(["%s"] * (len(given) + len(rest)))
        self.sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 (names only)
        self._copy = (
            f"COPY {qn(opts.db_table)} ({columns}) FROM STDIN" if connection.vendor == "postgresql" else ""
        )
        self._fields = by_name
        with connection.cursor() as cur:
            cur.execute(f"SELECT MAX({qn(opts.pk.column)}) FROM {qn(opts.db_table)}")  # noqa: S608
            self.next_id = (cur.fetchone()[0] or 0) + 1
        self.written = 0

    def prep(self, name: str, value):
        """A value of column ``name`` as the database driver takes it (for ``raw`` columns)."""
        return self._fields[name].get_db_prep_save(value, connection)

    def ids(self, n: int) -> range:
        first = self.next_id
        self.next_id += n
        return range(first, first + n)

    def next(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def write(self, rows: list[tuple]) -> int:
        if not rows:
            return 0
        if self._convert:
            conv = self._convert
            out = []
            for r in rows:
                r = list(r)
                for i, f in conv:
                    if r[i] is not None:
                        r[i] = f.get_db_prep_save(r[i], connection)
                out.append(tuple(r))
            rows = out
        if self._const:
            const = self._const
            rows = [r + const for r in rows]
        with connection.cursor() as cur:
            if self._copy:
                with cur.cursor.copy(self._copy) as copy:  # psycopg 3: COPY … FROM STDIN
                    for r in rows:
                        copy.write_row(r)
            else:
                cur.executemany(self.sql, rows)
        self.written += len(rows)
        return len(rows)


class Index:
    """Search rows for generated documents. ``search.services.build_tokens`` runs jieba over
    the whole text (~2–10 ms a document here: 100k requirements would take minutes); the
    generated texts are built from a fixed library of sentences, so the terms of each sentence
    (``core.text.index_string``, what search stores) are computed once and joined. The set of
    terms equals what ``build_tokens`` gives for the joined text (sentences end in punctuation,
    which jieba does not cut across); only repeats of a CJK pair differ. The rows go in with
    ``Rows`` like every other table; the full-text structure is built once at the end
    (``full_text_deferred``). ``exact=True`` goes through ``search.services.bulk_index`` instead."""

    def __init__(self, now, exact: bool = False) -> None:
        from pmloop.search import services as search
        from pmloop.search.models import SearchDocument

        self.exact = exact
        self._cache: dict[str, str] = {}
        self._title_max = search.TITLE_MAX
        fields = ["id", "kind", "object_id", "product_id", "title", "tokens"]
        self.rows = Rows(SearchDocument, fields, now=now, defaults={"updated_at": now})

    def terms(self, piece: str) -> str:
        got = self._cache.get(piece)
        if got is None:
            from pmloop.core import text as text_mod

            got = self._cache[piece] = text_mod.index_string(piece)
        return got

    def pool_key(self, code: str, number: int) -> str:
        """The terms of a pool item's key ``IM-P123``: the code's terms and ``p123`` (what
        ``index_string`` gives for an ASCII code, checked by the tests), without running jieba
        over a string that is new for every item."""
        return f"{self.terms(code)} p{number}".strip()

    def write(self, docs: list[tuple[str, int, int, str, str, list[str]]]) -> int:
        """``docs``: (kind, object id, product id, title, terms given as they are, text pieces)."""
        if self.exact:
            from pmloop.search import services as search

            return search.bulk_index(
                search.Doc(k, o, p, t, "\n".join(parts)) for k, o, p, t, _x, parts in docs
            )
        from pmloop.search.models import document_id

        terms, tmax = self.terms, self._title_max
        rows = []
        for kind, object_id, product_id, title, given, parts in docs:
            t = terms(title)
            tokens = " ".join(x for x in (t, t, given, *(terms(p) for p in parts)) if x)
            # The id encodes (kind, object id), as search.services gives it (search.models).
            rows.append((document_id(kind, object_id), kind, object_id, product_id, title[:tmax], tokens))
        return self.rows.write(rows)


@contextmanager
def full_text_deferred(enabled: bool):
    """Load search rows without feeding the full-text structure row by row, then build it once.

    SQLite: drop the FTS5 insert trigger (its SQL read from ``sqlite_master``), and afterwards
    re-create it from that same SQL and insert the new rows into ``search_fts`` in one
    statement (exactly what the trigger would have done). PostgreSQL: drop the GIN index and
    re-create it from its ``pg_indexes`` definition. Inside the caller's transaction, so a
    failure leaves the schema as it was.
    """
    if not enabled:
        yield
        return
    with connection.cursor() as cur:
        restore: list[tuple[str, list]] = []
        if connection.vendor == "sqlite":
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [FTS_TRIGGER])
            got = cur.fetchone()
            if got:
                # Document ids encode (kind, object id), so new rows are not simply those above
                # the largest old id: remember the old ones (none in a fresh bench database).
                cur.execute("DROP TABLE IF EXISTS temp.bench_old_docs")
                cur.execute("CREATE TEMP TABLE bench_old_docs AS SELECT id FROM search_searchdocument")
                cur.execute(f"DROP TRIGGER {FTS_TRIGGER}")
                restore = [(got[0], []),
                           ("INSERT INTO search_fts(rowid, tokens, scope) SELECT id, tokens, scope FROM search_fts_content "
                            "WHERE id NOT IN (SELECT id FROM temp.bench_old_docs) ORDER BY id", []),
                           ("DROP TABLE temp.bench_old_docs", [])]  # fmt: skip
        elif connection.vendor == "postgresql":
            cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [PG_GIN_INDEX])
            got = cur.fetchone()
            if got:
                cur.execute(f"DROP INDEX {PG_GIN_INDEX}")
                # CREATE INDEX refuses to run while deferred foreign-key checks are pending.
                restore = [
                    ("SET CONSTRAINTS ALL IMMEDIATE", []),
                    (got[0], []),
                    ("SET CONSTRAINTS ALL DEFERRED", []),
                ]
    yield
    with connection.cursor() as cur:
        for sql, params in restore:
            cur.execute(sql, params)


def _chunks(n: int, size: int = BATCH):
    for start in range(0, n, size):
        yield start, min(size, n - start)


@contextmanager
def _sqlite_bulk_pragmas():
    """SQLite, this connection only: no fsync (bench data is re-creatable), a 256 MB page cache
    and in-memory temporary storage while seeding; the previous values are restored after.
    Not inside a caller's transaction (SQLite refuses to change them there)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    names = ("synchronous", "cache_size", "temp_store")
    with connection.cursor() as cur:
        old = {}
        for name in names:
            cur.execute(f"PRAGMA {name}")
            old[name] = cur.fetchone()[0]
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-262144")
        cur.execute("PRAGMA temp_store=MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for name in names:
                cur.execute(f"PRAGMA {name}={int(old[name])}")


@contextmanager
def _one_password_hash():
    """The 21 bench people share one password: hash it once (argon2 costs ~0.1 s a hash) and
    give every ``set_password`` of it that same encoded hash (salt included, so logging in
    checks it as usual)."""
    from django.contrib.auth import base_user, hashers

    encoded = hashers.make_password(BENCH_PASSWORD)
    real = base_user.make_password

    def make_password(raw, *args, **kwargs):
        return encoded if raw == BENCH_PASSWORD and not args and not kwargs else real(raw, *args, **kwargs)

    with mock.patch.object(base_user, "make_password", make_password):
        yield


def seed(*, requirements: int, pool: int, seed: int = 20261121, index: bool = True, exact_index: bool = False,
         progress: Callable[[str], None] | None = None) -> SeedResult:  # fmt: skip
    from django.test.utils import override_settings

    # One transaction for the whole seed; e-mail copies of notifications go nowhere.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        _sqlite_bulk_pragmas(),
    ):
        with transaction.atomic():
            res = _seed(requirements=requirements, pool=pool, seed=seed, index=index, exact_index=exact_index,
                        progress=progress)  # fmt: skip
        t = time.perf_counter()
        with connection.cursor() as cur:
            # PostgreSQL, outside a caller's transaction: VACUUM too, or autovacuum does it for
            # the 1.5M fresh rows while the benchmark measures (seen: pages 30-60 % slower).
            vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
            cur.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
        res.seconds["analyze"] = time.perf_counter() - t
    return res


def _reset_sequences(models) -> None:
    """PostgreSQL: rows were written on explicit ids, move the id sequences past them."""
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), models)
    if sql:
        with connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)


def _seed(*, requirements: int, pool: int, seed: int, index: bool, exact_index: bool,
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
    with _one_password_hash():
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

    now = timezone.now()
    idx = Index(now, exact=exact_index) if index else None
    with full_text_deferred(idx is not None):
        customers: dict[int, list[int]] = {}
        timed("customers", lambda: _customers(rng, products, user_ids, customers, now))
        req_ids: dict[int, list[int]] = {}
        planned: dict[int, list[tuple]] = {}
        timed("requirements", lambda: _requirements(rng, text, products, requirements, user_ids, reviewer_ids,
                                                    req_ids, planned, idx, now))  # fmt: skip
        timed("plans_releases", lambda: _plans(products, owner.pk, planned, now))
        timed("pool_items", lambda: _pool(rng, text, products, pool, user_ids, customers, req_ids, idx, now))
        t = time.perf_counter()
    if idx is not None:
        res.seconds["search_index"] = time.perf_counter() - t
        say(f"search_index: {res.seconds['search_index']:.1f} s")
    if connection.vendor == "postgresql":
        from django.apps import apps

        _reset_sequences([m for m in apps.get_models(include_auto_created=True)
                          if m._meta.app_label in {"customers", "requirements", "reviews", "plans", "pool", "search"}])  # fmt: skip
    return res


def _customers(rng, products, user_ids, out, now) -> int:
    from pmloop.customers.choices import TIER_WEIGHT, Industry, Tier
    from pmloop.customers.models import Customer

    rows_ = Rows(Customer, ["id", "product_id", "name", "industry", "tier", "weight", "owner_id"], now=now)
    rows = []
    for p in products:
        for i in range(200):
            name = f"{rng.choice(words.COMPANY_PREFIX)}{rng.choice(words.COMPANY_SUFFIX)} {p['code']}-{i}"
            tier = rng.choice(Tier.values)
            pk = rows_.next()
            rows.append((pk, p["id"], name, rng.choice(Industry.values), tier, TIER_WEIGHT[tier],
                         rng.choice(user_ids)))  # fmt: skip
            out.setdefault(p["id"], []).append(pk)
    return rows_.write(rows)


STATUS_WEIGHTS = [("draft", 20), ("reviewing", 10), ("active", 45), ("changing", 5), ("closed", 20)]
OPEN_STAGES = ["wait", "planned", "developing", "testing", "released"]
STAGE_ORDER = ["wait", "planned", "developing", "testing", "released", "accepted"]
CATEGORIES = ["feature", "feature", "interface", "performance", "security", "experience"]
CLOSE_REASONS = ["done", "done", "done", "postponed", "will_not_do", "duplicate"]


def _requirements(rng, text, products, n, user_ids, reviewer_ids, out, planned, index, now) -> int:
    from pmloop.requirements import spec as prd
    from pmloop.requirements.models import (
        AcceptanceCriterion,
        ChangeRequest,
        Requirement,
        RequirementVersion,
        StageChange,
    )  # fmt: skip
    from pmloop.reviews.models import ReviewRound, ReviewVote

    R = Rows(Requirement, ["id", "product_id", "number", "title", "module_id", "category", "priority", "estimate",
                           "owner_id", "created_by_id", "status", "stage", "close_reason", "closed_at", "spec",
                           "spec_version", "version", "completeness", "voices"],
             now=now, raw=["estimate", "closed_at", "spec"])  # fmt: skip
    V = Rows(RequirementVersion, ["id", "requirement_id", "number", "title", "spec", "author_id", "note"],
             now=now, raw=["spec"])  # fmt: skip
    C = Rows(AcceptanceCriterion, ["id", "requirement_id", "position", "text", "verified"], now=now)
    S = Rows(StageChange, ["id", "requirement_id", "from_stage", "to_stage", "actor_id"], now=now)
    X = Rows(ChangeRequest, ["id", "requirement_id", "reason", "impact", "status", "base_version", "created_by_id",
                             "decided_at"], now=now, raw=["decided_at"])  # fmt: skip
    RR = Rows(ReviewRound, ["id", "product_id", "subject_type", "subject_id", "rule", "status", "outcome",
                            "opened_by_id", "decided_at"], now=now, raw=["decided_at"])  # fmt: skip
    RV = Rows(ReviewVote, ["id", "round_id", "reviewer_id", "verdict", "given_at"], now=now, raw=["given_at"])
    T = Rows(Requirement.reviewers.through, ["id", "requirement_id", "user_id"], now=now)
    now_db = R.prep("closed_at", now)
    estimates = [R.prep("estimate", Decimal(i)) for i in range(41)]
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    numbers = {p["id"]: 0 for p in products}
    tables = (R, V, C, S, X, RR, RV, T)
    start_written = sum(t.written for t in tables)
    docs_written = 0
    choice, randint, random_ = rng.choice, rng.randint, rng.random
    for _start, size in _chunks(n):
        reqs, versions, criteria, stages, changes, rounds, votes, through, docs = ([] for _ in range(9))
        for pk in R.ids(size):
            p = choice(products)
            pid = p["id"]
            numbers[pid] += 1
            status = choice(statuses)
            stage = "wait"
            close_reason = ""
            if status in ("active", "changing"):
                stage = choice(OPEN_STAGES)
            elif status == "closed":
                close_reason = choice(CLOSE_REASONS)
                stage = "accepted" if close_reason == "done" else "wait"
            spec = prd.empty()
            parts = [text.sentence() for _ in range(7)]
            ac = [text.sentence(), text.sentence()]
            spec.update({"summary": parts[0], "value": parts[1], "problem": "".join(parts[2:4]),
                         "functional_design": "".join(parts[4:7]), "acceptance_criteria": ac})  # fmt: skip
            spec_db = R.prep("spec", spec)
            sv = randint(1, 3) if status != "draft" else 1
            title = text.title()[:200]
            owner = choice(user_ids)
            reqs.append((pk, pid, numbers[pid], title, choice(p["modules"]) if random_() < 0.9 else None,
                         choice(CATEGORIES), choice([1, 2, 2, 3, 3, 3, 4]), estimates[randint(1, 40)], owner,
                         choice(user_ids), status, stage, close_reason, now_db if status == "closed" else None,
                         spec_db, sv, sv + randint(0, 3), randint(40, 100), randint(0, 12)))  # fmt: skip
            out.setdefault(pid, []).append(pk)
            for v in range(1, sv + 1):
                versions.append((V.next(), pk, v, title, spec_db, owner, "" if v == 1 else "变更"))
            verified = stage in ("released", "accepted")
            for pos, line in enumerate(ac):
                criteria.append((C.next(), pk, pos, line, verified))
            for k in range(STAGE_ORDER.index(stage)):
                stages.append((S.next(), pk, STAGE_ORDER[k], STAGE_ORDER[k + 1], owner))
            if status == "changing":
                changes.append((X.next(), pk, text.sentence(), text.sentence(), "reviewing", sv, owner, None))
            elif sv > 1:
                changes.append((X.next(), pk, text.sentence(), "", "approved", sv - 1, owner, now_db))
            if status != "draft":
                is_open = status == "reviewing"
                rid = RR.next()
                rounds.append((rid, pid, "requirement", pk, "all", "open" if is_open else "decided",
                               "" if is_open else "pass", owner, None if is_open else now_db))  # fmt: skip
                for reviewer in rng.sample(reviewer_ids, k=min(2, len(reviewer_ids))):
                    votes.append(
                        (RV.next(), rid, reviewer, "" if is_open else "pass", None if is_open else now_db)
                    )
                if is_open:
                    for uid in reviewer_ids[:2]:
                        through.append((T.next(), pk, uid))
            if stage != "wait":
                planned.setdefault(pid, []).append((pk, stage, numbers[pid], title, sv))
            docs.append(("requirement", pk, pid, title, "", parts + ac))
        R.write(reqs)
        V.write(versions)
        C.write(criteria)
        S.write(stages)
        X.write(changes)
        RR.write(rounds)
        RV.write(votes)
        T.write(through)
        if index:
            docs_written += index.write(docs)
    return sum(t.written for t in tables) - start_written + docs_written


def _plans(products, owner_id, planned, now) -> int:
    from pmloop.plans.models import Plan, PlanItem, Release, ReleaseItem

    PI = Rows(PlanItem, ["id", "plan_id", "requirement_id", "position", "planned_at", "added_by_id"],
              now=now, raw=["planned_at"])  # fmt: skip
    RI = Rows(ReleaseItem, ["id", "release_id", "requirement_id", "position", "added_by_id", "stage_before",
                            "snapshot"], now=now)  # fmt: skip
    now_db = PI.prep("planned_at", now)
    total = 0
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
        reqs = planned.get(p["id"], [])
        plan_ids = [x.pk for x in plans]
        PI.write([(PI.next(), plan_ids[i % 4], pk, i, now_db, owner_id) for i, (pk, *_r) in enumerate(reqs)])
        shipped = [t for t in reqs if t[1] in ("released", "accepted")]
        RI.write([(RI.next(), releases[i % 2].pk, pk, i, owner_id, "testing",
                   {"key": f"{p['code']}-{num}", "title": title, "spec_version": sv})
                  for i, (pk, _s, num, title, sv) in enumerate(shipped)])  # fmt: skip
        total += len(plans) + len(releases)
    return total + PI.written + RI.written


POOL_STATUS = ["new"] * 5 + ["triaged"] * 2 + ["linked"] * 2 + ["declined"]
TAGS = ["api", "大客户", "合规", "性能", "移动端", "群聊", "billing", "安全"]
IMPORTANCE = ["critical", "high", "medium", "medium", "low"]


def _pool(rng, text, products, n, user_ids, customers, req_ids, index, now) -> int:
    from pmloop.pool.models import PoolCounter, PoolItem, PoolLink, PoolSource

    P = Rows(PoolItem, ["id", "product_id", "number", "source_id", "text", "title", "customer_id", "reporter_id",
                        "module_id", "importance", "tags", "status", "decline_reason"], now=now)  # fmt: skip
    L = Rows(PoolLink, ["id", "item_id", "requirement_id"], now=now)
    sources = list(PoolSource.objects.order_by("pk").values_list("pk", flat=True))
    numbers = {p["id"]: 0 for p in products}
    by_id = {p["id"]: p for p in products}
    recent: list[tuple[int, str, list[str]]] = []  # (product, title, sentences) to copy as near-duplicates
    docs_written = 0
    choice, randint, random_ = rng.choice, rng.randint, rng.random
    for _start, size in _chunks(n):
        items, links, docs = [], [], []
        for pk in P.ids(size):
            if recent and random_() < 0.05:  # planted near-duplicate (~5 %)
                pid, title, sents = choice(recent)
                # The same request in slightly different words: its end is cut and edited,
                # which only touches the last sentence (so the others keep their cached terms).
                title, sents = text.perturb(title), [*sents[:-1], text.perturb(sents[-1])]
            else:
                pid = choice(products)["id"]
                sents = [text.sentence() for _ in range(randint(1, 3))]
                title = text.title()[:200]
                if len(recent) < 5000:
                    recent.append((pid, title, sents))
                else:
                    recent[rng.randrange(5000)] = (pid, title, sents)
            body = "".join(sents)
            numbers[pid] += 1
            status = choice(POOL_STATUS)
            p = by_id[pid]
            tags = rng.sample(TAGS, k=randint(0, 2))
            items.append((pk, pid, numbers[pid], choice(sources), body, title,
                          choice(customers[pid]) if random_() < 0.7 else None, choice(user_ids),
                          choice(p["modules"]) if random_() < 0.6 else None, choice(IMPORTANCE),
                          ("," + ",".join(tags) + ",") if tags else "", status,
                          text.sentence() if status == "declined" else ""))  # fmt: skip
            if status == "linked" and req_ids.get(pid):
                links.append((L.next(), pk, choice(req_ids[pid])))
            if index and index.exact:
                docs.append(
                    ("pool_item", pk, pid, title, "", [f"{p['code']}-P{numbers[pid]}", *sents, *tags])
                )
            elif index:
                docs.append(
                    ("pool_item", pk, pid, title, index.pool_key(p["code"], numbers[pid]), [*sents, *tags])
                )
        P.write(items)
        L.write(links)
        if index:
            docs_written += index.write(docs)
    PoolCounter.objects.bulk_create(
        [PoolCounter(product_id=pid, last_number=num) for pid, num in numbers.items()],
        update_conflicts=True, unique_fields=["product"], update_fields=["last_number"],
    )  # fmt: skip
    return P.written + L.written + docs_written
