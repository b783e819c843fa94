/* roundtrip_special — see roundtrip_special.h. */
#include "roundtrip_special.h"

#include <stdlib.h>
#include <string.h>

#include "vkw_formats.h"
#include "vkw_guest_encode.h"
#include "vkw_guest_images.h"
#include "vkw_guest_templates.h"
#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_vulkan_util.h"

#define MAX_ENTRIES 4

/* What the last fill made, for the compare that follows it. */
static struct {
    VkDescriptorUpdateTemplate tmpl;
    VkDescriptorSet set;
    uint32_t count;
    VkDescriptorUpdateTemplateEntry entries[MAX_ENTRIES];
    bool registered;
} last;

static void forget_last(void)
{
    if (last.registered)
        vkw_guest_template_forget(last.tmpl);
    last.registered = false;
}

static const VkDescriptorType types[] = {
    VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, VK_DESCRIPTOR_TYPE_STORAGE_IMAGE,
    VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER,         VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC,
    VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,   VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK,
};

static size_t element_size(VkDescriptorType type)
{
    if (vkw_descriptor_type_uses_image(type))
        return sizeof(VkDescriptorImageInfo);
    if (vkw_descriptor_type_uses_buffer(type))
        return sizeof(VkDescriptorBufferInfo);
    if (vkw_descriptor_type_uses_texel_buffer(type))
        return sizeof(VkBufferView);
    return 1; /* inline uniform block: bytes */
}

const void *rt_fill_vkUpdateDescriptorSetWithTemplate_pData(struct rt *t, VkDevice device,
                                                           VkDescriptorSet set,
                                                           VkDescriptorUpdateTemplate tmpl)
{
    (void)device;
    static bool cleanup_registered;
    if (!cleanup_registered) {
        atexit(forget_last); /* so LeakSanitizer sees nothing left */
        cleanup_registered = true;
    }
    forget_last();
    last.tmpl = tmpl;
    last.set = set;
    last.count = 1 + rt_below(t, MAX_ENTRIES);
    /* Entries one after another, each with a stride wider than its element
     * (padding the encoder must skip). */
    size_t offset = rt_below(t, 4) * 8;
    for (uint32_t i = 0; i < last.count; i++) {
        VkDescriptorUpdateTemplateEntry *e = &last.entries[i];
        e->descriptorType = types[rt_below(t, sizeof(types) / sizeof(types[0]))];
        e->dstBinding = rt_below(t, 8);
        e->dstArrayElement = rt_below(t, 3);
        e->descriptorCount = 1 + rt_below(t, 3);
        e->offset = offset;
        const size_t elem = element_size(e->descriptorType);
        if (e->descriptorType == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK) {
            e->descriptorCount = 4 * (1 + rt_below(t, 4)); /* bytes, a multiple of 4 */
            e->stride = 0;
            offset += e->descriptorCount;
        } else {
            e->stride = elem + 8 * rt_below(t, 2);
            offset += e->stride * e->descriptorCount;
        }
        offset = (offset + 7) & ~(size_t)7;
    }
    unsigned char *data = rt_alloc(t, offset ? offset : 1, 1);
    rt_bytes(t, data, offset);
    for (uint32_t i = 0; i < last.count; i++) {
        const VkDescriptorUpdateTemplateEntry *e = &last.entries[i];
        for (uint32_t k = 0; e->descriptorType != VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK &&
                             k < e->descriptorCount;
             k++) {
            void *slot = data + e->offset + (size_t)k * e->stride;
            if (vkw_descriptor_type_uses_image(e->descriptorType)) {
                VkDescriptorImageInfo info = {
                    VKW_U64_HANDLE(VkSampler, rt_handle(t, VKW_HANDLE_VkSampler, false)),
                    VKW_U64_HANDLE(VkImageView, rt_handle(t, VKW_HANDLE_VkImageView, false)),
                    VK_IMAGE_LAYOUT_GENERAL};
                memcpy(slot, &info, sizeof(info));
            } else if (vkw_descriptor_type_uses_buffer(e->descriptorType)) {
                VkDescriptorBufferInfo info = {
                    VKW_U64_HANDLE(VkBuffer, rt_handle(t, VKW_HANDLE_VkBuffer, false)), rt_u64(t),
                    rt_u64(t)};
                memcpy(slot, &info, sizeof(info));
            } else {
                VkBufferView view =
                    VKW_U64_HANDLE(VkBufferView, rt_handle(t, VKW_HANDLE_VkBufferView, false));
                memcpy(slot, &view, sizeof(view));
            }
        }
    }
    VkDescriptorUpdateTemplateCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_UPDATE_TEMPLATE_CREATE_INFO,
        .descriptorUpdateEntryCount = last.count,
        .pDescriptorUpdateEntries = last.entries,
        .descriptorSetLayout = VK_NULL_HANDLE};
    struct vkw_guest_template *rec = vkw_guest_template_make(&ci, NULL);
    if (rec)
        vkw_guest_template_add(rec, tmpl);
    last.registered = rec != NULL;
    return data;
}

