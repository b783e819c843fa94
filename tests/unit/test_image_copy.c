/* test_image_copy — runtime/common/vkw_image_copy.c and the generated
 * format table (generated/vkw_formats.c).
 *
 * Owns: the bytes a host image copy region takes, worked out by hand for
 * the cases the spec's addressing distinguishes (tight, row length, image
 * height, layers, 3D slices, compressed blocks at the image's edge, depth
 * and stencil aspects, planes of a 4:2:0 format, MEMCPY regions) and every
 * reason a region does not fit its image; overflow saturates. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "vkw_formats.h"
#include "vkw_image_copy.h"

static struct vkw_copy_image image(VkFormat format, VkImageType type, uint32_t w, uint32_t h,
                                   uint32_t d, uint32_t mips, uint32_t layers)
{
    VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                            .imageType = type,
                            .format = format,
                            .extent = {w, h, d},
                            .mipLevels = mips,
                            .arrayLayers = layers,
                            .samples = VK_SAMPLE_COUNT_1_BIT,
                            .usage = VK_IMAGE_USAGE_HOST_TRANSFER_BIT};
    struct vkw_copy_image img;
    vkw_copy_image_init(&img, &ci);
    return img;
}

static struct vkw_copy_region region(uint32_t aspect, uint32_t mip, uint32_t base, uint32_t count,
                                     int32_t x, int32_t y, int32_t z, uint32_t w, uint32_t h,
                                     uint32_t d)
{
    return (struct vkw_copy_region){0, 0, {aspect, mip, base, count}, {x, y, z}, {w, h, d}};
}

/* span and tight bytes of `r` in `img`, or UINT64_MAX twice when it does not fit */
static void sizes(const struct vkw_copy_image *img, struct vkw_copy_region r, bool memcpy_layout,
                  uint64_t *span, uint64_t *tight)
{
    struct vkw_copy_shape s;
    if (vkw_copy_region_shape(img, &r, memcpy_layout, &s) != VKW_COPY_FITS) {
        *span = *tight = UINT64_MAX;
        return;
    }
    *span = vkw_copy_span(&s);
    *tight = vkw_copy_tight(&s);
}

#define SIZES(img, r, want_span, want_tight, what)                                        \
    do {                                                                                  \
        uint64_t span_, tight_;                                                           \
        sizes(&(img), (r), false, &span_, &tight_);                                        \
        ok(span_ == (want_span) && tight_ == (want_tight), "%s: %llu and %llu bytes", what, \
           (unsigned long long)span_, (unsigned long long)tight_);                        \
    } while (0)

static void test_table(void)
{
    const struct vkw_format_aspect *a = vkw_format_aspect(VK_FORMAT_R8G8B8A8_UNORM,
                                                          VK_IMAGE_ASPECT_COLOR_BIT);
    ok(a && a->block_bytes == 4 && a->block_width == 1, "RGBA8: 4-byte texels");
    a = vkw_format_aspect(VK_FORMAT_BC3_UNORM_BLOCK, VK_IMAGE_ASPECT_COLOR_BIT);
    ok(a && a->block_bytes == 16 && a->block_width == 4 && a->block_height == 4,
       "BC3: 16 bytes a 4x4 block");
    a = vkw_format_aspect(VK_FORMAT_D24_UNORM_S8_UINT, VK_IMAGE_ASPECT_DEPTH_BIT);
    ok(a && a->block_bytes == 4, "D24S8 depth: 4 bytes");
    a = vkw_format_aspect(VK_FORMAT_D24_UNORM_S8_UINT, VK_IMAGE_ASPECT_STENCIL_BIT);
    ok(a && a->block_bytes == 1, "D24S8 stencil: 1 byte");
    ok(vkw_format_aspect(VK_FORMAT_D24_UNORM_S8_UINT, VK_IMAGE_ASPECT_COLOR_BIT) == NULL,
       "D24S8 has no color aspect");
    a = vkw_format_aspect(VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, VK_IMAGE_ASPECT_PLANE_1_BIT);
    ok(a && a->block_bytes == 2 && a->width_divisor == 2 && a->height_divisor == 2,
       "NV12 plane 1: R8G8 at half size");
    ok(vkw_format_aspect(VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, VK_IMAGE_ASPECT_COLOR_BIT) == NULL,
       "a multi-planar format's COLOR is no copy aspect");
    ok(vkw_format_info(VK_FORMAT_UNDEFINED) == NULL && vkw_format_info((VkFormat)123456) == NULL,
       "UNDEFINED and unknown values have no block");
    ok(vkw_format_info(VK_FORMAT_A4B4G4R4_UNORM_PACK16) != NULL, "an extension's format is there");
}

