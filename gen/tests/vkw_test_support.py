"""Shared helpers for the generator's unit tests (gen/tests).

Puts gen/ on sys.path, names the fixtures, loads registries once per run and
writes small temporary files.  Not a test module (its name does not start
with 'test'), so unittest discovery only imports it.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import sys
import tempfile
import unittest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
GEN_DIR = os.path.dirname(TESTS_DIR)
SRC_ROOT = os.path.dirname(GEN_DIR)
if GEN_DIR not in sys.path:
    sys.path.insert(0, GEN_DIR)

import annotations as annotations_mod  # noqa: E402
import opcodes as opcodes_mod  # noqa: E402
import vkmodel  # noqa: E402
import wire  # noqa: E402

DATA_DIR = os.path.join(TESTS_DIR, 'data')
GOLDEN_DIR = os.path.join(TESTS_DIR, 'golden')
TINY_XML = os.path.join(DATA_DIR, 'tiny_vk.xml')
TINY_ANNOTATIONS = os.path.join(DATA_DIR, 'tiny_annotations.conf')
TINY_OPCODES = os.path.join(DATA_DIR, 'tiny_opcodes.txt')
TEMPLATES = os.path.join(SRC_ROOT, 'templates')
REAL_ANNOTATIONS = os.path.join(GEN_DIR, 'annotations.conf')
REAL_OPCODES = os.path.join(GEN_DIR, 'opcodes.txt')


# Where scripts/install-deps.sh unpacks Vulkan-Headers (vk.xml and the C
# headers of one version): /opt/vkwire/vulkan-headers-1.4.309/usr.
HEADERS_GLOB = '/opt/vkwire/vulkan-headers-*/usr'


def _version_key(path: str):
    """(1, 4, 309) for .../vulkan-headers-1.4.309/usr; () if the name has none."""
    m = re.search(r'vulkan-headers-(\d+(?:\.\d+)*)', path)
    return tuple(int(x) for x in m.group(1).split('.')) if m else ()


def real_xml():
    """The real registry: $VK_XML (as make check sets it), else the newest
    one install-deps.sh unpacked.  Never an older system registry
    (/usr/share/vulkan/registry is Debian 12's 1.3): the generator needs
    the registry the project is built against."""
    path = os.environ.get('VK_XML')
    if path:
        return path if os.path.isfile(path) else None
    for prefix in sorted(glob.glob(HEADERS_GLOB), key=_version_key, reverse=True):
        path = os.path.join(prefix, 'share', 'vulkan', 'registry', 'vk.xml')
        if os.path.isfile(path):
            return path
    return None


def real_include_dir():
    """The C headers of the real registry's version (PREFIX/include beside
    PREFIX/share/vulkan/registry/vk.xml), or None."""
    xml = real_xml()
    if xml is None:
        return None
    prefix = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(xml))))
    include = os.path.join(prefix, 'include')
    return include if os.path.isfile(os.path.join(include, 'vulkan', 'vulkan_core.h')) else None


def skip_without_real_xml(obj):
    return unittest.skipIf(real_xml() is None,
                           'no vk.xml (set VK_XML or run scripts/install-deps.sh)')(obj)


@functools.lru_cache(maxsize=None)
def tiny_registry():
    """The parsed tiny registry.  Shared: tests must not mutate it."""
    return vkmodel.parse(TINY_XML)


@functools.lru_cache(maxsize=None)
def real_registry():
    return vkmodel.parse(real_xml(), vkmodel.video_xml_beside(real_xml()))


def line_of(path: str, needle: str) -> int:
    """The 1-based line of the first line of `path` that contains `needle`."""
    with open(path, encoding='utf-8') as f:
        for number, text in enumerate(f, 1):
            if needle in text:
                return number
    raise AssertionError(f'{needle!r} is not in {path}')


class TempDirTestCase(unittest.TestCase):
    """A test case with a fresh temporary directory in self.tmp."""

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix='vkw-gen-test-')
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write(self, name: str, text: str) -> str:
        """Write `text` to tmp/name and return the path."""
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return path

    def write_lines(self, name: str, *lines: str) -> str:
        return self.write(name, ''.join(line + '\n' for line in lines))

    def copy(self, src: str, name: str) -> str:
        dst = os.path.join(self.tmp, name)
        shutil.copyfile(src, dst)
        return dst

    def tiny_xml_with(self, *replacements, name: str = 'variant.xml') -> str:
        """A copy of tiny_vk.xml in tmp with (old, new) text replacements,
        each of which must apply; returns its path."""
        with open(TINY_XML, encoding='utf-8') as f:
            text = f.read()
        for old, new in replacements:
            self.assertIn(old, text, 'tiny_vk.xml changed: fix the test')
            text = text.replace(old, new, 1)
        return self.write(name, text)


def tiny_protocol(annotation_text: str, tmp: str, opcodes=None, reg=None):
    """wire.build over the tiny registry (or `reg`) with annotations from
    text.  Opcodes: every forwarded command numbered in selection order from 1."""
    path = os.path.join(tmp, 'tiny.conf')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(annotation_text)
    reg = reg or tiny_registry()
    ann = annotations_mod.parse(path)
    annotations_mod.check(ann, reg)
    sel = vkmodel.select(reg, ann.version, ann.extensions)
    if opcodes is None:
        table = opcodes_mod.Table(os.path.join(tmp, 'opcodes.txt'), {}, [])
        table.assign([c for c in sel.commands
                      if c not in ann.guest_only and c not in ann.host_only])
        opcodes = table.numbers
    return wire.build(reg, sel, ann, opcodes)
