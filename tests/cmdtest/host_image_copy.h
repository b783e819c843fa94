/* Host image copy (Vulkan 1.4, VK_EXT_host_image_copy): copies between
 * host memory and images and layout transitions, all by the host, no
 * queue.  Through vkwire a region's bytes travel in the command or the
 * reply, sized by the image's format (doc/PROTOCOL.md, "Host image copy").
 *
 * One scenario, "host_image_copy":
 *   - the copy layouts of VkPhysicalDeviceHostImageCopyProperties and
 *     VkPhysicalDeviceVulkan14Properties (output-struct arrays: counts,
 *     then the arrays), which must list GENERAL;
 *   - an RGBA8 image of 2 levels and 3 layers moved to GENERAL by
 *     vkTransitionImageLayout, filled whole by vkCopyMemoryToImage (tightly
 *     packed, VK_REMAINING_ARRAY_LAYERS), then parts of two layers written
 *     from memory with a row length and an image height (the bytes between
 *     the rows must not reach the image);
 *   - read back by vkCopyImageToMemory, tightly and into memory with a row
 *     length (the bytes between the rows must stay as they were), by
 *     vkCopyImageToImage into a second image, and by the device
 *     (vkCmdCopyImageToBuffer); every read is checked against a model of
 *     the image kept on the CPU;
 *   - VK_HOST_IMAGE_COPY_MEMCPY (the driver's own layout, sized by
 *     vkGetImageSubresourceLayout2 + VkSubresourceHostMemcpySize): an
 *     image written, read out, written into another image and both read
 *     back the ordinary way must agree;
 *   - a D32_SFLOAT image's depth aspect, where the format allows host
 *     copies;
 *   - copies larger than one message of vkwire's carries (8 MiB of
 *     texels): 3 layers of 4 MiB, and one 8 MiB layer with a row length,
 *     both ways.
 * Every byte read back goes into the digest.  The 1.3.239 validation layer
 * does not know these entry points: the scenario runs without it. */

#define HIC_W 24u
#define HIC_H 20u
#define HIC_LAYERS 3u
#define HIC_MIPS 2u

struct hic {
    PFN_vkCopyMemoryToImageEXT to_image;
    PFN_vkCopyImageToMemoryEXT to_memory;
    PFN_vkCopyImageToImageEXT image_to_image;
    PFN_vkTransitionImageLayoutEXT transition;
    PFN_vkGetImageSubresourceLayout2EXT subresource_layout;
    /* What the RGBA8 image holds: [mip][layer] planes of w*h*4 bytes. */
    uint8_t *model[HIC_MIPS][HIC_LAYERS];
};

static uint32_t hic_level(uint32_t size, uint32_t mip)
{
    return size >> mip ? size >> mip : 1;
}

static void hic_needs(struct ctx *c, struct device_needs *n)
{
    static VkPhysicalDeviceHostImageCopyFeaturesEXT on = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_IMAGE_COPY_FEATURES_EXT,
        .hostImageCopy = VK_TRUE};
    VkPhysicalDeviceHostImageCopyFeaturesEXT have = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_IMAGE_COPY_FEATURES_EXT};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &have};
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(c->physical, NULL, &count, NULL);
    VkExtensionProperties *props = calloc(count ? count : 1, sizeof(*props));
    if (!props)
        fail(c, "out of memory");
    vkEnumerateDeviceExtensionProperties(c->physical, NULL, &count, props);
    bool listed = false;
    for (uint32_t i = 0; i < count; i++)
        listed |= strcmp(props[i].extensionName, VK_EXT_HOST_IMAGE_COPY_EXTENSION_NAME) == 0;
    free(props);
    if (listed)
        vkGetPhysicalDeviceFeatures2(c->physical, &features);
    if (!listed || !have.hostImageCopy) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "no VK_EXT_host_image_copy with hostImageCopy");
        return;
    }
    VkFormatProperties3 f3 = {.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3};
    VkFormatProperties2 f2 = {.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &f3};
    vkGetPhysicalDeviceFormatProperties2(c->physical, VK_FORMAT_R8G8B8A8_UNORM, &f2);
    if (!(f3.optimalTilingFeatures & VK_FORMAT_FEATURE_2_HOST_IMAGE_TRANSFER_BIT_EXT)) {
        n->skip = true;
        snprintf(n->skip_why, sizeof n->skip_why, "RGBA8 images without host transfer");
        return;
    }
    n->extensions[n->extension_count++] = VK_EXT_HOST_IMAGE_COPY_EXTENSION_NAME;
    n->features = &on;
}

