/* vkw_host_private_data — vkSetPrivateData and vkGetPrivateData, which name
 * an object by a raw 64-bit handle.
 *
 * Owns: the hand-written host side of both commands (gen/annotations.conf).
 * Their objectHandle is a plain uint64_t in vk.xml, not a typed handle, so
 * the generated decoder passes the guest's value through untouched; a
 * driver then takes it for a pointer to its own object (Mesa writes
 * through it).  Here it is read as what it is on the wire, a guest id of
 * the type objectType names, and translated like any other id.
 */
#ifndef VKW_HOST_PRIVATE_DATA_H
#define VKW_HOST_PRIVATE_DATA_H

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_args_vkSetPrivateData;
struct vkw_args_vkGetPrivateData;

/* BAD_HANDLE (value: objectHandle) unless objectHandle is a live id of the
 * type objectType names, and that type is VkDevice or made from one. */
void vkw_host_vkSetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkSetPrivateData *a);
void vkw_host_vkGetPrivateData(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkGetPrivateData *a);

#endif /* VKW_HOST_PRIVATE_DATA_H */
