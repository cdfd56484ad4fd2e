"""The Vertex sandbox's wire contract: spoken to with plain HTTP, and driven by the official
google-genai SDK in Vertex mode (bearer token and express-mode API key, pointed at the sandbox
through ``HttpOptions(base_url=...)``) as the oracle that it speaks Vertex's wire format."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from reelforge.media.probe import probe
from reelforge.sandbox.veo import VeoFault
from reelforge.sandbox.vertex import VertexSandbox, VertexSandboxConfig

MODEL = "veo-3.1-generate-001"
RESOURCE = f"projects/sandbox-project/locations/us-central1/publishers/google/models/{MODEL}"
SUBMIT = f"/v1/{RESOURCE}:predictLongRunning"
FETCH = f"/v1/{RESOURCE}:fetchPredictOperation"
BODY: dict[str, Any] = {
    "instances": [{"prompt": "a kite over dunes"}],
    "parameters": {"durationSeconds": 4, "aspectRatio": "16:9"},
}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def vertex() -> Iterator[VertexSandbox]:
    with VertexSandbox(VertexSandboxConfig(processing_seconds=0.15)) as sbx:
        yield sbx


def bearer(sbx: VertexSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sbx.config.access_token}"}


def wait_done(http: httpx.Client, name: str, fetch: str = FETCH) -> dict[str, Any]:
    for _ in range(500):
        op: dict[str, Any] = http.post(fetch, json={"operationName": name}).json()
        if op.get("done"):
            return op
        time.sleep(0.02)
    raise AssertionError("operation never finished")


def render(http: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    created = http.post(SUBMIT, json=body)
    assert created.status_code == 200, created.text
    return wait_done(http, created.json()["name"])


def video_bytes(op: dict[str, Any]) -> bytes:
    return base64.b64decode(op["response"]["videos"][0]["bytesBase64Encoded"])


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 90), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_operation_lifecycle_inline_video(vertex: VertexSandbox) -> None:
    with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
        created = http.post(SUBMIT, json=BODY).json()
        assert set(created) == {"name"}
        assert re.fullmatch(rf"{RESOURCE}/operations/{UUID}", created["name"])
        first = http.post(FETCH, json={"operationName": created["name"]}).json()
        assert first == {"name": created["name"]}  # not done: no `done` key at all
        op = wait_done(http, created["name"])
    response = op["response"]
    assert response["@type"].endswith("GenerateVideoResponse")
    assert response["raiMediaFilteredCount"] == 0
    assert response["videos"][0]["mimeType"] == "video/mp4"
    assert video_bytes(op)[4:8] == b"ftyp"


def test_auth_project_and_error_envelope(vertex: VertexSandbox) -> None:
    with httpx.Client(base_url=vertex.base_url) as http:
        none = http.post(SUBMIT, json=BODY)
        assert none.status_code == 401 and none.json()["error"]["status"] == "UNAUTHENTICATED"
        assert set(none.json()["error"]) == {"code", "message", "status"}
        bad = http.post(SUBMIT, json=BODY, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401 and "invalid authentication" in bad.json()["error"]["message"]
        other = http.post(
            SUBMIT.replace("sandbox-project", "other"), json=BODY, headers=bearer(vertex)
        )
        assert other.status_code == 403 and other.json()["error"]["status"] == "PERMISSION_DENIED"
        nowhere = http.post(
            SUBMIT.replace("us-central1", "mars-north1"), json=BODY, headers=bearer(vertex)
        )
        assert nowhere.status_code == 400
        express = f"/v1/publishers/google/models/{MODEL}:predictLongRunning"
        assert http.post(express, json=BODY, headers=bearer(vertex)).status_code == 401
        wrong_key = http.post(express, json=BODY, headers={"x-goog-api-key": "nope"})
        assert wrong_key.status_code == 400
        keyed = http.post(express, json=BODY, params={"key": vertex.config.api_key})
        assert keyed.status_code == 200
        assert keyed.json()["name"].startswith(f"publishers/google/models/{MODEL}/operations/")
        assert http.post(SUBMIT.replace("/v1/", "/v2/"), json=BODY).status_code == 404
    assert vertex.submits == 1  # only the call that got past auth and scope counts


PNG = {"mimeType": "image/png"}
STYLE = {"referenceType": "STYLE", "image": {**PNG, "gcsUri": "gs://b/s.png"}}


@pytest.mark.parametrize(
    "patch",
    [
        {"parameters": {"durationSeconds": 5}},
        {"parameters": {"aspectRatio": "1:1"}},
        {"parameters": {"seed": -1}},
        {"parameters": {"seed": "7"}},
        {"parameters": {"generateAudio": "yes"}},
        {"parameters": {"storageUri": "s3://bucket/x"}},
        {"parameters": {"duration_seconds": 8}},  # SDK spelling is not the wire name
        {"instances": [{"prompt": "x", "lastFrame": {**PNG, "bytesBase64Encoded": "AA=="}}]},
        {"instances": [{"prompt": "x", "image": {**PNG, "bytesBase64Encoded": "AA==", "gcsUri": "gs://b/o.png"}}]},
        {"instances": [{"prompt": "x", "referenceImages": [STYLE]}]},  # veo-2.0-generate-exp only
    ],
)  # fmt: skip
def test_body_validation(vertex: VertexSandbox, patch: dict[str, Any]) -> None:
    with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
        r = http.post(SUBMIT, json={**BODY, **patch})
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_models_and_operation_names(vertex: VertexSandbox) -> None:
    veo2 = SUBMIT.replace(MODEL, "veo-2.0-generate-001")
    body = {**BODY, "parameters": {"durationSeconds": 5, "generateAudio": True}}
    with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
        assert http.post(veo2, json=body).status_code == 400  # Veo 2 makes no audio
        gone = http.post(SUBMIT.replace(MODEL, "veo-9"), json=BODY)
        assert gone.status_code == 404 and gone.json()["error"]["status"] == "NOT_FOUND"
        name = http.post(SUBMIT, json=BODY).json()["name"]
        fast = FETCH.replace(MODEL, "veo-3.1-fast-generate-001")
        assert http.post(fast, json={"operationName": name}).status_code == 400
        assert http.post(FETCH, json={}).status_code == 400
        missing = http.post(FETCH, json={"operationName": f"{RESOURCE}/operations/nope"})
        assert missing.status_code == 404


def test_moderation_at_submit_and_late(vertex: VertexSandbox) -> None:
    with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
        blocked = http.post(SUBMIT, json={**BODY, "instances": [{"prompt": "a forbidden act"}]})
        assert blocked.status_code == 400 and "Responsible AI" in blocked.text
        op = render(
            http,
            {**BODY, "instances": [{"prompt": "contraband"}], "parameters": {"sampleCount": 2}},
        )
    assert "error" not in op and "videos" not in op["response"]
    assert op["response"]["raiMediaFilteredCount"] == 2
    assert "not be charged" in op["response"]["raiMediaFilteredReasons"][0]


def test_seed_and_generate_audio_are_honoured(vertex: VertexSandbox, tmp_path: Path) -> None:
    def clip(params: dict[str, Any], name: str) -> Path:
        with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
            op = render(http, {**BODY, "parameters": {"durationSeconds": 4, **params}})
        path = tmp_path / name
        path.write_bytes(video_bytes(op))
        return path

    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    a, b = clip({"seed": 11}, "a.mp4"), clip({"seed": 11}, "b.mp4")
    c = clip({"seed": 12}, "c.mp4")
    assert digest(a) == digest(b) != digest(c)
    assert probe(a).audio_codec == "aac"  # Veo 3 makes audio unless told not to
    assert probe(clip({"generateAudio": False}, "d.mp4")).audio_codec is None


def test_storage_uri_writes_to_cloud_storage(vertex: VertexSandbox) -> None:
    body = {**BODY, "parameters": {"durationSeconds": 4, "storageUri": "gs://bkt/runs/"}}
    with httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http:
        op = render(http, body)
        uri = op["response"]["videos"][0]["gcsUri"]
        assert re.fullmatch(rf"gs://bkt/runs/{UUID}/sample_0\.mp4", uri)
        obj = uri.removeprefix("gs://bkt/").replace("/", "%2F")
        media = http.get(f"/storage/v1/b/bkt/o/{obj}", params={"alt": "media"})
        assert media.status_code == 200 and media.content[4:8] == b"ftyp"
        meta = http.get(f"/storage/v1/b/bkt/o/{obj}").json()
        assert meta["name"] == uri.removeprefix("gs://bkt/") and int(meta["size"]) > 0
    with httpx.Client(base_url=vertex.base_url) as anon:
        assert anon.get(f"/storage/v1/b/bkt/o/{obj}", params={"alt": "media"}).status_code == 401


def test_rate_limit_injection_and_concurrency() -> None:
    config = VertexSandboxConfig(processing_seconds=5, concurrency_limit=1)
    with (
        VertexSandbox(config) as vertex,
        httpx.Client(base_url=vertex.base_url, headers=bearer(vertex)) as http,
    ):
        vertex.inject(VeoFault(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_delay=12))
        r = http.post(SUBMIT, json=BODY)
        assert r.status_code == 429 and r.json()["error"]["details"][0]["retryDelay"] == "12s"
        assert vertex.book.operations == {}
        assert http.post(SUBMIT, json=BODY).status_code == 200
        busy = http.post(SUBMIT, json=BODY)
        assert busy.status_code == 429 and busy.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def _poll(client: Any, op: Any) -> Any:
    for _ in range(300):
        if op.done:
            return op
        time.sleep(0.03)
        op = client.operations.get(op)
    raise AssertionError("operation never finished")


def test_official_sdk_drives_the_sandbox_with_a_bearer_token() -> None:
    """google-genai 2.x in Vertex mode: generate_videos → operations.get, which the SDK turns
    into fetchPredictOperation. A static OAuth token as credentials: no ADC, no network."""
    import google.oauth2.credentials
    from google import genai  # a dev dependency: the conformance proof must run, never skip
    from google.genai import types

    first, last = png_bytes((200, 30, 30)), png_bytes((30, 30, 200))
    with VertexSandbox(VertexSandboxConfig(processing_seconds=0.2)) as vertex:
        token = google.oauth2.credentials.Credentials(token=vertex.config.access_token)
        client = genai.Client(
            vertexai=True,
            project=vertex.config.project,
            location=vertex.config.location,
            credentials=token,
            http_options=types.HttpOptions(base_url=vertex.base_url, api_version="v1"),
        )
        op = client.models.generate_videos(
            model=MODEL,
            source=types.GenerateVideosSource(
                prompt="a red door turns blue",
                image=types.Image(image_bytes=first, mime_type="image/png"),
            ),
            config=types.GenerateVideosConfig(
                duration_seconds=6,
                aspect_ratio="9:16",
                resolution="1080p",
                seed=42,
                generate_audio=False,
                negative_prompt="rain",
                person_generation="allow_adult",
                last_frame=types.Image(image_bytes=last, mime_type="image/png"),
            ),
        )
        assert op.name and op.name.startswith(f"{RESOURCE}/operations/")
        op = _poll(client, op)
        assert op.response is not None and op.response.generated_videos
        video = op.response.generated_videos[0].video
        assert video is not None and video.video_bytes and video.video_bytes[4:8] == b"ftyp"
        assert video.mime_type == "video/mp4"
        sent = vertex.book.operations[op.name].body
        paths = {r.path for r in vertex.log}
        assert all(r.headers["authorization"] == "Bearer sandbox-vertex-token" for r in vertex.log)
    instance, params = sent["instances"][0], sent["parameters"]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last
    assert params == {
        "durationSeconds": 6,
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "seed": 42,
        "generateAudio": False,
        "negativePrompt": "rain",
        "personGeneration": "allow_adult",
    }
    assert paths == {SUBMIT, FETCH}


def test_official_sdk_in_express_mode_sees_the_content_filter() -> None:
    from google import genai
    from google.genai import types

    with VertexSandbox(VertexSandboxConfig(processing_seconds=0.1)) as vertex:
        client = genai.Client(
            vertexai=True,
            api_key=vertex.config.api_key,
            http_options=types.HttpOptions(base_url=vertex.base_url, api_version="v1"),
        )
        op = client.models.generate_videos(
            model="veo-3.1-fast-generate-001",
            source=types.GenerateVideosSource(prompt="contraband on a pier"),
        )
        op = _poll(client, op)
        assert all(r.headers["x-goog-api-key"] == vertex.config.api_key for r in vertex.log)
        assert vertex.log[-1].path.startswith("/v1/publishers/google/models/")
    assert op.response is not None and not op.response.generated_videos
    assert op.response.rai_media_filtered_count == 1
    assert "not be charged" in (op.response.rai_media_filtered_reasons or [""])[0]
