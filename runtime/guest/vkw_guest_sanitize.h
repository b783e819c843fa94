/* vkw_guest_sanitize — what Vulkan tells a driver to ignore never reaches
 * the wire.
 *
 * Owns: the rules by which a member is ignored (a sampler in a descriptor
 * that takes none, in writes, pushes and descriptor-buffer queries; the set
 * a push descriptor write names; what a build-size query does not read;
 * tessellation state without tessellation shaders, state
 * that dynamic state or disabled rasterization replaces, vertex input and
 * input assembly with mesh shaders, the state of the graphics pipeline
 * library subsets a library or link does not include, a base pipeline
 * without the derivative flag, shader modules where pipeline binaries stand
 * in, a push descriptor write's set; all by the flags in force, VkPipelineCreateFlags2CreateInfo's where
 * chained) and the guest entry points that apply them.
 * An application may leave such members uninitialised or stale: encoding
 * them would read garbage memory on the guest, or send ids the host
 * rightly refuses.  Each entry point copies the structs it must change
 * (the application's stay untouched) and forwards the copies.
 */
#ifndef VKW_GUEST_SANITIZE_H
#define VKW_GUEST_SANITIZE_H

#include <stdbool.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"

/* Clear the members of `info` that a descriptor of `type` ignores.  (Inline:
 * the template encoder, which has no entry points, uses it too.) */
static inline void vkw_guest_clean_image_info(VkDescriptorType type, VkDescriptorImageInfo *info)
{
    if (type == VK_DESCRIPTOR_TYPE_SAMPLER) {
        info->imageView = VK_NULL_HANDLE;
        info->imageLayout = VK_IMAGE_LAYOUT_UNDEFINED; /* an enum the host would check */
    } else if (type == VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE ||
               type == VK_DESCRIPTOR_TYPE_STORAGE_IMAGE ||
               type == VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT) {
        info->sampler = VK_NULL_HANDLE;
    }
    /* A combined image sampler ignores its sampler only where the layout
     * has immutable samplers, which the guest does not track: it is sent. */
}

/* A pipeline create info copied to be cleaned, with the cleaned parts it
 * points at. */
struct vkw_clean_graphics {
    VkGraphicsPipelineCreateInfo info;
    VkPipelineViewportStateCreateInfo viewport;
    VkPipelineShaderStageCreateInfo *stages; /* from `alloc` (COMMAND scope), or NULL */
    const struct vkw_alloc *alloc;           /* the command's: its pAllocator, else the device's */
};
/* A VkPipelineCreateInfoKHR (vkGetPipelineKeyKHR, vkCreatePipelineBinariesKHR)
 * heads a graphics or compute pipeline create info: both copied, that one
 * cleaned, its own chain shared with the application's. */
struct vkw_clean_pipeline {
    VkPipelineCreateInfoKHR head;
    struct vkw_clean_graphics graphics;
    VkComputePipelineCreateInfo compute;
};
/* Fill `c` with the cleaned copy of `in` (c->head), what it allocates
 * from `alloc` (which must outlive `c`; NULL: the C library).  False when
 * out of memory.  vkw_guest_clean_pipeline_fini frees what it holds. */
bool vkw_guest_clean_pipeline_chain(const VkPipelineCreateInfoKHR *in,
                                    struct vkw_clean_pipeline *c, const struct vkw_alloc *alloc);
void vkw_guest_clean_pipeline_fini(struct vkw_clean_pipeline *c);

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkUpdateDescriptorSets(
    VkDevice device, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites,
    uint32_t descriptorCopyCount, const VkCopyDescriptorSet *pDescriptorCopies);
/* Push descriptors ignore each write's dstSet: it may be stale (a freed
 * set, one the host never knew) or garbage, so it is sent as NULL; image
 * infos as vkUpdateDescriptorSets cleans them. */
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet(
    VkCommandBuffer commandBuffer, VkPipelineBindPoint pipelineBindPoint, VkPipelineLayout layout,
    uint32_t set, uint32_t descriptorWriteCount, const VkWriteDescriptorSet *pDescriptorWrites);
VKAPI_ATTR void VKAPI_CALL vkw_icd_vkCmdPushDescriptorSet2(
    VkCommandBuffer commandBuffer, const VkPushDescriptorSetInfo *pPushDescriptorSetInfo);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateGraphicsPipelines(
    VkDevice device, VkPipelineCache pipelineCache, uint32_t createInfoCount,
    const VkGraphicsPipelineCreateInfo *pCreateInfos, const VkAllocationCallbacks *pAllocator,
    VkPipeline *pPipelines);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateComputePipelines(
    VkDevice device, VkPipelineCache pipelineCache, uint32_t createInfoCount,
    const VkComputePipelineCreateInfo *pCreateInfos, const VkAllocationCallbacks *pAllocator,
    VkPipeline *pPipelines);

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkGetPipelineIndirectMemoryRequirementsNV(
    VkDevice device, const VkComputePipelineCreateInfo *pCreateInfo,
    VkMemoryRequirements2 *pMemoryRequirements);
VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkGetPipelineKeyKHR(
    VkDevice device, const VkPipelineCreateInfoKHR *pPipelineCreateInfo,
    VkPipelineBinaryKeyKHR *pPipelineKey);

#endif /* VKW_GUEST_SANITIZE_H */
