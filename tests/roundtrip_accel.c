/* roundtrip_accel — round trips of the host acceleration-structure commands'
 * hand-written forms (doc/PROTOCOL.md 22.3 to 22.5; declared in
 * roundtrip_special.h): geometries of every kind with real host data, an
 * application's pointers at every offset the build ranges give, and
 * serialized data.  The host must hold exactly the bytes each build would
 * read, at the host address it rebuilt; every prefix of a build command
 * must be refused, bit flips survived (under ASan/UBSan in the sanitizer
 * build).  The host's checks of what came against the ranges are
 * tests/test_dispatch.c's and tests/test_hostile.c's. */
#include <stdlib.h>
#include <string.h>

#include "roundtrip_special.h"
#include "vkw_accel.h"
#include "vkw_guest_encode.h"
#include "vkw_formats.h"
#include "vkw_handles.h"
#include "vkw_host_decode.h"
#include "vkw_vulkan_util.h"

#define BUILD_ITERATIONS 24
#define BUILD_FLIPS 64

static uint64_t as_handle(struct rt *t)
{
    return rt_handle(t, VKW_HANDLE_VkAccelerationStructureKHR, false);
}

/* Application memory of `offset + size` bytes, random, for an address. */
static void *host_bytes(struct rt *t, const struct vkw_accel_range *r)
{
    uint8_t *p = rt_alloc(t, r->offset + r->size + 1, 1);
    rt_bytes(t, p, r->offset + r->size);
    return p;
}

/* One geometry, its range, and the memory behind its addresses. */
static void fill_geometry(struct rt *t, VkAccelerationStructureGeometryKHR *g,
                          VkAccelerationStructureBuildRangeInfoKHR *range)
{
    static const VkFormat formats[] = {VK_FORMAT_R32G32B32_SFLOAT, VK_FORMAT_R16G16_SFLOAT,
                                       VK_FORMAT_R16G16B16A16_SNORM};
    static const VkIndexType index_types[] = {VK_INDEX_TYPE_NONE_KHR, VK_INDEX_TYPE_UINT16,
                                              VK_INDEX_TYPE_UINT32};
    memset(g, 0, sizeof(*g));
    g->sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_KHR;
    g->flags = rt_u32(t) & 3u;
    *range = (VkAccelerationStructureBuildRangeInfoKHR){
        .primitiveCount = rt_below(t, 5),
        .primitiveOffset = 16 * rt_below(t, 4),
        .firstVertex = rt_below(t, 3),
        .transformOffset = 16 * rt_below(t, 3),
    };
    switch (rt_below(t, 3)) {
    case 0: {
        g->geometryType = VK_GEOMETRY_TYPE_TRIANGLES_KHR;
        VkAccelerationStructureGeometryTrianglesDataKHR *tr = &g->geometry.triangles;
        tr->sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_TRIANGLES_DATA_KHR;
        tr->vertexFormat = formats[rt_below(t, 3)];
        tr->vertexStride = vkw_format_block_size(tr->vertexFormat) + 4 * rt_below(t, 3);
        tr->indexType = index_types[rt_below(t, 3)];
        tr->maxVertex = range->firstVertex + 3 * range->primitiveCount + rt_below(t, 3);
        break;
    }
    case 1:
        g->geometryType = VK_GEOMETRY_TYPE_AABBS_KHR;
        g->geometry.aabbs.sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_AABBS_DATA_KHR;
        g->geometry.aabbs.stride = VKW_ACCEL_AABB_BYTES + 8 * rt_below(t, 2);
        break;
    default:
        g->geometryType = VK_GEOMETRY_TYPE_INSTANCES_KHR;
        g->geometry.instances.sType =
            VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_GEOMETRY_INSTANCES_DATA_KHR;
        g->geometry.instances.arrayOfPointers = rt_coin(t);
        break;
    }
    struct vkw_accel_range r[VKW_ACCEL_MAX_ADDRESSES];
    unsigned count;
    uint64_t bad;
    if (vkw_accel_geometry_ranges(g, range, r, &count, &bad) != VKW_OK) {
        rt_mismatch(t, "a test geometry has no ranges");
        return;
    }
    for (unsigned k = 0; k < count; k++) {
        VkDeviceOrHostAddressConstKHR *a = vkw_accel_geometry_address(g, k);
        if (r[k].use == VKW_ACCEL_IGNORED) {
            a->deviceAddress = 0xdead0; /* ignored: the encoder must not touch it */
            continue;
        }
        if (r[k].use == VKW_ACCEL_OPTIONAL && rt_below(t, 3) == 0)
            continue; /* none given */
        uint8_t *p = host_bytes(t, &r[k]);
        a->hostAddress = p;
        if (g->geometryType != VK_GEOMETRY_TYPE_INSTANCES_KHR)
            continue;
        /* Instances name acceleration structures by handle: the guest's. */
        const uint32_t n = range->primitiveCount;
        if (g->geometry.instances.arrayOfPointers) {
            const void **ptrs = (const void **)(p + r[k].offset);
            memset(p + r[k].offset, 0, r[k].size); /* room for more than n pointers */
            for (uint32_t m = 0; m < n; m++) {
                uint8_t *inst = rt_alloc(t, VKW_ACCEL_INSTANCE_BYTES, 1);
                rt_bytes(t, inst, VKW_ACCEL_INSTANCE_BYTES);
                const uint64_t ref = as_handle(t);
                memcpy(inst + VKW_ACCEL_INSTANCE_REFERENCE, &ref, sizeof(ref));
                ptrs[m] = inst;
            }
        } else {
            for (uint32_t m = 0; m < n; m++) {
                const uint64_t ref = as_handle(t);
                memcpy(p + r[k].offset + m * VKW_ACCEL_INSTANCE_BYTES + VKW_ACCEL_INSTANCE_REFERENCE,
                       &ref, sizeof(ref));
            }
        }
    }
}

