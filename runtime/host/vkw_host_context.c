/* vkw_host_context — see vkw_host_context.h. */
#include "vkw_host_context.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_extensions.h"
#include "vkw_handles.h"
#include "vkw_host_decode.h"
#include "vkw_host_descriptors.h"
#include "vkw_host_recording.h"
#include "vkw_vulkan_util.h"

void vkw_host_context_init(struct vkw_host_context *ctx, const struct vkw_host_limits *limits)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->limits = vkw_host_limits_resolve(limits);
    vkw_object_table_init(&ctx->objects, ctx->limits.max_objects);
    vkw_arena_init(&ctx->arena, ctx->limits.max_decode_bytes);
    vkw_host_memory_init(&ctx->memory);
    vkw_host_images_init(&ctx->images);
    vkw_host_inflight_init(&ctx->inflight);
}

void vkw_host_context_fini(struct vkw_host_context *ctx)
{
    vkw_host_jobs_stop(ctx); /* its threads wake the sync page's sleepers */
    vkw_host_syncfb_free(ctx); /* its threads first: they use the lists below */
    free(ctx->pieces);
    vkw_object_table_fini(&ctx->objects);
    vkw_arena_fini(&ctx->arena);
    vkw_host_recording_fini(&ctx->recording);
    vkw_host_memory_release_all(&ctx->memory);
    vkw_host_images_release(&ctx->images);
    /* The fences are driver objects (destroy_objects' business): only the
     * lists go here. */
    free(ctx->inflight.pending);
    free(ctx->inflight.spare);
    vkw_host_device_commands_release(&ctx->device_commands);
    memset(ctx, 0, sizeof(*ctx));
}

static void fail_context(struct vkw_host_context *ctx, enum vkw_error error, uint64_t value,
                         uint32_t opcode, uint32_t serial)
{
    if (ctx->error != VKW_OK)
        return; /* the first error stays */
    ctx->error = error;
    ctx->error_value = value;
    ctx->error_opcode = opcode;
    ctx->error_serial = serial;
}

static void write_error_reply(const struct vkw_host_context *ctx, struct vkw_writer *replies)
{
    size_t at = vkw_begin_reply(replies, ctx->error_opcode, ctx->error_serial, ctx->error);
    vkw_write_u64(replies, ctx->error_value);
    vkw_end_message(replies, at);
}

/* Below this, bytes are copied into the writer: a piece costs more than
 * the copy. */
#define VKW_PIECE_MIN_BYTES ((size_t)16 << 10)

void vkw_host_reply_bulk(struct vkw_host_context *ctx, struct vkw_writer *reply,
                         const void *bytes, size_t n)
{
    if (n == 0 || reply->failed)
        return;
    if (ctx->gather_now && n >= VKW_PIECE_MIN_BYTES) {
        if (ctx->piece_count == ctx->piece_capacity) {
            const size_t cap = ctx->piece_capacity ? ctx->piece_capacity * 2 : 16;
            struct vkw_host_piece *p = realloc(ctx->pieces, cap * sizeof(*p));
            if (p) {
                ctx->pieces = p;
                ctx->piece_capacity = cap;
            }
        }
        if (ctx->piece_count < ctx->piece_capacity) {
            ctx->pieces[ctx->piece_count++] = (struct vkw_host_piece){reply->size, bytes, n};
            ctx->piece_bytes += n;
            return;
        }
        /* No room to note it: copy after all. */
    }
    uint8_t *out = vkw_writer_reserve(reply, n);
    if (out)
        memcpy(out, bytes, n);
}

