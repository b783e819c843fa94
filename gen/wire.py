"""Wire facts: how each selected command and struct crosses the wire.

This layer reads the model (vkmodel) and the annotations and answers the
questions templates ask: which parameters travel in the command and which
in the reply, how arrays are counted, which structs are needed in which
direction, what is skipped and why.  It emits no C; templates do.

Shapes of a field (a struct member or a command parameter):
  value         a scalar, enum, bitmask, handle, struct or union held by value
  fixed         T name[N]: N elements in place (uint8_t/char: a byte run)
  fixed_string  char name[N]: a string of at most N-1 bytes
  pointer       T *: presence word, then one element
  array         T *: presence word, u64 count, count elements
  string        const char *: presence word, then a string
  string_array  const char * const *: presence, u64 count, count strings
  blob          void * with a byte length: presence, u64 count, bytes
  custom        encoded and decoded by the functions an encode-with annotation names
  bits          consecutive bit-fields ('uint32_t flag : 1'): one u32 word holds
                them, each at its shift in declaration order (a member that
                does not fit in what is left starts the next word); the
                generated code packs and unpacks them member by member
                (the reply's part too, where it names reply functions)
Kinds are those of vkmodel plus 'fd': an `int` that an fd or fd-import
annotation calls a file descriptor.  It travels beside the message; the
bytes carry its index (a u32, or VKW_NO_FD for -1).
Directions: in (command), out (reply; the command carries presence, count
and the sTypes of out chains), inout (both), created (guest-chosen ids of
new objects travel in the command; for arrays of them the reply says which
ones the driver made).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import formats as formats_mod
from vkmodel import SCALAR_KINDS, Command, Member, Registry, Selection, Struct


class WireError(Exception):
    pass


BYTE_TYPES = {'uint8_t', 'int8_t', 'char'}
# vk.xml's C return types and how the reply carries them.
RETURN_KINDS = {'void': None, 'VkResult': 'i32', 'VkBool32': 'u32', 'uint32_t': 'u32',
                'uint64_t': 'u64', 'VkDeviceAddress': 'u64', 'VkDeviceSize': 'u64',
                'PFN_vkVoidFunction': 'presence'}


@dataclass
class Field:
    name: str                    # 'pQueueFamilyIndices'
    ctype: str                   # element type: 'uint32_t', 'VkBuffer'
    kind: str                    # scalar enum bitmask handle struct union string bytes
    shape: str                   # see the module comment
    wire: str = ''               # u32 u64 i32 i64 f32 f64 for scalars, enums, bitmasks
    direction: str = 'in'        # in out inout created
    optional: bool = False       # the pointer or handle may be NULL
    count_tmpl: Optional[str] = None  # C count with '@' for the owner prefix
    count_guards: List[str] = field(default_factory=list)  # pointers count_tmpl dereferences
    # pointer_array (T* const* name): each of the count pointers points at
    # inner_count_tmpl elements; C with '@' for the owner prefix and `i` for
    # the outer index ('@pInfos[i].geometryCount', or '1').
    inner_count_tmpl: Optional[str] = None
    fixed: int = 0               # element count of a fixed array
    encode_if: Optional[str] = None  # C condition over '@' (the owner) from the annotations
    # {'guest': fn, 'host': fn}: hand-written; with 'guest_reply' and
    # 'host_reply' the reply carries what the parameter brings back, written
    # and read by those (after the result and the other outputs)
    encode_with: Optional[Dict[str, str]] = None
    keep_unwritten: bool = False  # an output blob the driver may write only in part:
                                  # its bytes travel in, so the rest comes back unchanged
    all_or_nothing: bool = False  # an output blob the driver fills whole or not at all:
                                  # its bytes come back only with VK_SUCCESS
    # A blob whose byte count is a property of the command's device (a
    # `length` annotation): the enum vkw_device_length value.  Its count_tmpl
    # is VKW_DEVICE_LENGTH(what), which each generated file defines from
    # what it has at hand (the writer's device, the decoder's, the test's).
    device_length: Optional[str] = None
    # kind 'fd' with an fd-import annotation: the C condition (over '@', the
    # owner) under which the driver takes the fd when the command succeeds;
    # the fd travels only then (VKW_NO_FD otherwise).
    fd_import: Optional[str] = None
    handle_type: Optional[str] = None  # 'VkBuffer' for handles
    dispatchable: bool = False
    is_count: bool = False       # another field's length refers to it
    keep_id: bool = False        # the host keeps the guest id too (destroy, parent)
    destroys: bool = False       # what a vkDestroy*/vkFree* destroys: an id whose
                                 # asynchronous creation failed is accepted (as NULL)
    const: bool = False          # the C declaration's pointee is const
    # vk.xml stride="stride": the application's elements lie `stride` bytes
    # apart (vkCmdDrawMultiEXT).  The guest reads them one by one; the host
    # holds them packed, so it hands the driver its own element size.
    # vk.xml objecttype="objectType": a bare uint64_t that is a handle of the
    # type a sibling names (VkObjectType or VkDebugReportObjectTypeEXT).  The
    # guest sends the object's id, the host its own handle for it.
    object_type: Optional[str] = None  # C expr (with '@') of the sibling
    # A void* the driver never reads through, only keeps and hands back (a
    # checkpoint marker): it travels as a 64-bit value (pointer-value).
    pointer_value: bool = False
    object_type_enum: Optional[str] = None  # 'VkObjectType'
    selector: Optional[str] = None  # a union member: the C expr (with '@') choosing its member
    selection: List[str] = field(default_factory=list)  # a selected union's member: the values
    stride: Optional[str] = None  # the sibling holding the stride
    stride_of: Optional[str] = None  # on that sibling: the array it spaces
    # An array an output struct holds for the driver to fill (PhysicalDevice
    # Vulkan14Properties.pCopySrcLayouts), and on its count member the array
    # whose capacity it gives.
    driver_filled: bool = False
    capacity_of: Optional[str] = None
    # shape 'bits': the bit-fields one wire word holds, in declaration order.
    bits: List['BitField'] = field(default_factory=list)
    # A struct whose encoder takes a param (annotations: param, pass): the
    # C expression (with '@') this member hands it ('@vps_max_sub_layers_minus1 + 1').
    pass_tmpl: Optional[str] = None
    # A handle whose vk.xml parent is a non-dispatchable object a sibling
    # names (VkVideoBeginCodingInfoKHR.videoSessionParameters and its
    # videoSession): the host checks it was made from that very object.
    made_from: Optional[str] = None
    made_from_type: Optional[str] = None  # that sibling's handle type
    model: Optional[Member] = None

    def pass_arg(self, prefix: str) -> str:
        """', (uint32_t)(...)' for a member whose struct takes a param, else ''."""
        if not self.pass_tmpl:
            return ''
        return f', (uint32_t)({self.pass_tmpl.replace("@", prefix)})'

    def count(self, prefix: str) -> str:
        return self.count_tmpl.replace('@', prefix)

    def inner_count(self, prefix: str) -> str:
        return self.inner_count_tmpl.replace('@', prefix)

    def count_guard(self, prefix: str) -> str:
        """C that is true when count() may be evaluated."""
        return ' && '.join(g.replace('@', prefix) for g in self.count_guards) or 'true'

    def cond(self, prefix: str) -> str:
        return self.encode_if.replace('@', prefix)

    @property
    def custom_reply(self) -> bool:
        """A hand-written (encode-with) parameter with a part in the reply."""
        return bool(self.encode_with and 'guest_reply' in self.encode_with)

    @property
    def required(self) -> bool:
        """vk.xml requires a value: a non-NULL pointer (a non-empty array's
        pointer) or a handle other than VK_NULL_HANDLE.  The same rule the
        validation layers apply; conditional members are exempt.  A strided
        array is required despite its noautovalidity (the layers cannot walk
        a stride; the spec still wants its elements): the driver reads them."""
        return not (self.optional or (self.model.noautovalidity and not self.stride) or
                    self.encode_if or self.shape in ('skip', 'custom', 'fixed', 'fixed_string'))

    @property
    def required_when(self) -> bool:
        """An encode-if pointer that must be there while its condition
        holds (video.xml's "must be a valid pointer if flag is set"): the
        host refuses it absent then.  vk.xml's own encode-if members are
        optional or noautovalidity, and exempt."""
        return bool(self.encode_if) and not self.optional and \
            not self.model.noautovalidity and self.shape in ('pointer', 'array')

    @property
    def elements_required(self) -> bool:
        """An input array of handles whose elements vk.xml requires to be
        valid (its `optional` has no second 'true'): VK_NULL_HANDLE there
        is refused, as the validation layers refuse it, since a driver
        dereferences each element (a NULL command buffer in a submit)."""
        optional = self.model.optional if self.model else []
        return (self.kind == 'handle' and self.shape == 'array' and self.direction == 'in'
                and not (self.model and self.model.noautovalidity) and not self.encode_if
                and not (len(optional) > 1 and optional[1]))

    @property
    def is_pointer(self) -> bool:
        return self.shape in ('pointer', 'array', 'string', 'string_array', 'blob',
                              'pointer_array')

    @property
    def elem_bytes(self) -> int:
        """The fewest wire bytes one element can take (bounds hostile counts)."""
        if self.kind == 'bytes' or (self.shape == 'blob'):
            return 1
        if self.kind in ('scalar', 'enum', 'bitmask', 'fd'):
            return 8 if self.wire in ('u64', 'i64', 'f64') else 4
        if self.kind == 'handle':
            return 8
        if self.kind == 'string':
            return 8
        return 4  # structs and unions: at least one word (a chain end or a field)


@dataclass
class BitField:
    """One bit-field member inside a 'bits' word: 'idr_pic_flag', 1 bit at 3."""
    name: str
    width: int
    shift: int

    @property
    def mask(self) -> str:
        """The C mask of `width` bits: '0x1u'."""
        return f'0x{(1 << self.width) - 1:x}u'


@dataclass
class StructFacts:
    name: str
    model: Struct
    fields: List[Field] = field(default_factory=list)   # without sType and pNext
    stype: Optional[str] = None
    has_pnext: bool = False
    extenders: List[str] = field(default_factory=list)  # selected structs for its chain
    is_union: bool = False
    union_words: int = 0          # raw unions: size in 32-bit words
    union_member: Optional[str] = None  # the member whose words stand for the union
    # A union whose members vk.xml ties to values of a selector in the owner
    # (VkDescriptorDataEXT by VkDescriptorGetInfoEXT.type): only the selected
    # member travels, as a field of its own shape.
    selected: bool = False
    used_in: bool = False         # needs command-side encode/decode
    used_out: bool = False        # needs reply-side encode/decode
    is_extension: bool = False    # appears in some chain
    bases: List[str] = field(default_factory=list)  # structs whose chain may hold it
    # An input struct that holds (or reaches) a pointer the driver writes
    # through (VkPipelineCreationFeedbackCreateInfo): the command carries room
    # for it, and the reply walks the struct again to bring the values back.
    inner_outputs: bool = False
    inner_extenders: List[str] = field(default_factory=list)  # chain elements that have them
    # An output struct whose members the command must describe beyond its
    # chain's sTypes: arrays the driver fills (the application's capacity
    # and the array's presence travel in: VkPhysicalDeviceVulkan14Properties
    # .pCopySrcLayouts), and members that are such structs themselves.
    partial_fields: List[Field] = field(default_factory=list)
    # It holds, or reaches through members and chain elements, a blob whose
    # length is a property of the device (Field.device_length).
    device_lengths: bool = False
    # Omitted members that point at one value the driver writes
    # (VkBindMemoryStatus.pResult): the host gives the driver room for it,
    # which nobody reads, so that no driver writes through NULL.
    scratch_fields: List[Field] = field(default_factory=list)
    # An input struct that holds (or reaches through members and chains) file
    # descriptors, and fds the driver imports: the commands that carry it
    # send fds beside their message (PROTOCOL, "File descriptors").
    reaches_fds: bool = False
    reaches_fd_imports: bool = False
    # annotations: param STRUCT NAME: its encoder, decoder and round-trip
    # helpers take `uint32_t NAME`, which its length expressions use.
    param: Optional[str] = None

    @property
    def param_decl(self) -> str:
        """', uint32_t NAME' for a struct with a param, else ''."""
        return f', uint32_t {self.param}' if self.param else ''

    @property
    def param_arg(self) -> str:
        """', NAME': the param passed on as it came, else ''."""
        return f', {self.param}' if self.param else ''

    @property
    def needs_partial(self) -> bool:
        """The command carries a partial form of it (chain sTypes, capacities)."""
        return self.has_pnext or bool(self.partial_fields)

    @property
    def has_handles_out(self) -> bool:
        return any(f.kind == 'handle' for f in self.fields)


@dataclass
class CommandFacts:
    name: str
    model: Command
    opcode: int
    origin: str                   # 'VK_VERSION_1_0' or an extension
    aliases: List[str] = field(default_factory=list)
    params: List[Field] = field(default_factory=list)  # every param, skipped ones shape 'skip'
    return_type: str = 'void'
    return_wire: Optional[str] = None
    needs_reply: bool = False
    hand_written_host: Optional[str] = None
    hand_written_guest: Optional[str] = None
    created: List[Field] = field(default_factory=list)
    destroyed: Optional[Field] = None
    frees_children_of: Optional[Field] = None
    dispatch_param: Optional[Field] = None  # the handle the host dispatches through (required)
    route_param: Optional[Field] = None     # the guest's: a first dispatchable handle, even optional
    parent_expr: Optional[str] = None  # C expr (with '@') of the new objects' parent handle
    parent_type: Optional[str] = None
    parent_param: Optional[Field] = None  # the parameter that is the parent, if one is
    asynchronous: bool = False     # sent without waiting; a host failure is deferred
    reports_deferred: bool = False  # its VkResult carries a deferred failure
    # The driver call may block until something else happens (PROTOCOL
    # section 29): why, from the registry or a may-block annotation; None
    # for a call that returns by itself.
    may_block: Optional[str] = None
    # ... and the guest may send it with the DETACH flag: the host runs the
    # driver call on a thread of its own (generated host dispatch in three
    # parts: decode and check, call, finish).  Hand-written host commands
    # and fd carriers cannot.
    detachable: bool = False
    timeout_param: Optional[Field] = None  # a wait's timeout: the host waits in slices
    # Its parameters reach a blob whose length is a property of the device
    # (Field.device_length): the encoder tells the writer its device, the
    # decoder tells the host decoder its host device, before the rest.
    device_lengths: bool = False
    fd_inputs: bool = False        # its inputs reach file descriptors
    fd_imports: bool = False       # ... that the driver takes when it succeeds
    fd_outputs: List[Field] = field(default_factory=list)  # fds the driver exports
    # A custom (encode-with) parameter that another parameter's length names:
    # the generated round trip cannot fill them apart, tests/roundtrip_special
    # round-trips the whole command (rt_roundtrip_<command>).
    special_roundtrip: bool = False
    # A generated vkDestroy* whose object a recorded command may name, or
    # whose children one may (a descriptor pool's sets): while the guest has
    # command buffers recording, the host keeps the driver object and
    # destroys it once those recordings have ended (PROTOCOL section 28).
    keeps: bool = False

    @property
    def result_type(self) -> str:
        """The C type of the result as the reply carries it: a function
        pointer cannot cross, so the reply says whether the host has one."""
        return 'VkBool32' if self.return_wire == 'presence' else self.return_type

    @property
    def result_wire(self) -> Optional[str]:
        return 'u32' if self.return_wire == 'presence' else self.return_wire

    @property
    def wire_params(self) -> List[Field]:
        return [p for p in self.params if p.shape != 'skip']

    @property
    def out_params(self) -> List[Field]:
        return [p for p in self.params if p.direction in ('out', 'inout')]

    inner_params: List[Field] = field(default_factory=list)  # inputs with inner outputs

    @property
    def scope(self) -> str:
        """Where the ICD's entry point lives: global, instance, physical_device, device."""
        if self.route_param is None:
            return 'global'
        return {'VkInstance': 'instance', 'VkPhysicalDevice': 'physical_device'}.get(
            self.route_param.ctype, 'device')

    @property
    def recorded(self) -> bool:
        """A vkCmd* command: the guest appends it to its command buffer's own
        stream (no lock, no round trip); the stream travels at
        vkEndCommandBuffer or in bounded chunks (PROTOCOL, "Recorded
        commands").  A hand-written guest entry records through the
        generated one."""
        return (self.name.startswith('vkCmd') and self.route_param is not None and
                self.route_param.ctype == 'VkCommandBuffer' and not self.needs_reply and
                not self.created)

    @property
    def cacheable(self) -> bool:
        """A physical device's answers never change: the guest keeps them."""
        return (self.needs_reply and self.scope == 'physical_device' and
                self.name.startswith('vkGetPhysicalDevice') and not self.created)

    @property
    def reply_params(self) -> List[Field]:
        """What the reply carries after the result, in parameter order:
        outputs, and for arrays of new objects which ones the driver made.
        Outputs inside input structs follow (inner_params)."""
        return [p for p in self.params if p.direction in ('out', 'inout') or
                (p.direction == 'created' and p.shape == 'array') or p.custom_reply]


@dataclass
class EntryPoint:
    """One name the ICD's vkGet*ProcAddr answers: a command or an alias."""
    name: str                     # 'vkCmdPushDescriptorSetKHR'
    function: str                 # 'vkw_forward_vkCmdPushDescriptorSet' or a hand-written one
    scope: str                    # global, instance, physical_device, device
    # When a device or instance has it: a depends expression over versions
    # and extensions ('VK_VERSION_1_4', '(VK_KHR_push_descriptor),(...)').
    condition: str
    command: Optional[Command] = None  # the model: its signature
    hand_written: bool = False    # `function` is the ICD's own (runtime/guest)


@dataclass
class Skip:
    name: str
    what: str                     # 'command', 'struct'
    reason: str


@dataclass
class Protocol:
    """Everything the templates read."""
    registry: Registry
    selection: Selection
    version: str
    header_version: int
    commands: List[CommandFacts] = field(default_factory=list)    # by opcode
    guest_only: Dict[str, str] = field(default_factory=dict)      # command -> reason
    entry_points: List[EntryPoint] = field(default_factory=list)  # by command, then aliases
    host_only: Dict[str, str] = field(default_factory=dict)
    structs: Dict[str, StructFacts] = field(default_factory=dict)  # selected, registry order
    skipped: List[Skip] = field(default_factory=list)
    handles: List[str] = field(default_factory=list)              # handle types, sorted
    # Handle types the driver hands out again rather than creating anew
    # (vkEnumeratePhysicalDevices, vkGetDeviceQueue): one object may get several ids.
    reissued_handles: Set[str] = field(default_factory=set)
    # Handle types only guest-only commands make (private data slots, debug
    # messengers): the host never has such an object, so nothing that names
    # one may be sent.
    guest_handles: Set[str] = field(default_factory=set)
    # Handle types a recorded command (a vkCmd*, in its parameters or in
    # the structs and chains they reach) may name: the guest sends such a
    # command later than the application recorded it (PROTOCOL 16.3, 28).
    recorded_handles: Set[str] = field(default_factory=set)
    enums: Dict[str, Dict[str, int]] = field(default_factory=dict)  # enum -> values used
    enums_all: Dict[str, Dict[str, int]] = field(default_factory=dict)  # every selected enum
    checked_enums: Set[str] = field(default_factory=set)  # enums the host checks on input
    extensions: List[str] = field(default_factory=list)
    special: List[tuple] = field(default_factory=list)  # (directive, 'Owner.member', reason)
    # How a context's teardown destroys one object of each type: handle type
    # -> (command, parent type or None when the object is the dispatch handle).
    # Types missing here go with their parent (pool allocations, queues).
    destroyers: Dict[str, tuple] = field(default_factory=dict)
    # The texel blocks of the forwarded formats, by VkFormat value
    # (gen/formats.py): what host image copies size their regions by.
    formats: List[formats_mod.FormatFacts] = field(default_factory=list)

    @property
    def registry_version_packed(self) -> int:
        major, minor, patch = (int(x) for x in self.registry.version.split('.'))
        return (major << 22) | (minor << 12) | patch

    @property
    def debug_report_object_types(self) -> Dict[str, str]:
        """Handle type -> its VkDebugReportObjectTypeEXT value name, matched
        by name with the handle's VkObjectType (VK_OBJECT_TYPE_BUFFER ~
        VK_DEBUG_REPORT_OBJECT_TYPE_BUFFER_EXT)."""
        values = self.enums_all.get('VkDebugReportObjectTypeEXT', {})
        out = {}
        for h in self.handles:
            objtype = self.registry.handles[h].objtypeenum or ''
            name = objtype.replace('VK_OBJECT_TYPE_', 'VK_DEBUG_REPORT_OBJECT_TYPE_', 1) + '_EXT'
            if name in values:
                out[h] = name
        return out

    def struct_list(self) -> List[StructFacts]:
        return list(self.structs.values())

    @property
    def guest_functions(self) -> List[EntryPoint]:
        """One entry point per hand-written ICD function, for its prototype
        (an alias stands in where the command's own name is not selected)."""
        seen: Set[str] = set()
        out = []
        for e in self.entry_points:
            if e.hand_written and e.function not in seen:
                seen.add(e.function)
                out.append(e)
        return out

    @property
    def device_lengths(self) -> bool:
        """Some blob's length is a property of the device (VKW_DEVICE_LENGTH)."""
        return any(c.device_lengths for c in self.commands)


# ---------------------------------------------------------------- expressions

_IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')


def _count_tmpl(reg: Registry, expr: str, names: Dict[str, Member], line,
                guards: Optional[List[str]] = None, params=()) -> str:
    """Turn a vk.xml len/altlen into C with '@' where the owner prefix goes.
    Pointers the expression dereferences are added to `guards`.  `line`:
    a vk.xml line, or the 'file:line' of the annotation the expression
    comes from; `params`: names of the owner's param (annotations), which
    stay as they are."""
    out, pos = [], 0
    for m in _IDENT.finditer(expr):
        out.append(expr[pos:m.start()])
        word = m.group(0)
        prev = expr[max(0, m.start() - 2):m.start()]
        if prev == '->' or prev.endswith('.'):
            out.append(word)
        elif word in names:
            ref = names[word]
            arrow = expr[m.end():].lstrip().startswith('->')
            deref = ref.pointers and not ref.len and not arrow
            if (deref or arrow) and guards is not None and '@' + word not in guards:
                guards.append('@' + word)
            out.append(('*@' if deref else '@') + word)
        elif word in reg.constants or word in params:
            out.append(word)
        else:
            where = line if isinstance(line, str) else reg.where(line)
            raise WireError(f'{where}: length {expr!r} names {word!r}, '
                            'which is neither a sibling nor a constant')
        pos = m.end()
    out.append(expr[pos:])
    text = ''.join(out).strip()
    return f'({text})' if not _IDENT.fullmatch(text.replace('*@', '').replace('@', '')) else text


def _len_expr(m: Member) -> Optional[str]:
    """The C-usable length of a pointer member, or None."""
    if m.altlen:
        return m.altlen
    if m.len and m.len[0] not in ('null-terminated',) and not m.len[0].startswith('latexmath'):
        return m.len[0]
    return None


# ---------------------------------------------------------------- builder

class Builder:
    def __init__(self, reg: Registry, sel: Selection, ann, opcodes: Dict[str, int]):
        self.reg, self.sel, self.ann, self.opcodes = reg, sel, ann, opcodes
        self.proto = Protocol(registry=reg, selection=sel, version=sel.version,
                              header_version=reg.header_version,
                              extensions=list(sel.extensions))
        self.struct_facts: Dict[str, StructFacts] = {}
        self.bad_structs: Dict[str, str] = {}

    # -- fields

    def field_for(self, owner: str, m: Member, siblings: Dict[str, Member],
                  in_struct: bool) -> Field:
        reg = self.reg
        t = reg.resolve_type(m.type)
        cat = reg.category(t)
        key = (owner, m.name)
        f = Field(name=m.name, ctype=t, kind='', shape='value', model=m,
                  optional=m.is_optional, const=m.const or key in self.ann.inputs)
        if key in self.ann.omit:
            f.shape = 'skip'
            return f
        if t == 'VkAllocationCallbacks':
            f.shape = 'skip'
            return f
        if key in self.ann.encode_with:
            if in_struct:
                raise WireError(f'{self.ann.where(self.ann.encode_with[key])}: encode-with '
                                'works on command parameters only')
            f.shape, f.kind = 'custom', 'custom'
            f.encode_with = dict(self.ann.encode_with[key].options)
            return f
        if key in self.ann.pointer_value:
            if cat != 'void' or m.pointers != 1:
                raise WireError(f'{self.ann.where(self.ann.pointer_value[key])}: pointer-value '
                                'names a void* member or parameter')
            f.kind, f.wire, f.shape, f.pointer_value = 'scalar', 'u64', 'value', True
            return f
        if t == 'int':
            if key not in self.ann.fd and key not in self.ann.fd_import:
                raise _Unsupported(f'{m.name} is an int, which vk.xml uses for file '
                                   'descriptors and for Android values alike: an fd or '
                                   'fd-import annotation says it is an fd')
            if m.pointers > 1 or m.array_sizes or (m.pointers and m.const):
                raise _Unsupported(f'{m.name} is an fd behind a const pointer or in an array')
            f.kind, f.wire = 'fd', 'u32'
            if key in self.ann.fd_import:
                cond = self.ann.fd_import[key].args[1]
                order = list(siblings)
                for word in _IDENT.findall(cond):
                    if word in siblings and order.index(word) > order.index(m.name):
                        raise WireError(f'{self.ann.where(self.ann.fd_import[key])}: the '
                                        f'condition names {word}, which comes after {m.name}: '
                                        'the host decodes it too late')
                f.fd_import = _IDENT.sub(
                    lambda x: ('@' + x.group(0)) if x.group(0) in siblings else x.group(0), cond)
            f.shape = 'pointer' if m.pointers else 'value'
            return f
        if key in self.ann.encode_if:
            f.encode_if = _IDENT.sub(
                lambda x: ('@' + x.group(0)) if x.group(0) in siblings else x.group(0),
                self.ann.encode_if[key].args[1])
        if m.objecttype:
            sibling = siblings.get(m.objecttype)
            kind = reg.resolve_type(sibling.type) if sibling else None
            if kind not in ('VkObjectType', 'VkDebugReportObjectTypeEXT') or t != 'uint64_t' \
                    or m.pointers or m.array_dims:
                raise _Unsupported(f'{m.name} has objecttype="{m.objecttype}", which is not a '
                                   'sibling VkObjectType naming a uint64_t handle')
            f.object_type, f.object_type_enum = '@' + m.objecttype, kind
        if cat == 'scalar':
            f.kind = 'bytes' if t in BYTE_TYPES else 'scalar'
            f.wire = SCALAR_KINDS[t]
        elif cat == 'enum':
            f.kind, f.wire = 'enum', 'i32'
        elif cat == 'bitmask':
            f.kind = 'bitmask'
            f.wire = 'u64' if reg.bitmasks[t].base == 'VkFlags64' else 'u32'
        elif cat == 'handle':
            f.kind, f.handle_type = 'handle', t
            f.dispatchable = reg.handles[t].dispatchable
        elif cat in ('struct', 'union'):
            f.kind = cat
        elif cat == 'void' and m.pointers == 1:
            f.kind = 'bytes'
        elif t in reg.basetypes and reg.basetypes[t] in SCALAR_KINDS:
            f.kind, f.wire = 'scalar', SCALAR_KINDS[reg.basetypes[t]]
        else:
            raise _Unsupported(f'{m.name} has type {t} ({cat}), which has no wire form')

        if m.bitfield is not None:
            raise _Unsupported(f'{m.name} is a bit-field')
        # Shape.
        if m.pointers == 0:
            if m.array_sizes:
                n = 1
                for s in m.array_sizes:
                    n *= s
                f.fixed = n
                f.shape = 'fixed_string' if t == 'char' else 'fixed'
            return f
        if m.pointers == 2:
            if t == 'char' and m.len and m.len[-1] == 'null-terminated':
                f.shape, f.kind = 'string_array', 'string'
                f.count_tmpl = _count_tmpl(reg, m.len[0], siblings, m.line, f.count_guards)
                return f
            if cat == 'void' and not in_struct and not m.const:
                raise _Unsupported(f'{m.name} is a pointer to a pointer')
            inner = None
            if key in self.ann.inner_length:
                inner = _IDENT.sub(lambda x: ('@' + x.group(0)) if x.group(0) in siblings
                                   else x.group(0), self.ann.inner_length[key].args[1])
                for ref in re.findall(r'@(\w+)', inner):
                    if siblings[ref].pointers and '@' + ref not in f.count_guards:
                        f.count_guards.append('@' + ref)
            elif len(m.len) == 2 and m.len[1].isdigit():
                inner = m.len[1]
            if inner is None or not m.const or not m.inner_const or not m.len or \
                    cat not in ('struct', 'scalar'):
                raise _Unsupported(f'{m.name} is a pointer to pointers whose inner length '
                                   'vk.xml does not give (an inner-length annotation can)')
            f.shape = 'pointer_array'
            f.count_tmpl = _count_tmpl(reg, m.len[0], siblings, m.line, f.count_guards)
            f.inner_count_tmpl = inner
            return f
        length = _len_expr(m)
        params = [self.ann.param[owner].args[1]] if owner in self.ann.param else []
        where_len = m.line if not m.file else self.reg.where(m.line, m.file)
        # A length annotation: a device length (VKW_LENGTH_*, void pointers
        # only, below) or a C expression that stands for the missing len=.
        device_length = key in self.ann.length and \
            self.ann.length[key].args[1].startswith('VKW_LENGTH_')
        if key in self.ann.length:
            entry = self.ann.length[key]
            if length is not None or (m.len and m.len[0] == 'null-terminated'):
                raise WireError(f'{self.ann.where(entry)}: {owner}.{m.name} has len= in the '
                                'registry: a length annotation would contradict it')
            if device_length and cat != 'void':
                raise WireError(f'{self.ann.where(entry)}: a device length sizes a void pointer; '
                                f'{owner}.{m.name} points at {t}')
            if not device_length:
                length, where_len = entry.args[1], self.ann.where(entry)
        if m.file and length is None and cat != 'struct':
            raise _Unsupported(f'{m.name} points at {t}: video.xml gives no length '
                               '(a length annotation must say how many)')
        if t == 'char' and m.len and m.len[0] == 'null-terminated':
            f.shape, f.kind = 'string', 'string'
        elif cat == 'void':
            if device_length:
                f.shape = 'blob'
                f.device_length = self.ann.length[key].args[1]
                f.count_tmpl = f'VKW_DEVICE_LENGTH({f.device_length})'
                return f
            if length is None:
                raise _Unsupported(f'{m.name} is a void pointer without a length')
            f.shape = 'blob'
            f.count_tmpl = _count_tmpl(reg, length, siblings, where_len, f.count_guards, params)
            f.keep_unwritten = key in self.ann.keep_unwritten
            f.all_or_nothing = key in self.ann.all_or_nothing
        elif length is not None:
            f.shape = 'array'
            f.count_tmpl = _count_tmpl(reg, length, siblings, where_len, f.count_guards, params)
            if m.stride:
                if in_struct or m.stride not in siblings or cat not in ('struct', 'scalar') \
                        or not m.const:
                    raise _Unsupported(f'{m.name} has stride="{m.stride}", which only input '
                                       'arrays of command parameters may have')
                f.stride = m.stride
        elif m.stride:
            raise _Unsupported(f'{m.name} has stride="{m.stride}" but no length')
        else:
            f.shape = 'pointer'
            # video.xml says nothing of NULL: a lone pointer may be NULL (the
            # application's own driver would be handed it so), unless an
            # encode-if says when it must point somewhere (required_when).
            if m.file and not f.encode_if:
                f.optional = True
        return f

    # -- structs

    def struct(self, name: str) -> StructFacts:
        name = self.reg.resolve_type(name)
        if name in self.bad_structs:
            raise _Unsupported(self.bad_structs[name])
        if name in self.struct_facts:
            return self.struct_facts[name]
        s = self.reg.structs[name]
        sf = StructFacts(name=name, model=s, is_union=s.is_union, stype=s.stype,
                         has_pnext=s.has_pnext)
        self.struct_facts[name] = sf  # before recursion: self-reference safety
        try:
            members = s.members
            if s.is_union and name in self.ann.encode_as:
                keep = self.ann.encode_as[name].args[0].split('.', 1)[1]
                members = [m for m in s.members if m.name == keep]
            sf.selected = s.is_union and name not in self.ann.encode_as and \
                any(m.selection for m in members)
            if sf.selected and not all(m.selection for m in members):
                raise _Unsupported('some members of a selected union have no selection')
            siblings = {m.name: m for m in s.members}
            if name in self.ann.param:
                sf.param = self.ann.param[name].args[1]
                if sf.param in siblings:
                    raise WireError(f'{self.ann.where(self.ann.param[name])}: {name} has a '
                                    f'member {sf.param}: the param needs another name')
            referenced = set()
            for m in members:
                for expr in filter(None, [_len_expr(m)] + (m.len[:1] if m.len else [])):
                    referenced.update(_IDENT.findall(expr))
                for table in (self.ann.length, self.ann.pass_):
                    if (name, m.name) in table:
                        referenced.update(_IDENT.findall(table[(name, m.name)].args[1]))
            word: Optional[Field] = None  # the 'bits' field bit-fields go into
            for m in members:
                if m.name in ('sType', 'pNext') and (m.name == 'pNext' or m.values):
                    continue
                if m.bitfield is not None:
                    word = self._bitfield(sf, m, word)
                    continue
                word = None
                f = self.field_for(name, m, siblings, True)
                f.is_count = m.name in referenced
                f.selection = list(m.selection)
                if f.shape == 'skip':
                    if m.pointers == 1 and not m.const and \
                            self.reg.category(f.ctype) in ('scalar', 'enum', 'bitmask'):
                        sf.scratch_fields.append(f)
                    continue
                if f.kind in ('struct', 'union'):
                    inner = self.struct(f.ctype)
                    if inner.selected and not m.selector:
                        raise _Unsupported(f'{m.name} is a selected union without a selector')
                    self._pass(sf, f, inner, siblings)
                elif (name, m.name) in self.ann.pass_:
                    raise WireError(f'{self.ann.where(self.ann.pass_[(name, m.name)])}: '
                                    f'{name}.{m.name} is no struct with a param')
                if m.selector:
                    if m.selector not in siblings or f.kind != 'union':
                        raise _Unsupported(f'{m.name} has selector="{m.selector}", which is not '
                                           'a sibling naming a union member')
                    f.selector = '@' + m.selector
                sf.fields.append(f)
            if s.is_union and not sf.selected:
                self._union_layout(sf)
            self._made_from(sf)
            self._check_order(sf)
        except _Unsupported as e:
            del self.struct_facts[name]
            self.bad_structs[name] = f'{name}: {e}'
            raise _Unsupported(f'{name}: {e}') from None
        return sf

    def _pass(self, sf: StructFacts, f: Field, inner: StructFacts, siblings) -> None:
        """A member whose struct takes a param gets the expression a pass
        annotation gives it (over its own siblings and its owner's param)."""
        entry = self.ann.pass_.get((sf.name, f.name))
        if inner.param is None:
            if entry is not None:
                raise WireError(f'{self.ann.where(entry)}: {f.ctype} takes no param '
                                '(annotate it with param)')
            return
        if entry is None:
            raise WireError(f'{self.ann.where(self.ann.param[inner.name])}: {sf.name}.{f.name} '
                            f'is a {f.ctype}, which takes a param: a pass annotation must give '
                            'it a value')
        if f.shape not in ('value', 'pointer', 'array', 'fixed'):
            raise WireError(f'{self.ann.where(entry)}: {sf.name}.{f.name} is a {f.shape}: only '
                            'values, pointers and arrays pass a param')
        f.pass_tmpl = _count_tmpl(self.reg, entry.args[1], siblings, self.ann.where(entry),
                                  None, [sf.param] if sf.param else [])

    def _made_from(self, sf: StructFacts) -> None:
        """vk.xml's parent of a handle member, when a sibling names an object
        of that (non-dispatchable) type: the member must be made from it."""
        by_type = {f.ctype: f for f in sf.fields
                   if f.kind == 'handle' and f.shape == 'value' and not f.dispatchable}
        for f in sf.fields:
            if f.kind != 'handle' or f.shape != 'value' or f.dispatchable:
                continue
            parents = self.reg.handles[f.ctype].parents
            parent = by_type.get(parents[0]) if parents else None
            if parent is not None and parent is not f:
                f.made_from, f.made_from_type = parent.name, parent.ctype

    def _check_order(self, sf: StructFacts) -> None:
        """The host decodes members in order: what an annotation's
        expression reads (a length, a pass, an encode-if that makes a
        pointer required) must come before the member it governs."""
        seen: Set[str] = set()
        for f in sf.fields:
            names = [b.name for b in f.bits] if f.shape == 'bits' else [f.name]
            exprs = [x for x in (f.pass_tmpl, f.encode_if if f.required_when else None,
                                 f.count_tmpl if (sf.name, f.name) in self.ann.length else None)
                     if x]
            for expr in exprs:
                for ref in re.findall(r'@(\w+)', expr):
                    if ref not in seen:
                        raise WireError(f'{self.reg.where(f.model.line, f.model.file)}: '
                                        f'{sf.name}.{f.name} depends on {ref}, which the host '
                                        'decodes after it')
            seen.update(names)

    def _bitfield(self, sf: StructFacts, m: Member, word: Optional[Field]) -> Field:
        """Put bit-field `m` into `word` (the 'bits' field of the bit-fields
        just before it) or, where it does not fit, into a new one."""
        t = self.reg.resolve_type(m.type)
        unsigned = t == 'uint32_t' or (t in self.reg.bitmasks and
                                       self.reg.bitmasks[t].base == 'VkFlags')
        if not unsigned or m.pointers or m.array_dims or not 0 < m.bitfield <= 32:
            raise _Unsupported(f'{m.name} is a bit-field of {m.bitfield} bits of {m.type}: '
                               'only 1 to 32 bits of a 32-bit unsigned type have a wire form')
        if (sf.name, m.name) in self.ann.omit:
            raise WireError(f'{self.reg.where(m.line, m.file)}: {sf.name}.{m.name} is a '
                            'bit-field: it travels in its word, it cannot be omitted')
        used = word.bits[-1].shift + word.bits[-1].width if word else 32
        if used + m.bitfield > 32:
            word = Field(name=m.name, ctype='uint32_t', kind='bits', shape='bits', wire='u32',
                         model=m)
            sf.fields.append(word)
            used = 0
        word.bits.append(BitField(m.name, m.bitfield, used))
        return word

    def _union_layout(self, sf: StructFacts) -> None:
        """A union without a selector travels as its storage in 32-bit words
        (or as the one member an encode-as annotation names)."""
        best = None
        for f in sf.fields:
            if f.kind == 'scalar' and f.wire in ('u64', 'i64', 'f64') and f.shape == 'value' and \
                    sf.name in self.ann.encode_as:
                words = 2
            elif f.kind == 'scalar' and f.wire in ('u32', 'i32', 'f32') and f.shape == 'fixed':
                words = f.fixed
            elif f.kind == 'union' or f.kind == 'struct':
                inner = self.struct(f.ctype)
                if inner.is_union:
                    words = inner.union_words
                elif all(x.kind == 'scalar' and x.wire in ('u32', 'i32', 'f32') and
                         x.shape == 'value' for x in inner.fields):
                    words = len(inner.fields)
                else:
                    raise _Unsupported(f'union member {f.name} is not plain 32-bit data')
            elif f.kind == 'scalar' and f.wire in ('u32', 'i32', 'f32') and f.shape == 'value':
                words = 1
            else:
                raise _Unsupported(f'union member {f.name} is not plain 32-bit data')
            if best is None or words > best[0]:
                best = (words, f.name)
        sf.union_words, sf.union_member = best

    def mark(self, name: str, direction: str, seen: Set) -> None:
        """Mark a struct (and what it reaches) as needed in a direction."""
        sf = self.struct(name)
        key = (sf.name, direction)
        if key in seen:
            return
        seen.add(key)
        if direction == 'in':
            sf.used_in = True
        else:
            sf.used_out = True
        for f in sf.fields:
            if f.kind == 'fd' and direction == 'out':
                raise _Unsupported(f'{sf.name}.{f.name} is an fd inside an output struct')
            if f.kind in ('struct', 'union') and not (f.is_pointer and not f.const):
                self.mark(f.ctype, direction, seen)
            if f.pointer_value:
                continue  # a value, whichever way it goes
            if direction == 'in' and f.is_pointer and not f.const:
                if not ((f.kind == 'struct' and f.shape in ('pointer', 'array')) or
                        (f.kind in ('scalar', 'enum', 'bitmask') and f.shape == 'pointer')):
                    raise _Unsupported(f'{sf.name}.{f.name} is an output of kind {f.kind} '
                                       'inside an input struct')
                f.direction = 'out'
                sf.inner_outputs = True
                if f.kind == 'struct':
                    self.mark(f.ctype, 'out', seen)
                continue
            if direction == 'out' and f.object_type:
                raise _Unsupported(f'{sf.name}.{f.name} is an objecttype handle in an output')
            if direction == 'out' and f.is_pointer:
                count = f.count_tmpl[1:] if f.count_tmpl and re.fullmatch(r'@\w+', f.count_tmpl) \
                    else None
                if f.shape not in ('array', 'blob') or count is None or \
                        f.kind not in ('scalar', 'enum', 'bitmask', 'struct', 'bytes'):
                    raise _Unsupported(f'{sf.name}.{f.name} is a pointer inside an output struct '
                                       'that is not an array counted by a sibling')
                f.direction = 'out'
                f.driver_filled = True
                next(x for x in sf.fields if x.name == count).capacity_of = f.name
                if f not in sf.partial_fields:
                    sf.partial_fields.append(f)
                if f.kind == 'struct':
                    self.mark(f.ctype, 'out', seen)
                continue
            if direction == 'out' and f.kind == 'struct' and f.shape == 'value' and \
                    self.struct_facts[f.ctype].needs_partial and f not in sf.partial_fields:
                sf.partial_fields.append(f)
            elif direction == 'out' and f.kind == 'struct' and f.shape == 'fixed' and \
                    self.struct_facts[f.ctype].needs_partial:
                raise _Unsupported(f'{sf.name}.{f.name} is a fixed array of structs with chains')
        if sf.has_pnext:
            for ext in self.extenders_of(sf.name):
                try:
                    self.mark(ext, direction, seen)
                except _Unsupported as e:
                    # A struct of the forwarded API an application may chain:
                    # dropping it would lose what it says without a word.
                    where = self.reg.where(self.reg.structs[ext].line)
                    raise WireError(f'{where}: {ext} (in {sf.name} chains) cannot be encoded '
                                    f'({e}); annotate it (local, omit, encode-with) with a '
                                    'reason') from None
                xf = self.struct_facts[ext]
                xf.is_extension = True
                if sf.name not in xf.bases:
                    xf.bases.append(sf.name)
                if ext not in sf.extenders:
                    sf.extenders.append(ext)

    def _propagate_inner_outputs(self) -> None:
        """A struct reaches inner outputs through a member or its chain."""
        changed = True
        while changed:
            changed = False
            for sf in self.struct_facts.values():
                if sf.inner_outputs or not sf.used_in:
                    continue
                reach = [f.ctype for f in sf.fields
                         if f.kind == 'struct' and f.direction == 'in']
                reach += [x for x in sf.extenders if self.struct_facts[x].used_in]
                if any(self.struct_facts[t].inner_outputs for t in reach):
                    sf.inner_outputs = changed = True
        for sf in self.struct_facts.values():
            sf.inner_extenders = [x for x in sf.extenders if self.struct_facts[x].used_in and
                                  self.struct_facts[x].inner_outputs]

    def _propagate_device_lengths(self) -> None:
        """Which input structs hold or reach a device length, and which
        commands do: those must know their device before encoding it."""
        for sf in self.struct_facts.values():
            if sf.used_out and any(f.device_length for f in sf.fields):
                raise WireError(f'{self.reg.where(sf.model.line)}: {sf.name} has a device length '
                                'but is an output; lengths of outputs the driver fills are '
                                'not supported')
            sf.device_lengths = sf.used_in and any(f.device_length for f in sf.fields)
        changed = True
        while changed:
            changed = False
            for sf in self.struct_facts.values():
                if sf.device_lengths or not sf.used_in:
                    continue
                reach = [f.ctype for f in sf.fields
                         if f.kind in ('struct', 'union') and f.direction == 'in']
                reach += [x for x in sf.extenders if self.struct_facts[x].used_in]
                if any(self.struct_facts[t].device_lengths for t in reach):
                    sf.device_lengths = changed = True
        for cf in self.proto.commands:
            cf.device_lengths = any(
                f.device_length or (f.kind in ('struct', 'union') and f.direction == 'in' and
                                    self.struct_facts[f.ctype].device_lengths)
                for f in cf.params)
            if cf.device_lengths and (cf.route_param is None or
                                      cf.route_param.ctype != 'VkDevice'):
                raise WireError(f'{self.reg.where(cf.model.line)}: {cf.name} reaches a device '
                                'length (a `length` annotation) but its first parameter is '
                                'no VkDevice')

    def _propagate_fds(self) -> None:
        """Which input structs reach fds (and imported ones), through their
        members and their chains."""
        for sf in self.struct_facts.values():
            sf.reaches_fds = any(f.kind == 'fd' for f in sf.fields)
            sf.reaches_fd_imports = any(f.fd_import for f in sf.fields)
        changed = True
        while changed:
            changed = False
            for sf in self.struct_facts.values():
                if not sf.used_in:
                    continue
                reach = [self.struct_facts[f.ctype] for f in sf.fields
                         if f.kind == 'struct' and f.direction == 'in']
                reach += [self.struct_facts[x] for x in sf.extenders
                          if self.struct_facts[x].used_in]
                fds = sf.reaches_fds or any(x.reaches_fds for x in reach)
                imports = sf.reaches_fd_imports or any(x.reaches_fd_imports for x in reach)
                if (fds, imports) != (sf.reaches_fds, sf.reaches_fd_imports):
                    sf.reaches_fds, sf.reaches_fd_imports = fds, imports
                    changed = True

    def extenders_of(self, name: str) -> List[str]:
        out = []
        for ext in self._extended_by(name, set()):
            if ext in self.sel.types and ext not in self.bad_structs and ext not in out and \
                    ext not in self.ann.local:
                out.append(ext)
        return out

    def _extended_by(self, name: str, seen: Set[str]) -> List[str]:
        """vk.xml's extenders, and those an extends annotation names with,
        chains being flat, whatever may extend them in turn."""
        out = list(self.reg.structs[name].extended_by)
        seen.add(name)
        for e in self.ann.extends:
            struct, base = e.args
            if base == name and struct not in seen:
                out.append(struct)
                out += self._extended_by(struct, seen)
        return out

    # -- commands

    def command(self, name: str) -> CommandFacts:
        reg, ann = self.reg, self.ann
        cmd = reg.commands[name]
        cf = CommandFacts(name=name, model=cmd, opcode=self.opcodes[name],
                          origin=self.sel.command_origin[name],
                          aliases=sorted(a for a in cmd.aliases if a in self.sel.alias_commands),
                          return_type=cmd.return_type)
        if cmd.return_type not in RETURN_KINDS:
            raise _Unsupported(f'returns {cmd.return_type}')
        cf.return_wire = RETURN_KINDS[cmd.return_type]
        siblings = {p.name: p for p in cmd.params}
        referenced = set()
        for p in cmd.params:
            if _len_expr(p):
                referenced.update(_IDENT.findall(_len_expr(p)))
        for i, p in enumerate(cmd.params):
            f = self.field_for(name, p, siblings, False)
            f.is_count = p.name in referenced
            if f.shape != 'skip':
                if f.kind == 'handle' and f.is_pointer and not f.const:
                    f.direction = 'created'
                elif f.is_pointer and not f.const:
                    f.direction = 'inout' if f.is_count else 'out'
            cf.params.append(f)
        for f in cf.params:
            if f.stride:
                holder = next(p for p in cf.params if p.name == f.stride)
                holder.stride_of = f.name
        # A length like 'pAllocateInfo->commandBufferCount' makes that member a count.
        for f in cf.params:
            for ref in re.findall(r'@(\w+)->(\w+)', f.count_tmpl or ''):
                owner = cmd.param(ref[0])
                if owner is not None and reg.resolve_type(owner.type) in reg.structs:
                    target = self.struct(owner.type)
                    for member in target.fields:
                        if member.name == ref[1]:
                            member.is_count = True
        seen: Set = set()
        for f in cf.params:
            if f.kind in ('struct', 'union') and f.shape != 'skip':
                self.mark(f.ctype, 'out' if f.direction == 'out' else 'in', seen)
            elif f.shape == 'custom' and f.const and self.reg.category(f.ctype) == 'struct':
                # The hand-written wire form builds on the struct's generated
                # codecs (and so on its checks) where the generator can make them.
                try:
                    self.mark(f.ctype, 'in', seen)
                except _Unsupported:
                    pass
        first = cf.params[0] if cf.params else None
        if first is not None and first.kind == 'handle' and first.dispatchable and \
                first.shape == 'value':
            cf.route_param = first
            if not first.optional:
                cf.dispatch_param = first
        cf.created = [f for f in cf.params if f.direction == 'created']
        handle_params = [f for f in cf.params if f.kind == 'handle' and f.direction == 'in']
        if (name.startswith('vkDestroy') or name.startswith('vkFree')) and handle_params:
            cf.destroyed = handle_params[-1]
            cf.destroyed.keep_id = True
            cf.destroyed.destroys = True
        if name in ann.frees_children:
            cf.frees_children_of = handle_params[-1]
            cf.frees_children_of.keep_id = True
        for f in cf.created:
            parents = reg.handles[f.handle_type].parents
            cf.parent_expr, cf.parent_type = self._parent_of(cmd, parents)
            for p in cf.params:
                if cf.parent_expr == '@' + p.name:
                    cf.parent_param = p
                    p.keep_id = True
        cf.needs_reply = (cf.return_wire is not None or bool(cf.reply_params)) \
            and name not in ann.asynchronous  # build() adds commands with inner outputs
        cf.asynchronous = name in ann.asynchronous
        cf.reports_deferred = name in ann.reports_deferred
        # A single new non-dispatchable object is no output: its id travels in
        # the command, so the guest can hand it out before the host has made
        # it (PROTOCOL, "Asynchronous commands").  Arrays of new objects need
        # the reply's made-flags; dispatchable ones a guest object to undo.
        if cf.asynchronous and (cf.reply_params or
                                cf.return_type not in ('VkResult', 'void') or
                                any(f.shape != 'pointer' or f.dispatchable for f in cf.created)):
            raise WireError(f'{ann.where(ann.asynchronous[name])}: {name} has outputs; '
                            'async needs a command whose only answer is a VkResult '
                            'and at most single new non-dispatchable objects')
        if cf.reports_deferred and (cf.return_type != 'VkResult' or cf.asynchronous):
            raise WireError(f'{ann.where(ann.reports_deferred[name])}: {name} must return a '
                            'VkResult and wait for it to report a deferred failure')
        if name in ann.hand_written:
            cf.hand_written_host = ann.hand_written[name].options.get('host')
            cf.hand_written_guest = ann.hand_written[name].options.get('guest')
        # Dispatchable objects are guest memory the application's allocator
        # pays for: the guest runtime makes them (before the command is sent)
        # and frees them, so the generated entry point only sends their ids.
        if (any(f.dispatchable for f in cf.created) or
                (cf.destroyed is not None and cf.destroyed.dispatchable)) and \
                not cf.hand_written_guest:
            where = self.reg.where(cmd.line)
            raise WireError(f'{where}: {name} creates or frees dispatchable objects, which the '
                            'guest runtime makes and frees (runtime/guest/vkw_icd.h): it needs '
                            'a hand-written guest= entry point')
        customs = {p.name for p in cf.params if p.shape == 'custom'}
        for p in cf.params:
            named = set(re.findall(r'@(\w+)', (p.count_tmpl or '') + (p.inner_count_tmpl or '')))
            if p.shape != 'custom' and named & customs:
                cf.special_roundtrip = True
        return cf

    def _blocking(self, proto: Protocol) -> None:
        """Which driver calls may block until something else happens
        (another thread's command, the device's progress, a compile), and
        which of those the host can run on a thread of its own.  The
        registry says it for waits (VK_TIMEOUT is one of their results),
        pipeline compiles (VK_PIPELINE_COMPILE_REQUIRED is one of their
        successes) and work that may be deferred (an optional
        VkDeferredOperationKHR); may-block annotations say it for the rest."""
        by_name = {c.name: c for c in proto.commands}
        for cf in proto.commands:
            cmd = cf.model
            codes = set(cmd.successcodes) | set(cmd.errorcodes)
            if 'VK_TIMEOUT' in codes:
                cf.may_block = 'waits: VK_TIMEOUT is one of its results (vk.xml)'
                cf.timeout_param = next((f for f in cf.params if f.name == 'timeout' and
                                         f.ctype == 'uint64_t' and f.shape == 'value'), None)
            elif codes & {'VK_PIPELINE_COMPILE_REQUIRED', 'VK_PIPELINE_COMPILE_REQUIRED_EXT'}:
                cf.may_block = 'compiles: VK_PIPELINE_COMPILE_REQUIRED is one of its results (vk.xml)'
            elif any(f.ctype == 'VkDeferredOperationKHR' and f.optional and f.kind == 'handle'
                     and f is not cf.destroyed for f in cf.params):
                cf.may_block = 'its work may be deferred, else runs in the call (vk.xml: an ' \
                               'optional VkDeferredOperationKHR)'
        for name, entry in self.ann.may_block.items():
            cf = by_name.get(name)
            if cf is None:
                raise WireError(f'{self.ann.where(entry)}: may-block names {name}, which is '
                                'not forwarded')
            if cf.may_block is not None:
                raise WireError(f'{self.ann.where(entry)}: vk.xml says it already ({name} '
                                f'{cf.may_block})')
            cf.may_block = entry.reason
        for cf in proto.commands:
            cf.detachable = (cf.may_block is not None and cf.needs_reply and
                             not cf.hand_written_host and not cf.asynchronous and
                             not cf.recorded and not cf.fd_inputs and not cf.fd_outputs)

    def _ancestors(self, handle: str) -> List[str]:
        """The handle types `handle` is made from, nearest first (vk.xml's
        first parent at each step): ['VkVideoSessionKHR', 'VkDevice', ...]."""
        out: List[str] = []
        parents = self.reg.handles[handle].parents
        while parents and parents[0] not in out and parents[0] in self.reg.handles:
            out.append(parents[0])
            parents = self.reg.handles[parents[0]].parents
        return out

    def _parent_of(self, cmd: Command, parents: List[str]):
        for p in cmd.params:
            if self.reg.resolve_type(p.type) in parents and p.pointers == 0:
                return '@' + p.name, self.reg.resolve_type(p.type)
        for p in cmd.params:
            t = self.reg.resolve_type(p.type)
            if t in self.reg.structs and p.pointers == 1 and p.const:
                for m in self.reg.structs[t].members:
                    if self.reg.resolve_type(m.type) in parents and m.pointers == 0:
                        return f'@{p.name}->{m.name}', self.reg.resolve_type(m.type)
        return None, None

    def _scope_of(self, cmd: Command) -> str:
        first = cmd.params[0] if cmd.params else None
        t = self.reg.resolve_type(first.type) if first is not None else None
        if t not in self.reg.handles or not self.reg.handles[t].dispatchable or first.pointers:
            return 'global'
        return {'VkInstance': 'instance', 'VkPhysicalDevice': 'physical_device'}.get(t, 'device')

    def _entry_points(self) -> None:
        """The ICD's table: every forwarded or guest-only command and its
        aliases, with the condition under which each name exists."""
        proto = self.proto
        by_name = {c.name: c for c in proto.commands}
        for name in self.sel.commands:
            cf = by_name.get(name)
            if cf is not None:
                if cf.scope == 'global' and not cf.hand_written_guest:
                    continue  # answered before any instance exists: vkw_icd.c
                fn, scope = cf.hand_written_guest or f'vkw_forward_{name}', cf.scope
            elif name in self.ann.guest_only:
                entry = self.ann.guest_only[name]
                fn = entry.options.get('guest')
                if fn is None:
                    raise WireError(f'{self.ann.where(entry)}: guest-only {name} needs guest=FN, '
                                    'the ICD function that answers it')
                scope = self._scope_of(self.reg.commands[name])
            else:
                continue  # host-only
            aliases = sorted(a for a in self.reg.commands[name].aliases
                             if a in self.sel.alias_commands)
            for n in [name] + aliases:
                conditions = self.sel.command_conditions.get(n, [])
                if not conditions:
                    continue  # only an alias was required (the name is a newer core's or
                    # an unlisted extension's): a device has no such entry point
                text = ','.join(f'({c})' if ('+' in c or ',' in c) and len(conditions) > 1
                                else c for c in conditions)
                proto.entry_points.append(EntryPoint(n, fn, scope, text, self.reg.commands[name],
                                                     not fn.startswith('vkw_forward_')))

    def _audit_ignorable(self, proto: Protocol) -> None:
        """Every handle or pointer member of an input struct that vk.xml
        marks noautovalidity is one Vulkan may ignore, so an application may
        leave it stale or garbage: the guest would read through a wild
        pointer, or send an id the host rightly refuses.  Each must be
        accounted for: sent only when read (encode-if), encoded by hand
        (encode-with), a tag (pointer-value), a strided array, or `as-sent`
        with the reason that is safe (or who clears it first)."""
        unaccounted = []
        for name, sf in proto.structs.items():
            if not sf.used_in:
                continue
            for f in sf.fields:
                if not (f.model and f.model.noautovalidity and f.direction == 'in' and
                        (f.kind == 'handle' or f.is_pointer)):
                    continue
                if f.encode_if or f.encode_with or f.pointer_value or f.stride or \
                        (name, f.name) in self.ann.as_sent:
                    continue
                unaccounted.append(f'{name}.{f.name}')
        if unaccounted:
            raise WireError('noautovalidity members Vulkan may ignore (so they may be garbage) '
                            'that no annotation accounts for (encode-if, or as-sent with the '
                            'reason): ' + ', '.join(unaccounted))
        for (owner, member), entry in self.ann.as_sent.items():
            sf = proto.structs.get(owner)
            if sf is None or not sf.used_in:
                raise WireError(f'{self.ann.where(entry)}: as-sent names {owner}, which no '
                                'forwarded command sends')
            proto.special.append(('as-sent', f'{owner}.{member}', entry.reason))

    def build(self) -> Protocol:
        proto = self.proto
        for name in self.sel.commands:
            if name in self.ann.guest_only:
                proto.guest_only[name] = self.ann.guest_only[name].reason
                continue
            if name in self.ann.host_only:
                proto.host_only[name] = self.ann.host_only[name].reason
                continue
            try:
                proto.commands.append(self.command(name))
            except _Unsupported as e:
                where = self.reg.where(self.reg.commands[name].line)
                raise WireError(f'{where}: {name} cannot be encoded ({e}); add an annotation '
                                '(guest-only, omit or encode-if) with a reason') from None
        proto.commands.sort(key=lambda c: c.opcode)
        self._entry_points()
        self._propagate_inner_outputs()
        self._propagate_device_lengths()
        self._propagate_fds()
        for cf in proto.commands:
            ins = [f for f in cf.params if f.direction == 'in']
            structs = [self.struct_facts[f.ctype] for f in ins if f.kind == 'struct']
            cf.fd_inputs = any(f.kind == 'fd' for f in ins) or any(x.reaches_fds for x in structs)
            cf.fd_imports = any(f.fd_import for f in ins) or \
                any(x.reaches_fd_imports for x in structs)
            cf.fd_outputs = [f for f in cf.params if f.kind == 'fd' and f.direction == 'out']
            if (cf.fd_inputs or cf.fd_outputs) and (cf.recorded or cf.asynchronous):
                raise WireError(f'{self.reg.where(cf.model.line)}: {cf.name} carries file '
                                'descriptors, which cannot wait in a recorded stream or go '
                                'without a reply')
            if (cf.fd_outputs or cf.fd_inputs) and cf.return_type != 'VkResult':
                raise WireError(f'{self.reg.where(cf.model.line)}: {cf.name} carries file '
                                'descriptors but returns no VkResult to refuse them with')
        for cf in proto.commands:
            f = cf.destroyed
            if f is None or f.shape != 'value':
                continue  # arrays (vkFree*Buffers/Sets) go with their pool
            wire_params = [p for p in cf.params if p.shape != 'skip']
            if wire_params == [f]:
                proto.destroyers[f.ctype] = (cf.name, None)
            elif len(wire_params) == 2 and wire_params[1] is f and wire_params[0].kind == 'handle':
                # Teardown passes the nearest device (else instance) above
                # the object: its parent, or an ancestor (a video session
                # parameters object, made from a session, goes through the
                # session's device).
                if wire_params[0].ctype not in self._ancestors(f.ctype) or \
                        wire_params[0].ctype not in ('VkDevice', 'VkInstance'):
                    raise WireError(f'{self.reg.where(cf.model.line)}: {cf.name} destroys a '
                                    f'{f.ctype} through a {wire_params[0].ctype}, which is not '
                                    'its device or instance in vk.xml; teardown cannot call it')
                proto.destroyers[f.ctype] = (cf.name, wire_params[0].ctype)
        for cf in proto.commands:
            cf.inner_params = [f for f in cf.params if f.direction == 'in' and
                               f.kind == 'struct' and self.struct_facts[f.ctype].inner_outputs]
            if cf.inner_params and cf.name not in self.ann.asynchronous:
                cf.needs_reply = True
            elif cf.inner_params:
                raise WireError(f'{self.ann.where(self.ann.asynchronous[cf.name])}: {cf.name} '
                                'has outputs inside its input structs; it cannot be async')
        self._blocking(proto)
        for name, entry in self.ann.local.items():
            proto.special.append(('local', name, entry.reason))
        by_name = {c.name: c for c in proto.commands}
        for (owner, member), entry in self.ann.all_or_nothing.items():
            cf = by_name.get(owner)
            f = next((p for p in cf.params if p.name == member), None) if cf else None
            if f is None or f.shape != 'blob' or f.direction != 'out' or \
                    cf.return_type != 'VkResult':
                raise WireError(f'{self.ann.where(entry)}: all-or-nothing names an output blob '
                                'of a forwarded command that returns a VkResult')
        for directive, table in (('omit', self.ann.omit), ('encode-if', self.ann.encode_if),
                                 ('encode-with', self.ann.encode_with),
                                 ('keep-unwritten', self.ann.keep_unwritten),
                                 ('inner-length', self.ann.inner_length),
                                 ('input', self.ann.inputs),
                                 ('all-or-nothing', self.ann.all_or_nothing),
                                 ('length', self.ann.length), ('pass', self.ann.pass_),
                                 ('fd', self.ann.fd), ('fd-import', self.ann.fd_import)):
            for (owner, member), entry in table.items():
                proto.special.append((directive, f'{owner}.{member}', entry.reason))
        for entry in self.ann.encode_as.values():
            proto.special.append(('encode-as', entry.args[0], entry.reason))
        # Structs in registry order, only the ones some direction needs.
        for name in self.reg.structs:
            sf = self.struct_facts.get(name)
            if sf is not None and (sf.used_in or sf.used_out):
                sf.extenders.sort(key=list(self.reg.structs).index)
                proto.structs[name] = sf
        self._audit_ignorable(proto)
        for name, entry in self.ann.param.items():
            sf = proto.structs.get(name)
            if sf is not None and (sf.used_out or sf.is_extension or sf.has_pnext or
                                   sf.is_union or sf.inner_outputs):
                raise WireError(f'{self.ann.where(entry)}: {name} is an output, a chain element '
                                'or a union: only plain input structs take a param')
        for cf in proto.commands:
            for f in cf.params:
                if f.kind == 'struct' and f.shape != 'skip' and \
                        self.struct_facts[f.ctype].param:
                    raise WireError(f'{self.ann.where(self.ann.param[f.ctype])}: {cf.name}.'
                                    f'{f.name} is a {f.ctype}, whose param only a struct '
                                    'holding it can give')
        for name, entry in self.ann.param.items():
            proto.special.append(('param', name, entry.reason))
        dropped = {x.name for x in proto.skipped}  # from chains, with their reason
        for name in sorted(self.sel.types):
            if name in self.reg.structs and name not in proto.structs and name not in dropped:
                reason = self.bad_structs.get(name, 'no forwarded command reaches it')
                proto.skipped.append(Skip(name, 'struct', reason))
        proto.handles = sorted(h for h in self.sel.types if h in self.reg.handles)
        for cf in proto.commands:
            if cf.name.startswith(('vkEnumerate', 'vkGet')):
                proto.reissued_handles.update(f.ctype for f in cf.created)
        makers: Dict[str, List[str]] = {}
        for name in self.sel.commands:
            for p in self.reg.commands[name].params:
                t = self.reg.resolve_type(p.type)
                if t in self.reg.handles and p.pointers == 1 and not p.const:
                    makers.setdefault(t, []).append(name)
        proto.guest_handles = {h for h, made_by in makers.items()
                               if all(c in self.ann.guest_only for c in made_by)}
        proto.recorded_handles = self._recorded_handles(proto)
        for cf in proto.commands:
            cf.keeps = self._keeps(proto, cf)
        used_enums = set()
        for sf in proto.structs.values():
            used_enums.update(f.ctype for f in sf.fields if f.kind == 'enum')
        for cf in proto.commands:
            used_enums.update(f.ctype for f in cf.params if f.kind == 'enum')
        proto.enums = {e: self.sel.enum_values.get(e, {}) for e in sorted(used_enums)}
        proto.enums_all = self.sel.enum_values
        inputs = [f for sf in proto.structs.values() if sf.used_in for f in sf.fields]
        inputs += [f for cf in proto.commands for f in cf.params if f.direction == 'in']
        proto.checked_enums = {f.ctype for f in inputs
                               if f.kind == 'enum' and not f.model.noautovalidity}
        proto.formats = formats_mod.build(self.reg, self.sel)
        return proto


    def _recorded_handles(self, proto: Protocol) -> Set[str]:
        """The handle types recorded commands name (besides the command
        buffer they record into): their inputs, the structs those reach and
        the structs that may be chained into them."""
        handles: Set[str] = set()
        seen: Set[str] = set()

        def walk(fields):
            for f in fields:
                if f.shape == 'skip' or f.direction not in ('in', 'inout'):
                    continue
                if f.kind == 'handle':
                    handles.add(f.ctype)
                elif f.kind in ('struct', 'union') and f.ctype in proto.structs and \
                        f.ctype not in seen:
                    seen.add(f.ctype)
                    walk(proto.structs[f.ctype].fields)
                    for e in proto.structs[f.ctype].extenders:
                        if e not in seen and e in proto.structs:
                            seen.add(e)
                            walk(proto.structs[e].fields)

        for cf in proto.commands:
            if cf.recorded:
                walk(p for p in cf.params if p is not cf.route_param)
        return handles

    def _keeps(self, proto: Protocol, cf: CommandFacts) -> bool:
        """A vkDestroy* the host may put off while recordings are open: one
        non-dispatchable object that recorded commands name, or whose
        children they name, destroyed by the generated dispatch (a
        hand-written destroy does more than the driver call), and none of
        whose children has a destroy of its own (the driver's destroy of
        the object must take them all)."""
        f = cf.destroyed
        if f is None or f.shape != 'value' or f.dispatchable or cf.hand_written_host:
            return False
        children = [h for h in proto.handles if f.ctype in self.reg.handles[h].parents]
        if any(h in proto.destroyers for h in children):
            return False
        return f.ctype in proto.recorded_handles or \
            any(h in proto.recorded_handles for h in children)


class _Unsupported(Exception):
    pass


def build(reg: Registry, sel: Selection, ann, opcodes: Dict[str, int]) -> Protocol:
    return Builder(reg, sel, ann, opcodes).build()