/* The copy layouts, two calls each; digested, and GENERAL must be there. */
static void hic_layouts(struct ctx *c, void *props, uint32_t *src_count, VkImageLayout **src,
                        uint32_t *dst_count, VkImageLayout **dst, const char *what)
{
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = props};
    *src = *dst = NULL;
    *src_count = *dst_count = 0;
    vkGetPhysicalDeviceProperties2(c->physical, &p2);
    EXPECT(*src_count > 0 && *src_count < 64 && *dst_count > 0 && *dst_count < 64,
           "%s: %u source and %u destination layouts", what, *src_count, *dst_count);
    VkImageLayout src_room[64], dst_room[64];
    *src = src_room;
    *dst = dst_room;
    vkGetPhysicalDeviceProperties2(c->physical, &p2);
    bool src_general = false, dst_general = false;
    for (uint32_t i = 0; i < *src_count; i++) {
        digest_u32(c, (uint32_t)src_room[i]);
        src_general |= src_room[i] == VK_IMAGE_LAYOUT_GENERAL;
    }
    for (uint32_t i = 0; i < *dst_count; i++) {
        digest_u32(c, (uint32_t)dst_room[i]);
        dst_general |= dst_room[i] == VK_IMAGE_LAYOUT_GENERAL;
    }
    *src = *dst = NULL;
    EXPECT(src_general && dst_general, "%s: GENERAL is not a host copy layout both ways", what);
}

static void hic_properties(struct ctx *c)
{
    VkPhysicalDeviceHostImageCopyPropertiesEXT hic = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_HOST_IMAGE_COPY_PROPERTIES_EXT};
    hic_layouts(c, &hic, &hic.copySrcLayoutCount, &hic.pCopySrcLayouts, &hic.copyDstLayoutCount,
                &hic.pCopyDstLayouts, "VkPhysicalDeviceHostImageCopyProperties");
    digest(c, hic.optimalTilingLayoutUUID, sizeof hic.optimalTilingLayoutUUID);
    digest_u32(c, hic.identicalMemoryTypeRequirements);
    if (c->props.apiVersion >= VK_API_VERSION_1_4) {
        VkPhysicalDeviceVulkan14Properties p14 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_4_PROPERTIES};
        hic_layouts(c, &p14, &p14.copySrcLayoutCount, &p14.pCopySrcLayouts,
                    &p14.copyDstLayoutCount, &p14.pCopyDstLayouts,
                    "VkPhysicalDeviceVulkan14Properties");
        EXPECT(memcmp(p14.optimalTilingLayoutUUID, hic.optimalTilingLayoutUUID,
                      sizeof hic.optimalTilingLayoutUUID) == 0,
               "the two property structs name different tiling layouts");
    }
}

static struct image hic_image(struct ctx *c, struct hic *h, VkFormat format, uint32_t w,
                              uint32_t ht, uint32_t mips, uint32_t layers, VkImageUsageFlags more)
{
    struct image im = image_new(c, format, w, ht, mips, layers, VK_SAMPLE_COUNT_1_BIT,
                                VK_IMAGE_USAGE_HOST_TRANSFER_BIT_EXT | more);
    VkHostImageLayoutTransitionInfoEXT t = {
        .sType = VK_STRUCTURE_TYPE_HOST_IMAGE_LAYOUT_TRANSITION_INFO_EXT,
        .image = im.image,
        .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
        .newLayout = VK_IMAGE_LAYOUT_GENERAL,
        .subresourceRange = {im.aspect, 0, mips, 0, layers}};
    VK(h->transition(c->device, 1, &t));
    return im;
}

