"""A task's life after submit, for every route's adapter against its sandbox: cancel (or its
documented absence), download (a valid MP4; credentials only for the provider's own origin),
expired output URLs (OutputExpired) and tasks the provider dropped (Expired / TaskExpired)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from reelforge.catalogue import check
from reelforge.generators.remote import idempotency_key
from reelforge.media.probe import probe
from reelforge.providers import (
    Canceled,
    Expired,
    Failed,
    OutputExpired,
    ProviderError,
    Queued,
    Running,
    Succeeded,
    TaskExpired,
    TaskHandle,
    TaskState,
    Unsupported,
)
from reelforge.providers._http import same_origin

from .harness import POLL, ROUTE_IDS, Bench, Pool, open_bench, run, shot


async def submitted(bench: Bench, adapter: Any) -> tuple[Any, TaskHandle]:
    route = bench.route
    request = shot(route, bench.tmp, first=not route.capabilities.t2v)
    settings = check(route, request).settings  # adapter-level: retired routes are driven too
    options = bench.options(bool(settings and settings.audio))
    wire = adapter.build_request(request, options, idempotency_key=idempotency_key(request))
    return wire, await adapter.submit(wire)


async def finished(bench: Bench, adapter: Any) -> Succeeded:
    _, handle = await submitted(bench, adapter)
    state = await adapter.wait(handle, interval=POLL, timeout=30)
    assert isinstance(state, Succeeded), state
    return state


def facts(bench: Bench) -> tuple[bool, str]:
    """The adapter's can_cancel and base URL (an adapter made and closed for it)."""
    adapter = bench.adapter()
    run(adapter.aclose())
    return bool(adapter.can_cancel), str(adapter.base_url)


# -- cancel -------------------------------------------------------------------------------------


