"""Kling lip sync through the adapter: request shape, refusals before any HTTP call, error codes,
re-attach by external_task_id, and a full run over loopback HTTP on a video the sandbox made."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import pytest

from kling_helpers import _no_real_keys, adapter_for, kling, offline  # noqa: F401 (fixtures)
from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    ConcurrencyLimited,
    InvalidRequest,
    KlingAdapter,
    ModerationRejected,
    Succeeded,
    TransientProviderError,
)
from reelforge.providers.kling import LipSyncInput
from reelforge.sandbox import Fault, KlingSandbox

T = TypeVar("T")
URL = "https://cdn.example/take.mp4"
VOICE = {"text": "We sail at dawn.", "voice_id": "oversea_male1"}


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def make_video(adapter: KlingAdapter) -> Succeeded:
    """A finished Kling text-to-video task to lip-sync."""
    request = ShotRequest("s1", "a sailor at the rail", 192, 24, 1280, 720, model="kling-v3")
    handle = await adapter.submit(adapter.build_request(request, idempotency_key="source"))
    state = await adapter.wait(handle, interval=0.02, timeout=30)
    assert isinstance(state, Succeeded), state
    return state


# -- request shape ---------------------------------------------------------------------------


def test_text_and_voice_request(offline: KlingAdapter) -> None:
    wire = offline.build_lipsync_request(
        {"video_url": URL, **VOICE, "voice_speed": 1.2}, idempotency_key="ls-1"
    )
    assert (wire.route, wire.path, wire.method) == ("lip-sync", "/v1/videos/lip-sync", "POST")
    assert wire.body == {
        "input": {
            "video_url": URL,
            "mode": "text2video",
            "text": "We sail at dawn.",
            "voice_id": "oversea_male1",
            "voice_language": "en",
            "voice_speed": 1.2,
        },
        "external_task_id": "ls-1",
    }
    assert wire.idempotency_key == "ls-1"


def test_audio_file_and_audio_url_requests(offline: KlingAdapter, tmp_path: Path) -> None:
    audio = tmp_path / "line.mp3"
    audio.write_bytes(b"ID3" + bytes(range(200)))
    wire = offline.build_lipsync_request(LipSyncInput(video_id="v42", audio_path=audio))
    given = wire.body["input"]
    assert (given["video_id"], given["mode"], given["audio_type"]) == ("v42", "audio2video", "file")
    assert base64.b64decode(given["audio_file"]) == audio.read_bytes()
    by_url = offline.build_lipsync_request(
        {"video_id": "v42", "audio_url": "https://a.example/x.wav"}
    )
    assert by_url.body["input"]["audio_type"] == "url" and "audio_file" not in by_url.body["input"]
    assert by_url.body["external_task_id"].startswith("rf-")


def test_from_video_prefers_the_kling_video_id(kling: KlingSandbox) -> None:
    async def go() -> Succeeded:
        async with adapter_for(kling) as adapter:
            return await make_video(adapter)

    state = run(go())
    source = LipSyncInput.from_video(state, **VOICE)
    assert (
        source.video_id == state.raw["task_result"]["videos"][0]["id"] and source.video_url is None
    )
    bare = Succeeded(state.handle, raw={}, outputs=state.outputs)
    assert LipSyncInput.from_video(bare, **VOICE).video_url == state.outputs[0].url


# -- refusals before any HTTP call -----------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        {**VOICE},  # no video
        {"video_id": "v", "video_url": URL, **VOICE},  # two videos
        {"video_url": URL, "text": "hi"},  # text without a voice
        {"video_url": URL, **VOICE, "audio_url": URL},  # text and audio
        {"video_url": URL},  # nothing to say
        {"video_url": URL, "text": "x" * 121, "voice_id": "v"},  # over 120 characters
        {"video_url": URL, **VOICE, "voice_speed": 2.5},
        {"video_url": URL, **VOICE, "lang": "en"},  # unknown field
    ],
)
def test_invalid_inputs_are_refused(offline: KlingAdapter, given: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        offline.build_lipsync_request(given)


def test_refusals_happen_before_any_http_call(kling: KlingSandbox, tmp_path: Path) -> None:
    ogg = tmp_path / "line.ogg"
    ogg.write_bytes(b"OggS")
    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * (5 * 1024 * 1024 + 1))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"video_url": "file:///take.mp4", **VOICE}, "http(s) URL"),
        ({"video_url": URL, "audio_path": ogg}, ".mp3"),
        ({"video_url": URL, "audio_path": big}, "5 MB"),
    ]

    async def attempt(given: dict[str, Any]) -> None:
        async with adapter_for(kling) as adapter:
            await adapter.lip_sync(given, interval=0.02)

    for given, words in cases:
        with pytest.raises(InvalidRequest, match=re.escape(words)):
            run(attempt(given))
    assert kling.log == [] and not kling.submits


# -- over loopback HTTP ----------------------------------------------------------------------


def test_lip_sync_a_kling_video_end_to_end(kling: KlingSandbox, tmp_path: Path) -> None:
    async def go() -> tuple[Succeeded, Any, list[Path]]:
        async with adapter_for(kling) as adapter:
            made = await make_video(adapter)
            state = await adapter.lip_sync(
                LipSyncInput.from_video(made, **VOICE), idempotency_key="ls-e2e", interval=0.02
            )
            assert isinstance(state, Succeeded), state
            return made, state, await adapter.download(state, tmp_path)

    made, state, paths = run(go())
    task = kling.book.tasks[state.handle.task_id]
    assert task.route == "lip-sync" and state.handle.route == "lip-sync"
    assert task.body["input"]["video_id"] == made.raw["task_result"]["videos"][0]["id"]
    assert state.outputs[0].duration == 8.0  # the source video's length
    assert state.charge == Decimal("0.8")  # final_unit_deduction: 0.1 u/s x 8 s
    assert paths[0].stat().st_size > 0 and kling.submits["ls-e2e"] == 1


def test_same_key_reattaches_instead_of_resubmitting(kling: KlingSandbox) -> None:
    async def go() -> tuple[str, str]:
        async with adapter_for(kling) as adapter:
            a = await adapter.lip_sync(
                {"video_url": URL, **VOICE}, idempotency_key="ls-k", interval=0.02
            )
            b = await adapter.lip_sync(
                {"video_url": URL, **VOICE}, idempotency_key="ls-k", interval=0.02
            )
            return a.handle.task_id, b.handle.task_id

    first, second = run(go())
    assert first == second and kling.submits["ls-k"] == 1
    assert len(kling.requests_to("/v1/videos/lip-sync/ls-k")) >= 2  # looked up by key first


def test_error_codes_on_the_lip_sync_endpoint(kling: KlingSandbox) -> None:
    async def submit(given: dict[str, Any]) -> None:
        async with adapter_for(kling) as adapter:
            await adapter.submit(adapter.build_lipsync_request(given))

    with pytest.raises(InvalidRequest, match="video_id not found") as info:
        run(submit({"video_id": "never-made", **VOICE}))
    assert info.value.code == 1201 and info.value.model == "kling-lip-sync"
    with pytest.raises(ModerationRejected):
        run(submit({"video_url": URL, "text": "a forbidden word", "voice_id": "v"}))
    kling.inject(Fault(429, 1303, "parallel task over resource pack limit"))
    with pytest.raises(ConcurrencyLimited):
        run(submit({"video_url": URL, **VOICE}))
    kling.inject(Fault(503, 5001, "unavailable", kind="query"))

    async def poll_once() -> None:
        async with adapter_for(kling) as adapter:
            handle = await adapter.submit(
                adapter.build_lipsync_request({"video_url": URL, **VOICE})
            )
            await adapter.poll(handle)

    with pytest.raises(TransientProviderError):
        run(poll_once())
    assert kling.requests_to("/v1/videos/lip-sync/")