/* A byte of the pattern written at (x, y) of a level and layer. */
static uint8_t hic_byte(uint32_t mip, uint32_t layer, uint32_t x, uint32_t y, uint32_t ch,
                        uint32_t salt)
{
    return (uint8_t)(x * 7 + y * 13 + layer * 31 + mip * 61 + ch * 3 + salt * 17 + 1);
}

static void hic_to_image(struct ctx *c, struct hic *h, const struct image *im, VkHostImageCopyFlags flags,
                         uint32_t count, const VkMemoryToImageCopyEXT *regions)
{
    VkCopyMemoryToImageInfoEXT info = {.sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_IMAGE_INFO_EXT,
                                       .flags = flags,
                                       .dstImage = im->image,
                                       .dstImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                       .regionCount = count,
                                       .pRegions = regions};
    VK(h->to_image(c->device, &info));
}

static void hic_to_memory(struct ctx *c, struct hic *h, const struct image *im,
                          VkHostImageCopyFlags flags, uint32_t count,
                          const VkImageToMemoryCopyEXT *regions)
{
    VkCopyImageToMemoryInfoEXT info = {.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_MEMORY_INFO_EXT,
                                       .flags = flags,
                                       .srcImage = im->image,
                                       .srcImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                       .regionCount = count,
                                       .pRegions = regions};
    VK(h->to_memory(c->device, &info));
}

/* `bytes` (rows `pitch` texels apart) against the model's rectangle. */
static void hic_expect_rect(struct ctx *c, struct hic *h, const char *what, const uint8_t *bytes,
                            uint32_t pitch, uint32_t mip, uint32_t layer, uint32_t x0, uint32_t y0,
                            uint32_t w, uint32_t ht)
{
    const uint32_t lw = hic_level(HIC_W, mip);
    for (uint32_t y = 0; y < ht; y++)
        for (uint32_t x = 0; x < w; x++)
            for (uint32_t ch = 0; ch < 4; ch++) {
                const uint8_t want = h->model[mip][layer][((y0 + y) * lw + x0 + x) * 4 + ch];
                const uint8_t have = bytes[((size_t)y * pitch + x) * 4 + ch];
                EXPECT(have == want, "%s: mip %u layer %u texel (%u,%u) channel %u is %u, not %u",
                       what, mip, layer, x0 + x, y0 + y, ch, have, want);
            }
}

