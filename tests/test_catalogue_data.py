"""The catalogue data file: it loads, validates, and rejects malformed data with a located error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml

from reelforge.catalogue import CatalogueError, load_catalogue, parse_catalogue
from reelforge.catalogue.loader import get_route, nearest_ids
from reelforge.catalogue.schema import DurationRange


def _minimal_route(**overrides: object) -> dict[str, object]:
    route: dict[str, object] = {
        "id": "toy-1",
        "provider": "toy",
        "channel": "toy-api",
        "model": "toy-model",
        "api_version": "v1",
        "lifecycle": {"status": "ga"},
        "capabilities": {
            "t2v": True,
            "i2v": False,
            "first_last_frame": False,
            "reference_images_max": 0,
            "native_audio": "none",
        },
        "durations": [5],
        "resolutions": ["720p"],
        "price": {"unit": "usd_per_second", "rates": [{"amount": "0.10"}]},
        "price_source": "test",
        "price_confidence": "high",
    }
    route.update(overrides)
    return route


def _doc(*routes: dict[str, object]) -> str:
    return yaml.safe_dump({"version": 1, "updated": "2026-11-22", "routes": list(routes)})


def test_packaged_catalogue_loads_and_is_versioned() -> None:
    cat = load_catalogue()
    assert cat.version >= 1
    assert isinstance(cat.updated, dt.date)
    assert len(cat.routes) >= 40
    assert load_catalogue() is cat  # cached: parsed once per process


def test_ids_are_unique_and_every_route_has_a_price_source() -> None:
    cat = load_catalogue()
    assert len(cat.ids) == len(set(cat.ids))
    for route in cat.routes:
        assert route.price_source.strip(), route.id
        assert route.price_confidence in {"high", "medium", "low", "unknown"}


def test_every_provider_in_the_research_is_covered() -> None:
    providers = {r.provider for r in load_catalogue().routes}
    wanted = {"google", "openai", "kling", "bytedance", "runway", "minimax", "luma", "xai", "fal"}
    assert wanted <= providers
    assert {"replicate", "aimlapi", "atlascloud", "wavespeed", "higgsfield"} <= providers


def test_key_routes_exist_with_research_facts() -> None:
    veo = get_route("veo-3.1@gemini")
    assert veo.durations == [4, 6, 8]
    assert veo.capabilities.native_audio == "always"
    assert veo.capabilities.reference_images_max == 3
    seedance = get_route("seedance-2.0")
    assert isinstance(seedance.durations, DurationRange)
    assert (seedance.durations.min, seedance.durations.max) == (4, 15)
    assert seedance.price.unit == "usd_per_million_tokens"
    assert get_route("kling-v2.6-pro").price.unit == "units"
    grok = get_route("grok-imagine-video")
    assert grok.price.per_input_image == Decimal("0.002")


def test_sora_2_is_retired_on_2026_09_24() -> None:
    sora = get_route("sora-2")
    assert sora.lifecycle.status == "retired"
    assert sora.lifecycle.date == dt.date(2026, 9, 24)
    assert sora.retired


def test_reverse_engineered_channels_ship_disabled() -> None:
    reverse = [r for r in load_catalogue().routes if r.channel == "reverse-engineered"]
    assert reverse
    assert all(not r.enabled for r in reverse)


def test_minimal_route_parses() -> None:
    cat = parse_catalogue(_doc(_minimal_route()))
    assert cat.ids == ["toy-1"]


def test_float_money_is_rejected_naming_route_and_field() -> None:
    bad = _minimal_route(price={"unit": "usd_per_second", "rates": [{"amount": 0.1}]})
    with pytest.raises(CatalogueError) as err:
        parse_catalogue(_doc(bad))
    assert "'toy-1'" in str(err.value)
    assert "price.rates.0.amount" in str(err.value)


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(CatalogueError, match=r"toy-1.*colour"):
        parse_catalogue(_doc(_minimal_route(colour="red")))


def test_retired_route_needs_a_date() -> None:
    with pytest.raises(CatalogueError, match="retirement date"):
        parse_catalogue(_doc(_minimal_route(lifecycle={"status": "retired"})))


def test_duplicate_ids_are_rejected() -> None:
    with pytest.raises(CatalogueError, match="duplicate route id 'toy-1'"):
        parse_catalogue(_doc(_minimal_route(), _minimal_route()))


def test_unknown_coupling_rule_is_rejected() -> None:
    bad = _minimal_route(couplings=[{"rule": "forbids_everything", "when": "audio"}])
    with pytest.raises(CatalogueError, match="couplings"):
        parse_catalogue(_doc(bad))


def test_price_rate_cannot_name_a_resolution_the_route_lacks() -> None:
    price = {"unit": "usd_per_second", "rates": [{"resolution": ["4k"], "amount": "1"}]}
    with pytest.raises(CatalogueError, match="4k"):
        parse_catalogue(_doc(_minimal_route(price=price)))


def test_unknown_id_suggests_the_nearest() -> None:
    assert nearest_ids("kling-v2.6-pr")[0] == "kling-v2.6-pro"
    with pytest.raises(CatalogueError, match=r"did you mean.*seedance-2\.0"):
        get_route("seedance-2")
