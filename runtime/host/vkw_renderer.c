/* vkw_renderer — the public face of the host runtime (include/vkwire/renderer.h).
 *
 * Owns: the renderer (options shared by its contexts) and the per-guest
 * context around a vkw_host_context: the handshake that must come first,
 * the reply buffer handed back to the caller, the reason a context ended,
 * and teardown through vkw_host_context_destroy_objects.
 *
 * Nothing here is global: the loader entry point and the limits live in the
 * renderer, everything a guest made lives in its context.
 */
#include "vkwire/renderer.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_handshake.h"
#include "vkw_host_context.h"
#include "vkw_protocol.h"
#include "vkw_wire.h"

/* A reply buffer that grew past this for one big answer is given back at
 * the next message rather than held for the life of the connection. */
#define VKW_REPLY_KEEP_BYTES ((size_t)4 << 20)

struct vkw_renderer {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    struct vkw_host_limits limits;
    uint64_t transport_features; /* the embedder's, offered in WELCOME */
};

enum vkw_context_state {
    VKW_STATE_AWAIT_HELLO, /* nothing but a HELLO is accepted */
    VKW_STATE_READY,       /* command batches */
    VKW_STATE_ENDED,       /* `status` says why; every later message gets it again */
};

struct vkw_renderer_context {
    struct vkw_renderer *renderer;
    enum vkw_context_state state;
    enum vkw_renderer_status status; /* when ended */
    struct vkw_host_context host;
    struct vkw_writer reply;
    /* A refused handshake is repeated word for word to a guest that
     * insists. */
    struct vkw_welcome welcome;
    /* A copy of a message that arrived misaligned: the decoders read
     * words in place. */
    void *aligned;
    size_t aligned_capacity;
    /* The reply as pieces (vkw_renderer_context_process_pieces). */
    struct vkw_renderer_piece *pieces;
    size_t piece_capacity;
    struct vkw_renderer_piece single; /* when `pieces` could not grow */
    char error[320];
};

/* ---- renderer ---- */

int vkw_renderer_create(const struct vkw_renderer_options *options, struct vkw_renderer **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    /* Read only the fields the caller's struct has: a program built
     * against an older header passes a smaller one. */
    struct vkw_renderer_options o = {0};
    if (options) {
        if (options->size < offsetof(struct vkw_renderer_options, get_instance_proc_addr) +
                                sizeof(o.get_instance_proc_addr) ||
            options->size > sizeof(o))
            return -EINVAL;
        memcpy(&o, options, options->size);
    }
    struct vkw_renderer *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->get_instance_proc_addr =
        o.get_instance_proc_addr ? o.get_instance_proc_addr : vkGetInstanceProcAddr;
    const struct vkw_host_limits asked = {.max_objects = o.max_objects,
                                          .max_decode_bytes = o.max_decode_bytes,
                                          .max_memory_bytes = o.max_memory_bytes,
                                          .max_in_flight = o.max_in_flight,
                                          .max_message_bytes = o.max_message_bytes,
                                          .max_blocking = o.max_blocking};
    r->limits = vkw_host_limits_resolve(&asked);
    r->transport_features = o.transport_features & (VKW_FEATURE_RING | VKW_FEATURE_EXTERNAL_FDS);
    *out = r;
    return 0;
}

void vkw_renderer_destroy(struct vkw_renderer *renderer)
{
    free(renderer);
}

/* ---- contexts ---- */

/* Exported fds travel only where the embedder sends them. */
static void reply_fd_room(struct vkw_renderer_context *ctx)
{
    ctx->reply.fd_room =
        ctx->renderer->transport_features & VKW_FEATURE_EXTERNAL_FDS ? VKW_WIRE_MAX_FDS : 0;
}

/* The last reply's fds went (or never will): they are the context's to close. */
static void drop_reply_fds(struct vkw_renderer_context *ctx)
{
    vkw_host_reply_fds_drop(&ctx->reply, 0);
}

