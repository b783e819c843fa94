/* vkw_guest_detach — calls that may block on the host (doc/PROTOCOL.md
 * section 29, runtime/common/vkw_detach.h); vkw_call_wait_detached in
 * vkw_icd.h.
 *
 * Owns nothing but the way such a call is made: the command goes with the
 * DETACH flag and, in the same message, a COLLECT that lets the host wait
 * up to 1 ms for the answer, so a call that does not block costs one round
 * trip as before.  When the host has not finished it, the thread gives the
 * connection back, so that the application's other threads go on (one of
 * them may be what the call waits for), sleeps on the sync page (the host
 * wakes it when a detached call returns) or, without a page, a while, and
 * asks again.  It sends nothing else meanwhile: its own commands stay in
 * order.
 */
#include <string.h>

#include "vkw_detach.h"
#include "vkw_guest_conn.h"
#include "vkw_guest_sync.h"
#include "vkw_icd.h"

/* Between looks: first 50 us, then twice the last, to 1 ms (with a page a
 * look comes as soon as the host says a call returned; the bound covers a
 * wake that came just before the sleep, and hosts without a page). */
#define FIRST_PAUSE_NS 50000ull
#define LONGEST_PAUSE_NS 1000000ull

static void encode_collect(struct vkw_writer *w, uint32_t serial, uint32_t of, uint32_t wait_us)
{
    const size_t at = vkw_begin_command(w, VKW_MSG_COLLECT, VKW_COMMAND_FLAG_REPLY, serial);
    vkw_write_u32(w, of);
    vkw_write_u32(w, wait_us);
    vkw_end_message(w, at);
}

struct vkw_reader *vkw_call_wait_detached(struct vkw_call *call)
{
    struct vkw_guest_conn *conn = call->conn;
    if (!(conn->agreed_features & VKW_FEATURE_DETACH) || conn->w.failed ||
        conn->w.size < VKW_HEADER_BYTES)
        return vkw_call_wait(call, false); /* an older host: it holds the connection */
    /* The command is the writer's only message: set DETACH in its header. */
    const uint32_t serial = call->serial;
    uint32_t flags;
    memcpy(&flags, conn->w.data + 4, 4);
    flags |= VKW_COMMAND_FLAG_DETACH;
    memcpy(conn->w.data + 4, &flags, 4);
    const uint32_t first = ++conn->next_serial; /* in the connection's turn */
    encode_collect(&conn->w, first, serial, VKW_COLLECT_MAX_WAIT_US);
    struct vkw_reader *r = vkw_call_exchange(call, VKW_MSG_COLLECT, first);
    uint64_t pause = FIRST_PAUSE_NS;
    while (r) {
        const uint32_t state = vkw_read_u32(r);
        const uint32_t zero = vkw_read_u32(r);
        if (vkw_reader_ok(r) && (zero != 0 || state > VKW_COLLECT_DONE ||
                                 (state == VKW_COLLECT_RUNNING && vkw_reader_remaining(r))))
            vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, state); /* vkw_call_end: lost */
        if (!vkw_reader_ok(r) || state == VKW_COLLECT_DONE)
            return r; /* over the command's own reply payload */
        /* Still running on the host: let the other threads have the
         * connection, and look again later. */
        vkw_call_end(call, r);
        vkw_guest_sync_pause(conn, pause);
        pause = pause * 2 < LONGEST_PAUSE_NS ? pause * 2 : LONGEST_PAUSE_NS;
        struct vkw_writer *w = vkw_call_begin(conn, call);
        encode_collect(w, call->serial, serial, 0);
        r = vkw_call_exchange(call, VKW_MSG_COLLECT, call->serial);
    }
    return NULL;
}
