"""`reel keys set`: stored keys feed the adapters, are private to their owner, never shown."""

from __future__ import annotations

import stat

import pytest
from typer.testing import CliRunner

from reelforge.cli.app import app
from reelforge.providers.config import resolve_keys
from reelforge.providers.errors import MissingKey
from reelforge.providers.keys import keys_path

KLING = [("KLING_API_KEY",), ("KLING_ACCESS_KEY", "KLING_SECRET_KEY")]


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KLING_API_KEY", "KLING_ACCESS_KEY", "KLING_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_missing_key_names_the_fix() -> None:
    with pytest.raises(MissingKey, match="reel keys set kling"):
        resolve_keys("kling", KLING, env={})


def test_stored_key_is_used_and_kept_private() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["keys", "set", "kling"], input="sk-secret-123\n")
    assert result.exit_code == 0, result.output
    assert "sk-secret-123" not in result.output
    assert stat.S_IMODE(keys_path().stat().st_mode) == 0o600
    assert resolve_keys("kling", KLING, env={}) == {"KLING_API_KEY": "sk-secret-123"}
    listing = runner.invoke(app, ["keys", "list"])
    assert "KLING_API_KEY" in listing.output and "sk-secret-123" not in listing.output


def test_environment_wins_over_the_stored_key() -> None:
    CliRunner().invoke(app, ["keys", "set", "kling"], input="stored\n")
    assert resolve_keys("kling", KLING, env={"KLING_API_KEY": "from-env"}) == {
        "KLING_API_KEY": "from-env"
    }


def test_unknown_provider_is_a_clear_error() -> None:
    result = CliRunner().invoke(app, ["keys", "set", "klingg"], input="x\n")
    assert result.exit_code == 2 and "unknown provider 'klingg'" in result.output
