/* vkw_guest_templates — descriptor update templates on the guest side.
 *
 * Owns: the entries of every live VkDescriptorUpdateTemplate (the ICD
 * records them when it creates one), and the wire form of
 * vkUpdateDescriptorSetWithTemplate's pData: the application's raw bytes are
 * only meaningful through the template, so they travel as the descriptor
 * writes they stand for (doc/PROTOCOL.md, "Template data").  The host then
 * needs no template state, and every write is checked like any other.
 * Thread-safe: one mutex guards the registry.
 */
#ifndef VKW_GUEST_TEMPLATES_H
#define VKW_GUEST_TEMPLATES_H

#include <stdbool.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"
#include "vkw_wire.h"

/* A template's record: the entries of `ci`, copied through `alloc` (the
 * template's allocator, which it keeps; OBJECT scope), made before the
 * template is sent; NULL when out of memory.  Then _add once the template
 * has its handle, or _discard when its creation failed. */
struct vkw_guest_template;
struct vkw_guest_template *vkw_guest_template_make(const VkDescriptorUpdateTemplateCreateInfo *ci,
                                                   const struct vkw_alloc *alloc);
void vkw_guest_template_add(struct vkw_guest_template *rec, VkDescriptorUpdateTemplate tmpl);
void vkw_guest_template_discard(struct vkw_guest_template *rec);
/* vkDestroyDescriptorUpdateTemplate: the record goes. */
void vkw_guest_template_forget(VkDescriptorUpdateTemplate tmpl);

/* The descriptor writes a template makes of the application's `data` for
 * `set` (VK_NULL_HANDLE for push descriptors): one per template entry,
 * gathered from the strided bytes, ignored image-info members cleaned.
 * False for an unknown template or no memory.  Free with
 * vkw_guest_template_writes_free. */
struct vkw_guest_template_writes {
    VkWriteDescriptorSet *writes; /* one block holding everything the writes point at */
    uint32_t count;
    VkPipelineBindPoint bind_point; /* the template's, for push descriptors */
};
bool vkw_guest_template_writes(VkDescriptorUpdateTemplate tmpl, VkDescriptorSet set,
                               const void *data, struct vkw_guest_template_writes *out);
void vkw_guest_template_writes_free(struct vkw_guest_template_writes *w);

/* The encode-with hook gen/annotations.conf names for
 * vkUpdateDescriptorSetWithTemplate.pData: presence, u64 count, then one
 * VkWriteDescriptorSet per template entry.  An unknown template fails `w`. */
void vkw_encode_template_data(struct vkw_writer *w, VkDevice device, VkDescriptorSet set,
                              VkDescriptorUpdateTemplate tmpl, const void *data);

#endif /* VKW_GUEST_TEMPLATES_H */
