"""Accounts, sign-in sessions and CSRF tokens of the web pages.

- Passwords are hashed with argon2id (``argon2-cffi``); they are never stored, logged or
  put in the audit log.
- A session is a random token in the ``pc_session`` cookie (HttpOnly, SameSite=Lax, Secure
  when served over HTTPS); the database keeps its sha256 and the session's CSRF token.
- Every form carries a hidden ``csrf_token``: the session's token once signed in; on the
  sign-in form, a token also set in the ``pc_csrf`` cookie (double submit).
- The audit log is the service's (``audit_log``): web actions are recorded with
  ``key_id = "u:<user id>"``, the username and the role.
- A new password must pass :class:`PasswordPolicy`: a minimum length and a minimum strength
  estimated by ``zxcvbn`` (0–4: common words, keyboard runs, dates, repeats and the user's own
  name are cheap to guess), both configurable (``ASSISTANT_PASSWORD_MIN_LENGTH``,
  ``ASSISTANT_PASSWORD_MIN_SCORE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.db import audit, utcnow
from api.web.models import WEB_ROLES, User, WebSession

SESSION_COOKIE = "pc_session"
LOGIN_CSRF_COOKIE = "pc_csrf"
SESSION_HOURS = 12
ROLE_LABELS = {"prosecutor": "检察官", "evaluator": "评查员", "admin": "管理员"}
MAX_PASSWORD = 200

_hasher = PasswordHasher()
# a hash to verify against when the username is unknown, so that timing does not reveal it
_DUMMY = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    """A user could not be created or changed (message in Chinese)."""


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must meet: ``min_length`` characters and a zxcvbn score of ``min_score``."""

    min_length: int = 10
    min_score: int = 3

    @classmethod
    def from_settings(cls, cfg) -> "PasswordPolicy":
        return cls(cfg.password_min_length, cfg.password_min_score)

    def describe(self) -> str:
        return f"至少 {self.min_length} 位，不能是常见密码、连续或重复字符、日期或用户名的变形，宜混用字母、数字和符号"

    def problem(self, password: str, *user_inputs: str) -> str | None:
        """Why ``password`` is refused (Chinese), or None when it passes."""
        if len(password or "") < self.min_length:
            return f"密码至少 {self.min_length} 位。"
        if len(password) > MAX_PASSWORD:
            return f"密码不能超过 {MAX_PASSWORD} 位。"
        if self.min_score > 0:
            from zxcvbn import zxcvbn

            score = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])["score"]
            if score < self.min_score:
                return (f"密码强度不足（强度评估 {score}/4，要求不低于 {self.min_score}）：{self.describe()}。")
        return None


@dataclass
class Actor:
    """The audit identity of a signed-in user (shaped like an API key row for :func:`api.db.audit`)."""

    id: str
    name: str
    role: str


def actor(user: User) -> Actor:
    return Actor(id=f"u:{user.id}", name=user.username, role=user.role)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    if user is None:
        try:
            _hasher.verify(_DUMMY, password or "")
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str, display_name: str = "",
                department: str = "", by: User | None = None, policy: PasswordPolicy | None = None) -> User:
    username = (username or "").strip()
    if role not in WEB_ROLES:
        raise UserError(f"未知角色：{role}（可选：{'、'.join(f'{r}（{ROLE_LABELS[r]}）' for r in WEB_ROLES)}）")
    if not username or len(username) > 100 or any(c.isspace() or not c.isprintable() for c in username):
        raise UserError("用户名不能为空、不能含空白或控制字符，且不超过 100 字。")
    problem = (policy or PasswordPolicy()).problem(password or "", username, display_name)
    if problem:
        raise UserError(problem)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise UserError(f"用户名已存在：{username}")
    user = User(username=username, display_name=(display_name or "").strip()[:100], role=role,
                department=(department or "").strip()[:100], password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit(session, "user.create", actor(by) if by else None, target=f"u:{user.id}",
          detail={"username": username, "role": role, "department": user.department})
    session.commit()
    return user


def set_disabled(session: Session, user: User, disabled: bool, by: User | None = None) -> None:
    user.disabled_at = utcnow() if disabled else None
    if disabled:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    audit(session, "user.disable" if disabled else "user.enable", actor(by) if by else None, target=f"u:{user.id}",
          detail={"username": user.username})
    session.commit()


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if not check_password(user, password) or user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User) -> tuple[str, WebSession]:
    """A new session for ``user``; returns the cookie token (shown to the browser only) and the row."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(token_hash=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32), created_at=now,
                     expires_at=now + dt.timedelta(hours=SESSION_HOURS))
    session.add(row)
    user.last_login_at = now
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    audit(session, "web.login", actor(user), target=f"u:{user.id}")
    session.commit()
    return token, row


def load_session(session: Session, token: str | None) -> tuple[User, WebSession] | None:
    if not token or len(token) > 200:
        return None
    row = session.get(WebSession, _digest(token))
    if row is None or row.expires_at < utcnow():
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return user, row


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        session.commit()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