static void hic_rgba(struct ctx *c, struct hic *h)
{
    struct image a = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, HIC_W, HIC_H, HIC_MIPS, HIC_LAYERS,
                               VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT);
    /* 1. Every level and layer, tightly packed: level 0 as one region of
     * three layers, level 1 with VK_REMAINING_ARRAY_LAYERS. */
    uint8_t *tight[HIC_MIPS];
    VkMemoryToImageCopyEXT whole[HIC_MIPS];
    for (uint32_t mip = 0; mip < HIC_MIPS; mip++) {
        const uint32_t lw = hic_level(HIC_W, mip), lh = hic_level(HIC_H, mip);
        const size_t plane = (size_t)lw * lh * 4;
        tight[mip] = malloc(plane * HIC_LAYERS);
        EXPECT(tight[mip], "out of memory");
        for (uint32_t layer = 0; layer < HIC_LAYERS; layer++) {
            h->model[mip][layer] = tight[mip] + plane * layer;
            for (uint32_t y = 0; y < lh; y++)
                for (uint32_t x = 0; x < lw; x++)
                    for (uint32_t ch = 0; ch < 4; ch++)
                        h->model[mip][layer][(y * lw + x) * 4 + ch] = hic_byte(mip, layer, x, y, ch, 0);
        }
        whole[mip] = (VkMemoryToImageCopyEXT){
            .sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
            .pHostPointer = tight[mip],
            .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, mip, 0,
                                 mip ? VK_REMAINING_ARRAY_LAYERS : HIC_LAYERS},
            .imageExtent = {lw, lh, 1}};
    }
    hic_to_image(c, h, &a, 0, HIC_MIPS, whole);

    /* 2. Rectangles of layers 1 and 2 of level 0 from memory whose rows are
     * 20 texels apart and whose layers 16 rows apart; what lies between
     * the rows (0xEE) must not reach the image. */
    enum { ROW = 20, IMAGE_HEIGHT = 16, RX = 5, RY = 3, RW = 13, RH = 11 };
    uint8_t *strided = malloc((size_t)ROW * IMAGE_HEIGHT * 4 * 2);
    EXPECT(strided, "out of memory");
    memset(strided, 0xEE, (size_t)ROW * IMAGE_HEIGHT * 4 * 2);
    for (uint32_t l = 0; l < 2; l++)
        for (uint32_t y = 0; y < RH; y++)
            for (uint32_t x = 0; x < RW; x++)
                for (uint32_t ch = 0; ch < 4; ch++) {
                    const uint8_t v = hic_byte(0, 1 + l, x, y, ch, 5);
                    strided[(((size_t)l * IMAGE_HEIGHT + y) * ROW + x) * 4 + ch] = v;
                    h->model[0][1 + l][((RY + y) * HIC_W + RX + x) * 4 + ch] = v;
                }
    VkMemoryToImageCopyEXT rect = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                   .pHostPointer = strided,
                                   .memoryRowLength = ROW,
                                   .memoryImageHeight = IMAGE_HEIGHT,
                                   .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 2},
                                   .imageOffset = {RX, RY, 0},
                                   .imageExtent = {RW, RH, 1}};
    hic_to_image(c, h, &a, 0, 1, &rect);
    free(strided);

    /* 3. Read back: everything tightly (two regions at once), then a
     * rectangle of layer 2 into memory whose rows are 16 texels apart. */
    uint8_t *back0 = calloc((size_t)HIC_W * HIC_H * 4, HIC_LAYERS);
    uint8_t *back1 = calloc((size_t)hic_level(HIC_W, 1) * hic_level(HIC_H, 1) * 4, HIC_LAYERS);
    EXPECT(back0 && back1, "out of memory");
    VkImageToMemoryCopyEXT reads[2] = {
        {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
         .pHostPointer = back0,
         .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, HIC_LAYERS},
         .imageExtent = {HIC_W, HIC_H, 1}},
        {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
         .pHostPointer = back1,
         .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 1, 0, VK_REMAINING_ARRAY_LAYERS},
         .imageExtent = {hic_level(HIC_W, 1), hic_level(HIC_H, 1), 1}}};
    hic_to_memory(c, h, &a, 0, 2, reads);
    for (uint32_t layer = 0; layer < HIC_LAYERS; layer++) {
        hic_expect_rect(c, h, "vkCopyImageToMemory, level 0",
                        back0 + (size_t)HIC_W * HIC_H * 4 * layer, HIC_W, 0, layer, 0, 0, HIC_W,
                        HIC_H);
        hic_expect_rect(c, h, "vkCopyImageToMemory, level 1",
                        back1 + (size_t)hic_level(HIC_W, 1) * hic_level(HIC_H, 1) * 4 * layer,
                        hic_level(HIC_W, 1), 1, layer, 0, 0, hic_level(HIC_W, 1),
                        hic_level(HIC_H, 1));
    }
    digest(c, back0, (size_t)HIC_W * HIC_H * 4 * HIC_LAYERS);
    digest(c, back1, (size_t)hic_level(HIC_W, 1) * hic_level(HIC_H, 1) * 4 * HIC_LAYERS);
    enum { PITCH = 16, GX = 2, GY = 4, GW = 9, GH = 7 };
    uint8_t gappy[PITCH * GH * 4];
    memset(gappy, 0x5A, sizeof gappy);
    VkImageToMemoryCopyEXT gap = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                  .pHostPointer = gappy,
                                  .memoryRowLength = PITCH,
                                  .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 2, 1},
                                  .imageOffset = {GX, GY, 0},
                                  .imageExtent = {GW, GH, 1}};
    hic_to_memory(c, h, &a, 0, 1, &gap);
    hic_expect_rect(c, h, "vkCopyImageToMemory with a row length", gappy, PITCH, 0, 2, GX, GY, GW,
                    GH);
    for (uint32_t y = 0; y < GH; y++)
        for (uint32_t i = GW * 4; i < PITCH * 4; i++)
            EXPECT(gappy[y * PITCH * 4 + i] == 0x5A,
                   "vkCopyImageToMemory wrote between the rows (row %u, byte %u)", y, i);
    digest(c, gappy, sizeof gappy);

    /* 4. Image to image: level 0 layer 2 into a second image filled first. */
    struct image b = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, HIC_W, HIC_H, 1, 1, 0);
    VkMemoryToImageCopyEXT fill = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                   .pHostPointer = h->model[0][0],
                                   .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                   .imageExtent = {HIC_W, HIC_H, 1}};
    hic_to_image(c, h, &b, 0, 1, &fill);
    VkImageCopy2 ic = {.sType = VK_STRUCTURE_TYPE_IMAGE_COPY_2,
                       .srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 2, 1},
                       .srcOffset = {1, 1, 0},
                       .dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                       .dstOffset = {4, 5, 0},
                       .extent = {16, 12, 1}};
    VkCopyImageToImageInfoEXT iii = {.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_IMAGE_INFO_EXT,
                                     .srcImage = a.image,
                                     .srcImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                     .dstImage = b.image,
                                     .dstImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                     .regionCount = 1,
                                     .pRegions = &ic};
    VK(h->image_to_image(c->device, &iii));
    uint8_t *bb = calloc((size_t)HIC_W * HIC_H, 4);
    EXPECT(bb, "out of memory");
    VkImageToMemoryCopyEXT bread = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                    .pHostPointer = bb,
                                    .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                    .imageExtent = {HIC_W, HIC_H, 1}};
    hic_to_memory(c, h, &b, 0, 1, &bread);
    for (uint32_t y = 0; y < HIC_H; y++)
        for (uint32_t x = 0; x < HIC_W; x++) {
            const bool copied = x >= 4 && x < 20 && y >= 5 && y < 17;
            const uint8_t *want = copied ? &h->model[0][2][((y - 4) * HIC_W + x - 3) * 4]
                                         : &h->model[0][0][(y * HIC_W + x) * 4];
            EXPECT(memcmp(&bb[(y * HIC_W + x) * 4], want, 4) == 0,
                   "vkCopyImageToImage: texel (%u,%u) of the destination", x, y);
        }
    digest(c, bb, (size_t)HIC_W * HIC_H * 4);
    free(bb);

    /* 5. The device reads what the host wrote: level 0 layer 1. */
    struct buffer out = buffer_new(c, (VkDeviceSize)HIC_W * HIC_H * 4, 0);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT);
    VkBufferImageCopy region = {.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 1},
                                .imageExtent = {HIC_W, HIC_H, 1}};
    vkCmdCopyImageToBuffer(cb, a.image, VK_IMAGE_LAYOUT_GENERAL, out.buffer, 1, &region);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    end(c, cb);
    submit_and_wait(c, cb);
    hic_expect_rect(c, h, "vkCmdCopyImageToBuffer after host writes", out.map, HIC_W, 0, 1, 0, 0,
                    HIC_W, HIC_H);
    digest(c, out.map, (size_t)HIC_W * HIC_H * 4);
    free(back0);
    free(back1);
    for (uint32_t mip = 0; mip < HIC_MIPS; mip++)
        free(tight[mip]);
    memset(h->model, 0, sizeof h->model);
}

