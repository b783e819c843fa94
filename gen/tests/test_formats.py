"""gen/formats.py: the texel block each aspect of a forwarded format moves."""

from __future__ import annotations

import unittest

from vkw_test_support import real_registry, skip_without_real_xml, tiny_registry

import formats
import vkmodel


def _by_name(reg, version='1.1'):
    return {f.name: f for f in formats.build(reg, vkmodel.select(reg, version, []))}


def _aspects(ff):
    return [(a.aspect, a.block_size, a.block_extent, a.width_divisor, a.height_divisor)
            for a in ff.aspects]


class TinyFormats(unittest.TestCase):
    def setUp(self):
        self.facts = _by_name(tiny_registry())

    def test_only_selected_formats_with_a_block(self):
        # UNDEFINED has no <format>; PVRTC has one but no VkFormat value here.
        self.assertEqual(list(self.facts), ['VK_FORMAT_R8_UNORM', 'VK_FORMAT_R8G8_UNORM',
                                            'VK_FORMAT_D24_UNORM_S8_UINT',
                                            'VK_FORMAT_BC1_RGB_UNORM_BLOCK',
                                            'VK_FORMAT_G8_B8R8_2PLANE_420_UNORM'])

    def test_sorted_by_value(self):
        values = [f.value for f in self.facts.values()]
        self.assertEqual(values, sorted(values))
        self.assertEqual(self.facts['VK_FORMAT_G8_B8R8_2PLANE_420_UNORM'].value, 1000156003)

    def test_color_block(self):
        self.assertEqual(_aspects(self.facts['VK_FORMAT_BC1_RGB_UNORM_BLOCK']),
                         [('VK_IMAGE_ASPECT_COLOR_BIT', 8, (4, 4, 1), 1, 1)])

    def test_depth_rounds_up_and_stencil_is_a_byte(self):
        ff = self.facts['VK_FORMAT_D24_UNORM_S8_UINT']
        self.assertEqual(_aspects(ff), [('VK_IMAGE_ASPECT_DEPTH_BIT', 4, (1, 1, 1), 1, 1),
                                        ('VK_IMAGE_ASPECT_STENCIL_BIT', 1, (1, 1, 1), 1, 1)])
        self.assertEqual(ff.block_size, 4)

    def test_planes_take_their_compatible_format(self):
        self.assertEqual(_aspects(self.facts['VK_FORMAT_G8_B8R8_2PLANE_420_UNORM']),
                         [('VK_IMAGE_ASPECT_PLANE_0_BIT', 1, (1, 1, 1), 1, 1),
                          ('VK_IMAGE_ASPECT_PLANE_1_BIT', 2, (1, 1, 1), 2, 2)])


@skip_without_real_xml
class RealFormats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.facts = _by_name(real_registry(), '1.4')

    def test_depth_sizes_follow_the_spec(self):
        # The spec's copy rules: D16 2 bytes, D24 in 4, D32 4; stencil 1.
        want = {'VK_FORMAT_D16_UNORM': 2, 'VK_FORMAT_X8_D24_UNORM_PACK32': 4,
                'VK_FORMAT_D32_SFLOAT': 4, 'VK_FORMAT_D16_UNORM_S8_UINT': 2,
                'VK_FORMAT_D32_SFLOAT_S8_UINT': 4}
        for name, size in want.items():
            self.assertEqual(self.facts[name].aspects[0], formats.AspectBlock(
                'VK_IMAGE_ASPECT_DEPTH_BIT', size, (1, 1, 1)), name)
        self.assertEqual(_aspects(self.facts['VK_FORMAT_S8_UINT']),
                         [('VK_IMAGE_ASPECT_STENCIL_BIT', 1, (1, 1, 1), 1, 1)])

    def test_three_planes(self):
        self.assertEqual(_aspects(self.facts['VK_FORMAT_G16_B16_R16_3PLANE_420_UNORM']),
                         [('VK_IMAGE_ASPECT_PLANE_0_BIT', 2, (1, 1, 1), 1, 1),
                          ('VK_IMAGE_ASPECT_PLANE_1_BIT', 2, (1, 1, 1), 2, 2),
                          ('VK_IMAGE_ASPECT_PLANE_2_BIT', 2, (1, 1, 1), 2, 2)])

    def test_single_plane_422_is_a_2x1_block(self):
        self.assertEqual(_aspects(self.facts['VK_FORMAT_G8B8G8R8_422_UNORM']),
                         [('VK_IMAGE_ASPECT_COLOR_BIT', 4, (2, 1, 1), 1, 1)])

    def test_every_core_format_but_undefined(self):
        reg = real_registry()
        core = [n for n, v in reg.enums['VkFormat'].values.items()
                if v.alias_of is None and n != 'VK_FORMAT_UNDEFINED']
        self.assertEqual([n for n in core if n not in self.facts], [])


if __name__ == '__main__':
    unittest.main()
