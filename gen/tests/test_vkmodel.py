"""gen/vkmodel.py: the registry -> typed model, on tiny_vk.xml and the real vk.xml."""

from __future__ import annotations

import re
import unittest

from vkw_test_support import (TINY_XML, TempDirTestCase, line_of, real_registry, real_xml,
                              skip_without_real_xml, tiny_registry)

import vkmodel


class MemberParsing(unittest.TestCase):
    def setUp(self):
        self.reg = tiny_registry()
        self.info = self.reg.structs['VkWidgetCreateInfo']

    def test_members_in_declaration_order(self):
        self.assertEqual([m.name for m in self.info.members],
                         ['sType', 'pNext', 'usage', 'kind', 'queueCount', 'pQueues',
                          'codeSize', 'pCode', 'pName', 'layerCount', 'ppLayerNames',
                          'initialDataSize', 'pInitialData', 'color', 'value'])

    def test_pointer_and_const(self):
        p_next = self.info.member('pNext')
        self.assertEqual((p_next.type, p_next.pointers, p_next.const), ('void', 1, True))
        names = self.info.member('ppLayerNames')
        self.assertEqual((names.type, names.pointers, names.const), ('char', 2, True))
        usage = self.info.member('usage')
        self.assertEqual((usage.pointers, usage.const), (0, False))
        out_next = self.reg.structs['VkWidgetInfo'].member('pNext')
        self.assertEqual((out_next.pointers, out_next.const), (1, False))

    def test_inner_const(self):
        """'T* const*' (the pointers pointed at are const) against 'T**'."""
        names = self.info.member('ppLayerNames')
        self.assertTrue(names.inner_const)
        ranges = self.reg.commands['vkBuildWidgetsEXT'].param('ppRanges')
        self.assertEqual((ranges.type, ranges.pointers, ranges.const, ranges.inner_const),
                         ('VkWidgetRangeEXT', 2, True, True))
        data = self.reg.commands['vkBreakWidgetNV'].param('ppData')
        self.assertEqual((data.type, data.pointers, data.const, data.inner_const),
                         ('void', 2, False, False))
        self.assertFalse(self.info.member('pNext').inner_const)

    def test_stride_objecttype_validstructs(self):
        draw = self.reg.commands['vkDrawWidgetsEXT']
        self.assertEqual(draw.param('pDrawInfo').stride, 'stride')
        self.assertEqual(draw.param('pDrawInfo').len, ['drawCount'])
        self.assertIsNone(draw.param('drawCount').stride)
        build = self.reg.structs['VkWidgetBuildInfoEXT']
        self.assertEqual(build.member('objectHandle').objecttype, 'objectType')
        self.assertIsNone(build.member('objectType').objecttype)
        info = self.reg.commands['vkBreakWidgetNV'].param('pInfo')
        self.assertEqual(info.validstructs, ['VkWidgetInfo', 'VkWidgetProperties'])
        self.assertEqual(self.info.member('pNext').validstructs, [])

    def test_selector_and_selection(self):
        shape = self.reg.structs['VkWidgetShapeEXT']
        self.assertEqual(shape.member('payload').selector, 'kind')
        self.assertIsNone(shape.member('kind').selector)
        payload = self.reg.structs['VkWidgetPayloadEXT']
        self.assertEqual([(m.name, m.selection) for m in payload.members],
                         [('radius', ['VK_WIDGET_KIND_ROUND']),
                          ('side', ['VK_WIDGET_KIND_SQUARE', 'VK_WIDGET_KIND_OBLONG'])])
        self.assertEqual(self.reg.structs['VkWidgetValue'].member('float32').selection, [])

    def test_len_lists(self):
        self.assertEqual(self.info.member('pQueues').len, ['queueCount'])
        self.assertEqual(self.info.member('pName').len, ['null-terminated'])
        self.assertEqual(self.info.member('ppLayerNames').len, ['layerCount', 'null-terminated'])
        self.assertEqual(self.info.member('queueCount').len, [])

    def test_altlen(self):
        code = self.info.member('pCode')
        self.assertEqual(code.altlen, 'codeSize / 4')
        self.assertEqual(code.len, [r'latexmath:[\textrm{codeSize} \over 4]'])
        self.assertIsNone(self.info.member('pQueues').altlen)

    def test_optional_lists(self):
        count = self.reg.commands['vkEnumerateWidgetProperties'].param('pPropertyCount')
        self.assertEqual(count.optional, [False, True])
        self.assertFalse(count.is_optional)
        self.assertTrue(self.info.member('usage').is_optional)
        self.assertEqual(self.info.member('kind').optional, [])
        self.assertFalse(self.info.member('kind').is_optional)

    def test_fixed_dims_resolved_through_constants(self):
        color = self.info.member('color')
        self.assertEqual(color.array_dims, ['VK_TINY_COLOR_SIZE'])
        self.assertEqual(color.array_sizes, [4])  # value="4U"
        self.assertTrue(color.is_fixed_array)
        props = self.reg.structs['VkWidgetProperties']
        self.assertEqual(props.member('widgetName').array_sizes, [32])
        self.assertEqual(props.member('widgetUUID').array_sizes, [16])
        self.assertEqual(props.member('transform').array_dims, ['3', '4'])
        self.assertEqual(props.member('transform').array_sizes, [3, 4])
        self.assertFalse(props.member('version').is_fixed_array)
        color_param = self.reg.commands['vkSetWidgetTagColorEXT'].param('color')
        self.assertEqual((color_param.const, color_param.array_sizes), (True, [4]))

    def test_constants(self):
        self.assertEqual(self.reg.constants['VK_UUID_SIZE'], '16')
        self.assertEqual(self.reg.constants['VK_MAX_WIDGET_NAME_SIZE_KHR'], '32')
        self.assertEqual(self.reg.constants['VK_WIDGET_WHOLE'], '(~0U)')

    def test_noautovalidity_externsync_values(self):
        tag = self.reg.structs['VkWidgetTagCreateInfoEXT']
        self.assertTrue(tag.member('tagKind').noautovalidity)
        self.assertFalse(tag.member('tag').noautovalidity)
        free = self.reg.commands['vkFreeGadgets']
        self.assertTrue(free.param('pGadgets').noautovalidity)
        self.assertEqual(free.param('widget').externsync, 'true')
        alloc = self.reg.commands['vkAllocateGadgets']
        self.assertEqual(alloc.param('pAllocateInfo').externsync, 'pAllocateInfo->widget')
        self.assertEqual(alloc.param('pGadgets').len, ['pAllocateInfo->gadgetCount'])
        self.assertEqual(self.info.member('sType').values, 'VK_STRUCTURE_TYPE_WIDGET_CREATE_INFO')

    def test_lines_name_the_source(self):
        self.assertEqual(self.info.member('pCode').line, line_of(TINY_XML, '<name>pCode</name>'))
        self.assertEqual(self.info.line, line_of(TINY_XML, 'name="VkWidgetCreateInfo"'))
        self.assertEqual(self.reg.commands['vkGetWidgetHostPointer'].line,
                         line_of(TINY_XML, '<name>vkGetWidgetHostPointer</name>') - 1)
        self.assertEqual(self.reg.where(12), f'{TINY_XML}:12')


