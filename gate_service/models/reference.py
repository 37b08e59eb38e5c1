"""The product master: ADR 2025 Table A rows and the Chinese catalogue (2015) with 易制爆 flags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import intpk


class AdrEntry(Base):
    """One row of ADR Table A (an entry or a variant of it), as BAM publishes it."""

    __tablename__ = "adr_entries"
    __table_args__ = (UniqueConstraint("un_number", "variant"),)
    id: Mapped[intpk]
    un_number: Mapped[str] = mapped_column(String(4), index=True)
    variant: Mapped[int] = mapped_column(Integer)
    name_de: Mapped[str] = mapped_column(String(512))
    name_en: Mapped[str] = mapped_column(String(512))
    name_zh: Mapped[str | None] = mapped_column(String(255))
    adr_class: Mapped[str] = mapped_column(String(8))
    classification_code: Mapped[str | None] = mapped_column(String(16))
    packing_group: Mapped[str | None] = mapped_column(String(3))
    labels: Mapped[list[Any]] = mapped_column(default=list)
    portable_tank_instructions: Mapped[list[Any]] = mapped_column(default=list)
    tank_codes: Mapped[list[Any]] = mapped_column(default=list)
    tank_special_provisions: Mapped[list[Any]] = mapped_column(default=list)
    tank_vehicle: Mapped[str | None] = mapped_column(String(8))
    transport_category: Mapped[str | None] = mapped_column(String(8))
    tunnel_code: Mapped[str | None] = mapped_column(String(16))
    hazard_number: Mapped[str | None] = mapped_column(String(8))
    compatibility_group: Mapped[str | None] = mapped_column(String(2))
    status_code: Mapped[int] = mapped_column(Integer)
    # BAM remarks run to 570 characters (UN 3316).
    remark: Mapped[str | None] = mapped_column(String(1024))

    def __repr__(self) -> str:
        return (
            f"<AdrEntry UN{self.un_number}/{self.variant} {self.adr_class} PG{self.packing_group}>"
        )


class CatalogueEntry(Base):
    """One row of 危险化学品目录（2015版）, with its 剧毒, 易制爆 and high-risk flags."""

    __tablename__ = "catalogue_entries"
    __table_args__ = (UniqueConstraint("serial", "name"),)
    id: Mapped[intpk]
    serial: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(512))
    alias: Mapped[str | None] = mapped_column(String(1024))
    cas_numbers: Mapped[list[Any]] = mapped_column(default=list)
    highly_toxic: Mapped[bool] = mapped_column(Boolean, default=False)
    explosive_precursor: Mapped[bool] = mapped_column(Boolean, default=False)
    precursor_serial: Mapped[str | None] = mapped_column(String(8))
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<CatalogueEntry {self.serial} {self.name}>"


class CasIndex(Base):
    """CAS number → catalogue serial, so a site product's CAS finds its catalogue row."""

    __tablename__ = "catalogue_cas"
    cas: Mapped[str] = mapped_column(String(32), primary_key=True)
    serial: Mapped[int] = mapped_column(Integer, primary_key=True)
