/* vkw_idmap — a map from 64-bit object ids to small fixed-size records.
 *
 * Owns: its slots (open addressing, linear probing, deletion by backward
 * shift, load at most 1/2; an empty map holds no memory).  Id 0 is never a
 * key.  A record moves when the map grows or another id is removed, so a
 * pointer to one is valid until the next put or remove.  Not thread-safe:
 * its user holds a lock where threads share it.  Used for what each end
 * keeps per object beside its id (the guest's sets of buffers, both ends'
 * records of images).
 */
#ifndef VKW_IDMAP_H
#define VKW_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vkw_idmap {
    unsigned char *slots;  /* each: the id (0: free), then the record */
    size_t record_size;
    size_t capacity;       /* 0 or a power of two */
    size_t count;
};

/* An empty map of records of `record_size` bytes (0: a set of ids). */
void vkw_idmap_init(struct vkw_idmap *m, size_t record_size);
/* Frees the slots; the map is empty again (and still usable). */
void vkw_idmap_clear(struct vkw_idmap *m);

/* The record of `id`, or NULL. */
void *vkw_idmap_find(const struct vkw_idmap *m, uint64_t id);
/* The record of `id`, made (zeroed) if it had none; NULL for id 0 or when
 * out of memory (the map is unchanged then). */
void *vkw_idmap_put(struct vkw_idmap *m, uint64_t id);
/* False when `id` had no record. */
bool vkw_idmap_remove(struct vkw_idmap *m, uint64_t id);
/* Visit every record (order unspecified); `fn` must not change the map. */
void vkw_idmap_foreach(const struct vkw_idmap *m, void (*fn)(uint64_t id, void *record, void *user),
                       void *user);

#endif /* VKW_IDMAP_H */
