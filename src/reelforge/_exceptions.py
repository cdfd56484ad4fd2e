"""The exception tree. Every error carries the context a user needs to fix it.

ReelforgeError
├── ProductionError        the production file is wrong (carries every Problem at once)
├── GeneratorError         a generator could not render a shot (carries shot id, generator)
│   └── UnknownGenerator   a shot names a model nobody registered
├── MediaError             ffmpeg / decoding / encoding failed (carries the command's stderr)
├── AudioError             TTS or mixing failed
└── StoreError             the data folder or database is unusable
    └── RunNotFound
"""

from __future__ import annotations

from dataclasses import dataclass


class ReelforgeError(Exception):
    """Base of every error reelforge raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a production file, located as precisely as the file allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ProductionError(ReelforgeError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the production file"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class GeneratorError(ReelforgeError):
    def __init__(self, message: str, *, shot_id: str = "", generator: str = "") -> None:
        self.shot_id = shot_id
        self.generator = generator
        prefix = f"shot {shot_id!r} ({generator}): " if shot_id else ""
        super().__init__(prefix + message)


class UnknownGenerator(GeneratorError):
    pass


class MediaError(ReelforgeError):
    def __init__(self, message: str, *, stderr: str = "") -> None:
        self.stderr = stderr
        lines = stderr.strip().splitlines()
        # ffmpeg's cause is usually the first line that says "error"/"invalid", not the last.
        cause = [ln for ln in lines if any(w in ln.lower() for w in ("error", "invalid", "fail"))]
        tail = "\n".join(cause[:4] or lines[-6:])
        super().__init__(message + (f"\n{tail}" if tail else ""))


class AudioError(ReelforgeError):
    pass


class StoreError(ReelforgeError):
    pass


class RunNotFound(StoreError):
    pass


class ConfigError(ReelforgeError):
    """The user's config.toml is unreadable or has a value of the wrong kind (says where)."""


class BudgetExceeded(ReelforgeError):
    """A paid step would cross a budget cap; refused before its HTTP call, with the numbers."""
