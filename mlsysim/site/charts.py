"""Roofline charts of hardware entries, as static SVG computed at build time.

attainable(I) = min(peak, I x bandwidth) for each precision's dense peak
(Williams, Waterman and Patterson, "Roofline", CACM 2009).
"""

from __future__ import annotations

import math
from typing import Any

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT, LEFT, RIGHT_PAD, TOP, BOTTOM_PAD = 640, 380, 70, 20, 20, 50
X_DECADES = (-1, 4)  # arithmetic intensity from 0.1 to 10^4 ops per byte


def has_roofline(entry: Any) -> bool:
    """A roofline needs at least one peak rate; without bandwidth it is drawn flat."""
    return bool(entry.compute.peak)


def roofline_context(entry: Any) -> dict[str, Any]:
    """Everything the SVG template draws for one hardware entry (coordinates precomputed)."""
    peaks = {name: row.dense.to_base_units().magnitude for name, row in entry.compute.peak.items()}
    bandwidth = entry.memory.bandwidth.to("B/s").magnitude if entry.memory.bandwidth is not None else None
    right, bottom = WIDTH - RIGHT_PAD, HEIGHT - BOTTOM_PAD
    top_peak = max(peaks.values()) if peaks else 1.0
    y_hi = math.ceil(math.log10(top_peak) + 0.2)
    y_lo = y_hi - 5
    x_lo, x_hi = X_DECADES

    def px(intensity_log: float) -> float:
        return LEFT + (intensity_log - x_lo) / (x_hi - x_lo) * (right - LEFT)

    def py(rate_log: float) -> float:
        clamped = min(max(rate_log, y_lo), y_hi)
        return bottom - (clamped - y_lo) / (y_hi - y_lo) * (bottom - TOP)

    # Precisions with the same peak and unit share one line (fp16 and bf16 usually do).
    merged: dict[tuple[float, bool], list[str]] = {}
    for name, peak in peaks.items():
        merged.setdefault((peak, name.startswith("int")), []).append(name)
    lines = []
    ordered = sorted(merged.items(), key=lambda item: -item[0][0])
    for index, ((peak, _), names) in enumerate(ordered):
        name = "/".join(names)
        points = []
        steps = 60
        for step in range(steps + 1):
            x_log = x_lo + (x_hi - x_lo) * step / steps
            rate = peak if bandwidth is None else min(peak, 10 ** x_log * bandwidth)
            points.append(f"{px(x_log):.1f},{py(math.log10(rate)):.1f}")
        unit = "TOPS" if name.startswith("int") else "TFLOP/s"
        lines.append({"points": " ".join(points), "color": COLORS[index % len(COLORS)],
                      "label": f"{name} {peak / 1e12:.4g} {unit}",
                      "y": py(math.log10(peak)) - 4})
    for line, y in zip(lines, spread([line.pop("y") for line in lines], LABEL_GAP, TOP + 11, bottom - 4)):
        line["label_y"] = f"{y:.1f}"
    slope = None
    if bandwidth is not None:
        # The label sits on the sloped part, below the lowest ceiling and above the floor;
        # when the slope is too short for that, it is written in the top-left corner.
        lowest = min(math.log10(p) for p in peaks.values())
        rate_log = min(y_lo + 1.5, lowest - 0.4)
        x_log = max(x_lo + 0.15, rate_log - math.log10(bandwidth))
        rate_log = x_log + math.log10(bandwidth)
        label = f"memory {_bandwidth_label(bandwidth)}"
        if y_lo + 0.3 < rate_log < lowest - 0.2:
            angle = -math.degrees(math.atan2(bottom - TOP, right - LEFT))
            slope = {"x": f"{px(x_log):.1f}", "y": f"{py(rate_log) - 8:.1f}", "angle": f"{angle:.1f}",
                     "label": label}
        else:
            slope = {"x": LEFT + 8, "y": TOP + 16, "angle": "0", "label": f"slope: {label}"}
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": right, "top": TOP, "bottom": bottom,
        "plot_w": right - LEFT, "plot_h": bottom - TOP, "y_unit": "operations per second",
        "title": f"Roofline of {entry.name}",
        "x_ticks": [{"pos": f"{px(d):.1f}", "label": f"{10.0 ** d:g}"} for d in range(x_lo, x_hi + 1)],
        "y_ticks": [{"pos": f"{py(d):.1f}", "label_y": f"{py(d) + 4:.1f}", "label": _rate_label(d)}
                    for d in range(y_lo, y_hi + 1)],
        "x_label_y": bottom + 16, "y_label_x": LEFT - 6, "x_title_x": (LEFT + right) // 2,
        "x_title_y": HEIGHT - 6, "y_title_y": (TOP + bottom) // 2, "line_label_x": right - 4,
        "note_x": LEFT + 8, "note_y": TOP + 16,
        "lines": lines, "slope": slope,
        "note": "" if bandwidth is not None else "Memory bandwidth not listed: compute ceilings only",
    }


#: Smallest vertical distance between two line labels, in pixels (11-px text).
LABEL_GAP = 13


def spread(ys: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions as close to ``ys`` as possible, at least ``gap`` apart, within
    [low, high]: labels that would overlap are pushed down, then up from the bottom."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    last = low - gap
    for i in order:
        last = max(ys[i], last + gap, low)
        placed[i] = last
    nxt = high + gap
    for i in reversed(order):
        nxt = min(placed[i], nxt - gap)
        placed[i] = nxt
    return placed


def _bandwidth_label(bytes_per_second: float) -> str:
    for scale, unit in ((1e15, "PB/s"), (1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s")):
        if bytes_per_second >= scale:
            return f"{bytes_per_second / scale:.4g} {unit}"
    return f"{bytes_per_second:.4g} B/s"


def _rate_label(decade: int) -> str:
    prefixes = {9: "G", 12: "T", 15: "P", 18: "E", 6: "M", 3: "k", 0: ""}
    base = 3 * (decade // 3)
    return f"{10 ** (decade - base):g} {prefixes.get(base, f'1e{base} ')}"
