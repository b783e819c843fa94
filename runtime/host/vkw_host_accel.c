/* vkw_host_accel — see vkw_host_accel.h. */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include "vkw_host_accel.h"

#include <string.h>
#include <time.h>

#include "vkw_accel.h"
#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"

/* ---- deferred operations ---- */

VkResult vkw_host_finish_deferred(struct vkw_host_context *ctx, VkDevice device,
                                  VkDeferredOperationKHR op, VkResult result)
{
    if (result != VK_OPERATION_DEFERRED_KHR || op == VK_NULL_HANDLE ||
        !ctx->vk.vkDeferredOperationJoinKHR || !ctx->vk.vkGetDeferredOperationResultKHR)
        return result;
    const struct timespec pause = {0, 100 * 1000};
    for (;;) {
        const VkResult joined = ctx->vk.vkDeferredOperationJoinKHR(device, op);
        if (joined == VK_SUCCESS)
            break; /* complete */
        if (joined != VK_THREAD_DONE_KHR && joined != VK_THREAD_IDLE_KHR)
            break; /* the operation's result says what went wrong */
        /* Done: the driver's own threads finish it.  Idle: no work for now. */
        if (ctx->vk.vkGetDeferredOperationResultKHR(device, op) != VK_NOT_READY)
            break;
        nanosleep(&pause, NULL);
    }
    return result;
}

/* ---- checks shared by the host commands ---- */

/* Host commands only where the physical device has them: a driver without
 * them may not implement them at all (lavapipe, NVIDIA). */
static bool host_commands(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          VkDevice device, bool have_entry)
{
    VkPhysicalDeviceAccelerationStructureFeaturesKHR as = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ACCELERATION_STRUCTURE_FEATURES_KHR};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &as};
    const struct vkw_host_device *dev = vkw_host_device_of_handle(&ctx->memory, device);
    if (have_entry && dev && ctx->vk.vkGetPhysicalDeviceFeatures2)
        ctx->vk.vkGetPhysicalDeviceFeatures2(dev->physical, &features);
    if (!as.accelerationStructureHostCommands)
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, d->opcode);
    return vkw_reader_ok(&d->r);
}

/* What arrived for one host address (doc/PROTOCOL.md 22.3). */
struct host_data {
    bool present;
    uint64_t offset, size;
    uint8_t *bytes; /* the host's copy, in the arena */
};

static void read_host_data(struct vkw_host_decoder *d, struct host_data *h)
{
    h->present = vkw_read_presence(&d->r);
    if (!h->present)
        return;
    h->offset = vkw_read_u64(&d->r);
    h->size = vkw_read_count(&d->r, 1);
    h->bytes = vkw_reader_alloc(&d->r, h->size, 1);
    if (h->bytes)
        vkw_read_bytes(&d->r, h->bytes, (size_t)h->size);
}

/* The host address that makes the driver read `h`'s bytes at `offset`: the
 * copy holds only the bytes read, so the address is `offset` before it
 * (the driver adds the offset back; integer arithmetic, never
 * dereferenced as such). */
static const void *rebuilt(const struct host_data *h, const void *start)
{
    return h->present ? (const void *)((uintptr_t)start - (uintptr_t)h->offset) : NULL;
}

/* An address the guest must send as 0: the host makes its own. */
static void require_zero(struct vkw_host_decoder *d, uint64_t address)
{
    if (address != 0 && vkw_reader_ok(&d->r))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, address);
}

/* What a build info must hold that vk.xml cannot say (so no generated
 * check sees it): its geometries one way, pGeometries or ppGeometries, not
 * both (which would the driver read?) and not neither while it has
 * geometries (it would follow NULL); an acceleration structure to build
 * into, and for an update one to update from (the member is optional in
 * vk.xml because the size query ignores it; a build would write through
 * NULL). */
static bool build_info_ok(struct vkw_host_decoder *d,
                          const VkAccelerationStructureBuildGeometryInfoKHR *info)
{
    if (info->pGeometries && info->ppGeometries)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 1);
    else if (!info->pGeometries && !info->ppGeometries && info->geometryCount != 0)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0);
    else if (info->dstAccelerationStructure == VK_NULL_HANDLE ||
             (info->mode == VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR &&
              info->srcAccelerationStructure == VK_NULL_HANDLE))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, 0);
    return vkw_reader_ok(&d->r);
}

/* ---- device builds ---- */

