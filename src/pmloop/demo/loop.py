"""Demo seeders for the loop itself: customers, a requirement pool with real-sounding
near-duplicates, and requirements in every status and stage — all through the services.

Deterministic: the same random seed gives the same workspace."""

from __future__ import annotations

import random
from typing import Any

from pmloop.customers import services as customers
from pmloop.pool import services as pool
from pmloop.pool.models import PoolItem
from pmloop.requirements import services as requirements

CUSTOMERS: list[tuple[str, str, str, str]] = [
    # name, industry, tier, contact
    ("好未来教育", "education", "strategic", "刘老师"),
    ("招商银行信用卡中心", "finance", "strategic", "陈经理"),
    ("平安好医生", "healthcare", "key", "周主任"),
    ("浙江政务服务网", "government", "key", "吴处长"),
    ("永辉超市", "retail", "standard", "郑经理"),
    ("顺丰科技", "logistics", "key", "孙工"),
    ("米哈游", "gaming", "strategic", "王策划"),
    ("蔚来汽车", "automotive", "key", "何工"),
    ("芒果 TV", "media", "standard", "黄编导"),
    ("国家电网数字化部", "energy", "standard", "马工"),
    ("Acme Robotics (US)", "manufacturing", "standard", "Jane Doe"),
    ("小鹅通", "internet", "small", "林产品"),
]

# Common problems, each told many ways. (module path, importance, tags, phrasings)
NEEDS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "群聊/群成员管理",
        "high",
        ["权限"],
        [
            "希望群聊里可以按角色设置权限，老师能禁言学生",
            "群管理员的权限能不能细分？比如只允许管理员发公告、踢人",
            "我们需要自定义群角色，不同角色有不同的发言权限",
            "直播课的群里学生太吵，需要全员禁言和单独禁言",
            "群主能否把部分权限授权给助教，而不是全部管理员权限",
            "Need role-based permissions in group chats (owner/admin/member/guest)",
        ],
    ),
    (
        "单聊",
        "medium",
        ["撤回"],
        [
            "消息撤回时间只有 2 分钟太短，希望能配置到 24 小时",
            "客服场景下需要撤回已发送很久的消息，能否放开撤回时限",
            "撤回时限能不能由我们服务端自己配置",
            "Allow recalling messages after 2 minutes, configurable per app",
        ],
    ),
    (
        "推送",
        "critical",
        ["推送", "到达率"],
        [
            "安卓离线推送到达率太低，小米和华为手机经常收不到",
            "接入厂商推送通道（华为、小米、OPPO、vivo）后到达率仍不理想",
            "App 被杀后台就收不到消息通知，客户投诉很多",
            "推送到达率需要有统计报表，现在无法评估效果",
            "鸿蒙系统的推送能不能支持",
        ],
    ),
    (
        "群聊",
        "high",
        ["大群"],
        [
            "需要支持万人大群，目前 2000 人上限不够",
            "直播互动需要超大群，10 万人同时在线聊天",
            "大群消息太多，希望支持消息分级和限频",
            "万人群的消息延迟很高，高峰期超过 5 秒",
        ],
    ),
    (
        "音视频/一对一通话",
        "medium",
        ["录制", "合规"],
        [
            "金融双录要求：视频通话需要云端录制并保存 5 年",
            "问诊视频需要录制存档，医疗合规要求",
            "通话录制文件能否直接存到我们自己的对象存储",
            "Cloud recording for 1:1 video calls for compliance",
        ],
    ),
    (
        "音视频/多人会议",
        "medium",
        ["屏幕共享"],
        [
            "多人会议需要屏幕共享和白板",
            "线上课堂要能共享屏幕同时开摄像头",
            "会议里希望能共享单个应用窗口而不是整个桌面",
        ],
    ),
    (
        "单聊",
        "low",
        ["已读"],
        [
            "单聊需要已读回执，显示对方是否已读",
            "群消息也需要已读未读列表",
            "已读回执能不能按会话关闭，有些客户不想暴露已读状态",
        ],
    ),
    (
        "内容审核",
        "high",
        ["审核"],
        [
            "敏感词过滤需要支持自定义词库",
            "我们行业有特殊的违规词，需要自己维护黑名单",
            "图片审核误杀率太高，正常商品图被拦截",
            "审核结果能否回调给我们，由我们人工复审",
            "Custom blocklists for content moderation",
        ],
    ),
    (
        "开放 API",
        "medium",
        ["API", "限流"],
        [
            "开放 API 的限流太严格，批量导入用户时总被限流",
            "REST API 限流需要返回剩余配额的响应头",
            "希望按接口单独申请更高的 QPS 配额",
            "Rate limit headers (X-RateLimit-Remaining) in the REST API",
        ],
    ),
    (
        "消息必达",
        "high",
        ["漫游"],
        [
            "换手机登录后看不到历史消息，需要云端消息漫游",
            "历史消息漫游希望保存 1 年以上",
            "多端登录（PC 和手机）消息要同步，现在经常丢",
            "弱网下消息顺序会错乱",
        ],
    ),
    (
        "群聊/群公告",
        "low",
        ["公告"],
        [
            "群公告需要支持 @所有人 并强提醒",
            "群公告希望能置顶并且要求成员确认已读",
            "公告支持富文本和图片",
        ],
    ),
    (
        "开放 API",
        "medium",
        ["Webhook", "安全"],
        [
            "消息回调需要签名校验，防止伪造请求",
            "Webhook 回调失败需要重试机制和失败告警",
            "Webhook signatures and retries for message callbacks",
        ],
    ),
    (
        "",
        "critical",
        ["私有化"],
        [
            "银行要求私有化部署，数据不能出内网",
            "政务客户必须部署在政务云上，能否提供私有化版本",
            "私有化部署后能否保持和公有云同样的升级节奏",
        ],
    ),
    (
        "单聊",
        "low",
        ["翻译"],
        [
            "跨境电商需要消息自动翻译",
            "Auto-translate chat messages between Chinese and English",
        ],
    ),
    (
        "音视频",
        "high",
        ["弱网"],
        [
            "弱网环境下视频通话卡顿严重，需要抗丢包优化",
            "4G 网络下音视频通话经常断开",
            "会议在 30% 丢包时声音断断续续",
        ],
    ),
    (
        "内容审核",
        "medium",
        ["审核", "音视频"],
        [
            "直播和语音房需要实时音频审核",
            "音视频内容审核需要支持截帧审核",
        ],
    ),
]
SOURCES = ["customer", "sales", "support", "survey", "interview", "competitor", "usage_data", "operations"]
CONTEXTS = [
    "", "", "（客户原话）", "——来自季度回访", "，客户说这是续约的前提", "，已经提了三次", "，竞品已经支持",
    "，销售说影响一个百万级的单子", "（售后工单汇总）",
]  # fmt: skip


