/* vkw_host_context — one guest's state on the host, and the command loop.
 *
 * Owns: the guest's object table, the decode arena, the driver entry points
 * it calls, its memory records (vkw_host_memory.h), the pieces of the
 * current reply that stay where they lie, and the sticky error that ends
 * it.  vkw_host_context_execute runs a batch of commands (vkwire's private
 * messages included) and appends their replies; the first malformed
 * command ends the context (doc/PROTOCOL.md, "Errors") and every later batch
 * is refused with the same error.
 *
 * Also the runtime half of generated/vkw_host_dispatch.c: the functions it
 * calls to check, bind and forget guest ids, and the hand-written commands
 * gen/annotations.conf names.
 */
#ifndef VKW_HOST_CONTEXT_H
#define VKW_HOST_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_arena.h"
#include "vkw_host_decoder.h"
#include "vkw_host_device_commands.h"
#include "vkw_host_fds.h"
#include "vkw_host_dispatch.h"
#include "vkw_host_image_copy.h"
#include "vkw_host_inflight.h"
#include "vkw_host_jobs.h"
#include "vkw_host_limits.h"
#include "vkw_host_memory.h"
#include "vkw_host_recording.h"
#include "vkw_host_syncfb.h"
#include "vkw_teardown.h"
#include "vkw_object_table.h"
#include "vkw_wire.h"

struct vkw_args_vkCreateInstance;
struct vkw_args_vkEnumerateInstanceExtensionProperties;
struct vkw_args_vkEnumerateDeviceExtensionProperties;
struct vkw_args_vkUpdateDescriptorSetWithTemplate;

/* vkUpdateDescriptorSetWithTemplate's pData as it arrives: the descriptor
 * writes the guest's template made of the application's bytes. */
struct vkw_template_writes {
    uint64_t count;
    const VkWriteDescriptorSet *writes;
};

/* Reply bytes that travel from where they lie (a mapping, a mirror)
 * instead of being copied into the reply writer: they belong before writer
 * offset `at`. */
struct vkw_host_piece {
    size_t at;
    const void *data;
    size_t size;
};

struct vkw_host_context {
    struct vkw_driver_table vk;
    /* The loader's entry point; vkCreateInstance reloads `vk` through it.
     * NULL for contexts whose `vk` a test fills by hand. */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    struct vkw_object_table objects;
    struct vkw_arena arena;
    /* Memory objects, devices and instances as the host's memory support
     * knows them. */
    struct vkw_host_memory_state memory;
    /* What sizes a host image copy of each image (vkw_host_image_copy.h). */
    struct vkw_host_images images;
    /* The batch's file descriptors, and those lent to the running command. */
    struct vkw_host_fds fds;
    /* The first failure of an asynchronous command (a VkResult nobody
     * waited for) and its opcode, until a command that reports it. */
    VkResult deferred_result;
    uint32_t deferred_opcode;
    /* Reply pieces: `gather` is set by a caller that sends them
     * (vkw_renderer_context_process_pieces); the command loop allows them
     * only for a batch's last command (`gather_now`), so that nothing a
     * later command does (freeing the memory) can pull bytes from under a
     * piece before the reply is sent.  Valid until the next batch. */
    bool gather, gather_now;
    struct vkw_host_piece *pieces;
    size_t piece_count, piece_capacity;
    uint64_t piece_bytes; /* their sizes added up */
    /* What this guest may hold (resolved: no zeros), and its queue work. */
    struct vkw_host_limits limits;
    struct vkw_host_inflight inflight;
    /* The sync status page and its completion threads, once the guest
     * sent one (vkw_host_syncfb.h); NULL before. */
    struct vkw_host_syncfb *syncfb;
    /* Detached calls and the threads that run them (vkw_host_jobs.h). */
    struct vkw_host_jobs jobs;
    /* What each of its devices can take (vkGetDeviceProcAddr's answers). */
    struct vkw_host_device_commands device_commands;
    /* Its command buffers that record, and what it destroyed meanwhile. */
    struct vkw_host_recording recording;
    /* Sticky: once set the context is dead. */
    enum vkw_error error;
    uint64_t error_value;
    uint32_t error_opcode;
    uint32_t error_serial;
};

/* Asynchronous commands (doc/PROTOCOL.md, "Asynchronous commands"): keep
 * the first failure; the next command that reports one (vkWaitForFences and
 * the other waits) returns it instead of running, and clears it. */
void vkw_host_defer(struct vkw_host_context *ctx, uint32_t opcode, VkResult result);
static inline bool vkw_host_deferred_pending(const struct vkw_host_context *ctx)
{
    return ctx->deferred_result < 0;
}
VkResult vkw_host_take_deferred(struct vkw_host_context *ctx);

/* `limits` may be NULL, and its zero fields mean, the defaults.  The caller
 * fills ctx->vk. */
void vkw_host_context_init(struct vkw_host_context *ctx, const struct vkw_host_limits *limits);
/* Frees what the context itself holds (imported guest pages included).  The
 * driver objects the guest made are vkw_host_context_destroy_objects' to
 * destroy, first. */
void vkw_host_context_fini(struct vkw_host_context *ctx);

/* Destroy every driver object the guest made, children first: detached
 * calls are waited for and finished first (vkw_host_jobs_stop); each device
 * is waited idle, then objects go in decreasing depth of their parent chain
 * (device children, devices, instances); pool allocations, queues and
 * physical devices go with their parents.  Memory records are dropped
 * (freeing memory unmaps it) and imported guest pages unmapped, after the
 * driver freed the memory.  Afterwards the object table is empty and the
 * context could serve a new guest (its sticky error stays).  Returns how
 * many objects were destroyed by a destroy or free command.  Allocates
 * nothing, so it cannot fail. */
