"""gen/annotations.py: parsing the annotation file and checking it against vk.xml."""

from __future__ import annotations

import unittest

from vkw_test_support import TempDirTestCase, tiny_registry

import annotations as annotations_mod
from annotations import AnnotationError

# Two comment lines and a blank line first, so that errors are never on line 1.
PREAMBLE = ('# test annotations', '# (tiny_vk.xml)', '')


class AnnotationTestCase(TempDirTestCase):
    def ann_file(self, *lines: str, name: str = 'tiny.conf') -> str:
        return self.write_lines(name, *PREAMBLE, *lines)

    def parse(self, *lines: str):
        return annotations_mod.parse(self.ann_file(*lines))

    def parse_and_check(self, *lines: str):
        ann = self.parse(*lines)
        annotations_mod.check(ann, tiny_registry())
        return ann

    def assertParseError(self, lines, message, line):
        """Parsing `lines` fails at PREAMBLE + `line` with `message`."""
        with self.assertRaises(AnnotationError) as cm:
            self.parse(*lines)
        self.assertEqual(str(cm.exception), f'tiny.conf:{len(PREAMBLE) + line}: {message}')

    def assertCheckError(self, lines, message, line):
        with self.assertRaises(AnnotationError) as cm:
            self.parse_and_check(*lines)
        self.assertEqual(str(cm.exception), f'tiny.conf:{len(PREAMBLE) + line}: {message}')


class Parsing(AnnotationTestCase):
    def test_entries(self):
        ann = self.parse(
            'api 1.1 : newest',
            'extension VK_EXT_widget_tag : tags',
            '   # an indented comment',
            'guest-only vkTrimWidget : the guest knows',
            'host-only vkResetWidget : the host does it',
            'hand-written vkSetWidgetTagEXT host=vkw_host_tag guest=vkw_guest_tag : both sides',
            'async vkDestroyWidget : no one waits',
            'omit vkGetWidgetHostPointer.pOpaque : a host address',
            'frees-children vkResetWidget : gadgets go too')
        self.assertEqual(ann.version, '1.1')
        self.assertEqual(ann.extensions, ['VK_EXT_widget_tag'])
        self.assertEqual(list(ann.guest_only), ['vkTrimWidget'])
        self.assertEqual(ann.guest_only['vkTrimWidget'].reason, 'the guest knows')
        self.assertEqual(ann.guest_only['vkTrimWidget'].line, len(PREAMBLE) + 4)
        self.assertEqual(list(ann.host_only), ['vkResetWidget'])
        self.assertEqual(ann.hand_written['vkSetWidgetTagEXT'].options,
                         {'host': 'vkw_host_tag', 'guest': 'vkw_guest_tag'})
        self.assertEqual(ann.hand_written['vkSetWidgetTagEXT'].args, ['vkSetWidgetTagEXT'])
        self.assertEqual(list(ann.asynchronous), ['vkDestroyWidget'])
        self.assertEqual(list(ann.omit), [('vkGetWidgetHostPointer', 'pOpaque')])
        self.assertEqual(list(ann.frees_children), ['vkResetWidget'])
        self.assertEqual(len(ann.entries), 8)
        self.assertEqual(ann.where(ann.entries[0]), f'tiny.conf:{len(PREAMBLE) + 1}')

    def test_length_names_a_device_length(self):
        ann = self.parse('length vkGetWidgetHostPointer.pOpaque VKW_LENGTH_WIDGET_DATA : a size')
        self.assertEqual(ann.length[('vkGetWidgetHostPointer', 'pOpaque')].args,
                         ['vkGetWidgetHostPointer.pOpaque', 'VKW_LENGTH_WIDGET_DATA'])

    def test_length_refuses_an_expression(self):
        self.assertParseError(['length vkGetWidgetHostPointer.pOpaque size * 2 : a size'],
                              "length takes 2 argument(s), got "
                              "['vkGetWidgetHostPointer.pOpaque', 'size', '*', '2']", 1)
        self.assertParseError(['length vkGetWidgetHostPointer.pOpaque widgetSize : a size'],
                              'length names an enum vkw_device_length value (VKW_LENGTH_...)', 1)

    def test_default_version(self):
        self.assertEqual(self.parse('extension VK_EXT_widget_tag : tags').version, '1.3')

    def test_encode_if_keeps_its_c_expression(self):
        ann = self.parse('encode-if VkWidgetCreateInfo.pQueues '
                         'usage & VK_WIDGET_USAGE_WRITE_BIT : only writers have queues')
        entry = ann.encode_if[('VkWidgetCreateInfo', 'pQueues')]
        self.assertEqual(entry.args, ['VkWidgetCreateInfo.pQueues',
                                      'usage & VK_WIDGET_USAGE_WRITE_BIT'])
        self.assertEqual(entry.reason, 'only writers have queues')

    def test_reason_may_contain_the_separator(self):
        ann = self.parse('guest-only vkTrimWidget : why : because')
        self.assertEqual(ann.guest_only['vkTrimWidget'].reason, 'why : because')

    def test_missing_reason(self):
        self.assertParseError(['api 1.1 : fine', 'guest-only vkTrimWidget'],
                              'every entry needs " : reason"', 2)

    def test_colon_without_reason(self):
        self.assertParseError(['guest-only vkTrimWidget : '],
                              'every entry needs " : reason"', 1)

    def test_unknown_directive(self):
        self.assertParseError(['api 1.1 : fine', 'forward vkTrimWidget : why'],
                              "unknown directive 'forward'", 2)

    def test_argument_count(self):
        self.assertParseError(['guest-only vkTrimWidget vkResetWidget : two'],
                              "guest-only takes 1 argument(s), got "
                              "['vkTrimWidget', 'vkResetWidget']", 1)
        self.assertParseError(['encode-if VkWidgetCreateInfo.pQueues : no condition'],
                              "encode-if takes 2 argument(s), got "
                              "['VkWidgetCreateInfo.pQueues']", 1)

    def test_option_not_allowed_for_directive(self):
        self.assertParseError(['guest-only vkTrimWidget host=fn : no options here'],
                              "guest-only takes 1 argument(s), got ['vkTrimWidget', 'host=fn']", 1)

    def test_bad_api(self):
        self.assertParseError(['api 2.0 : future'], 'api must be 1.0 .. 1.3', 1)

    def test_member_needs_owner(self):
        self.assertParseError(['omit pOpaque : which owner?'], 'omit names OWNER.MEMBER', 1)

    def test_duplicate_extension(self):
        self.assertParseError(['extension VK_EXT_widget_tag : one',
                               'extension VK_EXT_widget_tag : two'],
                              'VK_EXT_widget_tag listed twice', 2)

    def test_duplicate_command(self):
        self.assertParseError(['guest-only vkTrimWidget : one', 'async vkTrimWidget : fine',
                               'guest-only vkTrimWidget : two'],
                              'vkTrimWidget listed twice for guest-only', 3)

    def test_duplicate_omit(self):
        self.assertParseError(['omit vkGetWidgetHostPointer.pOpaque : one',
                               'omit vkGetWidgetHostPointer.pOpaque : two'],
                              'vkGetWidgetHostPointer.pOpaque listed twice for omit', 2)

    def test_duplicate_encode_if(self):
        self.assertParseError(['encode-if VkWidgetCreateInfo.pQueues usage != 0 : one',
                               'encode-if VkWidgetCreateInfo.pQueues queueCount > 1 : two'],
                              'VkWidgetCreateInfo.pQueues listed twice for encode-if', 2)

    def test_unreadable_file(self):
        with self.assertRaisesRegex(AnnotationError, 'missing.conf: cannot read'):
            annotations_mod.parse(self.tmp + '/missing.conf')

    def test_basename_only(self):
        path = self.write_lines('sub/dir/mine.conf', 'bogus x : y')
        with self.assertRaises(AnnotationError) as cm:
            annotations_mod.parse(path)
        self.assertTrue(str(cm.exception).startswith('mine.conf:1: '), str(cm.exception))