void rt_cmp_vkUpdateDescriptorSetWithTemplate_pData(
    struct rt *t, const void *data, const struct vkw_args_vkUpdateDescriptorSetWithTemplate *a)
{
    const struct vkw_template_writes *tw = a->pData;
    if (!tw || tw->count != last.count) {
        rt_mismatch(t, "template writes: count");
        return;
    }
    for (uint32_t i = 0; i < last.count; i++) {
        const VkDescriptorUpdateTemplateEntry *e = &last.entries[i];
        const VkWriteDescriptorSet *w = &tw->writes[i];
        if (w->dstSet != a->descriptorSet || w->dstBinding != e->dstBinding ||
            w->dstArrayElement != e->dstArrayElement || w->descriptorCount != e->descriptorCount ||
            w->descriptorType != e->descriptorType) {
            rt_mismatch(t, "template writes: write header");
            return;
        }
        const char *base = (const char *)data + e->offset;
        if (e->descriptorType == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK) {
            const VkWriteDescriptorSetInlineUniformBlock *inl = (const void *)w->pNext;
            if (!inl || inl->dataSize != e->descriptorCount ||
                memcmp(inl->pData, base, inl->dataSize) != 0)
                rt_mismatch(t, "template writes: inline uniform block bytes");
            continue;
        }
        for (uint32_t k = 0; k < e->descriptorCount; k++) {
            const char *slot = base + (size_t)k * e->stride;
            bool same;
            if (vkw_descriptor_type_uses_image(e->descriptorType)) {
                VkDescriptorImageInfo want;
                memcpy(&want, slot, sizeof(want)); /* compared by field: the struct has padding */
                /* what the descriptor type ignores travels cleared */
                if (e->descriptorType == VK_DESCRIPTOR_TYPE_SAMPLER) {
                    want.imageView = VK_NULL_HANDLE;
                    want.imageLayout = VK_IMAGE_LAYOUT_UNDEFINED;
                } else if (e->descriptorType != VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER) {
                    want.sampler = VK_NULL_HANDLE;
                }
                same = w->pImageInfo && w->pImageInfo[k].sampler == want.sampler &&
                       w->pImageInfo[k].imageView == want.imageView &&
                       w->pImageInfo[k].imageLayout == want.imageLayout;
            } else if (vkw_descriptor_type_uses_buffer(e->descriptorType)) {
                VkDescriptorBufferInfo want;
                memcpy(&want, slot, sizeof(want));
                same = w->pBufferInfo && w->pBufferInfo[k].buffer == want.buffer &&
                       w->pBufferInfo[k].offset == want.offset &&
                       w->pBufferInfo[k].range == want.range;
            } else {
                VkBufferView want;
                memcpy(&want, slot, sizeof(want));
                same = w->pTexelBufferView && w->pTexelBufferView[k] == want;
            }
            if (!same)
                rt_mismatch(t, "template writes: descriptor");
        }
    }
}

/* ---- host image copy (PROTOCOL 19) ---- */

#define MAX_COPY_REGIONS 3

/* Images of every kind of block: texels, compressed blocks, depth and
 * stencil, planes, slices of a 3D image, a 1D array. */
