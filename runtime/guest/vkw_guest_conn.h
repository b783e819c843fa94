/* vkw_guest_conn — one guest connection's state (private to runtime/guest).
 *
 * Owns: the transport connection, the handshake's outcome (and the offer
 * of a shared-memory ring after it), the writer one call at a time fills
 * under `lock`, the pending batch of commands that want no reply, serials,
 * the process-wide id counter, the reply cache, and whether the
 * connection is lost (after which every call fails at once, and whatever
 * sleeps outside the transport is woken: doc/PROTOCOL.md 26).
 */
#ifndef VKW_GUEST_CONN_H
#define VKW_GUEST_CONN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_transport.h"
#include "vkw_wire.h"

struct vkw_guest_instance;
struct vkw_reply_cache;
struct vkw_guest_sync;

#define VKW_CALL_HEAD_WORDS 8 /* VKW_CALL_HEAD_MAX bytes (vkw_icd.h) */

#define VKW_CLOCKS_KNOWN 0x1u          /* the host was asked */
#define VKW_CLOCKS_MONOTONIC 0x2u      /* its CLOCK_MONOTONIC is the guest's */
#define VKW_CLOCKS_MONOTONIC_RAW 0x4u  /* its CLOCK_MONOTONIC_RAW is the guest's */

struct vkw_guest_conn {
    struct vkw_conn *transport;
    /* One call at a time (encode, send, await), in arrival order: a ticket
     * lock, so a thread that waits in slices cannot starve the others. */
    pthread_mutex_t lock;
    pthread_cond_t turn;
    unsigned long next_ticket, serving;
    struct vkw_writer w;
    /* Whole commands that want no reply, not sent yet: they travel in one
     * message with the next command that is sent (doc/PROTOCOL.md,
     * "Pending batch").  Never holds a command with fds. */
    struct vkw_writer pending;
    struct vkw_reader reader;      /* over the current reply's payload */
    /* The fds that came with the current reply (reader.fds points here):
     * a decoder takes the ones its reply names; vkw_call_end closes the
     * rest. */
    int reply_fds[VKW_TRANSPORT_MAX_FDS];
    struct vkw_fd_set reply_fd_set;
    /* File descriptors of the application may travel: the transport passes
     * them and VKWIRE_MEMORY is not copy-socket (which stands for a
     * transport that cannot). */
    bool fds_travel;
    /* Which host clocks are the guest's own (vkw_guest_clocks.c), found on
     * first use: VKW_CLOCKS_* bits. */
    atomic_uint clocks;
    /* A reply read in parts (vkw_call_wait_parts): its first bytes, and how
     * many of the rest are still in the transport. */
    uint64_t head[VKW_CALL_HEAD_WORDS];
    size_t reply_left;
    uint32_t next_serial;
    /* Set once, in the connection's turn, and never cleared; read anywhere
     * (a wait looks at it without the turn). */
    atomic_bool lost;
    uint32_t agreed_minor;         /* highest opcode both ends know */
    uint64_t agreed_features;      /* VKW_FEATURE_* both ends have */
    struct vkw_reply_cache *cache;
    /* The instances that use it (a process's instances share one
     * connection: vkw_icd.c), linked through their records, and how many
     * hold it (instances, and one being made).  Both vkw_icd.c's, under its
     * lock. */
    struct vkw_guest_instance *instances;
    unsigned users;
    /* Fence and semaphore status from the sync page (vkw_guest_sync.h),
     * made on first use. */
    _Atomic(struct vkw_guest_sync *) sync;
    /* Set with it (conn needs no link to that module): free it, and wake
     * every thread asleep on its page (called once the connection is
     * lost, by the thread that found it out; takes no lock). */
    void (*sync_free)(struct vkw_guest_sync *);
    void (*sync_wake)(struct vkw_guest_sync *);
    char address[256];
};

/* Connect to `address` and shake hands.  0, or a negative errno with a
 * sentence in `err` that names the address. */
int vkw_guest_conn_open(const char *address, struct vkw_guest_conn **out, char *err,
                        size_t err_size);
void vkw_guest_conn_close(struct vkw_guest_conn *conn);

/* The address the ICD uses: $VKWIRE_SERVER, else the server's default. */
void vkw_guest_server_address(char *out, size_t size);

/* Take and give back the connection, first come first served. */
void vkw_guest_conn_lock(struct vkw_guest_conn *conn);
void vkw_guest_conn_unlock(struct vkw_guest_conn *conn);

/* Send `size` bytes of whole commands that want no reply (a command
 * buffer's recorded stream) as one message, in the connection's turn.
 * False when the connection is, or becomes, lost. */
bool vkw_guest_conn_send_recorded(struct vkw_guest_conn *conn, const void *bytes, size_t size);
/* Make every command handed to the connection so far visible to the host
 * (send the pending batch), in the connection's turn.  Anything that waits
 * for the host's progress without sending a command that wants a reply
 * calls it first.  It takes the connection's turn: a caller that already
 * holds it (between vkw_guest_conn_lock or vkw_call_begin and the end of
 * that call) uses vkw_guest_conn_flush_locked instead.  A failed send
 * marks the connection lost. */
void vkw_guest_conn_flush(struct vkw_guest_conn *conn);
void vkw_guest_conn_flush_locked(struct vkw_guest_conn *conn);
/* Mark the connection lost, in its turn, saying why (printed once). */
void vkw_guest_conn_fail(struct vkw_guest_conn *conn, const char *why);
/* Whether the connection is lost (any thread, no lock). */
static inline bool vkw_guest_conn_lost(const struct vkw_guest_conn *conn)
{
    return atomic_load_explicit(&conn->lost, memory_order_acquire);
}
/* For a thread about to wait for the host's progress without sending a
 * command that wants a reply (a wait or status answered from the sync
 * page): make what is pending visible to the host (as
 * vkw_guest_conn_flush), then, as no reply is awaited, take any message
 * the host sent meanwhile (only an error reply can come unasked) or its
 * end: either loses the connection, so that a host that ended the context
 * or went away is noticed without a round trip.  True while the
 * connection is not lost.  Takes the connection's turn. */
bool vkw_guest_conn_check(struct vkw_guest_conn *conn);

/* The connection the calling thread's current call runs on (for replies
 * that name objects by id). */
struct vkw_guest_conn *vkw_guest_current_conn(void);

#endif /* VKW_GUEST_CONN_H */
