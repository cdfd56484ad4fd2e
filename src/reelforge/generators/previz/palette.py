"""Prompt words → palette and light.

The previz cannot understand a prompt, but a handful of words decide most of a shot's mood: time of
day, weather, and the kind of place. Each table entry changes a few fields of a :class:`Look`;
entries are applied by category (place, then time, then weather) so "snowy forest at night" gets
forest scenery, a night sky and white, moonlit ground whatever the word order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

RGB = tuple[int, int, int]
Gain = tuple[float, float, float]


@dataclass(frozen=True)
class Look:
    """Everything the scene painter needs to know about colour and light."""

    sky_top: RGB = (112, 142, 178)
    sky_bottom: RGB = (196, 206, 212)
    ground_top: RGB = (118, 128, 106)
    ground_bottom: RGB = (72, 80, 64)
    haze_color: RGB = (198, 206, 212)
    haze: float = 0.15  # 0..1, aerial perspective towards the horizon
    vignette: float = 0.3  # 0..1, darkening of the frame corners
    shade: Gain = (1.0, 1.0, 1.0)  # multiplies ground and scenery (and walls when enclosed)
    light: Gain = (1.0, 1.0, 1.0)  # multiplies the element layers: the key light's colour
    horizon: float = 0.56  # fraction of the frame height, from the top, at the base framing
    scenery: str = "hills"  # hills, mountains, forest, city, dunes, sea, room, reef, none
    enclosed: bool = False  # walls instead of sky: time of day only changes the light
    particles: str = ""  # snow, rain, embers, bubbles, dust
    sun: str = ""  # sun, moon
    sun_color: RGB = (255, 240, 200)
    stars: bool = False
    accents: tuple[RGB, ...] = ()  # neon signs, lit windows
    glow: RGB | None = None  # a warm glow rising from the bottom of frame (fire)
    texture: float = 9.0  # noise amplitude in 8-bit levels: gives camera moves something to show


@dataclass(frozen=True)
class _Entry:
    label: str
    words: tuple[str, ...]
    changes: dict[str, Any]


# How a change combines with what an earlier entry set: gains multiply (sunset light in the rain
# is dimmer *and* warmer), amounts take the stronger, everything else replaces.
_MULTIPLY = {"shade", "light"}
_STRONGER = {"haze", "vignette", "texture"}
# Time-of-day and weather do not repaint the walls of an enclosed place.
_SKY_ONLY = {"sky_top", "sky_bottom", "sun", "sun_color", "stars", "haze_color"}

_PLACES = (
    _Entry(
        "neon",
        ("neon", "cyberpunk", "synthwave", "neon lit"),
        {
            "scenery": "city",
            "sky_top": (18, 8, 40),
            "sky_bottom": (74, 22, 96),
            "ground_top": (52, 40, 70),
            "ground_bottom": (22, 18, 34),
            "haze_color": (96, 34, 118),
            "shade": (0.7, 0.65, 0.85),
            "light": (0.92, 0.7, 1.0),
            "accents": ((255, 46, 196), (40, 226, 255), (255, 206, 60)),
            "vignette": 0.45,
        },
    ),
    _Entry(
        "city",
        (
            "city",
            "street",
            "streets",
            "downtown",
            "skyline",
            "alley",
            "rooftop",
            "urban",
            "town",
            "village",
        ),
        {"scenery": "city", "ground_top": (96, 98, 104), "ground_bottom": (58, 60, 66)},
    ),
    _Entry(
        "forest",
        ("forest", "forests", "woods", "woodland", "jungle", "trees", "grove"),
        {
            "scenery": "forest",
            "ground_top": (62, 92, 50),
            "ground_bottom": (30, 50, 28),
            "haze_color": (170, 196, 170),
        },
    ),
    _Entry(
        "mountains",
        ("mountain", "mountains", "peaks", "alps", "cliff", "cliffs", "valley"),
        {"scenery": "mountains", "horizon": 0.6},
    ),
    _Entry(
        "desert",
        ("desert", "dunes", "dune", "sand", "sahara", "wasteland"),
        {
            "scenery": "dunes",
            "sky_top": (92, 148, 206),
            "sky_bottom": (226, 216, 190),
            "ground_top": (218, 180, 124),
            "ground_bottom": (170, 126, 78),
            "haze_color": (232, 212, 176),
            "haze": 0.22,
            "light": (1.05, 1.0, 0.9),
        },
    ),
    _Entry(
        "sea",
        ("ocean", "sea", "beach", "coast", "shore", "lake", "harbor", "harbour", "waves"),
        {
            "scenery": "sea",
            "horizon": 0.5,
            "ground_top": (70, 120, 150),
            "ground_bottom": (28, 70, 100),
        },
    ),
    _Entry(
        "space",
        ("space", "outer space", "starfield", "nebula", "galaxy"),
        {
            "scenery": "none",
            "sky_top": (2, 2, 10),
            "sky_bottom": (30, 14, 52),
            "ground_top": (30, 14, 52),
            "ground_bottom": (2, 2, 10),
            "stars": True,
            "haze": 0.0,
        },
    ),
    _Entry(
        "interior",
        (
            "interior",
            "indoor",
            "indoors",
            "inside",
            "room",
            "kitchen",
            "office",
            "bedroom",
            "hallway",
            "corridor",
            "bar",
            "cafe",
            "restaurant",
            "apartment",
            "living room",
            "studio",
            "classroom",
            "library",
        ),
        {
            "scenery": "room",
            "enclosed": True,
            "horizon": 0.64,
            "sky_top": (150, 138, 124),
            "sky_bottom": (188, 176, 158),
            "ground_top": (120, 88, 62),
            "ground_bottom": (84, 58, 40),
            "haze": 0.04,
            "vignette": 0.4,
        },
    ),
    _Entry(
        "underwater",
        ("underwater", "undersea", "reef", "seabed", "ocean floor", "submerged", "diving"),
        {
            "scenery": "reef",
            "enclosed": True,
            "sky_top": (8, 60, 100),
            "sky_bottom": (40, 140, 160),
            "ground_top": (60, 110, 104),
            "ground_bottom": (20, 52, 62),
            "haze_color": (40, 130, 150),
            "haze": 0.45,
            "light": (0.7, 0.95, 1.0),
            "particles": "bubbles",
            "accents": ((230, 110, 90), (240, 190, 80), (180, 90, 170)),
        },
    ),
)

_TIMES = (
    _Entry(
        "night",
        ("night", "midnight", "nighttime", "moonlight", "moonlit", "dark"),
        {
            "sky_top": (6, 10, 28),
            "sky_bottom": (26, 34, 66),
            "haze_color": (30, 40, 72),
            "shade": (0.32, 0.36, 0.52),
            "light": (0.58, 0.64, 0.86),
            "sun": "moon",
            "sun_color": (222, 228, 242),
            "stars": True,
            "vignette": 0.45,
        },
    ),
    _Entry(
        "dawn",
        ("dawn", "sunrise", "daybreak", "first light"),
        {
            "sky_top": (92, 104, 162),
            "sky_bottom": (246, 178, 150),
            "haze_color": (236, 182, 170),
            "haze": 0.25,
            "shade": (0.85, 0.78, 0.8),
            "light": (1.0, 0.88, 0.86),
            "sun": "sun",
            "sun_color": (255, 214, 172),
        },
    ),
    _Entry(
        "sunset",
        ("sunset", "dusk", "twilight", "evening"),
        {
            "sky_top": (68, 58, 120),
            "sky_bottom": (250, 140, 70),
            "haze_color": (240, 150, 100),
            "haze": 0.22,
            "shade": (0.7, 0.6, 0.55),
            "light": (1.05, 0.8, 0.64),
            "sun": "sun",
            "sun_color": (255, 172, 92),
            "vignette": 0.38,
        },
    ),
    _Entry(
        "golden hour",
        ("golden hour", "golden light", "magic hour", "late afternoon"),
        {
            "sky_top": (118, 150, 192),
            "sky_bottom": (255, 208, 134),
            "haze_color": (250, 212, 152),
            "haze": 0.2,
            "shade": (1.0, 0.9, 0.72),
            "light": (1.08, 0.96, 0.76),
            "sun": "sun",
            "sun_color": (255, 224, 156),
        },
    ),
    _Entry(
        "overcast",
        ("overcast", "cloudy", "grey sky", "gray sky", "gloomy", "dreary"),
        {
            "sky_top": (148, 154, 160),
            "sky_bottom": (190, 194, 198),
            "haze_color": (186, 190, 196),
            "haze": 0.25,
            "shade": (0.85, 0.87, 0.9),
            "light": (0.9, 0.92, 0.95),
        },
    ),
    _Entry(
        "day",
        ("noon", "midday", "sunny", "daylight", "daytime", "bright day", "morning"),
        {
            "sky_top": (66, 138, 222),
            "sky_bottom": (182, 216, 242),
            "sun": "sun",
            "sun_color": (255, 250, 228),
            "light": (1.05, 1.03, 1.0),
        },
    ),
)

_WEATHER = (
    _Entry(
        "rain",
        ("rain", "rainy", "raining", "storm", "stormy", "downpour", "drizzle", "thunderstorm"),
        {
            "particles": "rain",
            "haze": 0.3,
            "shade": (0.8, 0.82, 0.88),
            "light": (0.85, 0.88, 0.95),
            "sky_top": (70, 76, 88),
            "sky_bottom": (124, 130, 140),
        },
    ),
    _Entry(
        "fog",
        ("fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky"),
        {"haze": 0.6, "vignette": 0.35},
    ),
    _Entry(
        "snow",
        ("snow", "snowy", "snowing", "blizzard", "winter", "snowfall", "frozen", "icy"),
        {
            "particles": "snow",
            "ground_top": (236, 240, 244),
            "ground_bottom": (196, 204, 214),
            "haze": 0.3,
            "light": (0.96, 0.98, 1.04),
        },
    ),
    _Entry(
        "fire",
        ("fire", "flames", "burning", "blaze", "inferno", "embers", "campfire", "sparks"),
        {
            "particles": "embers",
            "glow": (255, 118, 36),
            "haze_color": (196, 104, 56),  # smoke lit from below
            "haze": 0.3,
            "shade": (1.1, 0.85, 0.7),
            "light": (1.12, 0.84, 0.62),
            "vignette": 0.4,
        },
    ),
    _Entry("dust", ("dust", "dusty", "sandstorm", "pollen"), {"particles": "dust", "haze": 0.3}),
)

_FIELDS = {f.name for f in fields(Look)}


def _tokens(prompt: str) -> str:
    # Padded, single-spaced lower-case words, so " golden hour " matches as a phrase.
    return " " + " ".join(re.findall(r"[a-z]+", prompt.lower())) + " "


def _apply(look: Look, changes: dict[str, Any]) -> Look:
    merged: dict[str, Any] = {}
    for key, value in changes.items():
        assert key in _FIELDS, key
        if look.enclosed and key in _SKY_ONLY:
            continue
        current = getattr(look, key)
        if key in _MULTIPLY:
            merged[key] = tuple(a * b for a, b in zip(current, value, strict=True))
        elif key in _STRONGER:
            merged[key] = max(current, value)
        else:
            merged[key] = value
    return replace(look, **merged)


def look_for_prompt(prompt: str) -> tuple[Look, tuple[str, ...]]:
    """The look a prompt's words ask for, and the labels of the table entries that matched.

    Unknown prompts get the neutral default :class:`Look` (a soft overcast day over hills).
    """
    text = _tokens(prompt)
    look = Look()
    matched: list[str] = []
    for table in (_PLACES, _TIMES, _WEATHER):
        for entry in table:
            if any(f" {word} " in text for word in entry.words):
                look = _apply(look, entry.changes)
                matched.append(entry.label)
    return look, tuple(matched)
