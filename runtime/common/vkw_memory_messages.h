/* vkw_memory_messages — vkwire's own messages for mapped memory.
 *
 * Owns: the wire form of the messages that move the bytes of host-visible
 * memory between guest and host (doc/PROTOCOL.md, "Mapped memory").  They
 * are command messages like any other (header, then payload, in a batch),
 * with opcodes from VKW_PRIVATE_OPCODE_BASE up.  Ids are the guest's ids of
 * VkDeviceMemory objects.
 *
 * Two modes, chosen per allocation by the guest:
 *   copied  the guest keeps a shadow of what it maps; WRITE_MEMORY carries
 *           bytes to the host's memory, READ_MEMORY brings them back.
 *   shared  the guest allocates the bytes itself (a memfd), sends the fd
 *           beside ALLOCATE_SHARED, and the host imports the same pages
 *           (VK_EXT_external_memory_host): no copies at all.
 *
 * Tracked ranges (feature VKW_FEATURE_TRACKED_MEMORY) make copied mode
 * move only what changed.  The guest names the range it maps
 * (TRACK_MEMORY); for coherent memory the host keeps a mirror of the bytes
 * the guest has, compared page by page (VKW_MEMORY_PAGE, counted from the
 * range's start) so that only pages that differ travel.  The shadow itself
 * may be a memfd the host maps too (SHARED): the host then compares and
 * copies between shadow, mirror and its mapping (SYNC_SHARED), and bulk
 * bytes never cross the socket.  Without SHARED the bytes travel in
 * READ_CHANGED replies and WRITE_MEMORY.
 */
#ifndef VKW_MEMORY_MESSAGES_H
#define VKW_MEMORY_MESSAGES_H

#include <stdint.h>

/* WRITE_MEMORY (no reply): u64 memory id, u64 offset, then the bytes as a
 * blob (u64 count, bytes padded to 4).  The host copies them into its
 * mapping of the memory at `offset`.  offset + count must lie within the
 * allocation; the memory must be host-visible. */
#define VKW_MSG_WRITE_MEMORY 0x10011u

/* READ_MEMORY (reply wanted): u64 memory id, u64 offset, u64 size.
 * Reply payload: the bytes as a blob (u64 count = size, bytes padded). */
#define VKW_MSG_READ_MEMORY 0x10012u

/* ALLOCATE_SHARED (reply wanted): like vkAllocateMemory, with the pages
 * supplied by the guest.  Payload: u64 device id, then a VkMemoryAllocateInfo
 * exactly as vkAllocateMemory's pAllocateInfo travels (presence word, then
 * the struct), then u64 the new memory's id, then u32 the index of the fd in
 * the transport message's fds (a memfd of at least allocationSize bytes).
 * The host maps the fd and adds VkImportMemoryHostPointerInfoEXT to the
 * chain.  Reply payload: i32 VkResult, u32 imported (1: the memory is the
 * guest's pages; 0: the host could not import and allocated ordinary
 * memory instead, so the guest must use copied mode for it).  The host
 * closes the fd either way. */
#define VKW_MSG_ALLOCATE_SHARED 0x10013u

/* The unit of comparison in a tracked range: pages of this many bytes
 * from the range's start (the last one may be shorter). */
#define VKW_MEMORY_PAGE 4096u

/* TRACK_MEMORY (reply wanted): u64 memory id, u64 offset, u64 size, u32
 * flags (VKW_TRACK_*), u32 fd index (SHARED; else 0).  The range replaces
 * any the memory had.  The host copies its bytes into the mirror
 * (COHERENT, not UNWRITTEN) and into the guest's memfd (SHARED).  Reply
 * payload: i32 VkResult (VK_ERROR_OUT_OF_HOST_MEMORY: nothing is
 * tracked). */
