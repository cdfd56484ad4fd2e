"""`reel resume`: finish runs whose process died. Finished shots come from the cache, provider
jobs are re-attached (never submitted again), and the cut is assembled again."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import Any

from reelforge._exceptions import ReelforgeError
from reelforge.store import Store


def _alive(run: Any) -> bool:
    """Is the process that started ``run`` still rendering it (on this host)?"""
    options = run.options or {}
    if options.get("host") != socket.gethostname() or not options.get("pid"):
        return False
    try:
        os.kill(int(options["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return int(options["pid"]) != os.getpid()


def resumable_runs(run_id: str | None = None, store: Store | None = None) -> list[Any]:
    store = store or Store()
    if run_id is not None:
        record, _ = store.run(run_id)
        if record.status == "done":
            raise ReelforgeError(f"run {record.id} is already done: {record.out_path}")
        if _alive(record):
            raise ReelforgeError(
                f"run {record.id} is still rendering (pid {(record.options or {}).get('pid')})"
            )
        return [record]
    return [r for r in store.unfinished_runs() if not _alive(r)]


def resume_run(run: Any, store: Store | None = None, on_event: Any = None) -> Any:
    from reelforge import load
    from reelforge.jobs.events import ignore
    from reelforge.pipeline import render_production

    source = Path(run.source)
    if not source.is_file():
        raise ReelforgeError(f"run {run.id}: its production file {source} is gone")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != run.production_sha256:
        raise ReelforgeError(
            f"run {run.id}: {source} changed since the run started; render it again with "
            f"`reel render {source}` (finished shots still come from the cache)"
        )
    options = run.options or {}
    out_dir = Path(options.get("out_dir") or "out")
    return render_production(
        load(source),
        out_dir,
        store=store,
        on_event=on_event or ignore,
        preset=options.get("preset"),
        run_id=run.id,
    )
