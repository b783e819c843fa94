/* vkw_host_image_copy — see vkw_host_image_copy.h. */
#include "vkw_host_image_copy.h"

#include <string.h>

#include "vkw_formats.h"
#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_vulkan_util.h"

void vkw_host_images_init(struct vkw_host_images *images)
{
    vkw_idmap_init(&images->records, sizeof(struct vkw_host_image));
}

void vkw_host_images_release(struct vkw_host_images *images)
{
    vkw_idmap_clear(&images->records);
}

void vkw_host_images_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    if (type == VKW_HANDLE_VkImage)
        vkw_idmap_remove(&ctx->images.records, id);
}

void vkw_host_vkCreateImage(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            struct vkw_args_vkCreateImage *a)
{
    if (!ctx->vk.vkCreateImage) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreateImage);
        return;
    }
    a->result = ctx->vk.vkCreateImage(a->device, a->pCreateInfo, NULL, a->pImage);
    if (a->result < 0 || *a->pImage == VK_NULL_HANDLE)
        return;
    struct vkw_host_image *rec = vkw_idmap_put(&ctx->images.records, a->pImage_ids[0]);
    if (!rec) { /* an image whose copies could not be checked is not kept */
        if (ctx->vk.vkDestroyImage)
            ctx->vk.vkDestroyImage(a->device, *a->pImage, NULL);
        *a->pImage = VK_NULL_HANDLE;
        vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, sizeof(*rec));
        return;
    }
    rec->device = a->device;
    vkw_copy_image_init(&rec->image, a->pCreateInfo);
}

/* ---- which image ---- */

struct image_search {
    const struct vkw_host_images *images;
    uint64_t host;
    VkDevice device;
    uint64_t id;
};

static void match_image(const struct vkw_object *o, void *user)
{
    struct image_search *s = user;
    const struct vkw_host_image *rec;
    if (s->id == 0 && o->type == VKW_HANDLE_VkImage && o->host == s->host &&
        (rec = vkw_idmap_find(&s->images->records, o->id)) != NULL && rec->device == s->device)
        s->id = o->id;
}

/* The record of `image` (a host handle the decoder checked) as an image of
 * `device`; the context fails (BAD_HANDLE, the image's id) when the image
 * is another device's.  The decoder hands over handles, and two devices'
 * images may share a handle value: the id the guest meant is the one of
 * this device (found by a scan of the table only then). */
static const struct vkw_host_image *image_of(struct vkw_host_context *ctx,
                                             struct vkw_host_decoder *d, VkDevice device,
                                             VkImage image)
{
    const uint64_t host = VKW_HANDLE_U64(image);
    const uint64_t id = vkw_object_table_id_of(&ctx->objects, VKW_HANDLE_VkImage, host);
    const struct vkw_host_image *rec = vkw_idmap_find(&ctx->images.records, id);
    if (rec && rec->device != device) {
        struct image_search s = {&ctx->images, host, device, 0};
        vkw_object_table_foreach(&ctx->objects, match_image, &s);
        rec = vkw_idmap_find(&ctx->images.records, s.id);
    }
    if (!rec)
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
    return rec;
}

/* ---- sizes ---- */

/* The bytes one VK_HOST_IMAGE_COPY_MEMCPY region takes: the driver's size
 * of the subresource, once per layer.  0 when the context failed. */
static uint64_t memcpy_size(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            VkDevice device, VkImage image, const struct vkw_copy_region *r,
                            uint32_t layers)
{
    /* the device's own entry, by whichever name it has (1.4 or the EXT's) */
    PFN_vkGetImageSubresourceLayout2 layout2 = (PFN_vkGetImageSubresourceLayout2)
        vkw_host_device_entry(ctx, d, VKW_CMD_vkGetImageSubresourceLayout2, VKW_HANDLE_VkDevice,
                              VKW_HANDLE_U64(device),
                              (PFN_vkVoidFunction)ctx->vk.vkGetImageSubresourceLayout2);
    if (!vkw_reader_ok(&d->r))
        return 0;
    if (!layout2) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkGetImageSubresourceLayout2);
        return 0;
    }
    VkImageSubresource2 sub = {.sType = VK_STRUCTURE_TYPE_IMAGE_SUBRESOURCE_2,
                               .imageSubresource = {r->subresource.aspectMask,
                                                    r->subresource.mipLevel,
                                                    r->subresource.baseArrayLayer}};
    VkSubresourceHostMemcpySize size = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_HOST_MEMCPY_SIZE};
    VkSubresourceLayout2 layout = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_LAYOUT_2,
                                   .pNext = &size};
    layout2(device, image, &sub, &layout);
    return vkw_copy_mul(size.size, layers);
}

