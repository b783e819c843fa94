"""Format facts: what a copy between host memory and an image moves per
texel block of each forwarded VkFormat.

This layer reads the model's <formats> (vkmodel.Format) and answers the
question host image copies ask (doc/PROTOCOL.md, "Host image copy"): for a
format and one aspect of it, how many bytes a texel block takes in memory
and how many texels it spans.  The rules are vk.xml's, plus the spec's for
depth and stencil, which vk.xml states as component bits only:

  color, and single-plane formats    the format's block (blockSize, blockExtent)
  depth                              the depth component's bits, rounded up to
                                     2 or 4 bytes (D16: 2; X8_D24, D24S8, D32: 4)
  stencil                            1 byte (the S8 component)
  plane i of a multi-planar format   the block of the plane's compatible format,
                                     and the plane's width and height divisors
It emits no C; templates/vkw_formats.*.j2 do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

from vkmodel import Format, ModelError, Registry, Selection


@dataclass
class AspectBlock:
    """One aspect a copy may name, and the texel block it moves."""
    aspect: str                   # 'VK_IMAGE_ASPECT_PLANE_1_BIT'
    block_size: int               # bytes per block in host memory: 2 for R8G8
    block_extent: tuple           # texels per block: (1, 1, 1)
    width_divisor: int = 1        # the aspect's extent is the image's divided by these
    height_divisor: int = 1


@dataclass
class FormatFacts:
    name: str                     # 'VK_FORMAT_G8_B8R8_2PLANE_420_UNORM'
    value: int                    # its VkFormat value
    model: Format
    aspects: List[AspectBlock] = field(default_factory=list)

    @property
    def block_size(self) -> int:
        """The whole format's block (what a driver may move per texel of a
        depth/stencil format, whichever aspect is copied)."""
        return self.model.block_size


def _depth_bytes(bits: int) -> int:
    """Depth texels travel in a whole power-of-two number of bytes."""
    n = 1
    while n * 8 < bits:
        n *= 2
    return n


def _facts(reg: Registry, fmt: Format, value: int) -> FormatFacts:
    ff = FormatFacts(name=fmt.name, value=value, model=fmt)
    depth, stencil = fmt.component_bits('D'), fmt.component_bits('S')
    if fmt.planes:
        for pl in fmt.planes:
            plane = reg.formats[pl.compatible]
            ff.aspects.append(AspectBlock(f'VK_IMAGE_ASPECT_PLANE_{pl.index}_BIT',
                                          plane.block_size, plane.block_extent,
                                          pl.width_divisor, pl.height_divisor))
    elif depth is not None or stencil is not None:
        if depth is not None:
            ff.aspects.append(AspectBlock('VK_IMAGE_ASPECT_DEPTH_BIT', _depth_bytes(depth),
                                          (1, 1, 1)))
        if stencil is not None:
            if stencil != 8:
                raise ModelError(f'{reg.where(fmt.line)}: {fmt.name}: a stencil component of '
                                 f'{stencil} bits; copies know 8-bit stencil only')
            ff.aspects.append(AspectBlock('VK_IMAGE_ASPECT_STENCIL_BIT', 1, (1, 1, 1)))
    else:
        ff.aspects.append(AspectBlock('VK_IMAGE_ASPECT_COLOR_BIT', fmt.block_size,
                                      fmt.block_extent))
    for a in ff.aspects:
        if a.block_size > 255 or max(a.block_extent) > 255 or \
                max(a.width_divisor, a.height_divisor) > 255:
            raise ModelError(f'{reg.where(fmt.line)}: {fmt.name}: a block too large for the '
                             'format table (one byte a field)')
    return ff


def build(reg: Registry, sel: Selection) -> List[FormatFacts]:
    """The selected VkFormat values that <formats> describes, by value."""
    values = sel.enum_values.get('VkFormat', {})
    out = [_facts(reg, reg.formats[name], value) for name, value in values.items()
           if name in reg.formats]
    return sorted(out, key=lambda f: f.value)
