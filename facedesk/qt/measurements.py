"""Readable rows of the measured values behind a quality decision (pure, no Qt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

REASON_TEXT = {
    "SMALL_BOUNDING_BOX": "too small",
    "LOW_CONFIDENCE": "low confidence",
    "LOW_BRIGHTNESS": "too dark",
    "LOW_SHARPNESS": "blurred",
    "EXTREME_POSE": "extreme pose",
    "EXCEEDS_MAX_FACES": "over MaxFaces",
    "LOW_FACE_QUALITY": "low quality",
}


@dataclass(frozen=True)
class MeasureRow:
    name: str
    value: str
    rule: str  # e.g. "≥ 80" or "" when no threshold applies
    passed: bool | None  # None: not judged at this QualityFilter


def _num(m: Mapping[str, Any], key: str) -> float | None:
    v = m.get(key)
    return float(v) if isinstance(v, int | float) else None


def measure_rows(m: Mapping[str, Any]) -> list[MeasureRow]:
    t: Mapping[str, Any] = m.get("thresholds") or {}
    rows: list[MeasureRow] = []
    side, minimum = _num(m, "box_short_side_px"), _num(m, "min_face_px")
    if side is not None:
        rows.append(
            MeasureRow(
                "Box short side",
                f"{side:.0f} px",
                f"≥ {minimum:.0f} px" if minimum is not None and t else "",
                None if minimum is None or not t else side >= minimum,
            )
        )

    def low(name: str, key: str, tkey: str, fmt: str = "{:.1f}") -> None:
        v, th = _num(m, key), _num(t, tkey)
        if v is not None:
            rows.append(
                MeasureRow(
                    name,
                    fmt.format(v),
                    f"≥ {th:g}" if th is not None else "",
                    None if th is None else v >= th,
                )
            )

    def absmax(name: str, key: str, tkey: str | None) -> None:
        v = _num(m, key)
        th = _num(t, tkey) if tkey else None
        if v is not None:
            rows.append(
                MeasureRow(
                    name,
                    f"{v:+.1f}°",
                    f"|x| ≤ {th:g}°" if th is not None else "",
                    None if th is None else abs(v) <= th,
                )
            )

    low("Confidence", "confidence", "min_confidence")
    low("Brightness", "brightness", "min_brightness")
    low("Sharpness", "sharpness", "min_sharpness")
    absmax("Yaw", "yaw", "max_abs_yaw")
    absmax("Pitch", "pitch", "max_abs_pitch")
    absmax("Roll", "roll", None)
    return rows


def reasons_label(reasons: tuple[str, ...] | list[str]) -> str:
    return ", ".join(REASON_TEXT.get(r, r.lower()) for r in reasons)


def measure_tooltip(m: Mapping[str, Any], reasons: tuple[str, ...] = ()) -> str:
    lines = [f"Not indexed: {', '.join(reasons)}" if reasons else "Indexed"]
    for r in measure_rows(m):
        mark = "" if r.passed is None else ("  ✓" if r.passed else "  ✗")
        rule = f"  (needs {r.rule})" if r.rule else ""
        lines.append(f"{r.name}: {r.value}{rule}{mark}")
    return "\n".join(lines)
