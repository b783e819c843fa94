/* vkw_guest_idtable — the guest's records of objects, found by id.
 *
 * Owns: the buckets of a chained hash of records that begin with a
 * struct vkw_guest_idlink (the records themselves are their owner's, made
 * through the object's allocator).  Adding never fails, so a record made
 * before its object was sent can always be entered once the object has
 * its id: the buckets grow with the count where memory allows (the C
 * library's: the table belongs to no one object), and chains grow longer
 * where it does not.  An empty table holds no memory.  Not thread-safe:
 * its user holds a lock.
 */
#ifndef VKW_GUEST_IDTABLE_H
#define VKW_GUEST_IDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vkw_guest_idlink {
    uint64_t id; /* never 0 in a table */
    struct vkw_guest_idlink *next;
};

struct vkw_guest_idtable {
    struct vkw_guest_idlink **buckets; /* NULL: `single` is the one bucket */
    struct vkw_guest_idlink *single;
    size_t nbuckets; /* 0, or a power of two */
    size_t count;
};

void vkw_guest_idtable_add(struct vkw_guest_idtable *t, struct vkw_guest_idlink *link);
struct vkw_guest_idlink *vkw_guest_idtable_find(const struct vkw_guest_idtable *t, uint64_t id);
/* Take the record of `id` out; NULL when there is none. */
struct vkw_guest_idlink *vkw_guest_idtable_remove(struct vkw_guest_idtable *t, uint64_t id);
/* Take out every record `gone` says goes, and give each to `drop` (which
 * may free it). */
void vkw_guest_idtable_remove_if(struct vkw_guest_idtable *t,
                                 bool (*gone)(const struct vkw_guest_idlink *, const void *user),
                                 void (*drop)(struct vkw_guest_idlink *), const void *user);

#endif /* VKW_GUEST_IDTABLE_H */
