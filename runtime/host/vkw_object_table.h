/* vkw_object_table — one context's guest ids and the host objects they name.
 *
 * Owns: the map from a 64-bit guest-chosen id to {handle type, host handle,
 * parent id}, and the reverse map from (type, host handle) to id for the
 * few replies that return existing objects (physical devices, queues).
 * Lookups are one hash probe sequence: a guest id reaches its host object
 * without walking pools or parents.  Types are enum vkw_handle_type values
 * from generated/vkw_handles.h; the table itself only compares them.
 *
 * Nothing here calls Vulkan: destroying what a context made is the host
 * context's job, which walks the table with vkw_object_table_foreach.
 */
#ifndef VKW_OBJECT_TABLE_H
#define VKW_OBJECT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_wire.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vkw_object {
    uint64_t id;        /* guest id; 0 marks a free slot (empty or removed) */
    uint64_t host;      /* the host handle, as an integer */
    uint64_t parent_id; /* id of the object it was made from, or 0 */
    uint32_t type;      /* enum vkw_handle_type */
    uint32_t flags;     /* VKW_OBJECT_FAILED or VKW_OBJECT_PENDING, or 0 */
};

/* The id names an object whose asynchronous creation failed (PROTOCOL,
 * "Asynchronous commands"): it holds its id and counts against the limit,
 * but names no host object (host 0), so lookups refuse it and only its
 * destruction (vkw_object_table_find) may name it. */
#define VKW_OBJECT_FAILED 0x1u
/* The id is held for an object a detached call is making on a host thread
 * (vkw_host_jobs.h): like a failed object it names no host object yet, so
 * lookups refuse it; the call's end binds it or frees it. */
#define VKW_OBJECT_PENDING 0x2u
/* Either: an id with no host object behind it. */
#define VKW_OBJECT_HOSTLESS (VKW_OBJECT_FAILED | VKW_OBJECT_PENDING)

struct vkw_object_table {
    struct vkw_object *slots; /* open addressing on id */
    size_t capacity;          /* a power of two */
    size_t count;             /* live objects */
    size_t tombstones;
    size_t max_objects;       /* per-client limit */
    uint32_t *reverse;        /* slot index + 1 by hash of (type, host); 0 free */
    size_t reverse_capacity;
    uint64_t removals;        /* bumped by every remove: caches keyed on host
                               * handles compare it to know they still hold */
};

/* `max_objects`: SIZE_MAX for no limit but memory.  Allocates nothing
 * until the first insert. */
void vkw_object_table_init(struct vkw_object_table *t, size_t max_objects);
void vkw_object_table_fini(struct vkw_object_table *t);

/* VKW_OK, or VKW_ERROR_BAD_HANDLE (id 0), VKW_ERROR_ID_IN_USE,
 * VKW_ERROR_NO_MEMORY (limit reached or malloc failed). */
enum vkw_error vkw_object_table_insert(struct vkw_object_table *t, uint64_t id,
                                       uint32_t type, uint64_t host,
                                       uint64_t parent_id);
/* The same for a failed object (VKW_OBJECT_FAILED, host 0). */
enum vkw_error vkw_object_table_insert_failed(struct vkw_object_table *t, uint64_t id,
                                              uint32_t type, uint64_t parent_id);
/* The same for a pending one (VKW_OBJECT_PENDING, host 0). */
enum vkw_error vkw_object_table_insert_pending(struct vkw_object_table *t, uint64_t id,
                                               uint32_t type, uint64_t parent_id);
/* The object with this id, or NULL.  Valid until the next insert or
 * remove (an insert may move every object). */
const struct vkw_object *vkw_object_table_find(const struct vkw_object_table *t,
                                               uint64_t id);
/* The host handle of `id` when it exists, has `type` and is not failed or
 * pending;
 * `*host` is left alone otherwise. */
bool vkw_object_table_lookup(const struct vkw_object_table *t, uint64_t id,
                             uint32_t type, uint64_t *host);
/* The id under which (type, host) was inserted, or 0.  When several live
 * ids share (type, host), the earliest inserted of them. */
uint64_t vkw_object_table_id_of(const struct vkw_object_table *t, uint32_t type,
                                uint64_t host);
/* Remove `id` if it exists with `type`; false otherwise. */
bool vkw_object_table_remove(struct vkw_object_table *t, uint64_t id, uint32_t type);

/* Visit every live object (order unspecified).  The callback may not change
 * the table; collect ids first when removing. */
void vkw_object_table_foreach(const struct vkw_object_table *t,
                              void (*fn)(const struct vkw_object *o, void *user),
                              void *user);

#ifdef __cplusplus
}
#endif

#endif /* VKW_OBJECT_TABLE_H */