/* VK_HOST_IMAGE_COPY_MEMCPY: the driver's layout, whatever it is, must
 * survive a trip out of one image and into another. */
static void hic_memcpy(struct ctx *c, struct hic *h)
{
    enum { W = 16, H = 8, LAYERS = 2 };
    struct image src = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, W, H, 1, LAYERS, 0);
    struct image dst = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, W, H, 1, LAYERS, 0);
    VkSubresourceHostMemcpySizeEXT size = {
        .sType = VK_STRUCTURE_TYPE_SUBRESOURCE_HOST_MEMCPY_SIZE_EXT};
    VkSubresourceLayout2EXT layout = {.sType = VK_STRUCTURE_TYPE_SUBRESOURCE_LAYOUT_2_EXT,
                                      .pNext = &size};
    VkImageSubresource2EXT sub = {.sType = VK_STRUCTURE_TYPE_IMAGE_SUBRESOURCE_2_EXT,
                                  .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0}};
    h->subresource_layout(c->device, src.image, &sub, &layout);
    EXPECT(size.size >= (VkDeviceSize)W * H * 4 && size.size < (64u << 20),
           "VkSubresourceHostMemcpySize says %" PRIu64 " bytes for a %ux%u RGBA8 layer",
           (uint64_t)size.size, W, H);
    digest(c, &size.size, sizeof size.size);
    const size_t bytes = (size_t)size.size * LAYERS;
    uint8_t *in = malloc(bytes), *out = calloc(bytes, 1);
    EXPECT(in && out, "out of memory");
    for (size_t i = 0; i < bytes; i++)
        in[i] = (uint8_t)(i * 29 + 7);
    const VkImageSubresourceLayers all = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, LAYERS};
    VkMemoryToImageCopyEXT up = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                 .pHostPointer = in,
                                 .imageSubresource = all,
                                 .imageExtent = {W, H, 1}};
    hic_to_image(c, h, &src, VK_HOST_IMAGE_COPY_MEMCPY_EXT, 1, &up);
    VkImageToMemoryCopyEXT down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                   .pHostPointer = out,
                                   .imageSubresource = all,
                                   .imageExtent = {W, H, 1}};
    hic_to_memory(c, h, &src, VK_HOST_IMAGE_COPY_MEMCPY_EXT, 1, &down);
    digest(c, out, bytes);
    up.pHostPointer = out;
    hic_to_image(c, h, &dst, VK_HOST_IMAGE_COPY_MEMCPY_EXT, 1, &up);
    uint8_t a[W * H * 4 * LAYERS], b[W * H * 4 * LAYERS];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    VkImageToMemoryCopyEXT read = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                   .pHostPointer = a,
                                   .imageSubresource = all,
                                   .imageExtent = {W, H, 1}};
    hic_to_memory(c, h, &src, 0, 1, &read);
    read.pHostPointer = b;
    hic_to_memory(c, h, &dst, 0, 1, &read);
    EXPECT(memcmp(a, b, sizeof a) == 0,
           "an image written from another's MEMCPY bytes reads back differently");
    digest(c, a, sizeof a);
    free(in);
    free(out);
}