/* Region `index` checked against the image: `size`, the bytes the guest
 * sends or gets for it, and `room`, what the driver is given (more where a
 * driver may move whole depth/stencil texels for one aspect).  False when
 * the context failed. */
static bool region_size(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                        VkDevice device, VkImage image, const struct vkw_host_image *rec,
                        VkHostImageCopyFlags flags, const struct vkw_copy_region *r,
                        uint32_t index, uint64_t *size, uint64_t *room)
{
    const bool memcpy_layout = (flags & VK_HOST_IMAGE_COPY_MEMCPY) != 0;
    struct vkw_copy_shape s;
    switch (vkw_copy_region_shape(&rec->image, r, memcpy_layout, &s)) {
    case VKW_COPY_FITS:
        break;
    case VKW_COPY_UNKNOWN_FORMAT:
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, (uint32_t)rec->image.format);
        return false;
    case VKW_COPY_OUTSIDE:
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE, index);
        return false;
    }
    if (memcpy_layout) {
        *size = *room = memcpy_size(ctx, d, device, image, r, s.layers);
        return vkw_reader_ok(&d->r);
    }
    *size = *room = vkw_copy_span(&s);
    if (s.aspect == VK_IMAGE_ASPECT_DEPTH_BIT || s.aspect == VK_IMAGE_ASPECT_STENCIL_BIT) {
        struct vkw_copy_shape whole = s;
        whole.block_bytes = vkw_format_info(rec->image.format)->block_bytes;
        if (whole.block_bytes > s.block_bytes)
            *room = vkw_copy_span(&whole);
    }
    return true;
}

/* ---- vkCopyMemoryToImage ---- */

void vkw_decode_memory_to_image(struct vkw_host_decoder *d, struct vkw_args_vkCopyMemoryToImage *a)
{
    if (!vkw_read_presence(&d->r)) {
        if (vkw_reader_ok(&d->r))
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    struct vkw_host_memory_to_image *m = vkw_reader_alloc(&d->r, 1, sizeof(*m));
    if (!m)
        return;
    vkw_decode_VkCopyMemoryToImageInfo(d, &m->info);
    a->pCopyMemoryToImageInfo = &m->info;
    const uint32_t n = vkw_reader_ok(&d->r) ? m->info.regionCount : 0;
    m->counts = vkw_reader_alloc(&d->r, n, sizeof(*m->counts));
    /* The decoder's own array: the host points each region at its bytes,
     * where they lie in the message. */
    VkMemoryToImageCopy *regions = (VkMemoryToImageCopy *)m->info.pRegions;
    for (uint32_t i = 0; m->counts && vkw_reader_ok(&d->r) && i < n; i++) {
        m->counts[i] = vkw_read_u64(&d->r);
        regions[i].pHostPointer = vkw_read_bytes_in_place(&d->r, m->counts[i]);
    }
}

void vkw_host_vkCopyMemoryToImage(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  struct vkw_args_vkCopyMemoryToImage *a)
{
    struct vkw_host_memory_to_image *m = (struct vkw_host_memory_to_image *)a->pCopyMemoryToImageInfo;
    const struct vkw_host_image *rec = image_of(ctx, d, a->device, m->info.dstImage);
    if (!rec)
        return;
    VkMemoryToImageCopy *regions = (VkMemoryToImageCopy *)m->info.pRegions;
    for (uint32_t i = 0; i < m->info.regionCount; i++) {
        const struct vkw_copy_region r = VKW_COPY_REGION(&regions[i]);
        uint64_t size, room;
        if (!region_size(ctx, d, a->device, m->info.dstImage, rec, m->info.flags, &r, i, &size,
                         &room))
            return;
        if (m->counts[i] != size) {
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, m->counts[i]);
            return;
        }
        if (room > size) { /* the guest's bytes, then zeros the driver may read */
            void *staged = vkw_reader_alloc(&d->r, room, 1);
            if (!staged)
                return;
            memcpy(staged, regions[i].pHostPointer, (size_t)size);
            regions[i].pHostPointer = staged;
        }
    }
    PFN_vkCopyMemoryToImage copy = (PFN_vkCopyMemoryToImage)vkw_host_device_entry(
        ctx, d, VKW_CMD_vkCopyMemoryToImage, VKW_HANDLE_VkDevice, VKW_HANDLE_U64(a->device),
        (PFN_vkVoidFunction)ctx->vk.vkCopyMemoryToImage);
    if (!vkw_reader_ok(&d->r))
        return;
    if (!copy) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCopyMemoryToImage);
        return;
    }
    a->result = copy(a->device, &m->info);
}