/* The host holds exactly the bytes the build reads, where its rebuilt
 * address makes the driver read them. */
static void cmp_geometry(struct rt *t, const VkAccelerationStructureGeometryKHR *app,
                         const VkAccelerationStructureGeometryKHR *host,
                         const VkAccelerationStructureBuildRangeInfoKHR *range)
{
    if (app->geometryType != host->geometryType || app->flags != host->flags) {
        rt_mismatch(t, "build: geometry type or flags");
        return;
    }
    struct vkw_accel_range r[VKW_ACCEL_MAX_ADDRESSES];
    unsigned count;
    uint64_t bad;
    vkw_accel_geometry_ranges(app, range, r, &count, &bad);
    VkAccelerationStructureGeometryKHR a = *app, h = *host;
    for (unsigned k = 0; k < count; k++) {
        const uint8_t *pa = vkw_accel_geometry_address(&a, k)->hostAddress;
        const uint8_t *ph = vkw_accel_geometry_address(&h, k)->hostAddress;
        if (r[k].use == VKW_ACCEL_IGNORED || !pa) {
            if (ph)
                rt_mismatch(t, "build: an address the application did not give");
            continue;
        }
        if (!ph) {
            rt_mismatch(t, "build: an address lost");
            continue;
        }
        const bool pointers = app->geometryType == VK_GEOMETRY_TYPE_INSTANCES_KHR &&
                              app->geometry.instances.arrayOfPointers;
        if (!pointers) {
            if (memcmp(pa + r[k].offset, ph + r[k].offset, r[k].size) != 0)
                rt_mismatch(t, "build: the bytes read through an address");
            continue;
        }
        const void *const *qa = (const void *const *)(pa + r[k].offset);
        const void *const *qh = (const void *const *)(ph + r[k].offset);
        for (uint32_t m = 0; m < range->primitiveCount; m++)
            if (memcmp(qa[m], qh[m], VKW_ACCEL_INSTANCE_BYTES) != 0)
                rt_mismatch(t, "build: an instance behind a pointer");
    }
    if (app->geometryType == VK_GEOMETRY_TYPE_TRIANGLES_KHR) {
        const VkAccelerationStructureGeometryTrianglesDataKHR *x = &app->geometry.triangles,
                                                               *y = &host->geometry.triangles;
        if (x->vertexFormat != y->vertexFormat || x->vertexStride != y->vertexStride ||
            x->maxVertex != y->maxVertex || x->indexType != y->indexType)
            rt_mismatch(t, "build: triangles");
    } else if (app->geometryType == VK_GEOMETRY_TYPE_AABBS_KHR &&
               app->geometry.aabbs.stride != host->geometry.aabbs.stride) {
        rt_mismatch(t, "build: AABB stride");
    } else if (app->geometryType == VK_GEOMETRY_TYPE_INSTANCES_KHR &&
               app->geometry.instances.arrayOfPointers != host->geometry.instances.arrayOfPointers) {
        rt_mismatch(t, "build: arrayOfPointers");
    }
}