def seed_customers(ctx: Any) -> None:
    product = ctx.products["IMSDK"]
    owner = ctx.actor("wangmin")
    sales = ctx.users["zhangwei"]
    ctx.customers = {}
    for name, industry, tier, contact in CUSTOMERS:
        c = customers.create_customer(actor=owner, product_id=product.pk, name=name, industry=industry, tier=tier,
                                      owner_id=sales.pk)  # fmt: skip
        customers.add_contact(actor=owner, customer_id=c.pk, name=contact, title="产品负责人",
                              email=f"contact{c.pk}@example.com")  # fmt: skip
        ctx.customers[name] = c
        ctx.count("customers")
        ctx.tick(f"customer {name}")


def seed_pool(ctx: Any) -> None:
    """~200 pool items: each common problem told by several customers and channels."""
    rng = random.Random(20261121)
    product = ctx.products["IMSDK"]
    modules = ctx.modules["IMSDK"]
    reporters = ["zhangwei", "chenjing", "wangmin"]
    customer_list = list(ctx.customers.values())
    ctx.pool_by_need = {}
    n = 0
    while n < 200:
        for idx, (module_path, importance, tags, phrasings) in enumerate(NEEDS):
            text = rng.choice(phrasings) + rng.choice(CONTEXTS)
            reporter = rng.choice(reporters)
            customer = rng.choice(customer_list) if rng.random() < 0.8 else None
            item = pool.create_item(
                actor=ctx.actor(reporter), product_id=product.pk, text=text,
                source=rng.choice(SOURCES) if customer is None else "customer",
                customer_id=customer.pk if customer else None,
                module_id=modules[module_path].pk if module_path and rng.random() < 0.7 else None,
                importance=importance if rng.random() < 0.7 else rng.choice(["low", "medium", "high"]), tags=tags,
            )  # fmt: skip
            ctx.pool_by_need.setdefault(idx, []).append(item)
            n += 1
            ctx.count("pool items")
            ctx.tick(f"pool item {n}")
            if n >= 200:
                break
    owner = ctx.actor("wangmin")
    # Triage some, merge obvious duplicates, decline a few: a pool a PM has been working.
    for idx, items in ctx.pool_by_need.items():
        if idx % 3 == 0 and len(items) > 3:
            target = items[0]
            for dup in items[1:3]:
                pool.merge_item(actor=owner, item_id=dup.pk, target_id=target.pk)
                ctx.count("merged")
        for item in items[3:5]:
            pool.triage_item(actor=owner, item_id=item.pk)
            ctx.count("triaged")
    for items in list(ctx.pool_by_need.values())[-2:]:
        pool.decline_item(
            actor=owner, item_id=items[-1].pk, reason="与产品定位不符，建议客户使用合作伙伴方案"
        )
        ctx.count("declined")


