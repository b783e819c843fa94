/* vkw_accel — which bytes the host acceleration-structure commands read
 * through their host addresses, as both ends compute them.
 *
 * Owns: for one geometry of a host build (vkBuildAccelerationStructuresKHR)
 * and its build range, the byte range behind each of its host addresses
 * (doc/PROTOCOL.md 22.3); the header of an acceleration structure's
 * serialized form (22.5); the layout facts of an instance.  The guest sends
 * exactly these bytes, and the host requires exactly these: one function,
 * so the two cannot disagree.
 */
#ifndef VKW_ACCEL_H
#define VKW_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_wire.h"

/* A geometry has at most three host addresses (triangles: vertices,
 * indices, transform; AABBs: the boxes; instances: the instances). */
#define VKW_ACCEL_MAX_ADDRESSES 3u

/* VkAccelerationStructureInstanceKHR: 64 bytes, whose last 8 are the
 * reference, which host commands fill with a VkAccelerationStructureKHR. */
#define VKW_ACCEL_INSTANCE_BYTES 64u
#define VKW_ACCEL_INSTANCE_REFERENCE 56u
/* VkAabbPositionsKHR and VkTransformMatrixKHR. */
#define VKW_ACCEL_AABB_BYTES 24u
#define VKW_ACCEL_TRANSFORM_BYTES 48u

/* The serialized form starts with the driver's UUID, the compatibility
 * UUID, then three u64: the whole size (header included), the size once
 * deserialized, and the number N of acceleration-structure handles that
 * follow as N u64 before the data. */
#define VKW_ACCEL_SERIAL_HEADER (2u * VK_UUID_SIZE + 24u)
#define VKW_ACCEL_SERIAL_SIZE_AT (2u * VK_UUID_SIZE)
#define VKW_ACCEL_SERIAL_HANDLES_AT (2u * VK_UUID_SIZE + 16u)

/* How a build uses one host address. */
enum vkw_accel_use {
    VKW_ACCEL_IGNORED,  /* not read (indices of a geometry without them): never sent */
    VKW_ACCEL_OPTIONAL, /* read if the application gave one (a transform; an empty range) */
    VKW_ACCEL_REQUIRED, /* read: it must be there */
};

struct vkw_accel_range {
    enum vkw_accel_use use;
    uint64_t offset; /* where the bytes read start, from the host address */
    uint64_t size;   /* how many are read */
};

/* How many host addresses a geometry of `type` has (0 for a type vkwire
 * does not know). */
unsigned vkw_accel_address_count(VkGeometryTypeKHR type);

/* The ranges of `g`'s host addresses in wire order, for a build of
 * `range`; `*count` is how many addresses the geometry type has.  VKW_OK,
 * or why they cannot be computed, with `*value` for the error: BAD_ENUM (a
 * vertex format vk.xml gives no size, an index type a build does not take,
 * a geometry type vkwire does not know: the value), BAD_COUNT (a size that
 * overflows or cannot travel: the size or stride). */
enum vkw_error vkw_accel_geometry_ranges(const VkAccelerationStructureGeometryKHR *g,
                                         const VkAccelerationStructureBuildRangeInfoKHR *range,
                                         struct vkw_accel_range out[VKW_ACCEL_MAX_ADDRESSES],
                                         unsigned *count, uint64_t *value);

/* The host address of `g`'s i-th address (wire order), to read or rebuild. */
VkDeviceOrHostAddressConstKHR *vkw_accel_geometry_address(VkAccelerationStructureGeometryKHR *g,
                                                          unsigned i);

/* The geometries of a build info, one by one: pGeometries[j], else
 * *ppGeometries[j] (NULL where neither holds it). */
const VkAccelerationStructureGeometryKHR *vkw_accel_geometry(
    const VkAccelerationStructureBuildGeometryInfoKHR *info, uint32_t j);

/* The size serialized data states in its header (`header` holds at least
 * VKW_ACCEL_SERIAL_HEADER bytes); false when that size cannot hold the
 * header and the handles it announces. */
bool vkw_accel_serialized_size(const void *header, uint64_t *size);

#endif /* VKW_ACCEL_H */
