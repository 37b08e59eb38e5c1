"""The pre-load files (预装档案): organisations, sites, carriers, vehicles, tanks, people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import RecordMixin
from .base import code
from .base import text

Date_ = Date


class Organisation(RecordMixin, Base):
    """An enterprise: loader, carrier, consignor or consignee."""

    __tablename__ = "organisations"
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[text]
    kinds: Mapped[list[Any]] = mapped_column(default=list)

    def natural_key(self) -> str:
        return self.uscc


class Site(RecordMixin, Base):
    """A loading site of a plant, with its gates and the rule-set profile it applies."""

    __tablename__ = "sites"
    code: Mapped[code] = mapped_column(unique=True)
    name: Mapped[text]
    owner_uscc: Mapped[str] = mapped_column(String(18), index=True)
    profile: Mapped[str] = mapped_column(String(64), default="cn-2019")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    gates: Mapped[list[Any]] = mapped_column(default=list)

    def natural_key(self) -> str:
        return self.code


class SiteProduct(RecordMixin, Base):
    """What a site loads, with its SDS and label versions (一书一签)."""

    __tablename__ = "site_products"
    __table_args__ = (UniqueConstraint("site_code", "product_code"),)
    site_code: Mapped[code] = mapped_column(index=True)
    product_code: Mapped[code]
    name: Mapped[text]
    cas: Mapped[str | None] = mapped_column(String(32), index=True)
    un_number: Mapped[str | None] = mapped_column(String(4), index=True)
    packing_group: Mapped[str | None] = mapped_column(String(3))
    sds_version: Mapped[str | None] = mapped_column(String(64))
    label_version: Mapped[str | None] = mapped_column(String(64))

    def natural_key(self) -> str:
        return f"{self.site_code}/{self.product_code}"


class Carrier(RecordMixin, Base):
    """An organisation acting as carrier, with its road transport licence."""

    __tablename__ = "carriers"
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[text]
    license_no: Mapped[str | None] = mapped_column(String(64))
    license_valid_until: Mapped[dt.date | None] = mapped_column(Date_)
    scope: Mapped[list[Any]] = mapped_column(default=list)

    def natural_key(self) -> str:
        return self.uscc


class Vehicle(RecordMixin, Base):
    """A tractor, rigid truck or trailer."""

    __tablename__ = "vehicles"
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(17))
    carrier_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    rated_load_kg: Mapped[int | None] = mapped_column(Integer)
    registration_valid_until: Mapped[dt.date | None] = mapped_column(Date_)
    transport_permit_no: Mapped[str | None] = mapped_column(String(64))
    transport_permit_valid_until: Mapped[dt.date | None] = mapped_column(Date_)
    permit_scope: Mapped[list[Any]] = mapped_column(default=list)
    adr_vehicle_type: Mapped[str | None] = mapped_column(String(8))
    adr_approval_valid_until: Mapped[dt.date | None] = mapped_column(Date_)

    def natural_key(self) -> str:
        return self.plate


class Tank(RecordMixin, Base):
    """A tank: atmospheric, pressure vessel, tank container or portable tank."""

    __tablename__ = "tanks"
    tank_no: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    vehicle_plate: Mapped[str | None] = mapped_column(String(16), index=True)
    capacity_l: Mapped[int | None] = mapped_column(Integer)
    max_fill_kg: Mapped[int | None] = mapped_column(Integer)
    tank_code: Mapped[str | None] = mapped_column(String(16))
    media: Mapped[list[Any]] = mapped_column(default=list)
    registration_no: Mapped[str | None] = mapped_column(String(64))
    registered_medium: Mapped[str | None] = mapped_column(String(128))
    inspection_report_no: Mapped[str | None] = mapped_column(String(64))
    inspected_on: Mapped[dt.date | None] = mapped_column(Date_)
    next_inspection_due: Mapped[dt.date | None] = mapped_column(Date_)
    last_cargo_un: Mapped[str | None] = mapped_column(String(4))
    # Col.13 provisions (TC, TE, TA ...) listed on the tank's type approval.
    special_provisions: Mapped[list[Any]] = mapped_column(default=list)

    def natural_key(self) -> str:
        return self.tank_no


class Person(RecordMixin, Base):
    """A driver or escort with the qualification certificate and licences."""

    __tablename__ = "persons"
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    carrier_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    qualification_cert_no: Mapped[str | None] = mapped_column(String(64), unique=True)
    qualification_categories: Mapped[list[Any]] = mapped_column(default=list)
    qualification_valid_until: Mapped[dt.date | None] = mapped_column(Date_)
    driving_license_class: Mapped[str | None] = mapped_column(String(16))
    driving_license_valid_until: Mapped[dt.date | None] = mapped_column(Date_)
    adr_cert_no: Mapped[str | None] = mapped_column(String(64))
    adr_specialisations: Mapped[list[Any]] = mapped_column(default=list)
    adr_valid_until: Mapped[dt.date | None] = mapped_column(Date_)

    def natural_key(self) -> str:
        return self.id_number


class Waybill(RecordMixin, Base):
    """A dangerous-goods waybill (电子运单): one vehicle, one trip."""

    __tablename__ = "waybills"
    waybill_no: Mapped[str] = mapped_column(String(64), unique=True)
    waybill_status: Mapped[str] = mapped_column(String(16), default="issued", index=True)
    consignor_uscc: Mapped[str | None] = mapped_column(String(18))
    consignor_name: Mapped[str | None] = mapped_column(String(255))
    consignee_uscc: Mapped[str | None] = mapped_column(String(18))
    consignee_name: Mapped[str | None] = mapped_column(String(255))
    carrier_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    loader_site: Mapped[str | None] = mapped_column(String(64), index=True)
    destination: Mapped[str | None] = mapped_column(String(255))
    planned_date: Mapped[dt.date | None] = mapped_column(Date_)
    vehicle_plate: Mapped[str | None] = mapped_column(String(16), index=True)
    trailer_plate: Mapped[str | None] = mapped_column(String(16))
    tank_no: Mapped[str | None] = mapped_column(String(64))
    driver_id_number: Mapped[str | None] = mapped_column(String(18))
    escort_id_number: Mapped[str | None] = mapped_column(String(18))
    goods: Mapped[list[Any]] = mapped_column(default=list)
    permit_no: Mapped[str | None] = mapped_column(String(64))

    def natural_key(self) -> str:
        return self.waybill_no


class Permit(RecordMixin, Base):
    """A special permit such as the 剧毒化学品道路运输通行证."""

    __tablename__ = "permits"
    permit_no: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    goods: Mapped[list[Any]] = mapped_column(default=list)
    vehicle_plate: Mapped[str | None] = mapped_column(String(16), index=True)
    driver_id_number: Mapped[str | None] = mapped_column(String(18))
    escort_id_number: Mapped[str | None] = mapped_column(String(18))
    origin: Mapped[str | None] = mapped_column(String(255))
    destination: Mapped[str | None] = mapped_column(String(255))
    route: Mapped[str | None] = mapped_column(String(1024))
    valid_from: Mapped[dt.date | None] = mapped_column(Date_)
    valid_until: Mapped[dt.date | None] = mapped_column(Date_)

    def natural_key(self) -> str:
        return self.permit_no


class BlacklistEntry(RecordMixin, Base):
    """A carrier, vehicle, tank or person that may not be loaded during a period."""

    __tablename__ = "blacklist"
    __table_args__ = (
        UniqueConstraint("subject_kind", "subject_key", "valid_from"),
        # The gate looks entries up by subject among the active ones.
        Index("ix_blacklist_subject_key_status", "subject_key", "status"),
    )
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str | None] = mapped_column(String(255))
    valid_from: Mapped[dt.date] = mapped_column(Date_)
    valid_until: Mapped[dt.date | None] = mapped_column(Date_)

    def natural_key(self) -> str:
        return f"{self.subject_kind}:{self.subject_key}:{self.valid_from}"


RECORD_MODELS: tuple[type[Base], ...] = (
    Organisation,
    Site,
    SiteProduct,
    Carrier,
    Vehicle,
    Tank,
    Person,
    Waybill,
    Permit,
    BlacklistEntry,
)
