"""Driving one provider job through its durable states: submit, reconcile, follow, download.

Each step re-reads nothing it does not need and writes the job row only at state changes (not
per poll), guarded by the lease; a step that finds its write refused has lost the job to
another worker (or to `reel cancel`) and stops. Money moves in the same transactions.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from reelforge.jobs.crash import crash_point
from reelforge.jobs.events import JobEvent
from reelforge.jobs.queue import AdmitRequest, SlotLimits, utcnow
from reelforge.jobs.wire import (
    handle_from_json,
    outputs_from_json,
    request_from_json,
    to_json,
    wire_from_json,
)
from reelforge.providers.errors import (
    AmbiguousSubmit,
    ConcurrencyLimited,
    OutputExpired,
    ProviderError,
    RateLimited,
    TaskExpired,
    TransientProviderError,
)
from reelforge.providers.state import (
    Canceled,
    Expired,
    Failed,
    Running,
    Succeeded,
    TaskHandle,
    WireRequest,
)

if TYPE_CHECKING:
    from reelforge.jobs.engine import Engine

Job = SimpleNamespace  # a job row, mutable in memory while this worker drives it
DOWNLOAD_TRIES = 6
NOT_CREATED = (RateLimited, ConcurrencyLimited, TransientProviderError)  # at submit: safe to retry


class LeaseLost(Exception):
    """Another worker (or a cancel) changed the job: stop driving it."""


def backoff(tries: int, retry_after: float | None = None, base: float = 1.0) -> float:
    """Exponential with full jitter, capped at a minute; never sooner than Retry-After."""
    delay = min(60.0, base * 2 ** min(tries, 6)) * (0.5 + random.random() / 2)
    return max(delay, retry_after or 0.0)


class JobDriver:
    def __init__(self, engine: Engine, job: Job) -> None:
        self.engine = engine
        self.queue = engine.queue
        self.job = job
        self.route = engine.route(job.route_id)
        self.adapter = engine.adapter(self.route)

    # -- helpers ---------------------------------------------------------------------------------

    def emit(self, state: str, message: str = "", progress: float | None = None) -> None:
        j = self.job
        self.engine.emit(JobEvent(j.id, j.run_id, j.position, j.shot_id, state, progress, message))

    def move(self, expect: str, **values: Any) -> None:
        if not self.queue.move(self.job.id, self.engine.worker_id, expect, **values):
            raise LeaseLost(self.job.id)
        for name, value in values.items():
            setattr(self.job, name, value)

    def finish(
        self, status: str, expect: tuple[str, ...], charge: int | None, **values: Any
    ) -> None:
        note = values.pop("note", "")
        if status == "canceled" and note:
            values.setdefault("error", note)  # what `reel cancel` shows: whether it still billed
        ok = self.queue.finish(
            self.job,
            self.engine.worker_id,
            status,
            expect=expect,
            charge=charge,
            note=note,
            **values,
        )
        if not ok:
            raise LeaseLost(self.job.id)
        self.job.status = status
        self.engine.slot_freed(self.job.provider)
        message = values.get("error") or note
        self.emit(status if status != "done" else "done", message or "")

    def canceled(self) -> bool:
        return self.job.run_id in self.engine.canceled_runs

    def charge_micros(self, reported: str | None) -> tuple[int, str]:
        """The provider's reported usage in micro-dollars, else the quote (0 and "unpriced"
        when the catalogue has no price for the route)."""
        if reported is not None:
            from reelforge.catalogue import check, price
            from reelforge.catalogue.charge import charge_usd, to_micros

            request = request_from_json(self.job.request["shot"])
            settings = check(self.route, request).settings
            usd = charge_usd(
                self.route,
                settings,
                price(self.route, request),
                self.adapter.billing_unit,
                Decimal(reported),
            )
            if usd is not None:
                return to_micros(usd), "reported"
        if not self.job.request.get("priced", True):
            return 0, "unpriced"  # no price known and none reported: flagged, not a true $0
        return self.job.quote_micros, "quote"

    # -- the state machine -----------------------------------------------------------------------

    async def drive(self) -> None:
        steps = {
            "queued": self.submit,
            "submitting": self.reconcile,
            "submitted": self.follow,
            "downloading": self.download,
        }
        while self.job.status in steps:
            await steps[self.job.status]()

    async def submit(self) -> None:
        j, engine = self.job, self.engine
        if self.canceled():
            self.finish("canceled", ("queued",), None, note="canceled before submit")
            return
        request = request_from_json(j.request["shot"])
        try:
            wire = self.adapter.build_request(request, j.request["options"], idempotency_key=j.key)
        except ProviderError as exc:
            self.finish("failed", ("queued",), None, error_type=type(exc).__name__, error=str(exc))
            return
        wire_json = to_json(wire)
        limits = engine.limits_for(self.route)
        engine.waiting += 1
        try:
            await self._admit(wire_json, limits)
        finally:
            engine.waiting -= 1
        if j.status != "submitting":
            return
        self.emit("submitting")
        crash_point("submit-before-post")
        await self._post(wire)

    async def _admit(self, wire_json: dict[str, Any], limits: SlotLimits) -> None:
        """Wait for a provider slot within the limits and budget; the job is then `submitting`
        (hold taken), or it ended (budget, cancel)."""
        j, engine = self.job, self.engine
        while True:
            if self.canceled():
                self.finish("canceled", ("queued",), None, note="canceled before submit")
                return
            admission = await engine.admit(
                AdmitRequest(j, wire_json, limits, engine.run_cap(j.run_id))
            )
            if admission.granted:
                break
            if admission.refused:
                if admission.reason == "gone":
                    raise LeaseLost(j.id)
                self.finish(
                    "failed", ("queued",), None, error_type="BudgetExceeded",
                    error=admission.reason,
                )  # fmt: skip
                return
            await engine.wait_for_slot(j.provider)
        j.status, j.wire, j.submit_started_at = "submitting", wire_json, utcnow()
        j.submits += 1

    async def _post(self, wire: WireRequest) -> None:
        j, engine = self.job, self.engine
        try:
            handle = await self.adapter.submit(wire)
        except AmbiguousSubmit as exc:
            self.emit("submitting", f"outcome unknown ({exc.message}); reconciling")
            return  # status stays `submitting`: reconcile next
        except NOT_CREATED as exc:
            delay = backoff(j.tries, getattr(exc, "retry_after", None))
            if not self.queue.back_to_queue(
                j, engine.worker_id, delay=delay, error=str(exc), expect="submitting"
            ):
                raise LeaseLost(j.id) from exc
            engine.slot_freed(j.provider)
            j.status, j.tries = "queued", j.tries + 1
            self.emit("queued", f"retrying in {delay:.0f} s: {exc}")
            await asyncio.sleep(delay)
            return
        except ProviderError as exc:  # refused (moderation, invalid, auth, quota): not billed
            self.finish(
                "failed", ("submitting",), exc_charge(self, exc),
                error_type=type(exc).__name__, error=str(exc),
            )  # fmt: skip
            return
        crash_point("submit-after-accept")
        self.move("submitting", status="submitted", handle=to_json(handle))
        self.emit("submitted", handle.task_id)

    async def reconcile(self) -> None:
        """`submitting` found after a crash or an ambiguous answer: find the task, never resubmit
        blindly. A provider that cannot look tasks up sends the job to a human."""
        j = self.job
        wire = wire_from_json(j.wire)
        started = j.submit_started_at.timestamp() if j.submit_started_at else time.time()
        when = j.submit_started_at.isoformat(timespec="seconds") if j.submit_started_at else "?"
        if self.adapter.find_by == "none":
            self.finish(
                "needs_attention", ("submitting",), None,
                error_type="AmbiguousSubmit",
                error=(
                    f"a submit to {j.provider} at {when} UTC may have created a task (and a "
                    f"charge) but its answer was lost, and {j.provider} cannot look tasks up by "
                    f"our key {j.key}: check the provider's dashboard before rendering again"
                ),
            )  # fmt: skip
            return
        for attempt in range(6):
            try:
                handle = await self.adapter.find_submitted(wire, since=started - 5)
                break
            except AmbiguousSubmit as exc:  # several tasks match: which one is ours is unknowable
                self.finish(
                    "needs_attention", ("submitting",), None, error_type="AmbiguousSubmit",
                    error=f"a submit at {when} UTC lost its answer and {exc}; check "
                    f"{j.provider}'s dashboard before rendering again",
                )  # fmt: skip
                return
            except NOT_CREATED as exc:
                await asyncio.sleep(backoff(attempt, getattr(exc, "retry_after", None)))
            except ProviderError as exc:
                self.finish(
                    "needs_attention", ("submitting",), None,
                    error_type=type(exc).__name__, error=f"cannot reconcile the submit: {exc}",
                )  # fmt: skip
                return
        else:  # the provider keeps failing: stay `submitting`, look again later
            self.queue.defer(
                j, self.engine.worker_id, error="cannot reach the provider to reconcile"
            )
            raise LeaseLost(j.id)
        if handle is None:  # the provider never got it: submitting again is safe
            if not self.queue.back_to_queue(
                j, self.engine.worker_id, delay=0, error="", expect="submitting"
            ):
                raise LeaseLost(j.id)
            j.status = "queued"
            self.emit("queued", "the lost submit never reached the provider; submitting again")
            return
        self.move("submitting", status="submitted", handle=to_json(handle))
        self.emit("submitted", f"re-attached to {handle.task_id}")

    async def follow(self) -> None:
        """Poll until the task ends. Nothing is written per poll, only at the end."""
        j, engine = self.job, self.engine
        handle = handle_from_json(j.handle)
        tries = 0
        loop = asyncio.get_running_loop()
        phase = engine.phase()
        while True:
            if self.canceled():
                await self.cancel(handle)
                return
            # Polls fall on ticks counted from the submit: no drift (time spent asking is not
            # added to the wait), and tasks submitted together ask together (one list answers
            # them) yet each is asked right when its own interval comes round.
            next_poll = engine.next_tick(engine.poll_interval(self.adapter), phase)
            try:
                state = await engine.poll(self.adapter, handle)
                tries = 0
            except ProviderError as exc:
                if isinstance(exc, TaskExpired):
                    self.finish(
                        "failed", ("submitted",), None, error_type="TaskExpired", error=str(exc)
                    )
                    return
                if not exc.retryable:
                    self.finish(
                        "needs_attention", ("submitted",), None,
                        error_type=type(exc).__name__,
                        error=f"cannot follow task {handle.task_id}: {exc}",
                    )  # fmt: skip
                    return
                # A read is safe to repeat: back off gently (the task keeps running meanwhile).
                tries += 1
                step = engine.poll_interval(self.adapter) * (1 + tries)
                await asyncio.sleep(max(min(step, 60.0), getattr(exc, "retry_after", None) or 0))
                continue
            crash_point("poll")
            if isinstance(state, Succeeded):
                result = {
                    "outputs": to_json(state.outputs),
                    "charge": None if state.charge is None else str(state.charge),
                }
                self.move("submitted", status="downloading", result=result)
                j.fetched_here = True
                engine.slot_freed(j.provider)
                self.emit("downloading")
                return
            if isinstance(state, Failed):
                err = state.error
                self.finish(
                    "failed", ("submitted",), exc_charge(self, err) if err else None,
                    error_type=type(err).__name__ if err else "TaskFailed",
                    error=str(err) if err else "the task failed",
                )  # fmt: skip
                return
            if isinstance(state, Canceled | Expired):
                status = "canceled" if isinstance(state, Canceled) else "failed"
                kind = "TaskCanceled" if status == "canceled" else "TaskExpired"
                self.finish(status, ("submitted",), None, error_type=kind, error=state.status)
                return
            progress = state.progress if isinstance(state, Running) else None
            self.emit("running", progress=progress)
            await asyncio.sleep(max(0.0, next_poll - loop.time()))

    async def cancel(self, handle: TaskHandle) -> None:
        if not self.adapter.can_cancel:
            self.finish(
                "canceled", ("submitted",), self.job.quote_micros,
                note=f"{self.job.provider} has no cancel: the task runs and bills to the end",
            )  # fmt: skip
            return
        charge: int | None = None
        note = "canceled at the provider before it finished; not billed"
        try:
            await self.adapter.cancel(handle)
            state = await self.adapter.poll(handle)
            reported = getattr(state, "charge", None)
            if isinstance(state, Succeeded):  # finished before the cancel landed: billed
                charge, _ = self.charge_micros(None if reported is None else str(reported))
                note = "finished before the cancel reached the provider; billed"
        except ProviderError as exc:
            charge, note = self.job.quote_micros, f"cancel failed ({exc}); assumed billed"
        self.finish("canceled", ("submitted",), charge, note=note)

    async def download(self) -> None:
        """Fetch the output into the store; retried without resubmitting, never fetched twice
        once stored."""
        j, engine, store = self.job, self.engine, self.engine.store
        handle = handle_from_json(j.handle)
        # Only a job taken over in `downloading` (a crash) may have stored its clip already.
        found = None if getattr(j, "fetched_here", False) else engine.already_stored(j)
        if found is None:
            dest = engine.downloads / f"{j.key}.mp4"
            outputs = outputs_from_json(j.result["outputs"])
            for tries in range(DOWNLOAD_TRIES):
                try:
                    if not dest.is_file():
                        await self._fetch(handle, outputs, dest)
                    engine.check_clip(dest)
                    break
                except OutputExpired as exc:
                    fresh = await self._refresh(handle)
                    if fresh is None or tries == DOWNLOAD_TRIES - 1:
                        self._failed_after_success("OutputExpired", str(exc))
                        return
                    outputs = fresh
                except (TransientProviderError, ValueError) as exc:
                    dest.unlink(missing_ok=True)
                    if tries == DOWNLOAD_TRIES - 1:
                        self._failed_after_success(type(exc).__name__, str(exc))
                        return
                    await asyncio.sleep(backoff(tries))
            crash_point("download")
            found = engine.store_clip(j, dest, self.adapter)
        sha, generation_id = found
        charge, source = self.charge_micros(j.result.get("charge"))
        self.finish(
            "done", ("downloading",), charge, asset_sha256=sha, generation_id=generation_id,
            charge_source=source, note=f"charged ({source})",
        )  # fmt: skip
        del store

    async def _fetch(self, handle: TaskHandle, outputs: Any, dest: Path) -> None:
        tmp = dest.with_name(dest.name + ".d")
        try:
            paths = await self.adapter.download(Succeeded(handle, outputs=outputs), tmp)
            shutil.move(str(paths[0]), dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    async def _refresh(self, handle: TaskHandle) -> Any:
        """Providers re-sign output URLs on retrieve: poll again for fresh ones (a read, so a
        transient failure is retried; None when the provider has no output left to give)."""
        for tries in range(DOWNLOAD_TRIES):
            try:
                state = await self.adapter.poll(handle)
            except ProviderError as exc:
                if not exc.retryable or tries == DOWNLOAD_TRIES - 1:
                    return None
                await asyncio.sleep(backoff(tries, getattr(exc, "retry_after", None)))
                continue
            return state.outputs if isinstance(state, Succeeded) and state.outputs else None
        return None

    def _failed_after_success(self, kind: str, message: str) -> None:
        charge, source = self.charge_micros(self.job.result.get("charge"))
        self.finish(
            "failed", ("downloading",), charge, error_type=kind, error=message,
            charge_source=source, note="the provider billed a clip that could not be fetched",
        )  # fmt: skip


def exc_charge(driver: JobDriver, exc: ProviderError) -> int | None:
    """What a failure cost: the provider's reported cost (billed moderation), else nothing."""
    if exc.cost is None:
        return None
    micros, _ = driver.charge_micros(str(exc.cost))
    return micros


__all__ = ["JobDriver", "LeaseLost", "SlotLimits", "backoff"]
