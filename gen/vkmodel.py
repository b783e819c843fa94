"""vk.xml parsed once into a typed model.

Only this module touches lxml.  Everything the generators ask of the registry
is answered by the dataclasses below; fields carry an example in a comment.
Errors name the place: ``vk.xml:1234: ...``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

from lxml import etree


class ModelError(Exception):
    """A registry we cannot make sense of; the message names file:line."""


# C scalar types we know how to put on the wire (type name -> wire kind).
SCALAR_KINDS = {
    'uint8_t': 'u32', 'int8_t': 'i32', 'uint16_t': 'u32', 'int16_t': 'i32',
    'uint32_t': 'u32', 'int32_t': 'i32', 'uint64_t': 'u64', 'int64_t': 'i64',
    'size_t': 'u64', 'float': 'f32', 'double': 'f64', 'char': 'u32',
    'VkBool32': 'u32', 'VkDeviceSize': 'u64', 'VkDeviceAddress': 'u64',
    'VkSampleMask': 'u32', 'VkFlags': 'u32', 'VkFlags64': 'u64',
}


@dataclass
class Member:
    """A struct member or a command parameter."""
    name: str                     # 'pCreateInfo'
    type: str                     # 'VkBufferCreateInfo'
    line: int                     # source line in vk.xml (or in `file`)
    pointers: int = 0             # 1 for 'const VkFoo*', 2 for 'const char* const*'
    const: bool = False           # outermost pointee is const: 'const VkFoo*'
    inner_const: bool = False     # 'const char* const*': the pointers pointed at are const
    array_dims: List[str] = field(default_factory=list)  # ['VK_UUID_SIZE'] or ['4']
    array_sizes: List[int] = field(default_factory=list)  # [16] resolved
    len: List[str] = field(default_factory=list)  # ['enabledLayerCount', 'null-terminated']
    altlen: Optional[str] = None  # '(rasterizationSamples + 31) / 32'
    optional: List[bool] = field(default_factory=list)  # 'false,true' -> [False, True]
    noautovalidity: bool = False
    externsync: Optional[str] = None  # 'true' or an expression
    values: Optional[str] = None  # sType value: 'VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO'
    selector: Optional[str] = None  # union selector member name (on the union member)
    selection: List[str] = field(default_factory=list)  # union member: selector values
    bitfield: Optional[int] = None  # ':24' -> 24
    stride: Optional[str] = None  # vkCmdDrawMultiEXT.pVertexInfo: 'stride' (bytes between elements)
    objecttype: Optional[str] = None  # vkSetPrivateData.objectHandle: 'objectType'
    validstructs: List[str] = field(default_factory=list)  # structs a VkBaseOutStructure* may be
    file: str = ''                # '' for vk.xml; the video.xml path for the Std video structs

    @property
    def is_optional(self) -> bool:
        """The value (or the outermost pointer) may be 0 / NULL."""
        return bool(self.optional) and self.optional[0]

    @property
    def is_fixed_array(self) -> bool:
        return bool(self.array_sizes)


@dataclass
class Struct:
    """A struct or union type."""
    name: str                     # 'VkBufferCreateInfo'
    line: int
    members: List[Member] = field(default_factory=list)
    is_union: bool = False
    returnedonly: bool = False
    structextends: List[str] = field(default_factory=list)  # structs whose pNext may hold it
    extended_by: List[str] = field(default_factory=list)  # filled in: structs that extend it
    aliases: List[str] = field(default_factory=list)  # ['VkBufferMemoryRequirementsInfo2KHR']
    file: str = ''                # '' for vk.xml; the video.xml path for 'StdVideoH264SpsFlags'

    @property
    def is_video_std(self) -> bool:
        """A codec structure of video.xml ('StdVideoH264SequenceParameterSet')."""
        return bool(self.file)

    @property
    def stype(self) -> Optional[str]:
        """The VK_STRUCTURE_TYPE_* this struct must carry, if any."""
        for m in self.members:
            if m.name == 'sType' and m.values:
                return m.values.split(',')[0]
        return None

    @property
    def has_pnext(self) -> bool:
        return any(m.name == 'pNext' for m in self.members)

    def member(self, name: str) -> Optional[Member]:
        for m in self.members:
            if m.name == name:
                return m
        return None


@dataclass
class Handle:
    name: str                     # 'VkBuffer'
    line: int
    dispatchable: bool            # VK_DEFINE_HANDLE vs VK_DEFINE_NON_DISPATCHABLE_HANDLE
    parents: List[str] = field(default_factory=list)  # ['VkDevice']
    objtypeenum: Optional[str] = None  # 'VK_OBJECT_TYPE_BUFFER'
    aliases: List[str] = field(default_factory=list)


@dataclass
class EnumValue:
    name: str                     # 'VK_FORMAT_R8_UNORM'
    value: int
    origin: str                   # 'VK_VERSION_1_0' or the extension that added it
    alias_of: Optional[str] = None


@dataclass
class Enum:
    """An enumerated type (category enum), including FlagBits types."""
    name: str                     # 'VkFormat', 'VkBufferUsageFlagBits'
    line: int
    is_bitmask: bool = False
    bitwidth: int = 32
    values: Dict[str, EnumValue] = field(default_factory=dict)
    aliases: List[str] = field(default_factory=list)
    file: str = ''                # '' for vk.xml; the video.xml path for 'StdVideoH264ProfileIdc'


@dataclass
class Bitmask:
    """A Flags typedef: 'VkBufferUsageFlags' over 'VkBufferUsageFlagBits'."""
    name: str
    line: int
    base: str                     # 'VkFlags' or 'VkFlags64'
    bits: Optional[str]           # 'VkBufferUsageFlagBits' (None: reserved, no bits yet)
    aliases: List[str] = field(default_factory=list)


@dataclass
class Command:
    name: str                     # 'vkCreateBuffer'
    line: int
    return_type: str              # 'VkResult', 'void', 'PFN_vkVoidFunction'
    params: List[Member] = field(default_factory=list)
    successcodes: List[str] = field(default_factory=list)
    errorcodes: List[str] = field(default_factory=list)
    aliases: List[str] = field(default_factory=list)  # ['vkCreateRenderPass2KHR']
    queues: List[str] = field(default_factory=list)  # ['graphics', 'compute']
    cmdbufferlevel: List[str] = field(default_factory=list)  # ['primary', 'secondary']

    def param(self, name: str) -> Optional[Member]:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass
class FormatComponent:
    """One component of a format: <component name="D" bits="24" .../>."""
    name: str                     # 'R', 'D', 'S'
    bits: Optional[int]           # 24; None where vk.xml says bits="compressed"
    numeric_format: str           # 'UNORM', 'SFLOAT'
    plane: Optional[int] = None   # planeIndex of a multi-planar format's component


@dataclass
class FormatPlane:
    """One plane of a multi-planar format: what a copy of that plane moves."""
    index: int                    # 0, 1, 2
    width_divisor: int            # 2 for the chroma planes of 4:2:0
    height_divisor: int
    compatible: str               # 'VK_FORMAT_R8G8_UNORM': the format one texel of it has


@dataclass
class Format:
    """A <format> of the <formats> section: the texel block of a VkFormat."""
    name: str                     # 'VK_FORMAT_BC1_RGB_UNORM_BLOCK'
    line: int
    format_class: str             # 'BC1_RGB', '32-bit'
    block_size: int               # bytes of one texel block: 8
    texels_per_block: int         # 16
    block_extent: tuple = (1, 1, 1)  # texels a block spans: (4, 4, 1)
    packed: Optional[int] = None  # bits of a packed format: 16 for ..._PACK16
    compressed: Optional[str] = None  # 'BC', 'ASTC LDR'
    chroma: Optional[str] = None  # '420' for a YCbCr format with subsampled chroma
    components: List[FormatComponent] = field(default_factory=list)
    planes: List[FormatPlane] = field(default_factory=list)  # empty unless multi-planar

    def component_bits(self, name: str) -> Optional[int]:
        """The bits of component `name` ('D', 'S'), None if it has none."""
        for c in self.components:
            if c.name == name:
                return c.bits
        return None


class Depends:
    """A `depends` expression of vk.xml: names of versions and extensions
    joined by '+' (and) and ',' (or), both of one precedence, left to right,
    with parentheses: 'VK_KHR_get_physical_device_properties2,VK_VERSION_1_1'."""

    def __init__(self, op: str, name: Optional[str] = None, args: Optional[list] = None):
        self.op, self.name, self.args = op, name, args or []  # op: 'name', '+', ','

    def evaluate(self, have) -> bool:
        """Whether it holds; `have(name)` says whether a version or extension is there."""
        if self.op == 'name':
            return bool(have(self.name))
        results = [a.evaluate(have) for a in self.args]
        return all(results) if self.op == '+' else any(results)

    def names(self) -> Set[str]:
        if self.op == 'name':
            return {self.name}
        return set().union(*(a.names() for a in self.args))

    def __str__(self) -> str:
        if self.op == 'name':
            return self.name
        return '(' + self.op.join(str(a) for a in self.args) + ')'


# A name is a version, an extension, or a feature ('VkPhysicalDeviceVulkan12Features::drawIndirectCount').
_DEPENDS_TOKEN = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)?)|([+,()]))')


def parse_depends(text: str, where: str) -> Depends:
    """Parse a depends expression; errors name `where` (file:line)."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _DEPENDS_TOKEN.match(text, pos)
        if not m:
            raise ModelError(f'{where}: cannot read depends="{text}" at {text[pos:]!r}')
        tokens.append(m.group(1) or m.group(2))
        pos = m.end()
    at = [0]

    def peek():
        return tokens[at[0]] if at[0] < len(tokens) else None

    def term() -> Depends:
        tok = peek()
        at[0] += 1
        if tok == '(':
            inner = expr()
            if peek() != ')':
                raise ModelError(f'{where}: depends="{text}": missing ")"')
            at[0] += 1
            return inner
        if tok is None or tok in '+,)':
            raise ModelError(f'{where}: depends="{text}": a name is missing')
        return Depends('name', name=tok)

    def expr() -> Depends:
        left = term()
        while peek() in ('+', ','):
            op = peek()
            at[0] += 1
            right = term()
            left = Depends(op, args=[left, right])
        return left

    result = expr()
    if at[0] != len(tokens):
        raise ModelError(f'{where}: depends="{text}": unexpected {peek()!r}')
    return result