static void test_sizes(void)
{
    const uint32_t C = VK_IMAGE_ASPECT_COLOR_BIT;
    struct vkw_copy_image rgba = image(VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D, 64, 32, 1, 3, 4);
    SIZES(rgba, region(C, 0, 0, 1, 0, 0, 0, 64, 32, 1), 8192, 8192, "whole level 0");
    SIZES(rgba, region(C, 2, 1, 2, 0, 0, 0, 16, 8, 1), 1024, 1024, "level 2, 2 layers");
    SIZES(rgba, region(C, 0, 1, VK_REMAINING_ARRAY_LAYERS, 4, 4, 0, 10, 3, 1), 360, 360,
          "the remaining 3 layers");
    struct vkw_copy_region r = region(C, 0, 0, 2, 8, 2, 0, 10, 3, 1);
    r.row_length = 16; /* rows 64 bytes apart, 40 used */
    SIZES(rgba, r, 64 * 5 + 40, 240, "row length 16: 2 layers of 3 rows, up to the last texel");
    r.image_height = 5; /* layers 5 rows apart */
    SIZES(rgba, r, 64 * 5 + 64 * 2 + 40, 240, "and image height 5");

    struct vkw_copy_image bc = image(VK_FORMAT_BC1_RGB_UNORM_BLOCK, VK_IMAGE_TYPE_2D, 30, 18, 1, 1, 1);
    SIZES(bc, region(C, 0, 0, 1, 0, 0, 0, 30, 18, 1), 8 * 8 * 5, 8 * 8 * 5,
          "BC1 30x18: 8x5 blocks, the edge ones partial");
    SIZES(bc, region(C, 0, 0, 1, 28, 16, 0, 2, 2, 1), 8, 8, "the corner block");

    struct vkw_copy_image vol = image(VK_FORMAT_R16_UINT, VK_IMAGE_TYPE_3D, 8, 4, 6, 2, 1);
    SIZES(vol, region(C, 0, 0, 1, 0, 0, 2, 8, 4, 3), 3 * 64, 3 * 64, "3 slices of a 3D image");
    SIZES(vol, region(C, 1, 0, 1, 0, 0, 0, 4, 2, 3), 48, 48, "level 1 of it: 4x2x3");

    struct vkw_copy_image ds = image(VK_FORMAT_D32_SFLOAT_S8_UINT, VK_IMAGE_TYPE_2D, 4, 4, 1, 1, 1);
    SIZES(ds, region(VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1, 0, 0, 0, 4, 4, 1), 64, 64,
          "D32S8 depth: 4 bytes a texel");
    SIZES(ds, region(VK_IMAGE_ASPECT_STENCIL_BIT, 0, 0, 1, 0, 0, 0, 4, 4, 1), 16, 16,
          "D32S8 stencil: 1 byte a texel");

    struct vkw_copy_image nv12 =
        image(VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, VK_IMAGE_TYPE_2D, 16, 8, 1, 1, 1);
    SIZES(nv12, region(VK_IMAGE_ASPECT_PLANE_0_BIT, 0, 0, 1, 0, 0, 0, 16, 8, 1), 128, 128,
          "NV12 luma");
    SIZES(nv12, region(VK_IMAGE_ASPECT_PLANE_1_BIT, 0, 0, 1, 0, 0, 0, 8, 4, 1), 64, 64,
          "NV12 chroma (8x4 of R8G8)");

    struct vkw_copy_image one = image(VK_FORMAT_R32G32B32_SFLOAT, VK_IMAGE_TYPE_1D, 40, 1, 1, 1, 3);
    SIZES(one, region(C, 0, 1, 2, 5, 0, 0, 10, 1, 1), 12 * 40 * 0 + 12 * 10 + 12 * 10, 240,
          "a 1D array: a row per layer, tight");
}