/* A depth aspect: 4 bytes a texel in memory. */
static void hic_depth(struct ctx *c, struct hic *h)
{
    VkFormatProperties3 f3 = {.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_3};
    VkFormatProperties2 f2 = {.sType = VK_STRUCTURE_TYPE_FORMAT_PROPERTIES_2, .pNext = &f3};
    vkGetPhysicalDeviceFormatProperties2(c->physical, VK_FORMAT_D32_SFLOAT, &f2);
    const bool can = (f3.optimalTilingFeatures & VK_FORMAT_FEATURE_2_HOST_IMAGE_TRANSFER_BIT_EXT) != 0;
    digest_u32(c, can);
    if (!can)
        return;
    enum { W = 8, H = 6 };
    struct image d = hic_image(c, h, VK_FORMAT_D32_SFLOAT, W, H, 1, 1, 0);
    float in[W * H], out[W * H];
    for (int i = 0; i < W * H; i++) {
        in[i] = (float)i / (W * H);
        out[i] = -1.0f;
    }
    VkMemoryToImageCopyEXT up = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                 .pHostPointer = in,
                                 .imageSubresource = {VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1},
                                 .imageExtent = {W, H, 1}};
    hic_to_image(c, h, &d, 0, 1, &up);
    VkImageToMemoryCopyEXT down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                   .pHostPointer = out,
                                   .imageSubresource = {VK_IMAGE_ASPECT_DEPTH_BIT, 0, 0, 1},
                                   .imageExtent = {W, H, 1}};
    hic_to_memory(c, h, &d, 0, 1, &down);
    EXPECT(memcmp(in, out, sizeof in) == 0, "a depth image read back differently");
    digest(c, out, sizeof out);
}

/* Copies vkwire cuts into several commands: whole layers at a time, and
 * rows of one layer (its rows 2056 texels apart in memory). */