struct vkw_renderer_context *vkw_renderer_context_create(struct vkw_renderer *renderer)
{
    if (!renderer)
        return NULL;
    struct vkw_renderer_context *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    ctx->renderer = renderer;
    ctx->state = VKW_STATE_AWAIT_HELLO;
    vkw_host_context_init(&ctx->host, &renderer->limits);
    /* Global commands now; vkw_host_vkCreateInstance reloads the table
     * through each new instance. */
    vkw_driver_table_load(&ctx->host.vk, renderer->get_instance_proc_addr, VK_NULL_HANDLE);
    ctx->host.get_instance_proc_addr = renderer->get_instance_proc_addr;
    vkw_writer_init(&ctx->reply);
    reply_fd_room(ctx);
    return ctx;
}

/* The values that are ids, opcodes or bit patterns read best in hex;
 * sizes and counts in decimal. */
static bool error_value_is_hex(enum vkw_error e)
{
    switch (e) {
    case VKW_ERROR_BAD_OPCODE:
    case VKW_ERROR_BAD_STYPE:
    case VKW_ERROR_BAD_ENUM:
    case VKW_ERROR_BAD_HANDLE:
    case VKW_ERROR_ID_IN_USE:
    case VKW_ERROR_UNSUPPORTED:
    case VKW_ERROR_BAD_FLAGS:
        return true;
    default:
        return false;
    }
}

/* "bad_handle 0x64 in vkDestroyBuffer (serial 7)" from the host context's
 * sticky error. */
static void describe_error(struct vkw_renderer_context *ctx)
{
    const struct vkw_host_context *h = &ctx->host;
    char value[32], where[48];
    snprintf(value, sizeof(value), error_value_is_hex(h->error) ? "0x%" PRIx64 : "%" PRIu64,
             h->error_value);
    const char *name = h->error_opcode == VKW_MSG_HELLO ? "HELLO"
                       : h->error_opcode >= VKW_PRIVATE_OPCODE_BASE
                           ? vkw_host_private_name(h->error_opcode)
                           : vkw_opcode_name(h->error_opcode);
    if (name)
        snprintf(where, sizeof(where), "%s", name);
    else
        snprintf(where, sizeof(where), "opcode 0x%" PRIx32, h->error_opcode);
    if (h->error == VKW_ERROR_LIMIT) /* which limit, and its value */
        snprintf(value, sizeof(value), "%s (%" PRIu64 ")", vkw_limit_name(h->error_value),
                 vkw_host_limit_value(&h->limits, h->error_value));
    snprintf(ctx->error, sizeof(ctx->error), "%s %s in %s (serial %" PRIu32 ")",
             vkw_error_name(h->error), value, where, h->error_serial);
}

/* End the context for a protocol error found outside the command loop
 * (the handshake, the message size, memory): record it where the loop
 * keeps its own, so that the loop refuses everything after. */
static void end_with_error(struct vkw_renderer_context *ctx, enum vkw_error error, uint64_t value,
                           uint32_t opcode, uint32_t serial)
{
    ctx->host.error = error;
    ctx->host.error_value = value;
    ctx->host.error_opcode = opcode;
    ctx->host.error_serial = serial;
}

/* The answer of an ended context, the same every time. */
static enum vkw_renderer_status answer_ended(struct vkw_renderer_context *ctx)
{
    drop_reply_fds(ctx); /* an error reply carries none */
    if (ctx->status == VKW_RENDERER_HANDSHAKE_REFUSED) {
        vkw_encode_welcome(&ctx->reply, &ctx->welcome);
    } else {
        /* With its error set the loop runs nothing and writes the error
         * reply.  (An empty batch, but not a NULL one: no arithmetic on
         * NULL.) */
        static const uint32_t nothing;
        vkw_host_context_execute(&ctx->host, &nothing, 0, &ctx->reply);
    }
    return ctx->status;
}

/* The context has just ended with the host context's error: record why.
 * The command loop wrote its error reply already, after the replies of the
 * batch's earlier commands (which the guest still needs); errors found
 * outside the loop (`append_reply`) add it here. */
static enum vkw_renderer_status end_protocol(struct vkw_renderer_context *ctx, bool append_reply)
{
    ctx->state = VKW_STATE_ENDED;
    ctx->status = VKW_RENDERER_PROTOCOL_ERROR;
    describe_error(ctx);
    return append_reply ? answer_ended(ctx) : ctx->status;
}

static enum vkw_renderer_status fail(struct vkw_renderer_context *ctx)
{
    return end_protocol(ctx, true);
}

