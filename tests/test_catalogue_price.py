"""Price formulas reproduce the research's numbers, computed by hand (Decimal, never float)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from reelforge.catalogue import price
from reelforge.catalogue.loader import get_route
from reelforge.catalogue.pricing import per_second_range
from reelforge.generators.base import ShotRequest, TimedLine

TALK = (TimedLine("ana", "hello", 0.0, 1.0),)


def shot(seconds: float, width: int = 1280, height: int = 720, **kw: Any) -> ShotRequest:
    fps = 24
    return ShotRequest(
        shot_id="s1",
        prompt="a shot",
        frames=round(seconds * fps),
        fps=fps,
        width=width,
        height=height,
        **kw,
    )


def test_veo_31_gemini_8s_720p_with_audio() -> None:
    # providers.md §1.6: Veo 3.1 list price $0.40/s at 720p/1080p with audio.
    quote = price("veo-3.1@gemini", shot(8, dialogue=TALK))
    assert quote.total == Decimal("8") * Decimal("0.40")
    assert quote.billed_seconds == 8
    assert "resolution 720p" in quote.applied


def test_veo_31_fal_audio_multiplier_and_4k() -> None:
    # fal: $0.20/s silent, $0.40/s with audio; 4K $0.40 / $0.60.
    assert price("veo-3.1@fal", shot(6)).total == Decimal("1.20")
    with_audio = price("veo-3.1@fal", shot(6, sound="rain on a tin roof"))
    assert with_audio.total == Decimal("2.40")
    assert "audio on" in with_audio.applied
    four_k = price("veo-3.1@fal", shot(4, width=3840, height=2160, sound="wind"))
    assert four_k.total == Decimal("4") * Decimal("0.60")
    assert "resolution 4k" in four_k.applied


def test_price_bills_the_adjusted_duration() -> None:
    # A 7 s shot is rendered (and billed) as Veo's 8 s clip.
    assert price("veo-3.1-fast@gemini", shot(7)).billed_seconds == 8
    assert price("veo-3.1-fast@gemini", shot(7)).total == Decimal("8") * Decimal("0.15")


def test_kling_v3_pro_units_per_second_with_audio() -> None:
    # §3.9: Kling 3.0 pro with audio 1.2 units/s; 1 unit ≈ $0.14.
    quote = price("kling-v3-pro", shot(5, width=1920, height=1080, dialogue=TALK))
    assert quote.total == Decimal("1.2") * 5 * Decimal("0.14")
    assert "audio on" in quote.applied


def test_kling_v26_pro_unit_priced_clip() -> None:
    # §3.9: v2.6 pro with audio, 5 s = 5 units ≈ $0.70.
    quote = price("kling-v2.6-pro", shot(5, width=1920, height=1080, sound="footsteps"))
    assert quote.total == Decimal("5") * Decimal("0.14")
    assert quote.total == Decimal("0.70")
    assert any("per clip" in a for a in quote.applied)


def test_seedance_20_token_priced_clip() -> None:
    # §4.5: tokens = w x h x frames / 1024 with 121 frames for 5 s at 24 fps;
    # $10.01 per million tokens (1.477 credits/K x 1.43 / 211 credits per $).
    tokens = Decimal(1280 * 720 * 121) / Decimal(1024)
    quote = price("seedance-2.0", shot(5, sound="traffic"))
    assert quote.total == tokens * Decimal("10.01") / Decimal(1_000_000)
    assert "108900 tokens" in quote.lines[0].label


def test_seedance_15_pro_token_doc_example_1080p() -> None:
    # The Ark doc example: 1920x1088 x 121 frames / 1024 = 246,840 tokens; $1.2/M silent.
    quote = price("seedance-1.5-pro", shot(5, width=1920, height=1080))
    assert quote.total == Decimal(246840) * Decimal("1.2") / Decimal(1_000_000)
    audio = price("seedance-1.5-pro", shot(5, width=1920, height=1080, dialogue=TALK))
    assert audio.total == Decimal(246840) * Decimal("2.4") / Decimal(1_000_000)


def test_grok_15_worked_example_with_input_image(tmp_path: Path) -> None:
    # providers-2 §1.8: 10 s of 1.5 at 720p with one start image ≈ $1.41.
    quote = price("grok-imagine-video-1.5", shot(10, first_frame=tmp_path / "a.png"))
    assert quote.total == Decimal("1.41")
    assert "per input image" in quote.applied


def test_runway_credits() -> None:
    # §5.4: gen4.5 12 credits/s at $0.01.
    assert price("runway-gen4.5", shot(5)).total == Decimal("0.60")


def test_unknown_price_is_none_not_zero() -> None:
    quote = price("hailuo-2.3", shot(6, width=1366, height=768))
    assert quote.total is None
    assert quote.note
    assert quote.source == get_route("hailuo-2.3").price_source


def test_per_second_range_summary() -> None:
    low, high = per_second_range(get_route("veo-3.1@fal")) or (None, None)
    assert (low, high) == (Decimal("0.20"), Decimal("0.60"))
    k_low, k_high = per_second_range(get_route("kling-v3-std")) or (None, None)
    assert (k_low, k_high) == (Decimal("0.6") * Decimal("0.14"), Decimal("0.9") * Decimal("0.14"))
    assert per_second_range(get_route("hailuo-2.3")) is None