static enum vkw_error execute(struct vkw_host_context *ctx, const void *data, size_t size,
                              struct vkw_writer *replies)
{
    struct vkw_reader stream;
    vkw_reader_init(&stream, data, size, NULL);
    ctx->piece_count = 0;
    ctx->piece_bytes = 0;
    if (ctx->error == VKW_OK)
        vkw_host_jobs_reap(ctx); /* calls that returned since: their ids and replies */
    while (ctx->error == VKW_OK && vkw_reader_remaining(&stream) > 0) {
        struct vkw_command_header h;
        if (!vkw_read_command_header(&stream, &h)) {
            fail_context(ctx, VKW_ERROR_TRUNCATED, vkw_reader_remaining(&stream), 0, 0);
            break;
        }
        if (h.size % 4 != 0 || h.size > vkw_reader_remaining(&stream) ||
            h.size > VKW_MAX_MESSAGE_BYTES - VKW_HEADER_BYTES) {
            fail_context(ctx, VKW_ERROR_BAD_SIZE, h.size, h.opcode, h.serial);
            break;
        }
        if ((h.flags & ~VKW_COMMAND_FLAGS_KNOWN) != 0) {
            fail_context(ctx, VKW_ERROR_BAD_FLAGS, h.flags, h.opcode, h.serial);
            break;
        }
        /* Vulkan commands, then vkwire's own messages (HELLO is not one
         * inside a batch). */
        vkw_dispatch_fn fn = h.opcode < VKW_OPCODE_LIMIT ? vkw_dispatch_table[h.opcode]
                                                         : vkw_host_private_handler(h.opcode);
        if (!fn) {
            fail_context(ctx, VKW_ERROR_BAD_OPCODE, h.opcode, h.opcode, h.serial);
            break;
        }
        struct vkw_host_decoder d = {.objects = &ctx->objects,
                                     .opcode = h.opcode,
                                     .length = vkw_host_device_length,
                                     .owner = ctx,
                                     .fds = &ctx->fds};
        if (vkw_opcode_recorded(h.opcode) && h.size >= 8) {
            /* It may name what the guest destroyed while it was recording
             * (doc/PROTOCOL.md section 28); its first parameter is the
             * command buffer it records into. */
            struct vkw_reader first;
            vkw_reader_init(&first, stream.cur, 8, NULL);
            d.recorded = true;
            d.recording_into = vkw_read_u64(&first);
        }
        const void *payload = stream.cur;
        struct vkw_arena *arena = &ctx->arena;
        struct vkw_writer *job_reply = NULL;
        if (h.flags & VKW_COMMAND_FLAG_DETACH) {
            /* Decoded from its own copy into its own arena: a call handed
             * to a thread keeps them until it is finished. */
            uint64_t value;
            const enum vkw_error e = vkw_host_job_open(ctx, &h, stream.cur, &d.job, &value);
            if (e != VKW_OK) {
                fail_context(ctx, e, value, h.opcode, h.serial);
                break;
            }
            vkw_host_job_decoder(d.job, &payload, &arena, &job_reply);
        }
        vkw_reader_init(&d.r, payload, h.size, arena);
        d.r.fds = &ctx->fds.in;
        stream.cur += h.size;

        /* A detached command's reply waits in its call for COLLECT. */
        const bool want_reply = (h.flags & VKW_COMMAND_FLAG_REPLY) != 0 && !d.job;
        const size_t reply_start = replies->size;
        const uint32_t reply_fds_before = replies->nfds;
        const size_t pieces_before = ctx->piece_count;
        const uint64_t piece_bytes_before = ctx->piece_bytes;
        /* (never into a detached call's own reply: its pieces would be
         * spliced into this batch's) */
        ctx->gather_now = ctx->gather && vkw_reader_remaining(&stream) == 0 && !d.job;
        size_t at = want_reply ? vkw_begin_reply(replies, h.opcode, h.serial, VKW_OK) : 0;
        fn(ctx, &d, d.job ? job_reply : want_reply ? replies : NULL);
        ctx->gather_now = false;
        vkw_host_fds_settle(&ctx->fds); /* what the driver did not take */
        vkw_arena_reset(&ctx->arena);
        if (d.job)
            vkw_host_job_close(ctx, d.job, &d, vkw_reader_ok(&d.r));
        if (!vkw_reader_ok(&d.r) && d.stale != 0 && !want_reply &&
            d.r.error == VKW_ERROR_BAD_HANDLE && d.r.error_value == d.stale) {
            /* A recorded command names an object the guest destroyed while
             * the command buffer was recording, and the driver object is
             * gone: the command is skipped, and the command buffer, which
             * Vulkan now calls invalid, will not be executed. */
            vkw_host_recording_invalidate(ctx, d.recording_into);
            continue;
        }
        if (!vkw_reader_ok(&d.r)) {
            replies->size = reply_start; /* the half-written reply is replaced */
            vkw_host_reply_fds_drop(replies, reply_fds_before);
            ctx->piece_count = pieces_before;
            ctx->piece_bytes = piece_bytes_before;
            /* (a detached call's finish may have ended it first, naming that call) */
            fail_context(ctx, d.r.error, d.r.error_value, h.opcode, h.serial);
            break;
        }
        if (ctx->error != VKW_OK)
            break; /* a detached call finished meanwhile failed */
        if (want_reply)
            vkw_end_message_beside(replies, at, ctx->piece_bytes - piece_bytes_before);
        /* The batch's answer must fit the message limit, with room for
         * an error reply after it. */
        if (replies->size > ctx->limits.max_message_bytes - (VKW_HEADER_BYTES + 8)) {
            replies->size = reply_start;
            vkw_host_reply_fds_drop(replies, reply_fds_before);
            fail_context(ctx, VKW_ERROR_LIMIT, VKW_LIMIT_MESSAGE_BYTES, h.opcode, h.serial);
            break;
        }
    }
    if (ctx->error != VKW_OK) {
        write_error_reply(ctx, replies);
        vkw_host_syncfb_stopped(ctx); /* a guest asleep on the page must ask and learn */
    }
    return ctx->error;
}

