"""Kling credentials: a single API key sent as Bearer (current), or an access key + secret key
turned into a short-lived HS256 JWT (legacy). Stdlib only: a JWT is three base64url parts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ..config import resolve_keys

KEY_ENV_OPTIONS = (("KLING_API_KEY",), ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"))
TOKEN_LIFETIME = 1800  # seconds; Kling's documented exp = now + 1800
CLOCK_SKEW = 5  # nbf = now - 5, so a server clock slightly behind ours still accepts it


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_jwt(access_key: str, secret_key: str, *, now: float | None = None) -> str:
    now = time.time() if now is None else now
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": int(now) + TOKEN_LIFETIME, "nbf": int(now) - CLOCK_SKEW}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
    )
    sig = hmac.new(secret_key.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(sig)}"


@dataclass(frozen=True)
class KlingCredentials:
    api_key: str | None = None
    access_key: str | None = None
    secret_key: str | None = None

    def __post_init__(self) -> None:
        if not self.api_key and not (self.access_key and self.secret_key):
            raise ValueError("KlingCredentials needs api_key, or access_key and secret_key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> KlingCredentials:
        found = resolve_keys("kling", KEY_ENV_OPTIONS, env)
        return cls(
            api_key=found.get("KLING_API_KEY"),
            access_key=found.get("KLING_ACCESS_KEY"),
            secret_key=found.get("KLING_SECRET_KEY"),
        )

    def bearer(self, *, now: float | None = None) -> str:
        # A fresh token per request costs microseconds and never hits the 30-minute expiry.
        if self.api_key:
            return self.api_key
        assert self.access_key and self.secret_key  # guaranteed by __post_init__
        return encode_jwt(self.access_key, self.secret_key, now=now)

    def __repr__(self) -> str:  # never print secrets in logs or tracebacks
        kind = "api_key" if self.api_key else f"access_key={self.access_key!r}"
        return f"KlingCredentials({kind}, secret=***)"
