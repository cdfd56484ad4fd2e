"""Benchmark: 1,000 shots in flight against a sandbox provider whose tasks take 120 s, polled
every 5 s, on the embedded default (SQLite). Targets: wall <= 130 s, CPU <= 20 s, RSS <= 200 MB.

Two sides, each in its own process so CPU and peak RSS are its own, against the same sandbox
(a Kling sandbox in a third process, see _kling_farm.py):
- reference: the same Kling adapter driven by a bare asyncio loop (submit, poll, download; no
  database, no durability) — the floor any engine pays for the HTTP work;
- engine: reelforge's durable job engine (jobs table, leases, limits, ledger, CAS store).

    .venv/bin/python benchmarks/jobs_1000.py [--shots 1000] [--task-seconds 120] [--poll 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROUTE = "kling-v3-std"


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _request(i: int):  # type: ignore[no-untyped-def]
    from reelforge.generators.base import ShotRequest

    return ShotRequest(
        shot_id=f"s{i}",
        prompt=f"benchmark shot {i}",
        frames=120,
        fps=24,
        width=1280,
        height=720,
        model=ROUTE,
    )


async def reference(shots: int, poll: float, out: Path) -> None:
    """The adapter alone: one coroutine per shot, nothing recorded anywhere."""
    from reelforge.generators.remote import RemoteGenerator, make_adapter

    generator = RemoteGenerator(ROUTE)
    adapter = make_adapter(generator.route)

    async def one(i: int) -> None:
        request = _request(i)
        options, _ = generator.prepare(request)
        wire = adapter.build_request(request, options, idempotency_key=f"ref-{i}")
        handle = await adapter.submit(wire)
        state = await adapter.wait(handle, interval=poll, timeout=3600)
        await adapter.download(state, out / str(i))

    await asyncio.gather(*(one(i) for i in range(shots)))
    await adapter.aclose()


def engine_side(shots: int, home: Path) -> tuple[int, int]:
    """Enqueue the shots (not timed), then drive them; returns DB bytes before and after."""
    from reelforge.jobs.engine import Engine
    from reelforge.jobs.queue import JobQueue
    from reelforge.jobs.specs import job_spec
    from reelforge.store import Store

    store = Store()
    run = store.start_run(title="bench", source="bench.yaml", production_sha256="0" * 64)
    queue = JobQueue(store)
    for i in range(shots):
        queue.enqueue(
            job_spec(
                run_id=run,
                position=i,
                shot_id=f"s{i}",
                route_id=ROUTE,
                request=_request(i),
                request_key=f"bench-{i}",
                version="b",
            )
        )
    before = _db_bytes(home)
    epoch = datetime.now(UTC).replace(tzinfo=None)  # the jobs table's clock (naive UTC)
    started, cpu = time.perf_counter(), _cpu()
    asyncio.run(Engine(store).run(runs=[run]))
    wall, used = time.perf_counter() - started, _cpu() - cpu
    rows = queue.jobs(run_id=run)
    done = sum(j.status == "done" for j in rows)
    submits = sorted(j.submit_started_at for j in rows if j.submit_started_at)
    ends = sorted(j.finished_at for j in rows if j.finished_at)

    def at(when: datetime) -> float:
        return (when - epoch).total_seconds()

    spread = {  # seconds from the engine's start: where the wall time goes
        "first_submit": at(submits[0]) if submits else 0,
        "last_submit": at(submits[-1]) if submits else 0,
        "first_end": at(ends[0]) if ends else 0,
        "last_end": at(ends[-1]) if ends else 0,
    }
    print(
        json.dumps(
            {
                **spread,
                "wall": wall,
                "cpu": used,
                "rss": _peak_mb(),
                "done": done,
                "db_before": before,
                "db_after": _db_bytes(home),
            }
        )
    )
    return before, _db_bytes(home)


def _db_bytes(home: Path) -> int:
    return sum(p.stat().st_size for p in home.glob("reelforge.db*"))


def side(name: str, shots: int, poll: float) -> None:
    if name == "reference":
        with tempfile.TemporaryDirectory() as tmp:
            started, cpu = time.perf_counter(), _cpu()
            asyncio.run(reference(shots, poll, Path(tmp)))
            wall, used = time.perf_counter() - started, _cpu() - cpu
            print(json.dumps({"wall": wall, "cpu": used, "rss": _peak_mb(), "done": shots}))
    else:
        engine_side(shots, Path(os.environ["REELFORGE_HOME"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--task-seconds", type=float, default=120.0)
    parser.add_argument("--poll", type=float, default=5.0)
    parser.add_argument("--side", choices=["reference", "engine"])
    args = parser.parse_args()
    if args.side:
        side(args.side, args.shots, args.poll)
        return
    here = Path(__file__).parent
    farm = subprocess.Popen(
        [sys.executable, str(here / "_kling_farm.py"), str(args.task_seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    env = dict(os.environ)
    assert farm.stdout is not None
    for line in farm.stdout:
        if line.strip() == "READY":
            break
        key, _, value = line.strip().partition("=")
        env[key] = value
    results = {}
    try:
        with tempfile.TemporaryDirectory() as home:
            Path(home, "config.toml").write_text(
                "[limits.kling]\nmax_in_flight = 100000\nsubmits_per_minute = 100000\n"
                f'[limits."{ROUTE}"]\nmax_in_flight = 100000\nsubmits_per_minute = 100000\n'
            )
            env.update(REELFORGE_HOME=home, REELFORGE_POLL_SECONDS=str(args.poll))
            env.pop("REELFORGE_DATABASE_URL", None)  # the embedded default
            for name in ("reference", "engine"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--side",
                        name,
                        "--shots",
                        str(args.shots),
                        "--poll",
                        str(args.poll),
                    ],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if out.returncode:
                    sys.exit(f"the {name} side failed:\n{out.stderr[-3000:]}")
                results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        farm.kill()
    print(f"{args.shots} shots, tasks of {args.task_seconds:g} s, polled every {args.poll:g} s")
    print(f"{'':12}{'wall s':>9}{'CPU s':>9}{'peak RSS MB':>13}{'done':>7}")
    for name, r in results.items():
        print(f"{name:12}{r['wall']:9.1f}{r['cpu']:9.1f}{r['rss']:13.0f}{r['done']:7d}")
    e = results["engine"]
    print(f"engine DB growth: {(e['db_after'] - e['db_before']) / 1e6:.1f} MB")
    print(
        f"engine timeline (s from start): submits {e['first_submit']:.1f}-{e['last_submit']:.1f}, "
        f"jobs done {e['first_end']:.1f}-{e['last_end']:.1f}, engine returned {e['wall']:.1f}"
    )
    print(
        f"targets: wall <= 130 s, CPU <= 20 s, RSS <= 200 MB -> "
        f"{'met' if e['wall'] <= 130 and e['cpu'] <= 20 and e['rss'] <= 200 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
