"""gen/wire.py: wire facts (directions, shapes, counts) on tiny_vk.xml and vk.xml."""

from __future__ import annotations

import tempfile
import os
import unittest

from vkw_test_support import (REAL_ANNOTATIONS, REAL_OPCODES, TINY_XML, TempDirTestCase,
                              real_registry, skip_without_real_xml, tiny_protocol,
                              tiny_registry)

import annotations as annotations_mod
import opcodes as opcodes_mod
import vkmodel
import wire

TINY_CORE = [
    'api 1.1 : all of tiny core',
    'extension VK_KHR_widget_create : an alias',
    'extension VK_EXT_widget_tag : chains',
    'extension VK_EXT_widget_color : conditional blocks',
    'guest-only vkTrimWidget guest=vkw_icd_trim : answered by the guest',
    'omit vkGetWidgetHostPointer.pOpaque : a host address',
    'async vkSetWidgetTagEXT : nobody waits',
    'hand-written vkSetWidgetTagEXT host=vkw_host_tag : the host keeps it',
    'hand-written vkQueryWidgetTagEXT guest=vkw_icd_query : the guest knows its tags',
    'encode-if VkWidgetCreateInfo.pQueues usage & VK_WIDGET_USAGE_WRITE_BIT : writers only',
    'frees-children vkResetWidget : gadgets go too',
]
TINY_SHAPE = ['extension VK_EXT_widget_shape : a selected union, arrays in output structs']
TINY_DRAW = [
    'extension VK_EXT_widget_draw : a strided array, encode-as, pointer arrays',
    'encode-as VkWidgetAddressEXT.deviceAddress : device addresses',
    'inner-length vkBuildWidgetsEXT.ppRanges pInfos[i].rangeCount : ranges per info',
]
TINY_ANNOTATIONS = '\n'.join(TINY_CORE + TINY_SHAPE + TINY_DRAW) + '\n'


def _build(text):
    with tempfile.TemporaryDirectory(prefix='vkw-wire-test-') as tmp:
        return tiny_protocol(text, tmp)


_PROTO = None


def tiny():
    """The tiny protocol, built once (read-only for the tests)."""
    global _PROTO
    if _PROTO is None:
        _PROTO = _build(TINY_ANNOTATIONS)
    return _PROTO


def command(name):
    for c in tiny().commands:
        if c.name == name:
            return c
    raise AssertionError(f'{name} is not forwarded')


def param(cmd, name):
    for p in command(cmd).params:
        if p.name == name:
            return p
    raise AssertionError(f'{cmd} has no {name}')


def member(struct, name):
    for f in tiny().structs[struct].fields:
        if f.name == name:
            return f
    raise AssertionError(f'{struct} has no wire field {name}')


