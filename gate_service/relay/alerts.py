"""Alerts on ``<prefix>/<site>/alerts``, queued in the outbox so that none is lost."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import models as m
from ..decisions.chain import ChainReport
from ..decisions.pii import mask
from ..models.base import utcnow
from ..records.expiry import Expiring
from ..records.expiry import expiring

ALERT_SCHEMA = "loadgate.alert.v1"
# Alerts belong to a site, not a gate; the outbox keeps them in a gate of their own.
ALERT_GATE = ""
# A carrier is expected at a site while it has an open waybill there or had one this recently.
RECENT_WAYBILL_DAYS = 90


def queue_alert(session: Session, *, prefix: str, site: str, kind: str, severity: str,
                message: str, message_en: str, **fields: Any) -> dict[str, Any]:
    """Write one alert to the outbox (in the caller's transaction); returns its payload."""
    alert_id = str(uuid.uuid4())
    payload = {"schema": ALERT_SCHEMA, "alert_id": alert_id, "kind": kind, "severity": severity,
               "site": site, "created_at": utcnow().isoformat(), "message": message,
               "message_en": message_en, **fields}
    session.add(m.OutboxEvent(decision_id=alert_id, site_code=site, gate=ALERT_GATE,
                              topic=f"{prefix}/{site}/alerts", payload=payload))
    return payload


@dataclass(frozen=True)
class ExpiringGroup:
    """The expiring credentials of one enterprise that matter at one site."""

    site: str
    enterprise: str
    enterprise_name: str | None
    as_of: dt.date
    items: list[Expiring]


def enterprises_at(session: Session, site: m.Site, today: dt.date) -> set[str]:
    """Who a site relies on: its owner, and carriers with an open or recent waybill there."""
    since = today - dt.timedelta(days=RECENT_WAYBILL_DAYS)
    carriers = session.scalars(select(m.Waybill.carrier_uscc).distinct().where(
        m.Waybill.loader_site == site.code, m.Waybill.status == "active",
        m.Waybill.carrier_uscc.is_not(None),
        or_(m.Waybill.waybill_status.in_(("issued", "loading")), m.Waybill.planned_date >= since)))
    return {site.owner_uscc, *(c for c in carriers if c)}


def expiring_groups(session: Session, within_days: int, site_code: str | None = None,
                    now: dt.datetime | None = None) -> list[ExpiringGroup]:
    """Per active site and per enterprise it relies on: the items expired or expiring soon."""
    now = now or utcnow()
    stmt = select(m.Site).where(m.Site.status == "active").order_by(m.Site.code)
    if site_code is not None:
        stmt = stmt.where(m.Site.code == site_code)
    names = {uscc: name for uscc, name in session.execute(
        select(m.Organisation.uscc, m.Organisation.name))}
    groups: list[ExpiringGroup] = []
    for site in session.scalars(stmt):
        today = now.astimezone(ZoneInfo(site.timezone)).date()
        for owner in sorted(enterprises_at(session, site, today)):
            items = list(expiring(session, today, within_days, owner))
            if items:
                items.sort(key=lambda e: (e.valid_until, e.resource, e.key))
                groups.append(ExpiringGroup(site.code, owner, names.get(owner), today, items))
    return groups


def _item(item: Expiring) -> dict[str, Any]:
    data = item.as_dict()
    data.pop("owner")
    # Alerts travel over MQTT to the site: personal ID numbers stay masked.
    data["key"] = mask(data["key"])
    return data


def queue_expiring(session: Session, group: ExpiringGroup, *, prefix: str, within_days: int
                   ) -> dict[str, Any]:
    """One ``certificates_expiring`` alert for an enterprise at a site."""
    expired = sum(1 for i in group.items if i.expired)
    who = group.enterprise_name or group.enterprise
    return queue_alert(
        session, prefix=prefix, site=group.site, kind="certificates_expiring",
        severity="critical" if expired else "warning",
        message=f"{who}：{expired} 项证照已过期，{len(group.items) - expired} 项将在 "
                f"{within_days} 天内到期",
        message_en=f"{who}: {expired} credential(s) expired, {len(group.items) - expired} "
                   f"expiring within {within_days} days",
        enterprise=group.enterprise, enterprise_name=group.enterprise_name,
        as_of=group.as_of.isoformat(), within_days=within_days, expired=expired,
        expiring=len(group.items) - expired, items=[_item(i) for i in group.items])


def queue_chain_broken(session: Session, report: ChainReport, *, prefix: str) -> dict[str, Any]:
    """One critical ``chain_broken`` alert for a site whose decision chain does not verify."""
    return queue_alert(
        session, prefix=prefix, site=report.site_code, kind="chain_broken", severity="critical",
        message=f"决定日志哈希链校验失败（第 {report.first_bad_seq} 条）：{report.problem}",
        message_en=f"decision log chain broken at #{report.first_bad_seq}: {report.problem}",
        rows=report.rows, head_seq=report.head_seq, first_bad_seq=report.first_bad_seq,
        first_bad_id=report.first_bad_id, problem=report.problem or "")
