/* vkw_host_limits — see vkw_host_limits.h. */
#include "vkw_host_limits.h"

#include "vkw_host_context.h"
#include "vkw_wire.h"

struct vkw_host_limits vkw_host_limits_resolve(const struct vkw_host_limits *in)
{
    struct vkw_host_limits l = in ? *in : (struct vkw_host_limits){0};
    if (!l.max_objects)
        l.max_objects = VKW_HOST_DEFAULT_MAX_OBJECTS;
    if (!l.max_decode_bytes)
        l.max_decode_bytes = VKW_HOST_DEFAULT_MAX_DECODE_BYTES;
    if (!l.max_memory_bytes)
        l.max_memory_bytes = VKW_HOST_DEFAULT_MAX_MEMORY_BYTES;
    if (!l.max_in_flight)
        l.max_in_flight = VKW_HOST_DEFAULT_MAX_IN_FLIGHT;
    if (!l.max_blocking)
        l.max_blocking = VKW_HOST_DEFAULT_MAX_BLOCKING;
    /* A batch's replies need room for the error reply that may end them
     * (vkw_host_context_execute), so the smallest useful limit holds one
     * reply header and one error reply. */
    if (!l.max_message_bytes || l.max_message_bytes > VKW_MAX_MESSAGE_BYTES)
        l.max_message_bytes = VKW_MAX_MESSAGE_BYTES;
    if (l.max_message_bytes < 2 * (VKW_HEADER_BYTES + 8))
        l.max_message_bytes = 2 * (VKW_HEADER_BYTES + 8);
    return l;
}

uint64_t vkw_host_limit_value(const struct vkw_host_limits *limits, uint64_t which)
{
    switch (which) {
    case VKW_LIMIT_OBJECTS: return limits->max_objects;
    case VKW_LIMIT_MEMORY_BYTES: return limits->max_memory_bytes;
    case VKW_LIMIT_IN_FLIGHT: return limits->max_in_flight;
    case VKW_LIMIT_MESSAGE_BYTES: return limits->max_message_bytes;
    case VKW_LIMIT_BLOCKING: return limits->max_blocking;
    default: return 0;
    }
}

bool vkw_host_within_object_limit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  uint64_t count)
{
    const size_t live = ctx->objects.count, max = ctx->limits.max_objects;
    if (live <= max && count <= max - live)
        return true;
    vkw_reader_fail(&d->r, VKW_ERROR_LIMIT, VKW_LIMIT_OBJECTS);
    return false;
}

bool vkw_host_within_memory_limit(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  uint64_t bytes)
{
    const uint64_t held = ctx->memory.bytes, max = ctx->limits.max_memory_bytes;
    if (held <= max && bytes <= max - held)
        return true;
    vkw_reader_fail(&d->r, VKW_ERROR_LIMIT, VKW_LIMIT_MEMORY_BYTES);
    return false;
}
