"""`reel render examples/every-route.yaml --sandbox`: one shot per usable catalogue route, rendered
once by the real CLI through every real adapter over loopback HTTP. Per route, the run's recorded
data (the store the report is built from, the job and the ledger) and the HTML report show the
model, the provider's task id and the charge; the cut is the shots end to end.

The example must name exactly the usable routes (enabled, not retired): a new or re-enabled route
fails the coverage test, by id, until it has a shot (scripts/every_route.py writes the file).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from jobs_helpers import REEL
from reelforge.catalogue import check, load_catalogue, price
from reelforge.catalogue.charge import charge_usd, to_micros
from reelforge.catalogue.outcome import ShotFacts
from reelforge.catalogue.schema import Route
from reelforge.jobs.queue import JobQueue
from reelforge.jobs.report import ledger_rows
from reelforge.media.probe import probe
from reelforge.store import Store

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "every-route.yaml"
PRODUCTION: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
SHOTS: list[dict[str, Any]] = PRODUCTION["shots"]
SHOT_BY_MODEL = {s["model"]: s for s in SHOTS}
CATALOGUE = load_catalogue()
USABLE = {r.id for r in CATALOGUE.routes if r.enabled and not r.retired}


# -- coverage: no render needed ------------------------------------------------------------------


def test_every_usable_route_has_a_shot() -> None:
    missing = sorted(USABLE - set(SHOT_BY_MODEL))
    assert not missing, (
        f"{EXAMPLE.name} has no shot for usable route(s) {', '.join(missing)}: re-run "
        "scripts/every_route.py once they are wired (an edit-only route also needs a source "
        "video clip under examples/)"
    )


def test_every_shot_names_one_usable_route_once() -> None:
    models = [s["model"] for s in SHOTS]
    twice = sorted({m for m in models if models.count(m) > 1})
    unusable = sorted(set(models) - USABLE)
    assert not twice, f"{EXAMPLE.name} renders route(s) {', '.join(twice)} more than once"
    assert not unusable, (
        f"{EXAMPLE.name} has shots for route(s) {', '.join(unusable)}, which are unknown, "
        "disabled or retired"
    )


# -- the render, once per test session (xdist workers share it) ---------------------------------


@dataclass(frozen=True)
class Rendered:
    home: Path
    out: Path
    run_id: str
    seconds: float

    def store(self) -> Store:
        # The render's own database, whatever the test environment points at.
        return Store(self.home, url=f"sqlite:///{self.home / 'reelforge.db'}")


def _render(root: Path) -> dict[str, Any]:
    home, out = root / "home", root / "out"
    env = {**os.environ, "REELFORGE_HOME": str(home)}
    env.pop("REELFORGE_DATABASE_URL", None)  # the run's store is the one under home
    started = time.perf_counter()
    proc = subprocess.run(
        [REEL, "render", str(EXAMPLE), "--sandbox", "--out", str(out)],
        env=env, cwd=root, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    assert proc.returncode == 0, f"reel render failed:\n{proc.stdout[-3000:]}\n{proc.stderr}"
    found = re.search(r"^run:\s+(\S+)$", proc.stdout, re.M)
    assert found, f"no run id in the output:\n{proc.stdout[-2000:]}"
    return {"home": str(home), "out": str(out), "run_id": found[1], "seconds": seconds}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rendered]:
    # Under xdist each worker would run this module fixture: the first renders under a lock in
    # the session's shared temp folder, the others read its result instead of rendering again.
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "every-route"
    with open(shared / "every-route.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = root / "result.json"
        if not result.is_file():
            root.mkdir(exist_ok=True)
            result.write_text(json.dumps(_render(root)), encoding="utf-8")
        data = json.loads(result.read_text(encoding="utf-8"))
    done = Rendered(Path(data["home"]), Path(data["out"]), data["run_id"], data["seconds"])
    print(f"\nreel render {EXAMPLE.name} --sandbox took {done.seconds:.1f} s")
    yield done


@dataclass(frozen=True)
class Recorded:
    """What the run recorded for one shot: its render row, generation meta, job and ledger."""

    status: str
    generator: str
    cache_hit: bool
    meta: dict[str, Any]
    job: Any
    ledger: Any  # the route's LedgerRow in this run, None when nothing was booked


@pytest.fixture(scope="module")
def recorded(rendered: Rendered) -> dict[str, Recorded]:
    store = rendered.store()
    run, renders = store.run(rendered.run_id)
    assert run.status == "done", run.error
    jobs = {j.shot_id: j for j in JobQueue(store).jobs(run_id=rendered.run_id)}
    ledger = {r.route_id: r for r in ledger_rows(store, run_id=rendered.run_id)}
    out: dict[str, Recorded] = {}
    for row in renders:
        meta = store.generation_info(row.generation_id)[1] if row.generation_id else {}
        job = jobs.get(row.shot_id)
        out[row.shot_id] = Recorded(
            row.status,
            row.generator,
            row.cache_hit,
            meta,
            job,
            ledger.get(job.route_id) if job else None,
        )
    return out


# -- per route: model, task, charge --------------------------------------------------------------


def _facts(shot: dict[str, Any]) -> ShotFacts:
    """The shot as the catalogue sees it, from the production file alone."""
    # Inputs that would change the check or the price but are not modelled here: fail loudly.
    if unmodelled := sorted({"last_frame", "elements", "sound", "dialogue"} & set(shot)):
        pytest.fail(f"shot {shot['id']} uses {', '.join(unmodelled)}: extend _facts for them")
    width, height = (int(v) for v in PRODUCTION["delivery"]["resolution"].split("x"))
    first, source = shot.get("first_frame"), shot.get("source_video")
    return ShotFacts(
        float(shot["duration"]),
        width,
        height,
        int(PRODUCTION["delivery"]["fps"]),
        first_frame=(EXAMPLE.parent / first).resolve() if first else None,
        source_video=(EXAMPLE.parent / source).resolve() if source else None,
        source_seconds=probe((EXAMPLE.parent / source).resolve()).duration if source else None,
    )


def _expected_charge(route: Route, shot: dict[str, Any], meta: dict[str, Any]) -> tuple[int, str]:
    """The provider's reported usage in USD where the catalogue can convert it, else the quote
    (0, "unpriced" when the catalogue has no price for the route)."""
    facts = _facts(shot)
    quote = price(route, facts)
    reported = meta.get("charge")
    if reported is not None:
        usd = charge_usd(
            route, check(route, facts).settings, quote, meta["billing_unit"], Decimal(reported)
        )
        if usd is not None:
            return to_micros(usd), "reported"
    if quote.total is None:
        return 0, "unpriced"  # flagged as unknown, never a silent $0
    return to_micros(quote.total), "quote"


ROUTES_IN_EXAMPLE = [s["model"] for s in SHOTS]


@pytest.mark.parametrize("route_id", ROUTES_IN_EXAMPLE)
def test_shot_is_rendered_by_its_route_through_the_adapter(
    route_id: str, recorded: dict[str, Recorded]
) -> None:
    shot = SHOT_BY_MODEL[route_id]
    route = CATALOGUE.get(route_id)
    assert route is not None
    got = recorded[shot["id"]]
    assert (got.status, got.generator, got.cache_hit) == ("done", route_id, False)
    assert got.job is not None, f"shot {shot['id']} made no provider job"
    job = got.job
    # `submits` may exceed 1: a POST the provider refused (Kling's 1303 concurrency limit) created
    # nothing and is retried; the ledger below proves one job, charged once.
    assert (job.route_id, job.provider, job.status) == (route_id, route.provider, "done")
    task = (job.handle or {}).get("task_id")
    assert task, f"{route_id}: no provider task id recorded"
    assert got.meta.get("task_id") == task and got.meta.get("provider") == route.provider
    assert got.meta.get("billing_unit"), f"{route_id}: the adapter names no billing unit"
    charge, source = _expected_charge(route, shot, got.meta)
    quote = price(route, _facts(shot)).total
    assert job.quote_micros == (to_micros(quote) if quote is not None else 0)
    assert (job.charge_micros, job.charge_source) == (charge, source)
    assert got.ledger is not None, f"{route_id}: nothing in the ledger"
    assert (got.ledger.jobs, got.ledger.charged, got.ledger.held) == (1, charge, 0)


# -- per route: the HTML report shows it ---------------------------------------------------------


class _Cells(HTMLParser):
    """Every table row of the report as a list of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def report_rows(rendered: Rendered) -> dict[str, dict[str, str]]:
    """The provenance table of the report, keyed by shot id, cells keyed by column header."""
    reports = list(rendered.out.glob("*.report.html"))
    assert len(reports) == 1, f"expected one report in {rendered.out}, found {reports}"
    parser = _Cells()
    parser.feed(reports[0].read_text(encoding="utf-8"))
    header = next(r for r in parser.rows if "Provider task" in r)
    return {
        row[header.index("Shot")]: dict(zip(header, row, strict=True))
        for row in parser.rows
        if len(row) == len(header) and row is not header
    }


