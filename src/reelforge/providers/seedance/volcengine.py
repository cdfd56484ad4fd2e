"""Seedance on Volcengine Ark, the China-region twin of BytePlus ModelArk (research §4.1): the
same ``/api/v3/contents/generations/tasks`` contract, Bearer key and error codes, on its own host
with ``doubao-`` model ids. Only the host, the key lookup and the default model differ.

The key is Ark's ``ARK_API_KEY``, as on BytePlus; ``VOLCENGINE_ARK_API_KEY`` is looked up first so
someone with both accounts can keep the two keys apart. ``REELFORGE_VOLCENGINE_BASE_URL``
overrides the host (origin plus ``/api/v3``, like the BytePlus override).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from ...generators.base import ShotRequest
from ..config import resolve_keys
from ..state import WireRequest
from .adapter import VOLCENGINE_BASE_URL, SeedanceAdapter
from .auth import SeedanceCredentials

KEY_NAME = "volcengine"  # `reel keys set volcengine`, REELFORGE_VOLCENGINE_BASE_URL
KEY_ENV_OPTIONS = (("VOLCENGINE_ARK_API_KEY",), ("ARK_API_KEY",))
DEFAULT_MODEL = "doubao-seedance-2-0-260128"  # the BytePlus default has a dreamina- id


def volcengine_credentials(env: Mapping[str, str] | None = None) -> SeedanceCredentials:
    found = resolve_keys(KEY_NAME, KEY_ENV_OPTIONS, env)
    return SeedanceCredentials(api_key=next(iter(found.values())))


class VolcengineSeedanceAdapter(SeedanceAdapter):
    # `provider` names the base-URL variable and labels errors: REELFORGE_VOLCENGINE_BASE_URL.
    provider: ClassVar[str] = KEY_NAME
    default_base_url: ClassVar[str] = VOLCENGINE_BASE_URL

    def __init__(
        self,
        *,
        credentials: SeedanceCredentials | None = None,
        base_url: str | None = None,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__(
            credentials=credentials or volcengine_credentials(),
            base_url=base_url,
            client=client,
            transport=transport,
            timeout=timeout,
        )

    def build_request(
        self,
        request: ShotRequest,
        options: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> WireRequest:
        opts = dict(options or {})
        if not opts.get("model_name") and "seedance" not in request.model:
            opts["model_name"] = DEFAULT_MODEL
        return super().build_request(request, opts, idempotency_key=idempotency_key)
