"""The production file: its model, loader (with located, all-at-once errors) and JSON Schema."""

from .loader import load_production, locate
from .model import (
    MAX_REFERENCES,
    MAX_SHOT_SECONDS,
    MAX_TRANSITION_SECONDS,
    MIN_SHOT_SECONDS,
    Camera,
    Delivery,
    DialogueLine,
    Element,
    LoadedProduction,
    Production,
    Shot,
    ShotSize,
    SubtitleMode,
    Transition,
    TransitionKind,
)
from .schema import production_json_schema

__all__ = [
    "MAX_REFERENCES",
    "MAX_SHOT_SECONDS",
    "MAX_TRANSITION_SECONDS",
    "MIN_SHOT_SECONDS",
    "Camera",
    "Delivery",
    "DialogueLine",
    "Element",
    "LoadedProduction",
    "Production",
    "Shot",
    "ShotSize",
    "SubtitleMode",
    "Transition",
    "TransitionKind",
    "load_production",
    "locate",
    "production_json_schema",
]
