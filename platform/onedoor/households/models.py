"""A household in difficulty and its members."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from onedoor.directory.models import Division

from .idnumber import mask, normalize, validate_id_number

# What may be part of an ID number (digits, the check character X).
ID_PART = re.compile(r"^[\dX]+$")
# At most this many households found through their members (a surname alone may match many).
SEARCH_LIMIT = 1000


class HouseholdQuerySet(models.QuerySet["Household"]):
    def search(self, text: str, *, full_numbers: bool) -> HouseholdQuerySet:
        """Households with a member whose name, phone or ID number matches, or whose address
        (or village) does. `full_numbers`: any part of an ID number matches; otherwise only
        its last digits (what a user who sees masked numbers can know)."""
        text = text.strip()
        if not text:
            return self.none()
        number = normalize(text)
        member = models.Q(name__icontains=text) | models.Q(phone__contains=text)
        if ID_PART.match(number) and len(number) >= 4:
            member |= (
                models.Q(id_number__contains=number)
                if full_numbers
                else models.Q(id_number__endswith=number)
            )
        # The matching members of these households first, in a statement of their own: read
        # through the households' village index and the members' household index. Inside the
        # OR below (as EXISTS or IN) it is planned as one pass over the whole members table.
        matching = set(
            Member.objects.filter(member, household__in=self.values("pk"))
            .order_by()
            .values_list("household_id", flat=True)[:SEARCH_LIMIT]
        )
        return self.filter(
            models.Q(address__icontains=text)
            | models.Q(village__name__icontains=text)
            | models.Q(pk__in=matching)
        )


class Household(models.Model):
    class Classification(models.TextChoices):
        NONE = "none", _("Not classified")
        DESTITUTE = "destitute", _("Destitute")
        MINIMUM_LIVING = "dibao", _("Minimum living allowance")
        LOW_INCOME = "low_income", _("Low income")
        SPENDING_POVERTY = "spending", _("Poor from rigid spending")

    village = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": Division.Level.VILLAGE},
    )
    address = models.CharField(_("Street address"), max_length=200, blank=True)
    classification = models.CharField(
        _("Household classification"),
        max_length=20,
        choices=Classification.choices,
        default=Classification.NONE,
    )
    # Money is integer fen: no Decimal ever reaches the engine's task data.
    monthly_income_fen = models.PositiveIntegerField(_("Monthly household income (fen)"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The registry's page of a village's (or a township's villages') households,
            # newest first, read in order from the index.
            models.Index(fields=["village", "-created_at"], name="household_village_created_idx"),
        ]

    def __str__(self) -> str:
        head = self.head
        if head:
            return gettext("%(name)s household") % {"name": head.name}
        return gettext("Household #%(pk)s") % {"pk": self.pk}

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
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER = "other", _("Other")

    class WorkCapacity(models.TextChoices):
        FULL = "full", _("Able to work")
        PARTIAL = "partial", _("Partly unable to work")
        NONE = "none", _("Unable to work")

    class Disability(models.TextChoices):
        NONE = "none", pgettext_lazy("disability", "None")
        GRADE_1 = "1", _("Grade 1")
        GRADE_2 = "2", _("Grade 2")
        GRADE_3 = "3", _("Grade 3")
        GRADE_4 = "4", _("Grade 4")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(pgettext_lazy("person", "Name"), max_length=50)
    id_number = models.CharField(
        _("ID number"), max_length=18, unique=True, validators=[validate_id_number]
    )
    relation = models.CharField(
        _("Relation to head of household"), max_length=20, choices=Relation.choices
    )
    phone = models.CharField(_("Phone"), max_length=30, blank=True)
    work_capacity = models.CharField(
        _("Work capacity"), max_length=10, choices=WorkCapacity.choices, default=WorkCapacity.FULL
    )
    disability = models.CharField(
        _("Disability grade"), max_length=5, choices=Disability.choices, default=Disability.NONE
    )
    serious_illness = models.BooleanField(_("Has a serious or major illness"), default=False)
    # Items for students (education aid) are pre-filled for the members marked here.
    in_school = models.BooleanField(_("Student (in school or kindergarten)"), default=False)

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