/* Why the last decode failed. */
static const char *refused;

static bool decode_build(struct rt *t, const void *payload, size_t size,
                         struct vkw_args_vkBuildAccelerationStructuresKHR *a)
{
    struct vkw_host_decoder d = {.objects = &t->objects, .length = rt_decoder_length};
    vkw_reader_init(&d.r, payload, size, &t->decode);
    const bool ok = vkw_decode_args_vkBuildAccelerationStructuresKHR(&d, a) && d.hand_written;
    refused = ok ? NULL : vkw_error_name(d.r.error);
    return ok;
}

void rt_roundtrip_vkBuildAccelerationStructuresKHR(struct rt *t)
{
    bool ok = true, abused = true;
    for (int it = 0; it < BUILD_ITERATIONS && ok; it++) {
        rt_reset_case(t);
        const VkDevice device = VKW_U64_HANDLE(VkDevice, rt_handle(t, VKW_HANDLE_VkDevice, true));
        const VkDeferredOperationKHR op = VKW_U64_HANDLE(
            VkDeferredOperationKHR,
            rt_coin(t) ? 0 : rt_handle(t, VKW_HANDLE_VkDeferredOperationKHR, false));
        const uint32_t n = 1 + rt_below(t, 3);
        VkAccelerationStructureBuildGeometryInfoKHR *infos = rt_alloc(t, n, sizeof(*infos));
        const VkAccelerationStructureBuildRangeInfoKHR **ranges = rt_alloc(t, n, sizeof(*ranges));
        for (uint32_t i = 0; i < n; i++) {
            VkAccelerationStructureBuildGeometryInfoKHR *info = &infos[i];
            info->sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_GEOMETRY_INFO_KHR;
            info->type = rt_coin(t) ? VK_ACCELERATION_STRUCTURE_TYPE_TOP_LEVEL_KHR
                                    : VK_ACCELERATION_STRUCTURE_TYPE_BOTTOM_LEVEL_KHR;
            info->flags = rt_u32(t) & 0x1fu;
            info->mode = rt_coin(t) ? VK_BUILD_ACCELERATION_STRUCTURE_MODE_BUILD_KHR
                                    : VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR;
            /* An update needs a structure to update from (the host refuses
             * one without); a build ignores it, so it may be anything. */
            const bool update = info->mode == VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR;
            info->srcAccelerationStructure =
                VKW_U64_HANDLE(VkAccelerationStructureKHR, !update && rt_coin(t) ? 0 : as_handle(t));
            info->dstAccelerationStructure = VKW_U64_HANDLE(VkAccelerationStructureKHR, as_handle(t));
            info->geometryCount = rt_below(t, 4);
            info->scratchData.hostAddress = (void *)(uintptr_t)0xdead0; /* never read */
            VkAccelerationStructureGeometryKHR *gs =
                rt_alloc(t, info->geometryCount + 1, sizeof(*gs));
            VkAccelerationStructureBuildRangeInfoKHR *rs =
                rt_alloc(t, info->geometryCount + 1, sizeof(*rs));
            for (uint32_t j = 0; j < info->geometryCount; j++)
                fill_geometry(t, &gs[j], &rs[j]);
            if (rt_coin(t)) {
                info->pGeometries = gs;
            } else {
                const VkAccelerationStructureGeometryKHR **pp =
                    rt_alloc(t, info->geometryCount + 1, sizeof(*pp));
                for (uint32_t j = 0; j < info->geometryCount; j++)
                    pp[j] = &gs[j];
                info->ppGeometries = pp;
            }
            ranges[i] = rs;
        }
        struct vkw_writer w;
        vkw_writer_init(&w);
        vkw_encode_vkBuildAccelerationStructuresKHR(&w, (uint32_t)it, device, op, n, infos, ranges);
        struct vkw_reader stream;
        struct vkw_command_header h;
        vkw_reader_init(&stream, w.data, w.size, NULL);
        struct vkw_args_vkBuildAccelerationStructuresKHR a;
        if (w.failed || !vkw_read_command_header(&stream, &h) ||
            h.opcode != VKW_CMD_vkBuildAccelerationStructuresKHR)
            rt_mismatch(t, "build: header");
        else if (!decode_build(t, stream.cur, vkw_reader_remaining(&stream), &a))
            rt_mismatch(t, refused);
        else if (a.device != device || a.deferredOperation != op || a.infoCount != n)
            rt_mismatch(t, "build: parameters");
        for (uint32_t i = 0; !t->mismatch && i < n; i++) {
            const VkAccelerationStructureBuildGeometryInfoKHR *x = &infos[i], *y = &a.pInfos[i];
            if (x->type != y->type || x->flags != y->flags || x->mode != y->mode ||
                /* a build (not an update) ignores the source: none is sent */
                (x->mode == VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR
                     ? x->srcAccelerationStructure != y->srcAccelerationStructure
                     : y->srcAccelerationStructure != VK_NULL_HANDLE) ||
                x->dstAccelerationStructure != y->dstAccelerationStructure ||
                x->geometryCount != y->geometryCount || !x->pGeometries != !y->pGeometries ||
                !x->ppGeometries != !y->ppGeometries || y->scratchData.hostAddress != NULL)
                rt_mismatch(t, "build: info");
            for (uint32_t j = 0; !t->mismatch && j < x->geometryCount; j++) {
                cmp_geometry(t, vkw_accel_geometry(x, j), vkw_accel_geometry(y, j), &ranges[i][j]);
                if (memcmp(&ranges[i][j], &a.ppBuildRangeInfos[i][j], sizeof(ranges[i][j])) != 0)
                    rt_mismatch(t, "build: ranges");
            }
        }
        /* Every prefix refused; flipped bits decode or are refused. */
        const uint8_t *payload = w.data + VKW_HEADER_BYTES;
        const size_t size = w.failed ? 0 : w.size - VKW_HEADER_BYTES;
        for (size_t cut = 0; cut < size && abused; cut++) {
            void *copy = malloc(cut ? cut : 1);
            memcpy(copy, payload, cut);
            if (decode_build(t, copy, cut, &a))
                abused = false;
            free(copy);
            vkw_arena_reset(&t->decode);
        }
        for (int f = 0; f < BUILD_FLIPS && size > 0; f++) {
            uint8_t *copy = malloc(size);
            memcpy(copy, payload, size);
            const size_t bit = rt_u64(t) % (size * 8);
            copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            (void)decode_build(t, copy, size, &a);
            free(copy);
            vkw_arena_reset(&t->decode);
        }
        vkw_writer_fini(&w);
        ok = t->mismatch == NULL;
    }
    rt_ok(t, ok, "command vkBuildAccelerationStructuresKHR round trip%s%s", ok ? "" : ": ",
          ok ? "" : t->mismatch);
    rt_ok(t, abused, "command vkBuildAccelerationStructuresKHR: every truncation refused, %d bit "
          "flips survived", BUILD_FLIPS * BUILD_ITERATIONS);
}

