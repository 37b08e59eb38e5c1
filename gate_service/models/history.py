"""Who changed which record, when, and its value before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import intpk
from .base import utc_timestamp


class RecordChange(Base):
    """One change to one record: create, update, deactivate or import."""

    __tablename__ = "record_changes"
    id: Mapped[intpk]
    resource: Mapped[str] = mapped_column(String(32), index=True)
    record_id: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[utc_timestamp]
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any]]

    def __repr__(self) -> str:
        return f"<RecordChange {self.resource}#{self.record_id} v{self.version} {self.action}>"