@dataclass
class Requirement:
    """One <require> block of a feature or extension (those for Vulkan only)."""
    commands: List[str] = field(default_factory=list)
    types: List[str] = field(default_factory=list)
    enum_values: List[tuple] = field(default_factory=list)  # (enum type, EnumValue)
    depends: Optional[Depends] = None  # <require depends="VK_KHR_push_descriptor">
    features: List[tuple] = field(default_factory=list)  # (struct, member): features it needs


@dataclass
class Feature:
    name: str                     # 'VK_VERSION_1_1'
    number: str                   # '1.1'
    line: int
    requires: List[Requirement] = field(default_factory=list)


@dataclass
class Extension:
    name: str                     # 'VK_KHR_maintenance4'
    line: int
    number: int
    kind: str                     # 'device' or 'instance'
    supported: List[str] = field(default_factory=list)  # ['vulkan'], ['disabled']
    depends: Optional[Depends] = None  # what it needs: versions and extensions
    platform: Optional[str] = None
    provisional: bool = False
    promotedto: Optional[str] = None  # 'VK_VERSION_1_3' or an extension
    requires: List[Requirement] = field(default_factory=list)

    def needs_core(self) -> str:
        """The lowest core version its depends expression can hold with:
        '1.1' for 'VK_VERSION_1_1+VK_KHR_x', '1.0' where a version is only
        one alternative ('VK_KHR_get_physical_device_properties2,VK_VERSION_1_1')."""
        def lowest(d: Optional[Depends]):
            if d is None:
                return (1, 0)
            if d.op == 'name':
                m = re.fullmatch(r'VK_VERSION_(\d+)_(\d+)', d.name)
                return (int(m.group(1)), int(m.group(2))) if m else (1, 0)
            parts = [lowest(a) for a in d.args]
            return max(parts) if d.op == '+' else min(parts)
        return '%d.%d' % lowest(self.depends)