enum vkw_error vkw_host_context_execute(struct vkw_host_context *ctx, const void *data,
                                        size_t size, struct vkw_writer *replies)
{
    return vkw_host_context_execute_fds(ctx, data, size, NULL, 0, replies);
}

enum vkw_error vkw_host_context_execute_fds(struct vkw_host_context *ctx, const void *data,
                                            size_t size, const int *fds, size_t nfds,
                                            struct vkw_writer *replies)
{
    if (!fds)
        nfds = 0;
    if (nfds > VKW_HOST_MAX_FDS && ctx->error == VKW_OK) {
        ctx->error = VKW_ERROR_BAD_FD;
        ctx->error_value = nfds;
        ctx->error_opcode = 0;
        ctx->error_serial = 0;
    }
    if (nfds > VKW_HOST_MAX_FDS) { /* more than the host takes: none can be named */
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        fds = NULL;
        nfds = 0;
    }
    ctx->fds.in = (struct vkw_fd_set){fds, nfds, 0};
    const enum vkw_error e = execute(ctx, data, size, replies);
    /* What no message took (a message that took one closed it, or lent it
     * to a command that closed it or gave it to the driver). */
    vkw_fd_set_close_rest(&ctx->fds.in);
    return e;
}

/* ---- asynchronous failures ---- */

void vkw_host_defer(struct vkw_host_context *ctx, uint32_t opcode, VkResult result)
{
    if (ctx->deferred_result < 0)
        return; /* the first one is what the application hears of */
    ctx->deferred_result = result;
    ctx->deferred_opcode = opcode;
    vkw_host_syncfb_note_deferred(ctx, true); /* the guest must not answer waits itself */
}

VkResult vkw_host_take_deferred(struct vkw_host_context *ctx)
{
    const VkResult result = ctx->deferred_result;
    ctx->deferred_result = VK_SUCCESS;
    ctx->deferred_opcode = 0;
    vkw_host_syncfb_note_deferred(ctx, false);
    return result;
}

/* ---- ids ---- */

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