class StructsAndTypes(unittest.TestCase):
    def setUp(self):
        self.reg = tiny_registry()

    def test_struct_flags(self):
        info = self.reg.structs['VkWidgetCreateInfo']
        self.assertEqual(info.stype, 'VK_STRUCTURE_TYPE_WIDGET_CREATE_INFO')
        self.assertTrue(info.has_pnext)
        self.assertFalse(info.returnedonly)
        props = self.reg.structs['VkWidgetProperties']
        self.assertTrue(props.returnedonly)
        self.assertIsNone(props.stype)
        self.assertFalse(props.has_pnext)
        self.assertTrue(self.reg.structs['VkWidgetValue'].is_union)
        self.assertFalse(info.is_union)

    def test_structextends_and_extended_by(self):
        tag = self.reg.structs['VkWidgetTagCreateInfoEXT']
        self.assertEqual(tag.structextends, ['VkWidgetCreateInfo'])
        self.assertEqual(self.reg.structs['VkWidgetCreateInfo'].extended_by,
                         ['VkWidgetTagCreateInfoEXT'])
        self.assertEqual(self.reg.structs['VkWidgetInfo'].extended_by,
                         ['VkWidgetInfoTagEXT', 'VkWidgetLayoutsEXT'])
        self.assertEqual(self.reg.structs['VkWidgetProperties'].extended_by, [])

    def test_handles(self):
        h = self.reg.handles
        self.assertTrue(h['VkInstance'].dispatchable)
        self.assertEqual(h['VkInstance'].parents, [])
        self.assertTrue(h['VkDevice'].dispatchable)
        self.assertEqual(h['VkDevice'].parents, ['VkInstance'])
        self.assertFalse(h['VkWidget'].dispatchable)
        self.assertEqual(h['VkWidget'].parents, ['VkDevice'])
        self.assertEqual(h['VkGadget'].parents, ['VkWidget'])
        self.assertEqual(h['VkGadget'].objtypeenum, 'VK_OBJECT_TYPE_GADGET')

    def test_type_alias(self):
        self.assertEqual(self.reg.type_alias, {'VkWidgetCreateInfoKHR': 'VkWidgetCreateInfo'})
        self.assertEqual(self.reg.resolve_type('VkWidgetCreateInfoKHR'), 'VkWidgetCreateInfo')
        self.assertEqual(self.reg.resolve_type('VkWidgetInfo'), 'VkWidgetInfo')
        self.assertEqual(self.reg.structs['VkWidgetCreateInfo'].aliases, ['VkWidgetCreateInfoKHR'])
        self.assertNotIn('VkWidgetCreateInfoKHR', self.reg.structs)

    def test_command_alias(self):
        self.assertEqual(self.reg.resolve_command('vkCreateWidgetKHR'), 'vkCreateWidget')
        self.assertEqual(self.reg.resolve_command('vkCreateWidget'), 'vkCreateWidget')
        self.assertEqual(self.reg.commands['vkCreateWidget'].aliases, ['vkCreateWidgetKHR'])
        self.assertEqual(self.reg.commands['vkTrimWidget'].aliases, ['vkTrimWidgetKHR'])
        self.assertNotIn('vkCreateWidgetKHR', self.reg.commands)

    def test_commands(self):
        create = self.reg.commands['vkCreateWidget']
        self.assertEqual(create.return_type, 'VkResult')
        self.assertEqual([p.name for p in create.params],
                         ['device', 'pCreateInfo', 'pAllocator', 'pWidget'])
        self.assertEqual(create.successcodes, ['VK_SUCCESS'])
        self.assertEqual(create.errorcodes, ['VK_ERROR_OUT_OF_HOST_MEMORY'])
        self.assertEqual(self.reg.commands['vkDestroyWidget'].return_type, 'void')
        self.assertIsNone(create.param('nothing'))

    def test_bitmasks(self):
        usage = self.reg.bitmasks['VkWidgetUsageFlags']
        self.assertEqual((usage.base, usage.bits), ('VkFlags', 'VkWidgetUsageFlagBits'))
        self.assertIsNone(self.reg.bitmasks['VkWidgetTrimFlags'].bits)

    def test_header_version_and_basetypes(self):
        self.assertEqual(self.reg.header_version, 42)
        self.assertEqual(self.reg.header_major_minor, '1.1')
        self.assertEqual(self.reg.version, '1.1.42')
        self.assertEqual(self.reg.basetypes['VkBool32'], 'uint32_t')
        self.assertIn('PFN_vkAllocationFunction', self.reg.funcpointers)

    def test_category(self):
        cases = {
            'VkWidgetCreateInfo': 'struct', 'VkWidgetCreateInfoKHR': 'struct',
            'VkWidgetValue': 'union', 'VkWidgetPayloadEXT': 'union',
            'VkWidget': 'handle', 'VkDevice': 'handle', 'VkDeviceAddress': 'scalar',
            'VkFaultLevel': 'other',  # Vulkan SC's: dropped
            'VkWidgetKind': 'enum', 'VkWidgetUsageFlagBits': 'enum',
            'VkWidgetUsageFlags': 'bitmask', 'uint32_t': 'scalar', 'VkFlags': 'scalar',
            'PFN_vkAllocationFunction': 'funcpointer', 'void': 'void', 'vk_platform': 'other',
        }
        for name, cat in cases.items():
            with self.subTest(name=name):
                self.assertEqual(self.reg.category(name), cat)


