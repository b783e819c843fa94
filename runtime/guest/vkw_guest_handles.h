/* vkw_guest_handles — how the guest names objects on the wire.
 *
 * Owns: the layout of the guest's dispatchable objects and the two
 * functions generated guest code calls for handles.  Non-dispatchable
 * handles need nothing: the guest makes the handle value the id itself.
 * Dispatchable handles must be pointers whose first word the loader owns
 * (its dispatch table), so they carry their id in the second word.
 */
#ifndef VKW_GUEST_HANDLES_H
#define VKW_GUEST_HANDLES_H

#include <stdint.h>

#include "vkw_handles.h"
#include "vkw_wire.h"

struct vkw_dispatchable {
    uintptr_t loader_data; /* set by the loader: VK_LOADER_DATA */
    uint64_t id;           /* this object's wire id */
};

/* The wire id of a dispatchable handle (0 for NULL). */
static inline uint64_t vkw_guest_id_of(const void *dispatchable)
{
    return dispatchable ? ((const struct vkw_dispatchable *)dispatchable)->id : 0;
}

/* The wire id of a handle of handle type `type` (enum vkw_handle_type) that
 * a bare uint64_t holds (vk.xml objecttype=: private data, debug names):
 * a dispatchable object's id, else the value itself, which is the id. */
static inline uint64_t vkw_guest_object_id(uint32_t type, uint64_t handle)
{
    if (vkw_handle_type_valid(type) && vkw_handle_types[type].dispatchable)
        return vkw_guest_id_of((const void *)(uintptr_t)handle);
    return handle;
}

/* A handle named by id in a reply (e.g. the physical devices of a device
 * group): the guest runtime returns its object for `id` of `type` (enum
 * vkw_handle_type), or fails the reader with VKW_ERROR_BAD_HANDLE and
 * returns 0.  Supplied by the guest runtime (and by tests). */
uint64_t vkw_guest_handle_from_id(struct vkw_reader *r, uint32_t type, uint64_t id);

#endif /* VKW_GUEST_HANDLES_H */