void vkw_host_vkCmdBuildAccelerationStructuresKHR(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkCmdBuildAccelerationStructuresKHR *a)
{
    for (uint32_t i = 0; a->pInfos && i < a->infoCount; i++)
        if (!build_info_ok(d, &a->pInfos[i]))
            return;
    if (!ctx->vk.vkCmdBuildAccelerationStructuresKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCmdBuildAccelerationStructuresKHR);
        return;
    }
    ctx->vk.vkCmdBuildAccelerationStructuresKHR(a->commandBuffer, a->infoCount, a->pInfos,
                                                a->ppBuildRangeInfos);
}

void vkw_host_vkCmdBuildAccelerationStructuresIndirectKHR(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkCmdBuildAccelerationStructuresIndirectKHR *a)
{
    for (uint32_t i = 0; a->pInfos && i < a->infoCount; i++)
        if (!build_info_ok(d, &a->pInfos[i]))
            return;
    if (!ctx->vk.vkCmdBuildAccelerationStructuresIndirectKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED,
                        VKW_CMD_vkCmdBuildAccelerationStructuresIndirectKHR);
        return;
    }
    ctx->vk.vkCmdBuildAccelerationStructuresIndirectKHR(a->commandBuffer, a->infoCount, a->pInfos,
                                                        a->pIndirectDeviceAddresses,
                                                        a->pIndirectStrides,
                                                        a->ppMaxPrimitiveCounts);
}

/* ---- vkBuildAccelerationStructuresKHR ---- */

/* What vkw_decode_host_build_infos leaves for the command (d->hand_written):
 * per info, VKW_ACCEL_MAX_ADDRESSES slots per geometry. */
struct build_data {
    struct host_data **items;
};

/* Instances: each reference is a guest id of an acceleration structure,
 * which becomes its host handle; an array of pointers is rebuilt over the
 * packed instances. */
static const void *instances(struct vkw_host_decoder *d, struct host_data *h, bool pointers)
{
    if (h->size % VKW_ACCEL_INSTANCE_BYTES != 0) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, h->size);
        return NULL;
    }
    const uint64_t n = h->size / VKW_ACCEL_INSTANCE_BYTES;
    for (uint64_t m = 0; m < n && vkw_reader_ok(&d->r); m++) {
        uint8_t *ref = h->bytes + m * VKW_ACCEL_INSTANCE_BYTES + VKW_ACCEL_INSTANCE_REFERENCE;
        uint64_t id, host = 0;
        memcpy(&id, ref, sizeof(id));
        if (!vkw_object_table_lookup(d->objects, id, VKW_HANDLE_VkAccelerationStructureKHR, &host))
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id); /* 0 too: the driver follows it */
        memcpy(ref, &host, sizeof(host));
    }
    if (!pointers)
        return h->bytes;
    const void **p = vkw_reader_alloc(&d->r, n, sizeof(*p));
    for (uint64_t m = 0; p && m < n; m++)
        p[m] = h->bytes + m * VKW_ACCEL_INSTANCE_BYTES;
    return p;
}

void vkw_decode_host_build_infos(struct vkw_host_decoder *d,
                                 struct vkw_args_vkBuildAccelerationStructuresKHR *a)
{
    if (!vkw_read_presence(&d->r)) {
        if (a->infoCount != 0)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    const uint64_t n = vkw_read_count(&d->r, 4);
    if (vkw_reader_ok(&d->r) && n != a->infoCount)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, n);
    VkAccelerationStructureBuildGeometryInfoKHR *infos = vkw_reader_alloc(&d->r, n, sizeof(*infos));
    struct build_data *b = vkw_reader_alloc(&d->r, 1, sizeof(*b));
    if (b)
        b->items = vkw_reader_alloc(&d->r, n, sizeof(*b->items));
    for (uint64_t i = 0; infos && b && b->items && vkw_reader_ok(&d->r) && i < n; i++) {
        VkAccelerationStructureBuildGeometryInfoKHR *info = &infos[i];
        vkw_decode_VkAccelerationStructureBuildGeometryInfoKHR(d, info);
        require_zero(d, info->scratchData.deviceAddress);
        if (!build_info_ok(d, info))
            break;
        struct host_data *items = vkw_reader_alloc(
            &d->r, (uint64_t)info->geometryCount * VKW_ACCEL_MAX_ADDRESSES, sizeof(*items));
        b->items[i] = items;
        for (uint32_t j = 0; items && vkw_reader_ok(&d->r) && j < info->geometryCount; j++) {
            VkAccelerationStructureGeometryKHR *g =
                (VkAccelerationStructureGeometryKHR *)vkw_accel_geometry(info, j);
            const unsigned count = vkw_accel_address_count(g->geometryType);
            for (unsigned k = 0; k < count && vkw_reader_ok(&d->r); k++) {
                struct host_data *h = &items[j * VKW_ACCEL_MAX_ADDRESSES + k];
                VkDeviceOrHostAddressConstKHR *address = vkw_accel_geometry_address(g, k);
                require_zero(d, address->deviceAddress);
                read_host_data(d, h);
                const void *start = h->bytes;
                if (h->present && g->geometryType == VK_GEOMETRY_TYPE_INSTANCES_KHR)
                    start = instances(d, h, g->geometry.instances.arrayOfPointers != VK_FALSE);
                address->hostAddress = rebuilt(h, start);
            }
        }
    }
    a->pInfos = infos;
    d->hand_written = b;
}

