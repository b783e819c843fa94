/* vkw_arena — bump allocation for decoded arguments.
 *
 * Owns: the temporary memory a decoder fills while it turns one message into
 * C structs.  Everything is freed at once by vkw_arena_reset after the
 * command ran, so decoders never free piecemeal and a failed decode leaks
 * nothing.  A hard limit bounds what one message can make the host allocate.
 */
#ifndef VKW_ARENA_H
#define VKW_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vkw_arena_chunk;

struct vkw_arena {
    struct vkw_arena_chunk *chunks; /* the one being filled first */
    size_t used;                    /* bytes handed out since the last reset */
    size_t limit;                   /* most bytes handed out between resets */
};

/* `limit`: SIZE_MAX for none.  Allocates nothing until the first alloc. */
void vkw_arena_init(struct vkw_arena *a, size_t limit);
/* Free every chunk. */
void vkw_arena_fini(struct vkw_arena *a);
/* Forget all allocations; keeps one chunk (the largest of at most 1 MiB)
 * for reuse, so steady decoding does not malloc. */
void vkw_arena_reset(struct vkw_arena *a);
/* `size` zeroed bytes aligned to 16, or NULL past the limit or on ENOMEM.
 * Size 0 returns a valid unique pointer.  Sizes are counted against the
 * limit rounded up to 16 (size 0 as 16). */
void *vkw_arena_alloc(struct vkw_arena *a, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VKW_ARENA_H */
