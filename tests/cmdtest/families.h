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

#include "cmdtest/blocking.h"
#include "cmdtest/clocks.h"
#include "cmdtest/debug_utils.h"
#include "cmdtest/descriptor_buffer.h"
#include "cmdtest/descriptors.h"
#include "cmdtest/device_fault.h"
#include "cmdtest/entry_points.h"
#include "cmdtest/external.h"
#include "cmdtest/host_image_copy.h"
#include "cmdtest/lifetimes.h"
#include "cmdtest/local_read.h"
#include "cmdtest/maintenance.h"
#include "cmdtest/memory.h"
#include "cmdtest/pipeline_library.h"
#include "cmdtest/private_data.h"
#include "cmdtest/ray_tracing.h"
#include "cmdtest/shaders.h"
#include "cmdtest/video.h"

#define CMDTEST_FAMILIES                                                                        \
    CMDTEST_ENTRY_POINTS CMDTEST_PROMOTED_ALIASES CMDTEST_DEBUG_UTILS CMDTEST_HOST_IMAGE_COPY    \
    CMDTEST_SHADERS_FAMILY CMDTEST_DESCRIPTOR_BUFFER CMDTEST_DESCRIPTORS CMDTEST_MAINTENANCE      \
    CMDTEST_LOCAL_READ CMDTEST_PIPELINE_LIBRARY CMDTEST_EXTERNAL CMDTEST_MEMORY CMDTEST_CLOCKS \
    CMDTEST_RAY_TRACING CMDTEST_DEVICE_FAULT CMDTEST_VIDEO CMDTEST_PRIVATE_DATA CMDTEST_LIFETIMES \
    CMDTEST_BLOCKING

#endif /* VKW_CMDTEST_FAMILIES_H */