@dataclass
class Registry:
    path: str
    header_version: int           # 309: VK_HEADER_VERSION
    video_path: Optional[str] = None  # video.xml, when read: the Std video codec structures
    header_major_minor: str = '1.0'  # '1.4': from VK_HEADER_VERSION_COMPLETE
    constants: Dict[str, str] = field(default_factory=dict)   # 'VK_UUID_SIZE' -> '16'
    basetypes: Dict[str, str] = field(default_factory=dict)   # 'VkDeviceSize' -> 'uint64_t'
    structs: Dict[str, Struct] = field(default_factory=dict)
    handles: Dict[str, Handle] = field(default_factory=dict)
    enums: Dict[str, Enum] = field(default_factory=dict)
    bitmasks: Dict[str, Bitmask] = field(default_factory=dict)
    funcpointers: Set[str] = field(default_factory=set)
    commands: Dict[str, Command] = field(default_factory=dict)
    features: List[Feature] = field(default_factory=list)
    extensions: Dict[str, Extension] = field(default_factory=dict)
    formats: Dict[str, Format] = field(default_factory=dict)    # 'VK_FORMAT_R8_UNORM' -> its block
    type_alias: Dict[str, str] = field(default_factory=dict)     # alias -> target
    command_alias: Dict[str, str] = field(default_factory=dict)  # alias -> target

    def where(self, line: int, file: str = '') -> str:
        """'vk.xml:1234', or 'video.xml:88' for an object read from video.xml."""
        return f'{file or self.path}:{line}'

    @property
    def version(self) -> str:
        """The registry's own version: '1.4.309'."""
        return f'{self.header_major_minor}.{self.header_version}'

    def resolve_type(self, name: str) -> str:
        while name in self.type_alias:
            name = self.type_alias[name]
        return name

    def resolve_command(self, name: str) -> str:
        while name in self.command_alias:
            name = self.command_alias[name]
        return name

    def category(self, name: str) -> str:
        """'struct', 'union', 'handle', 'enum', 'bitmask', 'scalar', 'funcpointer', 'void', 'other'."""
        name = self.resolve_type(name)
        if name in self.structs:
            return 'union' if self.structs[name].is_union else 'struct'
        if name in self.handles:
            return 'handle'
        if name in self.enums:
            return 'enum'
        if name in self.bitmasks:
            return 'bitmask'
        if name in SCALAR_KINDS:
            return 'scalar'
        if name in self.funcpointers:
            return 'funcpointer'
        if name == 'void':
            return 'void'
        return 'other'


# ---------------------------------------------------------------- parsing

def _text(node) -> str:
    return node.text or ''


def _split(value: Optional[str]) -> List[str]:
    return [v for v in value.split(',')] if value else []


def _for_vulkan(node) -> bool:
    """An element without api=, or one whose api list names Vulkan (the
    registry also describes Vulkan SC: its variants are dropped here)."""
    api = node.get('api')
    return api is None or 'vulkan' in _split(api)


