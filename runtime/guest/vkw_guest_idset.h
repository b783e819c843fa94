/* vkw_guest_idset — a set of 64-bit object ids.
 *
 * Owns: membership only (open addressing, linear probing, deletion by
 * backward shift, load at most 1/2; an empty set holds no memory).  Id 0
 * is never a member.  Not
 * thread-safe: its user holds a lock.  Today it holds the buffers whose
 * usage lets the device only read them (vkw_guest_memory).
 */
#ifndef VKW_GUEST_IDSET_H
#define VKW_GUEST_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vkw_guest_idset {
    uint64_t *slots; /* 0: free */
    size_t capacity; /* 0 or a power of two */
    size_t count;
};

/* False when out of memory (the set is unchanged). */
bool vkw_guest_idset_add(struct vkw_guest_idset *s, uint64_t id);
bool vkw_guest_idset_has(const struct vkw_guest_idset *s, uint64_t id);
void vkw_guest_idset_remove(struct vkw_guest_idset *s, uint64_t id);
void vkw_guest_idset_clear(struct vkw_guest_idset *s);

#endif /* VKW_GUEST_IDSET_H */
