"""Certificates, permits and inspections that have expired or will within a horizon."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .registry import RESOURCES

# (resource, date field, what it is in Chinese and English)
WATCHED: tuple[tuple[str, str, str, str], ...] = (
    ("carriers", "license_valid_until", "道路运输经营许可证", "road transport licence"),
    ("vehicles", "registration_valid_until", "行驶证检验", "vehicle registration inspection"),
    ("vehicles", "transport_permit_valid_until", "道路运输证", "road transport certificate"),
    ("vehicles", "adr_approval_valid_until", "ADR批准证书", "ADR certificate of approval"),
    ("tanks", "next_inspection_due", "罐体检验", "tank inspection"),
    ("persons", "qualification_valid_until", "从业资格证", "qualification certificate"),
    ("persons", "driving_license_valid_until", "驾驶证", "driving licence"),
    ("persons", "adr_valid_until", "ADR证书", "ADR training certificate"),
    ("permits", "valid_until", "通行证/许可证", "permit"),
)


@dataclass(frozen=True)
class Expiring:
    """One credential that has expired or soon will."""

    owner: str | None
    resource: str
    key: str
    name: str
    what: str
    what_en: str
    field: str
    valid_until: dt.date
    days_left: int

    @property
    def expired(self) -> bool:
        """True once the last valid day has passed."""
        return self.days_left < 0

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        out["valid_until"] = self.valid_until.isoformat()
        out["expired"] = self.expired
        return out


def local_today(timezone: str) -> dt.date:
    """Today in a time zone (validity dates are local dates)."""
    return dt.datetime.now(ZoneInfo(timezone)).date()


def _label(resource: str, record: Any) -> str:
    for attr in ("name", "plate", "tank_no", "permit_no"):
        value = getattr(record, attr, None)
        if value:
            return str(value)
    return ""


def expiring(
    session: Session, today: dt.date, within_days: int, owner: str | None = None
) -> Iterator[Expiring]:
    """Every watched date on an active record that is before ``today + within_days``."""
    horizon = today + dt.timedelta(days=within_days)
    for resource, field, what, what_en in WATCHED:
        res = RESOURCES[resource]
        column = getattr(res.model, field)
        stmt = select(res.model).where(
            res.model.status == "active", column.is_not(None), column <= horizon
        )
        if owner is not None:
            stmt = stmt.where(res.model.owner == owner)
        for record in session.scalars(stmt.order_by(column)):
            until = getattr(record, field)
            yield Expiring(
                record.owner,
                resource,
                res.key_text(record),
                _label(resource, record),
                what,
                what_en,
                field,
                until,
                (until - today).days,
            )


def by_owner(items: list[Expiring]) -> dict[str, list[dict[str, Any]]]:
    """Group items by owning organisation, soonest first."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in sorted(items, key=lambda e: (e.owner or "", e.valid_until)):
        grouped.setdefault(item.owner or "-", []).append(item.as_dict())
    return grouped
