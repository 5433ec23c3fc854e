"""Sign-in throttling of the web pages, per account and per client address, with the ``limits`` library.

Each wrong password is a hit on two moving windows: the account's (``login_max_failures`` within
``login_failure_window_s``, default 10 in 15 minutes) and the client address's
(``login_max_failures_per_address``, default 30). When a window fills up, that account or address
is locked for ``login_lockout_s`` (default 15 minutes): a one-hit window whose single hit is the
lock, so the lock lasts exactly that long from the moment it was set, whatever is tried meanwhile,
the right password included. A successful sign-in clears the account's count; an administrator
can lift an account's lock (:meth:`LoginThrottle.unlock`).

The counters live in the ``limits`` storage named by ``login_limit_storage``: ``memory://`` (the
default) keeps them in the service process (``assistant serve`` runs one), ``redis://host`` shares
them between several processes or hosts. Unknown user names are counted and locked like real ones,
so the answers never tell which accounts exist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

ACCOUNT, ADDRESS = "account", "address"
SCOPE_LABELS = {ACCOUNT: "该账号", ADDRESS: "本机地址"}


@dataclass(frozen=True)
class Lock:
    """A refused attempt: which scope is locked and for how many more seconds."""

    scope: str
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, -(-self.seconds // 60))

    def message(self) -> str:
        return (f"登录失败次数过多，{SCOPE_LABELS[self.scope]}已被暂时锁定，请于 {self.minutes} 分钟后再试；"
                "如需立即解除，请联系管理员。")


class LoginThrottle:
    """Counts wrong passwords per account and per address; locks either for a fixed period."""

    def __init__(self, max_failures: int = 10, max_per_address: int = 30, window_s: int = 900, lockout_s: int = 900,
                 storage_uri: str = "memory://"):
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self.windows = {ACCOUNT: RateLimitItemPerSecond(max_failures, window_s),
                        ADDRESS: RateLimitItemPerSecond(max_per_address, window_s)}
        self.lock_item = RateLimitItemPerSecond(1, lockout_s)
        self.max_failures, self.lockout_s = max_failures, lockout_s

    @classmethod
    def from_settings(cls, cfg) -> "LoginThrottle":
        return cls(cfg.login_max_failures, cfg.login_max_failures_per_address, cfg.login_failure_window_s,
                   cfg.login_lockout_s, cfg.login_limit_storage)

    @staticmethod
    def _key(scope: str, value: str) -> tuple[str, str, str]:
        return ("web-login", scope, (value or "").strip().lower()[:200])

    def locked(self, username: str, address: str) -> Lock | None:
        """The lock in force for this account or this address, if any."""
        for scope, value in ((ACCOUNT, username), (ADDRESS, address)):
            key = self._key(scope, value)
            if not self.limiter.test(self.lock_item, *key):
                reset = self.limiter.get_window_stats(self.lock_item, *key).reset_time
                return Lock(scope, max(1, int(round(reset - time.time()))))
        return None

    def failed(self, username: str, address: str) -> Lock | None:
        """Count a wrong password; returns the lock it set, if this failure filled a window."""
        new = None
        for scope, value in ((ACCOUNT, username), (ADDRESS, address)):
            key = self._key(scope, value)
            self.limiter.hit(self.windows[scope], *key)
            if not self.limiter.test(self.windows[scope], *key):
                self.limiter.hit(self.lock_item, *key)
                self.limiter.clear(self.windows[scope], *key)  # counting starts afresh once the lock ends
                new = new or Lock(scope, self.lockout_s)
        return new

    def failures(self, username: str) -> int:
        """Wrong passwords counted for the account in the current window."""
        stats = self.limiter.get_window_stats(self.windows[ACCOUNT], *self._key(ACCOUNT, username))
        return self.max_failures - stats.remaining

    def succeeded(self, username: str) -> None:
        self.limiter.clear(self.windows[ACCOUNT], *self._key(ACCOUNT, username))

    def is_locked(self, username: str) -> bool:
        return not self.limiter.test(self.lock_item, *self._key(ACCOUNT, username))

    def unlock(self, username: str) -> None:
        """Lift an account's lock and forget its failures (an administrator's action)."""
        key = self._key(ACCOUNT, username)
        self.limiter.clear(self.lock_item, *key)
        self.limiter.clear(self.windows[ACCOUNT], *key)
