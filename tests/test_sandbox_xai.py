"""The xAI sandbox on its own, spoken to with plain httpx: the wire contract a fake xAI must
reproduce (providers-2 §1.10) — JSON only, defaults, envelopes, state spellings, progress,
usage, edits ignoring duration/aspect, moderation, rate limits, expiry and the submit counter."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelforge.sandbox.xai import Fault, XaiSandbox, XaiSandboxConfig

KEY = {"Authorization": "Bearer xai-sandbox-key"}


@pytest.fixture
def sbx() -> Iterator[XaiSandbox]:
    with XaiSandbox(XaiSandboxConfig(queue_seconds=0.1, processing_seconds=0.4)) as server:
        yield server


def post(server: XaiSandbox, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
    kw.setdefault("headers", KEY)
    return httpx.post(f"{server.api_base}{path}", json=body, timeout=10, **kw)


def poll(server: XaiSandbox, rid: str) -> httpx.Response:
    return httpx.get(f"{server.api_base}/videos/{rid}", headers=KEY, timeout=10)


def until_done(server: XaiSandbox, rid: str) -> dict[str, Any]:
    deadline = time.time() + 20
    while time.time() < deadline:
        body = poll(server, rid).json()
        if body["status"] != "pending":
            return dict(body)
        time.sleep(0.03)
    raise AssertionError("job never finished")


def test_defaults_are_8_seconds_16_9_480p_and_billed_in_ticks(sbx: XaiSandbox) -> None:
    resp = post(sbx, "/videos/generations", {"model": "grok-imagine-video", "prompt": "a cat"})
    assert resp.status_code == 200 and list(resp.json()) == ["request_id"]
    rid = resp.json()["request_id"]
    first = poll(sbx, rid).json()
    assert first == {"status": "pending", "model": "grok-imagine-video", "progress": 0}
    progress = [first["progress"]]
    while (body := poll(sbx, rid).json())["status"] == "pending":
        progress.append(body["progress"])
        time.sleep(0.03)
    assert progress == sorted(progress) and max(progress) > 0
    assert body["status"] == "done" and body["progress"] == 100
    assert body["video"]["duration"] == 8 and body["video"]["respect_moderation"] is True
    assert body["usage"] == {"cost_in_usd_ticks": 4_000_000_000}  # 8 s x $0.05
    job = sbx.book.jobs[rid]
    assert (job.aspect_ratio, job.resolution) == ("16:9", "480p")
    assert httpx.get(body["video"]["url"], timeout=10).content[4:8] == b"ftyp"


def test_multipart_is_rejected(sbx: XaiSandbox) -> None:
    resp = httpx.post(
        f"{sbx.api_base}/videos/generations",
        headers=KEY,
        data={"model": "grok-imagine-video", "prompt": "a cat"},
        files={"image": ("f.png", b"x", "image/png")},
        timeout=10,
    )
    assert 400 <= resp.status_code < 500 and set(resp.json()) == {"code", "error"}
    assert not sbx.book.jobs


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"model": "grok-imagine-video", "prompt": "x", "duration": 16}, 400, "duration"),
        ({"model": "grok-imagine-video", "prompt": "x", "duration": "8"}, 400, "duration"),
        ({"model": "grok-imagine-video", "prompt": "x", "aspect_ratio": "21:9"}, 400, "aspect"),
        ({"model": "grok-imagine-video", "prompt": "x", "resolution": "1080p"}, 400, "1080p"),
        ({"model": "grok-imagine-video", "prompt": " "}, 400, "prompt"),
        ({"model": "grok-imagine-video", "prompt": "x", "seed": 3}, 400, "seed"),
        ({"model": "sora-2", "prompt": "x"}, 404, "does not exist"),
        (
            {
                "model": "grok-imagine-video",
                "prompt": "x",
                "image": {"url": "data:image/png;base64,AAAA"},
                "reference_images": [{"url": "data:image/png;base64,AAAA"}],
            },
            400,
            "together",
        ),
        (
            {
                "model": "grok-imagine-video",
                "prompt": "x",
                "reference_audios": [{"voice_id": "ara"}],
            },
            400,
            "reference_audios",
        ),
    ],
)
def test_generation_rules(
    sbx: XaiSandbox, body: dict[str, Any], status: int, fragment: str
) -> None:
    resp = post(sbx, "/videos/generations", body)
    assert resp.status_code == status and fragment in resp.json()["error"]


def test_auth_missing_is_401_and_wrong_is_400(sbx: XaiSandbox) -> None:
    body = {"model": "grok-imagine-video", "prompt": "a cat"}
    assert post(sbx, "/videos/generations", body, headers={}).status_code == 401
    wrong = post(sbx, "/videos/generations", body, headers={"Authorization": "Bearer nope-key"})
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "Client specified an invalid argument"
    assert "Incorrect API key" in wrong.json()["error"]


def test_edits_ignore_duration_and_aspect_and_extensions_add_time(sbx: XaiSandbox) -> None:
    rid = post(
        sbx, "/videos/generations", {"model": "grok-imagine-video", "prompt": "a", "duration": 5}
    )
    source = until_done(sbx, rid.json()["request_id"])["video"]["url"]
    edit = post(
        sbx,
        "/videos/edits",
        {
            "model": "grok-imagine-video",
            "prompt": "snow",
            "video": {"url": source},
            "duration": 12,
            "aspect_ratio": "9:16",
        },
    )
    assert edit.status_code == 200
    edited = until_done(sbx, edit.json()["request_id"])
    assert edited["video"]["duration"] == 5
    assert sbx.book.jobs[edit.json()["request_id"]].aspect_ratio == "16:9"
    ext = post(
        sbx,
        "/videos/extensions",
        {"model": "grok-imagine-video", "prompt": "on", "video": {"url": source}},
    )
    assert until_done(sbx, ext.json()["request_id"])["video"]["duration"] == 11  # default +6 s
    foreign = post(
        sbx,
        "/videos/edits",
        {
            "model": "grok-imagine-video",
            "prompt": "x",
            "video": {"url": "https://example.com/v.mp4"},
        },
    )
    assert foreign.status_code == 400
    too_long = post(
        sbx,
        "/videos/extensions",
        {"model": "grok-imagine-video", "prompt": "x", "video": {"url": source}, "duration": 11},
    )
    assert too_long.status_code == 400


def test_terminal_spellings_moderation_failure_and_expiry(sbx: XaiSandbox) -> None:
    def final(prompt: str) -> dict[str, Any]:
        resp = post(
            sbx,
            "/videos/generations",
            {"model": "grok-imagine-video", "prompt": prompt, "duration": 2},
        )
        return until_done(sbx, resp.json()["request_id"])

    blocked = final("contraband")
    assert blocked["status"] == "done" and blocked["video"]["url"] == ""
    assert blocked["video"]["respect_moderation"] is False
    assert blocked["usage"]["cost_in_usd_ticks"] == 1_000_000_000  # billed
    failed = final("meltdown")
    assert failed["status"] == "failed" and failed["error"]["code"] == "internal_error"
    assert failed["video"]["duration"] == 0
    assert final("stale")["status"] == "expired"
    refused = post(
        sbx, "/videos/generations", {"model": "grok-imagine-video", "prompt": "forbidden"}
    )
    assert refused.status_code == 400 and "content policy" in refused.json()["error"]
    assert sbx.submit_count == 4 and sbx.submits["forbidden"] == 1


def test_output_urls_expire_with_403() -> None:
    with XaiSandbox(XaiSandboxConfig(output_ttl=0.3)) as server:
        rid = post(
            server,
            "/videos/generations",
            {"model": "grok-imagine-video", "prompt": "a", "duration": 1},
        )
        url = until_done(server, rid.json()["request_id"])["video"]["url"]
        assert not url.startswith(server.base_url)  # served by the separate vidgen host
        assert httpx.get(url, timeout=10).status_code == 200
        time.sleep(0.35)
        assert httpx.get(url, timeout=10).status_code == 403


def test_rate_limit_and_scripted_faults(sbx: XaiSandbox) -> None:
    sbx.config.submits_per_minute = 1
    body = {"model": "grok-imagine-video", "prompt": "a"}
    assert post(sbx, "/videos/generations", body).status_code == 200
    limited = post(sbx, "/videos/generations", body)
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert limited.json()["code"] == "Some resource has been exhausted"
    sbx.inject(Fault(500, "Internal error", "Internal error", kind="poll"))
    rid = next(iter(sbx.book.jobs))
    assert poll(sbx, rid).status_code == 500
    assert poll(sbx, rid).status_code == 200
