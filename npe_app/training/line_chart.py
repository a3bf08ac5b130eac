"""Line charts drawn with Pillow, so that reports need no plotting library."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

# Distinguishable on white; one per series, in order.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering low..high."""
    if high <= low:
        high = low + (abs(low) or 1.0) * 0.1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        if value >= low - step * 1e-9:
            ticks.append(round(value, 12))
        value += step
    return ticks


def line_chart(
    series: list[tuple[str, list[float], list[float]]],
    path: str | Path,
    title: str,
    x_label: str,
    y_label: str,
    size: tuple[int, int] = (820, 440),
) -> None:
    """Write a PNG with one line per (label, xs, ys) and a legend on the right."""
    width, height = size
    left, right, top, bottom = 70, 250, 34, 50
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)

    xs = [x for _, sx, _ in series for x in sx]
    ys = [y for _, _, sy in series for y in sy if math.isfinite(y)]
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0))
    y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0))
    x0, x1 = min(x_ticks[0], min(xs, default=0.0)), max(x_ticks[-1], max(xs, default=1))
    y0, y1 = min(y_ticks[0], min(ys, default=0.0)), max(y_ticks[-1], max(ys, default=1))
    plot_w, plot_h = width - left - right, height - top - bottom

    def to_px(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x0) / ((x1 - x0) or 1.0) * plot_w
        py = top + plot_h - (y - y0) / ((y1 - y0) or 1.0) * plot_h
        return px, py

    for tick in x_ticks:
        px, _ = to_px(tick, y0)
        draw.line([(px, top), (px, top + plot_h)], fill="#e6e6e6")
        draw.text(
            (px, top + plot_h + 6), f"{tick:g}", fill="black", font=font, anchor="ma"
        )
    for tick in y_ticks:
        _, py = to_px(x0, tick)
        draw.line([(left, py), (left + plot_w, py)], fill="#e6e6e6")
        draw.text((left - 6, py), f"{tick:g}", fill="black", font=font, anchor="rm")
    draw.rectangle([left, top, left + plot_w, top + plot_h], outline="black")
    draw.text((left + plot_w / 2, 8), title, fill="black", font=font, anchor="ma")
    draw.text(
        (left + plot_w / 2, height - 8), x_label, fill="black", font=font, anchor="md"
    )
    draw.text((8, top - 22), y_label, fill="black", font=font)

    for i, (label, sx, sy) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points = [to_px(x, y) for x, y in zip(sx, sy, strict=False) if math.isfinite(y)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2, joint="curve")
        elif points:
            px, py = points[0]
            draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour)
        ly = top + 8 + i * 20
        draw.line(
            [(width - right + 14, ly), (width - right + 40, ly)], fill=colour, width=3
        )
        draw.text((width - right + 46, ly), label, fill="black", font=font, anchor="lm")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