/* ---- vkCopyImageToMemory ---- */

void vkw_decode_image_to_memory(struct vkw_host_decoder *d, struct vkw_args_vkCopyImageToMemory *a)
{
    if (!vkw_read_presence(&d->r)) {
        if (vkw_reader_ok(&d->r))
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_POINTER, 0); /* vk.xml: required */
        return;
    }
    struct vkw_host_image_to_memory *m = vkw_reader_alloc(&d->r, 1, sizeof(*m));
    if (!m)
        return;
    vkw_decode_VkCopyImageToMemoryInfo(d, &m->info);
    a->pCopyImageToMemoryInfo = &m->info;
}

void vkw_host_vkCopyImageToMemory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  struct vkw_args_vkCopyImageToMemory *a)
{
    struct vkw_host_image_to_memory *m = (struct vkw_host_image_to_memory *)a->pCopyImageToMemoryInfo;
    const struct vkw_host_image *rec = image_of(ctx, d, a->device, m->info.srcImage);
    if (!rec)
        return;
    uint64_t *sizes = vkw_reader_alloc(&d->r, m->info.regionCount, sizeof(*sizes));
    VkImageToMemoryCopy *regions = (VkImageToMemoryCopy *)m->info.pRegions;
    for (uint32_t i = 0; sizes && i < m->info.regionCount; i++) {
        const struct vkw_copy_region r = VKW_COPY_REGION(&regions[i]);
        uint64_t room;
        if (!region_size(ctx, d, a->device, m->info.srcImage, rec, m->info.flags, &r, i, &sizes[i],
                         &room))
            return;
        /* Zeroed room: bytes the driver leaves alone go back as zeros,
         * never as what the host held there before. */
        regions[i].pHostPointer = vkw_reader_alloc(&d->r, room, 1);
        if (!regions[i].pHostPointer)
            return;
    }
    if (!sizes)
        return;
    PFN_vkCopyImageToMemory copy = (PFN_vkCopyImageToMemory)vkw_host_device_entry(
        ctx, d, VKW_CMD_vkCopyImageToMemory, VKW_HANDLE_VkDevice, VKW_HANDLE_U64(a->device),
        (PFN_vkVoidFunction)ctx->vk.vkCopyImageToMemory);
    if (!vkw_reader_ok(&d->r))
        return;
    if (!copy) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCopyImageToMemory);
        return;
    }
    a->result = copy(a->device, &m->info);
    m->sizes = sizes;
}

void vkw_encode_reply_image_to_memory(struct vkw_host_decoder *d, struct vkw_writer *w,
                                      const struct vkw_args_vkCopyImageToMemory *a)
{
    const struct vkw_host_image_to_memory *m =
        (const struct vkw_host_image_to_memory *)a->pCopyImageToMemoryInfo;
    if (!vkw_reader_ok(&d->r) || !m || !m->sizes)
        return; /* the context failed: no reply goes */
    /* Nothing was copied unless the driver succeeded: count 0. */
    for (uint32_t i = 0; i < m->info.regionCount; i++) {
        const uint64_t n = a->result == VK_SUCCESS ? m->sizes[i] : 0;
        vkw_write_u64(w, n);
        vkw_write_bytes(w, m->info.pRegions[i].pHostPointer, (size_t)n);
    }
}
