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