class Commands(unittest.TestCase):
    def test_forwarded_commands_sorted_by_opcode(self):
        proto = tiny()
        self.assertEqual([c.name for c in proto.commands],
                         ['vkCreateWidget', 'vkDestroyWidget', 'vkEnumerateWidgetProperties',
                          'vkGetWidgetInfo', 'vkAllocateGadgets', 'vkFreeGadgets',
                          'vkResetWidget', 'vkGetWidgetHostPointer', 'vkSetWidgetTagEXT',
                          'vkSetWidgetTagColorEXT', 'vkTrimWidgetTagEXT', 'vkClearWidgetTagEXT',
                          'vkQueryWidgetTagEXT', 'vkSetWidgetShapeEXT', 'vkGetWidgetShapeEXT',
                          'vkDrawWidgetsEXT', 'vkBuildWidgetsEXT'])
        self.assertEqual([c.opcode for c in proto.commands], list(range(1, 18)))
        self.assertEqual(proto.guest_only, {'vkTrimWidget': 'answered by the guest'})
        self.assertEqual(proto.version, '1.1')
        self.assertEqual(proto.header_version, 42)
        self.assertEqual(proto.registry_version_packed, (1 << 22) | (1 << 12) | 42)
        self.assertEqual(proto.extensions, ['VK_KHR_widget_create', 'VK_EXT_widget_tag',
                                            'VK_EXT_widget_color', 'VK_EXT_widget_shape',
                                            'VK_EXT_widget_draw'])

    def test_origin_and_aliases(self):
        self.assertEqual(command('vkCreateWidget').aliases, ['vkCreateWidgetKHR'])
        self.assertEqual(command('vkCreateWidget').origin, 'VK_VERSION_1_0')
        self.assertEqual(command('vkSetWidgetTagEXT').origin, 'VK_EXT_widget_tag')

    def test_directions(self):
        cases = {
            ('vkCreateWidget', 'device'): 'in',
            ('vkCreateWidget', 'pCreateInfo'): 'in',
            ('vkCreateWidget', 'pWidget'): 'created',
            ('vkEnumerateWidgetProperties', 'pPropertyCount'): 'inout',
            ('vkEnumerateWidgetProperties', 'pProperties'): 'out',
            ('vkGetWidgetInfo', 'pInfo'): 'out',
            ('vkAllocateGadgets', 'pGadgets'): 'created',
            ('vkFreeGadgets', 'pGadgets'): 'in',
        }
        for (cmd, name), direction in cases.items():
            with self.subTest(cmd=cmd, param=name):
                self.assertEqual(param(cmd, name).direction, direction)

    def test_shapes_and_kinds(self):
        cases = {
            ('vkCreateWidget', 'device'): ('value', 'handle'),
            ('vkCreateWidget', 'pCreateInfo'): ('pointer', 'struct'),
            ('vkCreateWidget', 'pAllocator'): ('skip', ''),
            ('vkCreateWidget', 'pWidget'): ('pointer', 'handle'),
            ('vkEnumerateWidgetProperties', 'pPropertyCount'): ('pointer', 'scalar'),
            ('vkEnumerateWidgetProperties', 'pProperties'): ('array', 'struct'),
            ('vkFreeGadgets', 'pGadgets'): ('array', 'handle'),
            ('vkGetWidgetHostPointer', 'pOpaque'): ('skip', ''),  # omitted
            ('vkSetWidgetTagEXT', 'tag'): ('value', 'scalar'),
        }
        for (cmd, name), (shape, kind) in cases.items():
            with self.subTest(cmd=cmd, param=name):
                f = param(cmd, name)
                self.assertEqual((f.shape, f.kind), (shape, kind))
        self.assertEqual([p.name for p in command('vkCreateWidget').wire_params],
                         ['device', 'pCreateInfo', 'pWidget'])

    def test_wire_kinds(self):
        self.assertEqual(param('vkSetWidgetTagEXT', 'tag').wire, 'u64')
        self.assertEqual(param('vkFreeGadgets', 'gadgetCount').wire, 'u32')
        self.assertTrue(param('vkCreateWidget', 'device').dispatchable)
        self.assertFalse(param('vkDestroyWidget', 'widget').dispatchable)
        self.assertEqual(param('vkDestroyWidget', 'widget').handle_type, 'VkWidget')
        self.assertTrue(param('vkDestroyWidget', 'widget').optional)

    def test_count_templates(self):
        pq = param('vkEnumerateWidgetProperties', 'pProperties')
        self.assertEqual(pq.count_tmpl, '*@pPropertyCount')
        self.assertEqual(pq.count(''), '*pPropertyCount')
        self.assertEqual(pq.count('a.'), '*a.pPropertyCount')
        self.assertEqual(pq.count_guards, ['@pPropertyCount'])
        self.assertEqual(pq.count_guard('a.'), 'a.pPropertyCount')
        gadgets = param('vkFreeGadgets', 'pGadgets')
        self.assertEqual(gadgets.count('a.'), 'a.gadgetCount')
        self.assertEqual(gadgets.count_guard('a.'), 'true')

    def test_count_through_a_struct_pointer(self):
        gadgets = param('vkAllocateGadgets', 'pGadgets')
        self.assertEqual(gadgets.count_tmpl, '(@pAllocateInfo->gadgetCount)')
        self.assertEqual(gadgets.count('a.'), '(a.pAllocateInfo->gadgetCount)')
        self.assertEqual(gadgets.count_guards, ['@pAllocateInfo'])
        self.assertEqual(gadgets.count_guard('a.'), 'a.pAllocateInfo')

    def test_is_count(self):
        self.assertTrue(param('vkEnumerateWidgetProperties', 'pPropertyCount').is_count)
        self.assertTrue(param('vkFreeGadgets', 'gadgetCount').is_count)
        self.assertFalse(param('vkFreeGadgets', 'widget').is_count)
        # 'pAllocateInfo->gadgetCount' makes the struct member a count too.
        self.assertTrue(member('VkGadgetAllocateInfo', 'gadgetCount').is_count)
        self.assertFalse(member('VkGadgetAllocateInfo', 'widget').is_count)

    def test_needs_reply(self):
        self.assertTrue(command('vkCreateWidget').needs_reply)       # VkResult
        self.assertTrue(command('vkGetWidgetInfo').needs_reply)      # void, an output
        self.assertFalse(command('vkDestroyWidget').needs_reply)     # void, no output
        self.assertFalse(command('vkResetWidget').needs_reply)
        self.assertFalse(command('vkSetWidgetTagEXT').needs_reply)   # VkResult, but async
        self.assertEqual(command('vkCreateWidget').return_wire, 'i32')
        self.assertIsNone(command('vkDestroyWidget').return_wire)

    def test_created_and_parent(self):
        create = command('vkCreateWidget')
        self.assertEqual([f.name for f in create.created], ['pWidget'])
        self.assertEqual((create.parent_expr, create.parent_type), ('@device', 'VkDevice'))
        alloc = command('vkAllocateGadgets')
        self.assertEqual([f.name for f in alloc.created], ['pGadgets'])
        self.assertEqual((alloc.parent_expr, alloc.parent_type),
                         ('@pAllocateInfo->widget', 'VkWidget'))
        self.assertIsNone(command('vkGetWidgetInfo').parent_expr)
        self.assertEqual(tiny().reissued_handles, set())

    def test_destroyed(self):
        self.assertEqual(command('vkDestroyWidget').destroyed.name, 'widget')
        self.assertEqual(command('vkFreeGadgets').destroyed.name, 'pGadgets')
        self.assertIsNone(command('vkCreateWidget').destroyed)
        self.assertIsNone(command('vkResetWidget').destroyed)

    def test_frees_children_hand_written_dispatch(self):
        self.assertEqual(command('vkResetWidget').frees_children_of.name, 'widget')
        self.assertIsNone(command('vkDestroyWidget').frees_children_of)
        self.assertEqual(command('vkSetWidgetTagEXT').hand_written_host, 'vkw_host_tag')
        self.assertIsNone(command('vkSetWidgetTagEXT').hand_written_guest)
        self.assertEqual(command('vkQueryWidgetTagEXT').hand_written_guest, 'vkw_icd_query')
        self.assertIsNone(command('vkQueryWidgetTagEXT').hand_written_host)
        self.assertEqual(command('vkCreateWidget').dispatch_param.name, 'device')

    def test_handles_and_enums(self):
        proto = tiny()
        self.assertEqual(proto.handles, ['VkDevice', 'VkGadget', 'VkInstance', 'VkWidget'])
        self.assertEqual(proto.enums['VkWidgetKind'], {'VK_WIDGET_KIND_ROUND': 0,
                                                       'VK_WIDGET_KIND_SQUARE': 1,
                                                       'VK_WIDGET_KIND_OBLONG': 2})
        self.assertEqual(sorted(proto.enums), ['VkObjectType', 'VkWidgetKind'])
        self.assertEqual(proto.checked_enums, {'VkWidgetKind', 'VkObjectType'})

    def test_special_encodings_are_reported(self):
        self.assertEqual([(d, what) for d, what, _ in tiny().special],
                         [('omit', 'vkGetWidgetHostPointer.pOpaque'),
                          ('encode-if', 'VkWidgetCreateInfo.pQueues'),
                          ('inner-length', 'vkBuildWidgetsEXT.ppRanges'),
                          ('encode-as', 'VkWidgetAddressEXT.deviceAddress')])


