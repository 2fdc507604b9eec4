"""Pixels turned without EXIF: map what was found on a turned picture back to the photo.

``np.rot90(pixels, k)`` turns the stored picture ``k`` quarter turns counter-clockwise.
A face found upright there is, in the photo as stored, turned ``k`` quarter turns
clockwise, so its Roll (> 0 clockwise, see ``pose.py``) grows by ``90 * k``. Points and
boxes are Rekognition ratios (0..1 of width and height), which makes the map independent
of the picture's size. Pure functions; no image library.
"""

from __future__ import annotations

from facedesk.core.types import BoundingBox, Landmark, PixelBox, Pose

TURNS = (1, 2, 3)  # tried in this order when the upright picture has no face


def unturn_ratio(u: float, v: float, k: int) -> tuple[float, float]:
    """(x, y) ratios on the picture turned ``k`` times -> ratios on the stored picture."""
    k %= 4
    if k == 1:
        return 1.0 - v, u
    if k == 2:
        return 1.0 - u, 1.0 - v
    if k == 3:
        return v, 1.0 - u
    return u, v


def unturn_box(box: BoundingBox, k: int) -> BoundingBox:
    corners = [
        unturn_ratio(box.left, box.top, k),
        unturn_ratio(box.left + box.width, box.top + box.height, k),
    ]
    xs, ys = [c[0] for c in corners], [c[1] for c in corners]
    return BoundingBox(left=min(xs), top=min(ys), width=max(xs) - min(xs), height=max(ys) - min(ys))


def unturn_landmark(mark: Landmark, k: int) -> Landmark:
    x, y = unturn_ratio(mark.x, mark.y, k)
    return Landmark(type=mark.type, x=x, y=y)


def unturn_pose(pose: Pose, k: int) -> Pose:
    roll = (pose.roll + 90.0 * k + 180.0) % 360.0 - 180.0
    return Pose(roll=roll, yaw=pose.yaw, pitch=pose.pitch)


def ratio_to_pixels(box: BoundingBox, width: int, height: int) -> PixelBox:
    return PixelBox(
        left=box.left * width,
        top=box.top * height,
        right=(box.left + box.width) * width,
        bottom=(box.top + box.height) * height,
    )
