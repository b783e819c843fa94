/* test_guest_copy_split — how the guest cuts a host image copy into parts
 * (runtime/guest/vkw_guest_images.c, vkw_guest_copy_split).
 *
 * Owns: for regions of layered 2D, 3D and block-compressed images with
 * row lengths and image heights, cut with chunks of every size: each part
 * is a region that fits the image, carries at most a chunk (or one row),
 * and addresses, from its own offset in the application's memory, exactly
 * the bytes the whole region addresses for the same texel blocks; together
 * the parts cover every block of the region once.  MEMCPY regions and
 * regions within a chunk stay whole. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vkw_guest_images.h"
#include "vkw_wire.h"

/* The guest encoders this library brings ask for it; nothing here decodes. */
uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id)
{
    (void)type;
    vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, id);
    return 0;
}

/* Layer (or depth block), row and block of a region, by its slice, row and
 * block indexes; and the application's byte of it. */
static uint64_t app_offset(const struct vkw_copy_shape *s, uint64_t slice, uint64_t row,
                           uint64_t block)
{
    return slice * vkw_copy_slice_pitch(s) + row * vkw_copy_row_pitch(s) + block * s->block_bytes;
}

static bool check_split(VkImage image, const struct vkw_copy_region *r, uint64_t chunk,
                        size_t *parts_out)
{
    struct vkw_guest_copy_region whole;
    if (!vkw_guest_copy_region(image, 0, r, &whole))
        return diag("the test's region does not fit"), false;
    struct vkw_guest_copy_plan plan = {0};
    if (!vkw_guest_copy_split(&plan, 7, r, &whole, chunk))
        return diag("out of memory"), false;
    const struct vkw_copy_shape *ws = &whole.shape;
    const uint64_t depth_blocks = ws->slices / ws->layers;
    uint8_t *seen = calloc((size_t)(ws->slices * ws->rows * ws->row_blocks), 1);
    bool good = seen != NULL;
    uint64_t total = 0;
    const uint64_t row_bytes = ws->row_blocks * ws->block_bytes;
    for (size_t i = 0; good && i < plan.count; i++) {
        const struct vkw_guest_copy_part *p = &plan.parts[i];
        struct vkw_guest_copy_region c;
        good = p->region == 7 && vkw_guest_copy_region(image, 0, &p->r, &c) && c.bytes == p->bytes &&
               (p->bytes <= chunk || (c.shape.slices == 1 && c.shape.rows == 1));
        if (!good) {
            diag("part %zu: does not fit, or %llu bytes against a chunk of %llu", i,
                 (unsigned long long)p->bytes, (unsigned long long)chunk);
            break;
        }
        total += p->bytes;
        const struct vkw_copy_shape *ps = &c.shape;
        const uint64_t part_depth_blocks = ps->slices / ps->layers;
        for (uint64_t sl = 0; good && sl < ps->slices; sl++)
            for (uint64_t y = 0; good && y < ps->rows; y++)
                for (uint64_t x = 0; good && x < ps->row_blocks; x++) {
                    /* where this block lies in the whole region */
                    const uint64_t layer = p->r.subresource.baseArrayLayer + sl / part_depth_blocks -
                                           r->subresource.baseArrayLayer;
                    const uint64_t z = (uint64_t)(p->r.offset.z - r->offset.z) / ws->block_depth +
                                       sl % part_depth_blocks;
                    const uint64_t wy = (uint64_t)(p->r.offset.y - r->offset.y) / ws->block_height + y;
                    const uint64_t wx = (uint64_t)(p->r.offset.x - r->offset.x) / ws->block_width + x;
                    const uint64_t wslice = layer * depth_blocks + z;
                    const uint64_t cell = (wslice * ws->rows + wy) * ws->row_blocks + wx;
                    good = wslice < ws->slices && wy < ws->rows && wx < ws->row_blocks &&
                           !seen[cell] &&
                           p->offset + app_offset(ps, sl, y, x) == app_offset(ws, wslice, wy, wx);
                    if (good)
                        seen[cell] = 1;
                    else
                        diag("part %zu, block (%llu,%llu,%llu): placed twice or elsewhere", i,
                             (unsigned long long)sl, (unsigned long long)y, (unsigned long long)x);
                }
    }
    for (uint64_t i = 0; good && i < ws->slices * ws->rows * ws->row_blocks; i++)
        good = seen[i] == 1;
    good = good && total == whole.bytes && row_bytes > 0;
    *parts_out = plan.count;
    free(seen);
    free(plan.parts);
    return good;
}