def _spec(title: str, module: str, industry_a: str, industry_b: str) -> dict[str, Any]:
    return {
        "summary": f"{title}，满足{industry_a}与{industry_b}客户的核心诉求。",
        "problem": f"客户在{module}场景下无法完成关键操作，只能通过工单绕行，影响续约。",
        "why_chain": ["为什么客户投诉？因为操作做不到", "为什么做不到？因为 SDK 没有提供能力",
                      "为什么没有提供？因为早期只服务小客户", "为什么现在要做？大客户占收入 60%"],
        "value": f"覆盖{industry_a}、{industry_b}等多个行业，预计减少 30% 相关工单，提升大客户续约率。",
        "goal": "上线 3 个月内 50% 的大客户启用，相关工单下降 30%。",
        "scenarios": [
            {"title": f"{industry_a}场景", "industry": industry_a, "customer_type": "大客户",
             "description": "高峰期大量用户同时使用"},
            {"title": f"{industry_b}场景", "industry": industry_b, "customer_type": "中型客户",
             "description": "合规要求严格"},
        ],
        "functional_design": "1. 控制台提供开关与配置项\n2. SDK 提供接口与回调\n3. 服务端 API 提供查询与管理",
        "tracking_design": f"埋点：{module}_enabled、{module}_used（按应用、按天聚合）",
        "compatibility": "默认关闭，旧版本 SDK 行为不变；新接口向后兼容。",
        "pricing": "旗舰版包含；专业版按量计费。",
        "performance": [{"metric": "P99 延迟", "target": "< 200 ms", "boundary": "万人群 / 30% 丢包"}],
        "acceptance_criteria": ["控制台可以开启和关闭该能力", "SDK 接口在 iOS / Android / Web 三端可用",
                                "开启后相关指标在控制台可见"],
        "competitors": [{"competitor": "竞品 A", "solution": "已支持基础版本", "pricing": "额外收费",
                         "difference": "不支持自定义", "advantage": "我们支持按应用配置且不额外收费"}],
    }  # fmt: skip


# title, need index (pool items that asked), target status/stage path
PLANNED: list[tuple[str, int, str]] = [
    ("群聊支持自定义角色与权限", 0, "accepted"),
    ("消息撤回时限可配置", 1, "released"),
    ("厂商推送通道到达率提升", 2, "testing"),
    ("万人大群", 3, "developing"),
    ("通话云端录制", 4, "planned"),
    ("多人会议屏幕共享", 5, "active"),
    ("单聊已读回执", 6, "changing"),
    ("内容审核自定义词库", 7, "reviewing"),
    ("开放 API 限流响应头", 8, "draft"),
    ("云端消息漫游 1 年", 9, "draft_incomplete"),
    ("群公告强提醒", 10, "closed_will_not_do"),
    ("Webhook 签名与重试", 11, "done"),
    ("私有化部署版本", 12, "postponed"),
    ("消息自动翻译", 13, "duplicate"),
    ("弱网音视频抗丢包", 14, "released"),
    ("实时音频审核", 15, "active"),
]
INDUSTRIES = ["教育", "金融", "医疗", "政务", "零售", "游戏", "汽车", "物流"]