/* Indexed triangles fetch vertex index + firstVertex: every one must be
 * among the maxVertex + 1 vertices that came. */
static void check_indices(struct vkw_host_decoder *d,
                          const VkAccelerationStructureGeometryTrianglesDataKHR *t,
                          const VkAccelerationStructureBuildRangeInfoKHR *range,
                          const struct host_data *indices)
{
    const size_t size = t->indexType == VK_INDEX_TYPE_UINT16 ? 2 : 4;
    for (uint64_t at = 0; indices->present && at + size <= indices->size; at += size) {
        uint32_t index = 0;
        if (size == 2) {
            uint16_t v;
            memcpy(&v, indices->bytes + at, sizeof(v));
            index = v;
        } else {
            memcpy(&index, indices->bytes + at, sizeof(index));
        }
        const uint64_t vertex = (uint64_t)index + range->firstVertex;
        if (vertex > t->maxVertex) {
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE, vertex);
            return;
        }
    }
}

/* The bytes that came for a geometry are exactly those its build reads. */
static void check_geometry(struct vkw_host_decoder *d, const VkAccelerationStructureGeometryKHR *g,
                           const VkAccelerationStructureBuildRangeInfoKHR *range,
                           const struct host_data *items)
{
    struct vkw_accel_range want[VKW_ACCEL_MAX_ADDRESSES];
    unsigned count;
    uint64_t value;
    const enum vkw_error e = vkw_accel_geometry_ranges(g, range, want, &count, &value);
    if (e != VKW_OK) {
        vkw_reader_fail(&d->r, e, value);
        return;
    }
    for (unsigned k = 0; k < count && vkw_reader_ok(&d->r); k++) {
        const struct host_data *h = &items[k];
        if (!h->present && want[k].use == VKW_ACCEL_REQUIRED)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0);
        else if (h->present && want[k].use == VKW_ACCEL_IGNORED)
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 1);
        else if (h->present && (h->offset != want[k].offset || h->size != want[k].size))
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, h->size);
    }
    if (vkw_reader_ok(&d->r) && g->geometryType == VK_GEOMETRY_TYPE_TRIANGLES_KHR &&
        g->geometry.triangles.indexType != VK_INDEX_TYPE_NONE_KHR)
        check_indices(d, &g->geometry.triangles, range, &items[1]);
}

