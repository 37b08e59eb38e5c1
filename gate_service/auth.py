"""Bearer tokens and role checks: who is calling, and may they do this."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import g
from flask import request
from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Forbidden
from .errors import Unauthorized
from .models import ROLES
from .models import ApiToken

F = TypeVar("F", bound=Callable[..., Any])
READ_ROLES = frozenset(ROLES)
TOKEN_PREFIX = "lg_"
_TOKENS = ApiToken.__table__
# Built once: every request runs it, and composing a statement costs more than running it.
_TOKEN_BY_HASH = select(
    _TOKENS.c.name,
    _TOKENS.c.role,
    _TOKENS.c.site_code,
    _TOKENS.c.enterprise_uscc,
    _TOKENS.c.revoked,
).where(_TOKENS.c.token_hash == bindparam("hash"))


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of a request."""

    name: str
    role: str
    site_code: str | None = None
    enterprise_uscc: str | None = None

    @property
    def actor(self) -> str:
        """How the caller appears in histories and logs."""
        return f"{self.role}:{self.name}"


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(
    session: Session,
    *,
    name: str,
    role: str,
    site_code: str | None = None,
    enterprise_uscc: str | None = None,
) -> str:
    """Create a token and return it in clear; only its hash is stored."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if role in ("operator", "supervisor") and not site_code:
        raise ValueError(f"role {role} needs --site")
    if role == "enterprise" and not enterprise_uscc:
        raise ValueError("role enterprise needs --enterprise")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            name=name,
            token_hash=hash_token(token),
            role=role,
            site_code=site_code,
            enterprise_uscc=enterprise_uscc,
        )
    )
    return token


def lookup_caller(session: Session, header: str | None) -> Caller:
    """Resolve an Authorization header to a caller, or raise 401."""
    if not header or not header.startswith("Bearer "):
        raise Unauthorized("需要令牌 / a bearer token is required")
    token = header[len("Bearer ") :].strip()
    row = session.connection().execute(_TOKEN_BY_HASH, {"hash": hash_token(token)}).first()
    if row is None or row.revoked:
        raise Unauthorized("令牌无效 / invalid or revoked token")
    return Caller(row.name, row.role, row.site_code, row.enterprise_uscc)


def current_caller() -> Caller:
    """The caller of the current request (set by :func:`require`)."""
    caller: Caller = g.caller
    return caller


def require(*roles: str) -> Callable[[F], F]:
    """Authenticate the request and allow only the given roles (403 otherwise)."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from .db import get_session

            caller = lookup_caller(get_session(), request.headers.get("Authorization"))
            # Close the read transaction so the view starts its own (a write, perhaps).
            get_session().rollback()
            if caller.role not in allowed:
                raise Forbidden(
                    f"角色 {caller.role} 无权执行此操作 / role {caller.role} may not do this"
                )
            g.caller = caller
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
