#!/usr/bin/env bash
# Installs what vkwire needs to build and test on Debian/Ubuntu: compiler and
# Autotools, the Vulkan headers, loader and registry, lavapipe (the CPU driver
# the tests use as host), the validation layers, the generator's Python,
# clang with libFuzzer and its sanitizer runtimes (make fuzz), and valgrind
# (the cleanup test's leak check).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get)
if [ "$(id -u)" -ne 0 ]; then
    apt=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
fi
"${apt[@]}" update
"${apt[@]}" install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config \
    libvulkan-dev mesa-vulkan-drivers vulkan-tools vulkan-validationlayers \
    glslang-tools glslc \
    python3 python3-lxml python3-jinja2 \
    clang valgrind \
    git ca-certificates
# libFuzzer and the sanitizer runtimes are only recommended by clang on
# Debian 12 (libclang-rt-dev); older releases ship them with clang itself.
if apt-cache show libclang-rt-dev >/dev/null 2>&1; then
    "${apt[@]}" install -y --no-install-recommends libclang-rt-dev
fi
