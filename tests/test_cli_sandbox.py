"""`reel sandbox`: serves the sandboxes until Ctrl-C, prints only shell lines on standard output,
and those lines really point a client at a running sandbox."""

from __future__ import annotations

import queue
import shlex
import signal
import subprocess
import sys
import threading
from typing import IO

import httpx
from typer.testing import CliRunner

from reelforge.cli.app import app
from reelforge.cli.sandbox_cmd import export_lines

runner = CliRunner()


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))
    into.put(None)


def _read_until(lines: queue.Queue[str | None], last: str, timeout: float = 60) -> list[str]:
    got: list[str] = []
    while True:
        line = lines.get(timeout=timeout)
        if line is None:
            raise AssertionError(f"reel sandbox ended early after {got}")
        got.append(line)
        if line.startswith(last):
            return got


def _exports(lines: list[str]) -> dict[str, str]:
    env = {}
    for line in lines:
        words = shlex.split(line)
        assert words[0] in ("export", "unset"), f"not a shell line on stdout: {line!r}"
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
    return env


def test_serves_until_sigint_and_the_exports_work() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reelforge", "sandbox", "--provider", "vertex", "-p", "volcengine"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: queue.Queue[str | None] = queue.Queue()
    err: queue.Queue[str | None] = queue.Queue()
    assert proc.stdout is not None and proc.stderr is not None
    threading.Thread(target=_lines, args=(proc.stdout, out), daemon=True).start()
    threading.Thread(target=_lines, args=(proc.stderr, err), daemon=True).start()
    try:
        _read_until(err, "Serving 2 sandbox(es)")
        lines = _read_until(out, "export VOLCENGINE_ARK_API_KEY=")
        env = _exports(lines)
        assert "unset GOOGLE_API_KEY" in lines  # a real key never reaches a sandboxed render
        assert env["REELFORGE_POLL_SECONDS"] == "0.2"
        assert env["REELFORGE_VOLCENGINE_BASE_URL"].endswith("/api/v3")
        assert "REELFORGE_KLING_BASE_URL" not in env  # only the providers asked for
        base = env["REELFORGE_VERTEX_BASE_URL"]
        path = (
            f"/v1/projects/{env['GOOGLE_CLOUD_PROJECT']}/locations/{env['GOOGLE_CLOUD_LOCATION']}"
            "/publishers/google/models/veo-3.1-generate-001:predictLongRunning"
        )
        body = {"instances": [{"prompt": "a kite"}], "parameters": {"durationSeconds": 4}}
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.post(path, json=body).status_code == 401  # the sandbox checks auth
            auth = {"Authorization": f"Bearer {env['VERTEX_ACCESS_TOKEN']}"}
            created = http.post(path, json=body, headers=auth)
        assert created.status_code == 200 and "/operations/" in created.json()["name"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        rest = []
        while (line := err.get(timeout=10)) is not None:
            rest.append(line)
        assert "sandboxes stopped" in rest and not any("Traceback" in r for r in rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_unknown_provider_is_a_clear_error() -> None:
    result = runner.invoke(app, ["sandbox", "--provider", "nope"])
    assert result.exit_code == 2
    assert "no sandbox for nope" in result.output and "vertex" in result.output


def test_help_lists_the_command_without_loading_the_sandboxes() -> None:
    code = (
        "import sys\n"
        "from reelforge.cli.app import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', 'reelforge.sandbox' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "sandbox" in out.stdout and "LOADED False" in out.stdout


def test_export_lines_quote_for_the_shell() -> None:
    lines = export_lines({"A": "x y", "B": "it's"}, ("C",))
    assert lines == ["unset C", "export A='x y'", "export B='it'\"'\"'s'"]
