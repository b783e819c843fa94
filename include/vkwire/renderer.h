/* vkwire/renderer.h — the vkwire host renderer, for embedding.
 *
 * A program that hosts Vulkan guests (a VMM, a sandbox broker, or
 * vkwire-server itself) creates one renderer, then one context per guest
 * connection, and hands each context the messages its guest sends; the
 * context answers with the bytes to send back.  How the bytes travel is the
 * caller's business.  The wire format is doc/PROTOCOL.md.
 *
 *     struct vkw_renderer *r;
 *     if (vkw_renderer_create(NULL, &r) != 0) ...;
 *     struct vkw_renderer_context *ctx = vkw_renderer_context_create(r);
 *     for (each message from the guest, with the fds it carried) {
 *         const void *reply; size_t reply_size;
 *         enum vkw_renderer_status s = vkw_renderer_context_process_fds(
 *             ctx, msg, size, fds, nfds, &reply, &reply_size);   // closes the fds
 *         if (reply_size) send reply to the guest;
 *         if (s != VKW_RENDERER_OK) { log vkw_renderer_context_error(ctx); break; }
 *     }
 *     vkw_renderer_context_destroy(ctx);   // destroys every object the guest made
 *     vkw_renderer_destroy(r);
 *
 * The first message of a context must be the guest's HELLO; the reply is
 * the WELCOME.  Every later message is a batch of commands; the reply holds
 * the replies of the commands that asked for one (it may be empty).
 *
 * There is no global state: any number of renderers and contexts may live
 * in one process.  One context must be used by one thread at a time;
 * different contexts may be used from different threads.  A context whose
 * guest breaks the protocol ends, and only that context: the renderer and
 * the others go on.  Isolation from a crash in the driver itself needs a
 * process per guest, which vkwire-server provides.
 *
 * Link with `pkg-config --cflags --libs vkwire-renderer`.
 */
#ifndef VKWIRE_RENDERER_H
#define VKWIRE_RENDERER_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vkw_renderer;
struct vkw_renderer_context;

/* Options for vkw_renderer_create.  Zero (or a NULL pointer) means the
 * default for every field; new fields are only ever appended, and `size`
 * tells the library how much of the struct the caller knows. */
struct vkw_renderer_options {
    size_t size; /* sizeof(struct vkw_renderer_options) */
    /* The Vulkan loader entry point to run guests' commands through.
     * Default: the vkGetInstanceProcAddr of the libvulkan this library is
     * linked with (which picks drivers as usual, e.g. VK_DRIVER_FILES). */
    PFN_vkGetInstanceProcAddr get_instance_proc_addr;
    /* Per-context limits (doc/PROTOCOL.md, "Limits"); 0 means the
     * default.  A guest whose command would pass one of the first four ends
     * with a `limit` protocol error that names it (and
     * vkw_renderer_context_error gives the limit's value). */
    size_t max_objects;        /* live ids; default 1,048,576 */
    size_t max_decode_bytes;   /* memory one command may need while it is
                                * decoded; past it: no_memory; default 256 MiB */
    uint64_t max_memory_bytes; /* device memory the guest's allocations may
                                * hold at once; default 16 GiB */
    size_t max_in_flight;      /* queue batches submitted and not yet
                                * finished; default 4096 */
    size_t max_message_bytes;  /* the largest message taken from the guest,
                                * and the most one batch's replies may take;
                                * default and most: 268,435,456 (256 MiB) */
    /* Feature bits the embedder's transport serves itself, added to the
     * host's in WELCOME (doc/PROTOCOL.md, "Handshake").  Bit 4, the
     * shared-memory ring (the embedder then answers RING_ATTACH before
     * the context sees it), and bit 6, external fds (the embedder sends
     * each reply's fds with it: vkw_renderer_context_reply_fds), are
     * taken; others are ignored. */
    uint64_t transport_features;
    /* Detached calls (doc/PROTOCOL.md section 29): driver calls that may
     * block, each run on a host thread of its own, in progress at once per
     * context; one more ends it with `limit blocking`.  Default 64. */
    size_t max_blocking;
};
#define VKW_RENDERER_OPTIONS_INIT {sizeof(struct vkw_renderer_options), NULL, 0, 0, 0, 0, 0, 0, 0}

/* What vkw_renderer_context_process made of a message.  After
 * PROTOCOL_ERROR or HANDSHAKE_REFUSED the context has ended: every later
 * message gets the same status and the same answer, and the connection
 * should be closed once the reply is sent. */
enum vkw_renderer_status {
    VKW_RENDERER_OK = 0,
    /* The guest broke the protocol (malformed message, unknown id, a
     * command before the handshake...).  The reply is the error reply that
     * tells the guest; vkw_renderer_context_error says why. */
    VKW_RENDERER_PROTOCOL_ERROR = 1,
    /* The handshake failed: guest and host speak incompatible protocol
     * versions.  The reply is the refusing WELCOME, which carries the
     * reason; vkw_renderer_context_error gives the same sentence. */
    VKW_RENDERER_HANDSHAKE_REFUSED = 2,
    /* The caller's mistake (a NULL context or reply pointer, or NULL
     * `msg` with a non-zero size): nothing was done, the context (if any)
     * is unchanged, and there is nothing to send. */
    VKW_RENDERER_INVALID_ARGUMENT = 3,
};

