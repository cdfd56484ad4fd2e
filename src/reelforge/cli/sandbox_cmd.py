"""`reel sandbox`: serve the provider sandboxes on loopback until Ctrl-C, and print the shell
lines that point another shell's `reel render FILE` at them.

The export lines go to standard output and nothing else does, so ``reel sandbox > env.sh &``
followed by ``. env.sh`` works as well as pasting; everything meant for a person goes to standard
error. The sandboxes are imported inside the command so `reel --help` stays fast.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from typing import Annotated, Any

import typer


def export_lines(env: dict[str, str], unset: tuple[str, ...] = ()) -> list[str]:
    """POSIX shell lines: real keys that must not reach a sandbox are unset first."""
    return [f"unset {name}" for name in unset] + [
        f"export {name}={shlex.quote(value)}" for name, value in env.items()
    ]


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox(
        provider: Annotated[
            list[str] | None,
            typer.Option(
                "--provider",
                "-p",
                metavar="NAME",
                help="Serve only this provider's sandbox (repeatable; default: all).",
            ),
        ] = None,
        fps: Annotated[
            int, typer.Option(metavar="FPS", help="Frame rate of the clips the sandboxes make.")
        ] = 24,
    ) -> None:
        """Serve provider sandboxes on loopback until Ctrl-C; prints `export` lines for
        another shell, where `reel render FILE` then renders against them (no money spent)."""
        from contextlib import ExitStack

        from reelforge.sandbox.session import OTHER_KEYS, start_sandboxes

        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        with ExitStack() as stack:
            try:
                running, env = start_sandboxes(stack, providers=provider or None, render_fps=fps)
            except ValueError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from None
            sys.stdout.write("\n".join(export_lines(env, OTHER_KEYS)) + "\n")
            sys.stdout.flush()
            for name, server in running.items():
                typer.echo(f"  {name:<11} {server.base_url}", err=True)
            typer.echo(
                f"Serving {len(running)} sandbox(es). Paste the lines above into another shell, "
                "then run `reel render FILE` there. Ctrl-C stops.",
                err=True,
            )
            # Ctrl-C (SIGINT) or SIGTERM ends the wait and the sandboxes stop cleanly. Set even
            # where SIGINT arrives ignored (a background job of a script), so `kill -INT` works.
            previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                while not stop.wait(0.5):
                    pass
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
        typer.echo("sandboxes stopped", err=True)