#define VKW_MSG_TRACK_MEMORY 0x10014u
#define VKW_TRACK_COHERENT 0x1u /* keep a mirror: compare, move only what changed */
#define VKW_TRACK_SHARED 0x2u   /* the shadow is the fd the message carries */
/* With COHERENT and SHARED: the guest says the device never writes the
 * range, so the mapping itself is what the guest last gave it: no mirror,
 * PUSH_CHANGED compares the shadow with the mapping, PULL_CHANGED is
 * refused. */
#define VKW_TRACK_UNWRITTEN 0x4u
#define VKW_TRACK_FLAGS_KNOWN (VKW_TRACK_COHERENT | VKW_TRACK_SHARED | VKW_TRACK_UNWRITTEN)

/* UNTRACK_MEMORY (no reply): u64 memory id.  Ends its tracked range, if
 * any (freeing the memory ends it too). */
#define VKW_MSG_UNTRACK_MEMORY 0x10015u

/* READ_CHANGED (reply wanted): u64 memory id, u64 offset, u64 size: a part
 * of a COHERENT, not SHARED, tracked range, starting on one of its pages,
 * at most VKW_READ_CHANGED_MAX bytes.  The host compares each page with
 * the mirror and takes the ones that differ into it.  Reply payload: u64
 * n, then n runs of changed pages in increasing order, each u64 offset (in
 * the allocation), u64 count, then the bytes as a byte run. */
#define VKW_MSG_READ_CHANGED 0x10016u
#define VKW_READ_CHANGED_MAX (128u << 20)

/* SYNC_SHARED (reply optional): u64 memory id, u64 offset, u64 size, u32
 * op: a part of a SHARED tracked range.  With the REPLY flag the reply
 * payload is u64, the bytes copied into the mapping (PUSH, FLUSH) or into
 * the shadow (PULL, INVALIDATE). */
#define VKW_MSG_SYNC_SHARED 0x10017u
enum vkw_sync_op {
    /* COHERENT ranges, starting on a page: pages where shadow and mirror
     * (UNWRITTEN: the mapping) differ go to the mapping and the mirror. */
    VKW_SYNC_PUSH_CHANGED = 1,
    /* COHERENT ranges but UNWRITTEN ones, starting on a page: pages where
     * mapping and mirror differ go to the mirror, and to the shadow unless
     * the guest changed that page (shadow != mirror) since. */
    VKW_SYNC_PULL_CHANGED = 2,
    /* Any part: shadow to mapping (and the mirror, when COHERENT). */
    VKW_SYNC_FLUSH = 3,
    /* Any part: mapping to shadow (and the mirror, when COHERENT). */
    VKW_SYNC_INVALIDATE = 4,
};

/* ---- host pointers (feature VKW_FEATURE_HOST_POINTER; doc/PROTOCOL.md,
 * "External objects") ----
 * An application's VkImportMemoryHostPointerInfoEXT names its own pages:
 * the guest moves them into a memfd mapped at the same address and the
 * host imports that memfd, as ALLOCATE_SHARED does, or nothing at all. */

/* IMPORT_HOST_POINTER (reply wanted): the payload of ALLOCATE_SHARED (u64
 * device id, VkMemoryAllocateInfo, u64 new memory id, u32 fd index), the
 * chain without the application's VkImportMemoryHostPointerInfoEXT (the
 * host chains its own).  The host imports the memfd, or allocates nothing:
 * reply payload i32 VkResult (VK_ERROR_INVALID_EXTERNAL_HANDLE where
 * ALLOCATE_SHARED would have allocated ordinary memory). */
#define VKW_MSG_IMPORT_HOST_POINTER 0x10041u
/* HOST_POINTER_TYPES (reply wanted): u64 device id.  Reply payload: i32
 * VkResult (VK_ERROR_INVALID_EXTERNAL_HANDLE: the device cannot import
 * host pointers), u32 the memory types an imported guest memfd may take,
 * as the driver's vkGetMemoryHostPointerPropertiesEXT says of one the host
 * maps. */
#define VKW_MSG_HOST_POINTER_TYPES 0x10042u

#endif /* VKW_MEMORY_MESSAGES_H */
