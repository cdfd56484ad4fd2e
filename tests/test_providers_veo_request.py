"""ShotRequest → Veo wire body, without HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.providers import InvalidRequest
from reelforge.providers.veo import GeminiCredentials, VeoAdapter


def shot(**kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt="a fox", frames=96, fps=24, width=1280, height=720, model="previz"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture
def adapter() -> VeoAdapter:
    return VeoAdapter(credentials=GeminiCredentials("k"), base_url="http://127.0.0.1:9")


def png(tmp_path: Path, name: str = "f.png") -> Path:
    path = tmp_path / name
    Image.new("RGB", (32, 18), (1, 2, 3)).save(path)
    return path


def test_text_to_video_body_and_path(adapter: VeoAdapter) -> None:
    wire = adapter.build_request(shot(), {"model_name": "veo-3.1-fast-generate-preview"})
    assert wire.path == "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning"
    assert wire.method == "POST" and wire.provider == "google" and wire.idempotency_key is None
    assert wire.body == {
        "instances": [{"prompt": "a fox"}],
        "parameters": {
            "sampleCount": 1,
            "durationSeconds": 4,
            "aspectRatio": "16:9",
            "resolution": "720p",
        },
    }


@pytest.mark.parametrize(
    ("seconds", "sent"), [(1.0, 4), (4.0, 4), (4.2, 6), (6.0, 6), (7.5, 8), (8.0, 8)]
)
def test_durations_round_up_to_4_6_8(adapter: VeoAdapter, seconds: float, sent: int) -> None:
    wire = adapter.build_request(shot(frames=int(seconds * 24)))
    assert wire.body["parameters"]["durationSeconds"] == sent
    assert bool(wire.warnings) is (sent != seconds)


def test_too_long_is_refused_before_spending(adapter: VeoAdapter) -> None:
    with pytest.raises(InvalidRequest, match="longer than"):
        adapter.build_request(shot(frames=24 * 9))


@pytest.mark.parametrize(
    ("size", "aspect", "resolution"),
    [
        ((1280, 720), "16:9", "720p"),
        ((1920, 1080), "16:9", "1080p"),
        ((3840, 2160), "16:9", "4k"),
        ((720, 1280), "9:16", "720p"),
        ((1080, 1920), "9:16", "1080p"),
        ((640, 360), "16:9", "720p"),
        ((1000, 1000), "16:9", "1080p"),  # square: a tie goes to 16:9
    ],
)
def test_aspect_and_resolution_from_size(
    adapter: VeoAdapter, size: tuple[int, int], aspect: str, resolution: str
) -> None:
    params = adapter.build_request(shot(width=size[0], height=size[1])).body["parameters"]
    assert (params["aspectRatio"], params["resolution"]) == (aspect, resolution)


def test_options_override_and_map(adapter: VeoAdapter) -> None:
    options = {
        "model_name": "google/veo-3.1-generate-preview",
        "aspect_ratio": "9:16",
        "resolution": "4k",
        "duration": 8,
        "negative_prompt": "blur",
        "person_generation": "allow_adult",
        "enhance_prompt": False,
    }
    wire = adapter.build_request(shot(), options)
    assert wire.model == "veo-3.1-generate-preview"
    assert wire.body["parameters"] == {
        "sampleCount": 1,
        "durationSeconds": 8,
        "aspectRatio": "9:16",
        "resolution": "4k",
        "negativePrompt": "blur",
        "personGeneration": "allow_adult",
        "enhancePrompt": False,
    }


def test_catalogue_route_options_are_accepted(adapter: VeoAdapter) -> None:
    """RemoteGenerator passes model_name, mode and sound; Veo has no mode and always has sound."""
    wire = adapter.build_request(
        shot(seed=42), {"model_name": "veo-3.1-generate-preview", "mode": "std", "sound": False}
    )
    text = " ".join(wire.warnings)
    assert "no mode" in text and "always generates audio" in text and "no seed" in text
    assert "seed" not in wire.body["parameters"] and "generateAudio" not in wire.body["parameters"]


def test_unknown_option_fails_loudly(adapter: VeoAdapter) -> None:
    with pytest.raises(ValidationError):
        adapter.build_request(shot(), {"aspectratio": "16:9"})


def test_non_veo_model_falls_back_to_default(adapter: VeoAdapter) -> None:
    assert adapter.build_request(shot()).model == "veo-3.1-generate-preview"


def test_camera_dialogue_and_sound_go_into_the_prompt(adapter: VeoAdapter) -> None:
    request = shot(
        camera="dolly_in",
        dialogue=(TimedLine("Ana", "We're late.", 0.5, 1.5),),
        sound="rain on tin",
    )
    prompt = adapter.build_request(request).body["instances"][0]["prompt"]
    assert prompt == 'a fox Camera: dolly in. Ana says: "We\'re late." Sound: rain on tin.'


def test_last_frame_needs_first_frame(adapter: VeoAdapter, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequest, match="first frame"):
        adapter.build_request(shot(last_frame=png(tmp_path)))


def test_frames_exclude_references(adapter: VeoAdapter, tmp_path: Path) -> None:
    elements = (ElementRef("hero", references=(png(tmp_path, "r.png"),)),)
    wire = adapter.build_request(shot(first_frame=png(tmp_path), elements=elements))
    assert "referenceImages" not in wire.body["instances"][0]
    assert any("reference images dropped" in w for w in wire.warnings)


def test_not_an_image_is_refused(adapter: VeoAdapter, tmp_path: Path) -> None:
    bogus = tmp_path / "frame.png"
    bogus.write_bytes(b"GIF89a....")
    with pytest.raises(InvalidRequest, match="PNG, JPEG or WebP"):
        adapter.build_request(shot(first_frame=bogus))


def test_credentials_repr_hides_the_key() -> None:
    assert "secret" not in repr(GeminiCredentials("secret"))
