/* vkw_accel — see vkw_accel.h. */
#include "vkw_accel.h"

#include <stddef.h>
#include <string.h>

#include "vkw_formats.h"
#include "vkw_handles.h"

/* a * b + c, false on overflow. */
static bool muladd(uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    uint64_t p;
    return !__builtin_mul_overflow(a, b, &p) && !__builtin_add_overflow(p, c, out);
}

/* The bytes `n` elements `stride` apart take when the last one is `last`
 * bytes long (0 for none). */
static bool spread(uint64_t n, uint64_t stride, uint64_t last, uint64_t *size)
{
    if (n == 0) {
        *size = 0;
        return true;
    }
    /* Bytes that travel: no more than one message can carry. */
    return muladd(n - 1, stride, last, size) && *size <= VKW_MAX_MESSAGE_BYTES;
}

static enum vkw_error triangles(const VkAccelerationStructureGeometryTrianglesDataKHR *t,
                                const VkAccelerationStructureBuildRangeInfoKHR *range,
                                struct vkw_accel_range out[VKW_ACCEL_MAX_ADDRESSES],
                                uint64_t *value)
{
    const uint64_t n = range->primitiveCount;
    const uint32_t vertex = vkw_format_block_size(t->vertexFormat);
    if (vertex == 0) {
        *value = (uint32_t)t->vertexFormat;
        return VKW_ERROR_BAD_ENUM;
    }
    uint32_t index;
    switch (t->indexType) {
    case VK_INDEX_TYPE_NONE_KHR: index = 0; break;
    case VK_INDEX_TYPE_UINT16: index = 2; break;
    case VK_INDEX_TYPE_UINT32: index = 4; break;
    default:
        *value = (uint32_t)t->indexType;
        return VKW_ERROR_BAD_ENUM;
    }
    struct vkw_accel_range *v = &out[0], *i = &out[1], *m = &out[2];
    bool ok;
    if (index) {
        /* Vertices are fetched by index (plus firstVertex), and the
         * geometry holds maxVertex + 1 of them from vertexData on. */
        v->offset = 0;
        ok = spread(n ? (uint64_t)t->maxVertex + 1 : 0, t->vertexStride, vertex, &v->size);
        i->use = n ? VKW_ACCEL_REQUIRED : VKW_ACCEL_OPTIONAL;
        i->offset = range->primitiveOffset;
        i->size = 3 * n * index; /* n < 2^32 */
        ok = ok && i->size <= VKW_MAX_MESSAGE_BYTES;
    } else {
        /* 3 × primitiveCount vertices from primitiveOffset +
         * firstVertex × vertexStride on. */
        ok = muladd(range->firstVertex, t->vertexStride, range->primitiveOffset, &v->offset) &&
             spread(3 * n, t->vertexStride, vertex, &v->size);
        *i = (struct vkw_accel_range){VKW_ACCEL_IGNORED, 0, 0};
    }
    if (!ok) {
        *value = t->vertexStride;
        return VKW_ERROR_BAD_COUNT;
    }
    v->use = n ? VKW_ACCEL_REQUIRED : VKW_ACCEL_OPTIONAL;
    *m = (struct vkw_accel_range){VKW_ACCEL_OPTIONAL, range->transformOffset,
                                  n ? VKW_ACCEL_TRANSFORM_BYTES : 0};
    return VKW_OK;
}

unsigned vkw_accel_address_count(VkGeometryTypeKHR type)
{
    switch (type) {
    case VK_GEOMETRY_TYPE_TRIANGLES_KHR: return 3;
    case VK_GEOMETRY_TYPE_AABBS_KHR: return 1;
    case VK_GEOMETRY_TYPE_INSTANCES_KHR: return 1;
    default: return 0;
    }
}

enum vkw_error vkw_accel_geometry_ranges(const VkAccelerationStructureGeometryKHR *g,
                                         const VkAccelerationStructureBuildRangeInfoKHR *range,
                                         struct vkw_accel_range out[VKW_ACCEL_MAX_ADDRESSES],
                                         unsigned *count, uint64_t *value)
{
    const uint64_t n = range->primitiveCount;
    memset(out, 0, VKW_ACCEL_MAX_ADDRESSES * sizeof(*out));
    *count = vkw_accel_address_count(g->geometryType);
    switch (g->geometryType) {
    case VK_GEOMETRY_TYPE_TRIANGLES_KHR:
        return triangles(&g->geometry.triangles, range, out, value);
    case VK_GEOMETRY_TYPE_AABBS_KHR:
        out[0].use = n ? VKW_ACCEL_REQUIRED : VKW_ACCEL_OPTIONAL;
        out[0].offset = range->primitiveOffset;
        if (!spread(n, g->geometry.aabbs.stride, VKW_ACCEL_AABB_BYTES, &out[0].size)) {
            *value = g->geometry.aabbs.stride;
            return VKW_ERROR_BAD_COUNT;
        }
        return VKW_OK;
    case VK_GEOMETRY_TYPE_INSTANCES_KHR:
        /* An array of instances, or of pointers to them: either way the
         * instances travel, packed (the host rebuilds the pointers). */
        out[0].use = n ? VKW_ACCEL_REQUIRED : VKW_ACCEL_OPTIONAL;
        out[0].offset = range->primitiveOffset;
        out[0].size = n * VKW_ACCEL_INSTANCE_BYTES; /* n < 2^32: no overflow */
        if (out[0].size > VKW_MAX_MESSAGE_BYTES) {
            *value = out[0].size;
            return VKW_ERROR_BAD_COUNT;
        }
        return VKW_OK;
    default:
        *value = (uint32_t)g->geometryType;
        return VKW_ERROR_BAD_ENUM;
    }
}

VkDeviceOrHostAddressConstKHR *vkw_accel_geometry_address(VkAccelerationStructureGeometryKHR *g,
                                                          unsigned i)
{
    switch (g->geometryType) {
    case VK_GEOMETRY_TYPE_TRIANGLES_KHR:
        return i == 0 ? &g->geometry.triangles.vertexData
             : i == 1 ? &g->geometry.triangles.indexData
                      : &g->geometry.triangles.transformData;
    case VK_GEOMETRY_TYPE_AABBS_KHR:
        return &g->geometry.aabbs.data;
    default:
        return &g->geometry.instances.data;
    }
}

const VkAccelerationStructureGeometryKHR *vkw_accel_geometry(
    const VkAccelerationStructureBuildGeometryInfoKHR *info, uint32_t j)
{
    if (info->pGeometries)
        return &info->pGeometries[j];
    return info->ppGeometries ? info->ppGeometries[j] : NULL;
}

bool vkw_accel_serialized_size(const void *header, uint64_t *size)
{
    uint64_t handles;
    memcpy(size, (const uint8_t *)header + VKW_ACCEL_SERIAL_SIZE_AT, sizeof(*size));
    memcpy(&handles, (const uint8_t *)header + VKW_ACCEL_SERIAL_HANDLES_AT, sizeof(handles));
    uint64_t least;
    return muladd(handles, sizeof(uint64_t), VKW_ACCEL_SERIAL_HEADER, &least) && *size >= least &&
           *size <= VKW_MAX_MESSAGE_BYTES;
}
