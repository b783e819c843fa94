#!/usr/bin/env python3
"""vkwire's generator: vk.xml + gen/annotations.conf -> generated/.

  vkwire_gen.py --xml vk.xml [--video-xml video.xml] --annotations gen/annotations.conf \
                --opcodes gen/opcodes.txt --templates templates --out generated

video.xml (the Std video codec structures vk.xml names) is read from
--video-xml, or from beside vk.xml when it is there (--video-xml none: not
at all, and nothing that needs it can be forwarded).

Three layers: vkmodel parses the registry, wire derives wire facts, the
Jinja2 templates in templates/ emit C.  Opcodes live in a committed table
that this script only appends to, so a newer vk.xml never renumbers.
"""

from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import annotations as annotations_mod  # noqa: E402
import emit  # noqa: E402
import opcodes as opcodes_mod  # noqa: E402
import vkmodel  # noqa: E402
import wire  # noqa: E402


def load(xml: str, annotations_path: str, opcodes_path: str, video_xml: str = None):
    """Parse, select, number and derive: the whole front end.  Returns the
    protocol, the commands numbered anew, and the opcode table (not yet
    saved: a run that fails later must not reserve numbers).  `video_xml`:
    None for the one beside vk.xml (if any), 'none' for none."""
    if video_xml is None:
        video_xml = vkmodel.video_xml_beside(xml)
    elif video_xml == 'none':
        video_xml = None
    reg = vkmodel.parse(xml, video_xml)
    ann = annotations_mod.parse(annotations_path)
    annotations_mod.check(ann, reg)
    sel = vkmodel.select(reg, ann.version, ann.extensions)
    forwarded = [c for c in sel.commands if c not in ann.guest_only and c not in ann.host_only]
    table = opcodes_mod.Table.load(opcodes_path)
    added = table.assign(forwarded)
    proto = wire.build(reg, sel, ann, table.numbers)
    return proto, added, table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--xml', required=True)
    ap.add_argument('--video-xml', default=None,
                    help="video.xml (default: beside vk.xml if there; 'none': not read)")
    ap.add_argument('--annotations', required=True)
    ap.add_argument('--opcodes', required=True)
    ap.add_argument('--templates', default=os.path.join(HERE, '..', 'templates'))
    ap.add_argument('--out', required=True)
    ap.add_argument('--quiet', action='store_true', help='no coverage report')
    args = ap.parse_args(argv)
    try:
        proto, added, table = load(args.xml, args.annotations, args.opcodes, args.video_xml)
        written = emit.render_all(proto, args.templates, args.out)
        if added:
            table.save(args.opcodes)
    except (vkmodel.ModelError, annotations_mod.AnnotationError, wire.WireError,
            opcodes_mod.OpcodeError, emit.EmitError) as e:
        print(f'vkwire_gen: {e}', file=sys.stderr)
        return 1
    if not args.quiet:
        print(emit.coverage_report(proto, added, written))
    return 0


if __name__ == '__main__':
    sys.exit(main())