bool vkw_host_check_new_ids(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            uint32_t type, const uint64_t *ids, uint64_t count)
{
    if (!ids || count == 0)
        return true;
    if (!vkw_host_within_object_limit(ctx, d, count))
        return false;
    const bool reissued = vkw_handle_types[type].reissued;
    for (uint64_t i = 0; i < count; i++) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, ids[i]);
        if (o && (o->flags & (VKW_OBJECT_KEPT | VKW_OBJECT_GONE))) {
            /* The guest destroyed it, and now reuses its id (PROTOCOL 6):
             * what it names from here on is the new object. */
            vkw_host_recording_reuse(ctx, ids[i]);
            o = vkw_object_table_find(&ctx->objects, ids[i]);
        }
        if (ids[i] == 0 || (o && !(reissued && o->type == type))) {
            vkw_reader_fail(&d->r, ids[i] ? VKW_ERROR_ID_IN_USE : VKW_ERROR_BAD_HANDLE, ids[i]);
            return false;
        }
    }
    if (count > 1) {
        /* Distinct within the call: sort a copy (the arena is per command). */
        uint64_t *sorted = vkw_reader_alloc(&d->r, count, sizeof(*sorted));
        if (!sorted)
            return false;
        memcpy(sorted, ids, count * sizeof(*sorted));
        qsort(sorted, count, sizeof(*sorted), compare_u64);
        for (uint64_t i = 1; i < count; i++) {
            if (sorted[i] == sorted[i - 1]) {
                vkw_reader_fail(&d->r, VKW_ERROR_ID_IN_USE, sorted[i]);
                return false;
            }
        }
    }
    return true;
}

void vkw_host_bind(struct vkw_host_context *ctx, struct vkw_host_decoder *d, uint32_t type,
                   uint64_t id, uint64_t host, uint64_t parent_id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (o && o->type == type && o->host == host && vkw_handle_types[type].reissued)
        return; /* the guest already knows this object by this id */
    if (o && o->type == type && (o->flags & VKW_OBJECT_PENDING))
        vkw_object_table_remove(&ctx->objects, id, type); /* held for this very object */
    enum vkw_error e = vkw_object_table_insert(&ctx->objects, id, type, host, parent_id);
    if (e != VKW_OK)
        vkw_reader_fail(&d->r, e, id);
}

void vkw_host_bind_failed(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          uint32_t type, uint64_t id, uint64_t parent_id)
{
    enum vkw_error e = vkw_object_table_insert_failed(&ctx->objects, id, type, parent_id);
    if (e != VKW_OK)
        vkw_reader_fail(&d->r, e, id);
}

bool vkw_host_type_has_children(uint32_t type)
{
    for (uint32_t t = 1; t < VKW_HANDLE_TYPE_COUNT; t++)
        if (vkw_handle_types[t].parent == type)
            return true;
    return false;
}

struct id_list {
    uint64_t *ids;
    size_t count, capacity;
    uint64_t parent;
    bool failed;
};

static bool append_id(struct id_list *l, uint64_t id)
{
    if (l->count == l->capacity) {
        size_t cap = l->capacity ? l->capacity * 2 : 64;
        uint64_t *ids = realloc(l->ids, cap * sizeof(*ids));
        if (!ids) {
            l->failed = true;
            return false;
        }
        l->ids = ids;
        l->capacity = cap;
    }
    l->ids[l->count++] = id;
    return true;
}

static void collect_child(const struct vkw_object *o, void *user)
{
    struct id_list *l = user;
    if (o->parent_id == l->parent && !l->failed)
        append_id(l, o->id);
}

/* Append the ids made from `parent` (of `type`), and theirs, parents
 * first.  Only types that can have children are searched for them, so a
 * buffer costs no table scan. */
static void collect_descendants(struct vkw_host_context *ctx, struct id_list *l,
                                uint64_t parent, uint32_t type)
{
    if (!vkw_host_type_has_children(type))
        return;
    const size_t first = l->count;
    l->parent = parent;
    vkw_object_table_foreach(&ctx->objects, collect_child, l);
    for (size_t i = first, end = l->count; i < end && !l->failed; i++) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, l->ids[i]);
        if (o)
            collect_descendants(ctx, l, o->id, o->type);
    }
}

uint64_t *vkw_host_collect_tree(struct vkw_host_context *ctx, uint64_t id, uint32_t type,
                                size_t *count)
{
    struct id_list l = {0};
    if (append_id(&l, id))
        collect_descendants(ctx, &l, id, type);
    if (l.failed) {
        free(l.ids);
        return NULL;
    }
    *count = l.count;
    return l.ids;
}

