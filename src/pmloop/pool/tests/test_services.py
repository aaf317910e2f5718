"""pool.services: every rule and refusal.

A refusal: the error (type, code, field), every object reloaded unchanged, no new
operation-log entry. A success: the entry's action, before and after, the event on commit."""

from __future__ import annotations

import pytest

from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import Conflict, GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.customers import services as customer_services
from pmloop.customers.tests.support import audit_count, last_entry, state
from pmloop.pool import selectors, services
from pmloop.pool.models import PoolItem, PoolLink, PoolSource
from pmloop.pool.schemas import PoolItemFilters

pytestmark = pytest.mark.django_db


def refused(exc_type, fn, *objs, code=None, field=None, **kwargs):
    """Call ``fn(**kwargs)``; assert it raises ``exc_type`` and changes nothing."""
    before = [state(o) for o in objs]
    entries = audit_count()
    items = PoolItem.objects.count()
    with pytest.raises(exc_type) as exc:
        fn(**kwargs)
    assert [state(o) for o in objs] == before
    assert audit_count() == entries
    assert PoolItem.objects.count() == items
    if code:
        assert exc.value.code == code, exc.value.as_dict()
    if field:
        assert exc.value.field == field, exc.value.as_dict()
    assert exc.value.message
    return exc.value


# ---- filing -------------------------------------------------------------------------------
def test_create_numbers_per_product_and_audits(world, file_item, other_product, actor_for, events_seen):
    with events_seen() as seen:
        first = file_item("群聊需要支持一万人。还要消息必达", tags="API, 群聊 ,api")
    second = file_item("Push notifications for iOS")
    other = services.create_item(
        actor=actor_for(other_product.owner), product_id=other_product.pk, text="Something else"
    )
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.key == "IMSDK-P1" and other.key == "OTHER-P1"
    assert first.title == "群聊需要支持一万人"
    assert first.tags == ",api,群聊," and first.tag_list == ["api", "群聊"]
    assert (first.status, first.voices, first.version, first.importance) == ("new", 1, 1, "medium")
    assert first.reporter == world.po.user and first.source.code == "product_owner"
    entry = AuditEntry.objects.get(action="pool.item_created", object_id=str(first.pk))
    assert entry.product_id == world.product.pk and entry.before is None
    assert entry.after["text"] == first.text and entry.after["number"] == 1
    assert seen == [("pool.item_created", {"item_id": first.pk, "product_id": world.product.pk})]


def test_default_source_follows_customer_then_role(world, member, actor_for, file_item):
    sales = actor_for(member(Role.SALES))
    support = actor_for(member(Role.SUPPORT))
    assert file_item("a", actor=sales).source.code == "sales"
    assert file_item("b", actor=support).source.code == "support"
    assert file_item("c", actor=sales, customer_id=world.customers["bank"].pk).source.code == "customer"
    assert file_item("d", source="survey").source.code == "survey"
    assert file_item("e", source="问卷").source.code == "survey"  # the Chinese label works too


def test_numbers_continue_after_existing_items(world, file_item):
    from pmloop.pool.models import PoolCounter

    file_item("a")
    file_item("b")
    PoolCounter.objects.all().delete()  # e.g. items restored without the counter row
    assert file_item("c").number == 3


def test_create_indexes_the_item_for_search(world, file_item):
    item = file_item("希望增加群公告的已读回执")
    file_item("Something about push")
    found = selectors.list_items(actor=world.po, filters=PoolItemFilters(q="已读回执", status=[]))
    assert [i.pk for i in found] == [item.pk]
    by_tag = file_item("x", tags="会员")
    assert [i.pk for i in selectors.list_items(actor=world.po, filters=PoolItemFilters(q="会员"))] == [
        by_tag.pk
    ]


@pytest.mark.parametrize(
    "role", [Role.OWNER, Role.PM, Role.REVIEWER, Role.SALES, Role.SUPPORT, Role.DEVELOPER]
)
def test_every_member_but_a_viewer_may_file(world, member, actor_for, file_item, role):
    assert file_item("x", actor=actor_for(member(role))).pk


