/* vkw_guest_pipelines — pipeline binaries (VK_KHR_pipeline_binary) on the
 * guest.
 *
 * Owns: the guest entry point of vkCreatePipelineBinariesKHR, whose new
 * objects sit inside an output struct, where the generated entry points
 * cannot give them ids: it gives each element of the application's array
 * a fresh id before the call (the wire form, vkw_guest_forms.c, sends
 * them), and cleans the pipeline create info it may carry as
 * vkGetPipelineKeyKHR does (vkw_guest_sanitize.h).
 */
#ifndef VKW_GUEST_PIPELINES_H
#define VKW_GUEST_PIPELINES_H

#include <vulkan/vulkan.h>

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreatePipelineBinariesKHR(
    VkDevice device, const VkPipelineBinaryCreateInfoKHR *pCreateInfo,
    const VkAllocationCallbacks *pAllocator, VkPipelineBinaryHandlesInfoKHR *pBinaries);

#endif /* VKW_GUEST_PIPELINES_H */
