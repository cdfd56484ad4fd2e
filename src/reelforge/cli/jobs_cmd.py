"""`reel resume`, `reel cancel`, `reel resolve`, `reel worker`, `reel ledger`: durable jobs and
money."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer


def register(app: typer.Typer) -> None:
    from reelforge.cli.app import _fail, console

    @app.command()
    def resume(
        run: Annotated[
            str | None, typer.Argument(help="Run id (default: every unfinished run).")
        ] = None,
    ) -> None:
        """Carry on interrupted runs: re-attach to provider tasks, never submit them again."""
        from reelforge._exceptions import ReelforgeError
        from reelforge.jobs.resume import resumable_runs, resume_run

        try:
            runs = resumable_runs(run)
            if not runs:
                console.print("nothing to resume: no unfinished run")
                return
            for record in runs:
                console.print(f"resuming {record.id} ({record.title})", markup=False)
                result = resume_run(record)
                console.print(f"cut:    {result.cut.resolve()}", markup=False)
                console.print(f"report: {result.report.resolve()}", markup=False)
        except ReelforgeError as exc:
            _fail(exc)

    @app.command()
    def cancel(run: Annotated[str, typer.Argument(help="The run to stop.")]) -> None:
        """Stop RUN: queued shots are dropped, provider tasks canceled where the provider can."""
        from reelforge._exceptions import ReelforgeError
        from reelforge.jobs.cancel import cancel_run
        from reelforge.jobs.ledger import fmt_usd

        try:
            jobs = cancel_run(run)
        except ReelforgeError as exc:
            _fail(exc)
            return
        for job in jobs:  # one line each: readable in any terminal width
            charged = "not charged" if job.charge_micros is None else fmt_usd(job.charge_micros)
            note = f" — {job.error}" if job.error else ""
            console.print(
                f"{job.shot_id} ({job.route_id}): {job.status}, {charged}{note}", markup=False
            )

    @app.command()
    def resolve(
        job: Annotated[
            int, typer.Argument(help="The job id `reel ledger` lists as needing attention.")
        ],
        task: Annotated[
            str | None, typer.Option(help="The provider's task id: the task exists, follow it.")
        ] = None,
        not_created: Annotated[
            bool, typer.Option("--not-created", help="The provider has no such task: submit again.")
        ] = False,
        abandon: Annotated[bool, typer.Option(help="Give the task up.")] = False,
        charged: Annotated[
            bool, typer.Option(help="With --abandon: the provider billed it (charge the quote).")
        ] = False,
    ) -> None:
        """Settle a job that needs attention, after checking the provider's dashboard."""
        from reelforge._exceptions import ReelforgeError
        from reelforge.jobs.ledger import fmt_usd
        from reelforge.jobs.resolve import resolve_job

        try:
            done = resolve_job(job, task_id=task, not_created=not_created, abandon=abandon,
                               charged=charged)  # fmt: skip
        except ReelforgeError as exc:
            _fail(exc)
            return
        charged_now = (
            "" if done.charge_micros is None else f", charged {fmt_usd(done.charge_micros)}"
        )
        line = f"job {done.id} ({done.shot_id}, {done.route_id}): {done.status}{charged_now}"
        console.print(line, markup=False)
        if done.status in ("submitted", "queued"):
            console.print(f"carry on with: reel resume {done.run_id}", markup=False)

    @app.command()
    def worker(
        capacity: Annotated[int, typer.Option(help="Most jobs this worker drives at once.")] = 2000,
    ) -> None:
        """Drive provider jobs from the shared database until stopped (Ctrl-C / SIGTERM)."""
        import asyncio
        import signal

        from reelforge.jobs.engine import Engine
        from reelforge.store import Store

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            engine = Engine(Store(), capacity=capacity, on_event=_log_event)
            console.print(f"worker {engine.worker_id} started", markup=False)
            await engine.run(until_idle=False, stop=stop)
            console.print(f"worker {engine.worker_id} stopped", markup=False)

        asyncio.run(main())

    @app.command()
    def ledger(
        run: Annotated[str | None, typer.Option(help="Only this run.")] = None,
        month: Annotated[str | None, typer.Option(help="Only this month (YYYY-MM).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        check: Annotated[
            bool, typer.Option(help="Exit 1 if holds, charges and releases do not balance.")
        ] = False,
    ) -> None:
        """Quoted vs charged money per run, provider, model and month; billed failures flagged."""
        from rich.table import Table

        from reelforge.jobs import ledger as money
        from reelforge.jobs.report import attention, ledger_rows
        from reelforge.store import Store

        store = Store()
        rows = ledger_rows(store, run_id=run, month=month)
        with store.engine.connect() as conn:
            bal = money.balance(conn, run_id=run)
        if as_json:
            out: dict[str, Any] = {
                "rows": [r.as_json() for r in rows],
                "balanced": bal.ok,
                "charged_usd": str(money.usd(bal.charges)),
                "held_usd": str(money.usd(bal.outstanding)),
            }
            typer.echo(json.dumps(out, indent=2))
        else:
            table = Table(
                "month",
                "run",
                "provider",
                "model",
                "jobs",
                "quoted",
                "charged",
                "held",
                "billed failures",
            )
            for r in rows:
                flag = f"[bold red]{r.charged_failures}[/]" if r.charged_failures else "0"
                charged = money.fmt_usd(r.charged)
                if r.unpriced:  # a $0 that is really "unknown": say so in the cell
                    charged += f" [yellow]+ {r.unpriced} unpriced[/]"
                table.add_row(r.month, r.run_id, r.provider, r.route_id, str(r.jobs),
                              money.fmt_usd(r.quoted), charged,
                              money.fmt_usd(r.held), flag)  # fmt: skip
            console.print(table)
            state = "[green]balanced[/]" if bal.ok else "[bold red]NOT balanced[/]"
            console.print(
                f"holds {money.fmt_usd(bal.holds)} = releases {money.fmt_usd(bal.releases)} "
                f"+ in flight {money.fmt_usd(bal.outstanding)}: {state}; "
                f"charged {money.fmt_usd(bal.charges)}"
            )
            unpriced = sum(r.unpriced for r in rows)
            if unpriced:
                console.print(
                    f"[yellow]{unpriced} job(s) ran on routes with no known price[/] (none in "
                    "the catalogue, none reported by the provider): their cost is not in these "
                    "totals — check the provider's billing"
                )
            for job in attention(store, run_id=run):
                console.print(
                    f"[yellow]needs attention:[/] job {job.id} (run {job.run_id}, shot "
                    f"{job.shot_id}): {job.error}\n  then: reel resolve {job.id} --task TASK_ID | "
                    "--not-created | --abandon [--charged]",
                    highlight=False,
                )
        if check and not bal.ok:
            raise typer.Exit(1)


def _log_event(event: Any) -> None:
    from reelforge.cli.app import console

    if event.state in ("submitted", "done", "failed", "canceled", "needs_attention"):
        console.print(
            f"run {event.run_id} shot {event.shot_id}: {event.state} {event.message}", markup=False
        )


__all__ = ["register"]