class EnumValues(unittest.TestCase):
    def setUp(self):
        self.reg = tiny_registry()

    def test_base_values(self):
        result = self.reg.enums['VkResult']
        self.assertEqual(result.values['VK_ERROR_OUT_OF_HOST_MEMORY'].value, -1)
        self.assertEqual(result.values['VK_INCOMPLETE'].value, 5)
        self.assertEqual(self.reg.enums['VkObjectType'].values['VK_OBJECT_TYPE_WIDGET'].value,
                         0x30)  # value="0x30"
        self.assertFalse(result.is_bitmask)

    def test_bitpos(self):
        bits = self.reg.enums['VkWidgetUsageFlagBits']
        self.assertTrue(bits.is_bitmask)
        self.assertEqual(bits.bitwidth, 32)
        self.assertEqual(bits.values['VK_WIDGET_USAGE_WRITE_BIT'].value, 2)

    def _ext_value(self, ext, name):
        for req in self.reg.extensions[ext].requires:
            for enum, value in req.enum_values:
                if value.name == name:
                    return enum, value
        self.fail(f'{ext} adds no {name}')

    def test_offset_uses_the_extension_number(self):
        enum, v = self._ext_value('VK_EXT_widget_tag', 'VK_STRUCTURE_TYPE_WIDGET_INFO_TAG_EXT')
        self.assertEqual((enum, v.value, v.origin), ('VkStructureType', 1000002001,
                                                      'VK_EXT_widget_tag'))

    def test_offset_with_dir_minus(self):
        _, v = self._ext_value('VK_EXT_widget_tag', 'VK_ERROR_WIDGET_LOST_EXT')
        self.assertEqual(v.value, -1000002000)

    def test_offset_with_extnumber(self):
        _, v = self._ext_value('VK_EXT_widget_color', 'VK_STRUCTURE_TYPE_WIDGET_COLOR_EXT')
        self.assertEqual(v.value, 1000003002)
        feature = self.reg.features[1]
        [(enum, v)] = feature.requires[0].enum_values
        self.assertEqual((enum, v.name, v.value, v.origin),
                         ('VkStructureType', 'VK_STRUCTURE_TYPE_WIDGET_TRIM_INFO', 1000001007,
                          'VK_VERSION_1_1'))

    def test_offset_of_a_later_extension(self):
        enum, v = self._ext_value('VK_EXT_widget_shape', 'VK_STRUCTURE_TYPE_WIDGET_LAYOUTS_EXT')
        self.assertEqual((enum, v.value, v.origin), ('VkStructureType', 1000005000,
                                                      'VK_EXT_widget_shape'))

    def test_bitpos_from_extension(self):
        enum, v = self._ext_value('VK_EXT_widget_tag', 'VK_WIDGET_USAGE_TAG_BIT_EXT')
        self.assertEqual((enum, v.value), ('VkWidgetUsageFlagBits', 16))

    def test_alias_value(self):
        _, v = self._ext_value('VK_KHR_widget_create', 'VK_STRUCTURE_TYPE_WIDGET_CREATE_INFO_KHR')
        self.assertEqual(v.alias_of, 'VK_STRUCTURE_TYPE_WIDGET_CREATE_INFO')


class FeaturesAndExtensions(unittest.TestCase):
    def setUp(self):
        self.reg = tiny_registry()

    def test_features(self):
        self.assertEqual([(f.name, f.number) for f in self.reg.features],
                         [('VK_VERSION_1_0', '1.0'), ('VK_VERSION_1_1', '1.1')])

    def test_extensions(self):
        tag = self.reg.extensions['VK_EXT_widget_tag']
        self.assertEqual((tag.number, tag.kind, tag.supported, str(tag.depends)),
                         (3, 'device', ['vulkan'], 'VK_KHR_widget_create'))
        self.assertIsNone(tag.promotedto)
        self.assertEqual(self.reg.extensions['VK_KHR_widget_create'].promotedto, 'VK_VERSION_1_1')
        self.assertIsNone(self.reg.extensions['VK_KHR_widget_create'].depends)
        self.assertEqual(self.reg.extensions['VK_NV_widget_broken'].supported, ['disabled'])
        self.assertEqual(self.reg.extensions['VK_EXT_widget_color'].supported,
                         ['vulkan', 'vulkansc'])
        self.assertEqual(tag.requires[0].commands, ['vkSetWidgetTagEXT'])
        self.assertEqual(tag.requires[0].types, ['VkWidgetTagCreateInfoEXT', 'VkWidgetInfoTagEXT'])

    def test_require_blocks_carry_their_depends(self):
        tag = self.reg.extensions['VK_EXT_widget_tag']
        self.assertEqual([str(r.depends) if r.depends else None for r in tag.requires],
                         [None, 'VK_EXT_widget_color', 'VK_VERSION_1_1',
                          '((VK_KHR_widget_create,VK_VERSION_1_1)+VK_EXT_widget_color)',
                          'VkPhysicalDeviceWidgetFeatures::widgetTagQueries'])
        self.assertEqual([r.commands for r in tag.requires[1:]],
                         [['vkSetWidgetTagColorEXT'], ['vkTrimWidgetTagEXT'],
                          ['vkClearWidgetTagEXT'], ['vkQueryWidgetTagEXT']])
        self.assertEqual(tag.requires[4].features,
                         [('VkPhysicalDeviceWidgetFeatures', 'widgetTagging')])
        self.assertEqual(tag.requires[0].features, [])

    def test_remove_in_an_extension_changes_nothing(self):
        """VK_EXT_widget_color's <remove> (of a feature, as a portability
        subset does) is read and dropped: its require blocks stay."""
        color = self.reg.extensions['VK_EXT_widget_color']
        self.assertEqual([r.commands for r in color.requires], [[], ['vkSetWidgetTagColorEXT']])
        self.assertEqual([e for r in color.requires for e, _ in r.enum_values],
                         ['VkStructureType'])

    def test_needs_core(self):
        """The lowest core version the extension's depends can hold with."""
        cases = {'VK_KHR_widget_create': '1.0',  # no depends
                 'VK_EXT_widget_tag': '1.0',     # an extension only
                 'VK_EXT_widget_shape': '1.0',   # 'color,1.1': 1.1 is one alternative
                 'VK_EXT_widget_draw': '1.1'}    # '1.1+color'
        for name, core in cases.items():
            with self.subTest(extension=name):
                self.assertEqual(self.reg.extensions[name].needs_core(), core)


