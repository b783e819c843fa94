/* vkw_guest_pipelines — see vkw_guest_pipelines.h. */
#include "vkw_guest_pipelines.h"

#include "vkw_guest_entry.h"
#include "vkw_guest_sanitize.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreatePipelineBinariesKHR(
    VkDevice device, const VkPipelineBinaryCreateInfoKHR *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkPipelineBinaryHandlesInfoKHR *pBinaries)
{
    struct vkw_guest_conn *conn = vkw_guest_conn_of(device);
    /* new objects get their ids here; the reply says which the driver made */
    for (uint32_t i = 0; pBinaries->pPipelineBinaries && i < pBinaries->pipelineBinaryCount; i++)
        pBinaries->pPipelineBinaries[i] = VKW_U64_HANDLE(VkPipelineBinaryKHR, vkw_guest_new_id(conn));
    if (!pCreateInfo->pPipelineCreateInfo)
        return vkw_forward_vkCreatePipelineBinariesKHR(device, pCreateInfo, pAllocator, pBinaries);
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    struct vkw_clean_pipeline clean;
    if (!vkw_guest_clean_pipeline_chain(pCreateInfo->pPipelineCreateInfo, &clean, &alloc))
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    VkPipelineBinaryCreateInfoKHR info = *pCreateInfo;
    info.pPipelineCreateInfo = &clean.head;
    VkResult r = vkw_forward_vkCreatePipelineBinariesKHR(device, &info, pAllocator, pBinaries);
    vkw_guest_clean_pipeline_fini(&clean);
    return r;
}
