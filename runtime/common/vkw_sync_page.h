/* vkw_sync_page — the sync status page both ends share (doc/PROTOCOL.md,
 * "Sync status").
 *
 * Owns: the page's layout, the two messages that set it up (SYNC_PAGE,
 * SYNC_QUEUE) and the feature bit that allows them.  The guest makes the
 * page (a memfd) and sends it; the host only ever writes it (a guest can
 * write there too, so the host never trusts what it would read back); the
 * guest reads it to answer fence, timeline-semaphore and query waits
 * without a round trip.
 *
 * What the host publishes is per queue: how many of the guest's
 * submissions to that queue have finished (the host's own fence after
 * each submission has signalled).  The guest knows which submission
 * signals which fence or timeline value, so that count answers them.
 */
#ifndef VKW_SYNC_PAGE_H
#define VKW_SYNC_PAGE_H

#include <stdint.h>

/* Handshake feature bit: SYNC_PAGE and SYNC_QUEUE. */
#define VKW_FEATURE_SYNC_STATUS (1ull << 5)

/* SYNC_PAGE: u32 fd index.  Reply: i32 VkResult (VK_SUCCESS: the host
 * publishes into the page from now on). */
#define VKW_MSG_SYNC_PAGE 0x10021u
/* SYNC_QUEUE: u64 VkQueue id, u32 slot.  No reply payload. */
#define VKW_MSG_SYNC_QUEUE 0x10022u

#define VKW_SYNC_PAGE_BYTES 4096u
#define VKW_SYNC_QUEUE_SLOTS 64u

/* Word offsets (bytes) in the page. */
#define VKW_SYNC_WAKE_OFFSET 0u      /* u32: bumped after every publication; futex word */
#define VKW_SYNC_FLAGS_OFFSET 4u     /* u32: VKW_SYNC_FLAG_* */
#define VKW_SYNC_COMPLETED_OFFSET 64u /* u64 per slot: submissions finished */

/* A failure of an asynchronous command is kept: ask the host. */
#define VKW_SYNC_FLAG_DEFERRED 0x1u
/* The host publishes nothing more (the context ended, a device was lost,
 * or the host could not watch a queue): ask the host. */
#define VKW_SYNC_FLAG_STOPPED 0x2u

#endif /* VKW_SYNC_PAGE_H */