static VkImage make_image(uint64_t id, VkFormat format, VkImageType type, VkExtent3D extent,
                          uint32_t layers)
{
    const VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                  .imageType = type,
                                  .format = format,
                                  .extent = extent,
                                  .mipLevels = 1,
                                  .arrayLayers = layers,
                                  .samples = VK_SAMPLE_COUNT_1_BIT,
                                  .usage = VK_IMAGE_USAGE_HOST_TRANSFER_BIT};
    const VkImage image = (VkImage)(uintptr_t)id;
    struct vkw_guest_image *rec = vkw_guest_image_make(VK_NULL_HANDLE, &ci, NULL);
    if (!rec)
        BAIL_OUT("out of memory");
    vkw_guest_image_add(rec, image);
    return image;
}

/* The guest runtime's device lengths (runtime/guest/vkw_guest_lengths.h),
 * which the generated encoders linked in with the splitter call: this test
 * encodes nothing that has one. */
uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    (void)device, (void)opcode, (void)what;
    return 0;
}

int main(void)
{
    const VkImage layered = make_image(0x10, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D,
                                       (VkExtent3D){37, 29, 1}, 6);
    const VkImage volume = make_image(0x11, VK_FORMAT_R16_UINT, VK_IMAGE_TYPE_3D,
                                      (VkExtent3D){13, 11, 9}, 1);
    const VkImage blocks = make_image(0x12, VK_FORMAT_BC1_RGB_UNORM_BLOCK, VK_IMAGE_TYPE_2D,
                                      (VkExtent3D){50, 38, 1}, 3);
    const struct {
        VkImage image;
        struct vkw_copy_region r;
        const char *what;
    } cases[] = {
        {layered, {0, 0, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 5}, {3, 2, 0}, {30, 25, 1}},
         "5 layers, tight"},
        {layered, {41, 0, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, VK_REMAINING_ARRAY_LAYERS}, {0, 1, 0}, {37, 27, 1}},
         "all layers, row length 41"},
        {layered, {32, 31, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 2, 3}, {5, 0, 0}, {29, 29, 1}},
         "3 layers, row length 32, image height 31"},
        {volume, {16, 12, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1}, {1, 1, 2}, {12, 10, 7}},
         "7 slices of a 3D image, row length and image height"},
        {blocks, {52, 40, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 3}, {4, 8, 0}, {46, 30, 1}},
         "BC1: blocks to the image's edge, 3 layers"},
    };
    static const uint64_t chunks[] = {1, 100, 700, 3000, 5000, 20000, 1u << 30};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
            size_t parts = 0;
            ok(check_split(cases[i].image, &cases[i].r, chunks[k], &parts),
               "%s, chunks of %llu bytes: %zu parts cover it once, each where it was",
               cases[i].what, (unsigned long long)chunks[k], parts);
            if (chunks[k] == 1u << 30)
                is_int(parts, 1, "%s: within a chunk it stays whole", cases[i].what);
        }
    /* A MEMCPY region is never cut. */
    vkw_guest_image_note_memcpy_size(layered, VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 5000);
    const struct vkw_copy_region all = {0, 0, {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 6}, {0, 0, 0},
                                        {37, 29, 1}};
    struct vkw_guest_copy_region c;
    struct vkw_guest_copy_plan plan = {0};
    ok(vkw_guest_copy_region(layered, VK_HOST_IMAGE_COPY_MEMCPY, &all, &c) && c.bytes == 30000 &&
           vkw_guest_copy_split(&plan, 0, &all, &c, 100) && plan.count == 1 &&
           plan.parts[0].bytes == 30000,
       "a MEMCPY region: 6 layers of the driver's 5000 bytes, whole");
    free(plan.parts);
    vkw_guest_image_forget(layered);
    vkw_guest_image_forget(volume);
    vkw_guest_image_forget(blocks);
    return done_testing();
}
