/* vkw_image_copy — the bytes one region of a copy between host memory and
 * an image takes (vkCopyMemoryToImage, vkCopyImageToMemory).
 *
 * Owns: what both ends record of an image to size its host copies (from
 * its create info), the check that a region lies inside the image, and the
 * region's shape in texel blocks (generated/vkw_formats.h says what block
 * each aspect of a format moves).  The guest sizes the bytes it sends and
 * expects with it, the host checks what came against the image it made
 * (doc/PROTOCOL.md, "Host image copy"): one rule, so the two cannot differ.
 *
 * Addressing is the spec's for buffer-image copies: rows memoryRowLength
 * texels apart (0: imageExtent.width), slices memoryImageHeight rows apart
 * (0: imageExtent.height), a slice per depth block and per array layer, in
 * whole texel blocks.  A region's bytes run from its first block to the end
 * of its last one.
 */
#ifndef VKW_IMAGE_COPY_H
#define VKW_IMAGE_COPY_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/* What sizes a host copy of an image: its create info, as both ends keep it. */
struct vkw_copy_image {
    VkFormat format;
    VkImageType type;
    VkExtent3D extent;
    uint32_t mip_levels, array_layers;
    VkSampleCountFlagBits samples;
    VkImageUsageFlags usage;
    VkImageUsageFlags stencil_usage; /* VkImageStencilUsageCreateInfo's, else usage */
};

void vkw_copy_image_init(struct vkw_copy_image *img, const VkImageCreateInfo *ci);

/* The fields VkMemoryToImageCopy and VkImageToMemoryCopy share. */
struct vkw_copy_region {
    uint32_t row_length, image_height; /* texels; 0: tightly packed */
    VkImageSubresourceLayers subresource;
    VkOffset3D offset;
    VkExtent3D extent;
};

#define VKW_COPY_REGION(r)                                                        \
    ((struct vkw_copy_region){(r)->memoryRowLength, (r)->memoryImageHeight,       \
                              (r)->imageSubresource, (r)->imageOffset, (r)->imageExtent})

/* A region that fits its image, in texel blocks. */
struct vkw_copy_shape {
    uint32_t block_bytes;      /* of the aspect copied */
    uint32_t block_width, block_height, block_depth; /* texels a block spans */
    uint32_t aspect;           /* the one VkImageAspectFlagBits */
    uint32_t layers;           /* layerCount resolved (VK_REMAINING_ARRAY_LAYERS) */
    uint64_t row_blocks;       /* blocks of one row */
    uint64_t rows;             /* rows of one slice */
    uint64_t slices;           /* depth blocks times layers */
    uint64_t pitch_blocks;     /* blocks from a row to the next in memory */
    uint64_t pitch_rows;       /* rows from a slice to the next in memory */
};

enum vkw_copy_fit {
    VKW_COPY_FITS = 0,
    VKW_COPY_UNKNOWN_FORMAT, /* vk.xml gives the image's format no block */
    VKW_COPY_OUTSIDE,        /* an aspect it lacks, a level or layer it lacks,
                              * texels past its extent, an empty extent, or
                              * several samples */
};

/* Check `r` against `img` and give its shape.  With `memcpy_layout` (the
 * VK_HOST_IMAGE_COPY_MEMCPY flag) the region must also be the whole
 * subresource: offset 0, the level's extent, and no row length or image
 * height (the memory then holds the driver's own layout). */
enum vkw_copy_fit vkw_copy_region_shape(const struct vkw_copy_image *img,
                                        const struct vkw_copy_region *r, bool memcpy_layout,
                                        struct vkw_copy_shape *s);

/* Bytes from a row to the next, and from a slice to the next, in memory. */
uint64_t vkw_copy_row_pitch(const struct vkw_copy_shape *s);
uint64_t vkw_copy_slice_pitch(const struct vkw_copy_shape *s);
/* The bytes the region spans in memory, from its first block to the end of
 * its last, or UINT64_MAX when that does not fit in 64 bits. */
uint64_t vkw_copy_span(const struct vkw_copy_shape *s);
/* The same, tightly packed (row length and image height 0). */
uint64_t vkw_copy_tight(const struct vkw_copy_shape *s);

/* a * b, or UINT64_MAX when it overflows (UINT64_MAX stays UINT64_MAX). */
uint64_t vkw_copy_mul(uint64_t a, uint64_t b);

#endif /* VKW_IMAGE_COPY_H */
