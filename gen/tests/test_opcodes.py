"""gen/opcodes.py: the committed, append-only opcode table."""

from __future__ import annotations

import unittest

from vkw_test_support import TempDirTestCase

import opcodes as opcodes_mod
from opcodes import PRIVATE_BASE, OpcodeError, Table


def read_numbers(path):
    """NAME -> NUMBER of a saved table, comments skipped."""
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                number, name = line.split()
                out[name] = int(number)
    return out


class Assign(TempDirTestCase):
    def test_new_table_numbers_from_first_opcode(self):
        table = Table.load(self.tmp + '/absent.txt')
        self.assertEqual(table.numbers, {})
        added = table.assign(['vkA', 'vkB', 'vkC'])
        self.assertEqual(added, ['vkA', 'vkB', 'vkC'])
        self.assertEqual(table.numbers, {'vkA': opcodes_mod.FIRST_OPCODE, 'vkB': 2, 'vkC': 3})

    def test_assign_appends_only(self):
        table = Table('t', {'vkB': 1, 'vkA': 2}, [])
        added = table.assign(['vkA', 'vkC', 'vkB', 'vkD'])
        self.assertEqual(added, ['vkC', 'vkD'])
        self.assertEqual(table.numbers, {'vkB': 1, 'vkA': 2, 'vkC': 3, 'vkD': 4})
        self.assertEqual(table.assign(['vkD', 'vkA']), [])
        self.assertEqual(table.numbers['vkD'], 4)

    def test_superset_after_reload_keeps_old_numbers(self):
        path = self.write_lines('op.txt', '# header line', '5 vkOld', '9 vkGap', '2 vkLow')
        table = Table.load(path)
        added = table.assign(['vkNew1', 'vkLow', 'vkOld', 'vkGap', 'vkNew2'])
        self.assertEqual(added, ['vkNew1', 'vkNew2'])
        self.assertEqual(table.numbers,
                         {'vkOld': 5, 'vkGap': 9, 'vkLow': 2, 'vkNew1': 10, 'vkNew2': 11})

    def test_command_leaving_the_selection_keeps_its_number(self):
        path = self.write_lines('op.txt', '1 vkGone', '2 vkStays')
        table = Table.load(path)
        self.assertEqual(table.assign(['vkStays', 'vkNew']), ['vkNew'])
        self.assertEqual(table.numbers['vkGone'], 1)
        self.assertEqual(table.numbers['vkNew'], 3)  # never reuses vkGone's 1
        table.save(path)
        self.assertEqual(read_numbers(path), {'vkGone': 1, 'vkStays': 2, 'vkNew': 3})

    def test_save_sorts_by_number_and_keeps_the_header(self):
        path = self.write_lines('op.txt', '# my header', '#', '7 vkSeven', '3 vkThree')
        table = Table.load(path)
        table.assign(['vkEight'])
        table.save(path)
        with open(path, encoding='utf-8') as f:
            self.assertEqual(f.read(), '# my header\n#\n3 vkThree\n7 vkSeven\n8 vkEight\n')
        self.assertEqual(Table.load(path).numbers, {'vkThree': 3, 'vkSeven': 7, 'vkEight': 8})

    def test_save_of_new_table_writes_default_header(self):
        path = self.tmp + '/new.txt'
        table = Table.load(path)
        table.assign(['vkA'])
        table.save(path)
        with open(path, encoding='utf-8') as f:
            text = f.read()
        self.assertTrue(text.startswith('# vkwire opcodes:'), text)
        self.assertTrue(text.endswith('\n1 vkA\n'), text)

    def test_exhausted(self):
        table = Table('t', {'vkLast': PRIVATE_BASE - 2}, [])
        with self.assertRaisesRegex(OpcodeError, 'exhausted'):
            table.assign(['vkA', 'vkB'])

    def test_last_valid_opcode_can_be_assigned(self):
        table = Table('t', {'vkLast': PRIVATE_BASE - 2}, [])
        self.assertEqual(table.assign(['vkA']), ['vkA'])
        self.assertEqual(table.numbers['vkA'], PRIVATE_BASE - 1)

    def test_full_table_with_nothing_new_is_fine(self):
        table = Table('t', {'vkLast': PRIVATE_BASE - 1}, [])
        self.assertEqual(table.assign(['vkLast']), [])


class LoadErrors(TempDirTestCase):
    def assertLoadError(self, lines, line, message):
        path = self.write_lines('ops.txt', '# header', *lines)
        with self.assertRaises(OpcodeError) as cm:
            Table.load(path)
        self.assertEqual(str(cm.exception), f'ops.txt:{line}: {message}')

    def test_not_a_number(self):
        self.assertLoadError(['1 vkA', 'two vkB'], 3, 'expected "NUMBER NAME"')

    def test_too_many_words(self):
        self.assertLoadError(['1 vkA extra'], 2, 'expected "NUMBER NAME"')

    def test_name_missing(self):
        self.assertLoadError(['1 vkA', '', '2'], 4, 'expected "NUMBER NAME"')

    def test_negative(self):
        self.assertLoadError(['-1 vkA'], 2, 'expected "NUMBER NAME"')

    def test_duplicate_number(self):
        self.assertLoadError(['1 vkA', '2 vkB', '1 vkC'], 4, 'vkC or 1 twice')

    def test_duplicate_name(self):
        self.assertLoadError(['1 vkA', '2 vkA'], 3, 'vkA or 2 twice')

    def test_zero_out_of_range(self):
        self.assertLoadError(['0 vkA'], 2, '0 out of range')

    def test_private_base_rejected(self):
        self.assertLoadError(['1 vkA', f'{PRIVATE_BASE} vkB'], 3, f'{PRIVATE_BASE} out of range')
        self.assertEqual(Table.load(self.write_lines('ok.txt', f'{PRIVATE_BASE - 1} vkB'))
                         .numbers, {'vkB': PRIVATE_BASE - 1})

    def test_comments_and_blank_lines_between_entries(self):
        path = self.write_lines('ops.txt', '1 vkA', '', '# retired below', '4 vkD')
        self.assertEqual(Table.load(path).numbers, {'vkA': 1, 'vkD': 4})


if __name__ == '__main__':
    unittest.main()
