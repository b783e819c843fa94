/* vkw_device_length — byte lengths that are properties of a device.
 *
 * Owns: the kinds of length gen/annotations.conf's `length` directive
 * names, and which property of the device gives each for a command.
 * vk.xml gives some void pointers no length because the spec makes it a
 * property of the device (VK_EXT_descriptor_buffer's opaque capture data:
 * VkPhysicalDeviceDescriptorBufferPropertiesEXT.*CaptureReplayDescriptor
 * DataSize; a ray-tracing shader group's capture-replay handle).  The guest
 * reads that many bytes of the application's memory
 * with the properties it asked of its device; the host requires the same
 * count from its own device's properties, never from the guest's word
 * (doc/PROTOCOL.md, "Descriptor buffers", "Ray tracing").  Both ends choose the property
 * here, so they agree.
 */
#ifndef VKW_DEVICE_LENGTH_H
#define VKW_DEVICE_LENGTH_H

#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_protocol.h"

enum vkw_device_length {
    /* The opaque capture data of the kind of object the command is about:
     * a buffer, image, image view, sampler or acceleration structure.  A
     * create info's VkOpaqueCaptureDescriptorDataCreateInfoEXT has the
     * length of the object its base creates, so the command decides. */
    VKW_LENGTH_CAPTURE_DESCRIPTOR_DATA = 1,
    /* A ray-tracing shader group's capture-replay handle
     * (VkRayTracingShaderGroupCreateInfoKHR.pShaderGroupCaptureReplayHandle):
     * shaderGroupHandleCaptureReplaySize.  The spec ignores the pointer (it
     * may be stale) unless the device enabled
     * rayTracingPipelineShaderGroupHandleCaptureReplay: the guest's length
     * is 0 then, and the member travels as NULL. */
    VKW_LENGTH_SHADER_GROUP_CAPTURE_REPLAY = 2,
};

/* The properties lengths come from, as one end knows them: the guest's
 * are zero where its application did not enable what makes a length
 * count; the host's are its driver's. */
struct vkw_length_properties {
    VkPhysicalDeviceDescriptorBufferPropertiesEXT descriptor_buffer;
    VkPhysicalDeviceRayTracingPipelinePropertiesKHR ray_tracing_pipeline;
};

/* The length `what` for command `opcode` on a device with properties `p`;
 * UINT64_MAX for a command that has no such length (the host then refuses
 * every count). */
static inline uint64_t vkw_device_length_of(const struct vkw_length_properties *props,
                                            uint32_t opcode, uint32_t what)
{
    if (what == VKW_LENGTH_SHADER_GROUP_CAPTURE_REPLAY)
        return opcode == VKW_CMD_vkCreateRayTracingPipelinesKHR
                   ? props->ray_tracing_pipeline.shaderGroupHandleCaptureReplaySize
                   : UINT64_MAX;
    if (what != VKW_LENGTH_CAPTURE_DESCRIPTOR_DATA)
        return UINT64_MAX;
    const VkPhysicalDeviceDescriptorBufferPropertiesEXT *p = &props->descriptor_buffer;
    switch (opcode) {
    case VKW_CMD_vkGetBufferOpaqueCaptureDescriptorDataEXT:
    case VKW_CMD_vkCreateBuffer:
    case VKW_CMD_vkGetDeviceBufferMemoryRequirements:
        return p->bufferCaptureReplayDescriptorDataSize;
    case VKW_CMD_vkGetImageOpaqueCaptureDescriptorDataEXT:
    case VKW_CMD_vkCreateImage:
    case VKW_CMD_vkGetDeviceImageMemoryRequirements:
    case VKW_CMD_vkGetDeviceImageSparseMemoryRequirements:
    case VKW_CMD_vkGetDeviceImageSubresourceLayout:
        return p->imageCaptureReplayDescriptorDataSize;
    case VKW_CMD_vkGetImageViewOpaqueCaptureDescriptorDataEXT:
    case VKW_CMD_vkCreateImageView:
        return p->imageViewCaptureReplayDescriptorDataSize;
    case VKW_CMD_vkGetSamplerOpaqueCaptureDescriptorDataEXT:
    case VKW_CMD_vkCreateSampler:
        return p->samplerCaptureReplayDescriptorDataSize;
    case VKW_CMD_vkGetAccelerationStructureOpaqueCaptureDescriptorDataEXT:
    case VKW_CMD_vkCreateAccelerationStructureKHR:
        return p->accelerationStructureCaptureReplayDescriptorDataSize;
    default:
        return UINT64_MAX;
    }
}

#endif /* VKW_DEVICE_LENGTH_H */
