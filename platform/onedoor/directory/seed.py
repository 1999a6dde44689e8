"""A county with its townships, villages and member agencies (demo and tests)."""

from __future__ import annotations

from .models import Agency, Division

AGENCIES = [
    ("civil", "县民政局", "社会救助股", "王副局长"),
    ("education", "县教育局", "学生资助管理中心", "李副局长"),
    ("health", "县卫生健康局", "基层卫生股", "赵副局长"),
    ("medical", "县医疗保障局", "待遇保障股", "钱副局长"),
    ("housing", "县住房和城乡建设局", "住房保障股", "孙副局长"),
    ("hr", "县人力资源和社会保障局", "就业促进股", "周副局长"),
    ("union", "县总工会", "保障工作部", "吴副主席"),
    ("disabled", "县残疾人联合会", "康复就业部", "郑副理事长"),
    ("justice", "县司法局", "法律援助中心", "冯副局长"),
    ("charity", "县慈善会", "救助项目部", "陈秘书长"),
]


def seed_county(
    code: str = "130302",
    name: str = "海港区",
    townships: dict[str, tuple[str, list[str]]] | None = None,
) -> Division:
    """Create (idempotently) a county, its townships and villages, and its ten agencies."""
    townships = townships or {
        "130302001": ("文化路街道", ["红旗社区", "建设社区"]),
        "130302101": ("东港镇", ["东港村", "西港村"]),
        "130302102": ("石门寨镇", ["石门寨村", "北庄河村"]),
    }
    county, _ = Division.objects.get_or_create(
        code=code, defaults={"name": name, "level": Division.Level.COUNTY}
    )
    for t_code, (t_name, villages) in townships.items():
        township, _ = Division.objects.get_or_create(
            code=t_code,
            defaults={"name": t_name, "level": Division.Level.TOWNSHIP, "parent": county},
        )
        for i, v_name in enumerate(villages, start=1):
            Division.objects.get_or_create(
                code=f"{t_code}{i:03d}",
                defaults={"name": v_name, "level": Division.Level.VILLAGE, "parent": township},
            )
    for kind, a_name, section, leader in AGENCIES:
        Agency.objects.get_or_create(
            code=f"{code}-{kind}",
            defaults={
                "name": a_name,
                "kind": kind,
                "county": county,
                "responsible_section": section,
                "leader_in_charge": leader,
                "contact_person": f"{a_name[1:3]}联络员",
                "contact_phone": "0335-0000000",
            },
        )
    return county