# The schema this model reads: each element (by its path of tags) and the
# attributes it may carry.  Anything else is a construct this model cannot
# read, and parse() names it rather than dropping it.  Attributes listed
# that the model does not keep carry nothing the wire needs (documentation,
# authorship, validation hints); subtrees in _SCHEMA_IGNORED describe things
# vkwire does not use (SPIR-V capabilities, synchronisation scopes, video
# codecs), whatever they contain.
_DOC = {'comment', 'deprecated'}
_SCHEMA = {
    'registry': set(),
    'registry/comment': set(),
    'registry/types': {'comment'},
    'registry/types/comment': set(),
    'registry/types/type': {'alias', 'allowduplicate', 'api', 'bitvalues', 'category', 'name',
                            'objtypeenum', 'parent', 'requires', 'returnedonly',
                            'structextends'} | _DOC,
    'registry/types/type/comment': set(),
    'registry/types/type/name': set(),
    'registry/types/type/type': set(),
    'registry/types/type/member': {'altlen', 'api', 'externsync', 'featurelink', 'len',
                                   'limittype', 'noautovalidity', 'objecttype', 'optional',
                                   'selection', 'selector', 'values'} | _DOC,
    'registry/types/type/member/comment': set(),
    'registry/types/type/member/enum': set(),
    'registry/types/type/member/name': set(),
    'registry/types/type/member/type': set(),
    'registry/enums': {'bitwidth', 'name', 'type'} | _DOC,
    'registry/enums/comment': set(),
    'registry/enums/enum': {'alias', 'api', 'bitpos', 'name', 'type', 'value'} | _DOC,
    'registry/enums/unused': {'start', 'end'} | _DOC,
    'registry/commands': {'comment'},
    'registry/commands/command': {'alias', 'api', 'cmdbufferlevel', 'errorcodes', 'name',
                                  'queues', 'renderpass', 'successcodes', 'tasks',
                                  'videocoding', 'allownoqueues', 'conditionalrendering'} | _DOC,
    'registry/commands/command/proto': set(),
    'registry/commands/command/proto/name': set(),
    'registry/commands/command/proto/type': set(),
    'registry/commands/command/param': {'altlen', 'api', 'externsync', 'len', 'noautovalidity',
                                        'objecttype', 'optional', 'stride',
                                        'validstructs'} | _DOC,
    'registry/commands/command/param/name': set(),
    'registry/commands/command/param/type': set(),
    'registry/commands/command/implicitexternsyncparams': set(),
    'registry/commands/command/implicitexternsyncparams/param': set(),
    'registry/feature': {'api', 'depends', 'name', 'number'} | _DOC,
    'registry/feature/require': {'depends'} | _DOC,
    'registry/feature/remove': {'reasonlink'} | _DOC,
    'registry/extensions': {'comment'},
    'registry/extensions/extension': {'author', 'contact', 'depends', 'deprecatedby', 'name',
                                      'nofeatures', 'number', 'obsoletedby', 'platform',
                                      'promotedto', 'provisional', 'ratified', 'sortorder',
                                      'specialuse', 'supported', 'type'} | _DOC,
    'registry/extensions/extension/require': {'api', 'depends'} | _DOC,
    'registry/extensions/extension/remove': {'api', 'depends', 'reasonlink'} | _DOC,
    'registry/formats': set(),
    'registry/formats/format': {'blockExtent', 'blockSize', 'chroma', 'class', 'compressed',
                                'name', 'packed', 'texelsPerBlock'} | _DOC,
    'registry/formats/format/component': {'bits', 'name', 'numericFormat', 'planeIndex'} | _DOC,
    'registry/formats/format/plane': {'compatible', 'heightDivisor', 'index',
                                      'widthDivisor'} | _DOC,
    'registry/formats/format/spirvimageformat': {'name'},
}
for _block in ('registry/feature/require', 'registry/feature/remove',
               'registry/extensions/extension/require', 'registry/extensions/extension/remove'):
    _SCHEMA[_block + '/comment'] = set()
    _SCHEMA[_block + '/command'] = {'name'} | _DOC
    _SCHEMA[_block + '/type'] = {'name'} | _DOC
    _SCHEMA[_block + '/feature'] = {'name', 'struct'} | _DOC
    _SCHEMA[_block + '/enum'] = {'alias', 'api', 'bitpos', 'dir', 'extends', 'extnumber', 'name',
                                 'offset', 'protect', 'type', 'value'} | _DOC
_SCHEMA_IGNORED = {'registry/platforms', 'registry/tags',
                   'registry/spirvextensions', 'registry/spirvcapabilities', 'registry/sync',
                   'registry/videocodecs'}


# video.xml (beside vk.xml in Vulkan-Headers): the codec structures
# ('StdVideoH264SequenceParameterSet'), their enums and constants, which
# vk.xml names but does not define.  Its members carry no len=, optional=
# or other attributes: where a pointer points at several elements, the
# annotations say so (gen/annotations.conf, "length").
_VIDEO_SCHEMA = {
    'registry': set(),
    'registry/comment': set(),
    'registry/types': {'comment'},
    'registry/types/comment': set(),
    'registry/types/type': {'category', 'name', 'requires'} | _DOC,
    'registry/types/type/comment': set(),
    'registry/types/type/name': set(),
    'registry/types/type/type': set(),
    'registry/types/type/member': set(_DOC),
    'registry/types/type/member/comment': set(),
    'registry/types/type/member/enum': set(),
    'registry/types/type/member/name': set(),
    'registry/types/type/member/type': set(),
    'registry/enums': {'name', 'type'} | _DOC,
    'registry/enums/comment': set(),
    'registry/enums/enum': {'alias', 'name', 'value'} | _DOC,
    'registry/extensions': {'comment'},
    'registry/extensions/extension': {'name', 'supported'} | _DOC,
    'registry/extensions/extension/require': set(_DOC),
    'registry/extensions/extension/require/comment': set(),
    'registry/extensions/extension/require/enum': {'name', 'value'} | _DOC,
    'registry/extensions/extension/require/type': {'name'} | _DOC,
}


