"""The fal sandbox's wire contract: plain HTTP, and the official fal-client SDK as the oracle.

fal-client 1.0.3 builds queue URLs as ``f"https://{FAL_QUEUE_RUN_HOST}/"`` once, at import, so
neither its env knob nor any argument can point it at a plain-HTTP loopback server; the test
swaps the module's ``QUEUE_URL_FORMAT`` constant (the one place the SDK reads it) instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import fal_client
import fal_client.client
import httpx
import pytest

from reelforge.sandbox.fal import FalFault, FalSandbox, FalSandboxConfig

ENDPOINT = "fal-ai/kling-video/v3/standard/text-to-video"
BODY: dict[str, Any] = {"prompt": "a kite over dunes", "duration": "3"}


@pytest.fixture
def fal() -> Iterator[FalSandbox]:
    with FalSandbox(FalSandboxConfig(queue_seconds=0.1, processing_seconds=0.1)) as sbx:
        yield sbx


def key(sbx: FalSandbox) -> dict[str, str]:
    return {"Authorization": f"Key {sbx.config.api_key}"}


def test_submit_envelope_and_lifecycle(fal: FalSandbox) -> None:
    with httpx.Client(base_url=fal.base_url, headers=key(fal)) as http:
        sub = http.post(f"/{ENDPOINT}", json=BODY).json()
        rid = sub["request_id"]
        base = f"{fal.base_url}/fal-ai/kling-video/requests/{rid}"  # owner/alias only
        assert sub["status_url"] == base + "/status" and sub["response_url"] == base
        assert sub["cancel_url"] == base + "/cancel"
        assert http.get(sub["status_url"]).json()["status"] == "IN_QUEUE"
        assert http.get(sub["response_url"]).status_code == 400  # not done yet
        seen = set()
        for _ in range(200):
            status = http.get(sub["status_url"]).json()
            seen.add(status["status"])
            if status["status"] == "COMPLETED":
                break
            time.sleep(0.02)
        assert {"IN_QUEUE", "IN_PROGRESS", "COMPLETED"} <= seen and "error" not in status
        video = http.get(sub["response_url"]).json()["video"]
        assert http.get(video["url"]).headers["content-type"] == "video/mp4"
    assert fal.submits == 1


def test_auth_validation_and_faults(fal: FalSandbox) -> None:
    with httpx.Client(base_url=fal.base_url) as http:
        assert http.post(f"/{ENDPOINT}", json=BODY).status_code == 401
        wrong = http.post(f"/{ENDPOINT}", json=BODY, headers={"Authorization": "Bearer x"})
        assert wrong.status_code == 401 and "detail" in wrong.json()
        bad = http.post(f"/{ENDPOINT}", json={"prompt": "x", "duration": 5}, headers=key(fal))
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "duration"]
        assert http.post("/fal-ai/nope/x", json=BODY, headers=key(fal)).status_code == 404
        fal.inject(FalFault(429, "Too many requests", retry_after=3))
        limited = http.post(f"/{ENDPOINT}", json=BODY, headers=key(fal))
        assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert fal.submits == 3  # every authenticated POST counts, whatever the outcome


def test_completed_with_error_and_422_result(fal: FalSandbox) -> None:
    with httpx.Client(base_url=fal.base_url, headers=key(fal)) as http:
        sub = http.post(f"/{ENDPOINT}", json={**BODY, "prompt": "contraband"}).json()
        for _ in range(200):
            status = http.get(sub["status_url"]).json()
            if status["status"] == "COMPLETED":
                break
            time.sleep(0.02)
        assert status["error_type"] == "content_policy_violation"
        result = http.get(sub["response_url"])
        assert result.status_code == 422
        assert result.json()["detail"][0]["type"] == "content_policy_violation"


def test_official_sdk_drives_the_sandbox(fal: FalSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fal_client.client, "QUEUE_URL_FORMAT", fal.base_url + "/")
    client = fal_client.SyncClient(key=fal.config.api_key)
    handle = client.submit(ENDPOINT, BODY)
    assert handle.request_id in fal.jobs
    statuses = list(handle.iter_events(interval=0.02))
    assert isinstance(statuses[-1], fal_client.Completed) and statuses[-1].error is None
    result = handle.get()
    assert result["video"]["url"].startswith(fal.base_url + "/files/")
    (sent,) = [r for r in fal.log if r.method == "POST"]
    assert sent.headers["authorization"] == f"Key {fal.config.api_key}"
    assert sent.json() == BODY

    late = client.submit(ENDPOINT, {**BODY, "prompt": "contraband"})
    with pytest.raises(fal_client.client.FalClientHTTPError) as info:
        late.get()
    assert info.value.status_code == 422

    queued = client.submit(ENDPOINT, BODY)
    queued.cancel()
    assert fal.jobs[queued.request_id].canceled
