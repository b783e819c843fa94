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
    uint32_t flags;     /* VKW_OBJECT_*, or 0 */
    uint64_t note;      /* the recording tracker's (vkw_host_recording.h): a
                         * recording command buffer's place in its list, a
                         * kept or gone object's epoch; 0 otherwise */
};

/* The id names an object whose asynchronous creation failed (PROTOCOL,
 * "Asynchronous commands"): it holds its id and counts against the limit,
 * but names no host object (host 0), so lookups refuse it and only its
 * destruction (vkw_object_table_find) may name it. */
#define VKW_OBJECT_FAILED 0x1u
/* The guest destroyed it while command buffers were recording; the driver
 * object lives on for the commands they may still send (PROTOCOL section
 * 28).  Lookups refuse it: only the decoder of a recorded command takes it. */
#define VKW_OBJECT_KEPT 0x2u
/* The same, but the driver object is gone (a freed descriptor set): host
 * 0, out of the reverse map; a recorded command naming it is skipped. */
#define VKW_OBJECT_GONE 0x4u
/* A command buffer in the recording state (vkBeginCommandBuffer seen, and
 * no end, reset or free since). */
#define VKW_OBJECT_RECORDING 0x8u
/* A command buffer that skipped a command naming a gone object: Vulkan
 * calls it invalid, and the host will not execute it. */
#define VKW_OBJECT_INVALID 0x10u
/* The id is held for an object a detached call is making on a host thread
 * (vkw_host_jobs.h): like a failed object it names no host object yet, so
 * lookups refuse it; the call's end binds it or frees it. */
#define VKW_OBJECT_PENDING 0x20u
/* An id with no host object behind it (host 0, out of the reverse map). */
#define VKW_OBJECT_HOSTLESS (VKW_OBJECT_FAILED | VKW_OBJECT_PENDING | VKW_OBJECT_GONE)
/* What lookups refuse. */
#define VKW_OBJECT_UNUSABLE (VKW_OBJECT_HOSTLESS | VKW_OBJECT_KEPT)

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
/* The host handle of `id` when it exists, has `type` and is usable (not
 * failed, pending, kept or gone); `*host` is left alone otherwise. */
bool vkw_object_table_lookup(const struct vkw_object_table *t, uint64_t id,
                             uint32_t type, uint64_t *host);
/* Set the flags in `set` and clear those in `clear` of `id`, and set its
 * note; false when there is no such id.  Setting VKW_OBJECT_GONE also
 * forgets the host handle (0, out of the reverse map, `removals` bumped:
 * the driver object is gone).  VKW_OBJECT_FAILED and VKW_OBJECT_PENDING
 * are not changed here, nor VKW_OBJECT_GONE cleared. */
bool vkw_object_table_mark(struct vkw_object_table *t, uint64_t id, uint32_t set,
                           uint32_t clear, uint64_t note);
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
