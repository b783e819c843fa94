/* vkw_host_decoder — what a generated host decoder works with.
 *
 * Owns: the pairing of a message reader with the context's object table
 * (and its file descriptors, vkw_host_fds.h), and the two handle
 * translations generated host code calls: guest id to host handle (checked
 * for existence and type) and back for replies; and the parent check of
 * handles a struct names with their parent.  For a detached call
 * (vkw_host_jobs.h) every object it names is noted as it is decoded, and a
 * destroy waits for the detached calls that name what it destroys.
 */
#ifndef VKW_HOST_DECODER_H
#define VKW_HOST_DECODER_H

#include <stdbool.h>
#include <stdint.h>

#include "vkw_object_table.h"
#include "vkw_wire.h"

struct vkw_host_fds;
struct vkw_host_job;

struct vkw_host_decoder {
    struct vkw_reader r;
    struct vkw_object_table *objects;
    /* The command being decoded, for the lengths that are properties of
     * its device (gen/annotations.conf `length`): its opcode, the host
     * VkDevice it goes to (the generated decoder sets it as soon as it has
     * read that parameter, for the commands that need it), and who knows
     * that device's properties: `length(owner, d, what)` answers the
     * host's own value, UINT64_MAX for none.  NULL: no device is known,
     * and every such count is refused. */
    uint32_t opcode;
    uint64_t device;
    uint64_t (*length)(void *owner, const struct vkw_host_decoder *d, uint32_t what);
    void *owner;
    /* Where fds a command is lent go (vkw_host_fds.h); NULL in tests that
     * keep them themselves. */
    struct vkw_host_fds *fds;
    /* What a hand-written parameter decoder (encode-with host=FN) leaves
     * for its command's hand-written host function and reply: arena
     * memory, NULL otherwise. */
    void *hand_written;
    /* A recorded command (vkw_opcode_recorded), and the id of the command
     * buffer it records into (its first parameter).  Such a command may
     * name what the guest destroyed while command buffers were recording
     * (doc/PROTOCOL.md section 28): a kept object is taken as it is; a
     * gone one, or an invalid command buffer to execute, is noted in
     * `stale` and fails BAD_HANDLE, which the command loop turns into
     * skipping the command. */
    bool recorded;
    uint64_t recording_into;
    uint64_t stale;
    /* The detached call this command becomes (vkw_host_jobs.h), NULL when
     * it runs on the worker.  `owner` is then the host context. */
    struct vkw_host_job *job;
};

/* A recorded command names `id` of `type`: true, with its host handle, for
 * a usable or kept object (the command buffer recorded into must be
 * usable); false for anything else, noting a gone object (or an invalid
 * command buffer) in d->stale. */
static inline bool vkw_host_recorded_lookup(struct vkw_host_decoder *d, uint64_t id,
                                            uint32_t type, uint64_t *host)
{
    const struct vkw_object *o = vkw_object_table_find(d->objects, id);
    if (!o || o->type != type || (o->flags & (VKW_OBJECT_FAILED | VKW_OBJECT_PENDING)))
        return false;
    if (id == d->recording_into) {
        if (o->flags & VKW_OBJECT_UNUSABLE)
            return false;
    } else if (o->flags & (VKW_OBJECT_GONE | VKW_OBJECT_INVALID)) {
        d->stale = id;
        return false;
    }
    *host = o->host;
    return true;
}

static inline bool vkw_host_lookup(struct vkw_host_decoder *d, uint64_t id, uint32_t type,
                                   uint64_t *host)
{
    return d->recorded ? vkw_host_recorded_lookup(d, id, type, host)
                       : vkw_object_table_lookup(d->objects, id, type, host);
}

/* (vkw_host_jobs.c) The detached call being decoded names `id`: neither it
 * nor what it was made from may be destroyed until the call is finished. */
void vkw_host_job_pin(struct vkw_host_decoder *d, uint64_t id);
/* (vkw_host_jobs.c) `id` is about to be destroyed: first wait for, and
 * finish, the detached calls that name it or were made from it.  Nothing
 * when `owner` is no host context (NULL). */
void vkw_host_jobs_settle(struct vkw_host_decoder *d, uint64_t id);

/* For generated decoders (VKW_DEVICE_LENGTH): the count a blob of device
 * length `what` (enum vkw_device_length) must have on this host. */
