/* vkw_guest_templates — see vkw_guest_templates.h. */
#include "vkw_guest_templates.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_encode.h"
#include "vkw_guest_sanitize.h"
#include "vkw_vulkan_util.h"

struct template_record {
    uint64_t handle;
    uint32_t entry_count;
    VkDescriptorUpdateTemplateEntry *entries;
    struct template_record *next;
};

/* Templates are few and long-lived: a list under a mutex is enough. */
static struct template_record *templates;
static pthread_mutex_t templates_lock = PTHREAD_MUTEX_INITIALIZER;

bool vkw_guest_template_remember(VkDescriptorUpdateTemplate tmpl,
                                 const VkDescriptorUpdateTemplateCreateInfo *ci)
{
    struct template_record *rec = calloc(1, sizeof(*rec));
    size_t bytes = (size_t)ci->descriptorUpdateEntryCount * sizeof(*rec->entries);
    if (!rec || (bytes && !(rec->entries = malloc(bytes)))) {
        free(rec);
        return false;
    }
    if (bytes)
        memcpy(rec->entries, ci->pDescriptorUpdateEntries, bytes);
    rec->handle = VKW_HANDLE_U64(tmpl);
    rec->entry_count = ci->descriptorUpdateEntryCount;
    pthread_mutex_lock(&templates_lock);
    rec->next = templates;
    templates = rec;
    pthread_mutex_unlock(&templates_lock);
    return true;
}

void vkw_guest_template_forget(VkDescriptorUpdateTemplate tmpl)
{
    pthread_mutex_lock(&templates_lock);
    for (struct template_record **p = &templates; *p; p = &(*p)->next) {
        if ((*p)->handle == VKW_HANDLE_U64(tmpl)) {
            struct template_record *dead = *p;
            *p = dead->next;
            free(dead->entries);
            free(dead);
            break;
        }
    }
    pthread_mutex_unlock(&templates_lock);
}

static const void *at(const void *data, const VkDescriptorUpdateTemplateEntry *e, uint32_t i)
{
    return (const char *)data + e->offset + (size_t)i * e->stride;
}

/* One template entry as the write it stands for.  Arrays are gathered from
 * the application's strided bytes into `scratch` (grown as needed). */
static bool entry_as_write(const VkDescriptorUpdateTemplateEntry *e, VkDescriptorSet set,
                           const void *data, void **scratch, size_t *scratch_size,
                           VkWriteDescriptorSet *write, VkWriteDescriptorSetInlineUniformBlock *inl)
{
    *write = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                    .dstSet = set,
                                    .dstBinding = e->dstBinding,
                                    .dstArrayElement = e->dstArrayElement,
                                    .descriptorCount = e->descriptorCount,
                                    .descriptorType = e->descriptorType};
    if (e->descriptorType == VK_DESCRIPTOR_TYPE_INLINE_UNIFORM_BLOCK) {
        /* descriptorCount counts bytes; they sit at offset, unstrided */
        *inl = (VkWriteDescriptorSetInlineUniformBlock){
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET_INLINE_UNIFORM_BLOCK,
            .dataSize = e->descriptorCount,
            .pData = (const char *)data + e->offset};
        write->pNext = inl;
        return true;
    }
    size_t elem = vkw_descriptor_type_uses_image(e->descriptorType)    ? sizeof(VkDescriptorImageInfo)
                  : vkw_descriptor_type_uses_buffer(e->descriptorType) ? sizeof(VkDescriptorBufferInfo)
                  : vkw_descriptor_type_uses_texel_buffer(e->descriptorType) ? sizeof(VkBufferView)
                                                                             : 0;
    if (elem == 0)
        return true; /* a type vkwire does not forward: the write carries no array */
    size_t need = elem * e->descriptorCount;
    if (need > *scratch_size) {
        void *grown = realloc(*scratch, need);
        if (!grown)
            return false;
        *scratch = grown;
        *scratch_size = need;
    }
    for (uint32_t i = 0; i < e->descriptorCount; i++)
        memcpy((char *)*scratch + i * elem, at(data, e, i), elem);
    if (vkw_descriptor_type_uses_image(e->descriptorType)) {
        for (uint32_t i = 0; i < e->descriptorCount; i++)
            vkw_guest_clean_image_info(e->descriptorType, (VkDescriptorImageInfo *)*scratch + i);
        write->pImageInfo = *scratch;
    }
    else if (vkw_descriptor_type_uses_buffer(e->descriptorType))
        write->pBufferInfo = *scratch;
    else
        write->pTexelBufferView = *scratch;
    return true;
}

void vkw_encode_template_data(struct vkw_writer *w, VkDevice device, VkDescriptorSet set,
                              VkDescriptorUpdateTemplate tmpl, const void *data)
{
    (void)device;
    if (!vkw_write_presence(w, data))
        return;
    pthread_mutex_lock(&templates_lock);
    const struct template_record *rec = templates;
    while (rec && rec->handle != VKW_HANDLE_U64(tmpl))
        rec = rec->next;
    if (!rec) {
        pthread_mutex_unlock(&templates_lock);
        w->failed = true; /* the application used a template it never created */
        return;
    }
    vkw_write_u64(w, rec->entry_count);
    void *scratch = NULL;
    size_t scratch_size = 0;
    for (uint32_t i = 0; i < rec->entry_count; i++) {
        VkWriteDescriptorSet write;
        VkWriteDescriptorSetInlineUniformBlock inl;
        if (!entry_as_write(&rec->entries[i], set, data, &scratch, &scratch_size, &write, &inl)) {
            w->failed = true;
            break;
        }
        vkw_encode_VkWriteDescriptorSet(w, &write);
    }
    pthread_mutex_unlock(&templates_lock);
    free(scratch);
}
