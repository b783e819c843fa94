/* vkw_server_record — what a client sent, written to a file, for the fuzzer.
 *
 * Owns: the recording of one worker's incoming transport messages when
 * VKWIRE_RECORD_DIR names a folder: each client gets its own file there,
 * client-PID-N.vkws (the worker's pid, the client's number), holding every
 * message the worker received in the stream format of
 * tests/fuzz/fuzz_host.h (u32 size, u32 number of fds, the bytes).  The
 * fds themselves are not kept: a replay stands in memfds of its own.
 *
 * For seeding the fuzzer's corpus from real programs (tests/fuzz/README);
 * never on by default, since a recording holds everything the guest sent,
 * its data included.  Failing to record is logged once and never stops
 * the client being served.
 */
#define _GNU_SOURCE /* O_CLOEXEC; before any include */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vkw_server.h"

static bool write_all(int fd, const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        ssize_t w = write(fd, p, size);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        size -= (size_t)w;
    }
    return true;
}

int vkw_record_open(unsigned long client)
{
    const char *dir = getenv("VKWIRE_RECORD_DIR");
    if (!dir || !*dir)
        return -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/client-%ld-%lu.vkws", dir, (long)getpid(), client);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        vkw_log(VKW_LOG_ERROR, "client %lu: cannot record to %s: %s", client, path,
                strerror(errno));
    else
        vkw_log(VKW_LOG_VERBOSE, "client %lu: recording to %s", client, path);
    return fd;
}

void vkw_record_message(int *fd, const void *msg, size_t size, size_t nfds)
{
    if (*fd < 0)
        return;
    unsigned char head[8];
    for (int i = 0; i < 4; i++) {
        head[i] = (unsigned char)(size >> (8 * i));
        head[4 + i] = (unsigned char)(nfds >> (8 * i));
    }
    if (!write_all(*fd, head, sizeof(head)) || !write_all(*fd, msg, size)) {
        vkw_log(VKW_LOG_ERROR, "recording stopped: %s", strerror(errno));
        close(*fd);
        *fd = -1;
    }
}
