"""The Replicate sandbox's wire contract: plain HTTP, and the official replicate SDK (pointed at
the sandbox with ``Client(base_url=...)``, the same meaning as REELFORGE_REPLICATE_BASE_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import replicate
from replicate.exceptions import ReplicateError

from reelforge.sandbox.replicate import ReplicateFault, ReplicateSandbox, ReplicateSandboxConfig

INPUT: dict[str, Any] = {"prompt": "a kite over dunes", "duration": 6}


@pytest.fixture
def rep() -> Iterator[ReplicateSandbox]:
    with ReplicateSandbox(ReplicateSandboxConfig(queue_seconds=0.1, processing_seconds=0.1)) as s:
        yield s


def auth(sbx: ReplicateSandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {sbx.config.api_token}"}


def test_prediction_envelope_wait_and_list(rep: ReplicateSandbox) -> None:
    with httpx.Client(base_url=rep.base_url, headers=auth(rep)) as http:
        made = http.post("/v1/models/minimax/hailuo-2.3/predictions", json={"input": INPUT})
        assert made.status_code == 201
        p = made.json()
        assert p["status"] == "starting" and p["urls"]["get"].endswith(f"/v1/predictions/{p['id']}")
        held = http.post(
            "/v1/models/minimax/hailuo-2.3/predictions",
            json={"input": INPUT},
            headers={"Prefer": "wait=5"},
        ).json()
        assert held["status"] == "succeeded" and held["output"].startswith(rep.base_url)
        listed = http.get("/v1/predictions").json()["results"]
        assert [x["id"] for x in listed] == [held["id"], p["id"]]
    assert rep.submits == 2


def test_problem_bodies_and_rate_limit(rep: ReplicateSandbox) -> None:
    with httpx.Client(base_url=rep.base_url) as http:
        anon = http.post("/v1/models/google/veo-3.1/predictions", json={"input": INPUT})
        assert anon.status_code == 401 and anon.json()["title"] == "Unauthenticated"
        assert anon.headers["content-type"] == "application/problem+json"
        bad = http.post(
            "/v1/models/google/veo-3.1/predictions",
            json={"input": {**INPUT, "duration": 5}},
            headers=auth(rep),
        )
        assert bad.status_code == 422 and "input.duration" in bad.json()["detail"]
        rep.inject(
            ReplicateFault(429, "Request was throttled.", "Too Many Requests", retry_after=2)
        )
        limited = http.post(
            "/v1/models/minimax/hailuo-2.3/predictions", json={"input": INPUT}, headers=auth(rep)
        )
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"


def test_outputs_deleted_after_ttl(rep: ReplicateSandbox) -> None:
    with httpx.Client(base_url=rep.base_url, headers=auth(rep)) as http:
        p = http.post(
            "/v1/models/minimax/hailuo-2.3/predictions",
            json={"input": INPUT},
            headers={"Prefer": "wait"},
        ).json()
        assert http.get(p["output"]).status_code == 200
        rep.age_outputs(3601)
        again = http.get(f"/v1/predictions/{p['id']}").json()
        assert again["data_removed"] is True and again["output"] is None
        assert http.get(p["output"]).status_code in (403, 404)


def test_official_sdk_drives_the_sandbox(
    rep: ReplicateSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.02")
    client = replicate.Client(api_token=rep.config.api_token, base_url=rep.base_url)
    prediction = client.models.predictions.create(model="minimax/hailuo-2.3", input=INPUT)
    assert prediction.id in rep.predictions and prediction.status == "starting"
    prediction.wait()
    assert prediction.status == "succeeded" and prediction.output.startswith(rep.base_url)
    (create,) = rep.requests_to("/v1/models/")
    assert create.headers["authorization"] == f"Bearer {rep.config.api_token}"
    assert create.json() == {"input": INPUT}

    failed = client.models.predictions.create(
        model="minimax/hailuo-2.3", input={**INPUT, "prompt": "contraband"}
    )
    failed.wait()
    assert failed.status == "failed" and "E005" in (failed.error or "")

    slow = ReplicateSandboxConfig(queue_seconds=5)
    with ReplicateSandbox(slow) as other:
        c2 = replicate.Client(api_token=other.config.api_token, base_url=other.base_url)
        queued = c2.models.predictions.create(model="minimax/hailuo-2.3", input=INPUT)
        queued.cancel()
        assert other.predictions[queued.id].status == "canceled"

    with pytest.raises(ReplicateError) as info:
        replicate.Client(api_token="wrong", base_url=rep.base_url).models.predictions.create(
            model="minimax/hailuo-2.3", input=INPUT
        )
    assert info.value.status == 401
