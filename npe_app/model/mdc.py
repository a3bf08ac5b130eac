"""Multiscale Dilated Convolution (MDC) blocks.

One F x F filter bank is applied at dilations 1..S and the results are summed with a
learned scalar per filter and scale.  The same operation is one sparse filter of size
F + (S - 1)(F - 1); which of the two is faster depends on the device, so the block
can run either way and picks the quicker one the first time it sees a device.
"""

from __future__ import annotations

import logging
import time

import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger(__name__)

# device type -> "sum" or "composed", measured once per process.
_fastest_form: dict[str, str] = {}


class MDCBlock(nn.Module):
    """A 'Standard' MDC block (shared weights, per-scale gains) or, with
    full_rank=True, a 'Full-Rank' one (each dilation has its own weights)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 5,
        max_dilation: int = 2,
        full_rank: bool = False,
        form: str = "auto",
    ) -> None:
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError("MDC kernel size must be odd")
        self.kernel_size = kernel_size
        self.dilations = tuple(range(1, max_dilation + 1))
        self.full_rank = full_rank
        self.form = form  # "auto", "sum" or "composed"
        banks = len(self.dilations) if full_rank else 1
        self.weight = nn.Parameter(
            torch.empty(banks, out_channels, in_channels, kernel_size, kernel_size)
        )
        for bank in self.weight:
            nn.init.kaiming_uniform_(bank, a=5**0.5)
        # Standard MDC: one gain per output filter per scale, starting equal.
        scales = len(self.dilations)
        self.gain = (
            None
            if full_rank
            else nn.Parameter(torch.full((out_channels, scales), 1.0 / scales))
        )
        self.bias = nn.Parameter(torch.zeros(out_channels))

    @property
    def composed_size(self) -> int:
        return self.kernel_size + (self.dilations[-1] - 1) * (self.kernel_size - 1)

    def _bank(self, scale_index: int) -> torch.Tensor:
        """The (gain-weighted) F x F filters used at one dilation."""
        if self.full_rank:
            return self.weight[scale_index]
        return self.weight[0] * self.gain[:, scale_index].view(-1, 1, 1, 1)

    def composed_weight(self) -> torch.Tensor:
        """The single sparse filter equivalent to the whole block."""
        size, f = self.composed_size, self.kernel_size
        out_c, in_c = self.weight.shape[1:3]
        composed = self.weight.new_zeros(out_c, in_c, size, size)
        centre = size // 2
        for i, d in enumerate(self.dilations):
            start = centre - d * (f // 2)
            taps = slice(start, start + d * (f - 1) + 1, d)
            composed[:, :, taps, taps] = composed[:, :, taps, taps] + self._bank(i)
        return composed

    def forward_sum(self, x: torch.Tensor) -> torch.Tensor:
        out = None
        for i, d in enumerate(self.dilations):
            y = F.conv2d(
                x, self._bank(i), padding=d * (self.kernel_size // 2), dilation=d
            )
            out = y if out is None else out + y
        return out + self.bias.view(1, -1, 1, 1)

    def forward_composed(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(
            x, self.composed_weight(), self.bias, padding=self.composed_size // 2
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        form = self.form
        if form == "auto":
            form = _fastest_form.get(x.device.type) or _measure_fastest(self, x)
        if form == "composed":
            return self.forward_composed(x)
        return self.forward_sum(x)


def _measure_fastest(block: MDCBlock, x: torch.Tensor) -> str:
    """Time both forms once on this device and remember the quicker one."""
    sample = x[:1].detach()

    def timed(fn) -> float:
        best = float("inf")
        with torch.no_grad():
            for _ in range(3):
                if sample.is_cuda:
                    torch.cuda.synchronize()
                start = time.perf_counter()
                fn(sample)
                if sample.is_cuda:
                    torch.cuda.synchronize()
                best = min(best, time.perf_counter() - start)
        return best

    t_sum, t_composed = timed(block.forward_sum), timed(block.forward_composed)
    form = "sum" if t_sum <= t_composed else "composed"
    _fastest_form[x.device.type] = form
    log.debug(
        "MDC on %s: sum of dilated convs %.2f ms, composed filter %.2f ms -> %s",
        x.device.type,
        t_sum * 1e3,
        t_composed * 1e3,
        form,
    )
    return form
