"""Face labels give way to each other by face size, never overlapping on screen."""

from __future__ import annotations

from facedesk.qt.label_layout import uncrowded


def test_the_larger_face_keeps_its_label_when_two_overlap() -> None:
    rects = [(0.0, 0.0, 50.0, 10.0), (40.0, 5.0, 50.0, 10.0), (200.0, 0.0, 50.0, 10.0)]
    assert uncrowded(rects, [10.0, 30.0, 5.0]) == [False, True, True]
    assert uncrowded(rects, [30.0, 10.0, 5.0]) == [True, False, True]


def test_touching_edges_do_not_count_as_overlap() -> None:
    rects = [(0.0, 0.0, 50.0, 10.0), (50.0, 0.0, 50.0, 10.0), (0.0, 10.0, 50.0, 10.0)]
    assert uncrowded(rects, [1.0, 1.0, 1.0]) == [True, True, True]


def test_a_hidden_label_does_not_hide_others() -> None:
    # b overlaps a (bigger, shown) and c; c only overlaps b, which is hidden: c stays
    rects = [(0.0, 0.0, 30.0, 10.0), (25.0, 0.0, 30.0, 10.0), (50.0, 0.0, 30.0, 10.0)]
    assert uncrowded(rects, [3.0, 2.0, 1.0]) == [True, False, True]
