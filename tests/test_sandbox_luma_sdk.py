"""The Luma sandbox driven by the official ``lumaai`` SDK (1.21.0): the sandbox speaks the
paths, auth, shapes and states the SDK expects, with ``base_url`` meaning the same thing."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import lumaai
import pytest

from reelforge.sandbox.luma import LumaSandbox, LumaSandboxConfig


@pytest.fixture
def luma() -> Iterator[LumaSandbox]:
    with LumaSandbox(LumaSandboxConfig(queue_seconds=0.05, processing_seconds=0.1)) as sbx:
        yield sbx


def client_for(sbx: LumaSandbox, key: str | None = None) -> lumaai.LumaAI:
    return lumaai.LumaAI(auth_token=key or sbx.config.api_key, base_url=sbx.api_base, max_retries=0)


def wait(client: lumaai.LumaAI, gen_id: str | None) -> lumaai.types.Generation:
    assert gen_id, "the create answer carried no id"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        gen = client.generations.get(gen_id)
        if gen.state in ("completed", "failed"):
            return gen
        time.sleep(0.03)
    raise AssertionError("generation never finished")


def test_sdk_create_poll_download_list_delete(luma: LumaSandbox) -> None:
    client = client_for(luma)
    created = client.generations.video.create(
        model="ray-2", prompt="a lighthouse", aspect_ratio="9:16", duration="9s", resolution="540p"
    )
    assert created.id and created.state == "queued"
    done = wait(client, created.id)
    assert done.state == "completed" and done.assets and done.assets.video
    assert done.model == "ray-2" and getattr(done.request, "model", None) == "ray-2"
    video = httpx.get(done.assets.video)
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"

    ext = client.generations.video.create(
        model="ray-flash-2",
        prompt="it keeps turning",
        keyframes={"frame0": {"type": "generation", "id": created.id}},
    )
    assert wait(client, ext.id).state == "completed"
    listed = client.generations.list(limit=1)
    assert [g.id for g in listed.generations] == [ext.id] and listed.has_more

    client.generations.delete(created.id)
    with pytest.raises(lumaai.NotFoundError):
        client.generations.get(created.id)
    sent = luma.requests_to("/dream-machine/v1/generations/video")[0]
    assert sent.headers["authorization"] == f"Bearer {luma.config.api_key}"


def test_sdk_sees_errors_and_moderation(luma: LumaSandbox) -> None:
    with pytest.raises(lumaai.AuthenticationError):
        client_for(luma, "wrong").generations.video.create(model="ray-2", prompt="x")
    client = client_for(luma)
    with pytest.raises(lumaai.BadRequestError) as info:
        client.generations.video.create(model="ray-2", prompt="a forbidden thing")
    assert "moderation" in str(info.value)
    with pytest.raises(lumaai.UnprocessableEntityError):
        client.generations.video.create(model="ray-2", prompt="x", duration="7s")
    late = client.generations.video.create(model="ray-2", prompt="contraband")
    failed = wait(client, late.id)
    assert failed.state == "failed" and "moderation" in (failed.failure_reason or "")
    assert luma.submits == 3  # the unauthenticated POST is refused before it counts