static inline uint64_t vkw_host_decoder_length(const struct vkw_host_decoder *d, uint32_t what)
{
    return d->length ? d->length(d->owner, d, what) : UINT64_MAX;
}

/* Read an id and return the host handle it names; 0 is VK_NULL_HANDLE,
 * refused where vk.xml requires a handle.  An unknown id or one of another
 * type fails with VKW_ERROR_BAD_HANDLE.  `id_out` (may be NULL) receives the
 * id: destruction goes by id, since handle values need not be unique. */
static inline uint64_t vkw_host_decode_handle(struct vkw_host_decoder *d, uint32_t type,
                                              bool required, uint64_t *id_out)
{
    uint64_t id = vkw_read_u64(&d->r);
    uint64_t host = 0;
    if (id_out)
        *id_out = id;
    if (id != 0 ? !vkw_host_lookup(d, id, type, &host) : required && vkw_reader_ok(&d->r))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
    else if (id != 0 && d->job)
        vkw_host_job_pin(d, id);
    return host;
}

/* A bare uint64_t that vk.xml says is a handle of the type a sibling names
 * (objecttype=): an id of `type` (enum vkw_handle_type; 0, a type vkwire
 * does not forward, fails), translated like any other handle. */
static inline uint64_t vkw_host_decode_object(struct vkw_host_decoder *d, uint32_t type,
                                              bool required)
{
    uint64_t id = vkw_read_u64(&d->r);
    uint64_t host = 0;
    if (!vkw_reader_ok(&d->r))
        return 0;
    if (id == 0 ? required : (type == 0 || !vkw_host_lookup(d, id, type, &host)))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
    else if (id != 0 && d->job)
        vkw_host_job_pin(d, id);
    return host;
}

/* The same for what a destroy or free command destroys: an id whose
 * asynchronous creation failed is accepted too, as VK_NULL_HANDLE (which
 * every destroy command takes as "nothing to do"), so that the guest can
 * drop it like any other.  A kept or gone id was destroyed already. */
static inline uint64_t vkw_host_decode_destroyed_handle(struct vkw_host_decoder *d,
                                                        uint32_t type, bool required,
                                                        uint64_t *id_out)
{
    uint64_t id = vkw_read_u64(&d->r);
    if (id_out)
        *id_out = id;
    if (id == 0) {
        if (required && vkw_reader_ok(&d->r))
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, 0);
        return 0;
    }
    vkw_host_jobs_settle(d, id); /* no driver call may still be using it */
    const struct vkw_object *o = vkw_object_table_find(d->objects, id);
    if (!o || o->type != type || (o->flags & (VKW_OBJECT_KEPT | VKW_OBJECT_GONE))) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
        return 0;
    }
    return o->host; /* 0 for a failed object */
}

/* vk.xml makes `type`'s objects from objects of `parent_type` (a video
 * session parameters object from a session), and a struct names both: the
 * object `host` must have been made from the object `parent_host`, or the
 * driver would take one's contents for the other's (BAD_HANDLE, the
 * object's id).  A NULL handle on either side is left to the decoder's own
 * checks. */
static inline void vkw_host_check_made_from(struct vkw_host_decoder *d, uint32_t type,
                                            uint64_t host, uint32_t parent_type,
                                            uint64_t parent_host)
{
    if (!host || !parent_host || !vkw_reader_ok(&d->r))
        return;
    const uint64_t id = vkw_object_table_id_of(d->objects, type, host);
    const struct vkw_object *o = vkw_object_table_find(d->objects, id);
    if (!o || o->parent_id != vkw_object_table_id_of(d->objects, parent_type, parent_host))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
}

/* Read an enum value and check it against the selected API's values. */
static inline int32_t vkw_decode_enum(struct vkw_host_decoder *d, bool (*valid)(int32_t))
{
    int32_t v = vkw_read_i32(&d->r);
    if (vkw_reader_ok(&d->r) && !valid(v))
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_ENUM, (uint64_t)(uint32_t)v);
    return v;
}

/* The id the guest knows a host handle by (0 for VK_NULL_HANDLE or one the
 * guest was never told about). */
static inline uint64_t vkw_host_id_of(struct vkw_host_decoder *d, uint32_t type, uint64_t host)
{
    return host ? vkw_object_table_id_of(d->objects, type, host) : 0;
}

#endif /* VKW_HOST_DECODER_H */
