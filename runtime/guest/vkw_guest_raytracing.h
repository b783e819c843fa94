/* vkw_guest_raytracing — the ray-tracing entry points the ICD writes by
 * hand (gen/annotations.conf; doc/PROTOCOL.md 22).
 *
 * Owns: vkCreateRayTracingPipelinesKHR, which drops a base pipeline that
 * Vulkan ignores (the rest is generated; the capture-replay handles' length
 * is the device's, recorded by vkw_icd.c at vkCreateDevice).
 */
#ifndef VKW_GUEST_RAYTRACING_H
#define VKW_GUEST_RAYTRACING_H

#include <vulkan/vulkan.h>

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateRayTracingPipelinesKHR(
    VkDevice device, VkDeferredOperationKHR deferredOperation, VkPipelineCache pipelineCache,
    uint32_t createInfoCount, const VkRayTracingPipelineCreateInfoKHR *pCreateInfos,
    const VkAllocationCallbacks *pAllocator, VkPipeline *pPipelines);

#endif /* VKW_GUEST_RAYTRACING_H */
