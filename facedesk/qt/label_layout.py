"""Which face labels fit on screen: a pure function, so it is tested without a window."""

from __future__ import annotations

from collections.abc import Sequence

Rect = tuple[float, float, float, float]  # left, top, width, height in screen pixels


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def uncrowded(rects: Sequence[Rect], priority: Sequence[float]) -> list[bool]:
    """Whether each label is shown: highest priority first (the largest face), a label is
    shown when it overlaps none shown before it. The hidden ones appear on hover.

    Greedy rather than optimal on purpose: the biggest faces keep their labels, which is
    what a reader looks at first, and the result does not jump around as labels change.
    """
    shown: list[Rect] = []
    visible = [False] * len(rects)
    for i in sorted(range(len(rects)), key=lambda i: -priority[i]):
        if not any(_overlap(rects[i], s) for s in shown):
            shown.append(rects[i])
            visible[i] = True
    return visible