class Structs(unittest.TestCase):
    def test_struct_fields_skip_stype_and_pnext(self):
        self.assertEqual([f.name for f in tiny().structs['VkWidgetCreateInfo'].fields],
                         ['usage', 'kind', 'queueCount', 'pQueues', 'codeSize', 'pCode',
                          'pName', 'layerCount', 'ppLayerNames', 'initialDataSize',
                          'pInitialData', 'color', 'value'])

    def test_member_shapes(self):
        cases = {
            ('VkWidgetCreateInfo', 'usage'): ('value', 'bitmask', 0),
            ('VkWidgetCreateInfo', 'kind'): ('value', 'enum', 0),
            ('VkWidgetCreateInfo', 'pQueues'): ('array', 'scalar', 0),
            ('VkWidgetCreateInfo', 'pCode'): ('array', 'scalar', 0),
            ('VkWidgetCreateInfo', 'pName'): ('string', 'string', 0),
            ('VkWidgetCreateInfo', 'ppLayerNames'): ('string_array', 'string', 0),
            ('VkWidgetCreateInfo', 'pInitialData'): ('blob', 'bytes', 0),
            ('VkWidgetCreateInfo', 'color'): ('fixed', 'scalar', 4),
            ('VkWidgetCreateInfo', 'value'): ('value', 'union', 0),
            ('VkWidgetProperties', 'widgetName'): ('fixed_string', 'bytes', 32),
            ('VkWidgetProperties', 'widgetUUID'): ('fixed', 'bytes', 16),
            ('VkWidgetProperties', 'transform'): ('fixed', 'scalar', 12),
            ('VkGadgetAllocateInfo', 'widget'): ('value', 'handle', 0),
        }
        for (struct, name), (shape, kind, fixed) in cases.items():
            with self.subTest(struct=struct, member=name):
                f = member(struct, name)
                self.assertEqual((f.shape, f.kind, f.fixed), (shape, kind, fixed))

    def test_member_counts(self):
        self.assertEqual(member('VkWidgetCreateInfo', 'pQueues').count('v->'), 'v->queueCount')
        self.assertEqual(member('VkWidgetCreateInfo', 'pCode').count_tmpl, '(@codeSize / 4)')
        self.assertEqual(member('VkWidgetCreateInfo', 'pCode').count('v->'),
                         '(v->codeSize / 4)')
        self.assertEqual(member('VkWidgetCreateInfo', 'ppLayerNames').count('v->'),
                         'v->layerCount')
        self.assertEqual(member('VkWidgetCreateInfo', 'pInitialData').count('v->'),
                         'v->initialDataSize')
        for name in ('queueCount', 'codeSize', 'layerCount', 'initialDataSize'):
            with self.subTest(member=name):
                self.assertTrue(member('VkWidgetCreateInfo', name).is_count)
        self.assertFalse(member('VkWidgetCreateInfo', 'usage').is_count)

    def test_encode_if(self):
        f = member('VkWidgetCreateInfo', 'pQueues')
        self.assertEqual(f.encode_if, '@usage & VK_WIDGET_USAGE_WRITE_BIT')
        self.assertEqual(f.cond('v->'), 'v->usage & VK_WIDGET_USAGE_WRITE_BIT')
        self.assertIsNone(member('VkWidgetCreateInfo', 'pCode').encode_if)

    def test_directions_of_use(self):
        structs = tiny().structs
        self.assertEqual(list(structs),  # registry order, only the ones on the wire
                         ['VkWidgetValue', 'VkWidgetCreateInfo', 'VkWidgetProperties',
                          'VkWidgetInfo', 'VkGadgetAllocateInfo', 'VkWidgetTagCreateInfoEXT',
                          'VkWidgetInfoTagEXT', 'VkWidgetPayloadEXT', 'VkWidgetShapeEXT',
                          'VkWidgetStatsEXT', 'VkWidgetLayoutsEXT', 'VkWidgetDrawInfoEXT',
                          'VkWidgetAddressEXT', 'VkWidgetRangeEXT', 'VkWidgetPartEXT',
                          'VkWidgetBuildInfoEXT'])
        used = {name: (s.used_in, s.used_out) for name, s in structs.items()}
        self.assertEqual(used, {
            'VkWidgetValue': (True, True), 'VkWidgetCreateInfo': (True, False),
            'VkWidgetProperties': (False, True), 'VkWidgetInfo': (False, True),
            'VkGadgetAllocateInfo': (True, False), 'VkWidgetTagCreateInfoEXT': (True, False),
            'VkWidgetInfoTagEXT': (False, True), 'VkWidgetPayloadEXT': (True, True),
            'VkWidgetShapeEXT': (True, True), 'VkWidgetStatsEXT': (False, True),
            'VkWidgetLayoutsEXT': (False, True), 'VkWidgetDrawInfoEXT': (True, False),
            'VkWidgetAddressEXT': (True, False), 'VkWidgetRangeEXT': (True, False),
            'VkWidgetPartEXT': (True, False), 'VkWidgetBuildInfoEXT': (True, False)})

    def test_chained_extenders(self):
        structs = tiny().structs
        self.assertEqual(structs['VkWidgetCreateInfo'].extenders, ['VkWidgetTagCreateInfoEXT'])
        self.assertEqual(structs['VkWidgetInfo'].extenders,
                         ['VkWidgetInfoTagEXT', 'VkWidgetLayoutsEXT'])
        self.assertEqual(structs['VkWidgetLayoutsEXT'].bases, ['VkWidgetInfo'])
        self.assertEqual(structs['VkGadgetAllocateInfo'].extenders, [])
        tag = structs['VkWidgetTagCreateInfoEXT']
        self.assertTrue(tag.is_extension)
        self.assertEqual(tag.bases, ['VkWidgetCreateInfo'])
        self.assertEqual(tag.stype, 'VK_STRUCTURE_TYPE_WIDGET_TAG_CREATE_INFO_EXT')
        self.assertFalse(structs['VkWidgetCreateInfo'].is_extension)

    def test_union_layout(self):
        value = tiny().structs['VkWidgetValue']
        self.assertTrue(value.is_union)
        self.assertEqual((value.union_words, value.union_member), (4, 'float32'))
        self.assertFalse(value.selected)

    def test_unreached_struct_is_reported(self):
        skipped = [(s.name, s.reason) for s in tiny().skipped]
        self.assertEqual(skipped, [('VkAllocationCallbacks', 'no forwarded command reaches it')])


class WithoutTheExtension(TempDirTestCase):
    def test_extenders_need_selection(self):
        proto = tiny_protocol('api 1.0 : core only\n'
                              'omit vkGetWidgetHostPointer.pOpaque : host address\n', self.tmp)
        self.assertEqual(proto.structs['VkWidgetCreateInfo'].extenders, [])
        self.assertNotIn('VkWidgetTagCreateInfoEXT', proto.structs)
        self.assertNotIn('vkTrimWidget', [c.name for c in proto.commands])