def _depends(text):
    return vkmodel.parse_depends(text, 'here.xml:7')


def _ext(depends):
    return vkmodel.Extension(name='VK_X_test', line=1, number=9, kind='device',
                             depends=_depends(depends) if depends else None)


class DependsExpressions(unittest.TestCase):
    """vkmodel.parse_depends: vk.xml's depends= grammar."""

    @staticmethod
    def holds(text, *present):
        return _depends(text).evaluate(lambda name: name in present)

    def test_a_name(self):
        d = _depends('VK_KHR_swapchain')
        self.assertEqual((d.op, d.name, str(d)), ('name', 'VK_KHR_swapchain', 'VK_KHR_swapchain'))
        self.assertTrue(self.holds('VK_KHR_swapchain', 'VK_KHR_swapchain'))
        self.assertFalse(self.holds('VK_KHR_swapchain', 'VK_KHR_surface'))

    def test_and_or(self):
        self.assertTrue(self.holds('A+B', 'A', 'B'))
        self.assertFalse(self.holds('A+B', 'A'))
        self.assertTrue(self.holds('A,B', 'B'))
        self.assertFalse(self.holds('A,B'))

    def test_plus_and_comma_bind_alike_left_to_right(self):
        """'A,B+C' is (A,B)+C, not A,(B+C) as C's precedence would have it."""
        self.assertEqual(str(_depends('A,B+C')), '((A,B)+C)')
        self.assertFalse(self.holds('A,B+C', 'A'))
        self.assertTrue(self.holds('A,B+C', 'A', 'C'))
        self.assertEqual(str(_depends('A+B,C')), '((A+B),C)')
        self.assertTrue(self.holds('A+B,C', 'C'))
        self.assertEqual(str(_depends('A+B+C,D')), '(((A+B)+C),D)')

    def test_parentheses(self):
        self.assertEqual(str(_depends('A,(B+C)')), '(A,(B+C))')
        self.assertTrue(self.holds('A,(B+C)', 'A'))
        self.assertEqual(str(_depends('((A))')), 'A')
        self.assertEqual(str(_depends('(A+B),(C+(D,E))')), '((A+B),(C+(D,E)))')
        self.assertTrue(self.holds('(A+B),(C+(D,E))', 'C', 'E'))
        self.assertFalse(self.holds('(A+B),(C+(D,E))', 'A', 'E'))

    def test_feature_names(self):
        d = _depends('VkPhysicalDeviceVulkan12Features::drawIndirectCount,VK_VERSION_1_2')
        self.assertEqual(d.names(), {'VkPhysicalDeviceVulkan12Features::drawIndirectCount',
                                     'VK_VERSION_1_2'})
        self.assertTrue(d.evaluate(lambda n: n == 'VK_VERSION_1_2'))
        self.assertTrue(d.evaluate(lambda n: '::' in n))
        self.assertFalse(d.evaluate(lambda n: False))

    def test_names(self):
        self.assertEqual(_depends('(A+B),(C+A)').names(), {'A', 'B', 'C'})

    def test_malformed(self):
        """Each names where (file:line), the expression and what is wrong."""
        cases = {'A+': 'depends="A+": a name is missing',
                 '+A': 'depends="+A": a name is missing',
                 'A,,B': 'depends="A,,B": a name is missing',
                 '()': 'depends="()": a name is missing',
                 '(A': 'depends="(A": missing ")"',
                 '(A+(B)': 'depends="(A+(B)": missing ")"',
                 'A)': "depends=\"A)\": unexpected ')'",
                 'A B': "depends=\"A B\": unexpected 'B'",
                 'A(B)': "depends=\"A(B)\": unexpected '('",
                 'A-B': "cannot read depends=\"A-B\" at '-B'",
                 'A::': "cannot read depends=\"A::\" at '::'",
                 'A::b::c': "cannot read depends=\"A::b::c\" at '::c'"}
        for text, message in cases.items():
            with self.subTest(depends=text):
                with self.assertRaises(vkmodel.ModelError) as cm:
                    _depends(text)
                self.assertEqual(str(cm.exception), 'here.xml:7: ' + message)

    def test_needs_core(self):
        cases = {None: '1.0', 'VK_KHR_x': '1.0', 'VK_VERSION_1_2': '1.2',
                 'VK_VERSION_1_1+VK_KHR_x': '1.1', 'VK_KHR_x,VK_VERSION_1_1': '1.0',
                 '(VK_VERSION_1_1+VK_KHR_x),VK_VERSION_1_3': '1.1',
                 'VK_VERSION_1_2,VK_VERSION_1_1+VK_KHR_x': '1.1',  # (1.2,1.1)+x
                 'VK_KHR_x,VK_VERSION_1_2+VK_VERSION_1_3': '1.3',
                 'VkPhysicalDeviceFeatures::x+VK_VERSION_1_4': '1.4'}
        for depends, core in cases.items():
            with self.subTest(depends=depends):
                self.assertEqual(_ext(depends).needs_core(), core)


class ApiVariants(unittest.TestCase):
    """The registry also describes Vulkan SC: elements whose api= does not
    name 'vulkan' are dropped, those naming it among others are kept."""

    def setUp(self):
        self.reg = tiny_registry()

    def test_defines(self):
        self.assertEqual((self.reg.header_version, self.reg.version), (42, '1.1.42'))  # not 17, 1.0

    def test_members(self):
        info = self.reg.structs['VkWidgetCreateInfo']
        names = [m.name for m in info.members]
        self.assertEqual(names.count('pInitialData'), 1)
        self.assertNotIn('faultLevel', names)
        data = info.member('pInitialData')
        self.assertEqual((data.type, data.noautovalidity), ('void', False))  # Vulkan's variant
        self.assertEqual(info.member('color').array_sizes, [4])  # api="vulkan,vulkansc"

    def test_types_constants_and_enum_values(self):
        self.assertNotIn('VkFaultLevel', self.reg.enums)
        self.assertNotIn('VK_MAX_WIDGET_FAULTS', self.reg.constants)
        self.assertEqual(list(self.reg.enums['VkWidgetKind'].values),
                         ['VK_WIDGET_KIND_ROUND', 'VK_WIDGET_KIND_SQUARE', 'VK_WIDGET_KIND_OBLONG'])

    def test_commands(self):
        self.assertNotIn('vkGetWidgetFaultData', self.reg.commands)
        self.assertIn('vkCreateWidget', self.reg.commands)  # api="vulkan,vulkansc"

    def test_features_and_require_blocks(self):
        """VKSC_VERSION_1_0 (with its <remove>) and VK_EXT_widget_color's
        api="vulkansc" block are gone: nothing brings vkGetWidgetFaultData."""
        self.assertNotIn('VKSC_VERSION_1_0', [f.name for f in self.reg.features])
        self.assertEqual(len(self.reg.extensions['VK_EXT_widget_color'].requires), 2)
        sel = vkmodel.select(self.reg, '1.1', ['VK_EXT_widget_color'])
        self.assertNotIn('vkGetWidgetFaultData', sel.commands)
        self.assertNotIn('VkFaultLevel', sel.types)


