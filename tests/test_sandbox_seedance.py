"""The Seedance sandbox's wire contract, spoken to with a plain HTTP client."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from reelforge.providers.seedance import dimensions, token_count
from reelforge.sandbox.seedance import Fault, SeedanceSandbox, SeedanceSandboxConfig

MODEL = "dreamina-seedance-2-0-260128"
TASKS = "/contents/generations/tasks"
BODY: dict[str, Any] = {
    "model": MODEL,
    "content": [{"type": "text", "text": "a kite"}],
    "ratio": "16:9",
    "resolution": "480p",
    "duration": 4,
}


def data_url() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (36, 64), (5, 5, 5)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def image(role: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_url()}, "role": role}


@pytest.fixture
def ark() -> Iterator[SeedanceSandbox]:
    with SeedanceSandbox(SeedanceSandboxConfig(queue_seconds=0.2, processing_seconds=0.2)) as sbx:
        yield sbx


def client(sbx: SeedanceSandbox) -> httpx.Client:
    auth = {"Authorization": f"Bearer {sbx.config.api_key}"}
    return httpx.Client(base_url=sbx.api_base, headers=auth)


def wait_done(http: httpx.Client, task_id: str) -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []
    for _ in range(300):
        got = http.get(f"{TASKS}/{task_id}").json()
        seen.append(got["status"])
        if got["status"] not in ("queued", "running"):
            return got, seen
        time.sleep(0.02)
    raise AssertionError("task never finished")


def test_lifecycle_states_usage_and_output(ark: SeedanceSandbox) -> None:
    with client(ark) as http:
        created = http.post(TASKS, json=BODY)
        assert created.status_code == 200 and set(created.json()) == {"id"}
        task_id = created.json()["id"]
        assert task_id.startswith("cgt-")
        got, seen = wait_done(http, task_id)
        assert seen[0] == "queued" and "running" in seen and got["status"] == "succeeded"
        tokens = token_count(*dimensions("480p", "16:9"), 4)
        assert got["usage"] == {"completion_tokens": tokens, "total_tokens": tokens}
        assert got["framespersecond"] == 24 and got["duration"] == 4
        assert got["resolution"] == "480p" and got["ratio"] == "16:9"
        video = httpx.get(got["content"]["video_url"])
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
        assert "last_frame_url" not in got["content"]
    assert ark.submits == 1 and ark.tokens_charged == tokens


def test_last_frame_url_when_asked(ark: SeedanceSandbox) -> None:
    body = {**BODY, "content": [*BODY["content"], image("first_frame")], "ratio": "adaptive"}
    with client(ark) as http:
        got, _ = wait_done(
            http, http.post(TASKS, json={**body, "return_last_frame": True}).json()["id"]
        )
    assert got["ratio"] == "9:16"  # adaptive: the 36x64 first frame
    assert httpx.get(got["content"]["last_frame_url"]).content.startswith(b"\x89PNG")


def test_auth_and_error_envelope(ark: SeedanceSandbox) -> None:
    resp = httpx.post(ark.api_base + TASKS, json=BODY)
    assert resp.status_code == 401
    err = resp.json()["error"]
    assert err["code"] == "AuthenticationError" and err["type"] == "Unauthorized"
    assert set(err) == {"code", "message", "param", "type"}
    wrong = httpx.get(ark.api_base + TASKS, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            [{"type": "text", "text": "x"}, image("first_frame"), image("reference_image")],
            "cannot be combined",
        ),
        ([{"type": "text", "text": "x"}, image("last_frame")], "requires first_frame"),
        ([{"type": "text", "text": "x"}, image("hero")], "unknown image role"),
        ([image("first_frame"), image("first_frame")], "at most one first_frame"),
        ([{"type": "text", "text": "x"}] + [image("reference_image")] * 10, "at most 9"),
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}], "URI"),
    ],
)
def test_content_rules(ark: SeedanceSandbox, content: list[Any], fragment: str) -> None:
    with client(ark) as http:
        resp = http.post(TASKS, json={**BODY, "content": content})
    assert resp.status_code == 400 and fragment in resp.json()["error"]["message"]
    assert resp.json()["error"]["code"].startswith("InvalidParameter")
    assert not ark.book.tasks


@pytest.mark.parametrize(
    ("patch", "status", "code"),
    [
        ({"model": "seedance-9"}, 404, "InvalidEndpointOrModel.NotFound"),
        ({"duration": 3}, 400, "InvalidParameter.duration"),
        ({"duration": "5"}, 400, "InvalidParameter.duration"),
        ({"resolution": "1080p"}, 400, "InvalidParameter.resolution"),
        ({"ratio": "2:1"}, 400, "InvalidParameter.ratio"),
        ({"service_tier": "cheap"}, 400, "InvalidParameter.service_tier"),
        ({"aspect_ratio": "16:9"}, 400, "InvalidParameter.aspect_ratio"),
        (
            {"model": "seedance-1-0-pro-250528", "generate_audio": True},
            400,
            "InvalidParameter.generate_audio",
        ),
        ({"content": []}, 400, "MissingParameter"),
    ],
)
def test_body_rules(ark: SeedanceSandbox, patch: dict[str, Any], status: int, code: str) -> None:
    with client(ark) as http:
        resp = http.post(TASKS, json={**BODY, **patch})
    assert (resp.status_code, resp.json()["error"]["code"]) == (status, code)


def test_moderation_at_submit_and_late(ark: SeedanceSandbox) -> None:
    with client(ark) as http:
        early = http.post(TASKS, json={**BODY, "content": [{"type": "text", "text": "Forbidden"}]})
        assert early.status_code == 400
        assert early.json()["error"]["code"] == "InputTextSensitiveContentDetected"
        late_body = {**BODY, "content": [{"type": "text", "text": "contraband"}]}
        got, _ = wait_done(http, http.post(TASKS, json=late_body).json()["id"])
    assert (
        got["status"] == "failed" and got["error"]["code"] == "OutputVideoSensitiveContentDetected"
    )
    assert got["usage"]["completion_tokens"] == 0 and "content" not in got


def test_injected_429_then_normal(ark: SeedanceSandbox) -> None:
    ark.inject(Fault(429, "RateLimitExceeded.EndpointRPMExceeded", retry_after=3))
    with client(ark) as http:
        limited = http.post(TASKS, json=BODY)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert limited.json()["error"]["type"] == "TooManyRequests"
        assert http.post(TASKS, json=BODY).status_code == 200
    assert ark.submits == 2 and len(ark.book.tasks) == 1


def test_cancel_and_delete() -> None:
    with SeedanceSandbox(SeedanceSandboxConfig(queue_seconds=30)) as sbx, client(sbx) as http:
        task_id = http.post(TASKS, json=BODY).json()["id"]
        assert http.delete(f"{TASKS}/{task_id}").json() == {}
        assert http.get(f"{TASKS}/{task_id}").json()["status"] == "cancelled"
        again = http.delete(f"{TASKS}/{task_id}")
        assert again.status_code == 400 and "cancelled" in again.json()["error"]["message"]
    with SeedanceSandbox() as sbx, client(sbx) as http:
        task_id = http.post(TASKS, json=BODY).json()["id"]
        wait_done(http, task_id)
        assert http.delete(f"{TASKS}/{task_id}").status_code == 200  # finished: record deleted
        assert http.get(f"{TASKS}/{task_id}").status_code == 404


def test_list_filters_and_pages(ark: SeedanceSandbox) -> None:
    with client(ark) as http:
        ids = [http.post(TASKS, json=BODY).json()["id"] for _ in range(3)]
        other = {**BODY, "model": "seedance-1-0-pro-250528", "resolution": "720p"}
        http.post(TASKS, json=other)
        page = http.get(TASKS, params={"page_size": 2, "filter.model": MODEL}).json()
        assert page["total"] == 3 and len(page["items"]) == 2
        assert {i["id"] for i in page["items"]} <= set(ids)
        one = http.get(TASKS, params={"filter.task_ids": ids[0]}).json()
        assert [i["id"] for i in one["items"]] == [ids[0]]
        assert "text" not in str(page["items"])  # prompts are not echoed
        bad = http.get(TASKS, params={"page_size": 0})
        assert bad.status_code == 400


def test_output_urls_expire() -> None:
    with SeedanceSandbox(SeedanceSandboxConfig(url_ttl=0.3)) as sbx, client(sbx) as http:
        got, _ = wait_done(http, http.post(TASKS, json=BODY).json()["id"])
        url = got["content"]["video_url"]
        assert httpx.get(url).status_code == 200
        time.sleep(0.35)
        assert httpx.get(url).status_code == 403


def test_unfinished_tasks_expire() -> None:
    config = SeedanceSandboxConfig(processing_seconds=5, max_execution_seconds=0.1)
    with SeedanceSandbox(config) as sbx, client(sbx) as http:
        got, _ = wait_done(http, http.post(TASKS, json=BODY).json()["id"])
    assert got["status"] == "expired"
