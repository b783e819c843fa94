/* vkw_guest_raytracing — see vkw_guest_raytracing.h. */
#include "vkw_guest_raytracing.h"

#include <stdlib.h>

#include "vkw_guest_encode.h"
#include "vkw_guest_entry.h"
#include "vkw_icd.h"

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateRayTracingPipelinesKHR(
    VkDevice device, VkDeferredOperationKHR deferredOperation, VkPipelineCache pipelineCache,
    uint32_t createInfoCount, const VkRayTracingPipelineCreateInfoKHR *pCreateInfos,
    const VkAllocationCallbacks *pAllocator, VkPipeline *pPipelines)
{
    bool dirty = false;
    for (uint32_t i = 0; i < createInfoCount && !dirty; i++)
        dirty = !(pCreateInfos[i].flags & VK_PIPELINE_CREATE_DERIVATIVE_BIT) &&
                pCreateInfos[i].basePipelineHandle != VK_NULL_HANDLE;
    if (!dirty)
        return vkw_forward_vkCreateRayTracingPipelinesKHR(device, deferredOperation, pipelineCache,
                                                          createInfoCount, pCreateInfos,
                                                          pAllocator, pPipelines);
    VkRayTracingPipelineCreateInfoKHR *infos = malloc(createInfoCount * sizeof(*infos));
    if (!infos) {
        for (uint32_t i = 0; i < createInfoCount; i++)
            pPipelines[i] = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (uint32_t i = 0; i < createInfoCount; i++) {
        infos[i] = pCreateInfos[i];
        if (!(infos[i].flags & VK_PIPELINE_CREATE_DERIVATIVE_BIT))
            infos[i].basePipelineHandle = VK_NULL_HANDLE; /* ignored, may be stale */
    }
    VkResult r = vkw_forward_vkCreateRayTracingPipelinesKHR(device, deferredOperation,
                                                            pipelineCache, createInfoCount, infos,
                                                            pAllocator, pPipelines);
    free(infos);
    return r;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCopyAccelerationStructureToMemoryKHR(
    VkDevice device, VkDeferredOperationKHR deferredOperation,
    const VkCopyAccelerationStructureToMemoryInfoKHR *pInfo)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(vkw_guest_conn_of(device), &call);
    vkw_encode_vkCopyAccelerationStructureToMemoryKHR(w, call.serial, device, deferredOperation,
                                                      pInfo);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = VK_ERROR_DEVICE_LOST;
    if (r) {
        result = vkw_decode_reply_vkCopyAccelerationStructureToMemoryKHR(r, device,
                                                                         deferredOperation, pInfo);
        /* The serialized bytes (doc/PROTOCOL.md 22.4): the application's
         * memory holds at least what the driver wrote natively, which is
         * what the host's driver wrote. */
        if (vkw_read_presence(r)) {
            const uint64_t n = vkw_read_count(r, 1);
            void *dst = pInfo ? pInfo->dst.hostAddress : NULL;
            if (!dst)
                vkw_reader_fail(r, VKW_ERROR_BAD_POINTER, 1);
            else
                vkw_read_bytes(r, dst, (size_t)n);
        }
    }
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    return result;
}