class ParseErrors(TempDirTestCase):
    def test_missing_file(self):
        path = self.tmp + '/nothing.xml'
        with self.assertRaisesRegex(vkmodel.ModelError, 'nothing.xml: cannot read the registry'):
            vkmodel.parse(path)

    def test_not_xml(self):
        path = self.write('bad.xml', '<registry><types></registry>\n')
        with self.assertRaisesRegex(vkmodel.ModelError, 'bad.xml: cannot read the registry'):
            vkmodel.parse(path)

    def test_unknown_array_size_names_the_line(self):
        path = self.tiny_xml_with(('[<enum>VK_UUID_SIZE</enum>]', '[<enum>VK_NO_SUCH_SIZE</enum>]'))
        line = line_of(path, 'VK_NO_SUCH_SIZE')
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    f'variant.xml:{line}: array size .VK_NO_SUCH_SIZE.'):
            vkmodel.parse(path)

    def test_malformed_extension_depends_names_the_line(self):
        path = self.tiny_xml_with(('depends="VK_EXT_widget_color,VK_VERSION_1_1"',
                                   'depends="VK_EXT_widget_color,(VK_VERSION_1_1"'))
        line = line_of(path, 'VK_EXT_widget_color,(VK_VERSION_1_1')
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    re.escape(f'{path}:{line}: depends="VK_EXT_widget_color,'
                                              '(VK_VERSION_1_1": missing ")"')):
            vkmodel.parse(path)

    def test_malformed_require_depends_names_the_line(self):
        path = self.tiny_xml_with(('<require depends="VK_VERSION_1_1">',
                                   '<require depends="VK_VERSION_1_1+">'))
        line = line_of(path, '<require depends="VK_VERSION_1_1+">')
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    re.escape(f'{path}:{line}: depends="VK_VERSION_1_1+": '
                                              'a name is missing')):
            vkmodel.parse(path)

    def test_no_header_version(self):
        path = self.tiny_xml_with(('#define <name>VK_HEADER_VERSION</name> 42',
                                   '#define <name>VK_HEADER_VERSIONS</name> 42'))
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    re.escape(f'{path}: no VK_HEADER_VERSION: not a Vulkan '
                                              'registry')):
            vkmodel.parse(path)


class StrictSchema(TempDirTestCase):
    """A construct the model does not know is an error naming file:line and
    the construct, never silently dropped."""

    def assertRefused(self, path, needle, message):
        line = line_of(path, needle)
        with self.assertRaises(vkmodel.ModelError) as cm:
            vkmodel.parse(path)
        self.assertEqual(str(cm.exception), f'{path}:{line}: {message}')

    def test_old_requires_attribute_on_an_extension(self):
        path = self.tiny_xml_with(('type="device" depends="VK_KHR_widget_create"',
                                   'type="device" requires="VK_KHR_widget_create"'))
        self.assertRefused(path, 'requires="VK_KHR_widget_create"',
                           '<extension requires="..."> is a registry construct gen/vkmodel.py '
                           'cannot read')

    def test_old_require_by_feature(self):
        path = self.tiny_xml_with(('<require depends="VK_VERSION_1_1">',
                                   '<require feature="VK_VERSION_1_1">'))
        self.assertRefused(path, '<require feature="VK_VERSION_1_1">',
                           '<require feature="..."> is a registry construct gen/vkmodel.py '
                           'cannot read')

    def test_unknown_attribute_on_a_member(self):
        path = self.tiny_xml_with(('<member selector="kind">',
                                   '<member fancy="yes" selector="kind">'))
        self.assertRefused(path, 'fancy="yes"',
                           '<member fancy="..."> is a registry construct gen/vkmodel.py '
                           'cannot read')

    def test_unknown_element(self):
        path = self.tiny_xml_with(('<type category="struct" name="VkWidgetRangeEXT">',
                                   '<gizmo name="x"/>\n'
                                   '        <type category="struct" name="VkWidgetRangeEXT">'))
        self.assertRefused(path, '<gizmo', '<gizmo> inside <types> is a registry construct '
                                           'gen/vkmodel.py cannot read')

    def test_unknown_element_deep_inside(self):
        path = self.tiny_xml_with(('<command name="vkDrawWidgetsEXT"/>',
                                   '<command name="vkDrawWidgetsEXT"/><gadget name="g"/>'))
        self.assertRefused(path, '<gadget name="g"/>',
                           '<gadget> inside <require> is a registry construct gen/vkmodel.py '
                           'cannot read')

    def test_remove_in_a_vulkan_feature(self):
        trim = ('<enum extends="VkStructureType" extnumber="2" offset="7" '
                'name="VK_STRUCTURE_TYPE_WIDGET_TRIM_INFO"/>\n        </require>')
        path = self.tiny_xml_with((trim, trim + '\n        <remove><command name="vkResetWidget"/>'
                                                '</remove>'))
        self.assertRefused(path, '<remove><command name="vkResetWidget"/>',
                           'Vulkan feature VK_VERSION_1_1 removes part of the API: '
                           'gen/vkmodel.py cannot read <remove> for Vulkan')

    def test_root_must_be_registry(self):
        path = self.write('other.xml', '<?xml version="1.0"?>\n<catalog/>\n')
        with self.assertRaises(vkmodel.ModelError) as cm:
            vkmodel.parse(path)
        self.assertEqual(str(cm.exception), f'{path}:2: the root is <catalog>, not <registry>')

    def test_subtrees_vkwire_does_not_use_are_passed_over(self):
        path = self.tiny_xml_with(('<enums name="API Constants"',
                                   '<spirvcapabilities><spirvcapability name="F" '
                                   'anything="goes"><enable/></spirvcapability>'
                                   '</spirvcapabilities>\n    <sync><syncstage name="s"/></sync>'
                                   '\n    <enums name="API Constants"'))
        self.assertEqual(vkmodel.parse(path).version, '1.1.42')