def seed_requirements(ctx: Any) -> None:
    product = ctx.products["IMSDK"]
    modules = ctx.modules["IMSDK"]
    po, rev, dev = ctx.actor("wangmin"), ctx.actor("liqiang"), ctx.actor("liuyang")
    reviewers = [ctx.users["liqiang"].pk, ctx.users["liuyang"].pk]
    made: dict[str, Any] = {}
    for i, (title, need, target) in enumerate(PLANNED):
        module_path = NEEDS[need][0]
        module = modules.get(module_path) if module_path else None
        candidates = [it.pk for it in ctx.pool_by_need.get(need, [])]
        asked = list(
            PoolItem.objects.filter(pk__in=candidates, status__in=("new", "triaged")).order_by("id")[:3]
        )
        spec = _spec(title, module_path.split("/")[-1] or "平台", INDUSTRIES[i % 8], INDUSTRIES[(i + 3) % 8])
        if target == "draft_incomplete":
            spec = {"summary": spec["summary"]}
        req = requirements.create_requirement(
            actor=po, product_id=product.pk, title=title, spec=spec, module_id=module.pk if module else None,
            priority=1 + i % 4, estimate=5 + (i * 7) % 30, reviewer_ids=reviewers,
            pool_item_ids=[it.pk for it in asked],
        )  # fmt: skip
        made[title] = req
        ctx.count("requirements")
        ctx.tick(f"requirement {title}")
        _drive(ctx, req, target, po, rev, dev, made)


def _pass_review(req, po, rev, dev):
    req = requirements.submit_for_review(actor=po, requirement_id=req.pk, expected_version=req.version)
    requirements.record_review_verdict(actor=rev, requirement_id=req.pk, verdict="pass", comment="方案清晰")
    return requirements.record_review_verdict(
        actor=dev, requirement_id=req.pk, verdict="pass", comment="可以排期"
    )


def _drive(ctx, req, target, po, rev, dev, made) -> None:
    stages = ["planned", "developing", "testing", "released", "accepted"]
    if target in ("draft", "draft_incomplete"):
        return
    if target == "reviewing":
        requirements.submit_for_review(actor=po, requirement_id=req.pk, expected_version=req.version)
        requirements.record_review_verdict(actor=rev, requirement_id=req.pk, verdict="pass", comment="同意")
        return
    if target == "closed_will_not_do":
        req = requirements.submit_for_review(actor=po, requirement_id=req.pk, expected_version=req.version)
        requirements.record_review_verdict(actor=rev, requirement_id=req.pk, verdict="reject",
                                           comment="强提醒打扰用户，和产品体验原则冲突")  # fmt: skip
        requirements.record_review_verdict(actor=dev, requirement_id=req.pk, verdict="pass")
        return
    if target == "postponed":
        requirements.close_requirement(actor=po, requirement_id=req.pk, expected_version=req.version,
                                       reason="postponed", note="等下个财年预算")  # fmt: skip
        return
    if target == "duplicate":
        other = next(iter(made.values()))
        requirements.close_requirement(actor=po, requirement_id=req.pk, expected_version=req.version,
                                       reason="duplicate", duplicate_of_id=other.pk)  # fmt: skip
        return
    req = _pass_review(req, po, rev, dev)
    if target == "active":
        return
    if target == "changing":
        requirements.request_change(actor=po, requirement_id=req.pk, expected_version=req.version,
                                    reason="客户要求群聊也支持已读回执", impact="影响群消息协议与存储",
                                    spec={"summary": "单聊与群聊都支持已读回执，并可按会话关闭。"}, submit=False)  # fmt: skip
        return
    wanted = "accepted" if target == "done" else target
    for stage in stages[: stages.index(wanted) + 1]:
        if stage == "accepted":
            for crit in req.criteria.all():
                requirements.set_criterion_verified(actor=dev, criterion_id=crit.pk, verified=True)
        req = requirements.set_stage(actor=dev if stage != "planned" else po, requirement_id=req.pk,
                                     expected_version=req.version, stage=stage)  # fmt: skip
    if target == "done":
        requirements.close_requirement(actor=po, requirement_id=req.pk, expected_version=req.version, reason="done",
                                       note="全部验收通过")  # fmt: skip