/* 0, or a negative errno value: -EINVAL (options->size too small or
 * too big for a library that old, or a NULL `out`), -ENOMEM.  Creating a
 * renderer does not touch Vulkan; the first guest's vkCreateInstance does. */
int vkw_renderer_create(const struct vkw_renderer_options *options, struct vkw_renderer **out);
/* Destroy every context of the renderer first.  NULL is ignored. */
void vkw_renderer_destroy(struct vkw_renderer *renderer);

/* A context for one guest; NULL when out of memory. */
struct vkw_renderer_context *vkw_renderer_context_create(struct vkw_renderer *renderer);

/* Handle one message from the guest: `msg` holds `size` bytes (any
 * alignment).  `*reply` and `*reply_size` receive the bytes to send back
 * (size 0: nothing to send); they stay valid until the next call on this
 * context or its destruction. */
enum vkw_renderer_status vkw_renderer_context_process(struct vkw_renderer_context *ctx,
                                                      const void *msg, size_t size,
                                                      const void **reply, size_t *reply_size);

/* The same, for a message that came with file descriptors (on a unix
 * socket, SCM_RIGHTS): `fds` holds `nfds` of them, in the order they came;
 * messages of the batch name them by index (doc/PROTOCOL.md, "Mapped
 * memory": ALLOCATE_SHARED, whose memfd the host maps and closes).  The
 * context takes them all: each is closed exactly once before this returns,
 * whatever the status (INVALID_ARGUMENT included, unless `fds` is NULL with
 * a non-zero `nfds`, which is itself refused and closes nothing).  At most
 * 64 with one message (more end the context: bad_fd). */
enum vkw_renderer_status vkw_renderer_context_process_fds(struct vkw_renderer_context *ctx,
                                                          const void *msg, size_t size,
                                                          const int *fds, size_t nfds,
                                                          const void **reply,
                                                          size_t *reply_size);

/* One run of bytes of a reply. */
struct vkw_renderer_piece {
    const void *data;
    size_t size;
};

/* The same as vkw_renderer_context_process_fds, for a caller that can send
 * a reply made of several pieces back to back (on a socket, sendmsg with
 * an iovec): bulk bytes (mapped memory read back by the guest) then stay
 * where they lie instead of being copied into the reply buffer.  The reply
 * is the concatenation of `*count` pieces (0: nothing to send); they, and
 * the bytes they point at, stay valid until the next call on this context
 * or its destruction, and must be sent before either. */
enum vkw_renderer_status vkw_renderer_context_process_pieces(
    struct vkw_renderer_context *ctx, const void *msg, size_t size, const int *fds, size_t nfds,
    const struct vkw_renderer_piece **pieces, size_t *count);

/* The file descriptors to send beside the reply the last process call
 * returned (on a unix socket, SCM_RIGHTS with its first byte), in order:
 * fds the driver exported for the guest (vkGetMemoryFdKHR and the like),
 * which the reply names by index.  None unless the renderer was created
 * with transport_features bit 6.  The context owns them and closes them at
 * its next process call or its destruction, so they must be sent (the
 * kernel duplicates them) before either.  `*fds` may be NULL when
 * `*nfds` is 0. */
void vkw_renderer_context_reply_fds(const struct vkw_renderer_context *ctx, const int **fds,
                                    size_t *nfds);

/* Why the context ended, for a person: e.g. "bad_handle 0x64 in
 * vkDestroyBuffer (serial 7)", or the handshake's refusal.  "" while the
 * context is healthy.  Valid until the context is destroyed. */
const char *vkw_renderer_context_error(const struct vkw_renderer_context *ctx);

/* Objects the guest made that are alive now (ids the context knows,
 * including physical devices, queues and pool allocations). */
size_t vkw_renderer_context_object_count(const struct vkw_renderer_context *ctx);

/* What a context holds on the host now: the counts its limits watch, and
 * the host resources that must all be back to zero once its objects are
 * destroyed.  New fields are only ever appended; `size` says how much of
 * the struct the caller knows. */
struct vkw_renderer_context_stats {
    size_t size;               /* sizeof(struct vkw_renderer_context_stats) */
    size_t objects;            /* live ids (vkw_renderer_context_object_count) */
    uint64_t memory_bytes;     /* allocationSize of its live device memory */
    size_t memory_objects;     /* its live device memory objects */
    size_t host_mappings;      /* of those, the ones the host has mapped */
    size_t imported_mappings;  /* guest pages (ALLOCATE_SHARED) the host has mapped */
    size_t in_flight;          /* queue batches not yet seen finished */
    size_t host_fences;        /* fences the host made to watch them */
    size_t blocking;           /* detached calls sent and not yet collected */
};
/* 0, or -EINVAL (NULL arguments, or out->size not set to a size this
 * library knows). */
int vkw_renderer_context_get_stats(const struct vkw_renderer_context *ctx,
                                   struct vkw_renderer_context_stats *out);

/* Destroy every object the guest made, children first, waiting for each
 * device to go idle; returns how many the driver was asked to destroy or
 * free (pool allocations, queues and physical devices go with their
 * parents and are not counted).  The context keeps its state: a healthy
 * one goes on with no objects. */
size_t vkw_renderer_context_destroy_objects(struct vkw_renderer_context *ctx);

/* Destroy the guest's objects (as above) and the context.  NULL is ignored. */
void vkw_renderer_context_destroy(struct vkw_renderer_context *ctx);

#ifdef __cplusplus
}
#endif

#endif /* VKWIRE_RENDERER_H */