static void test_outside(void)
{
    const uint32_t C = VK_IMAGE_ASPECT_COLOR_BIT;
    struct vkw_copy_image rgba = image(VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D, 64, 32, 1, 3, 4);
    struct vkw_copy_shape s;
    static const struct {
        struct vkw_copy_region r;
        const char *what;
    } bad[] = {
        {{0, 0, {C, 3, 0, 1}, {0, 0, 0}, {1, 1, 1}}, "a level past the last"},
        {{0, 0, {C, 0, 4, 1}, {0, 0, 0}, {1, 1, 1}}, "a layer past the last"},
        {{0, 0, {C, 0, 3, 2}, {0, 0, 0}, {1, 1, 1}}, "layers running past the last"},
        {{0, 0, {C, 0, 0, 0}, {0, 0, 0}, {1, 1, 1}}, "no layer"},
        {{0, 0, {C, 0, 0, 1}, {60, 0, 0}, {5, 1, 1}}, "texels past the width"},
        {{0, 0, {C, 1, 0, 1}, {0, 15, 0}, {1, 2, 1}}, "texels past level 1's height"},
        {{0, 0, {C, 0, 0, 1}, {-1, 0, 0}, {1, 1, 1}}, "a negative offset"},
        {{0, 0, {C, 0, 0, 1}, {0, 0, 0}, {0, 1, 1}}, "an empty extent"},
        {{0, 0, {C, 0, 0, 1}, {0, 0, 0}, {1, 1, 2}}, "depth on a 2D image"},
        {{0, 0, {C, 0, 0, 1}, {0, 0, 1}, {1, 1, 1}}, "a z offset on a 2D image"},
        {{0, 0, {VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1}, {0, 0, 0}, {1, 1, 1}}, "an aspect it lacks"},
        {{0, 0, {C | VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1}, {0, 0, 0}, {1, 1, 1}}, "two aspects"},
        {{0, 0, {C, 0, 0, 1}, {0, 0, 0}, {0x80000000u, 1, 1}}, "an extent that wraps"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(vkw_copy_region_shape(&rgba, &bad[i].r, false, &s), VKW_COPY_OUTSIDE, "%s",
               bad[i].what);
    struct vkw_copy_image vol = image(VK_FORMAT_R8_UINT, VK_IMAGE_TYPE_3D, 8, 8, 8, 1, 1);
    struct vkw_copy_region r = region(C, 0, 0, 2, 0, 0, 0, 1, 1, 1);
    is_int(vkw_copy_region_shape(&vol, &r, false, &s), VKW_COPY_OUTSIDE, "layers of a 3D image");
    struct vkw_copy_image one = image(VK_FORMAT_R8_UINT, VK_IMAGE_TYPE_1D, 8, 1, 1, 1, 1);
    r = region(C, 0, 0, 1, 0, 0, 0, 1, 2, 1);
    is_int(vkw_copy_region_shape(&one, &r, false, &s), VKW_COPY_OUTSIDE, "height on a 1D image");
    struct vkw_copy_image many = rgba;
    many.samples = VK_SAMPLE_COUNT_4_BIT;
    r = region(C, 0, 0, 1, 0, 0, 0, 1, 1, 1);
    is_int(vkw_copy_region_shape(&many, &r, false, &s), VKW_COPY_OUTSIDE, "a multisampled image");
    struct vkw_copy_image no_host = rgba;
    no_host.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    is_int(vkw_copy_region_shape(&no_host, &r, false, &s), VKW_COPY_OUTSIDE,
           "an image without host transfer usage");
    struct vkw_copy_image unknown = rgba;
    unknown.format = VK_FORMAT_UNDEFINED;
    is_int(vkw_copy_region_shape(&unknown, &r, false, &s), VKW_COPY_UNKNOWN_FORMAT,
           "a format without a block");

    /* MEMCPY: the whole subresource only, no row length. */
    r = region(C, 1, 0, 2, 0, 0, 0, 32, 16, 1);
    is_int(vkw_copy_region_shape(&rgba, &r, true, &s), VKW_COPY_FITS, "MEMCPY of a whole level");
    is_int(s.layers, 2, "its layers");
    r.extent.width = 31;
    is_int(vkw_copy_region_shape(&rgba, &r, true, &s), VKW_COPY_OUTSIDE, "MEMCPY of part of one");
    r.extent.width = 32;
    r.row_length = 32;
    is_int(vkw_copy_region_shape(&rgba, &r, true, &s), VKW_COPY_OUTSIDE,
           "MEMCPY with a row length");
}

static void test_overflow(void)
{
    struct vkw_copy_image big =
        image(VK_FORMAT_R64G64B64A64_SFLOAT, VK_IMAGE_TYPE_2D, 16384, 16384, 1, 1, 2048);
    struct vkw_copy_region r = region(VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 2048, 0, 0, 0, 16384, 16384, 1);
    r.row_length = UINT32_MAX;
    r.image_height = UINT32_MAX;
    struct vkw_copy_shape s;
    is_int(vkw_copy_region_shape(&big, &r, false, &s), VKW_COPY_FITS, "a region of 2^41 texels");
    is_u64(vkw_copy_span(&s), UINT64_MAX, "whose span in memory does not fit in 64 bits");
    is_u64(vkw_copy_tight(&s), (uint64_t)16384 * 16384 * 2048 * 32, "its tight size does");
    is_u64(vkw_copy_mul(UINT64_MAX, 0), UINT64_MAX, "UINT64_MAX stays");
    is_u64(vkw_copy_mul(1ull << 32, 1ull << 32), UINT64_MAX, "2^64 saturates");
}

int main(void)
{
    test_table();
    test_sizes();
    test_outside();
    test_overflow();
    return done_testing();
}
