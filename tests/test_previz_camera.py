"""Each previz camera move moves the picture the way its name says.

Frames come from ``iter_frames(..., slate=False)`` at 320x180 (the working size equals the
delivery size there), so motion is measured on exact pixels: global translation by phase
correlation on a band of scenery above the subject, subject motion by tracking a magenta card,
scale by searching the zoom that best maps one frame onto another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelforge.generators.base import ElementRef, ShotRequest
from reelforge.generators.previz import iter_frames
from reelforge.generators.previz.camera import (
    BACKGROUND_DEPTH,
    SUBJECT_DEPTH,
    camera_path,
    layer_transform,
)

W, H = 320, 180
BAND = (slice(0, 80), slice(0, W))  # scenery only: the "wide" subject card starts lower
CENTRE_BAND = (slice(0, 80), slice(60, 260))  # ... minus the vignetted corners


def gray(frame: np.ndarray) -> np.ndarray:
    return frame.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def phase_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Translation (dx, dy) of the content from ``a`` to ``b``, sub-pixel, by phase correlation."""
    ga, gb = gray(a), gray(b)
    h, w = ga.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    fa = np.fft.fft2((ga - ga.mean()) * window)
    fb = np.fft.fft2((gb - gb.mean()) * window)
    cross = np.conj(fa) * fb
    corr = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    py, px = np.unravel_index(int(np.argmax(corr)), corr.shape)

    def refine(c0: float, cm: float, cp: float) -> float:
        d = cm - 2 * c0 + cp
        return 0.0 if d == 0 else 0.5 * (cm - cp) / d

    dy = py + refine(corr[py, px], corr[(py - 1) % h, px], corr[(py + 1) % h, px])
    dx = px + refine(corr[py, px], corr[py, (px - 1) % w], corr[py, (px + 1) % w])
    return (dx - w if dx > w / 2 else dx), (dy - h if dy > h / 2 else dy)


def magenta(frame: np.ndarray) -> np.ndarray:
    r, g, b = (frame[:, :, i].astype(int) for i in range(3))
    return (r > 200) & (g < 70) & (b > 200)


