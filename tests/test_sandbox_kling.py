"""The Kling sandbox's wire contract, spoken to with a plain HTTP client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reelforge.providers.kling import encode_jwt
from reelforge.sandbox import KlingSandbox, KlingSandboxConfig, LoopbackServer, SandboxResponse

BODY: dict[str, Any] = {"model_name": "kling-v3", "prompt": "a kite", "duration": "3"}


@pytest.fixture
def kling() -> Iterator[KlingSandbox]:
    config = KlingSandboxConfig(queue_seconds=0.2, processing_seconds=0.2)
    with KlingSandbox(config) as sbx:
        yield sbx


def auth(sbx: KlingSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {encode_jwt(sbx.config.access_key, sbx.config.secret_key)}"}


def test_envelope_and_state_spellings(kling: KlingSandbox) -> None:
    with httpx.Client(base_url=kling.base_url, headers=auth(kling)) as http:
        created = http.post("/v1/videos/text2video", json={**BODY, "external_task_id": "e1"}).json()
        assert set(created) == {"code", "message", "request_id", "data"} and created["code"] == 0
        data = created["data"]
        assert data["task_status"] == "submitted"
        assert data["task_info"] == {"external_task_id": "e1"}
        seen = []
        for _ in range(200):
            got = http.get(f"/v1/videos/text2video/{data['task_id']}").json()["data"]
            seen.append(got["task_status"])
            if got["task_status"] in ("succeed", "failed"):
                break
            time.sleep(0.02)
        assert seen[0] == "submitted" and "processing" in seen and seen[-1] == "succeed"
        assert got["final_unit_deduction"] == "1.8"  # 0.6 units/s x 3 s, as a string
        assert got["task_result"]["videos"][0]["duration"] == "3.0"
        by_ext = http.get("/v1/videos/text2video/e1").json()["data"]
        assert by_ext["task_id"] == data["task_id"]
        listed = http.get("/v1/videos/text2video", params={"pageNum": 1, "pageSize": 5}).json()
        assert [t["task_id"] for t in listed["data"]] == [data["task_id"]]


def test_no_auth_and_duplicate_external_id(kling: KlingSandbox) -> None:
    with httpx.Client(base_url=kling.base_url) as http:
        r = http.post("/v1/videos/text2video", json=BODY)
        assert r.status_code == 401 and r.json()["code"] == 1001
        body = {**BODY, "external_task_id": "dup"}
        assert (
            http.post("/v1/videos/text2video", json=body, headers=auth(kling)).json()["code"] == 0
        )
        again = http.post("/v1/videos/text2video", json=body, headers=auth(kling))
        assert again.status_code == 400 and again.json()["code"] == 1201
    assert kling.submits["dup"] == 2 and len(kling.book.tasks) == 1


@pytest.mark.parametrize(
    "patch",
    [
        {"duration": 5},  # an int, not Kling's string
        {"duration": "20"},
        {"mode": "turbo"},
        {"aspect_ratio": "4:3"},
        {"model_name": "kling-v1", "sound": "on"},
        {"camera_control": {"type": "simple", "config": {"pan": 3, "tilt": 2}}},
    ],
)
def test_body_validation(kling: KlingSandbox, patch: dict[str, Any]) -> None:
    with httpx.Client(base_url=kling.base_url, headers=auth(kling)) as http:
        r = http.post("/v1/videos/text2video", json={**BODY, **patch})
    assert r.status_code == 400 and r.json()["code"] == 1201


def test_image2video_rejects_data_uri(kling: KlingSandbox) -> None:
    with httpx.Client(base_url=kling.base_url, headers=auth(kling)) as http:
        r = http.post(
            "/v1/videos/image2video", json={**BODY, "image": "data:image/png;base64,AA=="}
        )
    assert r.json()["code"] == 1201 and "data:" in r.json()["message"]


def test_output_url_expires() -> None:
    with KlingSandbox(KlingSandboxConfig(url_ttl=0.3)) as sbx, httpx.Client() as http:
        hdrs = auth(sbx)
        task = http.post(f"{sbx.base_url}/v1/videos/text2video", json=BODY, headers=hdrs).json()
        got = http.get(
            f"{sbx.base_url}/v1/videos/text2video/{task['data']['task_id']}", headers=hdrs
        )
        url = got.json()["data"]["task_result"]["videos"][0]["url"]
        assert http.get(url).status_code == 200
        time.sleep(0.35)
        assert http.get(url).status_code == 403


def test_loopback_server_routes_and_log() -> None:
    server = LoopbackServer("t")
    server.add_route("GET", "/ping/{who}", lambda r: SandboxResponse.json(200, r.params))
    with server, httpx.Client(base_url=server.base_url) as http:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert http.get("/ping/me").json() == {"who": "me"}
        assert http.post("/ping/me").status_code == 405
        assert http.get("/nowhere").status_code == 404
    assert [r.path for r in server.log] == ["/ping/me", "/ping/me", "/nowhere"]
    with pytest.raises(RuntimeError):
        _ = server.base_url
