/* Host image copy in the ICD (doc/PROTOCOL.md, "Host image copy"): the
 * entry points gen/annotations.conf names for vkCreateImage, vkDestroyImage,
 * vkCopyMemoryToImage and vkCopyImageToMemory.
 *
 * Images are recorded as they are made (vkw_guest_images.h), so that a
 * copy's bytes can be sized.  A copy is checked whole before anything is
 * sent, and travels as one command per CHUNK_BYTES of region bytes (a
 * region larger than that in parts of whole slices, or of rows): every
 * message, and the room the host allocates for a reply, stays bounded
 * however large the image.  A VK_HOST_IMAGE_COPY_MEMCPY region is the
 * driver's layout and cannot be cut; its size is asked of the host first
 * (vkGetImageSubresourceLayout2), outside any lock. */
#include <stdlib.h>

#include "vkw_guest_entry.h"
#include "vkw_guest_images.h"
#include "vkw_icd.h"
#include "vkw_vulkan_util.h"
#include "vkw_wire.h"

/* The region bytes one command carries at most (one part may pass it: a
 * MEMCPY region, or a single row). */
#define CHUNK_BYTES (32u << 20)

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateImage(VkDevice device,
                                                    const VkImageCreateInfo *pCreateInfo,
                                                    const VkAllocationCallbacks *pAllocator,
                                                    VkImage *pImage)
{
    const VkResult result = vkw_forward_vkCreateImage(device, pCreateInfo, pAllocator, pImage);
    if (result == VK_SUCCESS && !vkw_guest_image_remember(*pImage, pCreateInfo)) {
        vkw_forward_vkDestroyImage(device, *pImage, pAllocator);
        *pImage = VK_NULL_HANDLE;
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyImage(VkDevice device, VkImage image,
                                                 const VkAllocationCallbacks *pAllocator)
{
    vkw_guest_image_forget(image);
    vkw_forward_vkDestroyImage(device, image, pAllocator);
}

/* ---- splitting a copy ---- */

/* A part of one of the application's regions: itself a region (in the
 * application's row length and image height), whose first block lies
 * `offset` bytes past the region's pointer, and its bytes on the wire. */
struct part {
    uint32_t region;
    struct vkw_copy_region r;
    uint64_t offset, bytes;
};

struct plan {
    struct part *parts;
    size_t count, capacity;
};

static bool add_part(struct plan *p, uint32_t region, const struct vkw_copy_region *r,
                     uint64_t offset, uint64_t bytes)
{
    if (p->count == p->capacity) {
        const size_t capacity = p->capacity ? p->capacity * 2 : 16;
        struct part *grown = realloc(p->parts, capacity * sizeof(*grown));
        if (!grown)
            return false;
        p->parts = grown;
        p->capacity = capacity;
    }
    p->parts[p->count++] = (struct part){region, *r, offset, bytes};
    return true;
}

/* `r` narrowed to `n` slices from slice `z` (of a layered image, layers;
 * else depth blocks) and `m` rows from row `y`. */
static struct vkw_copy_region narrowed(const struct vkw_copy_region *r,
                                       const struct vkw_copy_shape *s, uint64_t z, uint64_t n,
                                       uint64_t y, uint64_t m)
{
    struct vkw_copy_region part = *r;
    if (s->layers > 1) {
        part.subresource.baseArrayLayer += (uint32_t)z;
        part.subresource.layerCount = (uint32_t)n;
    } else {
        const uint64_t from = z * s->block_depth, left = r->extent.depth - from;
        part.offset.z += (int32_t)from;
        part.extent.depth = (uint32_t)(n * s->block_depth < left ? n * s->block_depth : left);
    }
    const uint64_t from = y * s->block_height, left = r->extent.height - from;
    part.offset.y += (int32_t)from;
    part.extent.height = (uint32_t)(m * s->block_height < left ? m * s->block_height : left);
    return part;
}

/* Region `index` into parts of at most CHUNK_BYTES: whole slices while one
 * fits, else rows of one slice. */
static bool split(struct plan *p, uint32_t index, const struct vkw_copy_region *r,
                  const struct vkw_guest_copy_region *c)
{
    const struct vkw_copy_shape *s = &c->shape;
    if (c->memcpy_layout || c->bytes <= CHUNK_BYTES)
        return add_part(p, index, r, 0, c->bytes);
    const uint64_t row = s->row_blocks * s->block_bytes, slice = row * s->rows;
    const uint64_t row_pitch = vkw_copy_row_pitch(s), slice_pitch = vkw_copy_slice_pitch(s);
    if (slice <= CHUNK_BYTES) {
        const uint64_t per = CHUNK_BYTES / slice;
        for (uint64_t z = 0; z < s->slices; z += per) {
            const uint64_t n = s->slices - z < per ? s->slices - z : per;
            const struct vkw_copy_region part = narrowed(r, s, z, n, 0, s->rows);
            if (!add_part(p, index, &part, z * slice_pitch, n * slice))
                return false;
        }
        return true;
    }
    const uint64_t per = CHUNK_BYTES / row ? CHUNK_BYTES / row : 1;
    for (uint64_t z = 0; z < s->slices; z++)
        for (uint64_t y = 0; y < s->rows; y += per) {
            const uint64_t m = s->rows - y < per ? s->rows - y : per;
            const struct vkw_copy_region part = narrowed(r, s, z, 1, y, m);
            if (!add_part(p, index, &part, z * slice_pitch + y * row_pitch, m * row))
                return false;
        }
    return true;
}

/* Learn the MEMCPY size of each region's subresource the guest has not
 * asked for yet: a round trip each, under no lock of ours. */
static void learn_memcpy_sizes(VkDevice device, VkImage image, uint32_t count,
                               const struct vkw_copy_region *regions)
{
    for (uint32_t i = 0; i < count; i++) {
        const VkImageSubresourceLayers *sub = &regions[i].subresource;
        uint64_t known;
        if (vkw_guest_image_memcpy_size(image, sub->aspectMask, sub->mipLevel,
                                        sub->baseArrayLayer, &known))
            continue;
        VkImageSubresource2 want = {.sType = VK_STRUCTURE_TYPE_IMAGE_SUBRESOURCE_2,
                                    .imageSubresource = {sub->aspectMask, sub->mipLevel,
                                                         sub->baseArrayLayer}};
        VkSubresourceHostMemcpySize size = {
            .sType = VK_STRUCTURE_TYPE_SUBRESOURCE_HOST_MEMCPY_SIZE};
        VkSubresourceLayout2 layout = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_LAYOUT_2,
                                       .pNext = &size};
        vkw_forward_vkGetImageSubresourceLayout2(device, image, &want, &layout);
        vkw_guest_image_note_memcpy_size(image, sub->aspectMask, sub->mipLevel,
                                         sub->baseArrayLayer, size.size);
    }
}

/* Every region of a copy, checked, in parts; VK_SUCCESS, or the error the
 * application gets (nothing was sent then).  `regions` is the application's
 * array, of VkMemoryToImageCopy or VkImageToMemoryCopy. */
#define PLAN_COPY(result, p, device, image, flags, count, app_regions)                        \
    do {                                                                                      \
        struct vkw_copy_region *rs_ = (count) ? malloc((count) * sizeof(*rs_)) : NULL;       \
        (result) = (count) && !rs_ ? VK_ERROR_OUT_OF_HOST_MEMORY : VK_SUCCESS;                \
        for (uint32_t i_ = 0; rs_ && i_ < (count); i_++)                                      \
            rs_[i_] = VKW_COPY_REGION(&(app_regions)[i_]);                                    \
        if (rs_)                                                                              \
            (result) = plan_copy((device), (image), (flags), (count), rs_, (p));              \
        free(rs_);                                                                            \
    } while (0)

static VkResult plan_copy(VkDevice device, VkImage image, VkHostImageCopyFlags flags,
                          uint32_t count, const struct vkw_copy_region *regions, struct plan *p)
{
    if (flags & VK_HOST_IMAGE_COPY_MEMCPY)
        learn_memcpy_sizes(device, image, count, regions);
    for (uint32_t i = 0; i < count; i++) {
        struct vkw_guest_copy_region c;
        /* An image the guest does not know or a region outside it is the
         * application's mistake: refused here rather than ending the
         * connection at the host. */
        if (!vkw_guest_copy_region(image, flags, &regions[i], &c))
            return VK_ERROR_INITIALIZATION_FAILED;
        if (c.bytes > VKW_MAX_MESSAGE_BYTES / 2)
            return VK_ERROR_OUT_OF_HOST_MEMORY; /* a MEMCPY region no message can carry */
        if (!split(p, i, &regions[i], &c))
            return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

/* The parts [first, return value) that go in one command. */
static size_t chunk_end(const struct plan *p, size_t first)
{
    uint64_t bytes = p->parts[first].bytes;
    size_t last = first + 1;
    while (last < p->count && bytes + p->parts[last].bytes <= CHUNK_BYTES)
        bytes += p->parts[last++].bytes;
    return last;
}

/* The application's region `app` narrowed to part `pt`. */
#define PART_REGION(out, app, pt, pointer_type)                                        \
    do {                                                                              \
        (out) = (app);                                                                \
        (out).imageSubresource = (pt)->r.subresource;                                 \
        (out).imageOffset = (pt)->r.offset;                                           \
        (out).imageExtent = (pt)->r.extent;                                           \
        (out).pHostPointer = (pointer_type)(app).pHostPointer + (pt)->offset;         \
    } while (0)

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCopyMemoryToImage(
    VkDevice device, const VkCopyMemoryToImageInfo *pCopyMemoryToImageInfo)
{
    const VkCopyMemoryToImageInfo *info = pCopyMemoryToImageInfo;
    struct plan p = {0};
    VkResult result;
    PLAN_COPY(result, &p, device, info->dstImage, info->flags, info->regionCount,
              info->pRegions);
    VkMemoryToImageCopy *regions = p.count ? malloc(p.count * sizeof(*regions)) : NULL;
    if (result == VK_SUCCESS && p.count && !regions)
        result = VK_ERROR_OUT_OF_HOST_MEMORY;
    for (size_t first = 0, last; result == VK_SUCCESS && first < p.count; first = last) {
        last = chunk_end(&p, first);
        for (size_t k = first; k < last; k++)
            PART_REGION(regions[k - first], info->pRegions[p.parts[k].region], &p.parts[k],
                        const unsigned char *);
        VkCopyMemoryToImageInfo chunk = *info;
        chunk.regionCount = (uint32_t)(last - first);
        chunk.pRegions = regions;
        result = vkw_forward_vkCopyMemoryToImage(device, &chunk);
    }
    free(regions);
    free(p.parts);
    return result;
}

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCopyImageToMemory(
    VkDevice device, const VkCopyImageToMemoryInfo *pCopyImageToMemoryInfo)
{
    const VkCopyImageToMemoryInfo *info = pCopyImageToMemoryInfo;
    struct plan p = {0};
    VkResult result;
    PLAN_COPY(result, &p, device, info->srcImage, info->flags, info->regionCount,
              info->pRegions);
    VkImageToMemoryCopy *regions = p.count ? malloc(p.count * sizeof(*regions)) : NULL;
    if (result == VK_SUCCESS && p.count && !regions)
        result = VK_ERROR_OUT_OF_HOST_MEMORY;
    for (size_t first = 0, last; result == VK_SUCCESS && first < p.count; first = last) {
        last = chunk_end(&p, first);
        for (size_t k = first; k < last; k++)
            PART_REGION(regions[k - first], info->pRegions[p.parts[k].region], &p.parts[k],
                        unsigned char *);
        VkCopyImageToMemoryInfo chunk = *info;
        chunk.regionCount = (uint32_t)(last - first);
        chunk.pRegions = regions;
        result = vkw_forward_vkCopyImageToMemory(device, &chunk);
    }
    free(regions);
    free(p.parts);
    return result;
}
