"""ShotRequest → Kling wire body, and Kling's JWT, without any server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

from reelforge.generators.base import ShotRequest, TimedLine
from reelforge.providers import InvalidRequest, KlingAdapter, KlingCredentials
from reelforge.providers.kling import CAMERA_CONTROL, encode_jwt
from reelforge.sandbox.kling_rules import check_auth, check_body


def shot(**kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt="a fox", frames=96, fps=24, width=1280, height=720, model="kling-v3"
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture
def adapter() -> KlingAdapter:
    return KlingAdapter(base_url="http://127.0.0.1:9", credentials=KlingCredentials(api_key="k"))


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_jwt_shape_and_signature() -> None:
    token = encode_jwt("ak", "sk", now=1_000_000)
    head, claims, sig = token.split(".")
    assert json.loads(_unb64(head)) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(_unb64(claims)) == {"iss": "ak", "exp": 1_001_800, "nbf": 999_995}
    want = hmac.new(b"sk", f"{head}.{claims}".encode(), hashlib.sha256).digest()
    assert _unb64(sig) == want


def _code(token: str | None) -> int | None:
    header = None if token is None else f"Bearer {token}"
    problem = check_auth(header, access_key="ak", secret_key="sk", api_key=None)
    return None if problem is None else problem[1]


def test_sandbox_rejects_bad_expired_and_future_tokens() -> None:
    assert _code(encode_jwt("ak", "sk")) is None
    assert _code(encode_jwt("ak", "sk", now=0)) == 1004  # expired
    assert _code(encode_jwt("ak", "sk", now=4e9)) == 1003  # not yet valid
    assert _code(None) == 1001  # no header
    assert _code(encode_jwt("other", "sk")) == 1000  # unknown access key
    assert _code(encode_jwt("ak", "wrong")) == 1000  # bad signature
    assert _code("not.a-jwt") == 1002


def test_t2v_body(adapter: KlingAdapter) -> None:
    wire = adapter.build_request(
        shot(), {"negative_prompt": "blur", "cfg_scale": 0.4}, idempotency_key="job-1"
    )
    assert (wire.method, wire.path, wire.route) == ("POST", "/v1/videos/text2video", "text2video")
    assert wire.body["external_task_id"] == "job-1" == wire.idempotency_key
    assert wire.body["duration"] == "4" and wire.body["aspect_ratio"] == "16:9"
    assert wire.body["negative_prompt"] == "blur" and wire.body["cfg_scale"] == 0.4
    assert check_body("text2video", wire.body) is None  # the sandbox accepts what we build


def test_duration_rounds_up_and_warns(adapter: KlingAdapter) -> None:
    wire = adapter.build_request(shot(frames=100))  # 4.17 s
    assert wire.body["duration"] == "5"
    assert any("sent as 5 s" in w for w in wire.warnings)
    old = adapter.build_request(shot(frames=144, model="kling-v2-6"))  # 6 s on a 5/10 model
    assert old.body["duration"] == "10"


def test_idempotency_key_generated_when_absent(adapter: KlingAdapter) -> None:
    one, two = adapter.build_request(shot()), adapter.build_request(shot())
    assert one.idempotency_key and one.idempotency_key != two.idempotency_key


def test_camera_words_go_into_the_prompt_by_default(adapter: KlingAdapter) -> None:
    wire = adapter.build_request(shot(camera="pan_left"))
    assert "camera_control" not in wire.body
    assert wire.body["prompt"].endswith("Camera: pan left.")


@pytest.mark.parametrize("camera", sorted(CAMERA_CONTROL))
def test_camera_control_mapping_is_valid_kling(adapter: KlingAdapter, camera: str) -> None:
    wire = adapter.build_request(shot(camera=camera), {"camera_control": True})
    assert wire.body["camera_control"] == CAMERA_CONTROL[camera]
    assert check_body("text2video", wire.body) is None


def test_zoom_in_is_negative_zoom(adapter: KlingAdapter) -> None:
    wire = adapter.build_request(shot(camera="zoom_in"), {"camera_control": True})
    assert wire.body["camera_control"] == {"type": "simple", "config": {"zoom": -5}}


def test_unmappable_camera_with_camera_control_fails(adapter: KlingAdapter) -> None:
    with pytest.raises(InvalidRequest, match="handheld"):
        adapter.build_request(shot(camera="handheld"), {"camera_control": True})


def test_sound_from_dialogue_and_model_rules(adapter: KlingAdapter) -> None:
    line = TimedLine("Ada", "We sail at dawn.", 0.5, 2.0)
    wire = adapter.build_request(shot(dialogue=(line,), sound="gulls"))
    assert wire.body["sound"] == "on"
    assert 'Ada says: "We sail at dawn."' in wire.body["prompt"]
    dropped = adapter.build_request(shot(model="kling-v1-6", sound="gulls"))
    assert "sound" not in dropped.body and any("no sound" in w for w in dropped.warnings)
    with pytest.raises(InvalidRequest, match="pro"):
        adapter.build_request(shot(model="kling-v2-6", frames=120), {"sound": True})


def test_image_urls_and_vertical_aspect(adapter: KlingAdapter) -> None:
    wire = adapter.build_request(shot(), {"image_url": "https://example.invalid/a.png"})
    assert wire.route == "image2video" and wire.body["image"] == "https://example.invalid/a.png"
    vertical = adapter.build_request(shot(width=720, height=1280))
    assert vertical.body["aspect_ratio"] == "9:16"


def test_base64_has_no_data_prefix(adapter: KlingAdapter, tmp_path: Path) -> None:
    img = tmp_path / "f.png"
    img.write_bytes(b"\x89PNG fake")
    wire = adapter.build_request(shot(last_frame=img))
    assert wire.body["image_tail"] == base64.b64encode(b"\x89PNG fake").decode()
    assert "image" not in wire.body


def test_multi_prompt(adapter: KlingAdapter) -> None:
    opts = {"multi_prompt": [{"prompt": "wide", "duration": 2}, {"prompt": "close", "duration": 2}]}
    wire = adapter.build_request(shot(), opts)
    assert wire.body["multi_shot"] is True and wire.body["shot_type"] == "customize"
    assert wire.body["multi_prompt"][1] == {"index": 2, "prompt": "close", "duration": "2"}
    with pytest.raises(InvalidRequest, match="sum to 3"):
        adapter.build_request(shot(), {"multi_prompt": [{"prompt": "x", "duration": 3}]})


def test_unknown_option_fails_loudly(adapter: KlingAdapter) -> None:
    with pytest.raises(pydantic.ValidationError):
        adapter.build_request(shot(), {"moed": "pro"})
