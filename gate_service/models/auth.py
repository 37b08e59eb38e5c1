"""API tokens, stored as SHA-256 hashes, each with one role and its scope."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .base import Base
from .base import intpk
from .base import utc_timestamp

ROLES = ("admin", "enterprise", "operator", "supervisor", "regulator")


class ApiToken(Base):
    """A bearer token; only its hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    site_code: Mapped[str | None] = mapped_column(String(64))
    enterprise_uscc: Mapped[str | None] = mapped_column(String(18))
    created_at: Mapped[utc_timestamp]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[dt.datetime | None]

    def __repr__(self) -> str:
        return f"<ApiToken {self.name} {self.role}>"
