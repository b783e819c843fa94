/* vkw_guest_alloc — the host memory the ICD keeps for application objects.
 *
 * Owns: which allocator an allocation goes through and with which scope.
 * Vulkan ("Memory Allocation") has an implementation use the most specific
 * allocator there is: the object's own (the pAllocator it was created
 * with), else its device's, else its instance's; and with no callbacks
 * anywhere, its own means (here the C library).  Scopes: INSTANCE for what
 * lives as long as the instance (its physical devices, names), DEVICE for
 * the device's (queues, names), OBJECT for what one object keeps, COMMAND
 * for what one command needs while it runs.
 *
 * A struct vkw_alloc is the allocator as the guest keeps it: a copy of the
 * application's functions and user data (its VkAllocationCallbacks need not
 * outlive the call that named it), or none.  Every record the ICD keeps for
 * an object keeps the vkw_alloc it was made with and is freed through it:
 * Vulkan requires the callbacks given at destruction to be compatible with
 * those given at creation, so this is the same allocator, and records an
 * application never destroyed (children of a destroyed device) still go
 * back where they came from.  The application's callbacks are only called
 * during a Vulkan command, on its thread, as Vulkan requires.
 *
 * A failed allocation returns NULL; its caller reports
 * VK_ERROR_OUT_OF_HOST_MEMORY having sent nothing to the host (or undone
 * what it sent).  Still on the C library: memory shared by many objects,
 * which no one object owns (the connection and its reply cache, id
 * tables, the memory-requirements cache), the fence and semaphore records
 * of vkw_guest_sync (a cache made at first use, not at creation), and the
 * scratch copies of commands that create nothing (descriptor updates,
 * host image copies, acceleration-structure builds).
 */
#ifndef VKW_GUEST_ALLOC_H
#define VKW_GUEST_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <vulkan/vulkan.h>

#include "vkw_wire.h"

struct vkw_alloc {
    void *user;
    PFN_vkAllocationFunction allocate; /* NULL: the C library */
    PFN_vkReallocationFunction reallocate;
    PFN_vkFreeFunction free;
};

/* The allocator `callbacks` names; none for NULL. */
struct vkw_alloc vkw_alloc_of(const VkAllocationCallbacks *callbacks);
/* The most specific of the two: `callbacks` when not NULL, else `fallback`
 * (NULL: none), as Vulkan picks an object's allocator over its parent's. */
struct vkw_alloc vkw_alloc_pick(const VkAllocationCallbacks *callbacks,
                                const struct vkw_alloc *fallback);

/* `size` bytes (uninitialised, or zeroed), aligned for any C object; NULL
 * when out of memory.  `a` NULL: the C library. */
void *vkw_alloc(const struct vkw_alloc *a, size_t size, VkSystemAllocationScope scope);
void *vkw_zalloc(const struct vkw_alloc *a, size_t size, VkSystemAllocationScope scope);
/* `p` (from `a`, or NULL) resized to `size` (> 0), keeping its bytes; NULL
 * when out of memory (`p` is untouched then). */
void *vkw_realloc(const struct vkw_alloc *a, void *p, size_t size, VkSystemAllocationScope scope);
/* `n` elements of `each` bytes, zeroed; NULL also when n * each overflows. */
void *vkw_zalloc_array(const struct vkw_alloc *a, size_t n, size_t each,
                       VkSystemAllocationScope scope);
void vkw_free(const struct vkw_alloc *a, void *p);
/* A copy of `s` through `a`. */
char *vkw_strdup(const struct vkw_alloc *a, const char *s, VkSystemAllocationScope scope);

/* Make `w`'s buffer come from `a` (OBJECT scope): the writer keeps `m`,
 * which `a` fills and which must outlive the writer, as `a` must. */
void vkw_alloc_writer(struct vkw_writer *w, struct vkw_writer_memory *m, const struct vkw_alloc *a);

#endif /* VKW_GUEST_ALLOC_H */
