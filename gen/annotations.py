"""The annotation file: what vk.xml cannot say, one directive a line.

Syntax (see gen/annotations.conf):  DIRECTIVE ARG... : REASON
Every entry needs a reason.  Names are checked against the registry and
errors name ``annotations.conf:LINE``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple


class AnnotationError(Exception):
    pass


@dataclass
class Entry:
    directive: str
    args: List[str]
    options: Dict[str, str]
    reason: str
    line: int


@dataclass
class Annotations:
    path: str
    version: str = '1.4'
    extensions: List[str] = field(default_factory=list)
    not_forwarded: Dict[str, Entry] = field(default_factory=dict)  # extension -> why not
    guest_only: Dict[str, Entry] = field(default_factory=dict)     # command -> entry
    host_only: Dict[str, Entry] = field(default_factory=dict)
    hand_written: Dict[str, Entry] = field(default_factory=dict)   # options guest=, host=
    asynchronous: Dict[str, Entry] = field(default_factory=dict)
    reports_deferred: Dict[str, Entry] = field(default_factory=dict)
    may_block: Dict[str, Entry] = field(default_factory=dict)  # command -> entry
    omit: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # (owner, member)
    encode_if: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # args[1] = C expr
    # options guest=, host=, and for what the parameter brings back in the
    # reply guest_reply=, host_reply=
    encode_with: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    keep_unwritten: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    frees_children: Dict[str, Entry] = field(default_factory=dict)  # command -> entry
    encode_as: Dict[str, Entry] = field(default_factory=dict)  # union -> entry (args[0] U.MEMBER)
    inner_length: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # args[1] = C expr
    local: Dict[str, Entry] = field(default_factory=dict)  # struct -> entry: stays in the guest
    pointer_value: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # a void* that is a tag
    inputs: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # (owner, member)
    all_or_nothing: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # (command, param)
    extends: List[Entry] = field(default_factory=list)  # args: STRUCT BASE
    # args[1]: a C expression over the owner's members (and its param), or a
    # VKW_LENGTH_* device length (runtime/common/vkw_device_length.h)
    length: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    fd: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # an int that is an fd
    fd_import: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # args[1] = C expr
    param: Dict[str, Entry] = field(default_factory=dict)  # struct -> entry (args[1] = name)
    pass_: Dict[Tuple[str, str], Entry] = field(default_factory=dict)  # args[1] = C expr
    # A member vk.xml marks noautovalidity (Vulkan may ignore it, so it may
    # be garbage) that travels as the application wrote it: the reason says
    # why that is safe, or who clears it first.
    as_sent: Dict[Tuple[str, str], Entry] = field(default_factory=dict)
    entries: List[Entry] = field(default_factory=list)

    def where(self, entry: Entry) -> str:
        return f'{os.path.basename(self.path)}:{entry.line}'


_DIRECTIVES = {
    # directive: (min args, max args or None, allowed options)
    'api': (1, 1, ()),
    'extension': (1, 1, ()),
    'not-forwarded': (1, 1, ()),
    'guest-only': (1, 1, ('guest',)),
    'host-only': (1, 1, ()),
    'hand-written': (1, 1, ('guest', 'host')),
    'async': (1, 1, ()),
    'reports-deferred': (1, 1, ()),
    'may-block': (1, 1, ()),
    'omit': (1, 1, ()),
    'encode-if': (2, None, ()),
    'encode-with': (1, 1, ('guest', 'host', 'guest_reply', 'host_reply')),
    'keep-unwritten': (1, 1, ()),
    'frees-children': (1, 1, ()),
    'encode-as': (1, 1, ()),
    'inner-length': (2, None, ()),
    'local': (1, 1, ()),
    'pointer-value': (1, 1, ()),
    'input': (1, 1, ()),
    'all-or-nothing': (1, 1, ()),
    'extends': (2, 2, ()),
    'length': (2, None, ()),
    'fd': (1, 1, ()),
    'fd-import': (2, None, ()),
    'param': (2, 2, ()),
    'pass': (2, None, ()),
    'as-sent': (1, 1, ()),
}


def parse(path: str) -> Annotations:
    ann = Annotations(path=path)
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise AnnotationError(f'{path}: cannot read: {e}') from e
    for number, raw in enumerate(lines, 1):
        text = raw.strip()
        if not text or text.startswith('#'):
            continue
        where = f'{os.path.basename(path)}:{number}'
        if ' : ' not in text:
            raise AnnotationError(f'{where}: every entry needs " : reason"')
        head, reason = text.split(' : ', 1)
        if not reason.strip():
            raise AnnotationError(f'{where}: empty reason')
        words = head.split()
        directive, rest = words[0], words[1:]
        if directive not in _DIRECTIVES:
            raise AnnotationError(f'{where}: unknown directive {directive!r}')
        lo, hi, allowed = _DIRECTIVES[directive]
        args, options = [], {}
        for w in rest:
            m = re.fullmatch(r'(\w+)=(\S+)', w)
            if m and m.group(1) in allowed:
                options[m.group(1)] = m.group(2)
            else:
                args.append(w)
        if directive in ('encode-if', 'inner-length', 'fd-import', 'length', 'pass') and \
                len(args) >= 2:
            args = [args[0], ' '.join(args[1:])]
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise AnnotationError(f'{where}: {directive} takes {lo} argument(s), got {args}')
        e = Entry(directive, args, options, reason.strip(), number)
        ann.entries.append(e)
        if directive == 'api':
            if not re.fullmatch(r'1\.[0-4]', args[0]):
                raise AnnotationError(f'{where}: api must be 1.0 .. 1.4')
            ann.version = args[0]
        elif directive == 'extension':
            if args[0] in ann.extensions:
                raise AnnotationError(f'{where}: {args[0]} listed twice')
            ann.extensions.append(args[0])
        elif directive == 'not-forwarded':
            if args[0] in ann.not_forwarded:
                raise AnnotationError(f'{where}: {args[0]} listed twice')
            ann.not_forwarded[args[0]] = e
        elif directive in ('omit', 'encode-if', 'encode-with', 'keep-unwritten', 'inner-length',
                           'pointer-value', 'input', 'all-or-nothing', 'length', 'fd', 'fd-import',
                           'pass', 'as-sent'):
            if '.' not in args[0]:
                raise AnnotationError(f'{where}: {directive} names OWNER.MEMBER')
            if directive == 'encode-with' and set(options) not in (
                    {'guest', 'host'}, {'guest', 'host', 'guest_reply', 'host_reply'}):
                raise AnnotationError(f'{where}: encode-with needs guest=FN and host=FN, and '
                                      'guest_reply=FN with host_reply=FN or neither')
            if directive == 'length' and args[1].startswith('VKW_') and \
                    not re.fullmatch(r'VKW_LENGTH_[A-Z0-9_]+', args[1]):
                raise AnnotationError(f'{where}: a device length is an enum vkw_device_length '
                                      'value (VKW_LENGTH_...)')
            key = tuple(args[0].split('.', 1))
            target = {'omit': ann.omit, 'encode-if': ann.encode_if,
                      'encode-with': ann.encode_with,
                      'keep-unwritten': ann.keep_unwritten,
                      'inner-length': ann.inner_length,
                      'pointer-value': ann.pointer_value,
                      'input': ann.inputs,
                      'all-or-nothing': ann.all_or_nothing,
                      'length': ann.length, 'pass': ann.pass_, 'as-sent': ann.as_sent,
                      'fd': ann.fd, 'fd-import': ann.fd_import}[directive]
            if directive in ('fd', 'fd-import') and (key in ann.fd or key in ann.fd_import):
                raise AnnotationError(f'{where}: {args[0]} is already an fd')
            if key in target:
                raise AnnotationError(f'{where}: {args[0]} listed twice for {directive}')
            target[key] = e
        elif directive == 'param':
            if not re.fullmatch(r'[A-Za-z_]\w*', args[1]):
                raise AnnotationError(f'{where}: param names STRUCT and a C identifier')
            if args[0] in ann.param:
                raise AnnotationError(f'{where}: {args[0]} listed twice for param')
            ann.param[args[0]] = e
        elif directive == 'extends':
            ann.extends.append(e)
        elif directive == 'encode-as':
            if '.' not in args[0]:
                raise AnnotationError(f'{where}: encode-as names UNION.MEMBER')
            union = args[0].split('.', 1)[0]
            if union in ann.encode_as:
                raise AnnotationError(f'{where}: {union} listed twice for encode-as')
            ann.encode_as[union] = e
        else:
            table = {'guest-only': ann.guest_only, 'host-only': ann.host_only,
                     'hand-written': ann.hand_written, 'async': ann.asynchronous,
                     'reports-deferred': ann.reports_deferred,
                     'may-block': ann.may_block,
                     'frees-children': ann.frees_children, 'local': ann.local}[directive]
            if args[0] in table:
                raise AnnotationError(f'{where}: {args[0]} listed twice for {directive}')
            table[args[0]] = e
    return ann


def check(ann: Annotations, reg) -> None:
    """Reject annotations that name what vk.xml does not have, or that
    contradict each other."""
    for name in set(ann.guest_only) & set(ann.host_only):
        raise AnnotationError(f'{ann.where(ann.host_only[name])}: {name} is also guest-only')
    for e in ann.entries:
        where = ann.where(e)
        if e.directive == 'extension':
            x = reg.extensions.get(e.args[0])
            if x is None:
                raise AnnotationError(f'{where}: vk.xml has no extension {e.args[0]!r}')
            if 'vulkan' not in x.supported:
                raise AnnotationError(f'{where}: {e.args[0]} is not supported for Vulkan '
                                      f'(supported="{",".join(x.supported)}")')
            core = tuple(int(v) for v in x.needs_core().split('.'))
            if core > tuple(int(v) for v in ann.version.split('.')):
                raise AnnotationError(f'{where}: {e.args[0]} needs Vulkan {x.needs_core()}, '
                                      f'above the api {ann.version} forwarded')
            if x.depends is not None and not x.depends.evaluate(
                    lambda n: _available(reg, ann, n)):
                raise AnnotationError(f'{where}: {e.args[0]} depends on {x.depends}, which the '
                                      'listed extensions and the core version do not give')
        elif e.directive == 'not-forwarded':
            if e.args[0] not in reg.extensions:
                raise AnnotationError(f'{where}: vk.xml has no extension {e.args[0]!r}')
            if e.args[0] in ann.extensions:
                raise AnnotationError(f'{where}: {e.args[0]} is also listed as forwarded')
        elif e.directive in ('guest-only', 'host-only', 'hand-written', 'async',
                             'reports-deferred', 'may-block', 'frees-children'):
            if e.args[0] not in reg.commands:
                if e.args[0] in reg.command_alias:
                    raise AnnotationError(f'{where}: {e.args[0]} is an alias of '
                                          f'{reg.command_alias[e.args[0]]}; name that')
                raise AnnotationError(f'{where}: vk.xml has no command {e.args[0]!r}')
        elif e.directive in ('local', 'param'):
            if e.args[0] not in reg.structs:
                raise AnnotationError(f'{where}: vk.xml has no struct {e.args[0]!r}')
        elif e.directive == 'extends':
            for name in e.args:
                if name not in reg.structs:
                    raise AnnotationError(f'{where}: vk.xml has no struct {name!r}')
            struct, base = (reg.structs[n] for n in e.args)
            if not struct.has_pnext or not base.has_pnext or struct.stype is None:
                raise AnnotationError(f'{where}: extends needs two structs with pNext, and a '
                                      f'fixed sType for {struct.name}')
        elif e.directive in ('omit', 'encode-if', 'encode-with', 'keep-unwritten', 'encode-as',
                             'inner-length', 'pointer-value', 'input', 'all-or-nothing',
                             'length', 'fd', 'fd-import', 'pass', 'as-sent'):
            owner, member = e.args[0].split('.', 1)
            if owner in reg.commands:
                found = reg.commands[owner].param(member)
            elif owner in reg.structs:
                found = reg.structs[owner].member(member)
            elif owner in reg.type_alias or owner in reg.command_alias:
                target = reg.type_alias.get(owner) or reg.command_alias.get(owner)
                raise AnnotationError(f'{where}: {owner} is an alias of {target}; name that')
            else:
                raise AnnotationError(f'{where}: vk.xml has no command or struct {owner!r}')
            if found is None:
                raise AnnotationError(f'{where}: {owner} has no member {member!r}')
            if e.directive in ('fd', 'fd-import') and found.type != 'int':
                raise AnnotationError(f'{where}: {e.args[0]} is a {found.type}, not an int: '
                                      'only an int can be a file descriptor')
            if e.directive == 'as-sent' and not found.noautovalidity:
                raise AnnotationError(f'{where}: {e.args[0]} is not noautovalidity in vk.xml: '
                                      'it always travels as sent')
            if e.directive == 'fd-import' and found.pointers:
                raise AnnotationError(f'{where}: {e.args[0]} is an output; only an fd the '
                                      'application passes in can be imported')


def _available(reg, ann: Annotations, name: str) -> bool:
    """A version or extension name of a depends expression that the
    forwarded API has: a core version up to the api, a listed extension,
    or one promoted into that core."""
    m = re.fullmatch(r'VK_VERSION_(\d+)_(\d+)', name)
    if m:
        return (int(m.group(1)), int(m.group(2))) <= tuple(int(v) for v in ann.version.split('.'))
    return name in ann.extensions or _promoted_into(reg, name, ann.version)


def _promoted_into(reg, ext_name: str, version: str) -> bool:
    x = reg.extensions.get(ext_name)
    if x is None or not x.promotedto or not x.promotedto.startswith('VK_VERSION_'):
        return False
    promoted = tuple(int(v) for v in x.promotedto[len('VK_VERSION_'):].split('_'))
    return promoted <= tuple(int(v) for v in version.split('.'))