class Unsupported(TempDirTestCase):
    def test_void_pointer_without_len_names_the_command_line(self):
        reg = tiny_registry()
        line = reg.commands['vkGetWidgetHostPointer'].line
        with self.assertRaises(wire.WireError) as cm:
            tiny_protocol('api 1.0 : core only\n', self.tmp)
        message = str(cm.exception)
        self.assertTrue(message.startswith(f'{TINY_XML}:{line}: vkGetWidgetHostPointer '
                                           'cannot be encoded (pOpaque is a void pointer '
                                           'without a length)'), message)
        self.assertIn('add an annotation', message)

    def test_async_creation_of_one_object(self):
        """A single new non-dispatchable object travels as its id in the
        command: the command may be async, and then has no reply."""
        proto = tiny_protocol(TINY_ANNOTATIONS + 'async vkCreateWidget : ids are the guest\'s\n',
                              self.tmp)
        create = next(c for c in proto.commands if c.name == 'vkCreateWidget')
        self.assertTrue(create.asynchronous)
        self.assertFalse(create.needs_reply)
        self.assertEqual([f.name for f in create.created], ['pWidget'])
        destroy = next(c for c in proto.commands if c.name == 'vkDestroyWidget')
        self.assertTrue(destroy.destroyed.destroys)

    def test_async_refuses_created_arrays_and_outputs(self):
        for name in ('vkAllocateGadgets', 'vkEnumerateWidgetProperties'):
            with self.subTest(name=name):
                text = TINY_ANNOTATIONS + f'async {name} : wrong\n'
                with self.assertRaises(wire.WireError) as cm:
                    tiny_protocol(text, self.tmp)
                self.assertIn(f'{name} has outputs; async needs', str(cm.exception))

    def test_guest_only_avoids_it(self):
        proto = tiny_protocol('api 1.0 : core only\n'
                              'guest-only vkGetWidgetHostPointer guest=vkw_icd_pointer : a host '
                              'address\n', self.tmp)
        self.assertIn('vkGetWidgetHostPointer', proto.guest_only)


class EntryPoints(TempDirTestCase):
    """The ICD's table: every forwarded or guest-only command and alias,
    with the function that answers it and when a device has it."""

    def entries(self):
        return {e.name: (e.function, e.scope, e.condition, e.hand_written)
                for e in tiny().entry_points}

    def test_table(self):
        e = self.entries()
        self.assertEqual(e['vkCreateWidget'], ('vkw_forward_vkCreateWidget', 'device',
                                               'VK_VERSION_1_0', False))
        self.assertEqual(e['vkCreateWidgetKHR'], ('vkw_forward_vkCreateWidget', 'device',
                                                  'VK_KHR_widget_create', False))
        # Guest-only: the ICD's function, for the core name and its alias.
        self.assertEqual(e['vkTrimWidget'], ('vkw_icd_trim', 'device', 'VK_VERSION_1_1', True))
        self.assertEqual(e['vkTrimWidgetKHR'], ('vkw_icd_trim', 'device', 'VK_KHR_widget_create',
                                                True))
        # Hand-written on the guest: its function; hand-written on the host only: forwarded.
        self.assertEqual(e['vkQueryWidgetTagEXT'][0], 'vkw_icd_query')
        self.assertTrue(e['vkQueryWidgetTagEXT'][3])
        self.assertEqual(e['vkSetWidgetTagEXT'][:1] + e['vkSetWidgetTagEXT'][3:],
                         ('vkw_forward_vkSetWidgetTagEXT', False))
        self.assertNotIn('vkGetWidgetFaultData', e)
        names = [x.name for x in tiny().entry_points]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(set(names), set(tiny().selection.command_conditions))

    def test_conditions(self):
        e = self.entries()
        self.assertEqual(e['vkTrimWidgetTagEXT'][2], 'VK_EXT_widget_tag+VK_VERSION_1_1')
        self.assertEqual(e['vkClearWidgetTagEXT'][2],
                         'VK_EXT_widget_tag+((VK_KHR_widget_create,VK_VERSION_1_1)+'
                         'VK_EXT_widget_color)')
        self.assertEqual(e['vkQueryWidgetTagEXT'][2],
                         'VK_EXT_widget_tag+VkPhysicalDeviceWidgetFeatures::widgetTagQueries')
        # Several blocks: their conditions ORed, each in parentheses.
        self.assertEqual(e['vkSetWidgetTagColorEXT'][2],
                         '(VK_EXT_widget_tag+VK_EXT_widget_color),'
                         '(VK_EXT_widget_color+VK_EXT_widget_tag)')

    def test_conditions_parse_as_depends(self):
        """What the ICD evaluates is a depends expression again, and it means
        what the blocks said."""
        for entry in tiny().entry_points:
            with self.subTest(entry=entry.name):
                d = vkmodel.parse_depends(entry.condition, 'condition')
                self.assertTrue(d.evaluate(lambda n: True))
        color = vkmodel.parse_depends(self.entries()['vkSetWidgetTagColorEXT'][2], 'c')
        self.assertFalse(color.evaluate(lambda n: n == 'VK_EXT_widget_tag'))
        self.assertTrue(color.evaluate(lambda n: n in ('VK_EXT_widget_tag',
                                                       'VK_EXT_widget_color')))

    def test_signatures(self):
        entry = next(x for x in tiny().entry_points if x.name == 'vkTrimWidgetKHR')
        self.assertEqual(entry.command.name, 'vkTrimWidget')
        self.assertEqual([p.name for p in entry.command.params], ['device', 'widget', 'flags'])

    def test_guest_only_needs_its_function(self):
        text = TINY_ANNOTATIONS.replace('guest-only vkTrimWidget guest=vkw_icd_trim :',
                                        'guest-only vkTrimWidget :')
        self.assertNotEqual(text, TINY_ANNOTATIONS)
        with self.assertRaises(wire.WireError) as cm:
            tiny_protocol(text, self.tmp)
        line = text.splitlines().index('guest-only vkTrimWidget : answered by the guest') + 1
        self.assertEqual(str(cm.exception), f'tiny.conf:{line}: guest-only vkTrimWidget needs '
                                            'guest=FN, the ICD function that answers it')


class VariantTestCase(TempDirTestCase):
    """wire.build over an edited copy of tiny_vk.xml."""

    def build(self, *replacements, annotations=TINY_ANNOTATIONS):
        reg = vkmodel.parse(self.tiny_xml_with(*replacements))
        return tiny_protocol(annotations, self.tmp, reg=reg), reg

    def assertCannotEncode(self, command, reason, *replacements,
                           annotations=TINY_ANNOTATIONS):
        with self.assertRaises(wire.WireError) as cm:
            self.build(*replacements, annotations=annotations)
        message = str(cm.exception)
        self.assertIn(f': {command} cannot be encoded ({reason})', message)
        self.assertTrue(message.startswith(self.tmp), message)  # names the edited registry


