/* vkw_host_descriptors — see vkw_host_descriptors.h. */
#include "vkw_host_descriptors.h"

#include <string.h>

#include "vkw_device_length.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_vulkan_util.h"

/* The descriptor-buffer properties of `device`'s physical device.  False
 * when the host cannot ask.  A driver that does not know the structs
 * leaves them as they are: capture lengths SIZE_MAX (refused), descriptor
 * sizes 0. */
static bool properties(struct vkw_host_context *ctx, VkDevice device,
                       VkPhysicalDeviceDescriptorBufferPropertiesEXT *p,
                       VkPhysicalDeviceDescriptorBufferDensityMapPropertiesEXT *density)
{
    const struct vkw_host_device *dev = vkw_host_device_of_handle(&ctx->memory, device);
    if (!dev || !ctx->vk.vkGetPhysicalDeviceProperties2)
        return false;
    *density = (VkPhysicalDeviceDescriptorBufferDensityMapPropertiesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_DENSITY_MAP_PROPERTIES_EXT};
    *p = (VkPhysicalDeviceDescriptorBufferPropertiesEXT){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DESCRIPTOR_BUFFER_PROPERTIES_EXT,
        .pNext = density,
        .bufferCaptureReplayDescriptorDataSize = SIZE_MAX,
        .imageCaptureReplayDescriptorDataSize = SIZE_MAX,
        .imageViewCaptureReplayDescriptorDataSize = SIZE_MAX,
        .samplerCaptureReplayDescriptorDataSize = SIZE_MAX,
        .accelerationStructureCaptureReplayDescriptorDataSize = SIZE_MAX};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = p};
    ctx->vk.vkGetPhysicalDeviceProperties2(dev->physical, &props);
    p->pNext = NULL;
    return true;
}

uint64_t vkw_host_device_length(void *owner, const struct vkw_host_decoder *d, uint32_t what)
{
    struct vkw_host_context *ctx = owner;
    struct vkw_length_properties p;
    VkPhysicalDeviceDescriptorBufferDensityMapPropertiesEXT density;
    if (!properties(ctx, VKW_U64_HANDLE(VkDevice, d->device), &p.descriptor_buffer, &density))
        return UINT64_MAX;
    /* Asked apart: a driver without ray tracing leaves it as it is, and
     * its SIZE_MAX is refused. */
    const struct vkw_host_device *dev =
        vkw_host_device_of_handle(&ctx->memory, VKW_U64_HANDLE(VkDevice, d->device));
    p.ray_tracing_pipeline = (VkPhysicalDeviceRayTracingPipelinePropertiesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_RAY_TRACING_PIPELINE_PROPERTIES_KHR,
        .shaderGroupHandleCaptureReplaySize = UINT32_MAX};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &p.ray_tracing_pipeline};
    ctx->vk.vkGetPhysicalDeviceProperties2(dev->physical, &props);
    const uint64_t n = vkw_device_length_of(&p, d->opcode, what);
    return n == SIZE_MAX || n == UINT32_MAX ? UINT64_MAX : n;
}

/* The largest descriptor `p` (and `density`) describe. */
static size_t largest_descriptor(
    const VkPhysicalDeviceDescriptorBufferPropertiesEXT *p,
    const VkPhysicalDeviceDescriptorBufferDensityMapPropertiesEXT *density)
{
    const size_t sizes[] = {p->samplerDescriptorSize,
                            p->combinedImageSamplerDescriptorSize,
                            p->sampledImageDescriptorSize,
                            p->storageImageDescriptorSize,
                            p->uniformTexelBufferDescriptorSize,
                            p->robustUniformTexelBufferDescriptorSize,
                            p->storageTexelBufferDescriptorSize,
                            p->robustStorageTexelBufferDescriptorSize,
                            p->uniformBufferDescriptorSize,
                            p->robustUniformBufferDescriptorSize,
                            p->storageBufferDescriptorSize,
                            p->robustStorageBufferDescriptorSize,
                            p->inputAttachmentDescriptorSize,
                            p->accelerationStructureDescriptorSize,
                            density->combinedImageSamplerDensityMapDescriptorSize};
    size_t most = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (sizes[i] > most)
            most = sizes[i];
    return most;
}

void vkw_host_vkGetDescriptorEXT(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkGetDescriptorEXT *a)
{
    if (!ctx->vk.vkGetDescriptorEXT) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetDescriptorEXT);
        return;
    }
    VkPhysicalDeviceDescriptorBufferPropertiesEXT p;
    VkPhysicalDeviceDescriptorBufferDensityMapPropertiesEXT density;
    if (!properties(ctx, a->device, &p, &density) || largest_descriptor(&p, &density) == 0) {
        /* without the sizes no buffer is known to be large enough */
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetDescriptorEXT);
        return;
    }
    /* The driver gets room for any descriptor, and never a dataSize past
     * one (it may copy dataSize bytes out of a descriptor of its own); the
     * guest gets the dataSize bytes it asked for, zeroes past what the
     * driver wrote. */
    const size_t most = largest_descriptor(&p, &density);
    const size_t driver_size = a->dataSize < most ? a->dataSize : most;
    void *room = vkw_reader_alloc(&d->r, most, 1);
    if (!room)
        return;
    ctx->vk.vkGetDescriptorEXT(a->device, a->pDescriptorInfo, driver_size, room);
    const uint64_t n = a->pDescriptor_capacity < most ? a->pDescriptor_capacity : most;
    if (a->pDescriptor)
        memcpy(a->pDescriptor, room, (size_t)n);
}

void vkw_host_vkUpdateDescriptorSets(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                     struct vkw_args_vkUpdateDescriptorSets *a)
{
    /* dstSet is noautovalidity in vk.xml only because a push ignores it
     * (the guest sends none there); an update writes into it, and a
     * driver would write through a NULL set. */
    for (uint32_t i = 0; a->pDescriptorWrites && i < a->descriptorWriteCount; i++)
        if (a->pDescriptorWrites[i].dstSet == VK_NULL_HANDLE) {
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, 0);
            return;
        }
    ctx->vk.vkUpdateDescriptorSets(a->device, a->descriptorWriteCount, a->pDescriptorWrites,
                                   a->descriptorCopyCount, a->pDescriptorCopies);
}
