"""The item catalogue a county starts with; administrators edit it afterwards.

Time limits: national rules rarely fix days; where a local rule does, it is cited as a
local example (see shared POLICY-NOTES); elsewhere "县级惯例" marks a county default.
"""

from __future__ import annotations

# Seeding the catalogue seeds its time limits too (one call for the demo and the tests):
# seed data is the one place the catalogue reaches up to deadlines (see the import contracts).
from onedoor.deadlines.seed import seed_time_limits

from .models import Item

COUNTY_PRACTICE = "县级惯例（无统一规定，管理员可调整）"
ID_AND_HOUSEHOLD = ["申请人身份证", "户口簿"]

ITEMS: list[dict] = [
    dict(
        code="dibao",
        pays_money=True,
        name="最低生活保障",
        category="基本生活救助",
        agency_kind="civil",
        handle_days=20,
        extension_days=10,
        limit_source="青岛市低保审核确认（地方示例）：20个工作日，可延长至30个工作日",
        materials=[*ID_AND_HOUSEHOLD, "家庭收入和财产状况申报", "家庭经济状况核对授权书"],
    ),
    dict(
        code="tekun",
        pays_money=True,
        name="特困人员救助供养",
        category="基本生活救助",
        agency_kind="civil",
        handle_days=15,
        extension_days=5,
        limit_source="尖山区特困供养（地方示例）：总时限15个工作日，可延长至20个工作日",
        materials=[*ID_AND_HOUSEHOLD, "劳动能力、生活自理能力证明", "家庭经济状况核对授权书"],
    ),
    dict(
        code="linshi",
        pays_money=True,
        name="临时救助",
        category="急难救助",
        agency_kind="civil",
        handle_days=15,
        limit_source="喀什临时救助（地方示例）：总时限不超过15个工作日",
        materials=[*ID_AND_HOUSEHOLD, "遭遇困难的证明材料"],
    ),
    dict(
        code="yiliao",
        pays_money=True,
        name="医疗救助",
        category="专项救助",
        agency_kind="medical",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="sick",
        materials=[*ID_AND_HOUSEHOLD, "住院或门诊费用票据", "医保结算单"],
    ),
    dict(
        code="edu_preschool",
        pays_money=True,
        name="教育救助（学前）",
        category="专项救助",
        agency_kind="education",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="student",
        materials=[*ID_AND_HOUSEHOLD, "在园证明"],
    ),
    dict(
        code="edu_compulsory",
        pays_money=True,
        name="教育救助（义务教育）",
        category="专项救助",
        agency_kind="education",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="student",
        materials=[*ID_AND_HOUSEHOLD, "在校证明"],
    ),
    dict(
        code="edu_high",
        pays_money=True,
        name="教育救助（普通高中）",
        category="专项救助",
        agency_kind="education",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="student",
        materials=[*ID_AND_HOUSEHOLD, "在校证明"],
    ),
    dict(
        code="edu_vocational",
        pays_money=True,
        name="教育救助（中等职业教育）",
        category="专项救助",
        agency_kind="education",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="student",
        materials=[*ID_AND_HOUSEHOLD, "在校证明"],
    ),
    dict(
        code="edu_university",
        pays_money=True,
        name="教育救助（大学）",
        category="专项救助",
        agency_kind="education",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        serves="student",
        materials=[*ID_AND_HOUSEHOLD, "录取通知书或在校证明"],
    ),
    dict(
        code="housing_public",
        name="住房救助（公租房）",
        category="专项救助",
        agency_kind="housing",
        handle_days=20,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "住房状况证明"],
    ),
    dict(
        code="housing_subsidy",
        pays_money=True,
        name="住房救助（租赁补贴）",
        category="专项救助",
        agency_kind="housing",
        handle_days=20,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "租赁合同"],
    ),
    dict(
        code="housing_repair",
        pays_money=True,
        name="住房救助（危房改造）",
        category="专项救助",
        agency_kind="housing",
        handle_days=20,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "房屋安全鉴定"],
    ),
    dict(
        code="employment",
        name="就业援助",
        category="专项救助",
        agency_kind="hr",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "就业失业登记证明"],
    ),
    dict(
        code="union_hardship",
        pays_money=True,
        name="困难职工帮扶",
        category="社会帮扶",
        agency_kind="union",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "工会会员证明"],
    ),
    dict(
        code="disability_subsidies",
        pays_money=True,
        name="残疾人两项补贴",
        category="专项救助",
        agency_kind="disabled",
        handle_days=15,
        limit_source=COUNTY_PRACTICE,
        serves="disabled",
        materials=[*ID_AND_HOUSEHOLD, "残疾人证"],
    ),
    dict(
        code="legal_aid",
        name="法律援助",
        category="专项救助",
        agency_kind="justice",
        handle_days=7,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "案件相关材料"],
    ),
    dict(
        code="charity",
        name="慈善转介",
        category="社会力量参与",
        agency_kind="charity",
        handle_days=10,
        limit_source=COUNTY_PRACTICE,
        materials=[*ID_AND_HOUSEHOLD, "困难情况说明"],
    ),
]


# Keys of ITEMS rows that are time-limit rules (deadlines.TimeLimitRule), not item fields.
LIMIT_KEYS = {"handle_days", "extension_days", "limit_source"}


def seed_catalogue() -> list[Item]:
    """Create or update the catalogue's items by code, with their time limits (idempotent)."""
    items = [
        Item.objects.update_or_create(
            code=row["code"], defaults={k: v for k, v in row.items() if k not in LIMIT_KEYS}
        )[0]
        for row in ITEMS
    ]
    seed_time_limits({row["code"]: row for row in ITEMS})
    return items
