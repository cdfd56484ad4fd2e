"""The production file's JSON Schema, generated from the pydantic model.

Editors use it for completion and inline errors (``# yaml-language-server: $schema=...``). The
model stays the source of truth; this module only adds what a reader of the schema needs and the
model cannot express: descriptions, examples, and the ``transition: cut`` shorthand that the
model accepts through a before-validator.
"""

from __future__ import annotations

import copy
from typing import Any

from .model import Production

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# (definition, property) → description; the model's own descriptions win where present.
_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Production", "title"): "Title of the production, shown in reports and metadata.",
    ("Production", "delivery"): "Output format of the final cut.",
    ("Production", "elements"): (
        "Recurring characters, props and places, by name. Shots and dialogue refer to them."
    ),
    ("Production", "shots"): "The shots, in playback order. At least one.",
    ("Delivery", "resolution"): "Output size as WIDTHxHEIGHT; both even, 64-7680 pixels.",
    ("Delivery", "fps"): "Frames per second of the output.",
    ("Delivery", "subtitles"): (
        "burn: draw dialogue into the picture; sidecar: write an .srt next to the video; off."
    ),
    ("Delivery", "max_budget_usd"): "Stop before generation would spend more than this (USD).",
    ("Element", "description"): "What the element looks like; added to prompts that use it.",
    ("Element", "references"): (
        "Up to 4 reference images, relative to the production file, for a consistent look."
    ),
    ("DialogueLine", "speaker"): "Name of an element (defined under elements) that speaks.",
    ("DialogueLine", "line"): "The words spoken.",
    ("Transition", "kind"): "How this shot is entered from the previous one.",
    ("Transition", "duration"): (
        "Seconds; 0 for cut, more than 0 and at most 5 for crossfade and dip_to_black."
    ),
    ("Shot", "id"): "Unique shot id: letters, digits, '_', '.', '-'.",
    ("Shot", "prompt"): "What the shot shows, for the video generator.",
    ("Shot", "duration"): "Length of the shot in seconds (0.5-60).",
    ("Shot", "camera"): "Camera move during the shot.",
    ("Shot", "size"): "Framing of the subject.",
    ("Shot", "elements"): "Names of elements (from elements) that appear in the shot.",
    ("Shot", "dialogue"): "Lines spoken during the shot.",
    ("Shot", "sound"): "Sound effects or ambience to generate for the shot.",
    ("Shot", "first_frame"): "Image the shot starts from, relative to the production file.",
    ("Shot", "last_frame"): "Image the shot ends on, relative to the production file.",
    ("Shot", "source_video"): (
        "Video clip to edit (video-to-video), relative to the production file; needs a model "
        "that edits video, e.g. runway-aleph2."
    ),
    ("Shot", "audio"): (
        "Whose sound plays for the shot: `auto` (the model's own audio, speaking the dialogue, "
        "where the model makes audio; reelforge's TTS and ambience elsewhere) or `ours` "
        "(always reelforge's; a model with an audio toggle is not asked for, or billed for, audio)."
    ),
    ("Shot", "transition"): (
        "How this shot is entered from the previous one: a kind (`cut`) or "
        "{kind, duration}. On the first shot only cut and dip_to_black (fade in) make sense."
    ),
    ("Shot", "seed"): "Random seed for the generator; the same seed repeats a take.",
    ("Shot", "model"): "Name of the registered generator that renders the shot.",
}

_EXAMPLES: dict[tuple[str, str], list[Any]] = {
    ("Shot", "id"): ["s01", "intro"],
    ("Shot", "prompt"): ["A lighthouse on a cliff at dusk, waves below"],
    ("Shot", "duration"): [4],
    ("Shot", "transition"): ["cut", {"kind": "crossfade", "duration": 0.5}],
    ("Element", "voice"): ["en_US-lessac-medium", "voices/keeper.wav"],
    ("Delivery", "max_budget_usd"): [5.0],
}

_DEF_DESCRIPTIONS = {
    "Production": "A reelforge production: a written film that reelforge turns into a cut.",
    "Delivery": "Output format of the final cut.",
    "Element": "A recurring character, prop or place.",
    "DialogueLine": "A line of dialogue in a shot.",
    "Transition": "How a shot is entered from the previous one.",
    "Shot": "One shot of the production.",
    "Camera": "Camera move.",
    "ShotSize": "Shot size (framing).",
    "TransitionKind": "Transition kind.",
    "AudioSource": "Whose sound plays for a shot: the model's own (auto) or reelforge's (ours).",
    "SubtitleMode": "What to do with dialogue subtitles.",
}

EXAMPLE: dict[str, Any] = {
    "title": "The Keeper",
    "delivery": {"resolution": "1280x720", "fps": 24, "subtitles": "sidecar"},
    "elements": {
        "keeper": {
            "description": "an old lighthouse keeper in a yellow raincoat",
            "references": ["refs/keeper.png"],
            "voice": "en_US-lessac-medium",
        }
    },
    "shots": [
        {
            "id": "s01",
            "prompt": "A lighthouse on a cliff at dusk, waves below",
            "duration": 4,
            "camera": "dolly_in",
            "size": "extreme_wide",
            "transition": {"kind": "dip_to_black", "duration": 1},
        },
        {
            "id": "s02",
            "prompt": "The keeper climbs the spiral stairs with a lantern",
            "duration": 5,
            "camera": "crane_up",
            "size": "medium",
            "elements": ["keeper"],
            "dialogue": [{"speaker": "keeper", "line": "Not tonight.", "at": 1.5}],
            "transition": {"kind": "crossfade", "duration": 0.5},
        },
    ],
}


def production_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a production file."""
    schema = copy.deepcopy(Production.model_json_schema())
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    tree = {"Production": schema, **defs}
    for (name, prop), text in _DESCRIPTIONS.items():
        tree[name]["properties"][prop].setdefault("description", text)
    for (name, prop), examples in _EXAMPLES.items():
        tree[name]["properties"][prop].setdefault("examples", examples)
    for name, text in _DEF_DESCRIPTIONS.items():
        tree[name].setdefault("description", text)
    # The model turns `transition: crossfade` into {kind: crossfade}; the schema must allow it.
    transition = tree["Shot"]["properties"]["transition"]
    ref = transition.pop("$ref")
    transition["anyOf"] = [{"$ref": "#/$defs/TransitionKind"}, {"$ref": ref}]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "reelforge production",
        **{k: v for k, v in schema.items() if k != "title"},
        "examples": [EXAMPLE],
    }
