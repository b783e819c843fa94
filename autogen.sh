#!/bin/sh
# Bootstrap the Autotools files (configure, Makefile.in, build-aux/, m4/).
# Then: ./configure --with-vulkan && make && make check
set -e
cd "$(dirname "$0")"
for tool in autoreconf aclocal automake libtoolize pkg-config; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "autogen.sh: $tool not found (Debian/Ubuntu: apt-get install autoconf automake libtool pkg-config)" >&2
        exit 1
    fi
done
mkdir -p build-aux m4
autoreconf -fi
echo "autogen.sh: done; now ./configure --with-vulkan && make"