def card_centre(frame: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(magenta(frame))
    assert xs.size > 100, "the magenta card is not in frame"
    return float(xs.mean()), float(ys.mean())


def card_width(frame: np.ndarray) -> int:
    _, xs = np.nonzero(magenta(frame))
    return int(xs.max() - xs.min() + 1)


def zoomed(frame: np.ndarray, scale: float) -> np.ndarray:
    box = (W / 2 - W / (2 * scale), H / 2 - H / (2 * scale))
    box4 = (box[0], box[1], W - box[0], H - box[1])
    return np.asarray(Image.fromarray(frame).resize((W, H), Image.Resampling.BILINEAR, box=box4))


def best_zoom(a: np.ndarray, b: np.ndarray) -> float:
    """The zoom about the centre (≥ 1) that best turns ``a`` into ``b`` on the scenery band."""
    scales = np.arange(1.0, 1.8, 0.005)
    target = gray(b)[CENTRE_BAND]
    errors = [np.mean((gray(zoomed(a, s))[CENTRE_BAND] - target) ** 2) for s in scales]
    return float(scales[int(np.argmin(errors))])


@pytest.fixture(scope="module")
def magenta_card(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("previz_camera") / "magenta.png"
    Image.new("RGB", (200, 300), (255, 0, 255)).save(path)
    return path


def frames(
    camera: str, card: Path | None = None, *, n: int = 24, seed: int = 1
) -> list[np.ndarray]:
    elements = (ElementRef("Hero", references=(card,)),) if card else ()
    request = ShotRequest(
        shot_id="cam",
        prompt="mountains",
        frames=n,
        fps=24,
        width=W,
        height=H,
        camera=camera,
        size="wide",
        elements=elements,
        seed=seed,
    )
    return list(iter_frames(request, slate=False))


def band_shift(camera: str) -> tuple[float, float]:
    shot = frames(camera)
    return phase_shift(shot[0][BAND], shot[12][BAND])


def test_static_does_not_move() -> None:
    shot = frames("static")
    assert all(np.array_equal(shot[0], f) for f in shot[1:])
    dx, dy = phase_shift(shot[0], shot[-1])
    assert abs(dx) < 0.1 and abs(dy) < 0.1


@pytest.mark.parametrize(
    ("camera", "sign_x", "sign_y"),
    [
        ("pan_left", +1, 0),  # the camera turns left: content slides right
        ("pan_right", -1, 0),
        ("tilt_up", 0, +1),  # the camera tilts up: content slides down
        ("tilt_down", 0, -1),
        ("truck_left", +1, 0),
        ("truck_right", -1, 0),
        ("crane_up", 0, +1),
        ("crane_down", 0, -1),
    ],
)
def test_translating_moves_shift_content_the_right_way(
    camera: str, sign_x: int, sign_y: int
) -> None:
    dx, dy = band_shift(camera)
    for sign, moved, other in ((sign_x, dx, dy), (sign_y, dy, dx)):
        if sign:
            assert moved * sign > 3.0, (camera, dx, dy)
            assert abs(other) < 0.5, (camera, dx, dy)


@pytest.mark.parametrize(("camera", "axis"), [("truck_left", 0), ("crane_up", 1)])
def test_truck_and_crane_have_parallax(magenta_card: Path, camera: str, axis: int) -> None:
    shot = frames(camera, magenta_card)
    background = phase_shift(shot[0][BAND], shot[12][BAND])[axis]
    subject = card_centre(shot[12])[axis] - card_centre(shot[0])[axis]
    assert background > 2.0
    # The subject (depth 1) moves several times as far as the scenery (depth 5).
    assert subject > 3.0 * background, (subject, background)


@pytest.mark.parametrize(("camera", "sign"), [("orbit_left", -1), ("orbit_right", +1)])
def test_orbit_keeps_subject_centred_while_background_slides(
    magenta_card: Path, camera: str, sign: int
) -> None:
    shot = frames(camera, magenta_card)
    start, middle, end = (card_centre(shot[i]) for i in (0, 12, -1))
    assert abs(end[0] - start[0]) < 1.0 and abs(middle[0] - start[0]) < 1.0
    background = phase_shift(shot[0][BAND], shot[12][BAND])[0]
    # Travelling left around the subject, what is behind it slides left (and vice versa).
    assert background * sign > 10.0, background


@pytest.mark.parametrize(("camera", "grows"), [("dolly_in", True), ("dolly_out", False)])
def test_dolly_scales_the_subject_more_than_the_background(
    magenta_card: Path, camera: str, grows: bool
) -> None:
    shot = frames(camera, magenta_card)
    near, far = (shot[0], shot[-1]) if grows else (shot[-1], shot[0])
    subject = card_width(far) / card_width(near)
    background = best_zoom(near, far)
    assert subject == pytest.approx(1.45, abs=0.15), subject
    assert background == pytest.approx(1.065, abs=0.035), background


@pytest.mark.parametrize(("camera", "grows"), [("zoom_in", True), ("zoom_out", False)])
def test_zoom_scales_everything_alike(magenta_card: Path, camera: str, grows: bool) -> None:
    shot = frames(camera, magenta_card)
    near, far = (shot[0], shot[-1]) if grows else (shot[-1], shot[0])
    subject = card_width(far) / card_width(near)
    background = best_zoom(near, far)
    assert background == pytest.approx(1.5, abs=0.1), background
    assert abs(subject - background) < 0.08, (subject, background)


def _laplacian_variance(frame: np.ndarray, region: tuple[slice, slice]) -> float:
    g = gray(frame)[region]
    lap = -4 * g[1:-1, 1:-1] + g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:]
    return float(lap.var())


def test_rack_focus_moves_sharpness_from_subject_to_background(tmp_path: Path) -> None:
    checker = (np.indices((400, 300)).sum(axis=0) // 10) % 2
    pattern = np.where(checker[:, :, None] == 1, [255, 0, 255], [255, 255, 255]).astype(np.uint8)
    card = tmp_path / "checker.png"
    Image.fromarray(pattern).save(card)
    shot = frames("rack_focus", card)
    ys, xs = np.nonzero(magenta(shot[0]))
    inside = (slice(ys.min() + 4, ys.max() - 4), slice(xs.min() + 4, xs.max() - 4))
    first, last = shot[0], shot[-1]
    assert _laplacian_variance(first, inside) > 20 * _laplacian_variance(last, inside)
    assert _laplacian_variance(last, BAND) > 5 * _laplacian_variance(first, BAND)
    # The camera itself does not move during a rack focus.
    assert len(set(camera_path("rack_focus", 24, 24, W, H))) == 1


def test_handheld_shakes_a_little_and_is_seeded() -> None:
    shot = frames("handheld", n=48)
    shifts = [phase_shift(shot[0], f) for f in shot[6::6]]
    biggest = max(max(abs(dx), abs(dy)) for dx, dy in shifts)
    assert 0.5 < biggest < 0.03 * W, shifts
    again = frames("handheld", n=48)
    assert all(np.array_equal(a, b) for a, b in zip(shot, again, strict=True))
    other = frames("handheld", n=48, seed=2)
    other_shifts = [phase_shift(other[0], f) for f in other[6::6]]
    assert not np.allclose(shifts, other_shifts, atol=0.2)


def test_moves_ease_in_and_out() -> None:
    states = camera_path("pan_left", 49, 24, W, H)
    yaws = [s.yaw for s in states]
    steps = np.diff(yaws)
    assert (steps > 0).all()
    assert steps[0] < steps[24] / 5 and steps[-1] < steps[24] / 5  # slow at both ends
    assert yaws[24] == pytest.approx(0.0, abs=1e-9)  # the base framing is mid-shot


def test_layer_transform_parallax_geometry() -> None:
    (truck,) = camera_path("truck_left", 1, 24, W, H)  # a one-frame shot sits at the start
    near = layer_transform(truck, SUBJECT_DEPTH)
    far = layer_transform(truck, BACKGROUND_DEPTH)
    assert near.dx == pytest.approx(far.dx * BACKGROUND_DEPTH / SUBJECT_DEPTH)
    assert near.scale == far.scale == 1.0
    (dolly,) = camera_path("dolly_out", 1, 24, W, H)  # dolly out starts pushed in
    assert layer_transform(dolly, SUBJECT_DEPTH).scale > layer_transform(dolly, 5.0).scale > 1.0
