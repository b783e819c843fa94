/* vkw_image_copy — see vkw_image_copy.h. */
#include "vkw_image_copy.h"

#include <string.h>

#include "vkw_formats.h"
#include "vkw_vulkan_util.h"

void vkw_copy_image_init(struct vkw_copy_image *img, const VkImageCreateInfo *ci)
{
    memset(img, 0, sizeof(*img));
    img->format = ci->format;
    img->type = ci->imageType;
    img->extent = ci->extent;
    img->mip_levels = ci->mipLevels;
    img->array_layers = ci->arrayLayers;
    img->samples = ci->samples;
    img->usage = ci->usage;
    const VkImageStencilUsageCreateInfo *stencil = (const VkImageStencilUsageCreateInfo *)
        vkw_chain_find((void *)ci->pNext, VK_STRUCTURE_TYPE_IMAGE_STENCIL_USAGE_CREATE_INFO);
    img->stencil_usage = stencil ? stencil->stencilUsage : ci->usage;
}

uint64_t vkw_copy_mul(uint64_t a, uint64_t b)
{
    if (a == UINT64_MAX || b == UINT64_MAX)
        return UINT64_MAX;
    return a != 0 && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t blocks(uint64_t texels, uint32_t per_block)
{
    return texels / per_block + (texels % per_block != 0);
}

/* [offset, offset + size) inside [0, limit)? */
static bool inside(int32_t offset, uint32_t size, uint32_t limit)
{
    return offset >= 0 && size != 0 && (uint64_t)offset + size <= limit;
}

enum vkw_copy_fit vkw_copy_region_shape(const struct vkw_copy_image *img,
                                        const struct vkw_copy_region *r, bool memcpy_layout,
                                        struct vkw_copy_shape *s)
{
    memset(s, 0, sizeof(*s));
    if (!vkw_format_info(img->format))
        return VKW_COPY_UNKNOWN_FORMAT;
    const uint32_t aspect = r->subresource.aspectMask;
    const struct vkw_format_aspect *a =
        (aspect & (aspect - 1)) == 0 ? vkw_format_aspect(img->format, aspect) : NULL;
    const VkImageSubresourceLayers *sub = &r->subresource;
    /* The host transfers only images made for it (a driver may keep others
     * where the host cannot reach them); stencil may have its own usage. */
    const VkImageUsageFlags usage =
        aspect == VK_IMAGE_ASPECT_STENCIL_BIT ? img->stencil_usage : img->usage;
    if (!a || img->samples != VK_SAMPLE_COUNT_1_BIT || sub->mipLevel >= img->mip_levels ||
        sub->baseArrayLayer >= img->array_layers || !(usage & VK_IMAGE_USAGE_HOST_TRANSFER_BIT))
        return VKW_COPY_OUTSIDE;
    const uint32_t layers = sub->layerCount == VK_REMAINING_ARRAY_LAYERS
                                ? img->array_layers - sub->baseArrayLayer
                                : sub->layerCount;
    if (layers == 0 || layers > img->array_layers - sub->baseArrayLayer)
        return VKW_COPY_OUTSIDE;
    /* The level's extent (a plane's: the image's over its divisors). */
    const uint32_t mip = sub->mipLevel;
    const uint32_t w = mip < 32 ? (img->extent.width / a->width_divisor) >> mip : 0;
    const uint32_t h = mip < 32 ? (img->extent.height / a->height_divisor) >> mip : 0;
    const uint32_t d = mip < 32 ? img->extent.depth >> mip : 0;
    const uint32_t level_w = w ? w : 1, level_h = h ? h : 1, level_d = d ? d : 1;
    if (!inside(r->offset.x, r->extent.width, level_w) ||
        !inside(r->offset.y, r->extent.height, level_h) ||
        !inside(r->offset.z, r->extent.depth, level_d))
        return VKW_COPY_OUTSIDE;
    if (img->type == VK_IMAGE_TYPE_3D ? sub->baseArrayLayer != 0 || layers != 1
                                      : r->offset.z != 0 || r->extent.depth != 1)
        return VKW_COPY_OUTSIDE;
    if (img->type == VK_IMAGE_TYPE_1D && (r->offset.y != 0 || r->extent.height != 1))
        return VKW_COPY_OUTSIDE;
    if (memcpy_layout &&
        (r->row_length != 0 || r->image_height != 0 || r->offset.x != 0 || r->offset.y != 0 ||
         r->offset.z != 0 || r->extent.width != level_w || r->extent.height != level_h ||
         r->extent.depth != level_d))
        return VKW_COPY_OUTSIDE;
    s->block_bytes = a->block_bytes;
    s->block_width = a->block_width;
    s->block_height = a->block_height;
    s->block_depth = a->block_depth;
    s->aspect = aspect;
    s->layers = layers;
    s->row_blocks = blocks(r->extent.width, a->block_width);
    s->rows = blocks(r->extent.height, a->block_height);
    s->slices = blocks(r->extent.depth, a->block_depth) * layers;
    s->pitch_blocks = blocks(r->row_length ? r->row_length : r->extent.width, a->block_width);
    s->pitch_rows = blocks(r->image_height ? r->image_height : r->extent.height, a->block_height);
    return VKW_COPY_FITS;
}

uint64_t vkw_copy_row_pitch(const struct vkw_copy_shape *s)
{
    return vkw_copy_mul(s->pitch_blocks, s->block_bytes);
}

uint64_t vkw_copy_slice_pitch(const struct vkw_copy_shape *s)
{
    return vkw_copy_mul(s->pitch_rows, vkw_copy_row_pitch(s));
}

uint64_t vkw_copy_span(const struct vkw_copy_shape *s)
{
    if (s->row_blocks == 0 || s->rows == 0 || s->slices == 0)
        return 0;
    /* The last block of the last row of the last slice, and its end. */
    return add_sat(add_sat(vkw_copy_mul(s->slices - 1, vkw_copy_slice_pitch(s)),
                           vkw_copy_mul(s->rows - 1, vkw_copy_row_pitch(s))),
                   vkw_copy_mul(s->row_blocks, s->block_bytes));
}

uint64_t vkw_copy_tight(const struct vkw_copy_shape *s)
{
    return vkw_copy_mul(vkw_copy_mul(vkw_copy_mul(s->slices, s->rows), s->row_blocks),
                        s->block_bytes);
}