static const struct copy_kind {
    VkFormat format;
    VkImageType type;
    VkExtent3D extent;
    uint32_t mips, layers;
    uint32_t aspects[2];
} copy_kinds[] = {
    {VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_TYPE_2D, {21, 13, 1}, 3, 3, {VK_IMAGE_ASPECT_COLOR_BIT}},
    {VK_FORMAT_BC1_RGB_UNORM_BLOCK, VK_IMAGE_TYPE_2D, {30, 18, 1}, 2, 2, {VK_IMAGE_ASPECT_COLOR_BIT}},
    {VK_FORMAT_D24_UNORM_S8_UINT, VK_IMAGE_TYPE_2D, {11, 7, 1}, 1, 3,
     {VK_IMAGE_ASPECT_DEPTH_BIT, VK_IMAGE_ASPECT_STENCIL_BIT}},
    {VK_FORMAT_G8_B8R8_2PLANE_420_UNORM, VK_IMAGE_TYPE_2D, {16, 10, 1}, 1, 1,
     {VK_IMAGE_ASPECT_PLANE_0_BIT, VK_IMAGE_ASPECT_PLANE_1_BIT}},
    {VK_FORMAT_R16G16_SFLOAT, VK_IMAGE_TYPE_3D, {9, 7, 5}, 2, 1, {VK_IMAGE_ASPECT_COLOR_BIT}},
    {VK_FORMAT_R32G32B32_SFLOAT, VK_IMAGE_TYPE_1D, {40, 1, 1}, 2, 3, {VK_IMAGE_ASPECT_COLOR_BIT}},
};

/* What the last fill made, for the compares after it. */
static struct {
    VkImage image;
    bool registered;
    uint32_t count;
    struct vkw_copy_shape shape[MAX_COPY_REGIONS]; /* in the application's memory */
    uint64_t bytes[MAX_COPY_REGIONS];              /* on the wire */
    uint64_t span[MAX_COPY_REGIONS];
    unsigned char *original[MAX_COPY_REGIONS];     /* the application's bytes before */
} copy_last;

static void forget_copy_last(void)
{
    if (copy_last.registered)
        vkw_guest_image_forget(copy_last.image);
    copy_last.registered = false;
}

/* [offset, offset + extent) of whole blocks inside a level of `size`
 * texels, its end at the edge when it reaches it. */
static void block_range(struct rt *t, uint32_t size, uint32_t block, int32_t *offset,
                        uint32_t *extent)
{
    const uint32_t blocks = (size + block - 1) / block;
    const uint32_t first = rt_below(t, blocks);
    const uint32_t last = first + 1 + rt_below(t, blocks - first);
    const uint32_t end = last * block < size ? last * block : size;
    *offset = (int32_t)(first * block);
    *extent = end - first * block;
}

/* A random image (recorded with the guest) and regions inside it, each
 * with its bytes in the application's memory; fills `regions` (of
 * VkMemoryToImageCopy layout) and returns the flags. */
