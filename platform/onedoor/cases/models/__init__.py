"""Cases at the window, their referrals to agencies, and the notices around them.

- `cases`: the case, the items it asks for, its reference (`Case`, `CaseItem`, `next_reference`);
- `referrals`: referrals and what happens to them (`Referral`, `SupervisionNotice` 督办,
  `ClockChange`, `Handover`), with the inbox's and board's queries;
- `records`: notices to the household, materials, attachments, audit snapshots.

Import from here (`from onedoor.cases.models import Case`): the modules are the file layout,
this package is the interface.
"""

from __future__ import annotations

from .cases import (
    SUBJECT_CASE,
    Case,
    CaseItem,
    CaseQuerySet,
    ConsentMethod,
    ReferenceCounter,
    next_reference,
)
from .records import (
    ApplicantNotice,
    Attachment,
    CaseMaterial,
    attachment_path,
    attachments_storage,
    describe,
)
from .referrals import (
    BACK_AT_WINDOW_STEPS,
    INBOX_VIEWS,
    UNLISTED_CASE_FIELDS,
    ClockChange,
    Handover,
    Referral,
    ReferralQuerySet,
    SupervisionNotice,
)

__all__ = [
    "BACK_AT_WINDOW_STEPS",
    "INBOX_VIEWS",
    "SUBJECT_CASE",
    "UNLISTED_CASE_FIELDS",
    "ApplicantNotice",
    "Attachment",
    "Case",
    "CaseItem",
    "CaseMaterial",
    "CaseQuerySet",
    "ClockChange",
    "ConsentMethod",
    "Handover",
    "ReferenceCounter",
    "Referral",
    "ReferralQuerySet",
    "SupervisionNotice",
    "attachment_path",
    "attachments_storage",
    "describe",
    "next_reference",
]