class StridedArrays(VariantTestCase):
    def test_stride_and_its_holder(self):
        array = param('vkDrawWidgetsEXT', 'pDrawInfo')
        self.assertEqual((array.shape, array.kind, array.stride, array.stride_of),
                         ('array', 'struct', 'stride', None))
        holder = param('vkDrawWidgetsEXT', 'stride')
        self.assertEqual((holder.stride, holder.stride_of), (None, 'pDrawInfo'))
        self.assertIsNone(param('vkFreeGadgets', 'pGadgets').stride)
        self.assertIsNone(param('vkFreeGadgets', 'gadgetCount').stride_of)

    def test_required_despite_noautovalidity(self):
        """vk.xml marks it noautovalidity (the layers cannot walk a stride),
        yet the driver reads drawCount elements: the host must have them."""
        self.assertTrue(param('vkDrawWidgetsEXT', 'pDrawInfo').model.noautovalidity)
        self.assertTrue(param('vkDrawWidgetsEXT', 'pDrawInfo').required)
        self.assertFalse(param('vkFreeGadgets', 'pGadgets').required)  # plain noautovalidity

    def test_stride_must_be_a_sibling(self):
        self.assertCannotEncode('vkDrawWidgetsEXT', 'pDrawInfo has stride="pitch", which only '
                                'input arrays of command parameters may have',
                                ('stride="stride"', 'stride="pitch"'))

    def test_stride_needs_a_length(self):
        self.assertCannotEncode('vkDrawWidgetsEXT', 'pDrawInfo has stride="stride" but no length',
                                ('len="drawCount" stride="stride"', 'stride="stride"'))

    def test_output_arrays_have_no_stride(self):
        self.assertCannotEncode('vkDrawWidgetsEXT', 'pDrawInfo has stride="stride", which only '
                                'input arrays of command parameters may have',
                                ('stride="stride">const <type>VkWidgetDrawInfoEXT',
                                 'stride="stride"><type>VkWidgetDrawInfoEXT'))


class OutputStructArrays(VariantTestCase):
    """Arrays inside output structs: the application's capacity and the
    array's presence travel in the command (partial form), the driver's
    elements in the reply."""

    def test_partial_fields(self):
        structs = tiny().structs
        self.assertEqual([f.name for f in structs['VkWidgetLayoutsEXT'].partial_fields],
                         ['stats', 'pLayouts'])  # a member struct that needs one, an array
        self.assertEqual([f.name for f in structs['VkWidgetStatsEXT'].partial_fields],
                         ['pSamples'])
        self.assertEqual(structs['VkWidgetInfo'].partial_fields, [])
        self.assertEqual(structs['VkWidgetProperties'].partial_fields, [])

    def test_driver_filled_and_capacity(self):
        layouts = member('VkWidgetLayoutsEXT', 'pLayouts')
        self.assertEqual((layouts.shape, layouts.kind, layouts.direction, layouts.driver_filled),
                         ('array', 'enum', 'out', True))
        self.assertEqual(member('VkWidgetLayoutsEXT', 'layoutCount').capacity_of, 'pLayouts')
        self.assertEqual(member('VkWidgetStatsEXT', 'sampleCount').capacity_of, 'pSamples')
        self.assertTrue(member('VkWidgetStatsEXT', 'pSamples').driver_filled)
        self.assertFalse(member('VkWidgetLayoutsEXT', 'stats').driver_filled)
        self.assertIsNone(member('VkWidgetInfo', 'gadgetCount').capacity_of)
        self.assertFalse(member('VkWidgetCreateInfo', 'pQueues').driver_filled)  # an input

    def test_needs_partial(self):
        structs = tiny().structs
        self.assertTrue(structs['VkWidgetInfo'].needs_partial)        # a chain
        self.assertTrue(structs['VkWidgetLayoutsEXT'].needs_partial)  # a chain and arrays
        self.assertTrue(structs['VkWidgetStatsEXT'].needs_partial)    # an array, no chain
        self.assertFalse(structs['VkWidgetProperties'].needs_partial)
        self.assertFalse(structs['VkWidgetShapeEXT'].needs_partial)

    def test_uncounted_pointer_refuses_the_chain_element(self):
        """A struct of the forwarded API that a chain may hold, but that
        cannot be encoded: an error naming it, never a silent drop."""
        with self.assertRaises(wire.WireError) as cm:
            self.build(('len="layoutCount"><type>VkWidgetKind', '><type>VkWidgetKind'))
        message = str(cm.exception)
        self.assertTrue(message.startswith(self.tmp), message)
        self.assertIn('VkWidgetLayoutsEXT (in VkWidgetInfo chains) cannot be encoded '
                      '(VkWidgetLayoutsEXT.pLayouts is a pointer inside an output struct '
                      'that is not an array counted by a sibling); annotate it', message)

    def test_local_struct_stays_out_of_chains(self):
        """`local` keeps it in the guest: in no chain, no functions, listed."""
        annotations = TINY_ANNOTATIONS + 'local VkWidgetLayoutsEXT : the guest acts on it itself\n'
        proto, _ = self.build(('len="layoutCount"><type>VkWidgetKind', '><type>VkWidgetKind'),
                              ('structextends="VkWidgetInfo" comment="arrays inside',
                               'structextends="VkWidgetInfo,VkWidgetInfoTagEXT" comment="arrays '
                               'inside'),
                              annotations=annotations)
        self.assertEqual(proto.structs['VkWidgetInfo'].extenders, ['VkWidgetInfoTagEXT'])
        self.assertEqual(proto.structs['VkWidgetInfoTagEXT'].extenders, [])
        self.assertNotIn('VkWidgetLayoutsEXT', proto.structs)
        self.assertIn(('local', 'VkWidgetLayoutsEXT', 'the guest acts on it itself'),
                      proto.special)


class SelectedUnions(VariantTestCase):
    def test_selected_union(self):
        payload = tiny().structs['VkWidgetPayloadEXT']
        self.assertTrue(payload.selected)
        self.assertEqual((payload.union_words, payload.union_member), (0, None))  # no raw words
        self.assertEqual([(f.name, f.shape, f.selection) for f in payload.fields],
                         [('radius', 'value', ['VK_WIDGET_KIND_ROUND']),
                          ('side', 'fixed', ['VK_WIDGET_KIND_SQUARE', 'VK_WIDGET_KIND_OBLONG'])])

    def test_selector_on_the_owner(self):
        f = member('VkWidgetShapeEXT', 'payload')
        self.assertEqual((f.kind, f.selector), ('union', '@kind'))
        self.assertIsNone(member('VkWidgetShapeEXT', 'kind').selector)
        self.assertIsNone(member('VkWidgetInfo', 'value').selector)

    def test_union_without_its_selector(self):
        self.assertCannotEncode('vkSetWidgetShapeEXT', 'VkWidgetShapeEXT: payload is a selected '
                                'union without a selector',
                                ('<member selector="kind">', '<member>'))

    def test_member_without_selection(self):
        self.assertCannotEncode('vkSetWidgetShapeEXT', 'VkWidgetShapeEXT: VkWidgetPayloadEXT: some '
                                'members of a selected union have no selection',
                                ('<member selection="VK_WIDGET_KIND_ROUND">', '<member>'))

    def test_selector_must_be_a_sibling(self):
        self.assertCannotEncode('vkSetWidgetShapeEXT', 'VkWidgetShapeEXT: payload has '
                                'selector="shape", which is not a sibling naming a union member',
                                ('<member selector="kind">', '<member selector="shape">'))


