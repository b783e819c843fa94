/* vkw_guest_shadow — copied mode: the guest's shadow of one mapping, kept
 * in step with the host's memory (doc/PROTOCOL.md, "Mapped memory").
 *
 * Owns: the bytes an application sees when the host does not import the
 * guest's pages, and how they travel.  Three ways, best first:
 *   shared    the shadow is a memfd the host maps too (TRACK_MEMORY with
 *             SHARED): the host compares and copies between it, its mirror
 *             and its mapping (SYNC_SHARED); only small messages cross the
 *             socket.  Needs a transport that passes fds and a host with
 *             VKW_FEATURE_TRACKED_MEMORY; VKWIRE_MEMORY=copy-socket turns it
 *             off.  Where the kernel can tell which pages the application
 *             wrote (vkw_guest_write_watch), a coherent shared shadow is
 *             *watched*: the host keeps no mirror, a push copies exactly
 *             the written pages (FLUSH) and a pull every other page
 *             (INVALIDATE), with no comparing.  A shadow the application
 *             rewrites mostly (over a quarter of it between two pushes)
 *             goes back to comparing: a page's first write after a scan
 *             costs a kernel fault, which for a whole buffer costs more than
 *             comparing it.
 *   socket    the shadow is private and every byte crosses the socket,
 *             from or into the shadow itself (no staging copy).  For
 *             coherent memory a clean copy (the bytes at the last sync)
 *             tells which pages the application changed: those go as
 *             WRITE_MEMORY; the host mirrors what the guest has, so after a
 *             wait READ_CHANGED brings back only the pages the device
 *             changed.
 *   untracked as socket, for a host without the feature: a pull reads the
 *             whole mapping.
 *
 * The rule for coherent memory, in every way: a page that both the
 * application and the device changed since the last sync keeps the
 * application's bytes (they reach the device at the next push).
 *
 * Not thread-safe: the caller (vkw_guest_memory) holds its lock; byte moves
 * are ordinary calls on the connection.
 */
#ifndef VKW_GUEST_SHADOW_H
#define VKW_GUEST_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_alloc.h"

struct vkw_guest_conn;

enum vkw_shadow_kind {
    VKW_SHADOW_SHARED,
    VKW_SHADOW_SOCKET,
    VKW_SHADOW_UNTRACKED,
};

struct vkw_guest_shadow {
    struct vkw_guest_conn *conn;
    uint64_t memory;            /* the VkDeviceMemory's id */
    VkDeviceSize offset, size;  /* the mapped range of the allocation */
    bool coherent;
    bool device_writes;         /* the device may write the memory: pulls are needed */
    bool tracked;               /* the host has a tracked range for it */
    enum vkw_shadow_kind kind;
    unsigned char *bytes;       /* what the application sees */
    unsigned char *clean;       /* socket and untracked, coherent: the bytes at the last sync */
    int memfd;                  /* shared: the shadow's memfd (kept to track it again), else -1 */
    size_t memfd_bytes;         /* shared: the length of the memfd mapping */
    bool watched;               /* shared, coherent: the kernel says which pages the
                                 * application wrote (vkw_guest_write_watch); the host
                                 * keeps no mirror and compares nothing */
    size_t placed_bytes;        /* placed (vkw_guest_shadow_open_at): the length of the
                                 * fixed mapping `bytes` begins, unmapped when it goes */
    const struct vkw_alloc *alloc; /* the memory object's: where `bytes` (when not a
                                    * mapping) and `clean` come from */
};

/* Make the shadow of [offset, offset + size) of `memory` and fill it with
 * the host's bytes.  `share`: a shared shadow may be used.
 * `device_writes`: the device may write the memory; while it cannot, a
 * coherent shadow is never pulled and the host keeps no mirror for it.
 * VK_SUCCESS, VK_ERROR_OUT_OF_HOST_MEMORY (the allocator refused), or
 * VK_ERROR_MEMORY_MAP_FAILED (no mapping, the connection lost). */
VkResult vkw_guest_shadow_open(struct vkw_guest_shadow *s, struct vkw_guest_conn *conn,
                               uint64_t memory, VkDeviceSize offset, VkDeviceSize size,
                               bool coherent, bool share, bool device_writes);
/* The same, with the shadow at the application's address `at`
 * (VK_EXT_map_memory_placed): whole pages from there are replaced by the
 * shadow's, and unmapped when it goes.  `at` NULL: anywhere, as above.
 * What the shadow allocates on the heap comes from `alloc` (the memory
 * object's allocator, which must outlive the shadow; NULL: the C
 * library; vkw_guest_shadow_open uses none). */
VkResult vkw_guest_shadow_open_at(struct vkw_guest_shadow *s, struct vkw_guest_conn *conn,
                                  uint64_t memory, VkDeviceSize offset, VkDeviceSize size,
                                  bool coherent, bool share, bool device_writes, void *at,
                                  const struct vkw_alloc *alloc);
/* From now on the device may write the memory (something it writes
 * through was bound to it): a coherent shadow pushes what changed, then
 * has the host mirror it, so that pulls can tell what the device changes.
 * False when the connection is lost. */
bool vkw_guest_shadow_device_writes(struct vkw_guest_shadow *s);
/* vkUnmapMemory: a coherent shadow pushes what changed, the host stops
 * tracking, the shadow goes. */
void vkw_guest_shadow_close(struct vkw_guest_shadow *s);
/* The memory was freed: the shadow goes without a word (the host ended
 * the tracking when it freed the memory). */
void vkw_guest_shadow_drop(struct vkw_guest_shadow *s);

/* Coherent shadows.  Push: send the pages the application changed since
 * the last sync (before a submission).  Pull: bring back the pages the
 * device changed (after a wait; nothing while the device cannot write the
 * memory).  False when the connection is lost. */
bool vkw_guest_shadow_push(struct vkw_guest_shadow *s);
bool vkw_guest_shadow_pull(struct vkw_guest_shadow *s);

/* vkFlushMappedMemoryRanges / vkInvalidateMappedMemoryRanges of `len`
 * bytes at `from` (an offset into the shadow).  For a coherent shadow they
 * are a push or a pull of the whole shadow (same rule, nothing lost). */
bool vkw_guest_shadow_flush(struct vkw_guest_shadow *s, VkDeviceSize from, VkDeviceSize len);
bool vkw_guest_shadow_invalidate(struct vkw_guest_shadow *s, VkDeviceSize from,
                                 VkDeviceSize len);

/* A memfd of `bytes` bytes (whole pages), sealed against shrinking (a
 * host mapping must never lose its pages), mapped read-write at *pages,
 * its pages allocated and mapped at once (no faults on first use).
 * The fd, or -1 (nothing left open or mapped). */
int vkw_guest_memfd(size_t bytes, void **pages);

#endif /* VKW_GUEST_SHADOW_H */
