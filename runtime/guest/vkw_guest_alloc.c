/* vkw_guest_alloc — see vkw_guest_alloc.h. */
#include "vkw_guest_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What malloc guarantees, asked of the application's callbacks too: every
 * record may hold any C object. */
#define ALIGN _Alignof(max_align_t)

struct vkw_alloc vkw_alloc_of(const VkAllocationCallbacks *callbacks)
{
    if (!callbacks)
        return (struct vkw_alloc){0};
    return (struct vkw_alloc){callbacks->pUserData, callbacks->pfnAllocation,
                              callbacks->pfnReallocation, callbacks->pfnFree};
}

struct vkw_alloc vkw_alloc_pick(const VkAllocationCallbacks *callbacks,
                                const struct vkw_alloc *fallback)
{
    if (callbacks || !fallback)
        return vkw_alloc_of(callbacks);
    return *fallback;
}

void *vkw_alloc(const struct vkw_alloc *a, size_t size, VkSystemAllocationScope scope)
{
    if (size == 0)
        size = 1; /* a real, freeable pointer, which Vulkan's callbacks need not give for 0 */
    if (a && a->allocate)
        return a->allocate(a->user, size, ALIGN, scope);
    return malloc(size);
}

void *vkw_zalloc(const struct vkw_alloc *a, size_t size, VkSystemAllocationScope scope)
{
    void *p = vkw_alloc(a, size, scope);
    if (p)
        memset(p, 0, size ? size : 1);
    return p;
}

void *vkw_zalloc_array(const struct vkw_alloc *a, size_t n, size_t each,
                       VkSystemAllocationScope scope)
{
    if (each && n > SIZE_MAX / each)
        return NULL;
    return vkw_zalloc(a, n * each, scope);
}

void *vkw_realloc(const struct vkw_alloc *a, void *p, size_t size, VkSystemAllocationScope scope)
{
    if (size == 0)
        size = 1; /* 0 would free (Vulkan's rule for pfnReallocation) */
    if (a && a->allocate)
        return a->reallocate(a->user, p, size, ALIGN, scope);
    return realloc(p, size);
}

void vkw_free(const struct vkw_alloc *a, void *p)
{
    if (!p)
        return;
    if (a && a->allocate)
        a->free(a->user, p);
    else
        free(p);
}

char *vkw_strdup(const struct vkw_alloc *a, const char *s, VkSystemAllocationScope scope)
{
    const size_t n = strlen(s) + 1;
    char *copy = vkw_alloc(a, n, scope);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

static void *writer_resize(void *user, void *old, size_t size)
{
    return vkw_realloc(user, old, size, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
}

static void writer_release(void *user, void *p)
{
    vkw_free(user, p);
}

void vkw_alloc_writer(struct vkw_writer *w, struct vkw_writer_memory *m, const struct vkw_alloc *a)
{
    *m = (struct vkw_writer_memory){writer_resize, writer_release, (void *)a};
    w->memory = m;
}
