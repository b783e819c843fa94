/* vkw_guest_images — what the guest knows of its images, and the wire form
 * of copies between host memory and them (doc/PROTOCOL.md, "Host image
 * copy").
 *
 * Owns: a record of every live image (what sizes a host copy of it,
 * runtime/common/vkw_image_copy.h, and the VK_HOST_IMAGE_COPY_MEMCPY sizes
 * the host told), made through the image's allocator at vkCreateImage and
 * dropped at vkDestroyImage (or with its device); and
 * the encode-with hooks gen/annotations.conf names for vkCopyMemoryToImage
 * and vkCopyImageToMemory: each region travels as its bytes, tightly
 * packed, which the guest gathers from and scatters to the application's
 * memory in its row length and image height (so bytes between the rows
 * are neither sent nor overwritten).
 *
 * Thread-safe: one mutex guards the records, held only while one is read
 * or changed (never across a round trip).
 */
#ifndef VKW_GUEST_IMAGES_H
#define VKW_GUEST_IMAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"
#include "vkw_image_copy.h"

/* An image's record, made from `ci` through `alloc` (the image's
 * allocator, which the record keeps: OBJECT scope) before the image is
 * sent; NULL when out of memory.  Then _add once the image has its handle,
 * or _discard when its creation failed. */
struct vkw_guest_image;
struct vkw_guest_image *vkw_guest_image_make(VkDevice device, const VkImageCreateInfo *ci,
                                             const struct vkw_alloc *alloc);
void vkw_guest_image_add(struct vkw_guest_image *rec, VkImage image);
void vkw_guest_image_discard(struct vkw_guest_image *rec);
/* vkDestroyImage: the record goes. */
void vkw_guest_image_forget(VkImage image);
/* The device is being destroyed: the records of its images go. */
void vkw_guest_images_forget_device(VkDevice device);

/* The size VkSubresourceHostMemcpySize gave for one layer of the
 * subresource (aspect, level, layer), as the host's driver answered it. */
bool vkw_guest_image_note_memcpy_size(VkImage image, uint32_t aspect, uint32_t mip,
                                      uint32_t layer, uint64_t size);
bool vkw_guest_image_memcpy_size(VkImage image, uint32_t aspect, uint32_t mip, uint32_t layer,
                                 uint64_t *size);

/* One region of a copy of `image` as it travels: its shape in blocks (in
 * the application's memory) and the bytes on the wire (tightly packed, or
 * for MEMCPY the learnt size times the layers).  False for an image the
 * guest does not know, a region that does not fit it, or a MEMCPY size not
 * learnt yet. */
struct vkw_guest_copy_region {
    struct vkw_copy_shape shape;
    uint64_t bytes;
    bool memcpy_layout;
};
bool vkw_guest_copy_region(VkImage image, VkHostImageCopyFlags flags,
                           const struct vkw_copy_region *r, struct vkw_guest_copy_region *out);

/* A part of one of the application's regions, small enough for one
 * command: itself a region (in the application's row length and image
 * height), whose first block lies `offset` bytes past the region's
 * pointer, and its bytes on the wire. */
struct vkw_guest_copy_part {
    uint32_t region;
    struct vkw_copy_region r;
    uint64_t offset, bytes;
};

struct vkw_guest_copy_plan {
    struct vkw_guest_copy_part *parts;
    size_t count, capacity;
};

/* Append region `index` (`r`, sized by `c`) to `plan` in parts of at most
 * `chunk` bytes: whole slices (layers, or depth blocks of a 3D image)
 * while one fits, else rows of one slice; a MEMCPY region, or a single
 * row, whole.  False when out of memory.  Free plan->parts. */
bool vkw_guest_copy_split(struct vkw_guest_copy_plan *plan, uint32_t index,
                          const struct vkw_copy_region *r, const struct vkw_guest_copy_region *c,
                          uint64_t chunk);

/* (The hooks vkw_encode_memory_to_image, vkw_encode_image_to_memory and
 * vkw_decode_reply_image_to_memory are declared by
 * generated/vkw_guest_encode.h.) */

#endif /* VKW_GUEST_IMAGES_H */
