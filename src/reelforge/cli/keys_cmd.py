"""`reel keys`: store provider API keys (as simonw/llm does), list which are set."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="Store and list provider API keys (values are never shown).")
    app.add_typer(keys, name="keys")

    @keys.command("set")
    def set_key(
        provider: Annotated[str, typer.Argument(help="kling, gemini, openai, seedance, ...")],
        name: Annotated[
            str | None, typer.Option(help="Variable to store (default: the provider's usual one).")
        ] = None,
    ) -> None:
        """Store a key for PROVIDER; typed without echo, or read from standard input."""
        from reelforge.providers.keys import PRIMARY_KEY, store_key

        variable = name or PRIMARY_KEY.get(provider.lower())
        if variable is None:
            choices = ", ".join(sorted(PRIMARY_KEY))
            typer.echo(f"error: unknown provider {provider!r}; choose one of {choices}", err=True)
            raise typer.Exit(2)
        if sys.stdin.isatty():
            value = typer.prompt(f"{variable}", hide_input=True)
        else:
            value = sys.stdin.readline()
        path = store_key(variable, value)
        typer.echo(f"stored {variable} in {path}")

    @keys.command("list")
    def list_keys() -> None:
        """Which variables are stored (names only)."""
        from reelforge.providers.keys import keys_path, stored_keys

        names = sorted(stored_keys())
        typer.echo("\n".join(names) if names else f"no keys stored in {keys_path()}")
