/* vkw_host_recording — see vkw_host_recording.h. */
#include "vkw_host_recording.h"

#include <stdlib.h>
#include <string.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_host_decode.h"
#include "vkw_vulkan_util.h"

void vkw_host_recording_fini(struct vkw_host_recording *r)
{
    free(r->open);
    free(r->per_epoch);
    free(r->held);
    memset(r, 0, sizeof(*r));
}

/* ---- queues: an array read from `head`, compacted when half is behind it */

static bool grow(void **items, size_t *head, size_t *count, size_t *capacity, size_t size)
{
    if (*head + *count < *capacity)
        return true;
    if (*head > 0 && *head >= *capacity / 2) {
        memmove(*items, (char *)*items + *head * size, *count * size);
        *head = 0;
        return true;
    }
    const size_t cap = *capacity ? *capacity * 2 : 16;
    void *p = realloc(*items, cap * size);
    if (!p)
        return false;
    *items = p;
    *capacity = cap;
    return true;
}

#define GROW(q, what) grow((void **)&(q)->what, &(q)->what##_head, &(q)->what##_count, \
                           &(q)->what##_capacity, sizeof(*(q)->what))

/* ---- epochs ---- */

static size_t *epoch_count(struct vkw_host_recording *r, uint64_t epoch)
{
    return &r->per_epoch[r->per_epoch_head + (size_t)(epoch - r->first_epoch)];
}

/* The oldest epoch with a recording open; epoch + 1 when none is. */
static uint64_t oldest_open(struct vkw_host_recording *r)
{
    while (r->per_epoch_count > 1 && r->per_epoch[r->per_epoch_head] == 0) {
        r->per_epoch_head++;
        r->per_epoch_count--;
        r->first_epoch++;
    }
    if (r->per_epoch_count == 0 || r->per_epoch[r->per_epoch_head] == 0)
        return r->epoch + 1;
    return r->first_epoch;
}

/* ---- leaving the recording state ---- */

/* Command buffer `id` stops recording (no release here: callers may be in
 * the middle of taking objects out of the table). */
static void leave(struct vkw_host_context *ctx, const struct vkw_object *o)
{
    struct vkw_host_recording *r = &ctx->recording;
    const uint64_t id = o->id;
    const size_t at = (size_t)o->note;
    if (!(o->flags & VKW_OBJECT_RECORDING) || at >= r->open_count || r->open[at].id != id)
        return;
    (*epoch_count(r, r->open[at].epoch))--;
    r->open[at] = r->open[--r->open_count];
    if (at < r->open_count) /* the last one moved into the hole */
        vkw_object_table_mark(&ctx->objects, r->open[at].id, 0, 0, at);
    vkw_object_table_mark(&ctx->objects, id, 0, VKW_OBJECT_RECORDING, 0);
}

void vkw_host_recording_removed(struct vkw_host_context *ctx, const struct vkw_object *o)
{
    if (o->flags & VKW_OBJECT_RECORDING)
        leave(ctx, o);
}

/* ---- releasing what was kept ---- */

/* The nearest device (else instance) above `o`: what its destroy takes. */
static uint64_t destroyer_parent(const struct vkw_object_table *t, const struct vkw_object *o)
{
    uint64_t instance = 0;
    for (uint64_t parent = o->parent_id, n = 0; parent != 0 && n < 16; n++) {
        const struct vkw_object *up = vkw_object_table_find(t, parent);
        if (!up)
            break;
        if (up->type == VKW_HANDLE_VkDevice)
            return up->host;
        if (up->type == VKW_HANDLE_VkInstance && instance == 0)
            instance = up->host;
        parent = up->parent_id;
    }
    return instance;
}

/* Destroy a kept object at the driver now, or just drop a gone one's id,
 * with what was made from it. */
static void release(struct vkw_host_context *ctx, uint64_t id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (!o || !(o->flags & (VKW_OBJECT_KEPT | VKW_OBJECT_GONE)))
        return;
    const uint32_t type = o->type;
    if (o->flags & VKW_OBJECT_KEPT) /* a pool's sets and buffers go with it */
        vkw_destroy_host_object(&ctx->vk, type, o->host, destroyer_parent(&ctx->objects, o));
    vkw_host_drop(ctx, type, id);
}