class EncodeAs(VariantTestCase):
    def test_one_member_travels(self):
        address = tiny().structs['VkWidgetAddressEXT']
        self.assertFalse(address.selected)
        self.assertEqual([f.name for f in address.fields], ['deviceAddress'])
        self.assertEqual((address.union_words, address.union_member), (2, 'deviceAddress'))
        self.assertEqual(member('VkWidgetAddressEXT', 'deviceAddress').wire, 'u64')

    def test_without_the_annotation(self):
        text = TINY_ANNOTATIONS.replace(TINY_DRAW[1] + '\n', '')
        self.assertNotEqual(text, TINY_ANNOTATIONS)
        self.assertCannotEncode('vkBuildWidgetsEXT', 'VkWidgetBuildInfoEXT: VkWidgetAddressEXT: '
                                'hostAddress is a void pointer without a length',
                                annotations=text)

    def test_only_the_named_member_is_read(self):
        """encode-as reads the one member even where the other could travel
        too (a 64-bit member of a union without encode-as has no raw form)."""
        replacement = ('<member noautovalidity="true"><type>void</type>*            '
                       '<name>hostAddress</name>',
                       '<member noautovalidity="true"><type>uint64_t</type>            '
                       '<name>hostAddress</name>')
        proto, _ = self.build(replacement)
        address = proto.structs['VkWidgetAddressEXT']
        self.assertEqual([f.name for f in address.fields], ['deviceAddress'])
        self.assertEqual((address.union_words, address.union_member), (2, 'deviceAddress'))
        text = TINY_ANNOTATIONS.replace(TINY_DRAW[1] + '\n', '')
        self.assertCannotEncode('vkBuildWidgetsEXT', 'VkWidgetBuildInfoEXT: VkWidgetAddressEXT: '
                                'union member deviceAddress is not plain 32-bit data',
                                replacement, annotations=text)


class PointerArrays(VariantTestCase):
    def test_inner_length_from_the_annotation(self):
        f = param('vkBuildWidgetsEXT', 'ppRanges')
        self.assertEqual((f.shape, f.kind, f.ctype),
                         ('pointer_array', 'struct', 'VkWidgetRangeEXT'))
        self.assertEqual(f.count_tmpl, '@infoCount')
        self.assertEqual(f.inner_count_tmpl, '@pInfos[i].rangeCount')
        self.assertEqual(f.inner_count('a->'), 'a->pInfos[i].rangeCount')
        self.assertEqual(f.count_guards, ['@pInfos'])  # the inner count reads through it
        self.assertEqual(f.count_guard('a->'), 'a->pInfos')
        self.assertTrue(f.is_pointer)

    def test_inner_length_from_vk_xml(self):
        f = member('VkWidgetBuildInfoEXT', 'ppParts')
        self.assertEqual((f.shape, f.count_tmpl, f.inner_count_tmpl, f.count_guards),
                         ('pointer_array', '@partCount', '1', []))
        self.assertTrue(member('VkWidgetBuildInfoEXT', 'partCount').is_count)

    def test_without_an_inner_length(self):
        text = TINY_ANNOTATIONS.replace(TINY_DRAW[2] + '\n', '')
        self.assertNotEqual(text, TINY_ANNOTATIONS)
        self.assertCannotEncode('vkBuildWidgetsEXT', 'ppRanges is a pointer to pointers whose '
                                'inner length vk.xml does not give (an inner-length annotation '
                                'can)', annotations=text)

    def test_mutable_inner_pointers(self):
        self.assertCannotEncode('vkBuildWidgetsEXT', 'ppRanges is a pointer to pointers whose '
                                'inner length vk.xml does not give (an inner-length annotation '
                                'can)', ('const <type>VkWidgetRangeEXT</type>* const*',
                                         'const <type>VkWidgetRangeEXT</type>**'))


class Blocking(VariantTestCase):
    """Which driver calls may block, and which the host may detach (PROTOCOL
    section 29): the registry's rules, may-block annotations, and what
    cannot be detached."""

    def test_nothing_blocks_by_default(self):
        self.assertEqual([c.name for c in tiny().commands if c.may_block], [])

    def test_a_timeout_result_is_a_wait(self):
        proto, _ = self.build(('successcodes="VK_SUCCESS,VK_INCOMPLETE"',
                               'successcodes="VK_SUCCESS,VK_TIMEOUT,VK_INCOMPLETE"'),
                              ('<enum value="5"     name="VK_INCOMPLETE"/>',
                               '<enum value="2"     name="VK_TIMEOUT"/>\n'
                               '        <enum value="5"     name="VK_INCOMPLETE"/>'))
        cmd = next(c for c in proto.commands if c.name == 'vkEnumerateWidgetProperties')
        self.assertTrue(cmd.may_block.startswith('waits: VK_TIMEOUT'), cmd.may_block)
        self.assertTrue(cmd.detachable)
        self.assertIsNone(cmd.timeout_param)  # no `timeout` to wait in slices

    def test_annotated(self):
        proto = tiny_protocol(TINY_ANNOTATIONS + 'may-block vkGetWidgetInfo : it waits\n',
                              self.tmp)
        info = next(c for c in proto.commands if c.name == 'vkGetWidgetInfo')
        self.assertEqual((info.may_block, info.detachable), ('it waits', True))

    def test_what_cannot_be_detached(self):
        """A hand-written host side, or a command with no reply, runs on the
        worker even when it may block."""
        proto = tiny_protocol(TINY_ANNOTATIONS + 'may-block vkSetWidgetTagEXT : slow\n'
                              'may-block vkDestroyWidget : slow\n', self.tmp)
        for name in ('vkSetWidgetTagEXT', 'vkDestroyWidget'):
            with self.subTest(name=name):
                cmd = next(c for c in proto.commands if c.name == name)
                self.assertEqual((cmd.may_block, cmd.detachable), ('slow', False))

    def test_annotation_the_registry_makes_needless(self):
        text = TINY_ANNOTATIONS + 'may-block vkEnumerateWidgetProperties : waits\n'
        with self.assertRaises(wire.WireError) as cm:
            self.build(('successcodes="VK_SUCCESS,VK_INCOMPLETE"',
                        'successcodes="VK_SUCCESS,VK_TIMEOUT,VK_INCOMPLETE"'),
                       ('<enum value="5"     name="VK_INCOMPLETE"/>',
                        '<enum value="2"     name="VK_TIMEOUT"/>\n'
                        '        <enum value="5"     name="VK_INCOMPLETE"/>'),
                       annotations=text)
        self.assertIn('vk.xml says it already', str(cm.exception))

    def test_annotation_of_a_command_not_forwarded(self):
        with self.assertRaises(wire.WireError) as cm:
            tiny_protocol(TINY_ANNOTATIONS + 'may-block vkTrimWidget : slow\n', self.tmp)
        self.assertIn('may-block names vkTrimWidget, which is not forwarded', str(cm.exception))