static enum vkw_renderer_status handshake(struct vkw_renderer_context *ctx, const void *msg,
                                          size_t size)
{
    struct vkw_reader r;
    struct vkw_command_header h = {0};
    vkw_reader_init(&r, msg, size, NULL);
    if (!vkw_read_command_header(&r, &h)) {
        end_with_error(ctx, VKW_ERROR_TRUNCATED, size, VKW_MSG_HELLO, 0);
        return fail(ctx);
    }
    /* Anything but a HELLO first is not a vkwire guest (or not this
     * protocol): say so and stop. */
    if (h.opcode != VKW_MSG_HELLO) {
        end_with_error(ctx, VKW_ERROR_BAD_OPCODE, h.opcode, h.opcode, h.serial);
        return fail(ctx);
    }
    if ((h.flags & ~VKW_COMMAND_FLAG_REPLY) != 0) { /* HELLO is never detached */
        end_with_error(ctx, VKW_ERROR_BAD_FLAGS, h.flags, h.opcode, h.serial);
        return fail(ctx);
    }
    if (h.size != vkw_reader_remaining(&r)) {
        end_with_error(ctx, VKW_ERROR_BAD_SIZE, h.size, h.opcode, h.serial);
        return fail(ctx);
    }
    struct vkw_hello guest, local;
    if (!vkw_decode_hello(&r, &guest)) {
        /* decode_hello also refuses bytes after the HELLO without setting
         * an error of its own. */
        end_with_error(ctx, r.error != VKW_OK ? r.error : VKW_ERROR_TRAILING_BYTES,
                       r.error != VKW_OK ? r.error_value : vkw_reader_remaining(&r), h.opcode,
                       h.serial);
        return fail(ctx);
    }
    vkw_hello_local(&local);
    /* this host runs the memory messages */
    local.features |= VKW_FEATURE_MAPPED_MEMORY | VKW_FEATURE_TRACKED_MEMORY |
                      VKW_FEATURE_HOST_POINTER;
    local.features |= ctx->renderer->transport_features; /* the embedder serves those */
    vkw_handshake_answer(&guest, &local, &ctx->welcome);
    vkw_encode_welcome(&ctx->reply, &ctx->welcome);
    if (!ctx->welcome.accepted) {
        ctx->state = VKW_STATE_ENDED;
        ctx->status = VKW_RENDERER_HANDSHAKE_REFUSED;
        snprintf(ctx->error, sizeof(ctx->error), "handshake refused: %s", ctx->welcome.message);
        return ctx->status;
    }
    ctx->state = VKW_STATE_READY;
    return VKW_RENDERER_OK;
}

static void close_fds(const int *fds, size_t nfds)
{
    for (size_t i = 0; fds && i < nfds; i++)
        close(fds[i]);
}

enum vkw_renderer_status vkw_renderer_context_process(struct vkw_renderer_context *ctx,
                                                      const void *msg, size_t size,
                                                      const void **reply, size_t *reply_size)
{
    return vkw_renderer_context_process_fds(ctx, msg, size, NULL, 0, reply, reply_size);
}

/* The answer did not fit in memory (`bytes`: what was asked for): the
 * guest cannot be told what happened, so the context ends with the
 * smallest reply there is (in ctx->reply, unless even that failed). */
static enum vkw_renderer_status end_unanswerable(struct vkw_renderer_context *ctx, size_t bytes)
{
    if (ctx->host.error == VKW_OK)
        end_with_error(ctx, VKW_ERROR_NO_MEMORY, bytes, 0, 0);
    ctx->state = VKW_STATE_ENDED;
    ctx->status = VKW_RENDERER_PROTOCOL_ERROR;
    describe_error(ctx);
    drop_reply_fds(ctx);
    vkw_writer_fini(&ctx->reply);
    reply_fd_room(ctx);
    answer_ended(ctx); /* runs no command: no pieces */
    return ctx->status;
}

/* Both process calls: `gather` lets the reply keep bulk bytes out of the
 * writer (ctx->host.pieces, which only a pieces caller reads). */
static enum vkw_renderer_status process(struct vkw_renderer_context *ctx, const void *msg,
                                        size_t size, const int *fds, size_t nfds, bool gather,
                                        const void **reply, size_t *reply_size);

