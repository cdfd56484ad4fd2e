"""The Veo sandbox's wire contract: spoken to with plain HTTP, and driven by the official
google-genai SDK (pointed at the sandbox through ``HttpOptions(base_url=...)``) as the oracle
that it speaks the real Gemini API wire format."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from reelforge.sandbox.veo import VeoFault, VeoSandbox, VeoSandboxConfig

MODEL = "veo-3.1-generate-preview"
SUBMIT = f"/v1beta/models/{MODEL}:predictLongRunning"
BODY: dict[str, Any] = {
    "instances": [{"prompt": "a kite over dunes"}],
    "parameters": {"durationSeconds": 4, "aspectRatio": "16:9"},
}


@pytest.fixture
def veo() -> Iterator[VeoSandbox]:
    with VeoSandbox(VeoSandboxConfig(processing_seconds=0.2)) as sbx:
        yield sbx


def key(sbx: VeoSandbox) -> dict[str, str]:
    return {"x-goog-api-key": sbx.config.api_key}


def wait_done(http: httpx.Client, name: str, **kw: Any) -> dict[str, Any]:
    for _ in range(400):
        op: dict[str, Any] = http.get(f"/v1beta/{name}", **kw).json()
        if op.get("done"):
            return op
        time.sleep(0.02)
    raise AssertionError("operation never finished")


def png_bytes(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (160, 90), colour).save(buf, format="PNG")
    return buf.getvalue()


def test_operation_lifecycle_and_keyed_download(veo: VeoSandbox) -> None:
    with httpx.Client(base_url=veo.base_url, headers=key(veo)) as http:
        created = http.post(SUBMIT, json=BODY).json()
        assert set(created) == {"name"}
        assert re.fullmatch(rf"models/{MODEL}/operations/[a-z0-9]+", created["name"])
        first = http.get(f"/v1beta/{created['name']}").json()
        assert first == {"name": created["name"]}  # not done: no `done` key at all
        op = wait_done(http, created["name"])
        samples = op["response"]["generateVideoResponse"]["generatedSamples"]
        uri = samples[0]["video"]["uri"]
        assert uri.startswith(f"{veo.base_url}/v1beta/files/") and uri.endswith(
            ":download?alt=media"
        )
        assert http.get(uri).status_code == 200
    with httpx.Client() as anon:
        denied = anon.get(uri)
        assert denied.status_code == 403 and denied.json()["error"]["status"] == "PERMISSION_DENIED"
        assert anon.get(
            uri.replace("?alt=media", f"?alt=media&key={veo.config.api_key}")
        ).is_success


def test_keys_and_error_envelope(veo: VeoSandbox) -> None:
    with httpx.Client(base_url=veo.base_url) as http:
        none = http.post(SUBMIT, json=BODY)
        assert none.status_code == 403 and none.json()["error"]["status"] == "PERMISSION_DENIED"
        bad = http.post(SUBMIT, json=BODY, headers={"x-goog-api-key": "nope"})
        assert bad.status_code == 400
        assert bad.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
        ok = http.post(SUBMIT, json=BODY, params={"key": veo.config.api_key})
        assert ok.status_code == 200
        err = http.get("/v1beta/models/x/operations/none", headers=key(veo)).json()["error"]
        assert set(err) == {"code", "message", "status"} and err["status"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "patch",
    [
        {"parameters": {"durationSeconds": 5}},
        {"parameters": {"durationSeconds": "8"}},
        {"parameters": {"aspectRatio": "1:1"}},
        {"parameters": {"seed": 7}},  # Vertex only
        {"parameters": {"generateAudio": False}},
        {"parameters": {"duration_seconds": 8}},  # SDK spelling is not the wire name
        {
            "instances": [
                {
                    "prompt": "x",
                    "lastFrame": {"bytesBase64Encoded": "AA==", "mimeType": "image/png"},
                }
            ]
        },
        {"instances": [{"prompt": "x", "image": {"gcsUri": "gs://b/o.png"}}]},
    ],
)
def test_body_validation(veo: VeoSandbox, patch: dict[str, Any]) -> None:
    with httpx.Client(base_url=veo.base_url, headers=key(veo)) as http:
        r = http.post(SUBMIT, json={**BODY, **patch})
    assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_unknown_model_is_not_found(veo: VeoSandbox) -> None:
    with httpx.Client(base_url=veo.base_url, headers=key(veo)) as http:
        r = http.post("/v1beta/models/veo-9:predictLongRunning", json=BODY)
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


def test_moderation_at_submit_and_late(veo: VeoSandbox) -> None:
    with httpx.Client(base_url=veo.base_url, headers=key(veo)) as http:
        blocked = http.post(SUBMIT, json={**BODY, "instances": [{"prompt": "a forbidden act"}]})
        assert blocked.status_code == 400
        assert "Responsible AI" in blocked.json()["error"]["message"]
        late = http.post(SUBMIT, json={**BODY, "instances": [{"prompt": "contraband"}]}).json()
        op = wait_done(http, late["name"])
    response = op["response"]["generateVideoResponse"]
    assert "error" not in op and "generatedSamples" not in response
    assert response["raiMediaFilteredCount"] == 1
    assert "not be charged" in response["raiMediaFilteredReasons"][0]


def test_rate_limit_injection_and_file_expiry() -> None:
    with (
        VeoSandbox(VeoSandboxConfig(file_ttl=0.3)) as veo,
        httpx.Client(base_url=veo.base_url, headers=key(veo)) as http,
    ):
        veo.inject(VeoFault(429, "RESOURCE_EXHAUSTED", "Quota exceeded", retry_delay=12))
        r = http.post(SUBMIT, json=BODY)
        assert r.status_code == 429
        assert r.json()["error"]["details"][0]["retryDelay"] == "12s"
        assert veo.book.operations == {}
        op = wait_done(http, http.post(SUBMIT, json=BODY).json()["name"])
        uri = op["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]
        assert http.get(uri).status_code == 200
        time.sleep(0.35)
        assert http.get(uri).status_code == 403


def test_official_sdk_drives_the_sandbox(tmp_path: Any) -> None:
    """google-genai 2.x: generate_videos → operations.get polling → files.download."""
    from google import genai  # a dev dependency: the conformance proof must run, never skip
    from google.genai import types

    first, last = png_bytes((200, 30, 30)), png_bytes((30, 30, 200))
    with VeoSandbox(VeoSandboxConfig(processing_seconds=0.3)) as veo:
        client = genai.Client(
            api_key=veo.config.api_key,
            http_options=types.HttpOptions(base_url=veo.base_url, api_version="v1beta"),
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
                negative_prompt="rain",
                last_frame=types.Image(image_bytes=last, mime_type="image/png"),
            ),
        )
        assert op.name and op.name.startswith(f"models/{MODEL}/operations/")
        for _ in range(200):
            if op.done:
                break
            time.sleep(0.05)
            op = client.operations.get(op)
        assert op.done and op.response is not None and op.response.generated_videos
        video = op.response.generated_videos[0].video
        assert video is not None and video.uri
        # The SDK extracts the file id from https:// URIs only; loopback is http, so name it.
        file_id = re.search(r"/files/([a-z0-9]+):download", video.uri)
        assert file_id is not None
        data = client.files.download(file=f"files/{file_id.group(1)}")
        assert data[4:8] == b"ftyp"  # an MP4
        sent = veo.book.operations[op.name].body
    instance, params = sent["instances"][0], sent["parameters"]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first
    assert instance["image"]["mimeType"] == "image/png"
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last
    assert params == {
        "durationSeconds": 6,
        "aspectRatio": "9:16",
        "resolution": "1080p",
        "negativePrompt": "rain",
    }
    assert all("x-goog-api-key" in r.headers for r in veo.log)
