"""The MiniMax sandbox on its own, spoken to with plain httpx: paths, auth, envelopes, state
spellings, body rules, file retrieval, expiry and the submit counter."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelforge.sandbox.minimax import MiniMaxSandbox, MiniMaxSandboxConfig

KEY = {"Authorization": "Bearer sandbox-minimax-key"}
V1 = {"model": "MiniMax-Hailuo-2.3", "prompt": "a boat", "duration": 6, "resolution": "768P"}
V2 = {"model": "MiniMax-H3", "content": [{"type": "text", "text": "a boat"}], "duration": 5}


@pytest.fixture
def mm() -> Iterator[MiniMaxSandbox]:
    config = MiniMaxSandboxConfig(queue_seconds=0.2, processing_seconds=0.2, url_ttl=0.8)
    with MiniMaxSandbox(config) as sbx:
        yield sbx


def poll_until(fn: Any, done: Any, timeout: float = 10) -> list[Any]:
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen.append(fn())
        if done(seen[-1]):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"not done: {seen[-1]}")


def test_v1_flow_states_and_file_retrieval(mm: MiniMaxSandbox) -> None:
    with httpx.Client(base_url=mm.base_url, headers=KEY) as c:
        created = c.post("/v1/video_generation", json=V1).json()
        assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}
        task_id = created["task_id"]
        seen = poll_until(
            lambda: c.get("/v1/query/video_generation", params={"task_id": task_id}).json(),
            lambda d: d["status"] in ("Success", "Fail"),
        )
        statuses = [d["status"] for d in seen]
        assert statuses[0] == "Preparing" and statuses[-1] == "Success"
        assert {"Queueing", "Processing"} <= set(statuses)
        file_id = seen[-1]["file_id"]
        file = c.get("/v1/files/retrieve", params={"file_id": file_id}).json()["file"]
        assert file["file_id"] == file_id and file["download_url"].startswith(mm.base_url)
        assert c.get(file["download_url"]).content[4:8] == b"ftyp"
        time.sleep(0.9)
        assert c.get(file["download_url"]).status_code == 403  # the URL expired
        missing = c.get("/v1/files/retrieve", params={"file_id": "nope"}).json()
        assert missing["base_resp"]["status_code"] == 2013
    assert mm.submits == 1


def test_v2_flow_usage_and_envelopes(mm: MiniMaxSandbox) -> None:
    with httpx.Client(base_url=mm.base_url, headers=KEY) as c:
        task_id = c.post("/v2/video_generation", json=V2).json()["task_id"]
        seen = poll_until(
            lambda: c.get(f"/v2/query/video_generation/{task_id}").json()["task"],
            lambda t: t["status"] == "succeeded",
        )
        assert seen[0]["status"] == "queued" and "running" in {t["status"] for t in seen}
        assert seen[-1]["usage"] == {"total_seconds": 5, "input_seconds": 0, "output_seconds": 5}
        assert seen[-1]["content"]["url"].startswith(mm.base_url)
        missing = c.get("/v2/query/video_generation/nope")
        assert missing.status_code == 404 and missing.json()["type"] == "error"


def test_auth_envelopes_per_version(mm: MiniMaxSandbox) -> None:
    with httpx.Client(base_url=mm.base_url) as c:
        v1 = c.post("/v1/video_generation", json=V1)
        assert v1.status_code == 200 and v1.json()["base_resp"]["status_code"] == 1004
        v2 = c.post("/v2/video_generation", json=V2, headers={"Authorization": "Bearer x"})
        assert v2.status_code == 401 and v2.json()["error"]["message"].endswith("(1004)")
        assert v2.json()["error"]["http_code"] == "401"
    assert not mm.book.tasks


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/v1/video_generation", {**V1, "duration": 10, "resolution": "1080P"}, "duration"),
        ("/v1/video_generation", {**V1, "resolution": "512P"}, "resolution"),
        ("/v1/video_generation", {**V1, "model": "nope"}, "model"),
        ("/v1/video_generation", {**V1, "ratio": "16:9"}, "unknown field"),
        ("/v1/video_generation", {**V1, "model": "I2V-01", "resolution": "720P"}, "first_frame"),
        ("/v2/video_generation", {**V2, "duration": 16}, "duration"),
        ("/v2/video_generation", {**V2, "resolution": "768P"}, "resolution"),
        ("/v2/video_generation", {**V2, "ratio": "adaptive"}, "adaptive"),
        (
            "/v2/video_generation",
            {
                **V2,
                "content": [
                    {"type": "text", "text": "x"},
                    {"type": "audio_url", "audio_url": {"url": "u"}, "role": "reference_audio"},
                ],
            },
            "reference_audio",
        ),
    ],
)
def test_body_rules_answer_2013(mm: MiniMaxSandbox, path: str, body: Any, needle: str) -> None:
    with httpx.Client(base_url=mm.base_url, headers=KEY) as c:
        resp = c.post(path, json=body)
    if path.startswith("/v1"):
        assert resp.status_code == 200
        base = resp.json()["base_resp"]
        assert base["status_code"] == 2013 and needle in base["status_msg"]
    else:
        assert resp.status_code == 400
        message = resp.json()["error"]["message"]
        assert message.endswith("(2013)") and needle in message
    assert mm.submits == 1 and not mm.book.tasks
