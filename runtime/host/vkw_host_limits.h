/* vkw_host_limits — how much of the host one guest may hold.
 *
 * Owns: the per-context limits (live ids, decode memory per command, device
 * memory, queue work in flight, message size), their defaults, and the
 * checks that end a context with VKW_ERROR_LIMIT (value: enum vkw_limit)
 * before a command would pass one (doc/PROTOCOL.md, "Limits").  The counts
 * they compare with live where the thing is kept: the object table, the
 * memory records (vkw_host_memory.h), the in-flight fences
 * (vkw_host_inflight.h), the reply buffer, the detached calls
 * (vkw_host_jobs.h).
 *
 * Why: one guest must not starve the host or the other guests of memory,
 * driver objects or queue time; a guest that reaches a limit is told which
 * one, and the operator's log names it.
 */
#ifndef VKW_HOST_LIMITS_H
#define VKW_HOST_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vkw_host_context;
struct vkw_host_decoder;

/* Zero in any field means its default. */
struct vkw_host_limits {
    size_t max_objects;        /* live ids */
    size_t max_decode_bytes;   /* arena bytes one command may need (NO_MEMORY past it) */
    uint64_t max_memory_bytes; /* allocationSize of the live VkDeviceMemory, summed */
    size_t max_in_flight;      /* queue batches submitted and not yet seen finished */
    size_t max_message_bytes;  /* a message from the guest; a batch's replies */
    size_t max_blocking;       /* detached calls in progress, each on a host thread */
};

#define VKW_HOST_DEFAULT_MAX_OBJECTS ((size_t)1 << 20)
#define VKW_HOST_DEFAULT_MAX_DECODE_BYTES ((size_t)256 << 20)
#define VKW_HOST_DEFAULT_MAX_MEMORY_BYTES ((uint64_t)16 << 30)
#define VKW_HOST_DEFAULT_MAX_IN_FLIGHT ((size_t)4096)
#define VKW_HOST_DEFAULT_MAX_BLOCKING ((size_t)64)
/* (the protocol's own bound: VKW_MAX_MESSAGE_BYTES, which a limit can
 * only lower) */

/* `in` with every zero (or, for the message size, too large) field replaced
 * by its default.  `in` may be NULL: all defaults. */
struct vkw_host_limits vkw_host_limits_resolve(const struct vkw_host_limits *in);

/* The limit's value, for messages. */
uint64_t vkw_host_limit_value(const struct vkw_host_limits *limits, uint64_t which);

/* Whether `count` new ids fit; fails the decoder (LIMIT, objects) if not. */
bool vkw_host_within_object_limit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  uint64_t count);
/* Whether an allocation of `bytes` more fits; fails the decoder (LIMIT,
 * memory_bytes) if not. */
bool vkw_host_within_memory_limit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  uint64_t bytes);

#endif /* VKW_HOST_LIMITS_H */
