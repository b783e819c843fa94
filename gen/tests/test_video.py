"""video.xml in the model and on the wire: codec structures, bit-field words,
lengths and params from annotations, parent checks (tiny_video.xml, and the
real vk.xml + video.xml with gen/annotations.conf)."""

from __future__ import annotations

import os
import unittest

from vkw_test_support import (DATA_DIR, REAL_ANNOTATIONS, REAL_OPCODES, TempDirTestCase,
                              real_registry, real_xml, skip_without_real_xml)

import annotations as annotations_mod
import opcodes as opcodes_mod
import vkmodel
import wire

TINY_VIDEO = os.path.join(DATA_DIR, 'tiny_video.xml')
TINY_XML = os.path.join(DATA_DIR, 'tiny_video_vk.xml')  # the least vk.xml beside it


def tiny_builder(annotation_text: str, tmp: str):
    """A wire.Builder over tiny_vk.xml + tiny_video.xml."""
    reg = vkmodel.parse(TINY_XML, TINY_VIDEO)
    path = os.path.join(tmp, 'video.conf')
    with open(path, 'w', encoding='utf-8') as f:
        f.write('api 1.0 : tiny core\n' + annotation_text)
    ann = annotations_mod.parse(path)
    annotations_mod.check(ann, reg)
    return wire.Builder(reg, vkmodel.select(reg, ann.version, ann.extensions), ann, {})


class TinyModel(unittest.TestCase):
    def setUp(self):
        self.reg = vkmodel.parse(TINY_XML, TINY_VIDEO)

    def test_structs_remember_their_file(self):
        pic = self.reg.structs['StdTinyPicture']
        self.assertEqual(pic.file, TINY_VIDEO)
        self.assertTrue(pic.is_video_std)
        self.assertFalse(self.reg.structs['VkTinyInfo'].is_video_std)
        self.assertEqual(self.reg.where(pic.line, pic.file), f'{TINY_VIDEO}:{pic.line}')
        self.assertEqual(self.reg.video_path, TINY_VIDEO)

    def test_bitfields_arrays_enums_constants(self):
        flags = self.reg.structs['StdTinyFlags']
        self.assertEqual([(m.name, m.bitfield) for m in flags.members],
                         [('a', 1), ('b', 20), ('c', 20), ('d', 3)])
        pic = self.reg.structs['StdTinyPicture']
        self.assertEqual(pic.member('table').array_sizes, [4])
        self.assertEqual(self.reg.constants['STD_TINY_TABLE_SIZE'], '4')
        kind = self.reg.enums['StdTinyKind']
        self.assertEqual({n: v.value for n, v in kind.values.items()},
                         {'STD_TINY_KIND_A': 0, 'STD_TINY_KIND_B': 7,
                          'STD_TINY_KIND_INVALID': 0x7FFFFFFF})
        self.assertEqual(self.reg.category('StdTinyKind'), 'enum')

    def test_without_video_xml_nothing_is_read(self):
        reg = vkmodel.parse(TINY_XML)
        self.assertNotIn('StdTinyPicture', reg.structs)
        self.assertIsNone(reg.video_path)


