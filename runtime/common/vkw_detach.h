/* vkw_detach — detached calls: the driver calls that may block, run on a
 * host thread of their own (doc/PROTOCOL.md section 29).
 *
 * Owns: the feature bit, the COLLECT message and its numbers.  A guest
 * sends a command that may block (generated/vkw_host_dispatch.h:
 * vkw_dispatch_detachable) with VKW_COMMAND_FLAG_DETACH and REPLY; the host
 * runs the command's checks in stream order, the driver call on a thread,
 * and holds the reply until a COLLECT naming the command's serial asks for
 * it.  Meanwhile the host goes on with the connection's later commands,
 * which come from the guest's other threads: the thread that made the
 * call sends nothing until it has the answer, so its own order is kept.
 */
#ifndef VKW_DETACH_H
#define VKW_DETACH_H

#include <stdint.h>

/* Handshake feature bit: the DETACH flag and COLLECT. */
#define VKW_FEATURE_DETACH (1ull << 9)

/* COLLECT: u32 serial (of a DETACH command), u32 wait_us (how long the host
 * may wait for the call to finish before it answers; it waits at most
 * VKW_COLLECT_MAX_WAIT_US).  Sent with REPLY.  Reply: u32 state, u32 0,
 * then, for VKW_COLLECT_DONE, the detached command's reply payload. */
#define VKW_MSG_COLLECT 0x10051u
#define VKW_COLLECT_MAX_WAIT_US 1000u
#define VKW_COLLECT_RUNNING 0u /* not finished: ask again */
#define VKW_COLLECT_DONE 1u    /* finished: its reply follows, and the serial is free */

#endif /* VKW_DETACH_H */