async def cancel_live(bench: Bench, phase: str) -> TaskState:
    async with bench.adapter() as adapter:
        _, handle = await submitted(bench, adapter)
        state = await adapter.poll(handle)
        want = Queued if phase == "queued" else Running
        assert isinstance(state, want), f"the held task is {state!r}, not {want.__name__}"
        await adapter.cancel(handle)
        return await adapter.wait(handle, interval=POLL, timeout=3)  # a canceled task ends at once


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_cancel(
    route_id: str,
    pool: Pool,
    queued_pool: Pool,
    running_pool: Pool,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    if not facts(bench)[0]:

        async def unsupported() -> None:
            async with bench.adapter() as adapter:
                _, handle = await submitted(bench, adapter)
                before = len(bench.sandbox.log)
                with pytest.raises(Unsupported) as info:
                    await adapter.cancel(handle)
                err = info.value
                assert (err.provider, err.model, err.task_id) == (
                    adapter.provider,
                    handle.model,
                    handle.task_id,
                )
                assert len(bench.sandbox.log) == before, "no cancel endpoint, yet it called one"

        run(unsupported())
        return
    phase = bench.profile.cancel_phase
    held = open_bench(
        route_id, queued_pool if phase == "queued" else running_pool, monkeypatch, tmp_path
    )
    state = run(cancel_live(held, phase))
    assert isinstance(state, Canceled), f"cancel of a {phase} task ended {state!r}"
    if phase == "queued":  # the documented limit: a running task cannot be cancelled
        assert bench.profile.cancel_note
        running = open_bench(route_id, running_pool, monkeypatch, tmp_path)
        with pytest.raises(Unsupported):
            run(cancel_live(running, "running"))


# -- download -----------------------------------------------------------------------------------


def auth_names(adapter: Any) -> set[str]:
    return {name.lower() for name in adapter.auth_headers()}


async def download(bench: Bench) -> tuple[Succeeded, list[Path], set[str]]:
    async with bench.adapter() as adapter:
        state = await finished(bench, adapter)
        paths = await adapter.download(state, bench.tmp / f"dl-{uuid.uuid4().hex[:8]}")
        return state, paths, auth_names(adapter)


def valid_mp4(path: Path) -> None:
    info = probe(path, count_frames=True)
    assert info.video_codec == "h264" and info.frames > 0 and info.duration > 0, info


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_download_and_credentials(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    sbx, profile = bench.sandbox, bench.profile
    if profile.inline_outputs:  # the clip is in the task's answer: nothing to fetch, no host
        state, paths, _ = run(download(bench))
        assert all(out.url.startswith("data:") for out in state.outputs), state.outputs
        valid_mp4(paths[0])
        return
    # Outputs on a foreign host: the file comes without a single credential header.
    profile.use_cdn(sbx, bench.cdn)
    foreign = sbx.cdn
    api_from, cdn_from = len(sbx.log), len(foreign.log)
    state, paths, secret = run(download(bench))
    valid_mp4(paths[0])
    served = foreign.log[cdn_from:]
    assert served, "the output did not come from the foreign host"
    for req in served:
        leaked = secret & set(req.headers)
        assert not leaked, f"{leaked} sent to the output host {req.path}"
    for req in sbx.log[api_from:]:
        assert secret <= set(req.headers), f"{req.method} {req.path} to the provider lacks auth"
    if profile.foreign_outputs_only:
        return
    # Outputs on the provider's own origin: credentials may (Gemini files: must) go along.
    profile.use_cdn(sbx, None)
    api_from = len(sbx.log)
    state, paths, secret = run(download(bench))
    valid_mp4(paths[0])
    base = facts(bench)[1]
    assert all(same_origin(out.url, base) for out in state.outputs), state.outputs
    fetched = [r for r in sbx.log[api_from:] if r.method == "GET" and r.path.startswith("/files/")]
    fetched += [r for r in sbx.log[api_from:] if "download" in r.path or "content" in r.path]
    assert fetched and all(secret <= set(r.headers) for r in fetched)


# -- expiry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_expired_output_url(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    sbx, profile = bench.sandbox, bench.profile
    dest = tmp_path / "expired"
    if profile.inline_outputs:  # nothing can expire: the adapter must never say it did

        async def inline() -> list[Path]:
            async with bench.adapter() as adapter:
                state = await finished(bench, adapter)
                profile.expire_outputs(sbx)
                return list(await adapter.download(state, dest))

        valid_mp4(run(inline())[0])
        return

    async def go() -> None:
        async with bench.adapter() as adapter:
            state = await finished(bench, adapter)
            if profile.stale_fresh_urls is not None:
                # The adapter re-reads the task for fresh URLs once: that must work...
                profile.expire_outputs(sbx)
                valid_mp4((await adapter.download(state, tmp_path / "refreshed"))[0])
                # ...and when the fresh URLs are stale too, the answer is OutputExpired.
                with profile.stale_fresh_urls(sbx):
                    profile.expire_outputs(sbx)
                    await adapter.download(state, dest)
            else:
                profile.expire_outputs(sbx)
                await adapter.download(state, dest)

    with pytest.raises(OutputExpired) as info:
        run(go())
    err = info.value
    assert err.provider and err.model and err.task_id, (err.provider, err.model, err.task_id)
    assert not dest.exists() or not any(dest.iterdir()), "a partial file was left behind"


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_dropped_task(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    profile, route = bench.profile, bench.route

    async def dropped() -> tuple[TaskHandle, TaskState]:
        async with bench.adapter() as adapter:
            _, handle = await submitted(bench, adapter)
            assert profile.drop_task is not None
            profile.drop_task(bench.sandbox, handle)
            return handle, await adapter.wait(handle, interval=POLL, timeout=5)

    async def unknown() -> TaskState | ProviderError:
        async with bench.adapter() as adapter:
            _, handle = await submitted(bench, adapter)
            gone = TaskHandle(handle.provider, handle.model, handle.route, "conformanceunknown0")
            try:
                return await adapter.poll(gone)
            except ProviderError as exc:
                return exc

    if profile.drop_task is not None and profile.drops(route):
        handle, state = run(dropped())
        if isinstance(state, Failed):
            assert isinstance(state.error, TaskExpired), state.error
            assert state.error.task_id == handle.task_id and state.error.model == handle.model
        else:
            assert isinstance(state, Expired), f"a dropped task ended {state!r}"
            assert state.handle.task_id == handle.task_id
        return
    # The provider has no such state: say why, and the adapter must never make one up.
    assert profile.no_drop_reason, f"{profile.name}: say why there is no task expiry"
    answer = run(unknown())
    assert not isinstance(answer, Expired | TaskExpired), f"{profile.no_drop_reason}: {answer!r}"
