"""How fast is the previz? Renders a 30 s 720p24 shot (two elements, dolly_in, one dialogue line).

    python benchmarks/previz_speed.py [--frames N] [--preset P] [--camera MOVE] [--profile]

Prints frames, wall seconds, CPU seconds and ms per frame, for the frame synthesis alone and for
render + encode. The target is about 5 s (≲7 ms/frame) for the whole render on one core; pin it
with `taskset -c 0` to measure that.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from reelforge.generators.base import ElementRef, ShotRequest, TimedLine
from reelforge.generators.previz import PrevizGenerator, iter_frames


def _reference(folder: Path) -> Path:
    image = Image.new("RGB", (480, 640), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((120, 100, 360, 340), fill=(236, 196, 160))
    draw.rectangle((90, 360, 390, 640), fill=(180, 40, 50))
    path = folder / "hero.png"
    image.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=720)
    parser.add_argument("--preset", default="ultrafast")
    parser.add_argument("--camera", default="dolly_in")
    parser.add_argument("--prompt", default="a detective on a city street at dusk")
    parser.add_argument("--profile", action="store_true", help="cProfile the full render")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        request = ShotRequest(
            shot_id="bench",
            prompt=args.prompt,
            frames=args.frames,
            fps=24,
            width=1280,
            height=720,
            camera=args.camera,
            size="medium",
            elements=(
                ElementRef("Hero", references=(_reference(folder),)),
                ElementRef("Partner", description="a tall stranger"),
            ),
            dialogue=(TimedLine("Hero", "We should not be here after dark.", 2.0, 5.5),),
            seed=7,
        )

        wall, cpu = time.perf_counter(), time.process_time()
        count = sum(1 for _ in iter_frames(request))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"frames only : {count} frames  {wall:6.2f} s  ({cpu:.2f} s CPU)  "
            f"{1000 * wall / count:5.2f} ms/frame"
        )

        generator = PrevizGenerator(preset=args.preset)
        out = folder / "bench.mp4"
        wall, cpu = time.perf_counter(), time.process_time()
        if args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                clip = generator.render(request, out)
            pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        else:
            clip = generator.render(request, out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size_mb = out.stat().st_size / 1e6
        print(
            f"render+encode: {clip.frames} frames  {wall:6.2f} s  ({cpu:.2f} s CPU)  "
            f"{1000 * wall / clip.frames:5.2f} ms/frame  {size_mb:.1f} MB"
        )


if __name__ == "__main__":
    main()
