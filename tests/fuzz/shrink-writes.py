#!/usr/bin/env python3
# Cut the byte runs of WRITE_MEMORY messages in a .vkws stream (fuzz_host.h)
# to at most N bytes, fixing their counts and sizes; every other message is
# kept as it was.  Recordings of copied-mode programs are mostly the bytes
# they upload, which the fuzzer gains nothing from mutating: this is how
# tests/fuzz/corpus keeps them small.
#
#   shrink-writes.py IN.vkws OUT.vkws N
import struct, sys
src, dst, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
out = bytearray()
at = 0
while at + 8 <= len(data):
    size, nfds = struct.unpack_from('<II', data, at); at += 8
    msg = data[at:at+size]; at += size
    new = bytearray(); p = 0
    while p + 16 <= len(msg):
        op, flags, sz, serial = struct.unpack_from('<IIII', msg, p)
        body = msg[p+16:p+16+sz]
        if op == 0x10011 and len(body) >= 24:
            mid, off, cnt = struct.unpack_from('<QQQ', body, 0)
            if cnt > limit:
                cnt = limit
                blob = body[24:24+cnt] + b'\0' * ((-cnt) % 4)
                body = struct.pack('<QQQ', mid, off, cnt) + blob
        new += struct.pack('<IIII', op, flags, len(body), serial) + body
        p += 16 + sz
    new += msg[p:]
    out += struct.pack('<II', len(new), nfds) + new
open(dst, 'wb').write(out)
