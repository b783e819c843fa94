/* vkw_host_private_data — vkSetPrivateData and vkGetPrivateData, which name
 * an object by a bare 64-bit handle.
 *
 * Owns: the hand-written host side of both commands (gen/annotations.conf).
 * The generated decoder translates objectHandle like any handle (vk.xml
 * objecttype=: a guest id of the type objectType names); what is left is
 * Vulkan's rule that the object is a device or made from one, which a
 * driver trusts when it takes the handle for one of its device objects.
 */
#ifndef VKW_HOST_PRIVATE_DATA_H
#define VKW_HOST_PRIVATE_DATA_H

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkSetPrivateData;
struct vkw_args_vkGetPrivateData;

/* BAD_HANDLE (value: objectType) unless that type is VkDevice or made from
 * one (the decoder already refused an id that is not a live one of it). */
void vkw_host_vkSetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkSetPrivateData *a);
void vkw_host_vkGetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkGetPrivateData *a);

#endif /* VKW_HOST_PRIVATE_DATA_H */
