"""`reel models`: table, JSON, one route in full, and a clean error for an unknown id."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from reelforge.catalogue import load_catalogue
from reelforge.cli.models_cmd import register

# Wide enough that rich never truncates an id column.
runner = CliRunner(env={"COLUMNS": "220", "NO_COLOR": "1"})


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def noop() -> None:
        """A second command so Typer keeps `models` as a named subcommand."""

    return app


def test_table_lists_every_route() -> None:
    result = runner.invoke(_app(), ["models"])
    assert result.exit_code == 0, result.output
    for route_id in load_catalogue().ids:
        assert route_id in result.output, route_id
    assert "retired 2026-09-24" in result.output
    assert "$0.400-0.600/s" in result.output  # veo-3.1@gemini: 720p/1080p $0.40, 4K $0.60


def test_json_is_machine_readable_and_complete() -> None:
    result = runner.invoke(_app(), ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["version"] == load_catalogue().version
    assert [r["id"] for r in data["routes"]] == load_catalogue().ids
    veo = next(r for r in data["routes"] if r["id"] == "veo-3.1@gemini")
    assert veo["price"]["rates"][0]["amount"] == "0.40"  # Decimal as a string, not a float


def test_one_model_in_full() -> None:
    result = runner.invoke(_app(), ["models", "seedance-2.0"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "dreamina-seedance-2-0-260128" in out
    assert "excludes: reference_images cannot be combined with first_frame / last_frame" in out
    assert "usd_per_million_tokens" in out
    assert "Comfy-Org/docs PR #966" in out
    assert "reference_images_max" in out


def test_one_model_as_json() -> None:
    result = runner.invoke(_app(), ["models", "sora-2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["lifecycle"] == {"status": "retired", "date": "2026-09-24"}


def test_unknown_model_suggests_nearest_and_exits_2() -> None:
    result = runner.invoke(_app(), ["models", "kling-v2.6-prp"])
    assert result.exit_code == 2
    assert "unknown model 'kling-v2.6-prp'" in result.output
    assert "kling-v2.6-pro" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a crash