@skip_without_real_xml
class RealRegistry(unittest.TestCase):
    """wire.build on vk.xml with the real gen/annotations.conf and opcode table."""

    @classmethod
    def setUpClass(cls):
        cls.reg = real_registry()
        cls.ann = annotations_mod.parse(REAL_ANNOTATIONS)
        annotations_mod.check(cls.ann, cls.reg)
        cls.sel = vkmodel.select(cls.reg, cls.ann.version, cls.ann.extensions)
        cls.table = opcodes_mod.Table.load(REAL_OPCODES)  # read only: never saved here
        cls.committed = dict(cls.table.numbers)
        forwarded = [c for c in cls.sel.commands
                     if c not in cls.ann.guest_only and c not in cls.ann.host_only]
        cls.added = cls.table.assign(forwarded)
        cls.proto = wire.build(cls.reg, cls.sel, cls.ann, cls.table.numbers)

    def test_every_core_command_has_an_opcode_or_is_guest_only(self):
        forwarded = {c.name: c.opcode for c in self.proto.commands}
        core = [c for c in self.sel.commands if self.sel.command_origin[c].startswith('VK_VERSION_')]
        self.assertEqual(len(core), 234)
        # An opcode in the committed gen/opcodes.txt, not one handed out just now.
        missing = [c for c in core if c not in self.ann.guest_only
                   and not (c in forwarded and c in self.committed)]
        self.assertEqual(missing, [])
        self.assertTrue(all(forwarded[c] == self.table.numbers[c] for c in forwarded))

    def test_members_vulkan_may_ignore_are_accounted_for(self):
        """A noautovalidity handle or pointer that no annotation accounts for
        stops the build, named; an entry for it makes it travel as sent."""
        sent = [s for s in self.proto.special if s[0] == 'as-sent']
        self.assertIn('VkBindImageMemoryInfo.memory', [s[1] for s in sent])
        template = self.proto.structs['VkDescriptorUpdateTemplateCreateInfo']
        layout = [f for f in template.fields if f.name == 'descriptorSetLayout'][0]
        self.assertEqual(layout.cond('v->'),
                         'v->templateType == VK_DESCRIPTOR_UPDATE_TEMPLATE_TYPE_DESCRIPTOR_SET')
        with open(REAL_ANNOTATIONS, encoding='utf-8') as f:
            text = [line for line in f
                    if not line.startswith('as-sent VkBindImageMemoryInfo.memory ')]
        with tempfile.TemporaryDirectory(prefix='vkw-wire-test-') as tmp:
            path = os.path.join(tmp, 'annotations.conf')
            with open(path, 'w', encoding='utf-8') as f:
                f.writelines(text)
            ann = annotations_mod.parse(path)
            with self.assertRaises(wire.WireError) as cm:
                wire.build(self.reg, self.sel, ann, self.table.numbers)
        self.assertIn('VkBindImageMemoryInfo.memory', str(cm.exception))
        self.assertNotIn('VkDescriptorImageInfo.sampler', str(cm.exception))

    def test_detachable_commands(self):
        """The registry's waits and compiles and the annotated ones, less
        those whose host side is hand-written."""
        detachable = sorted(c.name for c in self.proto.commands if c.detachable)
        self.assertEqual(detachable, sorted([
            'vkWaitForFences', 'vkWaitSemaphores', 'vkCreateGraphicsPipelines',
            'vkCreateComputePipelines', 'vkCreateRayTracingPipelinesNV', 'vkQueueWaitIdle',
            'vkDeviceWaitIdle', 'vkGetQueryPoolResults', 'vkCreateShadersEXT',
            'vkDeferredOperationJoinKHR', 'vkCompileDeferredNV']))
        waits = {c.name: c.timeout_param.name for c in self.proto.commands if c.timeout_param}
        self.assertEqual(waits, {'vkWaitForFences': 'timeout', 'vkWaitSemaphores': 'timeout'})
        by_name = {c.name: c for c in self.proto.commands}
        self.assertTrue(by_name['vkCreateRayTracingPipelinesKHR'].may_block)
        self.assertFalse(by_name['vkCreateRayTracingPipelinesKHR'].detachable)  # hand-written
        self.assertIsNone(by_name['vkGetFenceStatus'].may_block)
        self.assertIsNone(by_name['vkDestroyDeferredOperationKHR'].may_block)

    def test_write_descriptor_set_encode_if(self):
        facts = self.proto.structs['VkWriteDescriptorSet']
        image_info = [f for f in facts.fields if f.name == 'pImageInfo'][0]
        self.assertEqual(image_info.encode_if, 'vkw_descriptor_type_uses_image(@descriptorType)')
        self.assertEqual(image_info.cond('v->'),
                         'vkw_descriptor_type_uses_image(v->descriptorType)')

    def test_allocate_descriptor_sets(self):
        cmd = [c for c in self.proto.commands if c.name == 'vkAllocateDescriptorSets'][0]
        sets = cmd.params[2]
        self.assertEqual((sets.name, sets.direction, sets.shape), ('pDescriptorSets', 'created',
                                                                   'array'))
        self.assertEqual(sets.count('a.'), '(a.pAllocateInfo->descriptorSetCount)')
        self.assertEqual(cmd.parent_expr, '@pAllocateInfo->descriptorPool')
        info = self.proto.structs['VkDescriptorSetAllocateInfo']
        self.assertTrue([f for f in info.fields if f.name == 'descriptorSetCount'][0].is_count)

    def test_shader_module_code(self):
        code = [f for f in self.proto.structs['VkShaderModuleCreateInfo'].fields
                if f.name == 'pCode'][0]
        self.assertEqual(code.count('v->'), '(v->codeSize / 4)')

    def test_alias_shares_the_opcode(self):
        cmd = [c for c in self.proto.commands if c.name == 'vkCreateRenderPass2'][0]
        self.assertIn('vkCreateRenderPass2KHR', cmd.aliases)
        self.assertNotIn('vkCreateRenderPass2KHR', self.table.numbers)

    def test_64_bit_flags_travel_as_u64(self):
        access = [f for f in self.proto.structs['VkMemoryBarrier2'].fields
                  if f.name == 'srcAccessMask'][0]
        self.assertEqual((access.kind, access.wire), ('bitmask', 'u64'))

    def test_reissued_handles(self):
        self.assertEqual(self.proto.reissued_handles, {'VkPhysicalDevice', 'VkQueue'})

    def test_guest_handles(self):
        """Only guest-only commands make them: private data slots (PROTOCOL
        27) and the debug callbacks."""
        self.assertEqual(self.proto.guest_handles,
                         {'VkPrivateDataSlot', 'VkDebugUtilsMessengerEXT',
                          'VkDebugReportCallbackEXT'})

    def test_recorded_handles_and_kept_destroys(self):
        """PROTOCOL 28: the handle types recorded commands name, through
        parameters, structs and chains; which destroys the host may put off."""
        recorded = self.proto.recorded_handles
        for h in ('VkPipelineLayout', 'VkDescriptorSet', 'VkBuffer', 'VkImageView',
                  'VkCommandBuffer', 'VkRenderPass', 'VkFramebuffer', 'VkSampler',
                  'VkDescriptorSetLayout'):  # the last two only inside structs
            self.assertIn(h, recorded)
        for h in ('VkShaderModule', 'VkDeviceMemory', 'VkDevice', 'VkDescriptorPool',
                  'VkCommandPool', 'VkFence'):
            self.assertNotIn(h, recorded)
        keeps = {c.name for c in self.proto.commands if c.keeps}
        for name in ('vkDestroyPipelineLayout', 'vkDestroyDescriptorPool', 'vkDestroyCommandPool',
                     'vkDestroyBuffer', 'vkDestroyPipeline', 'vkDestroyDescriptorSetLayout'):
            self.assertIn(name, keeps)
        for name in ('vkFreeDescriptorSets', 'vkFreeCommandBuffers', 'vkFreeMemory',
                     'vkDestroyShaderModule', 'vkDestroyDevice',
                     'vkDestroyVideoSessionKHR'):  # hand-written on the host
            self.assertNotIn(name, keeps)

    def test_new_shapes_on_the_real_registry(self):
        cmds = {c.name: c for c in self.proto.commands}
        draw = {f.name: f for f in cmds['vkCmdDrawMultiEXT'].params}
        self.assertEqual((draw['pVertexInfo'].stride, draw['stride'].stride_of),
                         ('stride', 'pVertexInfo'))
        self.assertTrue(draw['pVertexInfo'].required)
        build = {f.name: f for f in cmds['vkCmdBuildAccelerationStructuresKHR'].params}
        self.assertEqual((build['ppBuildRangeInfos'].shape,
                          build['ppBuildRangeInfos'].inner_count_tmpl),
                         ('pointer_array', '@pInfos[i].geometryCount'))
        v14 = self.proto.structs['VkPhysicalDeviceVulkan14Properties']
        self.assertEqual([f.name for f in v14.partial_fields],
                         ['pCopySrcLayouts', 'pCopyDstLayouts'])
        address = self.proto.structs['VkDeviceOrHostAddressConstKHR']
        self.assertEqual((address.union_words, address.union_member), (2, 'deviceAddress'))

    def test_entry_point_conditions(self):
        e = {x.name: x for x in self.proto.entry_points}
        self.assertEqual(e['vkCmdPushDescriptorSet'].condition, 'VK_VERSION_1_4')
        self.assertEqual(e['vkCmdPushDescriptorSetKHR'].condition, 'VK_KHR_push_descriptor')
        self.assertEqual(e['vkCmdPushDescriptorSetWithTemplateKHR'].condition,
                         '(VK_KHR_descriptor_update_template+VK_KHR_push_descriptor),'
                         '(VK_KHR_push_descriptor+(VK_VERSION_1_1,'
                         'VK_KHR_descriptor_update_template))')
        self.assertEqual((e['vkMapMemory2'].function, e['vkMapMemory2'].hand_written),
                         ('vkw_icd_vkMapMemory2', True))
        self.assertEqual(e['vkMapMemory2KHR'].function, 'vkw_icd_vkMapMemory2')
        for entry in self.proto.entry_points:
            with self.subTest(entry=entry.name):
                self.assertTrue(entry.condition)
                vkmodel.parse_depends(entry.condition, 'condition')


