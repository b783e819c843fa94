/* vkw_host_track — tracked ranges: the host's half of copied mode moving
 * only what changed (doc/PROTOCOL.md, "Mapped memory";
 * runtime/common/vkw_memory_messages.h).
 *
 * Owns: for each memory the guest keeps a copied mapping of, the range it
 * maps and
 *   a mirror (COHERENT): the bytes the guest has, as of the last message
 *     that moved them, compared page by page with the host's mapping
 *     (what the device changed) and with a shared shadow (what the
 *     application changed);
 *   the guest's shadow (SHARED): its memfd, mapped here, so that bulk bytes
 *     move by memcpy in this process and never cross the socket; when the
 *     guest says the device never writes the range (UNWRITTEN), the
 *     mapping holds exactly what the guest gave it and serves as the
 *     mirror, so there is none;
 * and the handlers of TRACK_MEMORY, UNTRACK_MEMORY, READ_CHANGED and
 * SYNC_SHARED.
 *
 * The mirror is the host's own memory.  Bytes always reach the mapping and
 * the shadow from the mirror, after the mirror took them, so whatever the
 * guest does to its shadow meanwhile (it is shared, and the guest is
 * trusted with nothing) the mirror equals what the mapping got; the
 * shadow's contents are only ever copied and compared, never believed.
 * The memfd must be sealed against shrinking: pages cut from under the
 * host's mapping would crash it.
 */
#ifndef VKW_HOST_TRACK_H
#define VKW_HOST_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_host_memory;
struct vkw_writer;

struct vkw_host_track {
    uint64_t offset, size; /* the range, inside its allocation */
    bool coherent;         /* COHERENT: changes are found by comparing pages */
    uint8_t *mirror;       /* COHERENT but not UNWRITTEN: `size` bytes, else NULL */
    uint8_t *shadow;       /* SHARED: the guest's memfd mapped, else NULL */
    size_t shadow_size;    /* the length of that mapping (whole pages) */
};

/* Free a range's mirror and unmap its shadow.  NULL is ignored. */
void vkw_host_track_free(struct vkw_host_track *t);

/* WRITE_MEMORY put `count` bytes at `offset` of `rec`'s mapping: the part
 * inside a coherent range goes into its mirror too (the guest's clean copy
 * holds them). */
void vkw_host_track_written(struct vkw_host_memory *rec, uint64_t offset, const uint8_t *bytes,
                            uint64_t count);
/* READ_MEMORY's bytes [offset, offset + count) of `rec` (mapped, range
 * checked) appended to `reply`, unpadded: the part inside a coherent range
 * is taken into its mirror first and sent from there, so the guest's clean
 * copy and the mirror stay equal. */
void vkw_host_track_reply_read(struct vkw_host_context *ctx, struct vkw_host_memory *rec,
                               uint64_t offset, uint64_t count, struct vkw_writer *reply);

/* The handlers (vkw_host_private_handler). */
void vkw_host_track_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                           struct vkw_writer *reply);
void vkw_host_untrack_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_writer *reply);
void vkw_host_read_changed(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                           struct vkw_writer *reply);
void vkw_host_sync_shared(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_writer *reply);

#endif /* VKW_HOST_TRACK_H */