static VkHostImageCopyFlags fill_copy(struct rt *t, VkImage *image, VkMemoryToImageCopy *regions,
                                      uint32_t *count)
{
    static bool cleanup_registered;
    if (!cleanup_registered) {
        atexit(forget_copy_last);
        cleanup_registered = true;
    }
    forget_copy_last();
    const struct copy_kind *k = &copy_kinds[rt_below(t, sizeof(copy_kinds) / sizeof(copy_kinds[0]))];
    *image = VKW_U64_HANDLE(VkImage, rt_handle(t, VKW_HANDLE_VkImage, false));
    const VkImageCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                  .imageType = k->type,
                                  .format = k->format,
                                  .extent = k->extent,
                                  .mipLevels = k->mips,
                                  .arrayLayers = k->layers,
                                  .samples = VK_SAMPLE_COUNT_1_BIT,
                                  .usage = VK_IMAGE_USAGE_HOST_TRANSFER_BIT};
    copy_last.image = *image;
    struct vkw_guest_image *rec = vkw_guest_image_make(VK_NULL_HANDLE, &ci, NULL);
    if (rec)
        vkw_guest_image_add(rec, *image);
    copy_last.registered = rec != NULL;
    struct vkw_copy_image img;
    vkw_copy_image_init(&img, &ci);
    const bool memcpy_layout = rt_below(t, 5) == 0;
    copy_last.count = *count = 1 + rt_below(t, MAX_COPY_REGIONS);
    for (uint32_t i = 0; i < *count; i++) {
        const uint32_t aspect = k->aspects[k->aspects[1] ? rt_below(t, 2) : 0];
        const struct vkw_format_aspect *a = vkw_format_aspect(k->format, aspect);
        const uint32_t mip = rt_below(t, k->mips);
        const uint32_t w = (k->extent.width / a->width_divisor) >> mip;
        const uint32_t h = (k->extent.height / a->height_divisor) >> mip;
        const uint32_t d = k->extent.depth >> mip;
        VkMemoryToImageCopy *r = &regions[i];
        *r = (VkMemoryToImageCopy){.sType = VK_STRUCTURE_TYPE_MEMORY_TO_IMAGE_COPY};
        r->imageSubresource.aspectMask = aspect;
        r->imageSubresource.mipLevel = mip;
        r->imageSubresource.baseArrayLayer = rt_below(t, k->layers);
        r->imageSubresource.layerCount =
            rt_below(t, 4) == 0 ? VK_REMAINING_ARRAY_LAYERS
                                : 1 + rt_below(t, k->layers - r->imageSubresource.baseArrayLayer);
        if (memcpy_layout) { /* the whole level */
            r->imageExtent = (VkExtent3D){w ? w : 1, h ? h : 1, d ? d : 1};
        } else {
            block_range(t, w ? w : 1, a->block_width, &r->imageOffset.x, &r->imageExtent.width);
            block_range(t, h ? h : 1, a->block_height, &r->imageOffset.y, &r->imageExtent.height);
            block_range(t, d ? d : 1, a->block_depth, &r->imageOffset.z, &r->imageExtent.depth);
            if (rt_coin(t))
                r->memoryRowLength =
                    (r->imageExtent.width + a->block_width - 1) / a->block_width * a->block_width +
                    a->block_width * rt_below(t, 3);
            if (rt_coin(t))
                r->memoryImageHeight = (r->imageExtent.height + a->block_height - 1) /
                                           a->block_height * a->block_height +
                                       a->block_height * rt_below(t, 3);
        }
        const struct vkw_copy_region cr = VKW_COPY_REGION(r);
        if (vkw_copy_region_shape(&img, &cr, memcpy_layout, &copy_last.shape[i]) != VKW_COPY_FITS) {
            rt_mismatch(t, "host image copy: the test made a region outside its image");
            return 0;
        }
        copy_last.span[i] = vkw_copy_span(&copy_last.shape[i]);
        copy_last.bytes[i] = vkw_copy_tight(&copy_last.shape[i]);
        if (memcpy_layout) { /* a driver's own size per layer (one per subresource),
                              * at least the texels */
            const uint64_t layer = copy_last.bytes[i] / copy_last.shape[i].layers + 4 * (mip + 1);
            vkw_guest_image_note_memcpy_size(*image, aspect, mip,
                                             r->imageSubresource.baseArrayLayer, layer);
            copy_last.span[i] = copy_last.bytes[i] = layer * copy_last.shape[i].layers;
        }
        unsigned char *bytes = rt_alloc(t, copy_last.span[i], 1);
        rt_bytes(t, bytes, copy_last.span[i]);
        r->pHostPointer = bytes;
        copy_last.original[i] = rt_alloc(t, copy_last.span[i], 1);
        memcpy(copy_last.original[i], bytes, copy_last.span[i]);
    }
    return memcpy_layout ? VK_HOST_IMAGE_COPY_MEMCPY : 0;
}

/* The region's rows in the application's memory against the tight bytes,
 * or copied there (`write`). */
static bool rows_match(const struct vkw_copy_shape *s, bool memcpy_layout, unsigned char *app,
                       const unsigned char *tight, uint64_t bytes, bool write)
{
    if (memcpy_layout) {
        if (write)
            memcpy(app, tight, bytes);
        return write || memcmp(app, tight, bytes) == 0;
    }
    const size_t row = (size_t)(s->row_blocks * s->block_bytes);
    for (uint64_t z = 0; z < s->slices; z++)
        for (uint64_t y = 0; y < s->rows; y++, tight += row) {
            unsigned char *at = app + z * vkw_copy_slice_pitch(s) + y * vkw_copy_row_pitch(s);
            if (write)
                memcpy(at, tight, row);
            else if (memcmp(at, tight, row) != 0)
                return false;
        }
    return true;
}