/* Take `id` out of the table, with what its memory and image records and
 * the recording tracker keep of it. */
static void drop_found(struct vkw_host_context *ctx, const struct vkw_object *o)
{
    const uint32_t type = o->type;
    const uint64_t id = o->id;
    vkw_host_recording_removed(ctx, o);
    vkw_host_memory_forget(ctx, type, id); /* freeing memory unmapped it */
    vkw_host_images_forget(ctx, type, id);
    vkw_object_table_remove(&ctx->objects, id, type);
}

static void drop_one(struct vkw_host_context *ctx, uint64_t id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (o)
        drop_found(ctx, o);
}

/* Drop `id`'s descendants. */
static void forget_descendants(struct vkw_host_context *ctx, uint64_t id, uint32_t type)
{
    struct id_list l = {0};
    collect_descendants(ctx, &l, id, type);
    /* Out of memory part way: what was found goes, the rest stays until
     * teardown (which never needs the table to allocate). */
    for (size_t i = 0; i < l.count; i++)
        drop_one(ctx, l.ids[i]);
    free(l.ids);
}

uint64_t vkw_host_parent_id(struct vkw_host_context *ctx, uint32_t type, uint64_t host)
{
    return host ? vkw_object_table_id_of(&ctx->objects, type, host) : 0;
}

/* `o` (found, of its type) and its descendants out of the table.  (Every
 * destroy comes here: one lookup, not one per step.) */
static void drop_tree(struct vkw_host_context *ctx, const struct vkw_object *o)
{
    const uint32_t type = o->type;
    const uint64_t id = o->id;
    drop_found(ctx, o); /* `o` is gone from here on */
    forget_descendants(ctx, id, type);
}

void vkw_host_drop(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (o && o->type == type)
        drop_tree(ctx, o);
}

void vkw_host_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    const struct vkw_object *o = vkw_object_table_find(&ctx->objects, id);
    if (!o || o->type != type)
        return; /* 0 (a legal NULL destroy) or already gone with its parent */
    /* While command buffers record, commands that name it may still come
     * (a freed descriptor set): its id stays, marked gone. */
    if (!vkw_host_recording_outlive(ctx, o))
        drop_tree(ctx, o);
    vkw_host_recording_settle(ctx);
}

void vkw_host_forget_children(struct vkw_host_context *ctx, uint32_t type, uint64_t id)
{
    if (id == 0 || !vkw_host_type_has_children(type))
        return;
    struct id_list l = {.parent = id};
    vkw_object_table_foreach(&ctx->objects, collect_child, &l);
    for (size_t i = 0; i < l.count; i++) {
        const struct vkw_object *o = vkw_object_table_find(&ctx->objects, l.ids[i]);
        if (o && !(o->flags & (VKW_OBJECT_KEPT | VKW_OBJECT_GONE)) &&
            !vkw_host_recording_outlive(ctx, o))
            drop_tree(ctx, o);
    }
    free(l.ids);
    vkw_host_recording_settle(ctx);
}

/* ---- hand-written commands ---- */

void vkw_host_vkCreateInstance(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkCreateInstance *a)
{
    if (!ctx->vk.vkCreateInstance) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkCreateInstance);
        return;
    }
    a->result = ctx->vk.vkCreateInstance(a->pCreateInfo, NULL, a->pInstance);
    if (a->result != VK_SUCCESS)
        return;
    /* Instance and device commands resolve through the instance (device
     * ones to the loader's trampolines, which serve every device of it). */
    if (ctx->get_instance_proc_addr)
        vkw_driver_table_load(&ctx->vk, ctx->get_instance_proc_addr, *a->pInstance);
    /* Its API version decides whether its devices may import guest pages;
     * without the record they do not (the guest copies instead). */
    vkw_host_memory_note_instance(ctx, a->pInstance_ids[0], a->pCreateInfo);
}