static void hic_large(struct ctx *c, struct hic *h)
{
    enum { LW = 1024, LH = 1024, LAYERS = 3, RW = 2048, RH = 1040, ROW = 2056 };
    struct image layered = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, LW, LH, 1, LAYERS, 0);
    struct image wide = hic_image(c, h, VK_FORMAT_R8G8B8A8_UNORM, RW, RH, 1, 1, 0);
    const size_t layered_bytes = (size_t)LW * LH * 4 * LAYERS;
    const size_t wide_bytes = (size_t)ROW * RH * 4, wide_tight = (size_t)RW * RH * 4;
    uint8_t *in = malloc(layered_bytes), *in_wide = malloc(wide_bytes);
    uint8_t *out = malloc(layered_bytes), *out_wide = malloc(wide_tight);
    EXPECT(in && in_wide && out && out_wide, "out of memory");
    for (size_t i = 0; i < layered_bytes; i++)
        in[i] = (uint8_t)(i * 2654435761u >> 13);
    for (size_t i = 0; i < wide_bytes; i++)
        in_wide[i] = (uint8_t)(i * 40503u >> 7);
    memset(out, 0, layered_bytes);
    memset(out_wide, 0, wide_tight);
    VkMemoryToImageCopyEXT up = {.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                 .pHostPointer = in,
                                 .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, LAYERS},
                                 .imageExtent = {LW, LH, 1}};
    hic_to_image(c, h, &layered, 0, 1, &up);
    up = (VkMemoryToImageCopyEXT){.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY_EXT,
                                  .pHostPointer = in_wide,
                                  .memoryRowLength = ROW,
                                  .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                  .imageExtent = {RW, RH, 1}};
    hic_to_image(c, h, &wide, 0, 1, &up);
    VkImageToMemoryCopyEXT down = {.sType = VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY_EXT,
                                   .pHostPointer = out,
                                   .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, LAYERS},
                                   .imageExtent = {LW, LH, 1}};
    hic_to_memory(c, h, &layered, 0, 1, &down);
    down.pHostPointer = out_wide;
    down.imageSubresource.layerCount = 1;
    down.imageExtent = (VkExtent3D){RW, RH, 1};
    hic_to_memory(c, h, &wide, 0, 1, &down);
    EXPECT(memcmp(in, out, layered_bytes) == 0, "12 MiB of layers read back differently");
    for (size_t y = 0; y < RH; y++)
        EXPECT(memcmp(in_wide + y * ROW * 4, out_wide + y * RW * 4, (size_t)RW * 4) == 0,
               "row %zu of the 8 MiB layer read back differently", y);
    digest(c, out, layered_bytes);
    digest(c, out_wide, wide_tight);
    free(in);
    free(in_wide);
    free(out);
    free(out_wide);
}

static void scenario_host_image_copy(struct ctx *c)
{
    struct hic h = {
        .to_image = (PFN_vkCopyMemoryToImageEXT)vkGetDeviceProcAddr(c->device,
                                                                    "vkCopyMemoryToImageEXT"),
        .to_memory = (PFN_vkCopyImageToMemoryEXT)vkGetDeviceProcAddr(c->device,
                                                                     "vkCopyImageToMemoryEXT"),
        .image_to_image = (PFN_vkCopyImageToImageEXT)vkGetDeviceProcAddr(
            c->device, "vkCopyImageToImageEXT"),
        .transition = (PFN_vkTransitionImageLayoutEXT)vkGetDeviceProcAddr(
            c->device, "vkTransitionImageLayoutEXT"),
        .subresource_layout = (PFN_vkGetImageSubresourceLayout2EXT)vkGetDeviceProcAddr(
            c->device, "vkGetImageSubresourceLayout2EXT")};
    EXPECT(h.to_image && h.to_memory && h.image_to_image && h.transition && h.subresource_layout,
           "the device enabled VK_EXT_host_image_copy but lacks one of its commands");
    hic_properties(c);
    hic_rgba(c, &h);
    hic_memcpy(c, &h);
    hic_depth(c, &h);
    hic_large(c, &h);
}

#define CMDTEST_HOST_IMAGE_COPY                                                             \
    {"host_image_copy", scenario_host_image_copy,                                           \
     "vkCopyMemoryToImage/vkCopyImageToMemory (tight, row lengths, MEMCPY, depth), "        \
     "image to image, host layout transitions, copy layouts",                               \
     false, hic_needs, true},
