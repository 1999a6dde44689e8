"""A household in difficulty and its members."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Division

from .idnumber import mask, normalize, validate_id_number


class Household(models.Model):
    class Classification(models.TextChoices):
        NONE = "none", _("未认定")
        DESTITUTE = "destitute", _("特困人员")
        MINIMUM_LIVING = "dibao", _("低保对象")
        LOW_INCOME = "low_income", _("低收入对象")
        SPENDING_POVERTY = "spending", _("支出型贫困")

    village = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Division.Level.VILLAGE},
    )
    address = models.CharField(_("详细地址"), max_length=200, blank=True)
    classification = models.CharField(
        _("家庭类别"), max_length=20, choices=Classification.choices, default=Classification.NONE
    )
    # Money is integer fen: no Decimal ever reaches the engine's task data.
    monthly_income_fen = models.PositiveIntegerField(_("家庭月收入（分）"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        head = self.head
        return f"{head.name}户" if head else f"家庭#{self.pk}"

    @property
    def head(self) -> Member | None:
        members = list(self.members.all())
        return next(
            (m for m in members if m.relation == Member.Relation.HEAD),
            members[0] if members else None,
        )

    @property
    def township(self) -> Division:
        assert self.village.parent is not None
        return self.village.parent


class Member(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙子女")
        OTHER = "other", _("其他")

    class WorkCapacity(models.TextChoices):
        FULL = "full", _("有劳动能力")
        PARTIAL = "partial", _("部分丧失劳动能力")
        NONE = "none", _("无劳动能力")

    class Disability(models.TextChoices):
        NONE = "none", _("无")
        GRADE_1 = "1", _("一级")
        GRADE_2 = "2", _("二级")
        GRADE_3 = "3", _("三级")
        GRADE_4 = "4", _("四级")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(
        _("身份证号码"), max_length=18, unique=True, validators=[validate_id_number]
    )
    relation = models.CharField(_("与户主关系"), max_length=20, choices=Relation.choices)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    work_capacity = models.CharField(
        _("劳动能力"), max_length=10, choices=WorkCapacity.choices, default=WorkCapacity.FULL
    )
    disability = models.CharField(
        _("残疾等级"), max_length=5, choices=Disability.choices, default=Disability.NONE
    )
    serious_illness = models.BooleanField(_("患重特大疾病"), default=False)

    class Meta:
        ordering = ["household", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.id_number = normalize(self.id_number)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def masked_id_number(self) -> str:
        return mask(self.id_number)