def _amounts(text: str) -> set[Decimal]:
    # Every number the cell shows ("1,234.5 token", "$0.42"); the pattern only matches decimals.
    return {Decimal(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


@pytest.mark.parametrize("route_id", ROUTES_IN_EXAMPLE)
def test_report_shows_model_task_and_charge(
    route_id: str, recorded: dict[str, Recorded], report_rows: dict[str, dict[str, str]]
) -> None:
    shot = SHOT_BY_MODEL[route_id]
    row = report_rows.get(shot["id"])
    assert row is not None, f"the report has no row for shot {shot['id']}"
    got = recorded[shot["id"]]
    assert row["Generator"].split()[0] == route_id
    assert row["Provider task"] == (got.job.handle or {}).get("task_id")
    # The charge cell must state an amount: the provider's own figure (with its unit), or the
    # USD the ledger charged; a route with neither a price nor reported usage must say unknown.
    cell, reported = row["Charge"], got.meta.get("charge")
    amounts = _amounts(cell)
    shown = (reported is not None and Decimal(str(reported)) in amounts) or (
        got.job.charge_micros > 0 and Decimal(got.job.charge_micros) / 1_000_000 in amounts
    )
    if reported is None and got.job.charge_micros == 0:
        shown = shown or "unknown" in cell.lower()
    assert shown, (
        f"{route_id}: the report's charge cell reads {cell!r}; the ledger charged "
        f"${Decimal(got.job.charge_micros) / 1_000_000} ({got.job.charge_source}), provider "
        f"reported {reported!r} {got.meta.get('billing_unit')!r}"
    )


# -- the cut -------------------------------------------------------------------------------------


def test_the_cut_is_every_shot_end_to_end(rendered: Rendered) -> None:
    store = rendered.store()
    run, renders = store.run(rendered.run_id)
    assert run.out_path and Path(run.out_path).is_file()
    assert [r.shot_id for r in renders] == [s["id"] for s in SHOTS]
    fps = int(PRODUCTION["delivery"]["fps"])
    # Every transition into a later shot overlaps it with the one before by its duration.
    overlaps = sum(
        float(s["transition"].get("duration", 0))
        for s in SHOTS[1:]
        if isinstance(s.get("transition"), dict) and s["transition"].get("kind") != "cut"
    )
    expected = sum(float(s["duration"]) for s in SHOTS) - overlaps
    info = probe(Path(run.out_path), count_frames=True)
    assert info.video_codec == "h264"
    assert f"{info.width}x{info.height}" == PRODUCTION["delivery"]["resolution"]
    assert info.frames == round(expected * fps), (info.frames, expected)
    assert abs(info.duration - expected) <= 2 / fps, (info.duration, expected)
