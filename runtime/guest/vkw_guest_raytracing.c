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
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    VkRayTracingPipelineCreateInfoKHR *infos = vkw_zalloc_array(
        &alloc, createInfoCount, sizeof(*infos), VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
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
    vkw_free(&alloc, infos);
    return r;
}