static void release_ready(struct vkw_host_context *ctx)
{
    struct vkw_host_recording *r = &ctx->recording;
    const uint64_t oldest = oldest_open(r);
    while (r->held_count > 0 && r->held[r->held_head].epoch < oldest) {
        const struct vkw_host_recording_entry e = r->held[r->held_head++];
        r->held_count--;
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, e.id);
        if (o && o->note == e.epoch) /* not released already, nor its id reused */
            release(ctx, e.id);
    }
}

/* Hold `id`, marked kept or gone, until the recordings open now end.
 * False when there is no room to remember it. */
static bool hold(struct vkw_host_context *ctx, uint64_t id, uint32_t flag)
{
    struct vkw_host_recording *r = &ctx->recording;
    /* Entries whose object went another way (its id reused, its device
     * destroyed) wait for their turn; a guest that makes many of them
     * must not grow the queue without end. */
    if (r->held_count > 2 * ctx->objects.count + 64) {
        size_t kept = 0;
        for (size_t i = 0; i < r->held_count; i++) {
            const struct vkw_host_recording_entry e = r->held[r->held_head + i];
            const struct vkw_object *o = vkw_object_table_find(&ctx->objects, e.id);
            if (o && (o->flags & (VKW_OBJECT_KEPT | VKW_OBJECT_GONE)) && o->note == e.epoch)
                r->held[r->held_head + kept++] = e;
        }
        r->held_count = kept;
    }
    if (!GROW(r, held))
        return false;
    r->held[r->held_head + r->held_count++] = (struct vkw_host_recording_entry){id, r->epoch};
    r->epoch_used = true;
    vkw_object_table_mark(&ctx->objects, id, flag, 0, r->epoch);
    return true;
}

/* ---- the guest destroys ---- */

bool vkw_host_keep(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    struct vkw_host_recording *r = &ctx->recording;
    if (r->open_count == 0) /* the usual case: no lookup */
        return false;
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (!o || o->type != type || (o->flags & VKW_OBJECT_UNUSABLE))
        return false;
    /* (a pool's children: a walk of the table; most types have none) */
    size_t n = 1;
    uint64_t *ids = NULL;
    if (vkw_host_type_has_children(type) && !(ids = vkw_host_collect_tree(ctx, id, type, &n)))
        return false;
    /* A destroyed command pool's buffers stop recording first: what only
     * they recorded needs nothing kept. */
    for (size_t i = 1; i < n; i++) {
        const struct vkw_object *c = vkw_object_table_find(&ctx->objects, ids[i]);
        if (c)
            leave(ctx, c);
    }
    const bool kept = r->open_count > 0 && hold(ctx, id, VKW_OBJECT_KEPT);
    for (size_t i = 1; kept && i < n; i++) /* released with it, never named alone */
        vkw_object_table_mark(&ctx->objects, ids[i], VKW_OBJECT_KEPT, 0, r->epoch);
    free(ids);
    if (!kept)
        release_ready(ctx);
    return kept;
}

bool vkw_host_recording_outlive(struct vkw_host_context *ctx, const struct vkw_object *o)
{
    struct vkw_host_recording *r = &ctx->recording;
    if (r->open_count == 0) /* nothing records: nothing to leave or to outlive */
        return false;
    const uint32_t type = o->type;
    leave(ctx, o); /* (marks in place: `o` stays valid) */
    return r->open_count > 0 && vkw_handle_type_valid(type) && vkw_handle_types[type].recorded &&
           !(o->flags & VKW_OBJECT_UNUSABLE) && hold(ctx, o->id, VKW_OBJECT_GONE);
}

void vkw_host_recording_settle(struct vkw_host_context *ctx)
{
    if (ctx->recording.held_count > 0)
        release_ready(ctx);
}

void vkw_host_recording_reuse(struct vkw_host_context *ctx, uint64_t id)
{
    release(ctx, id); /* its queue entry, left behind, finds nothing */
}

/* ---- invalid command buffers ---- */

void vkw_host_recording_invalidate(struct vkw_host_context *ctx, uint64_t id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (o && o->type == VKW_HANDLE_VkCommandBuffer)
        vkw_object_table_mark(&ctx->objects, id, VKW_OBJECT_INVALID, 0, o->note);
}

bool vkw_host_recording_executable(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   VkCommandBuffer cb)
{
    const uint64_t id = vkw_host_id_of(d, VKW_HANDLE_VkCommandBuffer, VKW_HANDLE_U64(cb));
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (o && (o->flags & VKW_OBJECT_INVALID)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
        return false;
    }
    return true;
}

