"""The command line: clear errors without tracebacks, and a --help that imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from reelforge.cli.app import app

runner = CliRunner()


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from reelforge.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('numpy', 'av', 'PIL', 'sqlalchemy', 'alembic', 'torch', 'scipy')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "render" in out.stdout and "validate" in out.stdout
    assert "HEAVY []" in out.stdout


def test_validate_reports_every_problem_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "title: Bad\n"
        "shots:\n"
        "  - id: a\n"
        "    prompt: x\n"
        "    duration: 99\n"
        "    camera: dolly-in\n"
        "  - id: b\n"
        "    prompt: y\n"
        "    duration: 2\n"
        "    model: klingg\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    text = result.output
    assert f"{bad}:5:15: shots[0].duration: duration must be between 0.5 and 60" in text
    assert f"{bad}:6:13: shots[0].camera: unknown camera move 'dolly-in'" in text
    assert f"{bad}:10:12: shots[1].model: unknown model 'klingg'" in text
    assert "3 problems" in text
    assert "Traceback" not in text


def test_validate_unknown_model_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "model.yaml"
    bad.write_text(
        "title: T\nshots:\n  - id: a\n    prompt: x\n    duration: 2\n    model: previs\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:6:12: shots[0].model: unknown model 'previs' (did you mean 'previz'?)" in (
        result.output
    )


def test_validate_ok(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("title: T\nshots:\n  - {id: a, prompt: x, duration: 2}\n")
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "not found" in result.output and "Traceback" not in result.output


def test_show_unknown_run() -> None:
    result = runner.invoke(app, ["show", "deadbeef"])
    assert result.exit_code == 1
    assert "no run 'deadbeef'" in result.output


def test_schema_is_json() -> None:
    import json

    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert "shots" in schema["properties"]


def test_unknown_voice_is_located(tmp_path: Path) -> None:
    bad = tmp_path / "voice.yaml"
    bad.write_text(
        "title: T\n"
        "elements:\n"
        "  Ana: {voice: robotnik}\n"
        "shots:\n"
        "  - {id: a, prompt: x, duration: 2, dialogue: [{speaker: Ana, line: Hi}]}\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3:16: elements.Ana.voice: unknown voice 'robotnik'" in result.output


def test_output_folder_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "ok.yaml"
    good.write_text("title: T\nshots:\n  - {id: a, prompt: x, duration: 1}\n")
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["render", str(good), "--out", str(blocker), "--workers", "1"])
    assert result.exit_code == 1
    assert "cannot write the render" in result.output and "Traceback" not in result.output
    assert blocker.read_text() == "not a folder"  # nothing of the user's is overwritten


def test_the_examples_validate() -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    files = sorted(examples.glob("*.yaml"))
    assert {f.name for f in files} >= {"night-market.yaml", "provider-tour.yaml"}
    for file in files:
        result = runner.invoke(app, ["validate", str(file)])
        assert result.exit_code == 0, result.output
