/* vkw_vulkan_util — small Vulkan facts both ends need.
 *
 * Owns: handle <-> 64-bit wire id conversions and the descriptor-type
 * predicates that gen/annotations.conf uses in encode-if conditions (which
 * pointer of a VkWriteDescriptorSet is meaningful for its type).
 */
#ifndef VKW_VULKAN_UTIL_H
#define VKW_VULKAN_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/* vkwire's wire ids are 64-bit and its handles are pointers: 64-bit only. */
_Static_assert(sizeof(void *) == 8, "vkwire needs a 64-bit platform");

/* Any handle (dispatchable or not) as the integer the tables store. */
#define VKW_HANDLE_U64(h) ((uint64_t)(uintptr_t)(h))
/* And back: `type` is the Vulkan handle type. */
#define VKW_U64_HANDLE(type, v) ((type)(uintptr_t)(v))

/* The shader stages a pipeline bind point runs (push descriptors through a
 * template name a bind point; vkCmdPushDescriptorSet2 takes stages). */
static inline VkShaderStageFlags vkw_stages_of_bind_point(VkPipelineBindPoint bp)
{
    switch (bp) {
    case VK_PIPELINE_BIND_POINT_GRAPHICS:
        return VK_SHADER_STAGE_ALL_GRAPHICS | VK_SHADER_STAGE_TASK_BIT_EXT |
               VK_SHADER_STAGE_MESH_BIT_EXT;
    case VK_PIPELINE_BIND_POINT_COMPUTE:
        return VK_SHADER_STAGE_COMPUTE_BIT;
    case VK_PIPELINE_BIND_POINT_RAY_TRACING_KHR:
        return VK_SHADER_STAGE_RAYGEN_BIT_KHR | VK_SHADER_STAGE_ANY_HIT_BIT_KHR |
               VK_SHADER_STAGE_CLOSEST_HIT_BIT_KHR | VK_SHADER_STAGE_MISS_BIT_KHR |
               VK_SHADER_STAGE_INTERSECTION_BIT_KHR | VK_SHADER_STAGE_CALLABLE_BIT_KHR;
    default:
        return VK_SHADER_STAGE_ALL;
    }
}

static inline bool vkw_descriptor_type_uses_image(VkDescriptorType t)
{
    return t == VK_DESCRIPTOR_TYPE_SAMPLER || t == VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER ||
           t == VK_DESCRIPTOR_TYPE_SAMPLED_IMAGE || t == VK_DESCRIPTOR_TYPE_STORAGE_IMAGE ||
           t == VK_DESCRIPTOR_TYPE_INPUT_ATTACHMENT;
}

static inline bool vkw_descriptor_type_uses_buffer(VkDescriptorType t)
{
    return t == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER || t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER ||
           t == VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER_DYNAMIC ||
           t == VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC;
}

static inline bool vkw_descriptor_type_uses_texel_buffer(VkDescriptorType t)
{
    return t == VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER ||
           t == VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
}

static inline bool vkw_descriptor_type_uses_sampler(VkDescriptorType t)
{
    return t == VK_DESCRIPTOR_TYPE_SAMPLER || t == VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
}

/* The element of a pNext chain with this sType, or NULL. */
static inline VkBaseOutStructure *vkw_chain_find(void *pnext, VkStructureType stype)
{
    for (VkBaseOutStructure *s = (VkBaseOutStructure *)pnext; s; s = s->pNext)
        if (s->sType == stype)
            return s;
    return NULL;
}

#endif /* VKW_VULKAN_UTIL_H */