def _check_schema(path: str, root, schema=None, ignored=None) -> None:
    """Refuse a registry that uses an element or attribute this model
    does not know, naming FILE:LINE and the construct."""
    schema = _SCHEMA if schema is None else schema
    ignored = _SCHEMA_IGNORED if ignored is None else ignored

    def walk(node, where):
        for child in node:
            if not isinstance(child.tag, str):
                continue  # XML comments
            sub = f'{where}/{child.tag}'
            if sub in ignored:
                continue
            allowed = schema.get(sub)
            if allowed is None:
                raise ModelError(f'{path}:{child.sourceline}: <{child.tag}> inside <{node.tag}> '
                                 'is a registry construct gen/vkmodel.py cannot read')
            for attr in child.attrib:
                if attr not in allowed:
                    raise ModelError(f'{path}:{child.sourceline}: <{child.tag} {attr}="..."> is '
                                     'a registry construct gen/vkmodel.py cannot read')
            walk(child, sub)
    if root.tag != 'registry':
        raise ModelError(f'{path}:{root.sourceline}: the root is <{root.tag}>, not <registry>')
    walk(root, 'registry')


def _parse_decl(reg: Registry, node, what: str, file: str = '') -> Member:
    """A <member> or <param>: text, <type>, text, <name>, text (dims, bitfield)."""
    type_node = node.find('type')
    name_node = node.find('name')
    if type_node is None or name_node is None:
        raise ModelError(f'{reg.where(node.sourceline, file)}: {what} without <type> or <name>')
    before, between, after = [], [], []
    part = before
    if node.text:
        before.append(node.text)
    for child in node:
        if child is type_node:
            part = between
        elif child is name_node:
            part = after
        elif child.tag == 'enum':
            part.append(_text(child))
        elif child.tag == 'comment':
            pass
        if child.tail:
            part.append(child.tail)
    before_s, between_s, after_s = ''.join(before), ''.join(between), ''.join(after)
    m = Member(name=_text(name_node), type=_text(type_node), line=node.sourceline, file=file)
    m.pointers = between_s.count('*')
    m.const = 'const' in before_s
    m.inner_const = 'const' in between_s
    m.array_dims = re.findall(r'\[([^\]]+)\]', after_s)
    bitfield = re.search(r':\s*(\d+)', after_s)
    m.bitfield = int(bitfield.group(1)) if bitfield else None
    m.len = _split(node.get('len'))
    m.altlen = node.get('altlen')
    m.optional = [v == 'true' for v in _split(node.get('optional'))]
    m.noautovalidity = node.get('noautovalidity') == 'true'
    m.externsync = node.get('externsync')
    m.values = node.get('values')
    m.selector = node.get('selector')
    m.selection = _split(node.get('selection'))
    m.stride = node.get('stride')
    m.objecttype = node.get('objecttype')
    m.validstructs = _split(node.get('validstructs'))
    return m


def _eval_dim(reg: Registry, dim: str, line: int, file: str = '') -> int:
    dim = dim.strip()
    if dim.isdigit():
        return int(dim)
    if dim in reg.constants and re.fullmatch(r'(0[xX][0-9a-fA-F]+|\d+)U?', reg.constants[dim]):
        return int(reg.constants[dim].rstrip('U'), 0)
    raise ModelError(f'{reg.where(line, file)}: array size {dim!r} is not a known constant')


def _enum_value(reg: Registry, node, extnumber: Optional[int]) -> Optional[int]:
    """The integer of an <enum> that adds a value, or None for an alias."""
    if node.get('alias'):
        return None
    if node.get('value') is not None:
        v = node.get('value')
        return int(v, 16) if v.lower().startswith('0x') else int(v)
    if node.get('bitpos') is not None:
        return 1 << int(node.get('bitpos'))
    if node.get('offset') is not None:
        number = int(node.get('extnumber') or extnumber or 0)
        value = 1000000000 + (number - 1) * 1000 + int(node.get('offset'))
        return -value if node.get('dir') == '-' else value
    raise ModelError(f'{reg.where(node.sourceline)}: enum {node.get("name")} has no value')


def _parse_require(reg: Registry, req, origin: str, extnumber: Optional[int]) -> Requirement:
    depends = req.get('depends')
    r = Requirement(depends=parse_depends(depends, reg.where(req.sourceline)) if depends else None)
    for child in req:
        if not isinstance(child.tag, str) or not _for_vulkan(child):
            continue
        if child.tag == 'command':
            r.commands.append(child.get('name'))
        elif child.tag == 'type':
            r.types.append(child.get('name'))
        elif child.tag == 'feature':
            r.features.append((child.get('struct'), child.get('name')))
        elif child.tag == 'enum' and child.get('extends'):
            value = _enum_value(reg, child, extnumber)
            r.enum_values.append((child.get('extends'),
                                  EnumValue(child.get('name'), value if value is not None else 0,
                                            origin, child.get('alias'))))
    return r


def _header_defines(reg: Registry, node) -> None:
    """VK_HEADER_VERSION (the patch) and VK_HEADER_VERSION_COMPLETE (major.minor)."""
    text = ''.join(node.itertext()).strip()
    if node.get('name') == 'VK_HEADER_VERSION' or \
            re.search(r'#define\s+VK_HEADER_VERSION\s+\d+', text):
        m = re.search(r'(\d+)\s*$', text)
        reg.header_version = int(m.group(1)) if m else 0
    m = re.search(r'VK_HEADER_VERSION_COMPLETE\s+VK_MAKE_API_VERSION\(\s*\d+\s*,\s*(\d+)\s*,'
                  r'\s*(\d+)\s*,', text)
    if m:
        reg.header_major_minor = f'{m.group(1)}.{m.group(2)}'


