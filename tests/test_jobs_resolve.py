"""`reel resolve`: a job that needs attention is settled by what the user found on the provider's
dashboard, and `reel resume` carries on from there — never a second submit for a task that
exists, the hold released or charged as the user says, the ledger balanced throughout."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from jobs_helpers import BLIND_SHOTS, balanced, production, reel, submits_by_provider
from reelforge.jobs.queue import JobQueue
from reelforge.jobs.resolve import ResolveError, resolve_job
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

GROK = [BLIND_SHOTS[1]]  # xAI: no lookup by key, no listing


def _stranded(tmp_path: Path, crash_at: str) -> tuple[Path, Any]:
    """A render of one xAI shot killed at ``crash_at``, then resumed: the job needs attention."""
    prod = production(tmp_path / "prod.yaml", GROK, previz=False)
    first = reel("render", str(prod), "-o", str(tmp_path / "out"),
                 env={"REELFORGE_CRASH_AT": crash_at})  # fmt: skip
    assert first.returncode == -signal.SIGKILL
    assert reel("resume").returncode == 1  # the shot cannot be finished without a human
    (job,) = JobQueue(Store()).jobs()
    assert job.status == "needs_attention"
    return prod, job


def test_the_task_found_on_the_dashboard_is_followed_not_submitted_again(tmp_path: Path) -> None:
    with sandboxes(render_fps=24) as boxes:
        _, job = _stranded(tmp_path, "submit-after-accept")
        (task_id,) = boxes["xai"].book.jobs  # what the user reads on xAI's dashboard

        bogus = reel("resolve", str(job.id), "--task", "no-such-task")
        assert bogus.returncode == 1 and "does not confirm task no-such-task" in bogus.stderr
        assert JobQueue(Store()).get(job.id).status == "needs_attention"

        out = reel("resolve", str(job.id), "--task", task_id)
        assert out.returncode == 0, out.stderr
        assert f"reel resume {job.run_id}" in out.stdout
        resumed = reel("resume", job.run_id)
        assert resumed.returncode == 0, resumed.stderr
        assert submits_by_provider(boxes)["xai"] == 1
    done = JobQueue(Store()).get(job.id)
    assert done.status == "done" and done.handle["task_id"] == task_id
    assert done.charge_micros is not None and done.charge_micros > 0
    assert balanced(Store()).ok and balanced(Store()).outstanding == 0


def test_a_submit_that_never_left_is_sent_once_more(tmp_path: Path) -> None:
    with sandboxes(render_fps=24) as boxes:
        _, job = _stranded(tmp_path, "submit-before-post")
        assert submits_by_provider(boxes)["xai"] == 0
        assert balanced(Store()).outstanding == job.quote_micros  # held, as it may exist

        out = reel("resolve", str(job.id), "--not-created")
        assert out.returncode == 0, out.stderr
        queued = JobQueue(Store()).get(job.id)
        assert queued.status == "queued" and balanced(Store()).outstanding == 0
        assert reel("resume", job.run_id).returncode == 0
        assert submits_by_provider(boxes)["xai"] == 1
    assert JobQueue(Store()).get(job.id).status == "done"
    assert balanced(Store()).ok


@pytest.mark.parametrize("charged", [True, False])
def test_an_abandoned_task_is_charged_only_if_the_provider_billed_it(
    tmp_path: Path, charged: bool
) -> None:
    with sandboxes(render_fps=24):
        _, job = _stranded(tmp_path, "submit-after-accept")
    args = ["resolve", str(job.id), "--abandon"] + (["--charged"] if charged else [])
    assert reel(*args).returncode == 0
    ended = JobQueue(Store()).get(job.id)
    assert ended.status == "failed" and ended.error_type == "Abandoned"
    assert ended.charge_micros == (job.quote_micros if charged else None)
    bal = balanced(Store())
    assert bal.ok and bal.outstanding == 0
    assert bal.charges == (job.quote_micros if charged else 0)
    # The ledger no longer lists it as needing attention.
    assert "needs attention" not in reel("ledger").stdout


def test_only_jobs_needing_attention_and_one_clear_answer(tmp_path: Path) -> None:
    with sandboxes(render_fps=24):
        _, job = _stranded(tmp_path, "submit-after-accept")
    ledger_out = reel("ledger").stdout
    assert f"job {job.id}" in ledger_out and f"reel resolve {job.id}" in ledger_out
    with pytest.raises(ResolveError, match="exactly one of --task"):
        resolve_job(job.id)
    with pytest.raises(ResolveError, match="exactly one of --task"):
        resolve_job(job.id, task_id="t", abandon=True)
    with pytest.raises(ResolveError, match="--charged goes with --abandon"):
        resolve_job(job.id, not_created=True, charged=True)
    with pytest.raises(ResolveError, match="no job 999999"):
        resolve_job(999999, abandon=True)
    resolve_job(job.id, abandon=True)
    with pytest.raises(ResolveError, match="is failed: only jobs that need attention"):
        resolve_job(job.id, not_created=True)
    missing = reel("resolve", "999999", "--abandon")
    assert missing.returncode == 1 and "no job 999999" in missing.stderr
    assert "Traceback" not in missing.stderr
