/* The Vulkan 1.4 core and extension families of vkw_cmdtest, one file
 * each, included by tests/vkw_cmdtest.c after its helpers (so they share
 * them) and before its scenario table.  Each family file defines its
 * scenario functions and a macro CMDTEST_<FAMILY> of table entries:
 *
 *   {"name", run, "what it checks", false, needs, without_layer},
 *
 * where `needs` (or NULL) asks for extensions and features and may skip the
 * scenario on a device without them (struct device_needs), and
 * `without_layer` says Debian 12's validation layer cannot follow it. */
#ifndef VKW_CMDTEST_FAMILIES_H
#define VKW_CMDTEST_FAMILIES_H

#include "cmdtest/debug_utils.h"
#include "cmdtest/entry_points.h"
#include "cmdtest/video.h"

#define CMDTEST_FAMILIES CMDTEST_ENTRY_POINTS CMDTEST_DEBUG_UTILS CMDTEST_VIDEO

#endif /* VKW_CMDTEST_FAMILIES_H */