def test_viewer_outsider_and_read_only_token_may_not_file(
    world, member, actor_for, file_item, outsider, owner
):
    exc = refused(PermissionDenied, file_item, actor=actor_for(member(Role.VIEWER)), code="role_forbidden")
    assert "pool.create" in exc.message
    refused(NotFound, file_item, actor=actor_for(outsider), code="product_not_found")
    refused(PermissionDenied, file_item, actor=actor_for(owner, read_only=True), code="read_only_token")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "x" * 20001}, "text"),
        ({"title": "t" * 201}, "title"),
        ({"source": "fax"}, "source"),
        ({"importance": "urgent"}, "importance"),
        ({"tags": ["x" * 31]}, "tags"),
        ({"customer_id": 999999}, "customer_id"),
        ({"module_id": 999999}, "module_id"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(world, file_item, kwargs, field):
    kwargs.setdefault("text", "ok")
    refused(InvalidInput, file_item, field=field, **kwargs)


def test_create_refuses_references_to_another_product(world, file_item, other_product, actor_for):
    from pmloop.products import services as product_services

    them = actor_for(other_product.owner)
    their_customer = customer_services.create_customer(actor=them, product_id=other_product.pk, name="Theirs")
    their_module = product_services.create_module(actor=them, product_id=other_product.pk, name="M")
    refused(InvalidInput, file_item, text="x", customer_id=their_customer.pk, field="customer_id")
    refused(InvalidInput, file_item, text="x", module_id=their_module.pk, field="module_id")


def test_create_refuses_archived_customer_and_inactive_source(world, file_item, admin, actor_for):
    bank = world.customers["bank"]
    customer_services.archive_customer(actor=world.po, customer_id=bank.pk, expected_version=bank.version)
    exc = refused(InvalidInput, file_item, text="x", customer_id=bank.pk, field="customer_id")
    assert "archived" in exc.message
    fax = services.create_source(actor=actor_for(admin), code="fax", label_en="Fax", label_zh="传真")
    services.set_source_active(actor=actor_for(admin), source_id=fax.pk, active=False)
    exc = refused(InvalidInput, file_item, text="x", source="fax", field="source")
    assert "no longer in use" in exc.message


# ---- editing ------------------------------------------------------------------------------
def test_update_with_version_and_derived_title(world, file_item):
    item = file_item("First sentence. More.")
    item = services.update_item(actor=world.po, item_id=item.pk, expected_version=1, text="New words. Rest.")
    assert (item.title, item.version) == ("New words", 2)
    entry = last_entry()
    assert entry.action == "pool.item_updated"
    assert entry.before["title"] == "First sentence" and entry.after["title"] == "New words"
    item = services.update_item(actor=world.po, item_id=item.pk, expected_version=2, title="My own title")
    item = services.update_item(actor=world.po, item_id=item.pk, expected_version=3, text="Other. Text.")
    assert item.title == "My own title"  # a title someone wrote stays


def test_update_sets_and_clears_references(world, file_item):
    item = file_item("x", customer_id=world.customers["bank"].pk, module_id=world.modules["推送"].pk)
    item = services.update_item(actor=world.po, item_id=item.pk, expected_version=1, importance="high")
    assert item.customer_id == world.customers["bank"].pk and item.module_id == world.modules["推送"].pk
    item = services.update_item(
        actor=world.po, item_id=item.pk, expected_version=2, customer_id=None, module_id=None, tags=[]
    )
    assert (item.customer_id, item.module_id, item.tags) == (None, None, "")


def test_update_without_change_writes_nothing(world, file_item):
    item = file_item("x")
    entries = audit_count()
    same = services.update_item(actor=world.po, item_id=item.pk, expected_version=1, text="x")
    assert same.version == 1 and audit_count() == entries


def test_update_refuses_stale_or_missing_version(world, file_item):
    item = file_item("x")
    services.update_item(actor=world.po, item_id=item.pk, expected_version=1, text="y")
    kwargs = {"actor": world.po, "item_id": item.pk, "text": "z"}
    exc = refused(Conflict, services.update_item, item, code="stale_version", expected_version=1, **kwargs)
    assert "version 1" in exc.message and "now 2" in exc.message
    refused(Conflict, services.update_item, item, code="version_required", expected_version=None, **kwargs)


def test_reporter_edits_own_new_item_only(world, member, actor_for, file_item):
    sales, other_sales = actor_for(member(Role.SALES)), actor_for(member(Role.SALES))
    item = file_item("x", actor=sales)
    item = services.update_item(actor=sales, item_id=item.pk, expected_version=1, text="better words")
    refused(
        PermissionDenied, services.update_item, item, actor=other_sales, item_id=item.pk, expected_version=2,
        text="mine now",
    )  # fmt: skip
    item = services.triage_item(actor=world.po, item_id=item.pk)
    refused(
        PermissionDenied,
        services.update_item,
        item,
        actor=sales,
        item_id=item.pk,
        expected_version=3,
        text="z",
    )


def test_merged_items_are_read_only(world, file_item):
    a, b = file_item("a"), file_item("b")
    services.merge_item(actor=world.po, item_id=a.pk, target_id=b.pk)
    a.refresh_from_db()
    exc = refused(GuardFailed, services.update_item, a, actor=world.po, item_id=a.pk,
                  expected_version=a.version, text="z", code="item_merged")  # fmt: skip
    assert "IMSDK-P2" in exc.message


# ---- triage -------------------------------------------------------------------------------
def test_triage_sets_fields_audits_and_emits(world, file_item, events_seen):
    item = file_item("x")
    with events_seen() as seen:
        item = services.triage_item(
            actor=world.po, item_id=item.pk, expected_version=1, module_id=world.modules["群公告"].pk,
            importance="critical", tags="群公告, 已读",
        )  # fmt: skip
    assert (item.status, item.importance, item.tags, item.version) == (
        "triaged",
        "critical",
        ",群公告,已读,",
        2,
    )
    assert item.module_id == world.modules["群公告"].pk
    entry = last_entry()
    assert entry.action == "pool.item_triaged"
    assert entry.before["status"] == "new" and entry.after["status"] == "triaged"
    assert seen == [("pool.item_triaged", {"item_ids": [item.pk], "product_id": world.product.pk})]


def test_triage_refusals_change_nothing(world, file_item, member, actor_for, outsider):
    item = file_item("x")
    refused(
        PermissionDenied, services.triage_item, item, actor=actor_for(member(Role.SALES)), item_id=item.pk
    )
    refused(
        NotFound,
        services.triage_item,
        item,
        actor=actor_for(outsider),
        item_id=item.pk,
        code="item_not_found",
    )
    refused(InvalidInput, services.triage_item, item, actor=world.po, item_id=item.pk, module_id=999999,
            field="module_id")  # fmt: skip
    refused(Conflict, services.triage_item, item, actor=world.po, item_id=item.pk, expected_version=7)
    services.triage_item(actor=world.po, item_id=item.pk)
    item.refresh_from_db()
    exc = refused(
        GuardFailed, services.triage_item, item, actor=world.po, item_id=item.pk, code="cannot_triage"
    )
    assert "already triaged" in exc.message


# ---- decline and reopen -------------------------------------------------------------------
def test_decline_needs_a_reason_then_reopen(world, file_item, events_seen):
    item = file_item("x")
    exc = refused(GuardFailed, services.decline_item, item, actor=world.po, item_id=item.pk, reason="  ",
                  code="reason_required", field="reason")  # fmt: skip
    assert "reason is required" in exc.message
    with events_seen() as seen:
        item = services.decline_item(
            actor=world.po, item_id=item.pk, reason="Not for this product", expected_version=1
        )
    assert (item.status, item.decline_reason) == ("declined", "Not for this product")
    assert last_entry().action == "pool.item_declined" and last_entry().note == "Not for this product"
    assert seen[0][0] == "pool.item_declined"
    refused(GuardFailed, services.decline_item, item, actor=world.po, item_id=item.pk, reason="again",
            code="cannot_decline")  # fmt: skip
    item = services.reopen_item(actor=world.po, item_id=item.pk, expected_version=2)
    assert (item.status, item.decline_reason, item.version) == ("triaged", "", 3)
    entry = last_entry()
    assert entry.action == "pool.item_reopened" and entry.before["decline_reason"] == "Not for this product"
    refused(GuardFailed, services.reopen_item, item, actor=world.po, item_id=item.pk, code="cannot_reopen")


# ---- merge ------------------------------------------------------------------------------
def test_merge_adds_voices_and_repoints_so_chains_never_form(world, file_item, events_seen):
    a = file_item("a", customer_id=world.customers["bank"].pk)
    b = file_item("b", customer_id=world.customers["shop"].pk)
    c = file_item("c")
    target = services.merge_item(actor=world.po, item_id=a.pk, target_id=b.pk, expected_version=1)
    assert (target.pk, target.voices) == (b.pk, 2)
    with events_seen() as seen:
        target = services.merge_item(actor=world.po, item_id=b.pk, target_id=c.pk)
    assert (target.pk, target.voices) == (c.pk, 3)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.merged_into_id, b.status, b.merged_into_id) == ("merged", c.pk, "merged", c.pk)
    assert not PoolItem.objects.filter(merged_into__merged_into__isnull=False).exists()
    actions = list(AuditEntry.objects.order_by("-seq").values_list("action", "object_id")[:3])
    assert sorted(actions) == sorted(
        [
            ("pool.item_repointed", str(a.pk)),
            ("pool.item_merged", str(b.pk)),
            ("pool.voices_added", str(c.pk)),
        ]
    )
    assert seen == [
        ("pool.item_merged", {"item_ids": [b.pk], "target_id": c.pk, "product_id": world.product.pk})
    ]
    voices = selectors.voices_of(actor=world.po, item=target)
    assert {m.pk for m in voices.merged} == {a.pk, b.pk}
    assert [x.name for x in voices.customers] == ["招商银行", "Shopline"]  # heavier first
    assert voices.total == 3 and voices.customer_weight == 11


