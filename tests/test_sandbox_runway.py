"""The Runway sandbox driven by the official ``runwayml`` SDK (proof of the real wire format:
paths, headers, camelCase bodies, task envelopes and error statuses), plus sandbox behaviour."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import runwayml
from PIL import Image
from runwayml.types.task_retrieve_response import Cancelled, Failed, Pending, Running, Succeeded

from reelforge.sandbox.runway import Fault, RunwaySandbox, RunwaySandboxConfig


@pytest.fixture
def rw() -> Iterator[RunwaySandbox]:
    with RunwaySandbox(RunwaySandboxConfig(queue_seconds=0.05, processing_seconds=0.1)) as sbx:
        yield sbx


def client(sbx: RunwaySandbox, key: str | None = None) -> runwayml.RunwayML:
    return runwayml.RunwayML(
        api_key=key or sbx.config.api_key, base_url=sbx.base_url, max_retries=0
    )


def until_terminal(sdk: runwayml.RunwayML, task_id: str) -> Any:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task = sdk.tasks.retrieve(task_id)
        if task.status in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return task
        time.sleep(0.03)
    raise AssertionError("task never finished")


def data_uri(color: tuple[int, int, int]) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (64, 36), color).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_sdk_text_to_video_round_trip(rw: RunwaySandbox) -> None:
    sdk = client(rw)
    created = sdk.text_to_video.create(
        model="gen4.5", prompt_text="a lighthouse", ratio="1280:720", duration=5, seed=9
    )
    first = sdk.tasks.retrieve(created.id)
    assert isinstance(first, Pending) and first.estimated_cost.credits == 60.0
    task = until_terminal(sdk, created.id)
    assert isinstance(task, Succeeded) and task.cost.credits == 60
    video = httpx.get(task.output[0])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    sent = rw.requests_to("/v1/text_to_video")[0]
    assert sent.json() == {
        "model": "gen4.5",
        "promptText": "a lighthouse",
        "ratio": "1280:720",
        "duration": 5,
        "seed": 9,
    }
    assert sent.headers["x-runway-version"] == "2024-11-06"
    assert sent.headers["authorization"] == f"Bearer {rw.config.api_key}"
    assert rw.submits == 1


def test_sdk_image_to_video_first_and_last(rw: RunwaySandbox) -> None:
    sdk = client(rw)
    created = sdk.image_to_video.create(
        model="veo3.1",
        prompt_image=[
            {"uri": data_uri((255, 0, 0)), "position": "first"},
            {"uri": data_uri((0, 0, 255)), "position": "last"},
        ],
        prompt_text="a ball rolls",
        ratio="1280:720",
        duration=4,
        audio=True,
    )
    task = until_terminal(sdk, created.id)
    assert isinstance(task, Succeeded) and task.cost.credits == 160


def test_sdk_sees_moderation_failure_codes(rw: RunwaySandbox) -> None:
    sdk = client(rw)
    early = until_terminal(
        sdk,
        sdk.text_to_video.create(
            model="gen4.5", prompt_text="forbidden", ratio="1280:720", duration=2
        ).id,
    )
    late = until_terminal(
        sdk,
        sdk.text_to_video.create(
            model="gen4.5", prompt_text="contraband", ratio="1280:720", duration=2
        ).id,
    )
    assert isinstance(early, Failed) and early.failure_code == "SAFETY.INPUT.TEXT"
    assert isinstance(late, Failed) and late.failure_code == "SAFETY.OUTPUT.VIDEO"
    assert early.cost.credits == 0 and late.cost.credits == 0


def test_sdk_cancel_and_delete(rw: RunwaySandbox) -> None:
    sdk = client(rw)
    rw.book.config.queue_seconds = 5.0
    live = sdk.text_to_video.create(model="gen4.5", prompt_text="x", ratio="720:1280", duration=3)
    sdk.tasks.delete(live.id)
    assert isinstance(sdk.tasks.retrieve(live.id), Cancelled)
    sdk.tasks.delete(live.id)  # a terminal task is deleted
    with pytest.raises(runwayml.NotFoundError):
        sdk.tasks.retrieve(live.id)


def test_sdk_errors_by_status(rw: RunwaySandbox) -> None:
    with pytest.raises(runwayml.AuthenticationError):
        client(rw, "wrong").tasks.retrieve("nope")
    sdk = client(rw)
    with pytest.raises(runwayml.BadRequestError) as info:
        bad: dict[str, Any] = {"ratio": "960:960"}  # not a T2V ratio for gen4.5
        sdk.text_to_video.create(model="gen4.5", prompt_text="x", duration=5, **bad)
    assert info.value.body["issues"][0]["path"] == ["ratio"]  # type: ignore[index]
    rw.inject(Fault(429, "Too many requests", retry_after=1))
    with pytest.raises(runwayml.RateLimitError):
        sdk.text_to_video.create(model="gen4.5", prompt_text="x", ratio="1280:720", duration=5)
    assert rw.submits == 2  # the 400 and the 429 (max_retries=0): counted, none created
    assert not rw.book.tasks


def test_sdk_base_url_from_env(rw: RunwaySandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWAYML_BASE_URL", rw.base_url)  # the same value as ours: host only
    monkeypatch.setenv("RUNWAYML_API_SECRET", rw.config.api_key)
    sdk = runwayml.RunwayML(max_retries=0)
    created = sdk.image_to_video.create(
        model="gen4_turbo", prompt_image=data_uri((0, 255, 0)), ratio="960:960", duration=2
    )
    assert isinstance(until_terminal(sdk, created.id), Succeeded)


def test_throttled_state_and_progress() -> None:
    config = RunwaySandboxConfig(processing_seconds=0.4, max_concurrent=1)
    with RunwaySandbox(config) as sbx:
        sdk = client(sbx)
        a = sdk.text_to_video.create(model="gen4.5", prompt_text="a", ratio="1280:720", duration=2)
        b = sdk.text_to_video.create(model="gen4.5", prompt_text="b", ratio="1280:720", duration=2)
        running = sdk.tasks.retrieve(a.id)
        assert isinstance(running, Running) and 0 <= running.progress <= 1
        assert sdk.tasks.retrieve(b.id).status == "THROTTLED"
        assert isinstance(until_terminal(sdk, b.id), Succeeded)
