"""HTTP helpers shared by adapters: origin checks and streaming downloads.

Credentials go only to the provider's own origin. Output URLs come from response bodies, so a
compromised or misconfigured provider (or a relay) could point them anywhere; those hosts get a
plain request with no Authorization header.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx

from .errors import OutputExpired, TransientProviderError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str | httpx.URL) -> tuple[str, str, int]:
    u = httpx.URL(str(url))
    return (u.scheme, u.host.lower(), u.port or _DEFAULT_PORTS.get(u.scheme, 0))


def same_origin(url: str | httpx.URL, base_url: str) -> bool:
    return origin(url) == origin(base_url)


def error_payload(response: httpx.Response) -> Any:
    """An error response's JSON body, or the start of its text when it is not JSON (a proxy's
    HTML page, a truncated body): kept on the typed error for the user to read."""
    try:
        return response.json()
    except ValueError:
        return {"body": response.text[:500]}


def retry_after(headers: httpx.Headers) -> float | None:
    """A ``Retry-After`` header in seconds; None when absent or not a number (an HTTP date)."""
    value = headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "output"


async def download_file(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    headers: dict[str, str],
    provider: str,
    model: str,
    task_id: str,
) -> Path:
    """Stream ``url`` to ``dest`` via a partial file, so a dropped connection never leaves a
    truncated clip that looks finished. httpx drops Authorization on cross-origin redirects."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    ctx: dict[str, Any] = {"provider": provider, "model": model, "task_id": task_id}
    try:
        async with client.stream("GET", url, headers=headers, follow_redirects=True) as resp:
            if resp.status_code in (403, 404, 410):
                # Provider CDNs answer an expired signed URL with 403/404/410.
                raise OutputExpired(f"output URL no longer served (HTTP {resp.status_code})", **ctx)
            if resp.status_code >= 400:
                raise TransientProviderError(f"download failed: HTTP {resp.status_code}", **ctx)
            with partial.open("wb") as fh:
                async for chunk in resp.aiter_bytes():
                    fh.write(chunk)
        os.replace(partial, dest)
    except httpx.HTTPError as exc:
        raise TransientProviderError(f"download failed: {exc!r}", **ctx) from exc
    finally:
        partial.unlink(missing_ok=True)
    return dest
