/* roundtrip_special — see roundtrip_special.h. */
#include "roundtrip_special.h"

#include <stdlib.h>
#include <string.h>

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
    last.registered = vkw_guest_template_remember(tmpl, &ci);
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
