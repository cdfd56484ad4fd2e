"""`reel render --dry-run` prices the plan; a render over a cap is refused before any submit;
`reel cancel` stops a run and says who still charged."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from typer.testing import CliRunner

from jobs_helpers import REEL, production, set_processing
from reelforge.cli.app import app
from reelforge.jobs.queue import JobQueue
from reelforge.sandbox.session import sandboxes
from reelforge.store import Store

runner = CliRunner()
SHOTS = [
    ("kling", "a lantern in the wind", 5, "kling-v3-std"),
    ("veo", "a drone over the harbour", 4, "veo-3.1-fast@gemini"),
]


def test_dry_run_prices_each_shot_says_what_is_emulated_and_sends_nothing(tmp_path: Path) -> None:
    prod = production(tmp_path / "p.yaml", SHOTS)
    with sandboxes() as boxes:
        result = runner.invoke(app, ["render", str(prod), "--dry-run"])
        assert not any(box.log for box in boxes.values())  # nothing reached any provider
    assert result.exit_code == 0, result.output
    out = result.output
    assert "opening  previz  2s  free" in out
    assert "kling  kling-v3-std  5s  $0.4200" in out  # 5 s x $0.084/s, from the catalogue
    assert "veo  veo-3.1-fast@gemini  4s  $0.6000" in out
    assert "total quoted: $1.02" in out
    assert not (tmp_path / "out").exists()


def test_dry_run_and_render_refuse_a_production_over_its_budget(tmp_path: Path) -> None:
    prod = production(tmp_path / "p.yaml", SHOTS, budget=0.5)
    dry = runner.invoke(app, ["render", str(prod), "--dry-run"])
    assert dry.exit_code == 1
    assert "would be refused" in dry.output and "$1.02" in dry.output and "$0.50" in dry.output
    with sandboxes() as boxes:
        real = runner.invoke(app, ["render", str(prod), "-o", str(tmp_path / "out")])
        assert not any(box.accepted_submits() for box in boxes.values())
    assert real.exit_code == 1
    assert "refused before any submit" in real.output and "max_budget_usd" in real.output


def test_cancel_stops_a_running_render_and_reports_who_charged(tmp_path: Path) -> None:
    prod = production(
        tmp_path / "p.yaml", [SHOTS[0], ("rep", "a storm", 6, "hailuo-2.3@replicate")]
    )
    with sandboxes() as boxes:
        for name in ("kling", "replicate"):
            set_processing(boxes[name], 60.0)
        render = subprocess.Popen(
            [REEL, "render", str(prod), "-o", str(tmp_path / "out")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        store = Store()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = JobQueue(store).jobs()
            if len(jobs) == 2 and all(j.status == "submitted" for j in jobs):
                break
            time.sleep(0.2)
        canceled = subprocess.run(
            [REEL, "cancel", jobs[0].run_id], capture_output=True, text=True, timeout=60
        )
        _, err = render.communicate(timeout=60)
    assert canceled.returncode == 0, canceled.stderr
    assert "has no cancel" in canceled.stdout  # Kling: the task runs and bills to the end
    assert render.returncode == 1 and "canceled" in err.lower()
    by_model = {j.route_id: j for j in JobQueue(store).jobs()}
    assert {j.status for j in by_model.values()} == {"canceled"}
    assert by_model["kling-v3-std"].charge_micros == by_model["kling-v3-std"].quote_micros
    assert by_model["hailuo-2.3@replicate"].charge_micros is None
