/* TODO(host image copy helper): placeholder so the tree builds. */
#include "vkw_guest_entry.h"

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCopyMemoryToImage(
    VkDevice device, const VkCopyMemoryToImageInfo *pCopyMemoryToImageInfo)
{
    (void)device, (void)pCopyMemoryToImageInfo;
    return VK_ERROR_INITIALIZATION_FAILED;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCopyImageToMemory(
    VkDevice device, const VkCopyImageToMemoryInfo *pCopyImageToMemoryInfo)
{
    (void)device, (void)pCopyImageToMemoryInfo;
    return VK_ERROR_INITIALIZATION_FAILED;
}