/* The info as the host decoded it: the application's, row length and
 * image height 0 unless MEMCPY. */
#define CMP_COPY_INFO(t, info, host, image_member)                                              \
    do {                                                                                        \
        const bool memcpy_ = ((info)->flags & VK_HOST_IMAGE_COPY_MEMCPY) != 0;                  \
        if ((host)->flags != (info)->flags || (host)->image_member != (info)->image_member ||   \
            (host)->image_member##Layout != (info)->image_member##Layout ||                      \
            (host)->regionCount != (info)->regionCount) {                                       \
            rt_mismatch((t), "host image copy: the info");                                      \
            break;                                                                              \
        }                                                                                       \
        for (uint32_t i_ = 0; i_ < (info)->regionCount; i_++) {                                 \
            const __typeof__((info)->pRegions[0]) *g_ = &(info)->pRegions[i_];                  \
            const __typeof__((host)->pRegions[0]) *h_ = &(host)->pRegions[i_];                  \
            if (h_->memoryRowLength != (memcpy_ ? g_->memoryRowLength : 0) ||                   \
                h_->memoryImageHeight != (memcpy_ ? g_->memoryImageHeight : 0) ||               \
                memcmp(&h_->imageSubresource, &g_->imageSubresource,                            \
                       sizeof(g_->imageSubresource)) != 0 ||                                    \
                memcmp(&h_->imageOffset, &g_->imageOffset, sizeof(g_->imageOffset)) != 0 ||     \
                memcmp(&h_->imageExtent, &g_->imageExtent, sizeof(g_->imageExtent)) != 0)      \
                rt_mismatch((t), "host image copy: a region");                                  \
        }                                                                                       \
    } while (0)

const VkCopyMemoryToImageInfo *rt_fill_vkCopyMemoryToImage_pCopyMemoryToImageInfo(
    struct rt *t, VkDevice device)
{
    (void)device;
    VkCopyMemoryToImageInfo *info = rt_alloc(t, 1, sizeof(*info));
    VkMemoryToImageCopy *regions = rt_alloc(t, MAX_COPY_REGIONS, sizeof(*regions));
    *info = (VkCopyMemoryToImageInfo){.sType = VK_STRUCTURE_TYPE_COPY_MEMORY_TO_IMAGE_INFO,
                                      .dstImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                      .pRegions = regions};
    info->flags = fill_copy(t, &info->dstImage, regions, &info->regionCount);
    return info;
}

void rt_cmp_vkCopyMemoryToImage_pCopyMemoryToImageInfo(
    struct rt *t, const VkCopyMemoryToImageInfo *info, const struct vkw_args_vkCopyMemoryToImage *a)
{
    const struct vkw_host_memory_to_image *m =
        (const struct vkw_host_memory_to_image *)a->pCopyMemoryToImageInfo;
    if (!m) {
        rt_mismatch(t, "host image copy: no info");
        return;
    }
    CMP_COPY_INFO(t, info, &m->info, dstImage);
    const bool memcpy_layout = (info->flags & VK_HOST_IMAGE_COPY_MEMCPY) != 0;
    for (uint32_t i = 0; !t->mismatch && i < info->regionCount; i++)
        if (m->counts[i] != copy_last.bytes[i] ||
            !rows_match(&copy_last.shape[i], memcpy_layout, (unsigned char *)info->pRegions[i].pHostPointer,
                        m->info.pRegions[i].pHostPointer, copy_last.bytes[i], false))
            rt_mismatch(t, "host image copy: a region's bytes");
}