def _int_attr(reg: Registry, node, name: str, default: Optional[int] = None) -> int:
    value = node.get(name)
    if value is None and default is not None:
        return default
    if value is None or not value.isdigit():
        raise ModelError(f'{reg.where(node.sourceline)}: <{node.tag} {name}="{value}">: '
                         'a whole number is needed')
    return int(value)


def _parse_formats(reg: Registry, node) -> None:
    """<formats>: each format's texel block, components and planes.  A plane
    must name a format the section describes too."""
    for f in node.findall('format'):
        extent = f.get('blockExtent')
        fmt = Format(name=f.get('name'), line=f.sourceline, format_class=f.get('class') or '',
                     block_size=_int_attr(reg, f, 'blockSize'),
                     texels_per_block=_int_attr(reg, f, 'texelsPerBlock'),
                     packed=_int_attr(reg, f, 'packed') if f.get('packed') else None,
                     compressed=f.get('compressed'), chroma=f.get('chroma'))
        if extent is not None:
            dims = extent.split(',')
            if len(dims) != 3 or not all(d.isdigit() and int(d) > 0 for d in dims):
                raise ModelError(f'{reg.where(f.sourceline)}: {fmt.name}: blockExtent="{extent}" '
                                 'is not three positive numbers')
            fmt.block_extent = tuple(int(d) for d in dims)
        if fmt.block_size == 0:
            raise ModelError(f'{reg.where(f.sourceline)}: {fmt.name}: blockSize 0')
        for c in f.findall('component'):
            bits = c.get('bits')
            if bits != 'compressed' and not (bits or '').isdigit():
                raise ModelError(f'{reg.where(c.sourceline)}: {fmt.name}: component bits="{bits}" '
                                 'is neither a number nor "compressed"')
            fmt.components.append(FormatComponent(
                name=c.get('name'), bits=None if bits == 'compressed' else int(bits),
                numeric_format=c.get('numericFormat') or '',
                plane=_int_attr(reg, c, 'planeIndex') if c.get('planeIndex') else None))
        for pl in f.findall('plane'):
            fmt.planes.append(FormatPlane(index=_int_attr(reg, pl, 'index'),
                                          width_divisor=_int_attr(reg, pl, 'widthDivisor'),
                                          height_divisor=_int_attr(reg, pl, 'heightDivisor'),
                                          compatible=pl.get('compatible')))
        if [p.index for p in fmt.planes] != list(range(len(fmt.planes))):
            raise ModelError(f'{reg.where(f.sourceline)}: {fmt.name}: planes are not numbered '
                             '0, 1, 2 in order')
        if fmt.name in reg.formats:
            raise ModelError(f'{reg.where(f.sourceline)}: {fmt.name} is described twice')
        reg.formats[fmt.name] = fmt
    for fmt in reg.formats.values():
        for pl in fmt.planes:
            if pl.compatible not in reg.formats:
                raise ModelError(f'{reg.where(fmt.line)}: {fmt.name} plane {pl.index} is '
                                 f'compatible with {pl.compatible}, which <formats> lacks')


def video_xml_beside(path: str) -> Optional[str]:
    """video.xml in vk.xml's folder (Vulkan-Headers installs them together), or None."""
    candidate = os.path.join(os.path.dirname(os.path.abspath(path)), 'video.xml')
    return candidate if os.path.isfile(candidate) else None


def _parse_video(reg: Registry, path: str, wanted: Dict[str, int]) -> None:
    """video.xml into the same model: its structs, enums and constants,
    each remembering the file it came from.  `wanted`: the names vk.xml
    declares as coming from a vk_video/ header, and their vk.xml lines."""
    try:
        tree = etree.parse(path)
    except (OSError, etree.XMLSyntaxError) as e:
        raise ModelError(f'{path}: cannot read the video registry: {e}') from e
    root = tree.getroot()
    _check_schema(path, root, _VIDEO_SCHEMA, set())
    reg.video_path = path

    def fresh(name: str, line: int) -> None:
        if name in reg.structs or name in reg.enums or name in reg.handles or \
                name in reg.bitmasks or name in reg.type_alias:
            raise ModelError(f'{path}:{line}: {name} is defined by vk.xml too')

    for x in root.iter('extension'):
        for e in x.iter('enum'):
            name, value = e.get('name'), e.get('value')
            if value is None:
                raise ModelError(f'{path}:{e.sourceline}: constant {name} has no value')
            if reg.constants.get(name, value) != value:
                raise ModelError(f'{path}:{e.sourceline}: constant {name} is {value} here '
                                 f'and {reg.constants[name]} in vk.xml')
            reg.constants[name] = value
    for t in root.find('types').findall('type'):
        cat, line = t.get('category'), t.sourceline
        name = t.get('name') or (t.find('name').text if t.find('name') is not None else None)
        if cat in ('include', 'define'):
            continue  # C preprocessor lines: nothing that crosses the wire
        if cat is None:
            if name not in SCALAR_KINDS:
                raise ModelError(f'{path}:{line}: <type name="{name}"> without a category is '
                                 'not a C scalar gen/vkmodel.py knows')
            continue
        fresh(name, line)
        if cat == 'struct':
            s = Struct(name=name, line=line, file=path)
            for m in t.findall('member'):
                s.members.append(_parse_decl(reg, m, f'member of {name}', path))
            reg.structs[name] = s
        elif cat == 'enum':
            reg.enums[name] = Enum(name=name, line=line, file=path)
        else:
            raise ModelError(f'{path}:{line}: <type category="{cat}"> in video.xml is a '
                             'construct gen/vkmodel.py cannot read')
    for enums in root.findall('enums'):
        e = reg.enums.get(enums.get('name'))
        if e is None or not e.file:
            raise ModelError(f'{path}:{enums.sourceline}: <enums name="{enums.get("name")}"> '
                             'has no <type category="enum"> in video.xml')
        if enums.get('type') != 'enum':
            raise ModelError(f'{path}:{enums.sourceline}: <enums type="{enums.get("type")}"> '
                             'in video.xml: only type="enum" is read')
        for v in enums.findall('enum'):
            value = _enum_value(reg, v, None)
            e.values[v.get('name')] = EnumValue(v.get('name'), value if value is not None else 0,
                                                'video.xml', v.get('alias'))
    for name, line in wanted.items():
        if name not in reg.structs and name not in reg.enums:
            raise ModelError(f'{reg.where(line)}: {name} comes from a vk_video/ header, but '
                             f'{path} does not define it')


