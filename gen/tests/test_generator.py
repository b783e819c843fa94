"""The whole generator (gen/vkwire_gen.py): golden output for tiny_vk.xml,
determinism, the real registry's output compiling, and the CLI's errors.

Refresh the goldens after an intended change to templates/ or gen/:

    VKW_UPDATE_GOLDEN=1 /usr/bin/python3 -m unittest discover -s gen/tests

then read the diff of gen/tests/golden/ before committing it.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import shutil
import subprocess
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

from vkw_test_support import (GEN_DIR, GOLDEN_DIR, REAL_ANNOTATIONS, REAL_OPCODES, SRC_ROOT,
                              TEMPLATES, TINY_ANNOTATIONS, TINY_OPCODES, TINY_XML,
                              TempDirTestCase, line_of, real_xml, skip_without_real_xml)

import emit
import vkwire_gen

UPDATE_GOLDEN = os.environ.get('VKW_UPDATE_GOLDEN', '') not in ('', '0')
DIFF_LINES = 80


def run_main(*argv):
    """vkwire_gen.main(argv) -> (rc, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = vkwire_gen.main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def read_tree(root):
    """Relative path -> bytes of every file under root."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                files[os.path.relpath(path, root)] = f.read()
    return files


def tree_diff(expected, actual, expected_label, actual_label):
    """A unified diff of two read_tree() results, as lines."""
    lines = []
    for rel in sorted(set(expected) | set(actual)):
        if expected.get(rel) == actual.get(rel):
            continue
        if rel not in actual:
            lines.append(f'only in {expected_label}: {rel}')
            continue
        if rel not in expected:
            lines.append(f'only in {actual_label}: {rel}')
            continue
        lines.extend(difflib.unified_diff(
            expected[rel].decode('utf-8', 'replace').splitlines(),
            actual[rel].decode('utf-8', 'replace').splitlines(),
            f'{expected_label}/{rel}', f'{actual_label}/{rel}', lineterm=''))
    return lines


class TinyGeneratorRun(TempDirTestCase):
    """Runs the generator on the tiny fixture into self.tmp/out."""

    def run_tiny(self, out_name='out', quiet=True):
        opcodes = os.path.join(self.tmp, 'opcodes.txt')
        if not os.path.exists(opcodes):
            shutil.copyfile(TINY_OPCODES, opcodes)
        out = os.path.join(self.tmp, out_name)
        args = ['--xml', TINY_XML, '--annotations', TINY_ANNOTATIONS, '--opcodes', opcodes,
                '--templates', TEMPLATES, '--out', out] + (['--quiet'] if quiet else [])
        rc, stdout, stderr = run_main(*args)
        self.assertEqual((rc, stderr), (0, ''))
        return out, stdout


class Golden(TinyGeneratorRun):
    def test_tiny_output_matches_golden(self):
        out, _ = self.run_tiny()
        actual = read_tree(out)
        self.assertEqual(sorted(actual), sorted(o for _, o in emit.OUTPUTS))
        if UPDATE_GOLDEN:
            shutil.rmtree(GOLDEN_DIR, ignore_errors=True)
            shutil.copytree(out, GOLDEN_DIR)
            print(f'\n  rewrote {GOLDEN_DIR}', file=sys.stderr)
        expected = read_tree(GOLDEN_DIR)
        diff = tree_diff(expected, actual, 'golden', 'generated')
        if diff:
            shown = diff[:DIFF_LINES]
            if len(diff) > DIFF_LINES:
                shown.append(f'... {len(diff) - DIFF_LINES} more diff lines')
            self.fail('generator output for tiny_vk.xml differs from gen/tests/golden/ '
                      '(if intended: VKW_UPDATE_GOLDEN=1 python3 -m unittest discover '
                      '-s gen/tests, then review the diff):\n' + '\n'.join(shown))

    def test_opcode_table_grows_by_appending(self):
        self.run_tiny()
        with open(os.path.join(self.tmp, 'opcodes.txt'), encoding='utf-8') as f:
            lines = [line.split() for line in f if line.strip() and not line.startswith('#')]
        numbers = {name: int(number) for number, name in lines}
        self.assertEqual(numbers, {
            'vkCreateWidget': 3, 'vkDestroyWidget': 4, 'vkRetiredWidgetCommand': 7,
            'vkGetWidgetInfo': 8, 'vkEnumerateWidgetProperties': 9,  # as committed
            'vkAllocateGadgets': 10, 'vkFreeGadgets': 11, 'vkResetWidget': 12,
            'vkGetWidgetHostPointer': 13, 'vkSetWidgetTagEXT': 14,
            'vkSetWidgetTagColorEXT': 15, 'vkTrimWidgetTagEXT': 16})  # appended
        self.assertNotIn('vkTrimWidget', numbers)  # guest-only

    def test_second_run_rewrites_nothing(self):
        self.run_tiny()
        out, report = self.run_tiny(quiet=False)
        self.assertIn('  new opcodes this run: 0\n', report)
        self.assertTrue(report.rstrip().endswith('files rewritten: 0'), report)

    def test_coverage_report(self):
        _, report = self.run_tiny(quiet=False)
        self.assertIn('commands forwarded (opcode, guest encoder, host decoder): 11 '
                      '(8 of 9 core, 3 from extensions)', report)
        self.assertIn('  guest-only (no opcode): 1\n'
                      '    vkTrimWidget: the guest answers it from its own state', report)
        self.assertIn('  new opcodes this run: 7\n', report)


class Determinism(TinyGeneratorRun):
    def test_runs_give_identical_bytes(self):
        first, _ = self.run_tiny('first')
        second, _ = self.run_tiny('second')
        self.assertEqual(read_tree(first), read_tree(second))

    def test_hash_seed_does_not_matter(self):
        """Fresh interpreters with different string hashing: set order must not leak."""
        reference, _ = self.run_tiny('reference')
        for seed in ('1', '4242'):
            with self.subTest(seed=seed):
                out = os.path.join(self.tmp, 'seed' + seed)
                opcodes = os.path.join(self.tmp, 'opcodes' + seed + '.txt')
                shutil.copyfile(TINY_OPCODES, opcodes)
                env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONDONTWRITEBYTECODE='1')
                proc = subprocess.run(
                    [sys.executable, os.path.join(GEN_DIR, 'vkwire_gen.py'), '--quiet',
                     '--xml', TINY_XML, '--annotations', TINY_ANNOTATIONS,
                     '--opcodes', opcodes, '--templates', TEMPLATES, '--out', out],
                    env=env, capture_output=True, text=True, timeout=60)
                self.assertEqual(proc.returncode, 0, proc.stderr)
                diff = tree_diff(read_tree(reference), read_tree(out), 'in-process',
                                 f'PYTHONHASHSEED={seed}')
                self.assertEqual(diff[:DIFF_LINES], [])


def _compile_flags(out):
    return ['-std=c11', '-Wall', '-Wextra', '-Werror', '-fsyntax-only',
            '-I' + os.path.join(SRC_ROOT, 'runtime', 'common'),
            '-I' + os.path.join(SRC_ROOT, 'runtime', 'host'),
            '-I' + os.path.join(SRC_ROOT, 'runtime', 'guest'),
            '-I' + out, '-I' + os.path.join(SRC_ROOT, 'tests')]


@skip_without_real_xml
@unittest.skipIf(shutil.which('cc') is None, 'no C compiler (cc)')
class RealOutputCompiles(TempDirTestCase):
    """A fresh regeneration from vk.xml compiles (syntax and warnings only)."""

    def test_generated_c_compiles(self):
        probe = subprocess.run(['cc', '-fsyntax-only', '-x', 'c', '-'],
                               input='#include <vulkan/vulkan.h>\n', capture_output=True,
                               text=True, timeout=60)
        if probe.returncode != 0:
            self.skipTest('no <vulkan/vulkan.h> (apt-get install libvulkan-dev)')
        out = os.path.join(self.tmp, 'generated')
        opcodes = self.copy(REAL_OPCODES, 'opcodes.txt')
        rc, _, stderr = run_main('--quiet', '--xml', real_xml(), '--annotations',
                                 REAL_ANNOTATIONS, '--opcodes', opcodes,
                                 '--templates', TEMPLATES, '--out', out)
        self.assertEqual(rc, 0, stderr)
        sources = sorted(os.path.join(folder, n) for folder, _, names in os.walk(out)
                         for n in names if n.endswith('.c'))
        self.assertGreaterEqual(len(sources), 5)

        def compile_one(src):
            return src, subprocess.run(['cc'] + _compile_flags(out) + [src],
                                       capture_output=True, text=True, timeout=120)

        with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
            results = list(pool.map(compile_one, sources))
        for src, proc in results:
            with self.subTest(source=os.path.relpath(src, out)):
                self.assertEqual(proc.returncode, 0, proc.stderr[:4000])


class CommandLineErrors(TempDirTestCase):
    def args(self, xml=TINY_XML, annotations=TINY_ANNOTATIONS, opcodes=None):
        opcodes = opcodes or self.copy(TINY_OPCODES, 'opcodes.txt')
        return ['--quiet', '--xml', xml, '--annotations', annotations, '--opcodes', opcodes,
                '--templates', TEMPLATES, '--out', os.path.join(self.tmp, 'out')]

    def test_missing_registry(self):
        missing = os.path.join(self.tmp, 'no', 'vk.xml')
        rc, stdout, stderr = run_main(*self.args(xml=missing))
        self.assertEqual(rc, 1)
        self.assertEqual(stdout, '')
        self.assertTrue(stderr.startswith(f'vkwire_gen: {missing}: cannot read the registry'),
                        stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'out')))

    def test_annotation_error_names_file_and_line(self):
        bad = self.write_lines('bad.conf', '# comment', 'api 1.1 : fine',
                               'guest-only vkNoSuchCommand : why')
        rc, _, stderr = run_main(*self.args(annotations=bad))
        self.assertEqual(rc, 1)
        self.assertEqual(stderr, "vkwire_gen: bad.conf:3: vk.xml has no command "
                                 "'vkNoSuchCommand'\n")

    def test_opcode_error_names_file_and_line(self):
        ops = self.write_lines('ops.txt', '1 vkCreateWidget', 'x vkDestroyWidget')
        rc, _, stderr = run_main(*self.args(opcodes=ops))
        self.assertEqual(rc, 1)
        self.assertEqual(stderr, 'vkwire_gen: ops.txt:2: expected "NUMBER NAME"\n')

    def test_wire_error_names_registry_line(self):
        conf = self.write_lines('core.conf', 'api 1.0 : core only')
        rc, _, stderr = run_main(*self.args(annotations=conf))
        self.assertEqual(rc, 1)
        line = line_of(TINY_XML, '<name>vkGetWidgetHostPointer</name>') - 1
        self.assertTrue(stderr.startswith(f'vkwire_gen: {TINY_XML}:{line}: '
                                          'vkGetWidgetHostPointer cannot be encoded'), stderr)

    def test_failed_run_leaves_opcode_table_alone(self):
        conf = self.write_lines('core.conf', 'api 1.0 : core only')
        opcodes = self.copy(TINY_OPCODES, 'opcodes.txt')
        rc, _, _ = run_main(*self.args(annotations=conf, opcodes=opcodes))
        self.assertEqual(rc, 1)
        with open(opcodes, encoding='utf-8') as after, \
                open(TINY_OPCODES, encoding='utf-8') as before:
            self.assertEqual(after.read(), before.read())

    def test_missing_required_argument(self):
        with contextlib.redirect_stderr(io.StringIO()) as err:
            with self.assertRaises(SystemExit) as cm:
                vkwire_gen.main(['--xml', TINY_XML])
        self.assertEqual(cm.exception.code, 2)
        self.assertIn('--annotations', err.getvalue())


if __name__ == '__main__':
    unittest.main()