if __name__ == '__main__':
    unittest.main()


class DispatchableObjects(VariantTestCase):
    """Dispatchable objects are guest memory (the application's allocator):
    the guest runtime makes and frees them, so a command that creates or
    frees them needs a hand-written guest entry point."""

    DISPATCHABLE_GADGET = (
        '<type>VK_DEFINE_NON_DISPATCHABLE_HANDLE</type>(<name>VkGadget</name>)',
        '<type>VK_DEFINE_HANDLE</type>(<name>VkGadget</name>)')

    def test_refused_without_a_guest_entry_point(self):
        with self.assertRaises(wire.WireError) as cm:
            self.build(self.DISPATCHABLE_GADGET)
        message = str(cm.exception)
        self.assertTrue(message.startswith(self.tmp), message)  # names the registry line
        self.assertIn('vkAllocateGadgets creates or frees dispatchable objects', message)
        self.assertIn('hand-written guest= entry point', message)

    def test_hand_written_guest_entry_points(self):
        proto, _ = self.build(self.DISPATCHABLE_GADGET, annotations=TINY_ANNOTATIONS +
                              'hand-written vkAllocateGadgets guest=vkw_icd_make : makes them\n'
                              'hand-written vkFreeGadgets guest=vkw_icd_free : frees them\n')
        made = next(c for c in proto.commands if c.name == 'vkAllocateGadgets')
        self.assertTrue(made.created[0].dispatchable)
        self.assertEqual(made.hand_written_guest, 'vkw_icd_make')
