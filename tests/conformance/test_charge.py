"""The charge an adapter reports for a succeeded task, turned into USD with the catalogue's
price data, equals ``catalogue.price(route, shot)`` for that shot, for each row of the route's
price table (per second, per clip, per token, per unit; audio and resolution rows; input-image
surcharges), within the profile's documented rounding. Where a provider reports no charge the
profile says so, and the adapter must not invent one."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from reelforge.catalogue import Route, Settings, check, price
from reelforge.catalogue.pricing import MILLION
from reelforge.catalogue.schema import Rate, resolution_height
from reelforge.generators.base import ShotRequest
from reelforge.generators.remote import idempotency_key
from reelforge.providers import Succeeded

from .harness import POLL, ROUTE_IDS, Bench, Pool, open_bench, run, shot


def _matches(rate: Rate, s: Settings) -> bool:
    return (
        (rate.resolution is None or s.resolution in rate.resolution)
        and (rate.audio is None or rate.audio == s.audio)
        and (rate.duration is None or rate.duration == s.duration_s)
    )


def to_usd(route: Route, settings: Settings, unit: str, amount: Decimal) -> Decimal | None:
    """``amount`` of the adapter's billing ``unit`` in USD by the catalogue's price data (an
    oracle independent of the ledger's converter); None when the catalogue cannot say."""
    p = route.price
    if unit == "usd":
        return amount
    if unit in ("unit", "credit") and p.unit == "units" and p.unit_usd is not None:
        return amount * p.unit_usd
    rate = next((r for r in p.rates if _matches(r, settings)), None)
    if rate is None:
        return None
    if unit == "token" and p.unit == "usd_per_million_tokens":
        return amount * rate.amount / MILLION
    if unit == "second" and p.unit == "usd_per_second" and rate.per == "second":
        return amount * rate.amount
    return None


def cases(bench: Bench) -> list[ShotRequest]:
    """One shot per price row (its resolution, audio and clip length), the first row also at
    the longest duration, so every multiplier of the formula is exercised."""
    route, caps = bench.route, bench.route.capabilities
    rows: list[Rate | None] = list(route.price.rates) or [None]
    out: dict[tuple[str, bool, int, int], ShotRequest] = {}
    for i, rate in enumerate(rows):
        label = rate.resolution[0] if rate and rate.resolution else route.resolutions[0]
        height = resolution_height(label)
        never = {"none": True, "always": False}.get(caps.native_audio)
        if rate is not None and rate.audio is not None and rate.audio == never:
            continue  # a row this route can never be billed by
        audio = bool(rate and rate.audio)
        lengths = [rate.duration] if rate and rate.duration else [route.allowed_durations()[0]]
        if i == 0 and not (rate and rate.duration):
            lengths.append(route.allowed_durations()[-1])
        for seconds in lengths:
            request = shot(
                route,
                bench.tmp,
                seconds=seconds,
                size=(round(height * 16 / 9 / 2) * 2, height),
                first=not caps.t2v,
                audio=audio,
            )
            result = check(route, request)
            if result.settings is None:
                continue
            s = result.settings
            out.setdefault((s.resolution, s.audio, s.duration_s, 0), request)
    assert out, f"{route.id}: no shot matches any row of its price table"
    if route.price.per_input_image is not None and caps.i2v:  # the per-image surcharge
        framed = shot(route, bench.tmp, first=True, last=caps.first_last_frame)
        out[("images", False, 0, 1 + caps.first_last_frame)] = framed
    return list(out.values())


async def charged(bench: Bench, request: ShotRequest) -> tuple[Decimal | None, str]:
    settings = check(bench.route, request).settings
    assert settings is not None
    async with bench.adapter() as adapter:
        options = bench.options(settings.audio)
        wire = adapter.build_request(request, options, idempotency_key=idempotency_key(request))
        handle = await adapter.submit(wire)
        state = await adapter.wait(handle, interval=POLL, timeout=30)
        assert isinstance(state, Succeeded), state
        return state.charge, str(adapter.billing_unit)


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_charge_matches_the_catalogue(
    route_id: str, pool: Pool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bench = open_bench(route_id, pool, monkeypatch, tmp_path)
    route, profile = bench.route, bench.profile
    gap = profile.gap(route, "charge")
    mismatches: list[str] = []
    for request in cases(bench):
        quote = price(route, request)
        settings = check(route, request).settings
        assert settings is not None
        charge, unit = run(charged(bench, request))
        if not profile.reports_charge(route):
            assert profile.charge_note, f"{profile.name}: say why there is no charge"
            assert charge is None, f"{profile.charge_note}, yet the adapter reports {charge}"
            continue
        assert charge is not None and charge > 0, "no charge reported for a succeeded task"
        if quote.total is None:  # unpriced route: nothing to compare the provider's figure with
            assert route.price.unit == "unknown" or "no price row" in quote.note, quote
            continue
        usd = to_usd(route, settings, unit, charge)
        where = f"{settings.resolution} audio={settings.audio} {settings.duration_s} s"
        if usd is None:
            mismatches.append(f"{where}: {charge} {unit} has no USD rate in the catalogue")
        elif abs(usd - quote.total) > profile.charge_tolerance:
            lines = "; ".join(f"{x.label} = {x.amount}" for x in quote.lines)
            mismatches.append(
                f"{where}: charged {charge} {unit} = ${usd}, quote ${quote.total} ({lines})"
            )
    if gap:
        assert mismatches, f"{route_id}: the charge now matches: remove the profile gap ({gap})"
        return
    assert not mismatches, f"{route_id}:\n  " + "\n  ".join(mismatches)