class Formats(TempDirTestCase):
    """<formats>: texel blocks, components and planes."""

    def setUp(self):
        super().setUp()
        self.reg = tiny_registry()

    def test_block_of_a_plain_and_a_compressed_format(self):
        r8 = self.reg.formats['VK_FORMAT_R8_UNORM']
        self.assertEqual((r8.block_size, r8.texels_per_block, r8.block_extent), (1, 1, (1, 1, 1)))
        bc1 = self.reg.formats['VK_FORMAT_BC1_RGB_UNORM_BLOCK']
        self.assertEqual((bc1.block_size, bc1.block_extent, bc1.compressed), (8, (4, 4, 1), 'BC'))
        self.assertIsNone(bc1.component_bits('R'))  # bits="compressed"

    def test_components(self):
        ds = self.reg.formats['VK_FORMAT_D24_UNORM_S8_UINT']
        self.assertEqual((ds.component_bits('D'), ds.component_bits('S'), ds.component_bits('R')),
                         (24, 8, None))

    def test_planes(self):
        f = self.reg.formats['VK_FORMAT_G8_B8R8_2PLANE_420_UNORM']
        self.assertEqual([(p.index, p.width_divisor, p.height_divisor, p.compatible)
                          for p in f.planes],
                         [(0, 1, 1, 'VK_FORMAT_R8_UNORM'), (1, 2, 2, 'VK_FORMAT_R8G8_UNORM')])
        self.assertEqual([c.plane for c in f.components], [0, 1, 1])
        self.assertEqual(f.chroma, '420')

    def _broken(self, old: str, new: str) -> str:
        with open(TINY_XML, encoding='utf-8') as f:
            text = f.read()
        self.assertIn(old, text)
        return self.write('bad.xml', text.replace(old, new))

    def test_plane_of_an_undescribed_format_names_the_line(self):
        path = self._broken('compatible="VK_FORMAT_R8G8_UNORM"', 'compatible="VK_FORMAT_NONE"')
        line = line_of(path, 'name="VK_FORMAT_G8_B8R8_2PLANE_420_UNORM" class')
        with self.assertRaisesRegex(vkmodel.ModelError,
                                    f'bad.xml:{line}: .* plane 1 is compatible with VK_FORMAT_NONE'):
            vkmodel.parse(path)

    def test_bad_block_extent(self):
        path = self._broken('blockExtent="4,4,1"', 'blockExtent="4,4"')
        with self.assertRaisesRegex(vkmodel.ModelError, 'blockExtent="4,4" is not three'):
            vkmodel.parse(path)

    def test_unknown_attribute_is_refused(self):
        path = self._broken('class="D24S8"', 'class="D24S8" swizzle="x"')
        line = line_of(path, 'swizzle=')
        with self.assertRaisesRegex(vkmodel.ModelError, f'bad.xml:{line}: <format swizzle'):
            vkmodel.parse(path)