def test_merge_refusals_change_nothing(world, file_item, other_product, actor_for):
    a, b = file_item("a"), file_item("b")
    theirs = services.create_item(actor=actor_for(other_product.owner), product_id=other_product.pk, text="t")
    refused(
        GuardFailed,
        services.merge_item,
        a,
        actor=world.po,
        item_id=a.pk,
        target_id=a.pk,
        code="merge_into_self",
    )
    refused(NotFound, services.merge_item, a, b, actor=world.po, item_id=a.pk, target_id=theirs.pk)
    refused(NotFound, services.merge_item, a, actor=world.po, item_id=a.pk, target_id=999999)
    declined = file_item("d")
    services.decline_item(actor=world.po, item_id=declined.pk, reason="no")
    refused(GuardFailed, services.merge_item, a, declined, actor=world.po, item_id=a.pk, target_id=declined.pk,
            code="target_declined")  # fmt: skip
    services.merge_item(actor=world.po, item_id=b.pk, target_id=a.pk)
    b.refresh_from_db()
    refused(GuardFailed, services.merge_item, a, b, actor=world.po, item_id=a.pk, target_id=b.pk,
            code="target_merged")  # fmt: skip
    refused(GuardFailed, services.merge_item, a, b, actor=world.po, item_id=b.pk, target_id=a.pk,
            code="cannot_merge")  # fmt: skip


