/* vkw_host_recording — the guest's command buffers that are recording, and
 * what the guest destroyed while they were (doc/PROTOCOL.md section 28).
 *
 * Owns: which command buffers are in the recording state (begun, and not
 * ended, reset or freed since), in epochs; the objects the guest destroyed
 * while some were, which recorded commands still to come may name: kept
 * (VKW_OBJECT_KEPT: the driver object lives on) or gone (VKW_OBJECT_GONE:
 * only the id is left, for a freed descriptor set), each with the epoch it
 * was destroyed in; and the release of those once every recording that
 * was open then has ended.  Also the hand-written vkBeginCommandBuffer,
 * vkEndCommandBuffer, vkResetCommandBuffer and vkResetCommandPool
 * (gen/annotations.conf), which move command buffers in and out of it, and
 * the refusal to execute a command buffer that skipped a command naming a
 * gone object (Vulkan calls it invalid).
 *
 * Why here and not in the guest: the guest records without a lock and
 * sends a command buffer's commands later than the application recorded
 * them (PROTOCOL 16.3), so an object destroyed meanwhile reaches the host
 * before commands that name it.  Holding the guest's destroy back until
 * those recordings were sent would take a lock on every recording thread
 * and could not hold a descriptor pool reset (the next allocation needs
 * it); the host sees every begin, end and destroy in order and can keep
 * the object exactly as long as needed, while ids that never existed stay
 * BAD_HANDLE.
 *
 * Epochs: a command buffer that begins joins the current epoch; the epoch
 * moves on at the first begin after something was kept or gone in it.  An
 * object destroyed in epoch E waits for the recordings of epochs up to E;
 * it is released once none of them is open.  Each epoch's open count is a
 * queue entry, so this costs O(1) per begin, end and destroy, and what it
 * holds is bounded by the objects kept (which count against the guest's
 * object limit).  A command buffer left recording for good holds what was
 * destroyed after it began until the context ends.
 */
#ifndef VKW_HOST_RECORDING_H
#define VKW_HOST_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

struct vkw_host_context;
struct vkw_object;
struct vkw_host_decoder;
struct vkw_args_vkBeginCommandBuffer;
struct vkw_args_vkEndCommandBuffer;
struct vkw_args_vkResetCommandBuffer;
struct vkw_args_vkResetCommandPool;

struct vkw_host_recording_entry {
    uint64_t id;    /* a recording command buffer; or a kept or gone object */
    uint64_t epoch; /* when it began; when it was destroyed */
};

struct vkw_host_recording {
    /* Command buffers recording, in no order; each one's table note is its
     * index here. */
    struct vkw_host_recording_entry *open;
    size_t open_count, open_capacity;
    /* Recordings still open per epoch, epochs first_epoch .. epoch. */
    size_t *per_epoch;
    size_t per_epoch_head, per_epoch_count, per_epoch_capacity;
    uint64_t first_epoch, epoch;
    bool epoch_used; /* something was kept or gone in `epoch` */
    /* Kept and gone objects, oldest epoch first (an id may be gone from the
     * table meanwhile, or name something else: checked on release). */
    struct vkw_host_recording_entry *held;
    size_t held_head, held_count, held_capacity;
};

/* (an all-zero state is valid) */
void vkw_host_recording_fini(struct vkw_host_recording *r);

/* The guest destroys `id` (a generated vkDestroy* that keeps, PROTOCOL
 * 28): while a command buffer records, mark it and its descendants kept
 * and put the driver's destroy off; true then.  False: destroy it now. */
bool vkw_host_keep(struct vkw_host_context *ctx, uint32_t type, uint64_t id);
/* The driver destroyed or freed `o` (vkw_host_forget, and for each child
 * vkw_host_forget_children), which is about to leave the table.  A
 * command buffer stops recording.  While others record, an object of a
 * type recorded commands name is marked gone instead: true then, and the
 * id stays. */
bool vkw_host_recording_outlive(struct vkw_host_context *ctx, const struct vkw_object *o);
/* Called for each object leaving the table: a recording command buffer
 * stops recording. */
void vkw_host_recording_removed(struct vkw_host_context *ctx, const struct vkw_object *o);
/* After objects left the table or stopped recording: release what no
 * open recording needs any more. */
void vkw_host_recording_settle(struct vkw_host_context *ctx);
/* A new id is about to be bound where a kept or gone object still has it:
 * the guest reused its id, so what it names from now on is the new object;
 * the old one is released now. */
void vkw_host_recording_reuse(struct vkw_host_context *ctx, uint64_t id);

/* A recorded command into command buffer `id` named a gone object and was
 * skipped: it can no longer be executed. */
void vkw_host_recording_invalidate(struct vkw_host_context *ctx, uint64_t id);
/* A submission executes command buffer `cb` (a host handle): BAD_HANDLE
 * with its id, and false, if it skipped a command (Vulkan calls it invalid,
 * and a driver would run it without what it skipped). */
bool vkw_host_recording_executable(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   VkCommandBuffer cb);

/* Hand-written (gen/annotations.conf). */
void vkw_host_vkBeginCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   struct vkw_args_vkBeginCommandBuffer *a);
void vkw_host_vkEndCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkEndCommandBuffer *a);
void vkw_host_vkResetCommandBuffer(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                   struct vkw_args_vkResetCommandBuffer *a);
void vkw_host_vkResetCommandPool(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                 struct vkw_args_vkResetCommandPool *a);

#endif /* VKW_HOST_RECORDING_H */
