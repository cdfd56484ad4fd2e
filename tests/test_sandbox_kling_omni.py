"""The Kling sandbox's Omni and lip-sync wire contract, spoken to with a plain HTTP client:
envelopes, states, validation like the real API, submit counts per external_task_id, units, and
a previz output stamped with the model."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from reelforge.providers.kling import encode_jwt
from reelforge.sandbox import KlingSandbox, KlingSandboxConfig

URL = "https://cdn.example/clip.mp4"
T2V: dict[str, Any] = {
    "model_name": "kling-video-o1",
    "prompt": "a kite over dunes",
    "mode": "std",
    "aspect_ratio": "16:9",
    "duration": "5",
}


def b64png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (320, 320), (10, 120, 200)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


IMG = b64png()


@pytest.fixture
def kling() -> Iterator[KlingSandbox]:
    with KlingSandbox(KlingSandboxConfig(queue_seconds=0.05, processing_seconds=0.1)) as sbx:
        yield sbx


@pytest.fixture
def http(kling: KlingSandbox) -> Iterator[httpx.Client]:
    token = encode_jwt(kling.config.access_key, kling.config.secret_key)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=kling.base_url, headers=headers) as client:
        yield client


def finish(http: httpx.Client, route: str, task_id: str) -> dict[str, Any]:
    for _ in range(300):
        data: dict[str, Any] = http.get(f"/v1/videos/{route}/{task_id}").json()["data"]
        if data["task_status"] in ("succeed", "failed"):
            return data
        time.sleep(0.02)
    raise AssertionError("task never finished")


def test_omni_envelope_states_and_units(kling: KlingSandbox, http: httpx.Client) -> None:
    created = http.post("/v1/videos/omni-video", json={**T2V, "external_task_id": "o1"}).json()
    assert created["code"] == 0 and created["data"]["task_status"] == "submitted"
    assert created["data"]["task_info"] == {"external_task_id": "o1"}
    done = finish(http, "omni-video", created["data"]["task_id"])
    assert done["task_status"] == "succeed"
    assert done["final_unit_deduction"] == "3.0"  # O1 std 0.6 u/s x 5 s, a string
    assert done["task_result"]["videos"][0]["duration"] == "5.0"
    assert http.get("/v1/videos/omni-video/o1").json()["data"]["task_id"] == done["task_id"]
    listed = http.get("/v1/videos/omni-video", params={"pageSize": 5}).json()["data"]
    assert [t["task_id"] for t in listed] == [done["task_id"]]
    assert http.get("/v1/videos/text2video/o1").json()["code"] == 1203  # per endpoint


def test_submits_are_counted_per_external_task_id(kling: KlingSandbox, http: httpx.Client) -> None:
    body = {**T2V, "external_task_id": "dup"}
    assert http.post("/v1/videos/omni-video", json=body).json()["code"] == 0
    again = http.post("/v1/videos/omni-video", json=body)
    assert again.status_code == 400 and again.json()["code"] == 1201
    assert kling.submits["dup"] == 2 and len(kling.book.tasks) == 1


def _with(**changes: Any) -> dict[str, Any]:
    body = {**T2V, **changes}
    return {k: v for k, v in body.items() if v is not None}


FRAME = {"image_url": IMG, "type": "first_frame"}
END = {"image_url": IMG, "type": "end_frame"}
REF = {"image_url": IMG}
FEATURE = {"video_url": URL, "refer_type": "feature"}
BASE = {"video_url": URL, "refer_type": "base", "keep_original_sound": "yes"}

REJECTED = [
    (_with(negative_prompt="blur"), 1201, "unknown field"),
    (_with(model_name="kling-v3"), 1203, "not found"),
    (_with(prompt=""), 1201, "prompt is required"),
    (_with(image_list=[REF] * 8), 1201, "exceed 7"),
    (
        _with(image_list=[REF] * 4, element_list=[{"element_id": 1}], video_list=[FEATURE]),
        1201,
        "exceed 4",
    ),
    (_with(video_list=[FEATURE, FEATURE]), 1201, "at most one video"),
    (_with(image_list=[END]), 1201, "requires a first_frame"),
    (_with(image_list=[FRAME, END, REF], duration="5"), 1201, "end_frame cannot"),
    (_with(image_list=[FRAME], video_list=[BASE], duration=None), 1201, "refer_type base"),
    (_with(aspect_ratio=None), 1201, "aspect_ratio is required"),
    (_with(duration="3"), 1201, "duration must be one of ['5', '10']"),
    (_with(duration=5), 1201, "a string"),
    (_with(image_list=[REF], duration="12"), 1201, "duration must be one of"),
    (_with(video_list=[BASE], aspect_ratio=None), 1201, "duration follows the edited video"),
    (_with(sound="on"), 1201, "sound='on' is not supported by kling-video-o1"),
    (_with(model_name="kling-video-3o", sound="on", video_list=[FEATURE]), 1201, "reference video"),
    (_with(prompt="<<<image_2>>> runs", image_list=[REF]), 1201, "<<<image_2>>>"),
    (_with(prompt="<<<video_1>>> again"), 1201, "<<<video_1>>>"),
    (_with(image_list=[{"image_url": "data:image/png;base64," + IMG}]), 1201, "data: prefix"),
    (_with(image_list=[{"image_url": IMG, "type": "middle"}]), 1201, "first_frame or end_frame"),
    (_with(element_list=[{"element_id": "abc"}]), 1201, "element_id must be a number"),
    (_with(video_list=[{"video_url": URL, "refer_type": "style"}]), 1201, "refer_type"),
    (
        _with(multi_shot=True, multi_prompt=[{"index": 1, "prompt": "a", "duration": "5"}]),
        1201,
        "multi-shot",
    ),
    (_with(mode="4k"), 1201, "mode must be one of"),
]


@pytest.mark.parametrize(("body", "code", "words"), REJECTED)
def test_omni_validation(
    kling: KlingSandbox, http: httpx.Client, body: Any, code: int, words: str
) -> None:
    answer = http.post("/v1/videos/omni-video", json=body).json()
    assert answer["code"] == code and words in answer["message"], answer
    assert not kling.book.tasks


ACCEPTED = [
    _with(image_list=[FRAME], aspect_ratio=None),  # the frame gives the shape
    _with(image_list=[FRAME, END], aspect_ratio=None, duration="10"),
    _with(image_list=[FRAME, REF], duration="3", prompt="in the style of <<<image_2>>>"),
    _with(video_list=[BASE], aspect_ratio=None, duration=None, prompt="snow in <<<video_1>>>"),
    _with(video_list=[FEATURE], element_list=[{"element_id": 7}], duration="7"),
    _with(model_name="kling-video-3o", duration="12", sound="on", mode="4k"),
    _with(
        model_name="kling-video-3o",
        duration="5",
        multi_shot=True,
        shot_type="customize",
        multi_prompt=[
            {"index": 1, "prompt": "a", "duration": "2"},
            {"index": 2, "prompt": "b", "duration": "3"},
        ],
    ),
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_omni_accepts_documented_scenarios(http: httpx.Client, body: Any) -> None:
    answer = http.post("/v1/videos/omni-video", json=body).json()
    assert answer["code"] == 0, answer


def test_output_is_stamped_with_model_and_priced_by_inputs(
    kling: KlingSandbox, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reelforge.sandbox.kling_tasks as tasks

    stamped: list[dict[str, Any]] = []
    real = tasks.render_clip

    def spy(out: Any, **kw: Any) -> Any:
        stamped.append(kw)
        return real(out, **kw)

    monkeypatch.setattr(tasks, "render_clip", spy)
    body = _with(
        model_name="kling-video-3o", mode="pro", duration="4", sound="on", image_list=[FRAME]
    )
    task_id = http.post("/v1/videos/omni-video", json=body).json()["data"]["task_id"]
    done = finish(http, "omni-video", task_id)
    assert done["final_unit_deduction"] == "4.0"  # 3.0 Omni pro with sound: 1.0 u/s x 4 s
    (kw,) = stamped
    assert (kw["model"], kw["mode"], kw["seconds"]) == ("kling-video-3o", "pro", 4)
    assert kw["first_frame"] is not None  # the base64 first frame was decoded for previz
    edit = _with(
        mode="pro", video_list=[BASE], aspect_ratio=None, duration=None, prompt="<<<video_1>>>"
    )
    edited = finish(
        http, "omni-video", http.post("/v1/videos/omni-video", json=edit).json()["data"]["task_id"]
    )
    assert edited["final_unit_deduction"] == "6.0"  # O1 pro with a video input: 1.2 u/s x 5 s


# -- lip sync --------------------------------------------------------------------------------

SPEECH = {
    "mode": "text2video",
    "text": "Hello there.",
    "voice_id": "oversea_male1",
    "voice_language": "en",
}
AUDIO = {
    "mode": "audio2video",
    "audio_type": "file",
    "audio_file": base64.b64encode(b"ID3....").decode(),
}


def test_lipsync_of_a_sandbox_video_takes_its_length(
    kling: KlingSandbox, http: httpx.Client
) -> None:
    made = http.post("/v1/videos/omni-video", json=_with(duration="10")).json()["data"]
    video_id = finish(http, "omni-video", made["task_id"])["task_result"]["videos"][0]["id"]
    body = {"input": {"video_id": video_id, **SPEECH}, "external_task_id": "ls1"}
    created = http.post("/v1/videos/lip-sync", json=body).json()
    assert created["code"] == 0 and kling.submits["ls1"] == 1
    done = finish(http, "lip-sync", "ls1")
    assert done["task_status"] == "succeed"
    assert done["task_result"]["videos"][0]["duration"] == "10.0"
    assert done["final_unit_deduction"] == "1.0"  # 0.1 u/s x 10 s


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"video_id": "nope", **SPEECH}, "video_id not found"),
        ({"video_id": "a", "video_url": URL, **SPEECH}, "exactly one of video_id and video_url"),
        ({"video_url": URL, **SPEECH, "text": "x" * 121}, "1 to 120"),
        ({"video_url": URL, **{**SPEECH, "voice_id": ""}}, "needs voice_id"),
        ({"video_url": URL, **SPEECH, "voice_speed": 3}, "voice_speed"),
        ({"video_url": URL, **SPEECH, "audio_url": URL}, "takes no audio"),
        ({"video_url": URL, **{**AUDIO, "audio_file": "***"}}, "base64"),
        ({"video_url": URL, **{**AUDIO, "audio_type": "stream"}}, "audio_type"),
        ({"video_url": URL, "mode": "dub"}, "input.mode"),
        ({"video_url": URL, **SPEECH, "lang": "en"}, "unknown field"),
    ],
)
def test_lipsync_validation(
    kling: KlingSandbox, http: httpx.Client, given: dict[str, Any], words: str
) -> None:
    answer = http.post("/v1/videos/lip-sync", json={"input": given}).json()
    assert answer["code"] == 1201 and words in answer["message"], answer
    assert not kling.book.tasks


def test_lipsync_by_url_and_moderation(http: httpx.Client) -> None:
    ok = http.post("/v1/videos/lip-sync", json={"input": {"video_url": URL, **AUDIO}}).json()
    assert ok["code"] == 0
    assert (
        finish(http, "lip-sync", ok["data"]["task_id"])["task_result"]["videos"][0]["duration"]
        == "5.0"
    )
    bad = {"input": {"video_url": URL, **SPEECH, "text": "say forbidden words"}}
    assert http.post("/v1/videos/lip-sync", json=bad).json()["code"] == 1301
    extra = http.post(
        "/v1/videos/lip-sync", json={"input": {"video_url": URL, **AUDIO}, "mode": "x"}
    )
    assert extra.json()["code"] == 1201