def parse(path: str, video_path: Optional[str] = None) -> Registry:
    """vk.xml, and video.xml's codec structures when `video_path` is given."""
    try:
        tree = etree.parse(path)
    except (OSError, etree.XMLSyntaxError) as e:
        raise ModelError(f'{path}: cannot read the registry: {e}') from e
    root = tree.getroot()
    _check_schema(path, root)
    reg = Registry(path=path, header_version=0)
    video_types: Dict[str, int] = {}  # vk.xml's names of vk_video/ types -> line

    for enums in root.findall('enums'):
        if enums.get('name') == 'API Constants':
            for e in enums.findall('enum'):
                if not _for_vulkan(e):
                    continue
                if e.get('value') is not None:
                    reg.constants[e.get('name')] = e.get('value')
                elif e.get('alias'):
                    reg.constants[e.get('name')] = reg.constants.get(e.get('alias'), '0')

    for t in root.find('types').findall('type'):
        cat = t.get('category')
        name = t.get('name') or (t.find('name').text if t.find('name') is not None else None)
        if not _for_vulkan(t):
            continue
        if t.get('alias'):
            reg.type_alias[name] = t.get('alias')
            continue
        line = t.sourceline
        if cat is None and (t.get('requires') or '').startswith('vk_video/'):
            video_types[name] = line
        if cat in ('struct', 'union'):
            s = Struct(name=name, line=line, is_union=(cat == 'union'),
                       returnedonly=t.get('returnedonly') == 'true',
                       structextends=_split(t.get('structextends')))
            for m in t.findall('member'):
                if _for_vulkan(m):
                    s.members.append(_parse_decl(reg, m, f'member of {name}'))
            reg.structs[name] = s
        elif cat == 'handle':
            kind = _text(t.find('type'))
            reg.handles[name] = Handle(name=name, line=line,
                                       dispatchable=(kind == 'VK_DEFINE_HANDLE'),
                                       parents=_split(t.get('parent')),
                                       objtypeenum=t.get('objtypeenum'))
        elif cat == 'enum':
            reg.enums[name] = Enum(name=name, line=line)
        elif cat == 'bitmask':
            base = _text(t.find('type'))
            reg.bitmasks[name] = Bitmask(name=name, line=line, base=base,
                                         bits=t.get('requires') or t.get('bitvalues'))
        elif cat == 'basetype':
            tn = t.find('type')
            if tn is not None:
                reg.basetypes[name] = _text(tn)
        elif cat == 'funcpointer':
            reg.funcpointers.add(name)
        elif cat == 'define':
            _header_defines(reg, t)

    for alias, target in reg.type_alias.items():
        for table in (reg.structs, reg.handles, reg.enums, reg.bitmasks):
            if target in table:
                table[target].aliases.append(alias)

    for enums in root.findall('enums'):
        e = reg.enums.get(enums.get('name'))
        if e is None:
            continue
        e.is_bitmask = enums.get('type') == 'bitmask'
        e.bitwidth = int(enums.get('bitwidth') or 32)
        for v in enums.findall('enum'):
            if not _for_vulkan(v):
                continue
            value = _enum_value(reg, v, None)
            e.values[v.get('name')] = EnumValue(v.get('name'), value if value is not None else 0,
                                                'VK_VERSION_1_0', v.get('alias'))

    for c in root.find('commands').findall('command'):
        if not _for_vulkan(c):
            continue
        if c.get('alias'):
            reg.command_alias[c.get('name')] = c.get('alias')
            continue
        proto = c.find('proto')
        cmd = Command(name=_text(proto.find('name')), line=c.sourceline,
                      return_type=_text(proto.find('type')),
                      successcodes=_split(c.get('successcodes')),
                      errorcodes=_split(c.get('errorcodes')),
                      queues=_split(c.get('queues')),
                      cmdbufferlevel=_split(c.get('cmdbufferlevel')))
        for p in c.findall('param'):
            if _for_vulkan(p):
                cmd.params.append(_parse_decl(reg, p, f'param of {cmd.name}'))
        reg.commands[cmd.name] = cmd
    for alias, target in reg.command_alias.items():
        if target in reg.commands:
            reg.commands[target].aliases.append(alias)

    for f in root.findall('feature'):
        if not _for_vulkan(f):
            continue
        if f.find('remove') is not None:
            raise ModelError(f'{reg.where(f.find("remove").sourceline)}: Vulkan feature '
                             f'{f.get("name")} removes part of the API: gen/vkmodel.py cannot '
                             'read <remove> for Vulkan')
        feat = Feature(name=f.get('name'), number=f.get('number'), line=f.sourceline)
        for req in f.findall('require'):
            feat.requires.append(_parse_require(reg, req, feat.name, None))
        reg.features.append(feat)

    for x in root.find('extensions').findall('extension'):
        number = int(x.get('number'))
        depends = x.get('depends')
        ext = Extension(name=x.get('name'), line=x.sourceline, number=number,
                        kind=x.get('type') or 'device',
                        supported=_split(x.get('supported')),
                        depends=parse_depends(depends, reg.where(x.sourceline)) if depends else None,
                        platform=x.get('platform'),
                        provisional=x.get('provisional') == 'true',
                        promotedto=x.get('promotedto'))
        for req in x.findall('require'):
            if _for_vulkan(req):
                ext.requires.append(_parse_require(reg, req, ext.name, number))
        # <remove> in an extension takes away required features (a
        # portability subset): nothing on the wire changes.
        reg.extensions[ext.name] = ext

    formats = root.find('formats')
    if formats is not None:
        _parse_formats(reg, formats)

    if not reg.header_version:
        raise ModelError(f'{path}: no VK_HEADER_VERSION: not a Vulkan registry')
    if video_path:
        _parse_video(reg, video_path, video_types)

    # Resolve array sizes and the reverse structextends relation.
    for s in reg.structs.values():
        for m in s.members:
            m.array_sizes = [_eval_dim(reg, d, m.line, m.file) for d in m.array_dims]
        for base in s.structextends:
            base = reg.resolve_type(base)
            if base in reg.structs:
                reg.structs[base].extended_by.append(s.name)
    for cmd in reg.commands.values():
        for p in cmd.params:
            p.array_sizes = [_eval_dim(reg, d, p.line) for d in p.array_dims]
    return reg