static VkCopyAccelerationStructureModeKHR copy_mode(struct rt *t)
{
    static const VkCopyAccelerationStructureModeKHR modes[] = {
        VK_COPY_ACCELERATION_STRUCTURE_MODE_CLONE_KHR, VK_COPY_ACCELERATION_STRUCTURE_MODE_COMPACT_KHR,
        VK_COPY_ACCELERATION_STRUCTURE_MODE_SERIALIZE_KHR,
        VK_COPY_ACCELERATION_STRUCTURE_MODE_DESERIALIZE_KHR};
    return modes[rt_below(t, 4)];
}

const VkCopyAccelerationStructureToMemoryInfoKHR *rt_fill_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation)
{
    (void)device, (void)deferredOperation;
    VkCopyAccelerationStructureToMemoryInfoKHR *info = rt_alloc(t, 1, sizeof(*info));
    info->sType = VK_STRUCTURE_TYPE_COPY_ACCELERATION_STRUCTURE_TO_MEMORY_INFO_KHR;
    info->src = VKW_U64_HANDLE(VkAccelerationStructureKHR, as_handle(t));
    uint8_t *room = rt_alloc(t, 16, 1); /* the driver's to write, on the host */
    memset(room, 0x5a, 16);
    info->dst.hostAddress = room;
    info->mode = copy_mode(t);
    return info;
}

