/* vkw_guest_accel — see vkw_guest_accel.h. */
#include "vkw_guest_accel.h"

#include <stdlib.h>
#include <string.h>

#include "vkw_accel.h"

/* The bytes behind one host address: presence, then offset, size and the
 * bytes (doc/PROTOCOL.md 22.3).  Instances given as an array of pointers
 * travel as the instances they point at, packed. */
static void write_host_data(struct vkw_writer *w, const void *address,
                            const struct vkw_accel_range *range, bool pointers)
{
    if (!vkw_write_presence(w, range->use == VKW_ACCEL_IGNORED ? NULL : address))
        return; /* ignored (maybe garbage) or not given */
    vkw_write_u64(w, range->offset);
    vkw_write_u64(w, range->size);
    if (!pointers) {
        vkw_write_bytes(w, (const uint8_t *)address + range->offset, (size_t)range->size);
        return;
    }
    const void *const *p = (const void *const *)((const uint8_t *)address + range->offset);
    uint8_t *out = vkw_writer_reserve(w, (size_t)range->size); /* a multiple of 4 */
    for (uint64_t m = 0; out && m < range->size / VKW_ACCEL_INSTANCE_BYTES; m++)
        memcpy(out + m * VKW_ACCEL_INSTANCE_BYTES, p[m], VKW_ACCEL_INSTANCE_BYTES);
}

/* A copy of `g` whose host addresses are 0. */
static VkAccelerationStructureGeometryKHR without_addresses(const VkAccelerationStructureGeometryKHR *g)
{
    VkAccelerationStructureGeometryKHR copy = *g;
    for (unsigned k = 0; k < VKW_ACCEL_MAX_ADDRESSES; k++)
        vkw_accel_geometry_address(&copy, k)->deviceAddress = 0;
    return copy;
}

/* One build info: the struct with its addresses as 0, then its geometries'
 * bytes in geometry order. */
static void write_build_info(struct vkw_writer *w, const VkAccelerationStructureBuildGeometryInfoKHR *info,
                             const VkAccelerationStructureBuildRangeInfoKHR *ranges)
{
    const uint32_t n = info->geometryCount;
    VkAccelerationStructureGeometryKHR *copies = NULL;
    const VkAccelerationStructureGeometryKHR **pointers = NULL;
    if ((info->pGeometries || info->ppGeometries) && n) {
        copies = malloc(n * sizeof(*copies));
        pointers = info->ppGeometries ? malloc(n * sizeof(*pointers)) : NULL;
        if (!copies || (info->ppGeometries && !pointers)) {
            free(copies);
            free(pointers);
            w->failed = true;
            return;
        }
    }
    VkAccelerationStructureBuildGeometryInfoKHR sent = *info;
    sent.scratchData.deviceAddress = 0; /* the host's scratch is its own */
    for (uint32_t j = 0; copies && j < n; j++) {
        if (info->pGeometries)
            copies[j] = without_addresses(&info->pGeometries[j]);
        if (pointers) {
            const VkAccelerationStructureGeometryKHR *g = info->ppGeometries[j];
            if (g && !info->pGeometries)
                copies[j] = without_addresses(g);
            pointers[j] = g ? &copies[j] : NULL;
        }
    }
    if (info->pGeometries && n)
        sent.pGeometries = copies;
    if (info->ppGeometries && n)
        sent.ppGeometries = pointers; /* (with no geometry, nothing is read behind them) */
    vkw_encode_VkAccelerationStructureBuildGeometryInfoKHR(w, &sent);
    free(copies);
    free(pointers);

    for (uint32_t j = 0; j < n && !w->failed; j++) {
        const VkAccelerationStructureGeometryKHR *g = vkw_accel_geometry(info, j);
        if (!g)
            continue; /* no geometry: the host refuses the build */
        static const VkAccelerationStructureBuildRangeInfoKHR none;
        struct vkw_accel_range r[VKW_ACCEL_MAX_ADDRESSES];
        unsigned count;
        uint64_t bad;
        if (vkw_accel_geometry_ranges(g, ranges ? &ranges[j] : &none, r, &count, &bad) != VKW_OK) {
            w->failed = true;
            return;
        }
        VkAccelerationStructureGeometryKHR g_copy = *g;
        const bool pointers_to_instances = g->geometryType == VK_GEOMETRY_TYPE_INSTANCES_KHR &&
                                           g->geometry.instances.arrayOfPointers;
        for (unsigned k = 0; k < count; k++)
            write_host_data(w, vkw_accel_geometry_address(&g_copy, k)->hostAddress, &r[k],
                            pointers_to_instances);
    }
}

void vkw_encode_host_build_infos(struct vkw_writer *w, VkDevice device,
                                 VkDeferredOperationKHR deferredOperation, uint32_t infoCount,
                                 const VkAccelerationStructureBuildGeometryInfoKHR *pInfos,
                                 const VkAccelerationStructureBuildRangeInfoKHR *const *ppBuildRangeInfos)
{
    (void)device, (void)deferredOperation;
    if (!vkw_write_presence(w, pInfos))
        return;
    vkw_write_u64(w, infoCount);
    for (uint32_t i = 0; i < infoCount && !w->failed; i++)
        write_build_info(w, &pInfos[i], ppBuildRangeInfos ? ppBuildRangeInfos[i] : NULL);
}

void vkw_encode_host_to_memory_info(struct vkw_writer *w, VkDevice device,
                                    VkDeferredOperationKHR deferredOperation,
                                    const VkCopyAccelerationStructureToMemoryInfoKHR *pInfo)
{
    (void)device, (void)deferredOperation;
    if (!vkw_write_presence(w, pInfo))
        return;
    VkCopyAccelerationStructureToMemoryInfoKHR sent = *pInfo;
    sent.dst.deviceAddress = 0; /* the host serializes into memory of its own */
    vkw_encode_VkCopyAccelerationStructureToMemoryInfoKHR(w, &sent);
}

void vkw_decode_reply_host_to_memory_info(struct vkw_reader *r, VkDevice device,
                                          VkDeferredOperationKHR deferredOperation,
                                          const VkCopyAccelerationStructureToMemoryInfoKHR *pInfo)
{
    (void)device, (void)deferredOperation;
    /* The serialized bytes (doc/PROTOCOL.md 22.4): the application's memory
     * holds at least what the driver wrote natively, which is what the
     * host's driver wrote. */
    if (!vkw_read_presence(r))
        return;
    const uint64_t n = vkw_read_count(r, 1);
    void *dst = pInfo ? pInfo->dst.hostAddress : NULL;
    if (!dst)
        vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 1);
    else
        vkw_read_bytes(r, dst, (size_t)n);
}

void vkw_encode_host_from_memory_info(struct vkw_writer *w, VkDevice device,
                                      VkDeferredOperationKHR deferredOperation,
                                      const VkCopyMemoryToAccelerationStructureInfoKHR *pInfo)
{
    (void)device, (void)deferredOperation;
    if (!vkw_write_presence(w, pInfo))
        return;
    VkCopyMemoryToAccelerationStructureInfoKHR sent = *pInfo;
    sent.src.deviceAddress = 0;
    vkw_encode_VkCopyMemoryToAccelerationStructureInfoKHR(w, &sent);
    /* The serialized data, as long as its header says. */
    const void *src = pInfo->src.hostAddress;
    struct vkw_accel_range whole = {VKW_ACCEL_REQUIRED, 0, 0};
    if (src && !vkw_accel_serialized_size(src, &whole.size)) {
        w->failed = true; /* not serialized data: the driver could not read it either */
        return;
    }
    write_host_data(w, src, &whole, false);
}
