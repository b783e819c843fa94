"""The committed opcode table: stable numbers, appended to, never renumbered.

File format: one ``NUMBER NAME`` a line, '#' comments.  A command that
leaves the selection keeps its number reserved.
"""

from __future__ import annotations

import os
from typing import Dict, List

FIRST_OPCODE = 1
# Opcodes from here up are vkwire's own messages (doc/PROTOCOL.md).
PRIVATE_BASE = 0x10000


class OpcodeError(Exception):
    pass


class Table:
    def __init__(self, path: str, numbers: Dict[str, int], header: List[str]):
        self.path, self.numbers, self.header = path, numbers, header

    @classmethod
    def load(cls, path: str) -> 'Table':
        numbers: Dict[str, int] = {}
        header: List[str] = []
        if not os.path.exists(path):
            return cls(path, numbers, header)
        seen: Dict[int, str] = {}
        with open(path, encoding='utf-8') as f:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith('#'):
                    if not numbers:
                        header.append(raw.rstrip('\n'))
                    continue
                parts = line.split()
                if len(parts) != 2 or not parts[0].isdigit():
                    raise OpcodeError(f'{os.path.basename(path)}:{n}: expected "NUMBER NAME"')
                number, name = int(parts[0]), parts[1]
                if number in seen or name in numbers:
                    raise OpcodeError(f'{os.path.basename(path)}:{n}: {name} or {number} twice')
                if not FIRST_OPCODE <= number < PRIVATE_BASE:
                    raise OpcodeError(f'{os.path.basename(path)}:{n}: {number} out of range')
                seen[number] = name
                numbers[name] = number
        return cls(path, numbers, header)

    def assign(self, commands: List[str]) -> List[str]:
        """Give every command without a number the next one; return those added."""
        added = []
        nxt = max(self.numbers.values(), default=FIRST_OPCODE - 1) + 1
        for name in commands:
            if name not in self.numbers:
                if nxt >= PRIVATE_BASE:
                    raise OpcodeError('opcode space for Vulkan commands is exhausted')
                self.numbers[name] = nxt
                nxt += 1
                added.append(name)
        return added

    def save(self, path: str) -> None:
        header = self.header or [
            '# vkwire opcodes: one "NUMBER COMMAND" a line.  Append only: the generator',
            '# gives new commands the next number and never renumbers (doc/PROTOCOL.md).']
        with open(path, 'w', encoding='utf-8') as f:
            f.write('\n'.join(header) + '\n')
            for name, number in sorted(self.numbers.items(), key=lambda kv: kv[1]):
                f.write(f'{number} {name}\n')
