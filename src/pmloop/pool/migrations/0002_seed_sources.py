"""Seed the built-in pool sources (需求来源). Admins can add more and deactivate any."""

from django.db import migrations

SOURCES = [
    ("customer", "Customer", "客户"),
    ("user", "User", "用户"),
    ("product_owner", "Product owner", "产品经理"),
    ("market", "Market", "市场"),
    ("sales", "Sales", "销售"),
    ("support", "Support", "技术支持"),
    ("operations", "Operations", "运营"),
    ("competitor", "Competitor", "竞品"),
    ("partner", "Partner", "合作伙伴"),
    ("developer", "Development", "研发"),
    ("tester", "Testing", "测试"),
    ("survey", "Survey", "问卷"),
    ("interview", "Interview", "访谈"),
    ("usage_data", "Usage data", "使用数据"),
    ("other", "Other", "其他"),
]


def seed(apps, schema_editor):
    PoolSource = apps.get_model("pool", "PoolSource")
    for position, (code, label_en, label_zh) in enumerate(SOURCES):
        PoolSource.objects.update_or_create(
            code=code,
            defaults={"label_en": label_en, "label_zh": label_zh, "builtin": True, "position": position},
        )


def unseed(apps, schema_editor):
    PoolSource = apps.get_model("pool", "PoolSource")
    PoolSource.objects.filter(
        builtin=True, code__in=[c for c, _e, _z in SOURCES], items__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("pool", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
