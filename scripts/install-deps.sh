#!/usr/bin/env bash
# Installs what vkwire needs to build and test on Debian/Ubuntu: compiler and
# Autotools, the Vulkan loader and registry, lavapipe (the CPU driver the
# tests use as host), the validation layers, the generator's Python, clang
# with libFuzzer and its sanitizer runtimes (make fuzz), and valgrind (the
# cleanup test's leak check).
#
# vkwire generates from and compiles against Vulkan-Headers 1.4.309 or newer
# (vk.xml, the C headers, the video headers: one version).  Where the system
# has older ones (Debian 12: 1.3.239), the headers come from Debian 13's
# libvulkan-dev, unpacked into $VKW_HEADERS_ROOT (default /opt/vkwire), where
# ./configure --with-vulkan finds them: nothing of Debian 13 is installed,
# since its libvulkan1 needs a newer libc.  The system's loader stays: a
# 1.3 loader loads 1.4 drivers.
#
# The test host is lavapipe from Mesa 25 (Vulkan 1.4): on Debian 12 it comes
# from bookworm-backports, enabled for mesa-vulkan-drivers and what it needs
# only (backports are never preferred otherwise).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo env DEBIAN_FRONTEND=noninteractive)
fi
apt=("${sudo[@]}" apt-get)

wanted_headers=1.4.309
headers_root=${VKW_HEADERS_ROOT:-/opt/vkwire}
# shellcheck disable=SC1091
. /etc/os-release
codename=${VERSION_CODENAME:-}

# Debian 12: lavapipe 25 from bookworm-backports.
backports_list=/etc/apt/sources.list.d/vkwire-bookworm-backports.list
if [ "$codename" = bookworm ] && ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' |
        "${sudo[@]}" tee "$backports_list" >/dev/null
fi

"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    libvulkan-dev vulkan-tools vulkan-validationlayers \
    glslang-tools glslc spirv-tools \
    python3 python3-lxml python3-jinja2 \
    clang valgrind \
    git ca-certificates
if [ "$codename" = bookworm ]; then
    # The package name with /suite takes it, and the dependencies it needs,
    # from backports; nothing else moves.
    "${apt[@]}" install -y --no-install-recommends mesa-vulkan-drivers/bookworm-backports
else
    "${apt[@]}" install -y --no-install-recommends mesa-vulkan-drivers
fi
# libFuzzer and the sanitizer runtimes are only recommended by clang on
# Debian 12 (libclang-rt-dev); older releases ship them with clang itself.
if apt-cache show libclang-rt-dev >/dev/null 2>&1; then
    "${apt[@]}" install -y --no-install-recommends libclang-rt-dev
fi

# "1.4.309" from a vulkan_core.h; empty when there is none.
header_version() {
    sed -n -e 's/^#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION( *[0-9]*, *\([0-9]*\), *\([0-9]*\),.*/\1.\2/p' \
        -e 's/^#define VK_HEADER_VERSION \([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null |
        awk '/\./ { if (mm == "") mm = $0; next } { if (patch == "") patch = $0 }
             END { if (mm != "" && patch != "") print mm "." patch }'
}
# version_ge A B: A >= B for dotted versions.
version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$2" ]; }

system_version=$(header_version /usr/include/vulkan/vulkan_core.h)
if [ -n "$system_version" ] && version_ge "$system_version" "$wanted_headers" &&
        [ -f /usr/share/vulkan/registry/vk.xml ]; then
    echo "install-deps: the system's Vulkan headers $system_version are new enough"
    exit 0
fi
prefix=$headers_root/vulkan-headers-$wanted_headers
if [ -f "$prefix/usr/share/vulkan/registry/vk.xml" ] &&
        [ "$(header_version "$prefix/usr/include/vulkan/vulkan_core.h")" = "$wanted_headers" ]; then
    echo "install-deps: Vulkan headers $wanted_headers already in $prefix"
    exit 0
fi

# Debian 13's libvulkan-dev through a private apt state: the system's sources
# and package lists stay as they are.
work=$(mktemp -d "${TMPDIR:-/tmp}/vkw-headers.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
echo 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' \
    > "$work/sources.list"
chmod -R a+rwX "$work"   # apt's download user must write there
private=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
         -o APT::Sandbox::User=root)
apt-get "${private[@]}" update
(cd "$work/deb" && apt-get "${private[@]}" download "libvulkan-dev=$wanted_headers.0-1")
"${sudo[@]}" mkdir -p "$prefix"
"${sudo[@]}" dpkg -x "$work"/deb/libvulkan-dev_*.deb "$prefix"
got=$(header_version "$prefix/usr/include/vulkan/vulkan_core.h")
if [ "$got" != "$wanted_headers" ] || [ ! -f "$prefix/usr/share/vulkan/registry/vk.xml" ]; then
    echo "install-deps: unpacking libvulkan-dev gave headers '$got' in $prefix, not $wanted_headers" >&2
    exit 1
fi
echo "install-deps: Vulkan headers $wanted_headers (vk.xml, vulkan/, vk_video/) in $prefix"
