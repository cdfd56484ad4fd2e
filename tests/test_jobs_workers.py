"""Scale-out on PostgreSQL: `reel worker` processes share a production's jobs with no double
execution, limits hold across them, and killing one for good still completes the production."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from jobs_helpers import REEL, balanced, production, set_processing
from reelforge.jobs.queue import JobQueue
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

KLING_LIMIT = 3


def test_two_workers_split_a_production_and_survive_losing_one(
    postgres_url: str, tmp_path: Path
) -> None:
    home = Path(os.environ["REELFORGE_HOME"])
    (home / "config.toml").write_text(f"[limits.kling]\nmax_in_flight = {KLING_LIMIT}\n")
    shots = [(f"k{i}", f"kling shot {i}", 5, "kling-v3-std") for i in range(12)]
    # Replicate finds a lost submit by its exact input (Seedance could not tell 8 look-alikes).
    shots += [(f"r{i}", f"replicate shot {i}", 6, "hailuo-2.3@replicate") for i in range(8)]
    prod = production(tmp_path / "twenty.yaml", shots, title="Twenty", previz=False)
    with sandboxes(render_fps=24) as boxes:  # puts the sandboxes' URLs and keys in os.environ
        set_processing(boxes["kling"], 1.5)
        boxes["kling"].config.concurrency_limit = KLING_LIMIT  # crossing it would answer 429
        env = {**os.environ, "REELFORGE_DATABASE_URL": postgres_url}
        env["REELFORGE_LEASE_SECONDS"] = "3"
        logs = [open(tmp_path / f"worker{i}.log", "w") for i in range(2)]  # noqa: SIM115
        workers = [
            subprocess.Popen([REEL, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
            for log in logs
        ]
        try:
            store = Store(url=postgres_url)
            deadline = time.monotonic() + 30
            while len(_alive(store)) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            render = subprocess.Popen(
                [REEL, "render", str(prod), "-o", str(tmp_path / "out")],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            # Once both have finished work, kill one for good (it may hold jobs mid-flight).
            deadline = time.monotonic() + 60
            while len(_finishers(store)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(_finishers(store)) == 2, "the two workers did not share the production"
            workers[0].send_signal(signal.SIGKILL)
            try:
                out, err = render.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                render.kill()
                out, err = render.communicate()
                states = [
                    (j.shot_id, j.status, j.lease_owner, j.error) for j in JobQueue(store).jobs()
                ]
                raise AssertionError(f"render did not finish: {states}\n{err[-3000:]}") from None
            assert render.returncode == 0, out + err
        finally:
            for w in workers:
                w.kill()
                w.wait()
            for log in logs:
                log.close()
        jobs = JobQueue(store).jobs()
        assert len(jobs) == 20 and {j.status for j in jobs} == {"done"}
        assert all(j.submits == 1 for j in jobs)
        assert len(boxes["kling"].accepted_submits()) == 12
        assert len(boxes["replicate"].accepted_submits()) == 8
        refused = [r for r in boxes["kling"].log if r.status == 429]
        assert not refused  # the shared limit kept both workers under Kling's concurrency
        assert balanced(store).ok


def _finishers(store: Store) -> set[str]:
    """The workers that have stored at least one clip."""
    jobs = [j for j in JobQueue(store).jobs() if j.status == "done" and j.generation_id]
    return {store.generation_info(j.generation_id)[1]["worker"] for j in jobs}


def _alive(store: Store) -> list[str]:
    from reelforge.jobs.workers import live_workers

    return live_workers(store, lease=3.0)
