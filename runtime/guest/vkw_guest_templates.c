/* vkw_guest_templates — see vkw_guest_templates.h. */
#include "vkw_guest_templates.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_encode.h"
#include "vkw_guest_sanitize.h"
#include "vkw_vulkan_util.h"

/* One allocation: the record, then its entries. */
struct vkw_guest_template {
    uint64_t handle;
    uint32_t entry_count;
    VkPipelineBindPoint bind_point; /* a push-descriptor template's */
    VkDescriptorUpdateTemplateEntry *entries;
    struct vkw_guest_template *next;
    struct vkw_alloc alloc;
};

/* Templates are few and long-lived: a list under a mutex is enough. */
static struct vkw_guest_template *templates;
static pthread_mutex_t templates_lock = PTHREAD_MUTEX_INITIALIZER;

struct vkw_guest_template *vkw_guest_template_make(const VkDescriptorUpdateTemplateCreateInfo *ci,
                                                   const struct vkw_alloc *alloc)
{
    const size_t n = ci->descriptorUpdateEntryCount;
    const size_t each = sizeof(VkDescriptorUpdateTemplateEntry);
    if (n > (SIZE_MAX - sizeof(struct vkw_guest_template)) / each)
        return NULL;
    struct vkw_guest_template *rec =
        vkw_alloc(alloc, sizeof(*rec) + n * each, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (!rec)
        return NULL;
    *rec = (struct vkw_guest_template){.entry_count = ci->descriptorUpdateEntryCount,
                                       .bind_point = ci->pipelineBindPoint,
                                       .entries = (VkDescriptorUpdateTemplateEntry *)(rec + 1),
                                       .alloc = alloc ? *alloc : (struct vkw_alloc){0}};
    if (n)
        memcpy(rec->entries, ci->pDescriptorUpdateEntries, n * sizeof(*rec->entries));
    return rec;
}

void vkw_guest_template_add(struct vkw_guest_template *rec, VkDescriptorUpdateTemplate tmpl)
{
    rec->handle = VKW_HANDLE_U64(tmpl);
    pthread_mutex_lock(&templates_lock);
    rec->next = templates;
    templates = rec;
    pthread_mutex_unlock(&templates_lock);
}

void vkw_guest_template_discard(struct vkw_guest_template *rec)
{
    if (rec) {
        const struct vkw_alloc alloc = rec->alloc;
        vkw_free(&alloc, rec);
    }
}

void vkw_guest_template_forget(VkDescriptorUpdateTemplate tmpl)
{
    pthread_mutex_lock(&templates_lock);
    for (struct vkw_guest_template **p = &templates; *p; p = &(*p)->next) {
        if ((*p)->handle == VKW_HANDLE_U64(tmpl)) {
            struct vkw_guest_template *dead = *p;
            *p = dead->next;
            vkw_guest_template_discard(dead);
            break;
        }
    }
    pthread_mutex_unlock(&templates_lock);
}

/* Bytes one descriptor of `type` takes in the application's data, and
 * whether the write carries it in a chained struct rather than an array. */
static size_t element_size(VkDescriptorType type)
{
    if (vkw_descriptor_type_uses_image(type))
        return sizeof(VkDescriptorImageInfo);
    if (vkw_descriptor_type_uses_buffer(type))
        return sizeof(VkDescriptorBufferInfo);
    if (vkw_descriptor_type_uses_texel_buffer(type))
        return sizeof(VkBufferView);
    if (type == VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR)
        return sizeof(VkAccelerationStructureKHR);
    return 0; /* inline uniform blocks: bytes at the entry's offset */
}

static const void *at(const void *data, const VkDescriptorUpdateTemplateEntry *e, uint32_t i)
{
    return (const char *)data + e->offset + (size_t)i * e->stride;
}

/* Chained structs a write may need, laid out after the writes. */
union write_extension {
    VkWriteDescriptorSetInlineUniformBlock inline_block;
    VkWriteDescriptorSetAccelerationStructureKHR acceleration_structures;
};

/* The writes `rec` makes of `data`, in one block: writes, then one chained
 * struct per write, then the gathered descriptor arrays. */
static bool expand(const struct vkw_guest_template *rec, VkDescriptorSet set, const void *data,
                   struct vkw_guest_template_writes *out)
{
    size_t arrays = 0;
    for (uint32_t i = 0; i < rec->entry_count; i++)
        arrays += element_size(rec->entries[i].descriptorType) * rec->entries[i].descriptorCount;
    const size_t head = rec->entry_count * (sizeof(VkWriteDescriptorSet) + sizeof(union write_extension));
    char *block = malloc(head + arrays + 1);
    if (!block)
        return false;
    VkWriteDescriptorSet *writes = (VkWriteDescriptorSet *)block;
    union write_extension *ext = (union write_extension *)(writes + rec->entry_count);
    char *next_array = block + head;
    for (uint32_t i = 0; i < rec->entry_count; i++) {
        const VkDescriptorUpdateTemplateEntry *e = &rec->entries[i];
        VkWriteDescriptorSet *w = &writes[i];
        *w = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = e->dstBinding,
                                    .dstArrayElement = e->dstArrayElement,
                                    .descriptorCount = e->descriptorCount,
                                    .descriptorType = e->descriptorType};
        if (e->descriptorType == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK) {
            /* descriptorCount counts bytes; they sit at offset, unstrided */
            ext[i].inline_block = (VkWriteDescriptorSetInlineUniformBlock){
                .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_INLINE_UNIFORM_BLOCK,
                .dataSize = e->descriptorCount,
                .pData = (const char *)data + e->offset};
            w->pNext = &ext[i].inline_block;
            continue;
        }
        const size_t elem = element_size(e->descriptorType);
        char *array = next_array;
        next_array += elem * e->descriptorCount;
        for (uint32_t k = 0; k < e->descriptorCount; k++)
            memcpy(array + k * elem, at(data, e, k), elem);
        if (vkw_descriptor_type_uses_image(e->descriptorType)) {
            for (uint32_t k = 0; k < e->descriptorCount; k++)
                vkw_guest_clean_image_info(e->descriptorType, (VkDescriptorImageInfo *)array + k);
            w->pImageInfo = (const VkDescriptorImageInfo *)array;
        } else if (vkw_descriptor_type_uses_buffer(e->descriptorType)) {
            w->pBufferInfo = (const VkDescriptorBufferInfo *)array;
        } else if (vkw_descriptor_type_uses_texel_buffer(e->descriptorType)) {
            w->pTexelBufferView = (const VkBufferView *)array;
        } else if (e->descriptorType == VK_DESCRIPTOR_TYPE_ACCELERATION_STRUCTURE_KHR) {
            ext[i].acceleration_structures = (VkWriteDescriptorSetAccelerationStructureKHR){
                .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_ACCELERATION_STRUCTURE_KHR,
                .accelerationStructureCount = e->descriptorCount,
                .pAccelerationStructures = (const VkAccelerationStructureKHR *)array};
            w->pNext = &ext[i].acceleration_structures;
        }
    }
    out->writes = writes;
    out->count = rec->entry_count;
    out->bind_point = rec->bind_point;
    return true;
}