void rt_cmp_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, const VkCopyAccelerationStructureToMemoryInfoKHR *info,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    if (!a->pInfo || a->pInfo->src != info->src || a->pInfo->mode != info->mode ||
        a->pInfo->dst.hostAddress != NULL)
        rt_mismatch(t, "vkCopyAccelerationStructureToMemoryKHR.pInfo");
}

/* The serialized bytes are what the host's own command left (the decoder's
 * hand_written, which this test's host never runs): the reply carries none,
 * and the application's memory stays as it was.  tests/test_dispatch.c
 * sends real ones. */
void rt_answer_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    (void)t, (void)a;
}

void rt_cmp_reply_vkCopyAccelerationStructureToMemoryKHR_pInfo(
    struct rt *t, const VkCopyAccelerationStructureToMemoryInfoKHR *info,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    (void)a;
    const uint8_t *room = info->dst.hostAddress;
    for (int i = 0; i < 16; i++)
        if (room[i] != 0x5a)
            rt_mismatch(t, "vkCopyAccelerationStructureToMemoryKHR: dst written without bytes");
}

const VkCopyMemoryToAccelerationStructureInfoKHR *rt_fill_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, VkDevice device, VkDeferredOperationKHR deferredOperation)
{
    (void)device, (void)deferredOperation;
    /* Serialized data: a header, N handles, then the driver's bytes. */
    const uint64_t handles = rt_below(t, 4);
    const uint64_t size = VKW_ACCEL_SERIAL_HEADER + 8 * handles + 4 * rt_below(t, 16);
    uint8_t *data = rt_alloc(t, size, 1);
    rt_bytes(t, data, size);
    memcpy(data + VKW_ACCEL_SERIAL_SIZE_AT, &size, sizeof(size));
    memcpy(data + VKW_ACCEL_SERIAL_HANDLES_AT, &handles, sizeof(handles));
    VkCopyMemoryToAccelerationStructureInfoKHR *info = rt_alloc(t, 1, sizeof(*info));
    info->sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_ACCELERATION_STRUCTURE_INFO_KHR;
    info->src.hostAddress = data;
    info->dst = VKW_U64_HANDLE(VkAccelerationStructureKHR, as_handle(t));
    info->mode = copy_mode(t);
    return info;
}

void rt_cmp_vkCopyMemoryToAccelerationStructureKHR_pInfo(
    struct rt *t, const VkCopyMemoryToAccelerationStructureInfoKHR *info,
    const struct vkw_args_vkCopyMemoryToAccelerationStructureKHR *a)
{
    uint64_t size = 0;
    vkw_accel_serialized_size(info->src.hostAddress, &size);
    if (!a->pInfo || a->pInfo->dst != info->dst || a->pInfo->mode != info->mode ||
        !a->pInfo->src.hostAddress ||
        memcmp(a->pInfo->src.hostAddress, info->src.hostAddress, size) != 0)
        rt_mismatch(t, "vkCopyMemoryToAccelerationStructureKHR.pInfo");
}