def test_admin_cannot_merge_across_products(world, file_item, other_product, admin, actor_for):
    a = file_item("a")
    theirs = services.create_item(actor=actor_for(other_product.owner), product_id=other_product.pk, text="t")
    refused(InvalidInput, services.merge_item, a, theirs, actor=actor_for(admin), item_id=a.pk, target_id=theirs.pk,
            field="merge_into_id")  # fmt: skip


# ---- bulk -------------------------------------------------------------------------------
def test_bulk_triage_is_all_or_nothing(world, file_item):
    a, b, c = file_item("a"), file_item("b"), file_item("c")
    services.triage_item(actor=world.po, item_id=b.pk)
    b.refresh_from_db()
    exc = refused(GuardFailed, services.bulk_triage, a, b, c, actor=world.po, item_ids=[a.pk, b.pk, c.pk],
                  code="cannot_triage")  # fmt: skip
    assert exc.message.startswith("Nothing was changed.") and "IMSDK-P2" in exc.message
    refused(NotFound, services.bulk_triage, a, c, actor=world.po, item_ids=[a.pk, 999999, c.pk])
    entries = audit_count()
    done = services.bulk_triage(actor=world.po, item_ids=[a.pk, c.pk], importance="high")
    assert [(i.status, i.importance) for i in done] == [("triaged", "high")] * 2
    assert audit_count() == entries + 2
    assert set(AuditEntry.objects.order_by("-seq")[:2].values_list("action", flat=True)) == {
        "pool.item_triaged"
    }