class TinyModelErrors(TempDirTestCase):
    def broken(self, old: str, new: str) -> str:
        with open(TINY_VIDEO, encoding='utf-8') as f:
            text = f.read()
        self.assertIn(old, text)
        return self.write('video.xml', text.replace(old, new, 1))

    def test_unknown_attribute_names_the_line(self):
        path = self.broken('<member><type>StdTinyKind</type>',
                           '<member len="count"><type>StdTinyKind</type>')
        with self.assertRaisesRegex(vkmodel.ModelError, r'video\.xml:\d+: <member len='):
            vkmodel.parse(TINY_XML, path)

    def test_unknown_category(self):
        path = self.broken('<type category="struct" name="StdTinyFlags">',
                           '<type category="union" name="StdTinyFlags">')
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    r'video\.xml:\d+: <type category="union"> in video\.xml'):
            vkmodel.parse(TINY_XML, path)

    def test_unknown_base_type(self):
        path = self.broken('<type name="uint8_t" requires="stdint"/>',
                           '<type name="uint128_t" requires="stdint"/>')
        with self.assertRaisesRegex(vkmodel.ModelError, r'uint128_t.*not a C scalar'):
            vkmodel.parse(TINY_XML, path)

    def test_a_type_vk_xml_wants_but_video_xml_lacks(self):
        path = self.broken('name="StdTinyPicture">', 'name="StdTinyPictureRenamed">')
        with self.assertRaisesRegex(vkmodel.ModelError, r'tiny_video_vk\.xml:\d+: StdTinyPicture '
                                    r'comes from a vk_video/ header'):
            vkmodel.parse(TINY_XML, path)

    def test_a_struct_vk_xml_defines_too(self):
        path = self.broken('name="StdTinyPicture">', 'name="VkTinyInfo">')
        with self.assertRaisesRegex(vkmodel.ModelError, r'VkTinyInfo is defined by vk\.xml'):
            vkmodel.parse(TINY_XML, path)

    def test_unknown_array_size(self):
        path = self.broken('<enum>STD_TINY_TABLE_SIZE</enum>', '<enum>STD_NO_SUCH</enum>')
        with self.assertRaisesRegex(vkmodel.ModelError, r'video\.xml:\d+: array size .STD_NO_SUCH.'):
            vkmodel.parse(TINY_XML, path)


class TinyWire(TempDirTestCase):
    def test_bitfields_pack_into_words(self):
        sf = tiny_builder('', self.tmp).struct('StdTinyFlags')
        self.assertEqual([f.shape for f in sf.fields], ['bits', 'bits'])
        self.assertEqual([[(b.name, b.width, b.shift) for b in f.bits] for f in sf.fields],
                         [[('a', 1, 0), ('b', 20, 1)], [('c', 20, 0), ('d', 3, 20)]])
        self.assertEqual(sf.fields[1].bits[1].mask, '0x7u')

    def test_a_pointer_to_scalars_needs_a_length(self):
        with self.assertRaisesRegex(wire._Unsupported, r'pValues points at uint32_t: video\.xml '
                                    r'gives no length'):
            tiny_builder('', self.tmp).struct('StdTinyPicture')

    def test_length_annotation(self):
        sf = tiny_builder('length StdTinyPicture.pValues count : the header says so\n',
                          self.tmp).struct('StdTinyPicture')
        values = [f for f in sf.fields if f.name == 'pValues'][0]
        self.assertEqual((values.shape, values.count('v->')), ('array', 'v->count'))
        self.assertTrue([f for f in sf.fields if f.name == 'count'][0].is_count)
        more = [f for f in sf.fields if f.name == 'pMore'][0]
        self.assertEqual((more.shape, more.optional), ('pointer', True))  # video.xml: may be NULL

    def test_encode_if_makes_a_pointer_required_while_it_holds(self):
        sf = tiny_builder('length StdTinyPicture.pValues count : x\n'
                          'encode-if StdTinyPicture.pMore flags.a : x\n',
                          self.tmp).struct('StdTinyPicture')
        more = [f for f in sf.fields if f.name == 'pMore'][0]
        self.assertEqual((more.optional, more.required, more.required_when), (False, False, True))
        self.assertEqual(more.cond('v->'), 'v->flags.a')

    def test_param_and_pass(self):
        b = tiny_builder('length StdTinyPicture.pValues slots : x\n'
                         'param StdTinyPicture slots : x\n', self.tmp)
        sf = b.struct('StdTinyPicture')
        self.assertEqual((sf.param, sf.param_decl), ('slots', ', uint32_t slots'))
        values = [f for f in sf.fields if f.name == 'pValues'][0]
        self.assertEqual(values.count('v->'), 'slots')

    def test_a_length_that_contradicts_vk_xml(self):
        with self.assertRaisesRegex(wire.WireError, r'has len= in the registry'):
            tiny_builder('length VkTinyInfo.pValues 2 : x\n', self.tmp).struct('VkTinyInfo')


