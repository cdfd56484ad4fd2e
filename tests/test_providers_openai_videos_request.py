"""ShotRequest → OpenAI videos form, and the error table, without any HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pydantic import ValidationError

from reelforge.generators.base import ShotRequest
from reelforge.providers import (
    AuthError,
    InvalidRequest,
    ModerationRejected,
    QuotaExceeded,
    RateLimited,
    TransientProviderError,
)
from reelforge.providers.openai_videos import (
    CODE_TABLE,
    OpenAIVideosAdapter,
    error_for,
    fit_image,
    nearest_size,
)
from reelforge.providers.openai_videos.codes import retry_after


def shot(**kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt="a lighthouse", frames=96, fps=24, width=1280, height=720
    )
    base.update(kw)
    return ShotRequest(**base)


@pytest.fixture
def adapter() -> OpenAIVideosAdapter:
    return OpenAIVideosAdapter(api_key="k", base_url="http://127.0.0.1:9/v1")


@pytest.mark.parametrize(
    ("model", "frames", "seconds"),
    [
        ("sora-2", 24, "4"),
        ("sora-2", 96, "4"),
        ("sora-2", 97, "8"),
        ("sora-2-pro", 240, "12"),
        ("grok-imagine-video", 170, "8"),
        ("grok-imagine-video", 24, "1"),
    ],
)
def test_seconds_round_up_to_allowed(
    adapter: OpenAIVideosAdapter, model: str, frames: int, seconds: str
) -> None:
    wire = adapter.build_request(shot(frames=frames), {"model_name": model})
    assert wire.body["seconds"] == seconds and wire.model == model


def test_too_long_is_refused_before_spending(adapter: OpenAIVideosAdapter) -> None:
    with pytest.raises(InvalidRequest, match="longer than sora-2"):
        adapter.build_request(shot(frames=13 * 24))


@pytest.mark.parametrize(
    ("model", "w", "h", "size"),
    [
        ("sora-2", 1920, 1080, "1280x720"),
        ("sora-2", 1080, 1920, "720x1280"),
        ("sora-2", 1000, 1000, "1280x720"),  # square has no sora size: nearest aspect wins
        ("sora-2-pro", 1792, 1024, "1792x1024"),
        ("sora-2-pro", 1280, 720, "1280x720"),
        ("sora-2-pro", 1920, 1080, "1792x1024"),  # within 2% of 16:9, and more pixels
        ("grok-imagine-video", 640, 360, "848x480"),
        ("grok-imagine-video", 512, 512, "480x480"),
    ],
)
def test_nearest_size(model: str, w: int, h: int, size: str) -> None:
    assert nearest_size(model, w, h, []) == size


def test_wire_body_and_warnings(adapter: OpenAIVideosAdapter, tmp_path: Path) -> None:
    last = tmp_path / "l.png"
    Image.new("RGB", (8, 8)).save(last)
    request = shot(
        camera="pan_left", sound="waves", seed=3, last_frame=last, width=1920, height=1080
    )
    wire = adapter.build_request(request, {"model_name": "sora-2", "mode": "pro", "sound": False})
    assert wire.path == "/videos" and wire.route == "create" and wire.method == "POST"
    assert wire.body == {
        "prompt": "a lighthouse Camera: pan left. Sound: waves.",
        "model": "sora-2",
        "seconds": "4",
        "size": "1280x720",
    }
    text = " ".join(wire.warnings)
    for word in ("mode", "always generates audio", "seed", "last frame", "1920x1080"):
        assert word in text
    again = adapter.build_request(request, {"model_name": "sora-2", "mode": "pro"})
    assert again.idempotency_key == wire.idempotency_key  # the fingerprint is stable


def test_catalogue_options_are_accepted(adapter: OpenAIVideosAdapter) -> None:
    """What RemoteGenerator passes for a sora-2 route (no mode, audio always)."""
    wire = adapter.build_request(shot(model="ignored"), {"model_name": "sora-2-pro"})
    assert wire.model == "sora-2-pro"


def test_typo_in_options_fails_loudly(adapter: OpenAIVideosAdapter) -> None:
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"secs": 4})


def test_first_frame_is_cover_cropped_to_exactly_the_size(tmp_path: Path) -> None:
    img = tmp_path / "wide.png"
    Image.new("RGB", (1000, 200), (10, 200, 10)).save(img)
    import io

    with Image.open(io.BytesIO(fit_image(img, "720x1280"))) as out:
        assert out.size == (720, 1280) and out.getpixel((360, 640)) == (10, 200, 10)


def test_remix_route(adapter: OpenAIVideosAdapter, tmp_path: Path) -> None:
    first = tmp_path / "f.png"
    Image.new("RGB", (8, 8)).save(first)
    wire = adapter.build_request(shot(first_frame=first), {"remix_video_id": "video_1"})
    assert (wire.route, wire.path, wire.body) == (
        "remix",
        "/videos/video_1/remix",
        {"prompt": "a lighthouse"},
    )
    assert any("first frame dropped" in w for w in wire.warnings)
    assert adapter.send_kwargs(wire) == {"json": {"prompt": "a lighthouse"}}


def test_every_code_maps_to_its_class() -> None:
    for code, cls in CODE_TABLE.items():
        err = error_for(400, {"error": {"message": "m", "type": "x", "code": code}})
        assert isinstance(err, cls), code


@pytest.mark.parametrize(
    ("status", "payload", "cls"),
    [
        (401, {"error": {"message": "no key", "type": "invalid_request_error"}}, AuthError),
        (400, {"error": {"message": "Blocked by our safety system"}}, ModerationRejected),
        (429, {"error": {"message": "quota", "type": "insufficient_quota"}}, QuotaExceeded),
        (402, {"error": "payment required"}, QuotaExceeded),
        (502, "<html>bad gateway</html>", TransientProviderError),
        (429, {}, RateLimited),
    ],
)
def test_error_fallbacks(status: int, payload: Any, cls: type) -> None:
    assert type(error_for(status, payload)) is cls


def test_retry_after_headers() -> None:
    assert retry_after(httpx.Headers({"retry-after": "20"})) == 20.0
    assert retry_after(httpx.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    assert retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"})) is None
