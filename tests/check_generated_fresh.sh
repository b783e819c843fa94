#!/bin/sh
# TAP: generated/ must equal a fresh regeneration from vk.xml, and a fresh
# regeneration must not append to the committed opcode table.
# Environment (set by make check): PYTHON (empty: no generator python), VK_XML,
# VIDEO_XML (a path, 'none', or empty: beside vk.xml), top_srcdir.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

if [ -z "${PYTHON:-}" ]; then
    echo "1..0 # SKIP no Python 3 with lxml and Jinja2 (apt-get install python3-lxml python3-jinja2, rerun configure)"
    exit 0
fi
if [ -z "${VK_XML:-}" ] || [ ! -f "$VK_XML" ]; then
    echo "1..0 # SKIP vk.xml not found (configure --with-vk-xml=PATH, or apt-get install libvulkan-dev)"
    exit 0
fi

# "1.3.239" from the Vulkan #defines of vk.xml (the first ones; later ones are
# Vulkan SC's).
xml_version=$(sed -n -e 's/<[^>]*>//g' \
    -e 's/^#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION( *[0-9]*, *\([0-9]*\), *\([0-9]*\),.*/\1.\2/p' \
    -e 's/^#define VK_HEADER_VERSION \([0-9][0-9]*\).*/\1/p' "$VK_XML" |
    awk '/\./ { if (mm == "") mm = $0; next } { if (patch == "") patch = $0 }
         END { if (mm != "" && patch != "") print mm "." patch }')
# The vk.xml version generated/ was made from, from its "... vk.xml 1.3.NNN" stamp.
stamp_version=$(find "$top_srcdir/generated" -type f -name '*.[ch]' -exec head -n 5 {} + 2>/dev/null |
    sed -n 's/.*vk\.xml \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*\).*/\1/p' | head -n 1)
if [ -n "$xml_version" ] && [ -n "$stamp_version" ] && [ "$xml_version" != "$stamp_version" ]; then
    echo "1..0 # SKIP generated/ is from vk.xml $stamp_version, this machine has $xml_version ($VK_XML)"
    exit 0
fi

echo "1..1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkw-fresh.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if ! cp "$top_srcdir/gen/opcodes.txt" "$tmp/opcodes.txt" || ! mkdir "$tmp/generated"; then
    echo "Bail out! cannot copy gen/opcodes.txt to $tmp"
    exit 1
fi

if ! "$PYTHON" "$top_srcdir/gen/vkwire_gen.py" \
        --xml "$VK_XML" \
        ${VIDEO_XML:+--video-xml "$VIDEO_XML"} \
        --annotations "$top_srcdir/gen/annotations.conf" \
        --opcodes "$tmp/opcodes.txt" \
        --templates "$top_srcdir/templates" \
        --out "$tmp/generated" >"$tmp/gen.log" 2>&1; then
    echo "not ok 1 - generated/ matches a fresh regeneration"
    echo "# the generator failed:"
    sed -n '1,50s/^/# /p' "$tmp/gen.log"
    exit 0
fi

# In-tree builds leave objects and dependency files beside generated sources.
diff -r -u -x '*.o' -x '*.lo' -x '*.obj' -x .deps -x .libs -x .dirstamp \
    "$top_srcdir/generated" "$tmp/generated" >"$tmp/diff" 2>&1
diff -u "$top_srcdir/gen/opcodes.txt" "$tmp/opcodes.txt" >"$tmp/opcodes.diff" 2>&1

if [ -s "$tmp/diff" ] || [ -s "$tmp/opcodes.diff" ]; then
    echo "not ok 1 - generated/ matches a fresh regeneration"
    if [ -s "$tmp/diff" ]; then
        echo "# generated/ is stale: run make regen and commit the result"
        sed -n '1,50s/^/# /p' "$tmp/diff"
    fi
    if [ -s "$tmp/opcodes.diff" ]; then
        echo "# a fresh regeneration appended to gen/opcodes.txt: run make regen and commit it"
        sed -n '1,50s/^/# /p' "$tmp/opcodes.diff"
    fi
else
    echo "ok 1 - generated/ matches a fresh regeneration"
fi
