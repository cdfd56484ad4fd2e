"""The generic aggregator sandbox spoken to with plain HTTP: each profile's paths, auth scheme,
submit and poll shapes, status spellings, error envelopes, timing, URL expiry and counters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelforge.providers.aggregator import get_path, load_profiles
from reelforge.sandbox.aggregator import AggregatorSandbox, AggregatorSandboxConfig

NAMES = sorted(load_profiles())
MODEL = "kwaivgi/kling-v3.0-std/text-to-video"


@pytest.fixture(params=NAMES)
def sbx(request: pytest.FixtureRequest) -> Iterator[AggregatorSandbox]:
    cfg = AggregatorSandboxConfig(queue_seconds=0.15, processing_seconds=0.15)
    with AggregatorSandbox(request.param, cfg) as server:
        yield server


def auth(sbx: AggregatorSandbox, key: str | None = None) -> dict[str, str]:
    p = sbx.profile
    return {p.auth_header: f"{p.auth_scheme} {key or sbx.api_key}"}


def submit(sbx: AggregatorSandbox, body: dict[str, Any], **kw: Any) -> httpx.Response:
    p = sbx.profile
    path = p.submit_path.replace("{model}", MODEL)
    if p.model_field:
        body = {p.model_field: MODEL, **body}
    return httpx.post(sbx.base_url + path, json=body, headers=kw.get("headers", auth(sbx)))


def poll(sbx: AggregatorSandbox, task_id: str) -> httpx.Response:
    path = sbx.profile.poll_path.replace("{id}", task_id)
    return httpx.get(sbx.base_url + path, headers=auth(sbx))


def test_auth_is_checked_with_the_profiles_scheme(sbx: AggregatorSandbox) -> None:
    p = sbx.profile
    missing = submit(sbx, {"prompt": "x"}, headers={})
    wrong = submit(sbx, {"prompt": "x"}, headers=auth(sbx, "nope"))
    assert missing.status_code == wrong.status_code == 401
    assert get_path(wrong.json(), p.error_message_paths[0]) == "Invalid credentials"
    if p.envelope_code_path:  # the predictions family wraps errors as {code, message, data}
        assert wrong.json()[p.envelope_code_path] == 401
    assert sbx.submits == 0 and not sbx.book.tasks
    if p.name == "higgsfield":
        assert sbx.api_key.count(":") == 1 and p.auth_scheme == "Key"


def test_submit_and_poll_shapes_and_timing(sbx: AggregatorSandbox) -> None:
    p = sbx.profile
    resp = submit(sbx, {p.fields.prompt: "a lighthouse", p.fields.duration or "d": 5})
    assert resp.status_code == 200
    created = resp.json()
    task_id = get_path(created, p.id_path)
    assert task_id and get_path(created, p.status_path) == p.spelling("queued")
    if p.family == "queue":
        assert created["status_url"].endswith(f"/requests/{task_id}/status")
        assert created["cancel_url"].endswith(f"/requests/{task_id}/cancel")
    if p.envelope_code_path:
        assert created[p.envelope_code_path] == 200
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = poll(sbx, task_id).json()
        seen.append(get_path(body, p.status_path))
        if seen[-1] == p.spelling("succeeded"):
            break
        time.sleep(0.03)
    assert seen[0] == p.spelling("queued") and p.spelling("running") in seen
    assert seen[-1] == p.spelling("succeeded")
    out = get_path(body, p.output_path)
    url = out[0] if p.output_list else out
    video = httpx.get(url)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    assert sbx.submits == 1


def test_rejections_are_counted_and_shaped(sbx: AggregatorSandbox) -> None:
    p = sbx.profile
    blocked = submit(sbx, {p.fields.prompt: "a forbidden act"})
    empty = submit(sbx, {p.fields.prompt: ""})
    assert blocked.status_code == 400 and "moderation" in str(blocked.json())
    assert empty.status_code == 422
    assert sbx.submits == 2 and not sbx.book.tasks
    unknown = poll(sbx, "no-such-task")
    assert unknown.status_code == 404
    assert get_path(unknown.json(), p.error_message_paths[0])


def test_output_urls_expire() -> None:
    cfg = AggregatorSandboxConfig(url_ttl=0.2)
    with AggregatorSandbox("wavespeed", cfg) as sbx:
        resp = submit(sbx, {"prompt": "a lighthouse", "duration": 3})
        task_id = resp.json()["data"]["id"]
        url = poll(sbx, task_id).json()["data"]["outputs"][0]
        assert httpx.get(url).status_code == 200
        time.sleep(0.3)
        assert httpx.get(url).status_code == 403


def test_profile_output_ttl_is_the_default() -> None:
    with AggregatorSandbox("higgsfield") as sbx:
        resp = submit(sbx, {"prompt": "a lighthouse"})
        poll(sbx, resp.json()["request_id"])
        (published,) = sbx.files.values()
    assert published.expires_at is not None
    assert published.expires_at - time.time() == pytest.approx(7 * 24 * 3600, abs=60)


def test_env_points_at_the_sandbox() -> None:
    with AggregatorSandbox("higgsfield") as hf, AggregatorSandbox("aimlapi") as ai:
        assert hf.env() == {
            "REELFORGE_HIGGSFIELD_BASE_URL": hf.base_url,
            "HF_KEY": hf.api_key,
        }
        assert ai.env()["REELFORGE_AIMLAPI_BASE_URL"] == ai.base_url
        assert ai.env()["AIMLAPI_API_KEY"] == ai.api_key


def test_named_sandboxes_take_a_config_like_the_others() -> None:
    from reelforge.sandbox.aggregator import NAMED_SANDBOXES

    assert sorted(NAMED_SANDBOXES) == NAMES
    for name, cls in NAMED_SANDBOXES.items():
        with cls(AggregatorSandboxConfig(api_key="k:s" if name == "higgsfield" else "k")) as s:
            assert s.profile.name == name and s.api_key in ("k", "k:s")
            assert s.env()[s.profile.base_url_env] == s.base_url


def test_a_clip_asked_for_sound_carries_it(sbx: AggregatorSandbox, tmp_path: Any) -> None:
    """Where the profile has a sound field, a task asking for sound returns a clip with an
    audio track (the model's tone) and one that does not ask a silent clip; without a sound
    field every clip is silent."""
    from reelforge.media.probe import probe

    p = sbx.profile
    f = p.fields_for(MODEL)
    tracks = {}
    for wanted in (True, False):
        body = {f.prompt: "a storm", **({f.sound: wanted} if f.sound else {})}
        task_id = get_path(submit(sbx, body).json(), p.id_path)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            answer = poll(sbx, task_id).json()
            if get_path(answer, p.status_path) == p.spelling("succeeded"):
                break
            time.sleep(0.03)
        out = get_path(answer, p.output_path)
        clip = tmp_path / f"{wanted}.mp4"
        clip.write_bytes(httpx.get(out[0] if p.output_list else out).content)
        tracks[wanted] = probe(clip).audio_codec
    assert tracks == ({True: "aac", False: None} if f.sound else {True: None, False: None})