class Select(unittest.TestCase):
    CORE_1_0 = ['vkCreateWidget', 'vkDestroyWidget', 'vkEnumerateWidgetProperties',
                'vkGetWidgetInfo', 'vkAllocateGadgets', 'vkFreeGadgets', 'vkResetWidget',
                'vkGetWidgetHostPointer']

    def setUp(self):
        self.reg = tiny_registry()

    def test_version_gating(self):
        sel = vkmodel.select(self.reg, '1.0', [])
        self.assertEqual(sel.version, '1.0')
        self.assertEqual(sel.features, ['VK_VERSION_1_0'])
        self.assertEqual(sel.commands, self.CORE_1_0)
        self.assertNotIn('VkWidgetTrimFlags', sel.types)
        self.assertNotIn('VK_STRUCTURE_TYPE_WIDGET_TRIM_INFO', sel.enum_values['VkStructureType'])
        self.assertEqual(sel.alias_commands, {})

    def test_newer_version_adds_its_feature(self):
        sel = vkmodel.select(self.reg, '1.1', [])
        self.assertEqual(sel.commands, self.CORE_1_0 + ['vkTrimWidget'])
        self.assertEqual(sel.command_origin['vkTrimWidget'], 'VK_VERSION_1_1')
        self.assertIn('VkWidgetTrimFlags', sel.types)
        self.assertEqual(sel.enum_values['VkStructureType']['VK_STRUCTURE_TYPE_WIDGET_TRIM_INFO'],
                         1000001007)

    def test_a_newer_api_than_the_registry_has(self):
        self.assertEqual(vkmodel.select(self.reg, '1.4', []).features,
                         ['VK_VERSION_1_0', 'VK_VERSION_1_1'])

    def test_extension_pulls_in_commands_types_and_values(self):
        sel = vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_tag'])
        self.assertEqual(sel.commands, self.CORE_1_0 + ['vkSetWidgetTagEXT', 'vkQueryWidgetTagEXT'])
        self.assertEqual(sel.command_origin['vkSetWidgetTagEXT'], 'VK_EXT_widget_tag')
        self.assertEqual(sel.command_origin['vkCreateWidget'], 'VK_VERSION_1_0')
        self.assertTrue({'VkWidgetTagCreateInfoEXT', 'VkWidgetInfoTagEXT'} <= sel.types)
        self.assertEqual(sel.enum_values['VkResult']['VK_ERROR_WIDGET_LOST_EXT'], -1000002000)
        self.assertEqual(sel.enum_values['VkWidgetUsageFlagBits'],
                         {'VK_WIDGET_USAGE_READ_BIT': 1, 'VK_WIDGET_USAGE_WRITE_BIT': 2,
                          'VK_WIDGET_USAGE_TAG_BIT_EXT': 16})

    def test_unselected_extension_adds_nothing(self):
        sel = vkmodel.select(self.reg, '1.1', [])
        self.assertNotIn('VkWidgetTagCreateInfoEXT', sel.types)
        self.assertNotIn('VK_ERROR_WIDGET_LOST_EXT', sel.enum_values['VkResult'])
        self.assertEqual(sel.enum_values['VkResult'],
                         {'VK_SUCCESS': 0, 'VK_INCOMPLETE': 5, 'VK_ERROR_OUT_OF_HOST_MEMORY': -1})

    def test_aliases_map_to_targets(self):
        sel = vkmodel.select(self.reg, '1.1', ['VK_KHR_widget_create'])
        self.assertEqual(sel.alias_commands, {'vkCreateWidgetKHR': 'vkCreateWidget',
                                              'vkTrimWidgetKHR': 'vkTrimWidget'})
        self.assertNotIn('vkCreateWidgetKHR', sel.commands)
        self.assertEqual(sel.commands.count('vkTrimWidget'), 1)
        self.assertEqual(sel.command_origin['vkTrimWidget'], 'VK_VERSION_1_1')
        self.assertIn('VkWidgetCreateInfo', sel.types)
        self.assertNotIn('VkWidgetCreateInfoKHR', sel.types)
        self.assertNotIn('VK_STRUCTURE_TYPE_WIDGET_CREATE_INFO_KHR',
                         sel.enum_values['VkStructureType'])

    def test_alias_brings_in_a_target_the_version_lacks(self):
        sel = vkmodel.select(self.reg, '1.0', ['VK_KHR_widget_create'])
        self.assertIn('vkTrimWidget', sel.commands)
        self.assertEqual(sel.command_origin['vkTrimWidget'], 'VK_KHR_widget_create')
        self.assertEqual(sel.alias_commands['vkTrimWidgetKHR'], 'vkTrimWidget')

    def test_require_depending_on_another_extension(self):
        without = vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_tag'])
        self.assertNotIn('vkSetWidgetTagColorEXT', without.commands)
        both = vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_tag', 'VK_EXT_widget_color'])
        self.assertIn('vkSetWidgetTagColorEXT', both.commands)
        self.assertEqual(both.command_origin['vkSetWidgetTagColorEXT'], 'VK_EXT_widget_tag')
        self.assertEqual(both.enum_values['VkStructureType']['VK_STRUCTURE_TYPE_WIDGET_COLOR_EXT'],
                         1000003002)
        # Listed the other way round, the other block brings it first.
        other = vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_color', 'VK_EXT_widget_tag'])
        self.assertEqual(other.command_origin['vkSetWidgetTagColorEXT'], 'VK_EXT_widget_color')

    def test_require_depending_on_a_version(self):
        self.assertNotIn('vkTrimWidgetTagEXT',
                         vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_tag']).commands)
        self.assertIn('vkTrimWidgetTagEXT',
                      vkmodel.select(self.reg, '1.1', ['VK_EXT_widget_tag']).commands)

    def test_require_depends_binds_left_to_right(self):
        """'VK_KHR_widget_create,VK_VERSION_1_1+VK_EXT_widget_color' needs
        the color extension whatever else is there."""
        cases = [('1.0', ['VK_KHR_widget_create', 'VK_EXT_widget_tag'], False),
                 ('1.1', ['VK_EXT_widget_tag'], False),
                 ('1.0', ['VK_EXT_widget_tag', 'VK_EXT_widget_color'], False),
                 ('1.0', ['VK_KHR_widget_create', 'VK_EXT_widget_tag', 'VK_EXT_widget_color'],
                  True),
                 ('1.1', ['VK_EXT_widget_tag', 'VK_EXT_widget_color'], True)]
        for version, extensions, selected in cases:
            with self.subTest(version=version, extensions=extensions):
                sel = vkmodel.select(self.reg, version, extensions)
                self.assertEqual('vkClearWidgetTagEXT' in sel.commands, selected)

    def test_feature_terms_are_the_devices_to_have(self):
        """A block that depends on a device feature is forwarded: whether
        the device has the feature is the application's business."""
        sel = vkmodel.select(self.reg, '1.0', ['VK_EXT_widget_tag'])
        self.assertIn('vkQueryWidgetTagEXT', sel.commands)

    def test_command_conditions(self):
        sel = vkmodel.select(self.reg, '1.1', ['VK_KHR_widget_create', 'VK_EXT_widget_tag',
                                               'VK_EXT_widget_color'])
        c = sel.command_conditions
        self.assertEqual(c['vkCreateWidget'], ['VK_VERSION_1_0'])
        # An alias has its extension's condition, the core name its version's.
        self.assertEqual(c['vkCreateWidgetKHR'], ['VK_KHR_widget_create'])
        self.assertEqual(c['vkTrimWidget'], ['VK_VERSION_1_1'])
        self.assertEqual(c['vkTrimWidgetKHR'], ['VK_KHR_widget_create'])
        self.assertEqual(c['vkSetWidgetTagEXT'], ['VK_EXT_widget_tag'])
        # A block's depends is ANDed to its extension.
        self.assertEqual(c['vkTrimWidgetTagEXT'], ['VK_EXT_widget_tag+VK_VERSION_1_1'])
        self.assertEqual(c['vkClearWidgetTagEXT'],
                         ['VK_EXT_widget_tag+((VK_KHR_widget_create,VK_VERSION_1_1)+'
                          'VK_EXT_widget_color)'])
        self.assertEqual(c['vkQueryWidgetTagEXT'],
                         ['VK_EXT_widget_tag+VkPhysicalDeviceWidgetFeatures::widgetTagQueries'])
        # Two blocks name it: one condition each.
        self.assertEqual(c['vkSetWidgetTagColorEXT'],
                         ['VK_EXT_widget_tag+VK_EXT_widget_color',
                          'VK_EXT_widget_color+VK_EXT_widget_tag'])
        self.assertEqual(set(c), set(sel.commands) | set(sel.alias_commands))

    def test_conditions_of_an_alias_without_its_core(self):
        sel = vkmodel.select(self.reg, '1.0', ['VK_KHR_widget_create'])
        self.assertEqual(sel.command_conditions['vkTrimWidgetKHR'], ['VK_KHR_widget_create'])
        self.assertNotIn('vkTrimWidget', sel.command_conditions)  # no block names it


@skip_without_real_xml
class RealRegistry(unittest.TestCase):
    """Sanity of the model on the real vk.xml (1.4)."""

    @classmethod
    def setUpClass(cls):
        cls.reg = real_registry()

    def test_version(self):
        self.assertEqual(self.reg.header_major_minor, '1.4')
        self.assertEqual(self.reg.version, f'1.4.{self.reg.header_version}')
        self.assertGreaterEqual(self.reg.header_version, 309)
        self.assertEqual([f.name for f in self.reg.features],  # no VKSC_VERSION_1_0
                         ['VK_VERSION_1_0', 'VK_VERSION_1_1', 'VK_VERSION_1_2', 'VK_VERSION_1_3',
                          'VK_VERSION_1_4'])

    def test_core_command_counts(self):
        self.assertEqual(len(vkmodel.select(self.reg, '1.3', []).commands), 215)
        sel = vkmodel.select(self.reg, '1.4', [])
        self.assertEqual(len(sel.commands), 234)
        self.assertTrue(all(sel.command_origin[c].startswith('VK_VERSION_1_')
                            for c in sel.commands))
        self.assertEqual(sel.commands[0], 'vkCreateInstance')
        self.assertEqual(sel.command_origin['vkCmdPushDescriptorSet'], 'VK_VERSION_1_4')
        self.assertEqual(sel.command_conditions['vkCmdPushDescriptorSet'], ['VK_VERSION_1_4'])

    def test_fixed_string_dims(self):
        name = self.reg.structs['VkPhysicalDeviceProperties'].member('deviceName')
        self.assertEqual((name.type, name.array_dims, name.array_sizes),
                         ('char', ['VK_MAX_PHYSICAL_DEVICE_NAME_SIZE'], [256]))

    def test_len_through_a_struct(self):
        sets = self.reg.commands['vkAllocateDescriptorSets'].param('pDescriptorSets')
        self.assertEqual(sets.len, ['pAllocateInfo->descriptorSetCount'])

    def test_altlen(self):
        code = self.reg.structs['VkShaderModuleCreateInfo'].member('pCode')
        self.assertEqual(code.altlen, 'codeSize / 4')

    def test_command_alias(self):
        self.assertEqual(self.reg.command_alias['vkCreateRenderPass2KHR'], 'vkCreateRenderPass2')
        self.assertIn('vkCreateRenderPass2KHR', self.reg.commands['vkCreateRenderPass2'].aliases)

    def test_64_bit_flags(self):
        bits = self.reg.enums['VkAccessFlagBits2']
        self.assertEqual((bits.is_bitmask, bits.bitwidth), (True, 64))
        self.assertEqual(bits.values['VK_ACCESS_2_SHADER_SAMPLED_READ_BIT'].value, 1 << 32)
        self.assertEqual(self.reg.bitmasks['VkAccessFlags2'].base, 'VkFlags64')

    def test_depends_and_needs_core(self):
        x = self.reg.extensions
        self.assertEqual(str(x['VK_KHR_acceleration_structure'].depends),
                         '((((VK_VERSION_1_1+VK_EXT_descriptor_indexing)+'
                         'VK_KHR_buffer_device_address),VK_VERSION_1_2)+'
                         'VK_KHR_deferred_host_operations)')
        self.assertEqual(x['VK_KHR_acceleration_structure'].needs_core(), '1.1')
        self.assertEqual(x['VK_KHR_spirv_1_4'].needs_core(), '1.1')
        self.assertEqual(x['VK_KHR_dynamic_rendering'].needs_core(), '1.0')
        self.assertEqual(x['VK_EXT_shader_tile_image'].needs_core(), '1.3')
        self.assertIsNone(x['VK_KHR_surface'].depends)

    def test_feature_terms_in_core_blocks(self):
        v11 = next(f for f in self.reg.features if f.name == 'VK_VERSION_1_1')
        block = next(r for r in v11.requires if r.depends is not None and
                     'VkPhysicalDevice16BitStorageFeatures::uniformAndStorageBuffer16BitAccess'
                     in r.depends.names())
        self.assertEqual(block.features,
                         [('VkPhysicalDevice16BitStorageFeatures', 'storageBuffer16BitAccess')])

    def test_new_member_attributes(self):
        c = self.reg.commands
        self.assertEqual(c['vkCmdDrawMultiEXT'].param('pVertexInfo').stride, 'stride')
        self.assertEqual(c['vkSetPrivateData'].param('objectHandle').objecttype, 'objectType')
        self.assertEqual(c['vkGetPipelinePropertiesEXT'].param('pPipelineProperties').validstructs,
                         ['VkPipelinePropertiesIdentifierEXT'])
        ranges = c['vkCmdBuildAccelerationStructuresKHR'].param('ppBuildRangeInfos')
        self.assertEqual((ranges.pointers, ranges.const, ranges.inner_const), (2, True, True))
        self.assertEqual(self.reg.structs['VkDescriptorGetInfoEXT'].member('data').selector, 'type')
        self.assertEqual(c['vkCmdDraw'].queues, ['graphics'])
        self.assertEqual(c['vkCmdDraw'].cmdbufferlevel, ['primary', 'secondary'])

    def test_vulkan_sc_variants_are_dropped(self):
        create = self.reg.commands['vkCreateDevice']  # SC's variant adds an error code
        self.assertNotIn('VK_ERROR_INVALID_PIPELINE_CACHE_DATA', create.errorcodes)
        stage = self.reg.structs['VkPipelineShaderStageCreateInfo']
        self.assertEqual([m.name for m in stage.members].count('pName'), 1)
        self.assertFalse(stage.member('pName').is_optional)  # SC's may be NULL
    def test_formats(self):
        self.assertGreater(len(self.reg.formats), 200)
        d16 = self.reg.formats['VK_FORMAT_D16_UNORM']
        self.assertEqual((d16.block_size, d16.component_bits('D')), (2, 16))
        plane = self.reg.formats['VK_FORMAT_G16_B16_R16_3PLANE_444_UNORM'].planes[2]
        self.assertEqual((plane.index, plane.compatible), (2, 'VK_FORMAT_R16_UNORM'))

    def test_header_version_is_set(self):
        self.assertGreater(self.reg.header_version, 100)
        self.assertTrue(real_xml())


if __name__ == '__main__':
    unittest.main()
