"""kill -9 at chosen moments of a sandbox production, then `reel resume`: every shot done, each
provider saw exactly one submit per shot, no clip downloaded twice, the ledger balances.

The sandboxes run in this test process, so they outlive the killed `reel render` and count
what it really sent. Run on SQLite and on PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jobs_helpers import (
    BLIND_SHOTS,
    FINDABLE_SHOTS,
    balanced,
    production,
    reel,
    repeated_downloads,
    submits_by_provider,
)
from reelforge.jobs.queue import JobQueue
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

PROVIDER_OF = {
    "kling-v3-std": "kling",
    "seedance-2.0": "seedance",
    "luma-ray-flash-2": "luma",
    "hailuo-2.3@replicate": "replicate",
    "grok-imagine-video@openai-compat": "openai",
    "veo-3.1-fast@gemini": "google",
    "grok-imagine-video": "xai",
    "runway-gen4.5": "runway",
    "hailuo-2.3": "minimax",
    "kling-v3-std@fal": "fal",
}


def downloads_at_kill(store: Store) -> tuple[set[str], set[str]]:
    """Output paths of jobs caught downloading: (cut short, already fetched to disk)."""
    interrupted, fetched = set(), set()
    for job in JobQueue(store).jobs():
        if job.status != "downloading":
            continue
        path = urlsplit(job.result["outputs"][0]["url"]).path
        on_disk = (store.cache_dir / "downloads" / f"{job.key}.mp4").is_file()
        (fetched if on_disk else interrupted).add(path)
    return interrupted, fetched


def expected_submits(shots: list[tuple[str, str, int, str]]) -> Counter[str]:
    return Counter(PROVIDER_OF[model] for *_, model in shots)


@pytest.mark.parametrize(
    ("point", "shots"),
    [
        ("submit-before-post", FINDABLE_SHOTS),
        ("submit-after-accept", FINDABLE_SHOTS),
        ("poll", FINDABLE_SHOTS),
        # A kill while a provider without lookup is mid-POST rightly ends in needs_attention, so
        # providers without lookup join only once every submit is certainly answered.
        ("download", FINDABLE_SHOTS),
        ("assemble", FINDABLE_SHOTS + BLIND_SHOTS),
    ],
)
def test_kill_9_then_resume_pays_once_and_finishes(
    point: str, shots: list[tuple[str, str, int, str]], database_url: str, tmp_path: Path
) -> None:
    prod = production(tmp_path / "prod.yaml", shots)
    env = {"REELFORGE_DATABASE_URL": database_url}
    with sandboxes(render_fps=24) as boxes:
        first = reel("render", str(prod), "-o", str(tmp_path / "out"),
                     env={**env, "REELFORGE_CRASH_AT": point})  # fmt: skip
        assert first.returncode == -signal.SIGKILL, first.stdout + first.stderr
        interrupted, fetched = downloads_at_kill(Store(url=database_url))
        resumed = reel("resume", env=env)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr

        store = Store(url=database_url)
        (run,) = store.runs()
        assert run.status == "done" and Path(run.out_path or "").is_file()
        jobs = JobQueue(store).jobs(run_id=run.id)
        assert sorted(j.status for j in jobs) == ["done"] * len(shots)
        seen = submits_by_provider(boxes)
        for provider, n in expected_submits(shots).items():
            assert seen[provider] == n, (provider, seen)
        # A clip fetched before the kill is never fetched again; only a transfer the kill cut
        # short is repeated (the server may have sent it all, the client never stored it).
        repeated = set(repeated_downloads(boxes))
        assert repeated <= interrupted and not repeated & fetched, (repeated, interrupted)
        if point == "download":
            assert fetched  # the kill came right after a clip was fetched to disk
        assert balanced(store).ok
        assert sum(j.charge_micros or 0 for j in jobs) > 0


def test_a_lost_submit_answer_on_a_provider_without_lookup_goes_to_a_human(
    database_url: str, tmp_path: Path
) -> None:
    """xAI cannot look a task up by our key or list its tasks: the job is not submitted again,
    it is flagged with the time and key to check, and its hold stays (it may be billed)."""
    prod = production(tmp_path / "prod.yaml", [BLIND_SHOTS[1]], previz=False)
    env = {"REELFORGE_DATABASE_URL": database_url}
    with sandboxes(render_fps=24) as boxes:
        first = reel("render", str(prod), "-o", str(tmp_path / "out"),
                     env={**env, "REELFORGE_CRASH_AT": "submit-after-accept"})  # fmt: skip
        assert first.returncode == -signal.SIGKILL
        resumed = reel("resume", env=env)
        assert resumed.returncode == 1
        assert "needs attention" in resumed.stderr and "dashboard" in resumed.stderr
        assert submits_by_provider(boxes)["xai"] == 1
        store = Store(url=database_url)
        (job,) = JobQueue(store).jobs()
        assert job.status == "needs_attention"
        bal = balanced(store)
        assert bal.ok and bal.outstanding == job.quote_micros > 0
        ledger_out = reel("ledger", env=env)
        assert "needs attention" in ledger_out.stdout
