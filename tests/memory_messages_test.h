/* memory_messages_test.h — the host tests' encoders for vkwire's mapped-
 * memory messages (runtime/common/vkw_memory_messages.h), written from the
 * contract rather than shared with the guest, so that a test checks both
 * ends against the same words; and small helpers for file descriptors.
 *
 * Header-only, static inline: any test may include it.
 */
#ifndef MEMORY_MESSAGES_TEST_H
#define MEMORY_MESSAGES_TEST_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#include "vkw_guest_encode.h"
#include "vkw_memory_messages.h"
#include "vkw_wire.h"

/* WRITE_MEMORY: id, offset, blob.  `flags` 0 or VKW_COMMAND_FLAG_REPLY. */
static inline void tm_write_memory(struct vkw_writer *w, uint32_t serial, uint32_t flags,
                                   uint64_t id, uint64_t offset, const void *bytes, size_t n)
{
    size_t at = vkw_begin_command(w, VKW_MSG_WRITE_MEMORY, flags, serial);
    vkw_write_u64(w, id);
    vkw_write_u64(w, offset);
    vkw_write_u64(w, n);
    vkw_write_bytes(w, bytes, n);
    vkw_end_message(w, at);
}

/* READ_MEMORY: id, offset, size; reply wanted. */
static inline void tm_read_memory(struct vkw_writer *w, uint32_t serial, uint64_t id,
                                  uint64_t offset, uint64_t size)
{
    size_t at = vkw_begin_command(w, VKW_MSG_READ_MEMORY, VKW_COMMAND_FLAG_REPLY, serial);
    vkw_write_u64(w, id);
    vkw_write_u64(w, offset);
    vkw_write_u64(w, size);
    vkw_end_message(w, at);
}

/* ALLOCATE_SHARED: device id, allocate info (presence, struct), new id, fd
 * index; reply wanted. */
static inline void tm_allocate_shared(struct vkw_writer *w, uint32_t serial, uint64_t device_id,
                                      const VkMemoryAllocateInfo *ai, uint64_t memory_id,
                                      uint32_t fd_index)
{
    size_t at = vkw_begin_command(w, VKW_MSG_ALLOCATE_SHARED, VKW_COMMAND_FLAG_REPLY, serial);
    vkw_write_u64(w, device_id);
    if (vkw_write_presence(w, ai))
        vkw_encode_VkMemoryAllocateInfo(w, ai);
    vkw_write_u64(w, memory_id);
    vkw_write_u32(w, fd_index);
    vkw_end_message(w, at);
}

/* TRACK_MEMORY: id, offset, size, flags, fd index; reply wanted. */
static inline void tm_track_memory(struct vkw_writer *w, uint32_t serial, uint64_t id,
                                   uint64_t offset, uint64_t size, uint32_t flags,
                                   uint32_t fd_index)
{
    size_t at = vkw_begin_command(w, VKW_MSG_TRACK_MEMORY, VKW_COMMAND_FLAG_REPLY, serial);
    vkw_write_u64(w, id);
    vkw_write_u64(w, offset);
    vkw_write_u64(w, size);
    vkw_write_u32(w, flags);
    vkw_write_u32(w, fd_index);
    vkw_end_message(w, at);
}

/* UNTRACK_MEMORY: id; no reply. */
static inline void tm_untrack_memory(struct vkw_writer *w, uint32_t serial, uint64_t id)
{
    size_t at = vkw_begin_command(w, VKW_MSG_UNTRACK_MEMORY, 0, serial);
    vkw_write_u64(w, id);
    vkw_end_message(w, at);
}

/* READ_CHANGED: id, offset, size.  `flags` 0 or VKW_COMMAND_FLAG_REPLY. */
static inline void tm_read_changed(struct vkw_writer *w, uint32_t serial, uint32_t flags,
                                   uint64_t id, uint64_t offset, uint64_t size)
{
    size_t at = vkw_begin_command(w, VKW_MSG_READ_CHANGED, flags, serial);
    vkw_write_u64(w, id);
    vkw_write_u64(w, offset);
    vkw_write_u64(w, size);
    vkw_end_message(w, at);
}

/* SYNC_SHARED: id, offset, size, op.  `flags` 0 or VKW_COMMAND_FLAG_REPLY. */
static inline void tm_sync_shared(struct vkw_writer *w, uint32_t serial, uint32_t flags,
                                  uint64_t id, uint64_t offset, uint64_t size, uint32_t op)
{
    size_t at = vkw_begin_command(w, VKW_MSG_SYNC_SHARED, flags, serial);
    vkw_write_u64(w, id);
    vkw_write_u64(w, offset);
    vkw_write_u64(w, size);
    vkw_write_u32(w, op);
    vkw_end_message(w, at);
}

/* One run of a READ_CHANGED reply. */
struct tm_run {
    uint64_t offset, count;
    const uint8_t *bytes; /* inside the reply */
};

/* Decode a READ_CHANGED reply payload into at most `max` runs; the number
 * of runs, or -1 when the payload does not decode exactly. */
static inline int tm_changed_runs(struct vkw_reader *p, struct tm_run *runs, int max)
{
    const uint64_t n = vkw_read_u64(p);
    if (!vkw_reader_ok(p) || n > (uint64_t)max)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        runs[i].offset = vkw_read_u64(p);
        runs[i].count = vkw_read_u64(p);
        const size_t padded = (size_t)((runs[i].count + 3) & ~(uint64_t)3);
        if (!vkw_reader_ok(p) || vkw_reader_remaining(p) < padded)
            return -1;
        runs[i].bytes = p->cur;
        p->cur += padded;
    }
    return vkw_reader_remaining(p) == 0 ? (int)n : -1;
}

/* A setup step failed: the test cannot go on. */
static inline void tm_bail_out(const char *what)
{
    printf("Bail out! %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Descriptors open in this process now. */
static inline int tm_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own */
}

#endif /* MEMORY_MESSAGES_TEST_H */
