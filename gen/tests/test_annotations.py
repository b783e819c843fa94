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
            'guest-only vkTrimWidget guest=vkw_icd_vkTrimWidget : the guest knows',
            'host-only vkResetWidget : the host does it',
            'hand-written vkSetWidgetTagEXT host=vkw_host_tag guest=vkw_guest_tag : both sides',
            'async vkDestroyWidget : no one waits',
            'omit vkGetWidgetHostPointer.pOpaque : a host address',
            'frees-children vkResetWidget : gadgets go too',
            'encode-as VkWidgetAddressEXT.deviceAddress : device addresses',
            'inner-length vkBuildWidgetsEXT.ppRanges pInfos[i].rangeCount : ranges per info')
        self.assertEqual(ann.version, '1.1')
        self.assertEqual(ann.extensions, ['VK_EXT_widget_tag'])
        self.assertEqual(list(ann.guest_only), ['vkTrimWidget'])
        self.assertEqual(ann.guest_only['vkTrimWidget'].reason, 'the guest knows')
        self.assertEqual(ann.guest_only['vkTrimWidget'].line, len(PREAMBLE) + 4)
        self.assertEqual(ann.guest_only['vkTrimWidget'].options, {'guest': 'vkw_icd_vkTrimWidget'})
        self.assertEqual(ann.guest_only['vkTrimWidget'].args, ['vkTrimWidget'])
        self.assertEqual(list(ann.host_only), ['vkResetWidget'])
        self.assertEqual(ann.hand_written['vkSetWidgetTagEXT'].options,
                         {'host': 'vkw_host_tag', 'guest': 'vkw_guest_tag'})
        self.assertEqual(ann.hand_written['vkSetWidgetTagEXT'].args, ['vkSetWidgetTagEXT'])
        self.assertEqual(list(ann.asynchronous), ['vkDestroyWidget'])
        self.assertEqual(list(ann.omit), [('vkGetWidgetHostPointer', 'pOpaque')])
        self.assertEqual(list(ann.frees_children), ['vkResetWidget'])
        self.assertEqual(list(ann.encode_as), ['VkWidgetAddressEXT'])
        self.assertEqual(ann.encode_as['VkWidgetAddressEXT'].args,
                         ['VkWidgetAddressEXT.deviceAddress'])
        self.assertEqual(list(ann.inner_length), [('vkBuildWidgetsEXT', 'ppRanges')])
        self.assertEqual(len(ann.entries), 10)
        self.assertEqual(ann.where(ann.entries[0]), f'tiny.conf:{len(PREAMBLE) + 1}')

    def test_length_names_a_device_length(self):
        ann = self.parse('length vkGetWidgetHostPointer.pOpaque VKW_LENGTH_WIDGET_DATA : a size')
        self.assertEqual(ann.length[('vkGetWidgetHostPointer', 'pOpaque')].args,
                         ['vkGetWidgetHostPointer.pOpaque', 'VKW_LENGTH_WIDGET_DATA'])

    def test_length_takes_an_expression(self):
        ann = self.parse('length vkGetWidgetHostPointer.pOpaque size * 2 : a size')
        self.assertEqual(ann.length[('vkGetWidgetHostPointer', 'pOpaque')].args,
                         ['vkGetWidgetHostPointer.pOpaque', 'size * 2'])
        self.assertParseError(['length vkGetWidgetHostPointer.pOpaque VKW_WIDGET_DATA : a size'],
                              'a device length is an enum vkw_device_length value '
                              '(VKW_LENGTH_...)', 1)

    def test_default_version(self):
        self.assertEqual(self.parse('extension VK_EXT_widget_tag : tags').version, '1.4')

    def test_api_1_4(self):
        self.assertEqual(self.parse('api 1.4 : newest').version, '1.4')
        self.assertEqual(self.parse('api 1.0 : oldest').version, '1.0')

    def test_encode_if_keeps_its_c_expression(self):
        ann = self.parse('encode-if VkWidgetCreateInfo.pQueues '
                         'usage & VK_WIDGET_USAGE_WRITE_BIT : only writers have queues')
        entry = ann.encode_if[('VkWidgetCreateInfo', 'pQueues')]
        self.assertEqual(entry.args, ['VkWidgetCreateInfo.pQueues',
                                      'usage & VK_WIDGET_USAGE_WRITE_BIT'])
        self.assertEqual(entry.reason, 'only writers have queues')

    def test_inner_length_keeps_its_c_expression(self):
        ann = self.parse('inner-length vkBuildWidgetsEXT.ppRanges pInfos[i].rangeCount + 0 '
                         ': ranges per info')
        entry = ann.inner_length[('vkBuildWidgetsEXT', 'ppRanges')]
        self.assertEqual(entry.args, ['vkBuildWidgetsEXT.ppRanges', 'pInfos[i].rangeCount + 0'])
    def test_encode_with_and_its_reply_hooks(self):
        ann = self.parse('encode-with vkCreateWidget.pCreateInfo guest=g host=h : by hand',
                         'encode-with vkGetWidgetHostPointer.pOpaque guest=g host=h '
                         'guest_reply=gr host_reply=hr : by hand, both ways')
        self.assertEqual(ann.encode_with[('vkCreateWidget', 'pCreateInfo')].options,
                         {'guest': 'g', 'host': 'h'})
        self.assertEqual(ann.encode_with[('vkGetWidgetHostPointer', 'pOpaque')].options,
                         {'guest': 'g', 'host': 'h', 'guest_reply': 'gr', 'host_reply': 'hr'})

    def test_encode_with_reply_hooks_come_in_pairs(self):
        message = ('encode-with needs guest=FN and host=FN, and guest_reply=FN with '
                   'host_reply=FN or neither')
        self.assertParseError(['encode-with vkCreateWidget.pCreateInfo guest=g host=h '
                               'host_reply=hr : half'], message, 1)
        self.assertParseError(['encode-with vkCreateWidget.pCreateInfo guest=g '
                               'guest_reply=gr host_reply=hr : no host'], message, 1)

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
        self.assertParseError(['guest-only vkTrimWidget host=fn : guest= only'],
                              "guest-only takes 1 argument(s), got ['vkTrimWidget', 'host=fn']", 1)
        self.assertParseError(['async vkTrimWidget guest=fn : no options here'],
                              "async takes 1 argument(s), got ['vkTrimWidget', 'guest=fn']", 1)
        self.assertParseError(['inner-length vkBuildWidgetsEXT.ppRanges : no expression'],
                              "inner-length takes 2 argument(s), got "
                              "['vkBuildWidgetsEXT.ppRanges']", 1)

    def test_bad_api(self):
        for api in ('2.0', '1.5', '1', '1.4.309'):
            with self.subTest(api=api):
                self.assertParseError([f'api {api} : future'], 'api must be 1.0 .. 1.4', 1)

    def test_member_needs_owner(self):
        self.assertParseError(['omit pOpaque : which owner?'], 'omit names OWNER.MEMBER', 1)
        self.assertParseError(['inner-length ppRanges 1 : which owner?'],
                              'inner-length names OWNER.MEMBER', 1)
        self.assertParseError(['encode-as deviceAddress : which union?'],
                              'encode-as names UNION.MEMBER', 1)

    def test_duplicate_encode_as(self):
        self.assertParseError(['encode-as VkWidgetAddressEXT.deviceAddress : one',
                               'encode-as VkWidgetAddressEXT.hostAddress : two'],
                              'VkWidgetAddressEXT listed twice for encode-as', 2)

    def test_duplicate_inner_length(self):
        self.assertParseError(['inner-length vkBuildWidgetsEXT.ppRanges 1 : one',
                               'inner-length vkBuildWidgetsEXT.ppRanges 2 : two'],
                              'vkBuildWidgetsEXT.ppRanges listed twice for inner-length', 2)

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
            'encode-if VkWidgetCreateInfo.pQueues usage != 0 : only with usage',
            'encode-as VkWidgetAddressEXT.deviceAddress : device addresses',
            'inner-length vkBuildWidgetsEXT.ppRanges pInfos[i].rangeCount : per info')
        self.assertEqual(ann.extensions, ['VK_KHR_widget_create', 'VK_EXT_widget_tag'])

    def test_unknown_command(self):
        self.assertCheckError(['api 1.1 : fine', 'guest-only vkNoSuchCommand : why'],
                              "vk.xml has no command 'vkNoSuchCommand'", 2)

    def test_as_sent_needs_a_noautovalidity_member(self):
        self.assertCheckError(['as-sent VkWidgetCreateInfo.pQueues : why'],
                              'VkWidgetCreateInfo.pQueues is not noautovalidity in vk.xml: it '
                              'always travels as sent', 1)

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

    def test_unknown_union_or_member_for_new_directives(self):
        self.assertCheckError(['encode-as VkNoSuchUnion.x : why'],
                              "vk.xml has no command or struct 'VkNoSuchUnion'", 1)
        self.assertCheckError(['encode-as VkWidgetAddressEXT.pointer : why'],
                              "VkWidgetAddressEXT has no member 'pointer'", 1)
        self.assertCheckError(['inner-length vkBuildWidgetsEXT.ppNothing 1 : why'],
                              "vkBuildWidgetsEXT has no member 'ppNothing'", 1)

    def test_depends_not_given_by_the_list(self):
        self.assertCheckError(['api 1.0 : too old for widget_create',
                               'extension VK_EXT_widget_tag : why'],
                              'VK_EXT_widget_tag depends on VK_KHR_widget_create, which the '
                              'listed extensions and the core version do not give', 2)

    def test_depends_with_a_version_alternative(self):
        """VK_EXT_widget_shape: 'VK_EXT_widget_color,VK_VERSION_1_1'."""
        self.assertCheckError(['api 1.0 : old', 'extension VK_EXT_widget_shape : why'],
                              'VK_EXT_widget_shape depends on (VK_EXT_widget_color,VK_VERSION_1_1)'
                              ', which the listed extensions and the core version do not give', 2)
        self.parse_and_check('api 1.0 : old', 'extension VK_EXT_widget_shape : why',
                             'extension VK_EXT_widget_color : gives it')
        self.parse_and_check('api 1.1 : gives it', 'extension VK_EXT_widget_shape : why')

    def test_depends_needing_a_newer_core(self):
        """VK_EXT_widget_draw: 'VK_VERSION_1_1+VK_EXT_widget_color'."""
        self.assertCheckError(['api 1.0 : old', 'extension VK_EXT_widget_color : listed',
                               'extension VK_EXT_widget_draw : why'],
                              'VK_EXT_widget_draw needs Vulkan 1.1, above the api 1.0 forwarded',
                              3)
        self.assertCheckError(['api 1.1 : new enough', 'extension VK_EXT_widget_draw : why'],
                              'VK_EXT_widget_draw depends on (VK_VERSION_1_1+VK_EXT_widget_color)'
                              ', which the listed extensions and the core version do not give', 2)
        ann = self.parse_and_check('api 1.4 : newest', 'extension VK_EXT_widget_draw : why',
                                   'extension VK_EXT_widget_color : listed after its user')
        self.assertEqual(ann.extensions, ['VK_EXT_widget_draw', 'VK_EXT_widget_color'])

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