const VkCopyImageToMemoryInfo *rt_fill_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, VkDevice device)
{
    (void)device;
    VkCopyImageToMemoryInfo *info = rt_alloc(t, 1, sizeof(*info));
    VkMemoryToImageCopy in[MAX_COPY_REGIONS];
    VkImageToMemoryCopy *regions = rt_alloc(t, MAX_COPY_REGIONS, sizeof(*regions));
    *info = (VkCopyImageToMemoryInfo){.sType = VK_STRUCTURE_TYPE_COPY_IMAGE_TO_MEMORY_INFO,
                                      .srcImageLayout = VK_IMAGE_LAYOUT_GENERAL,
                                      .pRegions = regions};
    info->flags = fill_copy(t, &info->srcImage, in, &info->regionCount);
    for (uint32_t i = 0; i < info->regionCount; i++)
        regions[i] = (VkImageToMemoryCopy){VK_STRUCTURE_TYPE_IMAGE_TO_MEMORY_COPY, NULL,
                                           (void *)in[i].pHostPointer, in[i].memoryRowLength,
                                           in[i].memoryImageHeight, in[i].imageSubresource,
                                           in[i].imageOffset, in[i].imageExtent};
    return info;
}

void rt_cmp_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, const VkCopyImageToMemoryInfo *info, const struct vkw_args_vkCopyImageToMemory *a)
{
    if (!a->pCopyImageToMemoryInfo) {
        rt_mismatch(t, "host image copy: no info");
        return;
    }
    CMP_COPY_INFO(t, info, a->pCopyImageToMemoryInfo, srcImage);
}

void rt_answer_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, struct vkw_args_vkCopyImageToMemory *a)
{
    struct vkw_host_image_to_memory *m = (struct vkw_host_image_to_memory *)a->pCopyImageToMemoryInfo;
    VkImageToMemoryCopy *regions = (VkImageToMemoryCopy *)m->info.pRegions;
    m->sizes = rt_alloc(t, m->info.regionCount, sizeof(*m->sizes));
    if (rt_below(t, 4) != 0)
        a->result = VK_SUCCESS; /* mostly: the bytes travel only then */
    for (uint32_t i = 0; i < m->info.regionCount; i++) {
        m->sizes[i] = copy_last.bytes[i];
        regions[i].pHostPointer = rt_alloc(t, m->sizes[i], 1);
        rt_bytes(t, regions[i].pHostPointer, m->sizes[i]);
    }
}

void rt_cmp_reply_vkCopyImageToMemory_pCopyImageToMemoryInfo(
    struct rt *t, const VkCopyImageToMemoryInfo *info, const struct vkw_args_vkCopyImageToMemory *a)
{
    const struct vkw_host_image_to_memory *m =
        (const struct vkw_host_image_to_memory *)a->pCopyImageToMemoryInfo;
    const bool memcpy_layout = (info->flags & VK_HOST_IMAGE_COPY_MEMCPY) != 0;
    for (uint32_t i = 0; i < info->regionCount; i++) {
        /* What the application's memory must hold: its bytes before, with
         * the region's rows in place when the driver succeeded. */
        unsigned char *want = rt_alloc(t, copy_last.span[i], 1);
        memcpy(want, copy_last.original[i], copy_last.span[i]);
        if (a->result == VK_SUCCESS)
            rows_match(&copy_last.shape[i], memcpy_layout, want, m->info.pRegions[i].pHostPointer,
                       copy_last.bytes[i], true);
        if (memcmp(want, info->pRegions[i].pHostPointer, copy_last.span[i]) != 0)
            rt_mismatch(t, a->result == VK_SUCCESS ? "host image copy: the bytes that came back"
                                                   : "host image copy: bytes written on failure");
    }
    /* Every shorter reply is refused (the first words, then cuts anywhere). */
    struct vkw_host_decoder d = {.objects = &t->objects};
    vkw_reader_init(&d.r, NULL, 0, NULL);
    struct vkw_writer w;
    vkw_writer_init(&w);
    vkw_encode_reply_vkCopyImageToMemory(&d, &w, a);
    for (int k = 0; k < 40 && !t->mismatch; k++) {
        const size_t cut = k < 24 ? (size_t)k * 2 : rt_u64(t) % w.size;
        if (cut >= w.size)
            continue;
        void *copy = malloc(cut ? cut : 1);
        memcpy(copy, w.data, cut);
        struct vkw_reader r;
        vkw_reader_init(&r, copy, cut, NULL);
        vkw_decode_reply_vkCopyImageToMemory(&r, VK_NULL_HANDLE, info);
        if (vkw_reader_ok(&r))
            rt_mismatch(t, "host image copy: a reply cut short was taken");
        free(copy);
    }
    vkw_writer_fini(&w);
}