bool vkw_guest_template_writes(VkDescriptorUpdateTemplate tmpl, VkDescriptorSet set,
                               const void *data, struct vkw_guest_template_writes *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&templates_lock);
    const struct vkw_guest_template *rec = templates;
    while (rec && rec->handle != VKW_HANDLE_U64(tmpl))
        rec = rec->next;
    const bool ok = rec && expand(rec, set, data, out);
    pthread_mutex_unlock(&templates_lock);
    return ok;
}

void vkw_guest_template_writes_free(struct vkw_guest_template_writes *w)
{
    free(w->writes);
    memset(w, 0, sizeof(*w));
}

void vkw_encode_template_data(struct vkw_writer *w, VkDevice device, VkDescriptorSet set,
                              VkDescriptorUpdateTemplate tmpl, const void *data)
{
    (void)device;
    if (!vkw_write_presence(w, data))
        return;
    struct vkw_guest_template_writes writes;
    if (!vkw_guest_template_writes(tmpl, set, data, &writes)) {
        w->failed = true; /* an unknown template, or out of memory */
        return;
    }
    vkw_write_u64(w, writes.count);
    for (uint32_t i = 0; i < writes.count; i++)
        vkw_encode_VkWriteDescriptorSet(w, &writes.writes[i]);
    vkw_guest_template_writes_free(&writes);
}
