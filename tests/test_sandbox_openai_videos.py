"""Conformance: the official ``openai`` SDK drives the sandbox (create, retrieve, download,
list, remix, delete, errors), so the sandbox speaks the contract the SDK was generated from;
plus the sandbox's own multipart parsing."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import openai  # a dev dependency: the conformance proof must run, never skip
import pytest
from PIL import Image

from reelforge.sandbox.openai_videos import Fault, OpenAIVideosSandbox, OpenAIVideosSandboxConfig
from reelforge.sandbox.openai_videos_rules import IMAGE_MISMATCH, FilePart, parse_multipart

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Sora's shutdown notice


@pytest.fixture
def sbx() -> Iterator[OpenAIVideosSandbox]:
    config = OpenAIVideosSandboxConfig(processing_seconds=0.1, poll_after_ms=20)
    with OpenAIVideosSandbox(config) as server:
        yield server


@pytest.fixture
def client(sbx: OpenAIVideosSandbox) -> Any:
    # max_retries=0: the SDK retries 5xx/429 by itself, submits included.
    return openai.OpenAI(base_url=sbx.api_base, api_key=sbx.config.api_key, max_retries=0)


def png(w: int, h: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_sdk_create_poll_download(client: Any, tmp_path: Path) -> None:
    video = client.videos.create(
        prompt="a red kite",
        model="sora-2-pro",
        seconds="8",
        size="1792x1024",
        input_reference=("kite.png", png(1792, 1024), "image/png"),
    )
    assert (video.object, video.status, video.model) == ("video", "queued", "sora-2-pro")
    done = client.videos.poll(video.id)  # honours openai-poll-after-ms
    assert done.status == "completed" and done.progress == 100 and done.expires_at
    out = tmp_path / "kite.mp4"
    client.videos.download_content(video.id).write_to_file(out)
    with av.open(str(out)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 8 * 8  # 8 s at the sandbox's render fps
    thumb = client.videos.download_content(video.id, variant="thumbnail")
    assert thumb.content[:4] == b"RIFF"


def test_sdk_create_without_a_file_uses_defaults(client: Any, sbx: OpenAIVideosSandbox) -> None:
    video = client.videos.create(prompt="fog over a harbour")
    assert (video.model, video.seconds, video.size) == ("sora-2", "4", "720x1280")
    assert sbx.requests_to("/v1/videos")[0].headers["content-type"].startswith("multipart/")


def test_sdk_sees_contract_errors(client: Any, sbx: OpenAIVideosSandbox) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        client.videos.create(
            prompt="x", size="1280x720", input_reference=("a.png", png(64, 64), "image/png")
        )
    assert IMAGE_MISMATCH in str(bad.value) and bad.value.body["param"] == "input_reference"
    with pytest.raises(openai.BadRequestError) as mod:
        client.videos.create(prompt="a forbidden ritual")
    assert mod.value.code == "moderation_blocked"
    with pytest.raises(openai.BadRequestError):
        client.videos.create(prompt="x", seconds="5")
    sbx.inject(Fault(429, "rate_limit_exceeded", type="requests", retry_after=2))
    with pytest.raises(openai.RateLimitError) as limited:
        client.videos.create(prompt="x")
    assert limited.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve("video_missing")
    wrong = openai.OpenAI(base_url=sbx.api_base, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.videos.retrieve("video_missing")


def test_sdk_late_moderation(client: Any) -> None:
    video = client.videos.create_and_poll(prompt="a contraband crate")
    assert video.status == "failed" and video.error is not None
    assert video.error.code == "moderation_blocked"


def test_sdk_list_pages_remix_and_delete(client: Any) -> None:
    ids = []
    for i in range(5):
        ids.append(client.videos.create(prompt=f"shot {i}").id)
        time.sleep(0.002)
    page = client.videos.list(limit=2)
    assert len(page.data) == 2 and page.has_more
    assert [v.id for v in page] == ids[::-1]  # auto-paging follows `after`
    assert [v.id for v in client.videos.list(limit=2, order="asc")] == ids
    source = client.videos.poll(ids[0])
    remix = client.videos.remix(source.id, prompt="shot 0 at night")
    assert remix.remixed_from_video_id == source.id and remix.seconds == source.seconds
    deleted = client.videos.delete(ids[1])
    assert deleted.deleted and deleted.id == ids[1]
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(ids[1])


def test_submit_counter_counts_every_post(client: Any, sbx: OpenAIVideosSandbox) -> None:
    client.videos.create(prompt="one")
    with pytest.raises(openai.BadRequestError):
        client.videos.create(prompt="forbidden two")
    assert sbx.submit_count == 2 and sbx.submits["one"] == 1


def test_multipart_parser_keeps_binary_parts_intact() -> None:
    import httpx

    data = png(3, 2) + b"\r\n--not-a-boundary\r\n\x00\xff"
    files: dict[str, Any] = {
        "prompt": (None, "héllo"),
        "input_reference": ("f.png", data, "image/png"),
    }
    request = httpx.Request("POST", "http://x/", files=files)
    fields = parse_multipart(request.headers["content-type"], request.read())
    assert fields["prompt"] == "héllo"
    part = fields["input_reference"]
    assert isinstance(part, FilePart)
    assert (part.filename, part.content_type, part.data) == ("f.png", "image/png", data)