# ---------------------------------------------------------------- selection

@dataclass
class Selection:
    """What one API version plus a list of extensions brings in."""
    version: str                               # '1.4'
    features: List[str] = field(default_factory=list)
    extensions: List[str] = field(default_factory=list)
    commands: List[str] = field(default_factory=list)  # canonical names, registry order
    command_origin: Dict[str, str] = field(default_factory=dict)  # name -> feature/ext
    alias_commands: Dict[str, str] = field(default_factory=dict)  # selected alias -> target
    # Every command name selected (aliases too) -> the conditions under which
    # a device or instance has it, one per <require> that names it:
    # 'VK_VERSION_1_4', 'VK_KHR_push_descriptor', or with the block's depends
    # 'VK_KHR_descriptor_update_template+(VK_KHR_push_descriptor)'.
    command_conditions: Dict[str, List[str]] = field(default_factory=dict)
    types: Set[str] = field(default_factory=set)
    enum_values: Dict[str, Dict[str, int]] = field(default_factory=dict)  # VkFormat -> {name: value}


def _version_tuple(v: str):
    return tuple(int(x) for x in v.split('.'))


def select(reg: Registry, version: str, extensions: List[str]) -> Selection:
    sel = Selection(version=version)
    enabled_features = [f for f in reg.features
                        if _version_tuple(f.number) <= _version_tuple(version)]
    sel.features = [f.name for f in enabled_features]
    sel.extensions = list(extensions)
    enabled = set(sel.features) | set(extensions)
    seen_cmd: Set[str] = set()

    # A feature named in a depends expression ('Struct::member') is the
    # device's to have: what a block brings for it is forwarded too.
    def have(name: str) -> bool:
        return name in enabled or '::' in name

    def take(origin: str, req: Requirement):
        if req.depends is not None and not req.depends.evaluate(have):
            return
        condition = origin if req.depends is None else f'{origin}+{req.depends}'
        for name in req.commands:
            target = reg.resolve_command(name)
            if name != target:
                sel.alias_commands[name] = target
            conditions = sel.command_conditions.setdefault(name, [])
            if condition not in conditions:
                conditions.append(condition)
            if target not in seen_cmd:
                seen_cmd.add(target)
                sel.commands.append(target)
                sel.command_origin[target] = origin
        for t in req.types:
            sel.types.add(reg.resolve_type(t))
        for enum_name, value in req.enum_values:
            if value.alias_of is None:
                sel.enum_values.setdefault(reg.resolve_type(enum_name), {})[value.name] = value.value

    for f in enabled_features:
        for req in f.requires:
            take(f.name, req)
    for name in extensions:
        for req in reg.extensions[name].requires:
            take(name, req)

    # Base values of every enum, then the ones features/extensions added above.
    for e in reg.enums.values():
        base = {n: v.value for n, v in e.values.items() if v.alias_of is None}
        sel.enum_values[e.name] = {**base, **sel.enum_values.get(e.name, {})}
    return sel