class CheckAgainstRegistry(AnnotationTestCase):
    def test_valid_file_passes(self):
        ann = self.parse_and_check(
            'api 1.0 : old',
            'extension VK_KHR_widget_create : aliases',
            'extension VK_EXT_widget_tag : needs widget_create',
            'guest-only vkGetWidgetHostPointer : host pointer',
            'omit vkGetWidgetHostPointer.pOpaque : host pointer',
            'encode-if VkWidgetCreateInfo.pQueues usage != 0 : only with usage')
        self.assertEqual(ann.extensions, ['VK_KHR_widget_create', 'VK_EXT_widget_tag'])

    def test_unknown_command(self):
        self.assertCheckError(['api 1.1 : fine', 'guest-only vkNoSuchCommand : why'],
                              "vk.xml has no command 'vkNoSuchCommand'", 2)

    def test_unknown_struct(self):
        self.assertCheckError(['omit VkNoSuchStruct.pNext : why'],
                              "vk.xml has no command or struct 'VkNoSuchStruct'", 1)

    def test_unknown_member(self):
        self.assertCheckError(['encode-if VkWidgetCreateInfo.pNothing x != 0 : why'],
                              "VkWidgetCreateInfo has no member 'pNothing'", 1)

    def test_unknown_param(self):
        self.assertCheckError(['omit vkCreateWidget.pNothing : why'],
                              "vkCreateWidget has no member 'pNothing'", 1)

    def test_alias_instead_of_target(self):
        self.assertCheckError(['async vkCreateWidgetKHR : why'],
                              'vkCreateWidgetKHR is an alias of vkCreateWidget; name that', 1)

    def test_unknown_extension(self):
        self.assertCheckError(['extension VK_KHR_no_such_thing : why'],
                              "vk.xml has no extension 'VK_KHR_no_such_thing'", 1)

    def test_extension_not_supported_for_vulkan(self):
        self.assertCheckError(['api 1.1 : fine', 'extension VK_NV_widget_broken : why'],
                              'VK_NV_widget_broken is not supported for Vulkan '
                              '(supported="disabled")', 2)

    def test_required_extension_neither_listed_nor_core(self):
        self.assertCheckError(['api 1.0 : too old for widget_create',
                               'extension VK_EXT_widget_tag : why'],
                              'VK_EXT_widget_tag requires VK_KHR_widget_create, which is '
                              'neither listed nor part of the core version', 2)

    def test_required_extension_promoted_to_core(self):
        ann = self.parse_and_check('api 1.1 : widget_create is core here',
                                   'extension VK_EXT_widget_tag : why')
        self.assertEqual(ann.extensions, ['VK_EXT_widget_tag'])

    def test_required_extension_listed_later(self):
        ann = self.parse_and_check('api 1.0 : old', 'extension VK_EXT_widget_tag : why',
                                   'extension VK_KHR_widget_create : listed after its user')
        self.assertEqual(ann.version, '1.0')


if __name__ == '__main__':
    unittest.main()