enum vkw_renderer_status vkw_renderer_context_process_fds(struct vkw_renderer_context *ctx,
                                                          const void *msg, size_t size,
                                                          const int *fds, size_t nfds,
                                                          const void **reply,
                                                          size_t *reply_size)
{
    if (reply)
        *reply = NULL;
    if (reply_size)
        *reply_size = 0;
    if (!fds && nfds)
        return VKW_RENDERER_INVALID_ARGUMENT;
    if (!ctx || !reply || !reply_size || (!msg && size)) {
        close_fds(fds, nfds);
        return VKW_RENDERER_INVALID_ARGUMENT;
    }
    return process(ctx, msg, size, fds, nfds, false, reply, reply_size);
}

enum vkw_renderer_status vkw_renderer_context_process_pieces(
    struct vkw_renderer_context *ctx, const void *msg, size_t size, const int *fds, size_t nfds,
    const struct vkw_renderer_piece **pieces, size_t *count)
{
    if (pieces)
        *pieces = NULL;
    if (count)
        *count = 0;
    if (!fds && nfds)
        return VKW_RENDERER_INVALID_ARGUMENT;
    if (!ctx || !pieces || !count || (!msg && size)) {
        close_fds(fds, nfds);
        return VKW_RENDERER_INVALID_ARGUMENT;
    }
    const void *reply;
    size_t reply_size;
    enum vkw_renderer_status status =
        process(ctx, msg, size, fds, nfds, true, &reply, &reply_size);
    /* Writer runs between the host's pieces: at most twice as many as
     * those, and one more. */
    const struct vkw_host_context *h = &ctx->host;
    const size_t most = 2 * h->piece_count + 1;
    if (most > ctx->piece_capacity) {
        struct vkw_renderer_piece *p = realloc(ctx->pieces, most * sizeof(*p));
        if (!p) {
            /* Nowhere to list them: as when the reply does not fit. */
            status = end_unanswerable(ctx, most * sizeof(*p));
            if (!ctx->reply.failed && ctx->reply.size) {
                ctx->single = (struct vkw_renderer_piece){ctx->reply.data, ctx->reply.size};
                *pieces = &ctx->single;
                *count = 1;
            }
            return status;
        }
        ctx->pieces = p;
        ctx->piece_capacity = most;
    }
    size_t n = 0, from = 0;
    for (size_t i = 0; i < h->piece_count; i++) {
        const struct vkw_host_piece *hp = &h->pieces[i];
        if (hp->at > from)
            ctx->pieces[n++] = (struct vkw_renderer_piece){ctx->reply.data + from, hp->at - from};
        ctx->pieces[n++] = (struct vkw_renderer_piece){hp->data, hp->size};
        from = hp->at;
    }
    if (reply_size > from)
        ctx->pieces[n++] = (struct vkw_renderer_piece){(const uint8_t *)reply + from,
                                                       reply_size - from};
    *pieces = ctx->pieces;
    *count = n;
    return status;
}

