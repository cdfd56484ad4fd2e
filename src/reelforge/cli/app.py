"""`reel`: the command line. Heavy modules are imported inside commands, so --help is instant."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from reelforge._exceptions import ProductionError, ReelforgeError

app = typer.Typer(
    name="reel",
    help="reelforge: turn a written production into a finished, assembled video.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: ReelforgeError) -> None:
    if isinstance(exc, ProductionError):
        errors.print(f"[bold red]error:[/] {exc.args[0].splitlines()[0]}")
        for problem in exc.problems:
            errors.print(f"  {problem}", markup=False)
    else:
        errors.print(f"[bold red]error:[/] {exc}", markup=False)
    raise typer.Exit(2 if isinstance(exc, ProductionError) else 1)


FileArg = Annotated[Path, typer.Argument(help="The production file (YAML or JSON).")]


@app.command()
def render(
    file: FileArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the cut and report.")] = Path(
        "out"
    ),
    preset: Annotated[
        str | None, typer.Option(help="x264 preset for the final encode (default: by quality).")
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel shot renders.")] = None,
    sandbox: Annotated[
        bool, typer.Option(help="Point every provider at its loopback sandbox (no money spent).")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Price the plan (per shot and total) and stop; nothing is sent.")
    ] = False,
) -> None:
    """Render FILE to a finished MP4 with a report beside it."""
    if dry_run:
        _dry_run(file)
        return
    from contextlib import AbstractContextManager, nullcontext

    from reelforge import load
    from reelforge.cli.progress import ProgressDisplay
    from reelforge.pipeline import render_production

    try:
        loaded = load(file)
        servers: AbstractContextManager[dict[str, Any]] = nullcontext({})
        if sandbox:
            from reelforge.sandbox.session import sandboxes

            servers = sandboxes(render_fps=loaded.production.delivery.fps)
        with (
            servers,
            ProgressDisplay(console, [s.id for s in loaded.production.shots]) as progress,
        ):
            result = render_production(
                loaded, out, on_event=progress, preset=preset, workers=workers
            )
    except ReelforgeError as exc:
        _fail(exc)
        return
    except OSError as exc:  # an output folder that is a file, a full disk, no permission...
        _fail(ReelforgeError(f"cannot write the render: {exc}"))
        return
    if not console.is_terminal:  # rich leaves the last line of a non-live display open
        console.line()
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}", markup=True)
    generated = sum(1 for s in result.shots if not s.cache_hit)
    console.print(
        f"Rendered [bold]{loaded.production.title}[/] in {result.wall_seconds:.1f}s "
        f"({generated} shot(s) generated, {len(result.shots) - generated} from cache)."
    )
    console.print(f"cut:    {result.cut.resolve()}", markup=False)
    if result.srt:
        console.print(f"subs:   {result.srt.resolve()}", markup=False)
    console.print(f"report: {result.report.resolve()}", markup=False)
    console.print(f"run:    {result.run_id}", markup=False)


def _dry_run(file: Path) -> None:
    from reelforge import load
    from reelforge.pipeline import price_production
    from reelforge.store import Store

    try:
        quoted = price_production(load(file), Store())
    except ReelforgeError as exc:
        _fail(exc)
        return
    # One block per shot, not a wide table: it stays readable in an 80-column terminal.
    for s in quoted.shots:
        if s.status == "to render":
            amount = "unknown price" if s.quote is None else f"${s.quote:.4f}"
        else:
            amount = "free" if s.status == "local" else s.status
        console.print(
            f"{s.index + 1:>3}. [bold]{s.shot_id}[/]  {s.model}  {s.seconds:g}s  {amount}"
        )
        if s.native:
            console.print(f"     native:   {', '.join(s.native)}", markup=False)
        if s.emulated:
            console.print(f"     emulated: {', '.join(s.emulated)}", markup=False)
        if s.note:
            console.print(f"     note:     {s.note}", markup=False)
    unpriced = (
        f" (+{len(quoted.unpriced)} shot(s) with no catalogue price)" if quoted.unpriced else ""
    )
    console.print(f"total quoted: [bold]${quoted.total:.2f}[/]{unpriced}")
    if quoted.run_cap is not None:
        console.print(f"production cap (delivery.max_budget_usd): ${quoted.run_cap:.2f}")
    if quoted.monthly_cap is not None:
        console.print(
            f"monthly cap: ${quoted.monthly_cap:.2f} (${quoted.month_committed:.2f} committed)"
        )
    refused = [s for s in quoted.shots if s.status == "refused"]
    for problem in quoted.over_caps():
        errors.print(f"[bold red]would be refused:[/] {problem}")
    for s in refused:
        errors.print(f"[bold red]refused:[/] shot {s.shot_id}: {s.note}", markup=True)
    if refused or quoted.over_caps():
        raise typer.Exit(1)


@app.command()
def validate(file: FileArg) -> None:
    """Check FILE and report every problem at once, with file:line:column."""
    from reelforge import load

    try:
        loaded = load(file)
    except ReelforgeError as exc:
        _fail(exc)
        return
    p = loaded.production
    total = sum(s.duration for s in p.shots)
    console.print(
        f"{file}: ok — {p.title!r}, {len(p.shots)} shots, {total:g}s of shots, "
        f"{len(p.elements)} elements, {p.delivery.resolution}@{p.delivery.fps}",
        markup=False,
    )


@app.command()
def runs(limit: Annotated[int, typer.Option(help="How many runs to list.")] = 20) -> None:
    """List recent runs from the store."""
    from rich.table import Column, Table

    from reelforge.store import Store

    try:
        items = Store().runs(limit)
    except ReelforgeError as exc:
        _fail(exc)
        return
    table = Table("started (UTC)", "status", "title", "shots", "cut")
    table.columns.insert(0, Column("run", no_wrap=True, min_width=20))
    for run in items:
        table.add_row(
            run.id,
            run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            run.status,
            run.title,
            str(run.summary.get("shots", "")),
            run.out_path or (run.error or "")[:60],
        )
    console.print(table)


@app.command()
def show(run: Annotated[str, typer.Argument(help="A run id (or a unique prefix).")]) -> None:
    """Show one run: its shots, generators, cache hits and outputs."""
    from rich.table import Table

    from reelforge.store import Store

    try:
        record, shots = Store().run(run)
    except ReelforgeError as exc:
        _fail(exc)
        return
    console.print(f"[bold]{record.title}[/]  run {record.id}  [{record.status}]")
    console.print(f"source: {record.source}", markup=False)
    console.print(f"cut:    {record.out_path}", markup=False)
    console.print(f"report: {record.report_path}", markup=False)
    if record.error:
        console.print(f"error:  {record.error}", markup=False)
    table = Table("#", "shot", "generator", "seed", "frames", "time", "cache", "asset")
    for s in shots:
        table.add_row(
            str(s.position + 1),
            s.shot_id,
            s.generator,
            str(s.seed),
            str(s.frames),
            f"{s.seconds:.2f}s",
            "hit" if s.cache_hit else ("generated" if s.status == "done" else s.status),
            (s.asset_sha256 or "")[:12],
        )
    console.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of production files."""
    from reelforge.production import production_json_schema

    sys.stdout.write(json.dumps(production_json_schema(), indent=2) + "\n")


def _register_plugins() -> None:
    from reelforge.cli import jobs_cmd, keys_cmd, models_cmd, sandbox_cmd

    jobs_cmd.register(app)
    models_cmd.register(app)
    keys_cmd.register(app)
    sandbox_cmd.register(app)


_register_plugins()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
