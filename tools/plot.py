"""A dependency-free line plot (PIL only) for training curves in reports and cards."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

PALETTE = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]


def line_plot(
    series: dict[str, list[tuple[float, float]]],
    path: str | Path,
    title: str,
    x_label: str,
    y_label: str,
    size: tuple[int, int] = (720, 420),
) -> None:
    """Draw each named series of (x, y) points with axes, ticks and a legend."""
    width, height = size
    left, right, top, bottom = 70, 180, 40, 50
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    points = [p for values in series.values() for p in values]
    if not points:
        raise ValueError("nothing to plot")
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad

    def to_px(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x0) / (x1 - x0) * (width - left - right)
        py = height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom)
        return px, py

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for i in range(5):
        xv = x0 + (x1 - x0) * i / 4
        yv = y0 + (y1 - y0) * i / 4
        px, _ = to_px(xv, y0)
        _, py = to_px(x0, yv)
        draw.line([px, height - bottom, px, height - bottom + 4], fill="black")
        draw.text((px - 15, height - bottom + 8), f"{xv:.3g}", fill="black")
        draw.line([left - 4, py, left, py], fill="black")
        draw.text((8, py - 6), f"{yv:.3g}", fill="black")
    draw.text((left, 12), title, fill="black")
    draw.text(((width - right + left) // 2 - 30, height - 20), x_label, fill="black")
    draw.text((8, top - 20), y_label, fill="black")
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        pixels = [to_px(x, y) for x, y in sorted(values)]
        if len(pixels) > 1:
            draw.line(pixels, fill=colour, width=2)
        for px, py in pixels:
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=colour)
        ly = top + 10 + 16 * i
        draw.line(
            [width - right + 10, ly + 6, width - right + 30, ly + 6],
            fill=colour,
            width=3,
        )
        draw.text((width - right + 35, ly), name[:22], fill="black")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
