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
#define CHUNK_BYTES (8u << 20)

VKAPI_ATTR VkResult VKAPI_CALL vkw_icd_vkCreateImage(VkDevice device,
                                                    const VkImageCreateInfo *pCreateInfo,
                                                    const VkAllocationCallbacks *pAllocator,
                                                    VkImage *pImage)
{
    const struct vkw_alloc alloc = vkw_alloc_pick(pAllocator, vkw_guest_device_alloc(device));
    struct vkw_guest_image *rec = vkw_guest_image_make(device, pCreateInfo, &alloc);
    if (!rec)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    const VkResult result = vkw_forward_vkCreateImage(device, pCreateInfo, pAllocator, pImage);
    if (result == VK_SUCCESS)
        vkw_guest_image_add(rec, *pImage);
    else
        vkw_guest_image_discard(rec);
    return result;
}

VKAPI_ATTR void VKAPI_CALL vkw_icd_vkDestroyImage(VkDevice device, VkImage image,
                                                 const VkAllocationCallbacks *pAllocator)
{
    vkw_guest_image_forget(image);
    vkw_forward_vkDestroyImage(device, image, pAllocator);
}

/* ---- splitting a copy ---- */

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
                          uint32_t count, const struct vkw_copy_region *regions, struct vkw_guest_copy_plan *p)
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
        if (!vkw_guest_copy_split(p, i, &regions[i], &c, CHUNK_BYTES))
            return VK_ERROR_OUT_OF_HOST_MEMORY;
    }
    return VK_SUCCESS;
}

/* The parts [first, return value) that go in one command. */
static size_t chunk_end(const struct vkw_guest_copy_plan *p, size_t first)
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
    struct vkw_guest_copy_plan p = {0};
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
    struct vkw_guest_copy_plan p = {0};
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
