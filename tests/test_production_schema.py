"""The production JSON Schema generated from the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PIL import Image

from reelforge.production import (
    Camera,
    Production,
    ShotSize,
    SubtitleMode,
    TransitionKind,
    load_production,
    production_json_schema,
)


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/$defs/")
    return schema["$defs"][ref.removeprefix("#/$defs/")]


def test_schema_header_and_top_level_shape() -> None:
    schema = production_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "reelforge production"
    assert "reelforge" in schema["description"]
    assert schema["type"] == "object"
    assert {"title", "delivery", "elements", "shots"} <= set(schema["properties"])
    assert schema["required"] == ["title", "shots"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["shots"]["minItems"] == 1
    json.dumps(schema)  # serialisable as is, for `reel schema`


def test_schema_enums_match_the_model() -> None:
    schema = production_json_schema()
    defs = schema["$defs"]
    assert defs["Camera"]["enum"] == [c.value for c in Camera]
    assert len(defs["Camera"]["enum"]) == 17
    assert defs["ShotSize"]["enum"] == [s.value for s in ShotSize]
    assert defs["TransitionKind"]["enum"] == [t.value for t in TransitionKind]
    assert defs["SubtitleMode"]["enum"] == [m.value for m in SubtitleMode]
    shot = defs["Shot"]
    assert resolve(schema, shot["properties"]["camera"]) is defs["Camera"]
    assert shot["required"] == ["id", "prompt", "duration"]
    assert shot["properties"]["duration"]["minimum"] == 0.5
    assert shot["properties"]["duration"]["maximum"] == 60
    assert defs["Element"]["properties"]["references"]["maxItems"] == 4


def test_transition_accepts_the_string_shorthand() -> None:
    schema = production_json_schema()
    transition = schema["$defs"]["Shot"]["properties"]["transition"]
    targets = [resolve(schema, option) for option in transition["anyOf"]]
    assert schema["$defs"]["TransitionKind"] in targets
    assert schema["$defs"]["Transition"] in targets


def test_every_property_is_described() -> None:
    schema = production_json_schema()
    for name, definition in {"Production": schema, **schema["$defs"]}.items():
        assert definition.get("description"), name
        for prop, body in definition.get("properties", {}).items():
            assert body.get("description"), f"{name}.{prop} has no description"


def test_schema_is_fresh_each_call() -> None:
    first = production_json_schema()
    first["$defs"]["Camera"]["enum"].clear()
    assert len(production_json_schema()["$defs"]["Camera"]["enum"]) == 17


def test_schema_example_is_a_valid_production(tmp_path: Path) -> None:
    (example,) = production_json_schema()["examples"]
    Production.model_validate(example)
    # And it passes the cross-field checks once its reference image exists.
    (tmp_path / "refs").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "refs" / "keeper.png")
    path = tmp_path / "example.json"
    path.write_text(json.dumps(example), encoding="utf-8")
    loaded = load_production(path)
    assert loaded.production.title == example["title"]
    assert len(loaded.production.shots) == len(example["shots"])