static enum vkw_renderer_status process(struct vkw_renderer_context *ctx, const void *msg,
                                        size_t size, const int *fds, size_t nfds, bool gather,
                                        const void **reply, size_t *reply_size)
{
    *reply = NULL;
    *reply_size = 0;
    ctx->host.gather = gather;
    ctx->host.piece_count = 0;
    ctx->host.piece_bytes = 0;
    /* From here on, whoever runs the batch closes the fds (the command
     * loop), or they are closed unused. */
    bool fds_closed = false;

    drop_reply_fds(ctx); /* the last reply's went with it */
    if (ctx->reply.capacity > VKW_REPLY_KEEP_BYTES) {
        vkw_writer_fini(&ctx->reply); /* the last big reply is no longer needed */
        reply_fd_room(ctx);
    }
    vkw_writer_reset(&ctx->reply);

    enum vkw_renderer_status status;
    if (ctx->state != VKW_STATE_READY) {
        close_fds(fds, nfds); /* a HELLO takes none; an ended context runs nothing */
        fds_closed = true;
    }
    if (ctx->state == VKW_STATE_ENDED) {
        status = answer_ended(ctx);
        goto out;
    }
    if (size > VKW_MAX_MESSAGE_BYTES) {
        end_with_error(ctx, VKW_ERROR_BAD_SIZE, size, 0, 0);
        status = fail(ctx);
        goto out;
    }
    if (size > ctx->host.limits.max_message_bytes) {
        end_with_error(ctx, VKW_ERROR_LIMIT, VKW_LIMIT_MESSAGE_BYTES, 0, 0);
        status = fail(ctx);
        goto out;
    }
    if (((uintptr_t)msg & 3u) != 0) {
        if (ctx->aligned_capacity < size) {
            void *p = malloc(size); /* malloc's memory is aligned for any type */
            if (!p) {
                end_with_error(ctx, VKW_ERROR_NO_MEMORY, size, 0, 0);
                status = fail(ctx);
                goto out;
            }
            free(ctx->aligned);
            ctx->aligned = p;
            ctx->aligned_capacity = size;
        }
        memcpy(ctx->aligned, msg, size);
        msg = ctx->aligned;
    }

    if (ctx->state == VKW_STATE_AWAIT_HELLO) {
        status = handshake(ctx, msg, size);
    } else {
        fds_closed = true; /* the loop closes them */
        status = vkw_host_context_execute_fds(&ctx->host, msg, size, fds, nfds, &ctx->reply) !=
                         VKW_OK
                     ? end_protocol(ctx, false)
                     : VKW_RENDERER_OK;
    }
    if (ctx->aligned_capacity > VKW_REPLY_KEEP_BYTES) {
        free(ctx->aligned);
        ctx->aligned = NULL;
        ctx->aligned_capacity = 0;
    }

out:
    if (!fds_closed)
        close_fds(fds, nfds); /* refused before the batch ran */
    if (ctx->reply.failed) {
        status = end_unanswerable(ctx, ctx->reply.size);
        if (ctx->reply.failed)
            return status; /* not even that: nothing to send */
    }
    *reply = ctx->reply.data;
    *reply_size = ctx->reply.size;
    return status;
}

void vkw_renderer_context_reply_fds(const struct vkw_renderer_context *ctx, const int **fds,
                                    size_t *nfds)
{
    if (fds)
        *fds = ctx && ctx->reply.nfds ? ctx->reply.fds : NULL;
    if (nfds)
        *nfds = ctx ? ctx->reply.nfds : 0;
}

const char *vkw_renderer_context_error(const struct vkw_renderer_context *ctx)
{
    return ctx ? ctx->error : "";
}

size_t vkw_renderer_context_object_count(const struct vkw_renderer_context *ctx)
{
    return ctx ? ctx->host.objects.count : 0;
}

int vkw_renderer_context_get_stats(const struct vkw_renderer_context *ctx,
                                   struct vkw_renderer_context_stats *out)
{
    if (!ctx || !out || out->size < offsetof(struct vkw_renderer_context_stats, objects) ||
        out->size > sizeof(*out))
        return -EINVAL;
    const struct vkw_host_context *h = &ctx->host;
    struct vkw_renderer_context_stats s = {.size = out->size,
                                           .objects = h->objects.count,
                                           .memory_bytes = h->memory.bytes,
                                           .memory_objects = h->memory.count,
                                           .in_flight = (size_t)h->inflight.batches,
                                           .host_fences = h->inflight.pending_count +
                                                          h->inflight.spare_count,
                                           .blocking = h->jobs.count};
    for (size_t i = 0; i < h->memory.capacity; i++) {
        const struct vkw_host_memory *m = &h->memory.slots[i];
        s.host_mappings += m->id != 0 && m->mapped;
        s.imported_mappings += m->id != 0 && m->imported;
    }
    memcpy(out, &s, out->size); /* only what the caller's struct has */
    return 0;
}

size_t vkw_renderer_context_destroy_objects(struct vkw_renderer_context *ctx)
{
    return ctx ? vkw_host_context_destroy_objects(&ctx->host) : 0;
}

void vkw_renderer_context_destroy(struct vkw_renderer_context *ctx)
{
    if (!ctx)
        return;
    drop_reply_fds(ctx);
    vkw_host_context_destroy_objects(&ctx->host);
    vkw_host_context_fini(&ctx->host);
    vkw_writer_fini(&ctx->reply);
    free(ctx->aligned);
    free(ctx->pieces);
    free(ctx);
}