def test_bulk_decline_and_merge(world, file_item):
    a, b, c, d = file_item("a"), file_item("b"), file_item("c"), file_item("d")
    refused(GuardFailed, services.bulk_decline, a, b, actor=world.po, item_ids=[a.pk, b.pk], reason="",
            code="reason_required")  # fmt: skip
    done = services.bulk_decline(actor=world.po, item_ids=[a.pk, b.pk], reason="duplicate of the roadmap")
    assert {i.status for i in done} == {"declined"}
    # a declined item among the duplicates: nothing merges
    refused(GuardFailed, services.bulk_merge, c, d, a, actor=world.po, item_ids=[d.pk, a.pk], target_id=c.pk)
    entries = audit_count()
    target = services.bulk_merge(actor=world.po, item_ids=[c.pk, d.pk], target_id=c.pk)  # target in the ids
    assert (target.pk, target.voices) == (c.pk, 2)
    assert audit_count() == entries + 2  # d merged, c's voices


@pytest.mark.parametrize("ids", [[], ["x"], list(range(1, 502))])
def test_bulk_refuses_bad_selections(world, po, ids):
    refused(InvalidInput, services.bulk_triage, actor=po, item_ids=ids, field="ids")


def test_bulk_needs_the_role_on_every_product(world, file_item, admin, actor_for, other_product, member):
    a = file_item("a")
    pm = actor_for(member(Role.PM))
    theirs = services.create_item(actor=actor_for(other_product.owner), product_id=other_product.pk, text="t")
    refused(NotFound, services.bulk_triage, a, theirs, actor=pm, item_ids=[a.pk, theirs.pk])
    done = services.bulk_triage(actor=actor_for(admin), item_ids=[a.pk, theirs.pk])
    assert len(done) == 2


# ---- links (called by the requirements app) ----------------------------------------------
def test_mark_linked_and_unlinked(world, file_item, events_seen):
    a, b = file_item("a"), file_item("b")
    services.triage_item(actor=world.po, item_id=b.pk)
    with events_seen() as seen:
        items = services.mark_linked(actor=world.po, item_ids=[a.pk, b.pk], requirement_id=41)
    assert [i.status for i in items] == ["linked", "linked"]
    entry = last_entry()
    assert entry.action == "pool.item_linked" and "requirement 41" in entry.note
    assert seen == [("pool.items_linked", {"item_ids": [a.pk, b.pk], "requirement_id": 41,
                                           "product_id": world.product.pk})]  # fmt: skip
    entries = audit_count()
    services.mark_linked(actor=world.po, item_ids=[a.pk], requirement_id=41)  # already: nothing to do
    assert audit_count() == entries
    services.mark_linked(actor=world.po, item_ids=[a.pk], requirement_id=42)
    assert selectors.requirement_ids_of(actor=world.po, item=a) == [41, 42]
    assert [i.pk for i in selectors.items_linked_to(actor=world.po, requirement_id=41)] == [a.pk, b.pk]
    services.mark_unlinked(actor=world.po, item_ids=[a.pk, b.pk], requirement_id=41)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status) == ("linked", "triaged")  # a is still covered by 42
    assert "requirement 41" in last_entry().note
    services.mark_unlinked(actor=world.po, item_ids=[a.pk], requirement_id=42)
    a.refresh_from_db()
    assert a.status == "triaged" and not PoolLink.objects.exists()


