/* vkw_host_descriptors — descriptor buffers (VK_EXT_descriptor_buffer) on
 * the host.
 *
 * Owns: the host's answer to the lengths that are properties of a device
 * (the decoder's `length`, runtime/common/vkw_device_length.h: opaque
 * capture data and ray-tracing capture-replay handles, from the host
 * device's own properties, never the guest's word), and the hand-written vkGetDescriptorEXT, which gives the driver
 * room for the largest descriptor its device has whatever `dataSize` the
 * guest sent: a driver writes a whole descriptor of the type asked for, so
 * a short dataSize (which Vulkan forbids and a guest may send) must not
 * become a write past the host's buffer; and the hand-written
 * vkUpdateDescriptorSets, which refuses a write into no set (vk.xml lets
 * dstSet be anything, for pushes, which ignore it).
 *
 * The properties are asked of the driver at each use (a cheap query; these
 * commands are not on hot paths), so nothing here outlives a device.
 */
#ifndef VKW_HOST_DESCRIPTORS_H
#define VKW_HOST_DESCRIPTORS_H

#include <stdint.h>

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkGetDescriptorEXT;

/* The decoder's `length` (owner: the context): length `what` for the
 * command being decoded on its device; UINT64_MAX when the command has no
 * such length, no device was named, or the driver does not say. */
uint64_t vkw_host_device_length(void *owner, const struct vkw_host_decoder *d, uint32_t what);

/* Hand-written (gen/annotations.conf). */
void vkw_host_vkGetDescriptorEXT(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkGetDescriptorEXT *a);

#endif /* VKW_HOST_DESCRIPTORS_H */
