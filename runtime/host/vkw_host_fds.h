/* vkw_host_fds — file descriptors on the host's side of the wire
 * (doc/PROTOCOL.md, "File descriptors").
 *
 * Owns: the fds that came with the batch being executed (taken by index;
 * the rest are closed after the batch), the ones lent to the command that
 * runs (closed after it, unless its driver took them: an import that
 * succeeded), and the rule for fds the driver exports into a reply (they
 * ride beside the reply, or are closed when they cannot).
 *
 * Ownership, which the tests count: every fd a guest sent is closed by the
 * host exactly once, or handed to the driver by an import that succeeded;
 * every fd the driver exported is closed once the reply that carries it has
 * been handed out (vkw_renderer.c), or at once when no reply carries it.
 */
#ifndef VKW_HOST_FDS_H
#define VKW_HOST_FDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_host_decoder.h"
#include "vkw_wire.h"

/* At most this many descriptors with one batch (the transport carries 16). */
#define VKW_HOST_MAX_FDS 64u

struct vkw_host_fds {
    struct vkw_fd_set in;          /* the batch's (NULL fds outside a batch) */
    int lent[VKW_HOST_MAX_FDS];    /* taken by the running command's decoder */
    uint64_t lent_import;          /* bit i: lent[i] is imported on success */
    size_t lent_count;
    bool imported;                 /* the running command's driver took its imports */
};

/* An fd parameter or member of a command (generated decoders): its index,
 * taken from the batch and lent to the command; -1 for VKW_NO_FD.
 * `import`: the driver owns it once the command succeeds
 * (vkw_host_fds_imported); otherwise the host closes it after the
 * command.  Without d->fds (tests) the caller owns it. */
int vkw_host_decode_fd(struct vkw_host_decoder *d, bool import);
/* The command's driver took the fds lent to it as imports (it succeeded). */
void vkw_host_fds_imported(struct vkw_host_decoder *d, bool taken);
/* After each command: close what it was lent and did not give away. */
void vkw_host_fds_settle(struct vkw_host_fds *f);

/* An fd the driver exported, into a reply: its index, the fd riding beside
 * the reply (owned by whoever owns the reply's fds); closed at once when it
 * cannot go (no reply, no room).  -1 travels as VKW_NO_FD. */
void vkw_host_encode_fd(struct vkw_host_decoder *d, struct vkw_writer *w, int fd);
/* Whether a reply can still carry an fd (a command that exports one asks
 * first, and answers VK_ERROR_TOO_MANY_OBJECTS when it cannot). */
static inline bool vkw_host_reply_fd_room(const struct vkw_writer *w)
{
    return w && w->nfds < w->fd_room && w->nfds < VKW_WIRE_MAX_FDS;
}
/* Close a reply's fds from index `keep` on, and forget them (a command's
 * reply that is discarded, a reply handed out). */
void vkw_host_reply_fds_drop(struct vkw_writer *w, uint32_t keep);

#endif /* VKW_HOST_FDS_H */
