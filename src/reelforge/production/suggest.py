"""Suggestions ("did you mean …?") for misspelt keys, enum words and names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def _normal(word: str) -> str:
    # `Dolly-In`, `dolly in` and `dolly_in` are the same intent; compare them equal.
    return word.strip().lower().replace("-", "_").replace(" ", "_")


def _abbreviates(short: str, word: str) -> bool:
    """Same first letter and the rest in order: `refs`, `desc`, `dur`."""
    if not short or not word or short[0] != word[0] or len(short) >= len(word):
        return False
    rest = iter(word)
    return all(ch in rest for ch in short)


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The choice the user most likely meant by ``word``, or None when nothing is close."""
    options = [c for c in choices if c != word]
    if not options:
        return None
    normal = _normal(word)
    for choice in options:
        if _normal(choice) == normal:
            return choice
    # A clear abbreviation (`refs` → `references`) scores low with difflib; accept it when unique.
    if len(normal) >= 3:
        abbreviated = [c for c in options if _abbreviates(normal, _normal(c))]
        if len(abbreviated) == 1:
            return abbreviated[0]
    by_normal = {_normal(c): c for c in options}
    close = difflib.get_close_matches(normal, list(by_normal), n=1, cutoff=0.6)
    return by_normal[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str], *, list_label: str = "choose one of") -> str:
    """A message tail: ``" (did you mean 'x'?)"`` or ``"; choose one of: a, b, c"``."""
    options = list(choices)
    guess = nearest(word, options)
    if guess is not None:
        return f" (did you mean '{guess}'?)"
    if options:
        return f"; {list_label}: {', '.join(options)}"
    return ""