size_t vkw_host_context_destroy_objects(struct vkw_host_context *ctx);

/* Run the commands in `data` (4-byte aligned), appending replies for those
 * that ask.  Returns VKW_OK, or the error that ended the context, after
 * appending an error reply that names it. */
enum vkw_error vkw_host_context_execute(struct vkw_host_context *ctx, const void *data,
                                        size_t size, struct vkw_writer *replies);
/* The same, for a batch that came with `nfds` file descriptors (for
 * ALLOCATE_SHARED, which names them by index).  Takes them: each is closed
 * exactly once before this returns, whether a message used it or not and
 * whatever the outcome (a dead context, an error, more than
 * VKW_HOST_MAX_FDS of them: BAD_FD with value nfds). */
enum vkw_error vkw_host_context_execute_fds(struct vkw_host_context *ctx, const void *data,
                                            size_t size, const int *fds, size_t nfds,
                                            struct vkw_writer *replies);

/* Append `n` bytes to the reply being written into `reply` (the start of
 * a byte run or part of one; the caller pads it).  Copied into the writer,
 * or, where gathering is allowed and the run is big, recorded as a piece:
 * the bytes must then stay put until the batch's reply has been sent. */
void vkw_host_reply_bulk(struct vkw_host_context *ctx, struct vkw_writer *reply,
                         const void *bytes, size_t n);

/* ---- called by generated dispatch ---- */

/* Ids for new objects: non-zero, distinct, unused (ids of objects the driver
 * hands out again, such as physical devices, may name the same type again),
 * and within the object limit.  Fails the decoder otherwise. */
bool vkw_host_check_new_ids(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                            uint32_t type, const uint64_t *ids, uint64_t count);
/* Record a new object under its guest id, as a child of `parent_id` (0: none).
 * An id a detached call holds PENDING for it is bound in its place. */
void vkw_host_bind(struct vkw_host_context *ctx, struct vkw_host_decoder *d, uint32_t type,
                   uint64_t id, uint64_t host, uint64_t parent_id);
/* An asynchronous creation failed (its VkResult is deferred): the guest
 * already names the object by `id`, so the id is bound to a failed object
 * (VKW_OBJECT_FAILED).  Naming it later is BAD_HANDLE, except to destroy
 * it, which frees the id; teardown skips it. */
void vkw_host_bind_failed(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          uint32_t type, uint64_t id, uint64_t parent_id);
/* The id of a parent named by its host handle (inside a create info). */
uint64_t vkw_host_parent_id(struct vkw_host_context *ctx, uint32_t type, uint64_t host);
/* Drop a destroyed object's id and every id made from it; while command
 * buffers record, an object recorded commands name keeps its id, marked
 * gone (vkw_host_recording.h). */
void vkw_host_forget(struct vkw_host_context *ctx, uint32_t type, uint64_t id);
/* The same for every id made from an object that lives on
 * (vkResetDescriptorPool). */
void vkw_host_forget_children(struct vkw_host_context *ctx, uint32_t type, uint64_t id);
/* Drop `id` and every id made from it now, whatever records. */
void vkw_host_drop(struct vkw_host_context *ctx, uint32_t type, uint64_t id);
/* Whether objects of some type are made from objects of `type`. */
bool vkw_host_type_has_children(uint32_t type);
/* `id` and the ids made from it, and theirs, parents first (malloc'd;
 * `*count` of them); NULL when out of memory. */
uint64_t *vkw_host_collect_tree(struct vkw_host_context *ctx, uint64_t id, uint32_t type,
                                size_t *count);

/* Hand-written commands (gen/annotations.conf). */
void vkw_host_vkCreateInstance(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                               struct vkw_args_vkCreateInstance *a);
/* The driver's extension lists, narrowed to what this host forwards. */
void vkw_host_vkEnumerateInstanceExtensionProperties(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkEnumerateInstanceExtensionProperties *a);
void vkw_host_vkEnumerateDeviceExtensionProperties(
    struct vkw_host_context *ctx, struct vkw_host_decoder *d,
    struct vkw_args_vkEnumerateDeviceExtensionProperties *a);
/* (vkCreateDevice, vkAllocateMemory, vkMapMemory, vkUnmapMemory: vkw_host_memory.h) */
/* The encode-with hook for vkUpdateDescriptorSetWithTemplate.pData: decodes
 * the writes (all aimed at the command's descriptorSet) into a
 * struct vkw_template_writes that a->pData then points at. */
void vkw_decode_template_data(struct vkw_host_decoder *d,
                              struct vkw_args_vkUpdateDescriptorSetWithTemplate *a);
/* Applies those writes with vkUpdateDescriptorSets: same effect, and the
 * host needs no copy of the guest's template. */
void vkw_host_vkUpdateDescriptorSetWithTemplate(struct vkw_host_context *ctx,
                                                struct vkw_host_decoder *d,
                                                struct vkw_args_vkUpdateDescriptorSetWithTemplate *a);
/* The host's mapping of a memory object (host handle), pointing at offset
 * 0 of the allocation, or NULL while the host has not mapped it. */
void *vkw_host_mapping_of(const struct vkw_host_context *ctx, uint64_t memory);

#endif /* VKW_HOST_CONTEXT_H */