void vkw_host_vkBuildAccelerationStructuresKHR(struct vkw_host_context *ctx,
                                               struct vkw_host_decoder *d,
                                               struct vkw_args_vkBuildAccelerationStructuresKHR *a)
{
    /* What came against what the build reads, first: a stream that lies is
     * refused whatever the device can do. */
    const struct build_data *b = d->hand_written;
    VkAccelerationStructureBuildGeometryInfoKHR *infos =
        (VkAccelerationStructureBuildGeometryInfoKHR *)a->pInfos; /* the arena's */
    uint32_t **counts = vkw_reader_alloc(&d->r, a->infoCount, sizeof(*counts));
    for (uint32_t i = 0; infos && counts && vkw_reader_ok(&d->r) && i < a->infoCount; i++) {
        const VkAccelerationStructureBuildGeometryInfoKHR *info = &infos[i];
        const VkAccelerationStructureBuildRangeInfoKHR *ranges = a->ppBuildRangeInfos[i];
        counts[i] = vkw_reader_alloc(&d->r, info->geometryCount, sizeof(**counts));
        for (uint32_t j = 0; counts[i] && vkw_reader_ok(&d->r) && j < info->geometryCount; j++) {
            check_geometry(d, vkw_accel_geometry(info, j), &ranges[j],
                           &b->items[i][j * VKW_ACCEL_MAX_ADDRESSES]);
            counts[i][j] = ranges[j].primitiveCount;
        }
    }
    if (!vkw_reader_ok(&d->r) ||
        !host_commands(ctx, d, a->device, ctx->vk.vkBuildAccelerationStructuresKHR != NULL))
        return;
    if (!ctx->vk.vkGetAccelerationStructureBuildSizesKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkBuildAccelerationStructuresKHR);
        return;
    }
    for (uint32_t i = 0; infos && vkw_reader_ok(&d->r) && i < a->infoCount; i++) {
        /* Scratch of the host's own, as large as the driver says. */
        VkAccelerationStructureBuildGeometryInfoKHR *info = &infos[i];
        VkAccelerationStructureBuildSizesInfoKHR sizes = {
            .sType = VK_STRUCTURE_TYPE_ACCELERATION_STRUCTURE_BUILD_SIZES_INFO_KHR};
        ctx->vk.vkGetAccelerationStructureBuildSizesKHR(
            a->device, VK_ACCELERATION_STRUCTURE_BUILD_TYPE_HOST_KHR, info, counts[i], &sizes);
        const VkDeviceSize scratch = info->mode == VK_BUILD_ACCELERATION_STRUCTURE_MODE_UPDATE_KHR
                                         ? sizes.updateScratchSize
                                         : sizes.buildScratchSize;
        info->scratchData.hostAddress = vkw_reader_alloc(&d->r, scratch, 1);
    }
    if (!vkw_reader_ok(&d->r))
        return;
    a->result = ctx->vk.vkBuildAccelerationStructuresKHR(a->device, a->deferredOperation,
                                                         a->infoCount, infos,
                                                         a->ppBuildRangeInfos);
    a->result = vkw_host_finish_deferred(ctx, a->device, a->deferredOperation, a->result);
}

/* ---- copies ---- */

void vkw_host_vkCopyAccelerationStructureKHR(struct vkw_host_context *ctx,
                                             struct vkw_host_decoder *d,
                                             struct vkw_args_vkCopyAccelerationStructureKHR *a)
{
    if (!host_commands(ctx, d, a->device, ctx->vk.vkCopyAccelerationStructureKHR != NULL))
        return;
    a->result = ctx->vk.vkCopyAccelerationStructureKHR(a->device, a->deferredOperation, a->pInfo);
    a->result = vkw_host_finish_deferred(ctx, a->device, a->deferredOperation, a->result);
}

/* The serialized bytes the driver wrote, for the reply (d->hand_written). */
struct serialized {
    const uint8_t *bytes;
    uint64_t size;
};

void vkw_decode_host_to_memory_info(struct vkw_host_decoder *d,
                                    struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    if (!vkw_read_presence(&d->r)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    VkCopyAccelerationStructureToMemoryInfoKHR *info = vkw_reader_alloc(&d->r, 1, sizeof(*info));
    if (!info)
        return;
    vkw_decode_VkCopyAccelerationStructureToMemoryInfoKHR(d, info);
    require_zero(d, info->dst.deviceAddress);
    a->pInfo = info;
}

void vkw_host_vkCopyAccelerationStructureToMemoryKHR(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    if (!host_commands(ctx, d, a->device, ctx->vk.vkCopyAccelerationStructureToMemoryKHR != NULL))
        return;
    if (!ctx->vk.vkWriteAccelerationStructuresPropertiesKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, d->opcode);
        return;
    }
    VkCopyAccelerationStructureToMemoryInfoKHR *info =
        (VkCopyAccelerationStructureToMemoryInfoKHR *)a->pInfo; /* the arena's */
    /* The driver writes as many bytes as it says serialization takes. */
    uint64_t size = 0;
    a->result = ctx->vk.vkWriteAccelerationStructuresPropertiesKHR(
        a->device, 1, &info->src, VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR,
        sizeof(size), &size, sizeof(size));
    if (a->result != VK_SUCCESS)
        return;
    if (size > VKW_MAX_MESSAGE_BYTES / 2) { /* the reply could not carry it */
        a->result = VK_ERROR_OUT_OF_HOST_MEMORY;
        return;
    }
    struct serialized *out = vkw_reader_alloc(&d->r, 1, sizeof(*out));
    uint8_t *bytes = vkw_reader_alloc(&d->r, size, 1);
    if (!out || !bytes)
        return;
    info->dst.hostAddress = bytes;
    a->result = ctx->vk.vkCopyAccelerationStructureToMemoryKHR(a->device, a->deferredOperation,
                                                               info);
    a->result = vkw_host_finish_deferred(ctx, a->device, a->deferredOperation, a->result);
    *out = (struct serialized){bytes, size};
    d->hand_written = out;
}

