"""The Vertex AI Veo adapter: request shape, credentials, error mapping, moderation, downloads
(credentials only where they belong) — end to end against the Vertex sandbox over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from reelforge.generators.base import ShotRequest
from reelforge.media.probe import probe
from reelforge.providers import (
    AmbiguousSubmit,
    AuthError,
    Expired,
    Failed,
    InvalidRequest,
    MissingKey,
    ModerationRejected,
    OutputRef,
    ProviderError,
    QuotaExceeded,
    RateLimited,
    Succeeded,
    TaskFailed,
    TaskHandle,
    Unsupported,
)
from reelforge.providers.veo.vertex import (
    MissingProject,
    VertexCredentials,
    VertexVeoAdapter,
    default_host,
)
from reelforge.sandbox import LoopbackServer
from reelforge.sandbox.veo import VeoFault
from reelforge.sandbox.vertex import VertexSandbox, VertexSandboxConfig

T = TypeVar("T")
MODEL = "veo-3.1-generate-001"
ENV_NAMES = (
    "VERTEX_ACCESS_TOKEN",
    "GOOGLE_API_KEY",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "REELFORGE_VERTEX_BASE_URL",
    "REELFORGE_GCS_BASE_URL",
)
TOKEN_ENV = {"VERTEX_ACCESS_TOKEN": "ya29.secret", "GOOGLE_CLOUD_PROJECT": "proj"}


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def shot(prompt: str = "a lighthouse at dusk", **kw: Any) -> ShotRequest:
    base: dict[str, Any] = dict(
        shot_id="s1", prompt=prompt, frames=96, fps=24, width=1280, height=720, model=MODEL
    )
    return ShotRequest(**{**base, **kw})


@pytest.fixture(autouse=True)
def _no_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def vertex() -> Iterator[VertexSandbox]:
    with VertexSandbox(VertexSandboxConfig(queue_seconds=0.05, processing_seconds=0.1)) as sbx:
        yield sbx


def adapter_for(sbx: VertexSandbox, *, express: bool = False) -> VertexVeoAdapter:
    return VertexVeoAdapter(
        base_url=sbx.base_url,
        gcs_base_url=sbx.base_url,
        credentials=sbx.credentials(express=express),
    )


async def _render(
    adapter: VertexVeoAdapter,
    request: ShotRequest,
    dest: Path,
    options: dict[str, Any] | None = None,
) -> tuple[Any, list[Path]]:
    async with adapter:
        wire = adapter.build_request(request, options)
        handle = await adapter.ensure_submitted(wire)
        state = await adapter.wait(handle, interval=0.02, timeout=60)
        if not isinstance(state, Succeeded):
            return state, []
        return state, await adapter.download(state, dest)


# -- request shape -----------------------------------------------------------------------------


def test_project_scoped_path_and_vertex_only_parameters() -> None:
    adapter = VertexVeoAdapter(credentials=VertexCredentials(access_token="t", project="p"))
    wire = adapter.build_request(shot(seed=77), {"model_name": MODEL, "sound": False})
    assert adapter.base_url == "https://us-central1-aiplatform.googleapis.com"
    assert wire.path == (
        f"/v1/projects/p/locations/us-central1/publishers/google/models/{MODEL}:predictLongRunning"
    )
    assert wire.body == {
        "instances": [{"prompt": "a lighthouse at dusk"}],
        "parameters": {
            "sampleCount": 1,
            "durationSeconds": 4,
            "aspectRatio": "16:9",
            "resolution": "720p",
            "seed": 77,
            "generateAudio": False,
        },
    }
    assert wire.idempotency_key is None and wire.warnings == ()  # no Gemini seed/audio warnings
    assert adapter.auth_headers() == {"Authorization": "Bearer t"}


def test_express_mode_path_host_and_key_header() -> None:
    adapter = VertexVeoAdapter(credentials=VertexCredentials(api_key="k"))
    wire = adapter.build_request(shot(), {"storage_uri": None})
    assert adapter.base_url == "https://aiplatform.googleapis.com"
    assert wire.path == f"/v1/publishers/google/models/{MODEL}:predictLongRunning"
    assert adapter.auth_headers() == {"x-goog-api-key": "k"}


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "https://europe-west4-aiplatform.googleapis.com"),
        ("global", "https://aiplatform.googleapis.com"),
    ],
)
def test_regional_hosts(location: str, host: str) -> None:
    assert default_host(location) == host
    creds = VertexCredentials(access_token="t", project="p", location=location)
    assert VertexVeoAdapter(credentials=creds).base_url == host


def test_options_and_refusals_before_spending() -> None:
    adapter = VertexVeoAdapter(credentials=VertexCredentials(access_token="t", project="p"))
    wire = adapter.build_request(
        shot(), {"storage_uri": "gs://b/out/", "reference_type": "STYLE", "resolution": "1080p"}
    )
    assert wire.body["parameters"]["storageUri"] == "gs://b/out/"
    assert wire.body["parameters"]["resolution"] == "1080p"
    assert adapter.build_request(shot(model="kling-v3"), {}).model == MODEL  # Vertex default id
    veo2 = adapter.build_request(shot(), {"model_name": "veo-2.0-generate-001", "sound": True})
    assert "generateAudio" not in veo2.body["parameters"]
    assert any("no audio" in w for w in veo2.warnings)
    with pytest.raises(InvalidRequest, match="uint32"):
        adapter.build_request(shot(seed=2**32), {})
    with pytest.raises(ValueError, match="gs://"):
        adapter.build_request(shot(), {"storage_uri": "s3://bucket/x"})
    with pytest.raises(ValueError, match="extra"):
        adapter.build_request(shot(), {"sead": 3})
    express = VertexVeoAdapter(credentials=VertexCredentials(api_key="k"))
    with pytest.raises(InvalidRequest, match="access token"):
        express.build_request(shot(), {"storage_uri": "gs://b/x/"})


# -- credentials and configuration -------------------------------------------------------------


def test_credentials_from_env_and_the_missing_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    creds = VertexCredentials.from_env({**TOKEN_ENV, "GOOGLE_CLOUD_LOCATION": "global"})
    assert (creds.project, creds.location, creds.express) == ("proj", "global", False)
    assert "ya29.secret" not in repr(creds)
    key_only = VertexCredentials.from_env({"GOOGLE_API_KEY": "k"})
    assert key_only.express and key_only.location == "us-central1"
    # The token wins over an API key when both are set.
    both = VertexCredentials.from_env({**TOKEN_ENV, "GOOGLE_API_KEY": "k"})
    assert both.headers() == {"Authorization": "Bearer ya29.secret"}
    with pytest.raises(MissingProject, match="GOOGLE_CLOUD_PROJECT") as info:
        VertexCredentials.from_env({"VERTEX_ACCESS_TOKEN": "ya29.secret"})
    assert "GOOGLE_CLOUD_LOCATION" in str(info.value) and isinstance(info.value, MissingKey)
    with pytest.raises(MissingKey, match="VERTEX_ACCESS_TOKEN or GOOGLE_API_KEY"):
        VertexCredentials.from_env({})
    with pytest.raises(MissingKey, match="reel keys set vertex"):
        VertexVeoAdapter()  # fails before any client is opened


def test_base_url_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TOKEN_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REELFORGE_VERTEX_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("REELFORGE_GCS_BASE_URL", "http://127.0.0.1:8")
    adapter = VertexVeoAdapter()
    assert adapter.base_url == "http://127.0.0.1:9"
    assert adapter.gcs_media_url("gs://bkt/a/b c.mp4") == (
        "http://127.0.0.1:8/storage/v1/b/bkt/o/a%2Fb%20c.mp4?alt=media"
    )


# -- end to end against the sandbox ------------------------------------------------------------


def test_text_to_video_inline_with_seed_and_audio(vertex: VertexSandbox, tmp_path: Path) -> None:
    state, paths = run(_render(adapter_for(vertex), shot(seed=5), tmp_path, {"sound": True}))
    assert state.handle.task_id.startswith(
        f"projects/sandbox-project/locations/us-central1/publishers/google/models/{MODEL}/operations/"
    )
    assert state.outputs[0].url.startswith("data:video/mp4;base64,")
    info = probe(paths[0])
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    sent = next(iter(vertex.book.operations.values())).parameters
    assert sent["seed"] == 5 and sent["generateAudio"] is True
    assert all(r.headers.get("authorization") == "Bearer sandbox-vertex-token" for r in vertex.log)
    polls = vertex.requests_to("/v1/projects/sandbox-project/locations/us-central1/publishers")
    assert any(r.path.endswith(":fetchPredictOperation") for r in polls)


def test_silent_image_to_video_in_express_mode(vertex: VertexSandbox, tmp_path: Path) -> None:
    first = tmp_path / "first.png"
    Image.new("RGB", (1280, 720), (200, 40, 40)).save(first)
    request = shot(first_frame=first)
    state, paths = run(
        _render(adapter_for(vertex, express=True), request, tmp_path, {"sound": False})
    )
    assert state.handle.task_id.startswith(f"publishers/google/models/{MODEL}/operations/")
    assert probe(paths[0]).audio_codec is None
    assert all(r.headers.get("x-goog-api-key") == "sandbox-vertex-key" for r in vertex.log)
    assert not any("authorization" in r.headers for r in vertex.log)


def test_storage_uri_output_is_fetched_from_cloud_storage(
    vertex: VertexSandbox, tmp_path: Path
) -> None:
    state, paths = run(
        _render(adapter_for(vertex), shot(), tmp_path, {"storage_uri": "gs://bkt/rf/"})
    )
    assert state.outputs[0].url.startswith("gs://bkt/rf/")
    assert probe(paths[0]).video_codec == "h264"
    media = vertex.requests_to("/storage/v1/b/bkt/o/")
    assert len(media) == 1 and media[0].headers["authorization"].startswith("Bearer ")


def test_credentials_only_for_the_api_origin(vertex: VertexSandbox, tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with LoopbackServer("cdn") as cdn:
        handle = TaskHandle("google", MODEL, "predictLongRunning", "x/operations/op1")
        state = Succeeded(
            handle, outputs=(OutputRef(cdn.publish(clip)), OutputRef(vertex.publish(clip)))
        )
        paths = run(adapter_for(vertex).download(state, tmp_path / "dl"))
        assert [p.read_bytes() for p in paths] == [clip.read_bytes()] * 2
        assert len(paths) == 2 and paths[0] != paths[1]
        assert "authorization" not in cdn.log[0].headers
    assert vertex.requests_to("/files/")[0].headers["authorization"].startswith("Bearer ")


# -- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "google_status", "message", "expected"),
    [
        (401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", AuthError),
        (403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied", AuthError),
        (429, "RESOURCE_EXHAUSTED", "Quota exceeded for online_prediction_requests", RateLimited),
        (400, "INVALID_ARGUMENT", "durationSeconds must be one of [4, 6, 8]", InvalidRequest),
        (400, "FAILED_PRECONDITION", "Billing account for project is disabled", QuotaExceeded),
        (404, "NOT_FOUND", "Publisher Model was not found", InvalidRequest),
        (400, "INVALID_ARGUMENT", "violate Google's Responsible AI practices", ModerationRejected),
    ],
)
def test_error_table_at_submit(
    vertex: VertexSandbox,
    status: int,
    google_status: str,
    message: str,
    expected: type[ProviderError],
) -> None:
    vertex.inject(VeoFault(status, google_status, message, retry_delay=9))
    adapter = adapter_for(vertex)
    with pytest.raises(ProviderError) as info:
        run(adapter.submit(adapter.build_request(shot())))
    assert type(info.value) is expected and info.value.status == status
    if expected is RateLimited:
        assert getattr(info.value, "retry_after", None) == 9.0
    if google_status == "UNAUTHENTICATED":
        assert "VERTEX_ACCESS_TOKEN" in str(info.value)  # says how to fix an expired token


def test_wrong_project_and_bad_token_from_the_sandbox(vertex: VertexSandbox) -> None:
    other = VertexCredentials(access_token="sandbox-vertex-token", project="someone-else")
    stranger = VertexVeoAdapter(base_url=vertex.base_url, credentials=other)
    with pytest.raises(AuthError, match="PERMISSION_DENIED"):
        run(stranger.submit(stranger.build_request(shot())))
    stale = VertexCredentials(access_token="expired", project="sandbox-project")
    expired = VertexVeoAdapter(base_url=vertex.base_url, credentials=stale)
    with pytest.raises(AuthError, match="gcloud auth print-access-token"):
        run(expired.submit(expired.build_request(shot())))


def test_moderation_at_submit_and_late(vertex: VertexSandbox, tmp_path: Path) -> None:
    adapter = adapter_for(vertex)
    with pytest.raises(ModerationRejected) as info:
        run(adapter.submit(adapter.build_request(shot("a forbidden act"))))
    assert info.value.stage == "input"
    state, paths = run(_render(adapter_for(vertex), shot("contraband crates"), tmp_path))
    assert isinstance(state, Failed) and paths == []
    assert isinstance(state.error, ModerationRejected) and state.error.stage == "output"
    assert state.error.cost == 0 and "not be charged" in str(state.error)


def test_done_without_videos_is_a_moderation_failure() -> None:
    adapter = VertexVeoAdapter(credentials=VertexCredentials(access_token="t", project="p"))
    handle = TaskHandle("google", MODEL, "predictLongRunning", "m/operations/1")
    bare = adapter.to_state(handle, {"name": "m/operations/1", "done": True, "response": {}})
    assert isinstance(bare, Failed) and isinstance(bare.error, ModerationRejected)
    assert bare.error.code == "RAI_MEDIA_FILTERED"
    wrapped = {"generateVideoResponse": {"videos": [{"gcsUri": "gs://b/o.mp4"}]}}
    ok = adapter.to_state(handle, {"done": True, "response": wrapped})
    assert isinstance(ok, Succeeded) and ok.outputs[0].url == "gs://b/o.mp4"
    failed = adapter.to_state(handle, {"done": True, "error": {"code": 13, "message": "boom"}})
    assert isinstance(failed, Failed) and isinstance(failed.error, TaskFailed)
    assert failed.error.code == "INTERNAL"


def test_ambiguous_submit_is_never_resubmitted(vertex: VertexSandbox) -> None:
    vertex.inject(VeoFault(500, "INTERNAL", "backend error", after_create=True))
    adapter = adapter_for(vertex)
    wire = adapter.build_request(shot())
    with pytest.raises(AmbiguousSubmit, match="cannot be reconciled"):
        run(adapter.ensure_submitted(wire))
    assert vertex.submits == 1 and len(vertex.book.operations) == 1
    with pytest.raises(Unsupported):
        run(adapter.reconcile(wire))


def test_unknown_operation_is_expired_and_there_is_no_cancel(vertex: VertexSandbox) -> None:
    adapter = adapter_for(vertex)
    name = vertex.credentials().model_resource(MODEL) + "/operations/gone"
    handle = TaskHandle("google", MODEL, "predictLongRunning", name)
    assert isinstance(run(adapter.poll(handle)), Expired)
    with pytest.raises(Unsupported, match="no cancel"):
        run(adapter.cancel(handle))


# -- through the generator registry, as `reel render --sandbox` runs it ------------------------


@pytest.mark.parametrize("route_id", ["veo-3.1@vertex", "veo-3.1-fast@vertex"])
def test_route_renders_in_the_session(route_id: str, tmp_path: Path) -> None:
    from reelforge.generators.registry import get_generator
    from reelforge.sandbox.session import sandboxes

    with sandboxes(render_fps=24) as running:
        request = shot(model=route_id, seed=1234, frames=6 * 24)
        clip = get_generator(route_id).render(request, tmp_path / "clip.mp4")
        ops = list(running["vertex"].book.operations.values())  # type: ignore[attr-defined]
    assert len(ops) == 1 and clip.meta["task_id"] == ops[0].name
    params = ops[0].parameters
    assert params["seed"] == 1234 and params["durationSeconds"] == 6
    assert clip.has_audio == params["generateAudio"]
    assert (probe(clip.path).audio_codec is not None) == params["generateAudio"]
    assert running["google"].log == []  # the Gemini sandbox saw nothing