/* ---- the hand-written commands ---- */

static const struct vkw_object *command_buffer(struct vkw_host_context *ctx, VkCommandBuffer cb)
{
    const uint64_t id =
        vkw_object_table_id_of(&ctx->objects, VKW_HANDLE_VkCommandBuffer, VKW_HANDLE_U64(cb));
    return vkw_object_table_find(&ctx->objects, id);
}

void vkw_host_vkBeginCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   struct vkw_args_vkBeginCommandBuffer *a)
{
    if (!ctx->vk.vkBeginCommandBuffer) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkBeginCommandBuffer);
        return;
    }
    a->result = ctx->vk.vkBeginCommandBuffer(a->commandBuffer, a->pBeginInfo);
    const struct vkw_object *o = command_buffer(ctx, a->commandBuffer);
    if (!o)
        return;
    const uint64_t id = o->id;
    leave(ctx, o); /* a begin resets a command buffer implicitly */
    struct vkw_host_recording *r = &ctx->recording;
    if (a->result >= 0) {
        if (r->per_epoch_count == 0 || r->epoch_used) {
            if (r->per_epoch_count > 0)
                r->epoch++;
            else /* the first: epochs start at 1, so that a note of 0 is none */
                r->first_epoch = r->epoch = r->epoch ? r->epoch : 1;
            r->epoch_used = false;
            if (!GROW(r, per_epoch)) {
                vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, 0);
                return;
            }
            r->per_epoch[r->per_epoch_head + r->per_epoch_count++] = 0;
        }
        if (r->open_count == r->open_capacity) {
            const size_t cap = r->open_capacity ? r->open_capacity * 2 : 16;
            struct vkw_host_recording_entry *p = realloc(r->open, cap * sizeof(*p));
            if (!p) {
                vkw_reader_fail(&d->r, VKW_ERROR_NO_MEMORY, 0);
                return;
            }
            r->open = p;
            r->open_capacity = cap;
        }
        (*epoch_count(r, r->epoch))++;
        r->open[r->open_count] = (struct vkw_host_recording_entry){id, r->epoch};
        vkw_object_table_mark(&ctx->objects, id, VKW_OBJECT_RECORDING, VKW_OBJECT_INVALID,
                              r->open_count++);
    }
    release_ready(ctx);
}

void vkw_host_vkEndCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkEndCommandBuffer *a)
{
    if (!ctx->vk.vkEndCommandBuffer) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkEndCommandBuffer);
        return;
    }
    a->result = ctx->vk.vkEndCommandBuffer(a->commandBuffer);
    const struct vkw_object *o = command_buffer(ctx, a->commandBuffer);
    if (o)
        leave(ctx, o);
    release_ready(ctx);
}

void vkw_host_vkResetCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   struct vkw_args_vkResetCommandBuffer *a)
{
    if (!ctx->vk.vkResetCommandBuffer) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkResetCommandBuffer);
        return;
    }
    a->result = ctx->vk.vkResetCommandBuffer(a->commandBuffer, a->flags);
    const struct vkw_object *o = command_buffer(ctx, a->commandBuffer);
    if (o) {
        const uint64_t id = o->id;
        leave(ctx, o);
        if (a->result >= 0) /* recorded afresh: what it skipped is forgotten */
            vkw_object_table_mark(&ctx->objects, id, 0, VKW_OBJECT_INVALID, 0);
    }
    release_ready(ctx);
}

void vkw_host_vkResetCommandPool(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkResetCommandPool *a)
{
    if (!ctx->vk.vkResetCommandPool) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkResetCommandPool);
        return;
    }
    a->result = ctx->vk.vkResetCommandPool(a->device, a->commandPool, a->flags);
    /* Its recording buffers stop recording (only those: a walk of the
     * recording list, not of the table). */
    struct vkw_host_recording *r = &ctx->recording;
    const uint64_t pool = vkw_host_parent_id(ctx, VKW_HANDLE_VkCommandPool,
                                             VKW_HANDLE_U64(a->commandPool));
    for (size_t i = r->open_count; pool != 0 && i-- > 0;) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, r->open[i].id);
        if (o && o->parent_id == pool)
            leave(ctx, o);
    }
    release_ready(ctx);
}
