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

#endif /* VKW_MEMORY_MESSAGES_H */
