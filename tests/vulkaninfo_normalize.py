#!/usr/bin/env python3
"""Normalize vulkaninfo's text output so native and forwarded runs compare.

  vulkaninfo_normalize.py VK_XML ANNOTATIONS < vulkaninfo.txt

The expected differences between lavapipe natively and lavapipe through
vkwire, and only those, are removed (README "What differs from native"):
  1. the " (vkwire)" mark on the device name;
  2. extensions vkwire does not forward (window systems, displays, and
     the few gen/annotations.conf explains with not-forwarded), and
     VK_EXT_map_memory_placed, which vkwire offers itself: their list
     entries, the list counts, and the property/feature sections of
     structs that only those extensions bring;
  3. the device group's present capabilities (they need VK_KHR_surface);
  4. memory heaps' budget usage (VK_EXT_memory_budget), which is the
     calling process's own.
Everything else (properties, limits, features, formats, queues, memory)
must be identical.
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gen'))

import annotations  # noqa: E402
import vkmodel  # noqa: E402


def struct_origins(reg, forwarded):
    """Struct name -> True when core or a forwarded extension brings it."""
    shown = {}
    core = set()
    for feature in reg.features:
        for req in feature.requires:
            core.update(req.types)
    for name, ext in reg.extensions.items():
        for req in ext.requires:
            for t in req.types:
                shown[t] = shown.get(t, False) or name in forwarded
    return lambda struct: struct in core or shown.get(struct, True)


def normalize(lines, forwarded, struct_shown):
    out = []
    i = 0
    while i < len(lines):
        line = lines[i].replace(' (vkwire)', '')
        header = re.match(r'^(Vk\w+):$', line)
        if header and i + 1 < len(lines) and re.match(r'^-+$', lines[i + 1]):
            end = i + 2
            while end < len(lines) and lines[end].strip():
                end += 1
            if not struct_shown(header.group(1)):
                i = end + 1  # the section and its blank line
                continue
        # VK_EXT_memory_budget's usage is the calling process's: natively the
        # program's, through vkwire the server worker's (and it moves run to
        # run anyway); the budget and the heap size are compared.
        if re.match(r'^\t\tusage\s+= ', line):
            i += 1
            continue
        if line.startswith('\tPresent Capabilities'):
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        ext = re.match(r'^\t+(VK_\w+)\s+: extension revision', line)
        if ext and ext.group(1) not in forwarded and not re.match(r'^\t\t', line):
            i += 1
            continue
        line = re.sub(r'(Extensions: count = )\d+', r'\1N', line)
        # the names are padded to the longest listed, which differs
        line = re.sub(r'^(\t+\S+) +: extension revision', r'\1 : extension revision', line)
        if re.match(r'^=+$', line) or re.match(r'^-+$', line):
            line = line[0] * 3  # underline lengths follow the counts
        out.append(line)
        i += 1
    return out


def main():
    reg = vkmodel.parse(sys.argv[1])
    ann = annotations.parse(sys.argv[2])
    forwarded = set(ann.extensions)
    struct_shown = struct_origins(reg, forwarded)
    lines = sys.stdin.read().splitlines()
    sys.stdout.write('\n'.join(normalize(lines, forwarded, struct_shown)) + '\n')


if __name__ == '__main__':
    main()
