/* The Vulkan 1.4 core and extension families of vkw_cmdtest, one file
 * each, included by tests/vkw_cmdtest.c after its helpers (so they share
 * them) and before its scenario table.  Each family file defines its
 * scenario functions and a macro CMDTEST_<FAMILY> of table entries:
 *
 *   {"name", run, "what it checks", false, needs, without_layer},
 *
 * where `needs` (or NULL) asks for extensions and features and may skip the
 * scenario on a device that lacks them (struct device_needs), and
 * `without_layer` says Debian 12's validation layer cannot follow it. */
#ifndef VKW_CMDTEST_FAMILIES_H
#define VKW_CMDTEST_FAMILIES_H

#include "cmdtest/ray_tracing.h"

#define CMDTEST_FAMILIES CMDTEST_RAY_TRACING

#endif /* VKW_CMDTEST_FAMILIES_H */
