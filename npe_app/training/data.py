"""Reading face images for training and evaluation from folders or tar shards.

The whole set is decoded once into one uint8 tensor: at 64x64 even 100k images are
1.2 GB, and decoding JPEGs every epoch would cost more than training on 2 cores.
"""

from __future__ import annotations

import io
import logging
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


class DataError(Exception):
    """A data path that yields no usable images; str() names the path."""


def _sources(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        found = [
            p
            for p in sorted(path.rglob("*"))
            if p.is_file()
            and (p.suffix.lower() in IMAGE_SUFFIXES or p.suffix == ".tar")
        ]
        return found
    raise DataError(f"{path}: no such file or folder")


def _blobs(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, encoded bytes) of every image under path, tar shards opened in place."""
    for source in _sources(path):
        if source.suffix == ".tar":
            try:
                with tarfile.open(source) as tar:
                    for member in tar:
                        if member.isfile() and Path(member.name).suffix.lower() in (
                            IMAGE_SUFFIXES
                        ):
                            yield (
                                f"{source.name}:{member.name}",
                                tar.extractfile(member).read(),
                            )
            except (tarfile.TarError, OSError) as error:
                raise DataError(f"{source}: unreadable tar shard ({error})") from None
        else:
            yield str(source), source.read_bytes()


def square_resize(image: Image.Image, size: int) -> Image.Image:
    """Centre square crop, then resize; aligned face crops keep their framing."""
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if side != size:
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return image


def load_images(
    paths: str | Path | list, size: int, limit: int | None = None, progress: bool = True
) -> torch.Tensor:
    """All images under the given folders/tar files as (N, 3, size, size) uint8."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    images: list[np.ndarray] = []
    skipped = 0
    bar = tqdm(desc="loading images", unit="img", disable=not progress, total=limit)
    try:
        for path in paths:
            for name, blob in _blobs(Path(path)):
                try:
                    with Image.open(io.BytesIO(blob)) as image:
                        image = square_resize(image.convert("RGB"), size)
                        images.append(np.asarray(image, dtype=np.uint8))
                except (
                    UnidentifiedImageError,
                    OSError,
                    ValueError,
                    Image.DecompressionBombError,
                ):
                    skipped += 1
                    log.warning("skipping unreadable image %s", name)
                    continue
                bar.update(1)
                if limit is not None and len(images) >= limit:
                    break
            if limit is not None and len(images) >= limit:
                break
    finally:
        # Closed before any DataError reaches the user, so that the one-line
        # error starts a line of its own instead of trailing the bar.
        bar.close()
    if not images:
        raise DataError(f"{', '.join(map(str, paths))}: no readable images found")
    if skipped:
        log.warning("skipped %d unreadable images", skipped)
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()


def to_model_range(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float [-1, 1]."""
    return images.float().div(127.5).sub(1.0)


def to_unit_range(images: torch.Tensor) -> torch.Tensor:
    """float [-1, 1] -> float [0, 1], clamped."""
    return images.add(1.0).div(2.0).clamp(0.0, 1.0)


class BatchSampler:
    """Endless shuffled batches with random horizontal flips, one epoch at a time.
    With several processes each takes its own slice of every epoch's order."""

    def __init__(
        self,
        images: torch.Tensor,
        batch_size: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.images, self.batch_size = images, batch_size
        self.rank, self.world_size = rank, world_size
        self.generator = torch.Generator().manual_seed(seed)
        self._order = torch.empty(0, dtype=torch.long)

    def state(self) -> dict:
        return {"rng": self.generator.get_state().tolist()}

    def restore(self, state: dict) -> None:
        if "rng" in state:
            self.generator.set_state(torch.tensor(state["rng"], dtype=torch.uint8))

    def next(self) -> torch.Tensor:
        per_step = self.batch_size * self.world_size
        if len(self._order) < per_step:
            self._order = torch.randperm(len(self.images), generator=self.generator)
            while len(self._order) < per_step:  # tiny data sets
                more = torch.randperm(len(self.images), generator=self.generator)
                self._order = torch.cat([self._order, more])
        chosen, self._order = self._order[:per_step], self._order[per_step:]
        mine = chosen[self.rank * self.batch_size : (self.rank + 1) * self.batch_size]
        batch = to_model_range(self.images[mine])
        flip = torch.rand(len(mine), generator=self.generator) < 0.5
        batch[flip] = batch[flip].flip(3)
        return batch