/* Narrow, then answer into the room the guest declared. */
static VkResult answer_narrowed(vkw_ask_extensions_fn ask, void *user, bool device,
                                uint32_t *pPropertyCount, VkExtensionProperties *pProperties)
{
    VkExtensionProperties *list = NULL;
    uint32_t n = 0;
    VkResult result = vkw_collect_extensions(ask, user, &list, &n);
    if (result >= 0)
        result = vkw_answer_extensions(list, vkw_keep_forwarded_extensions(list, n, device),
                                       pPropertyCount, pProperties);
    free(list);
    return result;
}

struct instance_ask {
    struct vkw_host_context *ctx;
};

static VkResult ask_instance(void *user, uint32_t *count, VkExtensionProperties *props)
{
    struct instance_ask *q = user;
    return q->ctx->vk.vkEnumerateInstanceExtensionProperties(NULL, count, props);
}

struct device_ask {
    struct vkw_host_context *ctx;
    VkPhysicalDevice physical;
};

static VkResult ask_device(void *user, uint32_t *count, VkExtensionProperties *props)
{
    struct device_ask *q = user;
    return q->ctx->vk.vkEnumerateDeviceExtensionProperties(q->physical, NULL, count, props);
}

void vkw_host_vkEnumerateInstanceExtensionProperties(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkEnumerateInstanceExtensionProperties *a)
{
    if (!ctx->vk.vkEnumerateInstanceExtensionProperties) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkEnumerateInstanceExtensionProperties);
        return;
    }
    if (a->pLayerName) {
        a->result = VK_ERROR_LAYER_NOT_PRESENT; /* host layers are not the guest's */
        return;
    }
    struct instance_ask q = {ctx};
    a->result = answer_narrowed(ask_instance, &q, false, a->pPropertyCount, a->pProperties);
}

void vkw_host_vkEnumerateDeviceExtensionProperties(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkEnumerateDeviceExtensionProperties *a)
{
    if (!ctx->vk.vkEnumerateDeviceExtensionProperties) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkEnumerateDeviceExtensionProperties);
        return;
    }
    if (a->pLayerName) {
        a->result = VK_ERROR_LAYER_NOT_PRESENT;
        return;
    }
    struct device_ask q = {ctx, a->physicalDevice};
    a->result = answer_narrowed(ask_device, &q, true, a->pPropertyCount, a->pProperties);
}

void vkw_decode_template_data(struct vkw_host_decoder *d,
                              struct vkw_args_vkUpdateDescriptorSetWithTemplate *a)
{
    if (!vkw_read_presence(&d->r))
        return;
    /* each write is at least a chain end and its fixed fields */
    const uint64_t n = vkw_read_count(&d->r, 4 * sizeof(uint32_t));
    VkWriteDescriptorSet *writes = vkw_reader_alloc(&d->r, n, sizeof(*writes));
    struct vkw_template_writes *tw = vkw_reader_alloc(&d->r, 1, sizeof(*tw));
    for (uint64_t i = 0; writes && vkw_reader_ok(&d->r) && i < n; i++) {
        vkw_decode_VkWriteDescriptorSet(d, &writes[i]);
        if (writes[i].dstSet != a->descriptorSet) /* the guest learns its own id, never ours */
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE,
                            vkw_host_id_of(d, VKW_HANDLE_VkDescriptorSet,
                                           VKW_HANDLE_U64(writes[i].dstSet)));
    }
    if (tw) {
        tw->count = n;
        tw->writes = writes;
    }
    a->pData = tw;
}

void vkw_host_vkUpdateDescriptorSetWithTemplate(struct vkw_host_context *ctx,
                                                struct vkw_host_decoder *d,
                                                struct vkw_args_vkUpdateDescriptorSetWithTemplate *a)
{
    const struct vkw_template_writes *tw = a->pData;
    if (!tw || tw->count == 0)
        return;
    if (!ctx->vk.vkUpdateDescriptorSets || tw->count > UINT32_MAX) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, VKW_CMD_vkUpdateDescriptorSetWithTemplate);
        return;
    }
    ctx->vk.vkUpdateDescriptorSets(a->device, (uint32_t)tw->count, tw->writes, 0, NULL);
}
