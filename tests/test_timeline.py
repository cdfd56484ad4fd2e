from reelforge.plan.timeline import build_timeline, seconds_to_frames


def test_cuts_sum_to_the_shot_frames() -> None:
    tl = build_timeline([2, 1.5, 2.5], [("cut", 0)] * 3, 24)
    assert [s.frames for s in tl.shots] == [48, 36, 60]
    assert [s.start for s in tl.shots] == [0, 48, 84]
    assert tl.frames == 144 and tl.cuts_only


def test_transitions_overlap_their_shots() -> None:
    tl = build_timeline([2, 1.5, 2.5], [("cut", 0), ("crossfade", 0.5), ("dip_to_black", 0.25)], 24)
    assert [s.overlap for s in tl.shots] == [0, 12, 6]
    assert [s.start for s in tl.shots] == [0, 36, 66]
    assert tl.frames == 144 - 12 - 6 and not tl.cuts_only


def test_first_shot_dip_to_black_is_a_fade_in_without_overlap() -> None:
    tl = build_timeline([2, 2], [("dip_to_black", 0.5), ("cut", 0)], 30)
    assert tl.shots[0].fade_in == 15 and tl.shots[0].overlap == 0
    assert tl.frames == 120


def test_frames_round_once_per_duration() -> None:
    assert seconds_to_frames(2.3, 24) == 55
    assert seconds_to_frames(1 / 60, 24) == 1  # never a zero-frame shot