void vkw_encode_reply_host_to_memory_info(
    struct vkw_host_decoder *d, struct vkw_writer *reply,
    const struct vkw_args_vkCopyAccelerationStructureToMemoryKHR *a)
{
    const struct serialized *out = a->result >= 0 ? d->hand_written : NULL;
    if (!vkw_write_presence(reply, out))
        return;
    vkw_write_u64(reply, out->size);
    vkw_write_bytes(reply, out->bytes, (size_t)out->size);
}

void vkw_decode_host_from_memory_info(struct vkw_host_decoder *d,
                                      struct vkw_args_vkCopyMemoryToAccelerationStructureKHR *a)
{
    if (!vkw_read_presence(&d->r)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    VkCopyMemoryToAccelerationStructureInfoKHR *info = vkw_reader_alloc(&d->r, 1, sizeof(*info));
    struct host_data *src = vkw_reader_alloc(&d->r, 1, sizeof(*src));
    if (!info || !src)
        return;
    vkw_decode_VkCopyMemoryToAccelerationStructureInfoKHR(d, info);
    require_zero(d, info->src.deviceAddress);
    read_host_data(d, src);
    info->src.hostAddress = rebuilt(src, src->bytes);
    a->pInfo = info;
    d->hand_written = src;
}

void vkw_host_vkCopyMemoryToAccelerationStructureKHR(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkCopyMemoryToAccelerationStructureKHR *a)
{
    /* The driver reads as much as the header says: exactly what came. */
    const struct host_data *src = d->hand_written;
    uint64_t stated = 0;
    if (!src->present)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0);
    else if (src->offset != 0)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE, src->offset);
    else if (src->size < VKW_ACCEL_SERIAL_HEADER || !vkw_accel_serialized_size(src->bytes, &stated) ||
             stated != src->size)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, src->size);
    if (!vkw_reader_ok(&d->r) ||
        !host_commands(ctx, d, a->device, ctx->vk.vkCopyMemoryToAccelerationStructureKHR != NULL))
        return;
    a->result = ctx->vk.vkCopyMemoryToAccelerationStructureKHR(a->device, a->deferredOperation,
                                                               a->pInfo);
    a->result = vkw_host_finish_deferred(ctx, a->device, a->deferredOperation, a->result);
}

/* ---- queries ---- */

void vkw_host_vkWriteAccelerationStructuresPropertiesKHR(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkWriteAccelerationStructuresPropertiesKHR *a)
{
    switch (a->queryType) {
    case VK_QUERY_TYPE_ACCELERATION_STRUCTURE_COMPACTED_SIZE_KHR:
    case VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_SIZE_KHR:
    case VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SIZE_KHR:
    case VK_QUERY_TYPE_ACCELERATION_STRUCTURE_SERIALIZATION_BOTTOM_LEVEL_POINTERS_KHR:
        break; /* each answers one VkDeviceSize */
    default:
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_ENUM, (uint32_t)a->queryType);
        return;
    }
    /* The driver writes 8 bytes at i × stride for each structure. */
    uint64_t end = 0;
    if (a->accelerationStructureCount != 0 &&
        (__builtin_mul_overflow((uint64_t)a->accelerationStructureCount - 1, (uint64_t)a->stride,
                                &end) ||
         __builtin_add_overflow(end, sizeof(VkDeviceSize), &end) || end > a->dataSize)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, a->dataSize);
        return;
    }
    if (!host_commands(ctx, d, a->device,
                       ctx->vk.vkWriteAccelerationStructuresPropertiesKHR != NULL))
        return;
    a->result = ctx->vk.vkWriteAccelerationStructuresPropertiesKHR(
        a->device, a->accelerationStructureCount, a->pAccelerationStructures, a->queryType,
        a->dataSize, a->pData, a->stride);
}

/* ---- ray tracing pipelines ---- */

void vkw_host_vkCreateRayTracingPipelinesKHR(struct vkw_host_context *ctx,
                                             struct vkw_host_decoder *d,
                                             struct vkw_args_vkCreateRayTracingPipelinesKHR *a)
{
    if (!ctx->vk.vkCreateRayTracingPipelinesKHR) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreateRayTracingPipelinesKHR);
        return;
    }
    a->result = ctx->vk.vkCreateRayTracingPipelinesKHR(a->device, a->deferredOperation,
                                                       a->pipelineCache, a->createInfoCount,
                                                       a->pCreateInfos, NULL, a->pPipelines);
    a->result = vkw_host_finish_deferred(ctx, a->device, a->deferredOperation, a->result);
}
