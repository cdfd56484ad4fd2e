"""Chaos: kill -9 `reel render` / `reel resume` at random moments, at least 20 times, over a
12-shot production across several sandbox providers, then let it finish. Prints duplicates
(tasks a provider created beyond one per shot), lost clips (shots neither done nor handed to a
human) and ledger imbalance: all must be 0. Shots on providers that cannot look a task up may
end "needs attention" when a kill lands mid-submit: counted, never paid twice.

The sandboxes run in this process, so they outlive every kill and count what really arrived.

    .venv/bin/python benchmarks/jobs_chaos.py [--kills 20] [--seed 1] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from jobs_helpers import (
    BLIND_SHOTS,
    FINDABLE_SHOTS,
    REEL,
    balanced,
    production,
    repeated_downloads,
    set_processing,
    submits_by_provider,
)
from reelforge.jobs.queue import JobQueue
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

SHOTS = FINDABLE_SHOTS + [(f"{n}2", f"{p} again", s, m) for n, p, s, m in FINDABLE_SHOTS[:2]]
SHOTS += BLIND_SHOTS[:5]  # 12 shots over 10 providers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REELFORGE_HOME"] = str(Path(tmp) / "home")
        if args.database_url:
            os.environ["REELFORGE_DATABASE_URL"] = args.database_url
        prod = production(Path(tmp) / "chaos.yaml", SHOTS, title="Chaos")
        with sandboxes(render_fps=24) as boxes:
            for box in boxes.values():  # slow enough that kills land in every phase
                set_processing(box, 2.0)
            kills, attempts, started = 0, 0, time.perf_counter()
            finished = False
            while not finished:
                store = Store()
                resume = bool(store.runs())
                command = [REEL, "resume"] if resume else [REEL, "render", str(prod), "-o", tmp]
                proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                attempts += 1
                if kills < args.kills:
                    time.sleep(rng.uniform(0.3, 6.0))
                    if proc.poll() is None:
                        proc.kill()
                        kills += 1
                _, err = proc.communicate()
                finished = proc.returncode == 0 or (
                    proc.returncode == 1 and b"needs attention" in err and kills >= args.kills
                )
                if proc.returncode not in (0, -9) and not finished:
                    print(err.decode()[-2000:], file=sys.stderr)
                    break
            store = Store()
            jobs = JobQueue(store).jobs()
            created = submits_by_provider(boxes)
            wanted: dict[str, int] = {}
            for job in jobs:
                wanted[job.provider] = wanted.get(job.provider, 0) + 1
            by_box = {"bytedance": "seedance", "apiyi": "openai"}  # catalogue → sandbox name
            duplicates = sum(max(0, created[by_box.get(p, p)] - n) for p, n in wanted.items())
            done = [j for j in jobs if j.status == "done" and store.assets.has(j.asset_sha256)]
            human = [j for j in jobs if j.status == "needs_attention"]
            lost = len(SHOTS) - len(done) - len(human)
            bal = balanced(store)
            imbalance = bal.holds - bal.releases - bal.outstanding + len(bal.unbalanced_jobs)
            print(f"{kills} kills over {attempts} starts in {time.perf_counter() - started:.0f} s")
            print(f"shots: {len(SHOTS)}, done: {len(done)}, needs attention: {len(human)}")
            print(f"duplicates: {duplicates}")
            print(f"lost clips: {lost}")
            print(f"repeated downloads: {len(repeated_downloads(boxes))}")
            print(f"ledger imbalance: {imbalance}")
            for job in human:
                print(f"  needs attention: {job.shot_id} on {job.provider}: {job.error}")


if __name__ == "__main__":
    main()