@skip_without_real_xml
class RealVideo(unittest.TestCase):
    """The forwarded video extensions, with the real annotations."""

    @classmethod
    def setUpClass(cls):
        cls.reg = real_registry()
        ann = annotations_mod.parse(REAL_ANNOTATIONS)
        annotations_mod.check(ann, cls.reg)
        sel = vkmodel.select(cls.reg, ann.version, ann.extensions)
        table = opcodes_mod.Table.load(REAL_OPCODES)  # read only: never saved here
        table.assign([c for c in sel.commands
                      if c not in ann.guest_only and c not in ann.host_only])
        cls.proto = wire.build(cls.reg, sel, ann, table.numbers)

    def field(self, struct, name):
        return [f for f in self.proto.structs[struct].fields if f.name == name][0]

    def test_video_xml_beside_vk_xml(self):
        self.assertEqual(self.reg.video_path, vkmodel.video_xml_beside(real_xml()))
        self.assertEqual(self.reg.enums['StdVideoH264ProfileIdc'].values[
            'STD_VIDEO_H264_PROFILE_IDC_MAIN'].value, 77)

    def test_sps_flags_are_one_word(self):
        flags = self.proto.structs['StdVideoH264SpsFlags']
        self.assertEqual(len(flags.fields), 1)
        bits = flags.fields[0].bits
        self.assertEqual((bits[0].name, bits[0].shift), ('constraint_set0_flag', 0))
        self.assertEqual((bits[-1].name, bits[-1].shift), ('vui_parameters_present_flag', 15))

    def test_hrd_sub_layers_come_from_the_holder(self):
        self.assertEqual(self.proto.structs['StdVideoH265HrdParameters'].param, 'subLayerCount')
        self.assertEqual(self.field('StdVideoH265HrdParameters', 'pSubLayerHrdParametersNal')
                         .count('v->'), 'subLayerCount')
        self.assertEqual(self.field('StdVideoH265VideoParameterSet', 'pHrdParameters')
                         .pass_arg('v->'), ', (uint32_t)((v->vps_max_sub_layers_minus1 + 1))')
        self.assertEqual(self.field('StdVideoH265SequenceParameterSetVui', 'pHrdParameters')
                         .pass_arg('v->'), ', (uint32_t)(subLayerCount)')

    def test_required_while_the_flag_holds(self):
        self.assertTrue(self.field('StdVideoH264SequenceParameterSet', 'pScalingLists')
                        .required_when)
        self.assertTrue(self.field('StdVideoH264SequenceParameterSet', 'pOffsetForRefFrame')
                        .required)
        self.assertFalse(self.field('VkWriteDescriptorSet', 'pImageInfo').required_when)

    def test_parameters_are_checked_against_their_session(self):
        params = self.field('VkVideoBeginCodingInfoKHR', 'videoSessionParameters')
        self.assertEqual((params.made_from, params.made_from_type),
                         ('videoSession', 'VkVideoSessionKHR'))
        made = [(s.name, f.name) for s in self.proto.structs.values() for f in s.fields
                if f.made_from]
        self.assertEqual(sorted(made),
                         [('VkVideoBeginCodingInfoKHR', 'videoSessionParameters'),
                          ('VkVideoSessionParametersCreateInfoKHR',
                           'videoSessionParametersTemplate')])

    def test_teardown_destroys_parameters_through_the_device(self):
        self.assertEqual(self.proto.destroyers['VkVideoSessionParametersKHR'],
                         ('vkDestroyVideoSessionParametersKHR', 'VkDevice'))
        self.assertEqual(self.proto.destroyers['VkVideoSessionKHR'],
                         ('vkDestroyVideoSessionKHR', 'VkDevice'))


if __name__ == '__main__':
    unittest.main()
