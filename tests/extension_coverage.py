#!/usr/bin/env python3
"""Every extension a driver offers is forwarded or explained.

  extension_coverage.py ANNOTATIONS < vulkaninfo.txt

Reads the "Instance Extensions" and "Device Extensions" lists of a native
vulkaninfo run and prints each extension that gen/annotations.conf neither
forwards (`extension`) nor explains (`not-forwarded`).  Exits 1 if there is
one, so a driver that grows an extension makes a test say so.  Needs no
registry: a name vk.xml lacks is one vkwire cannot know (it is printed too).
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'gen'))

import annotations  # noqa: E402


def offered(lines):
    """Extension names in vulkaninfo's instance and device lists."""
    names, listing = set(), False
    for line in lines:
        if re.match(r'^(Instance|Device) Extensions: count = \d+', line):
            listing = True
            continue
        if listing and not line.strip():
            listing = False
        m = re.match(r'^\t(VK_\w+)\s+: extension revision', line)
        if listing and m:
            names.add(m.group(1))
    return names


def main():
    ann = annotations.parse(sys.argv[1])
    known = set(ann.extensions) | set(ann.not_forwarded)
    missing = sorted(offered(sys.stdin.read().splitlines()) - known)
    for name in missing:
        print(name)
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
