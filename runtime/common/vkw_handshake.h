/* vkw_handshake — the first exchange on every connection.
 *
 * Owns: the HELLO the guest sends and the WELCOME the host answers with
 * (doc/PROTOCOL.md, "Handshake"): protocol version and feature bits.  The
 * major version must match; the minor version is the highest opcode an end
 * knows, and the guest never sends an opcode above the smaller of the two.
 * A refusal carries a sentence that names both versions.
 */
#ifndef VKW_HANDSHAKE_H
#define VKW_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_wire.h"

#define VKW_PROTOCOL_MAGIC 0x31574b56u /* "VKW1" little-endian */
/* 2: the registry moved to Vulkan 1.4 (new structs in chains, new handle
 * types), and vk_xml_version became the whole packed registry version.
 * 3: private data is answered by the guest: its four opcodes are retired
 * and VkDevicePrivateDataCreateInfo left vkCreateDevice's chain. */
#define VKW_PROTOCOL_MAJOR 3u
/* The parts of a packed registry version (struct vkw_hello.vk_xml_version). */
#define VKW_XML_MAJOR(v) (((v) >> 22) & 0x7fu)
#define VKW_XML_MINOR(v) (((v) >> 12) & 0x3ffu)
#define VKW_XML_PATCH(v) ((v) & 0xfffu)

#define VKW_MSG_HELLO 0x10001u /* VKW_PRIVATE_OPCODE_BASE + 1; WELCOME is its reply */

/* Feature bits: what an end can do beyond forwarding commands. */
#define VKW_FEATURE_NONE 0ull
/* The mapped-memory messages (runtime/common/vkw_memory_messages.h). */
#define VKW_FEATURE_MAPPED_MEMORY (1ull << 0)
/* Tracked ranges of copied memory: TRACK_MEMORY, UNTRACK_MEMORY,
 * READ_CHANGED and SYNC_SHARED (the same header). */
#define VKW_FEATURE_TRACKED_MEMORY (1ull << 1)
/* The shared-memory ring: right after a WELCOME that agreed on it, the
 * guest may offer a ring with RING_ATTACH (alone in its message, with the
 * ring's VKW_RING_FDS descriptors); the host answers on the socket and,
 * when it accepted, both ends move every later message to the ring. */
#define VKW_FEATURE_RING (1ull << 4)
#define VKW_MSG_RING_ATTACH 0x10030u
/* (Bit 5, the sync status page, is vkw_sync_page.h's; bit 9, detached
 * calls, vkw_detach.h's.) */
/* External fds (doc/PROTOCOL.md, "External objects"): replies may carry
 * fds the driver exported (vkGetMemoryFdKHR and the like), and commands fds
 * the application imports.  A host sets it only where its embedder sends
 * each reply's fds (renderer.h: transport_features); a guest only over a
 * transport that passes fds. */
#define VKW_FEATURE_EXTERNAL_FDS (1ull << 6)
/* Host pointers an application imports (VK_EXT_external_memory_host):
 * IMPORT_HOST_POINTER and HOST_POINTER_TYPES (vkw_memory_messages.h).  A
 * guest uses them only over a transport that passes fds. */
#define VKW_FEATURE_HOST_POINTER (1ull << 7)
/* CLOCK_PROBE (0x10043): the host's clocks, read when it is handled, so
 * that the guest can tell whether they are its own (calibrated
 * timestamps).  No payload; reply: u64 CLOCK_MONOTONIC, u64
 * CLOCK_MONOTONIC_RAW (ns). */
#define VKW_FEATURE_CLOCK_PROBE (1ull << 8)
#define VKW_MSG_CLOCK_PROBE 0x10043u

/* RING_ATTACH: payload u32 ring bytes (each direction), u32 0.  Its reply:
 * u32 accepted (1 or 0), u32 0. */
void vkw_encode_ring_attach(struct vkw_writer *w, uint32_t serial, uint32_t bytes);
/* Host: whether `msg` is exactly one RING_ATTACH command (then its serial
 * and ring size are set). */
bool vkw_decode_ring_attach(const void *msg, size_t size, uint32_t *serial, uint32_t *bytes);
void vkw_encode_ring_answer(struct vkw_writer *w, uint32_t serial, bool accepted);

struct vkw_hello {
    uint32_t major;
    uint32_t minor;           /* highest opcode this end knows */
    uint32_t vk_xml_version;  /* registry the end was generated from, packed (VKW_XML_*) */
    uint64_t features;        /* what this end can do */
};

struct vkw_welcome {
    bool accepted;
    struct vkw_hello host;    /* the host's own versions */
    uint32_t minor;           /* agreed: min of both */
    uint64_t features;        /* agreed: both ends have them */
    char message[256];        /* why, when refused */
};

/* This build's own versions. */
void vkw_hello_local(struct vkw_hello *h);
/* Guest: the HELLO command message (serial 0). */
void vkw_encode_hello(struct vkw_writer *w, const struct vkw_hello *h);
/* Host: parse a HELLO payload (after its header). */
bool vkw_decode_hello(struct vkw_reader *r, struct vkw_hello *h);
/* Host: decide, filling `out` (message set when refused). */
void vkw_handshake_answer(const struct vkw_hello *guest, const struct vkw_hello *host,
                          struct vkw_welcome *out);
/* Host: the WELCOME reply message. */
void vkw_encode_welcome(struct vkw_writer *w, const struct vkw_welcome *wl);
/* Guest: parse a WELCOME payload (after its reply header). */
bool vkw_decode_welcome(struct vkw_reader *r, struct vkw_welcome *wl);

#endif /* VKW_HANDSHAKE_H */
