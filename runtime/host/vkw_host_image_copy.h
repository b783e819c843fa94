/* vkw_host_image_copy — copies between host memory and images, on the host
 * (doc/PROTOCOL.md, "Host image copy").
 *
 * Owns: the host's record of each image the guest made (its device and
 * what sizes a copy of it, runtime/common/vkw_image_copy.h), made by the
 * hand-written vkCreateImage and dropped with the image's id; the wire form
 * of vkCopyMemoryToImage's and vkCopyImageToMemory's infos (the encode-with
 * hooks gen/annotations.conf names); and the two hand-written commands.
 *
 * Why: vk.xml gives pHostPointer no length, so a region's bytes travel in
 * the command (to the image) or the reply (from it) as byte runs whose
 * size only the image's format and create info say.  The host computes each
 * size from the image it made, never from what the guest sent: a count
 * that differs ends the context before the driver reads a byte, and the
 * driver writes only into room of the size the host computed.
 */
#ifndef VKW_HOST_IMAGE_COPY_H
#define VKW_HOST_IMAGE_COPY_H

#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_idmap.h"
#include "vkw_image_copy.h"

struct vkw_host_context;

/* One image the guest made. */
struct vkw_host_image {
    VkDevice device;
    struct vkw_copy_image image;
};

/* Every image's record, by guest id. */
struct vkw_host_images {
    struct vkw_idmap records; /* of struct vkw_host_image */
};

/* What the hooks decode: the info the driver gets (each region's
 * pHostPointer set by the host) and per region the bytes that came with
 * it (to the image) or that the reply sends back (from it).  The args'
 * pointer points at `info`. */
struct vkw_host_memory_to_image {
    VkCopyMemoryToImageInfo info;
    uint64_t *counts; /* the byte count the guest sent with each region */
};
struct vkw_host_image_to_memory {
    VkCopyImageToMemoryInfo info;
    uint64_t *sizes;  /* bytes the reply carries for each region (the host's count) */
};

void vkw_host_images_init(struct vkw_host_images *images);
/* Drops every record (teardown, context end). */
void vkw_host_images_release(struct vkw_host_images *images);
/* vkw_host_forget's hook: `id` of `type` is gone; an image's record goes. */
void vkw_host_images_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id);

/* (vkw_host_vkCreateImage, vkw_host_vkCopyMemoryToImage,
 * vkw_host_vkCopyImageToMemory and the hooks vkw_decode_memory_to_image,
 * vkw_decode_image_to_memory and vkw_encode_reply_image_to_memory are
 * declared by generated/vkw_host_decode.h.) */

#endif /* VKW_HOST_IMAGE_COPY_H */