def test_mark_linked_refuses_merged_or_declined_items(world, file_item, member, actor_for):
    a, b, c = file_item("a"), file_item("b"), file_item("c")
    services.merge_item(actor=world.po, item_id=b.pk, target_id=c.pk)
    b.refresh_from_db()
    exc = refused(GuardFailed, services.mark_linked, a, b, actor=world.po, item_ids=[a.pk, b.pk], requirement_id=5,
                  code="cannot_link")  # fmt: skip
    assert "IMSDK-P3 instead" in exc.message and not PoolLink.objects.exists()
    services.decline_item(actor=world.po, item_id=a.pk, reason="no")
    a.refresh_from_db()
    exc = refused(GuardFailed, services.mark_linked, a, actor=world.po, item_ids=[a.pk], requirement_id=5)
    assert "reopen it first" in exc.message
    refused(PermissionDenied, services.mark_linked, c, actor=actor_for(member(Role.SALES)), item_ids=[c.pk],
            requirement_id=5)  # fmt: skip
    exc = refused(GuardFailed, services.mark_unlinked, c, actor=world.po, item_ids=[c.pk], requirement_id=5,
                  code="not_linked")  # fmt: skip
    assert exc.missing == ["IMSDK-P3"]


def test_linked_items_cannot_be_declined_or_merged(world, file_item):
    a, b = file_item("a"), file_item("b")
    services.mark_linked(actor=world.po, item_ids=[a.pk], requirement_id=1)
    a.refresh_from_db()
    exc = refused(GuardFailed, services.decline_item, a, actor=world.po, item_id=a.pk, reason="x")
    assert "unlink it" in exc.message
    refused(GuardFailed, services.merge_item, a, b, actor=world.po, item_id=a.pk, target_id=b.pk)
    # but an open item may merge INTO a linked one
    assert services.merge_item(actor=world.po, item_id=b.pk, target_id=a.pk).voices == 2


# ---- sources ----------------------------------------------------------------------------
def test_seeded_sources():
    codes = list(PoolSource.objects.values_list("code", flat=True))
    assert codes[:3] == ["customer", "user", "product_owner"] and codes[-1] == "other" and len(codes) == 15
    assert PoolSource.objects.get(code="support").label_zh == "技术支持"
    assert not PoolSource.objects.filter(builtin=False).exists()


def test_admins_add_and_deactivate_sources(admin, actor_for, po, product):
    a = actor_for(admin)
    src = services.create_source(actor=a, code=" Trade_Show ", label_en="Trade show", label_zh="展会")
    assert (src.code, src.builtin, src.active) == ("trade_show", False, True)
    assert last_entry().action == "pool.source_created"

    def create(actor, code, label_en="x", label_zh="y"):
        return services.create_source(actor=actor, code=code, label_en=label_en, label_zh=label_zh)

    refused(InvalidInput, lambda: create(a, "trade_show"), field="code")
    refused(InvalidInput, lambda: create(a, "bad code!"), field="code")
    refused(InvalidInput, lambda: create(a, "ok", label_en=""), field="label_en")
    exc = refused(PermissionDenied, lambda: create(po, "x"), code="admin_only")
    assert "site admin" in exc.message
    customer = PoolSource.objects.get(code="customer")
    customer = services.update_source(actor=a, source_id=customer.pk, active=False, label_zh="客户方")
    assert (customer.active, customer.label_zh) == (False, "客户方")
    assert last_entry().action == "pool.source_deactivated"
    refused(
        PermissionDenied, services.set_source_active, customer, actor=po, source_id=customer.pk, active=True
    )


def test_the_last_active_source_stays(admin, actor_for):
    a = actor_for(admin)
    sources = list(PoolSource.objects.all())
    for s in sources[1:]:
        services.set_source_active(actor=a, source_id=s.pk, active=False)
    refused(GuardFailed, services.set_source_active, sources[0], actor=a, source_id=sources[0].pk, active=False,
            code="last_active_source")  # fmt: skip
