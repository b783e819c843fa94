/* test_guest_batch — the guest's pending batch (runtime/guest/vkw_guest_conn.c,
 * doc/PROTOCOL.md 16.5) against a fake host that records every transport
 * message it gets, over the socket and over the shared-memory ring the
 * guest offers (the fake host takes it).
 *
 * Checked: commands without a reply wait and travel, in order, in the
 * message of the next command that wants one; vkw_guest_conn_flush sends
 * them alone; vkQueueSubmit goes at once and takes them along; a command
 * with fds takes them along and its fd still comes with its message; the
 * batch never passes 256 KiB (it is sent before); closing the connection
 * sends what is pending; a recorded stream joins the batch when small and
 * goes at once when big.
 */
#define _GNU_SOURCE /* mkdtemp */

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_host_welcome.h"
#include "tap.h"
#include "vkw_guest_conn.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_memory_messages.h"
#include "vkw_protocol.h"
#include "vkw_transport.h"
#include "vkw_wire.h"

#define MAX_MSGS 64
#define MAX_CMDS 4096

/* What the fake host saw: per message, its commands' opcodes and its fd
 * count. */
static struct {
    pthread_mutex_t lock;
    struct vkw_listener *listener;
    pthread_t thread;
    uint64_t features;
    bool ring; /* the ring was taken */
    size_t msgs;
    size_t cmds[MAX_MSGS], fds[MAX_MSGS], bytes[MAX_MSGS];
    uint32_t first_op[MAX_MSGS], last_op[MAX_MSGS];
} host = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void record(const unsigned char *data, size_t size, size_t nfds, struct vkw_writer *reply)
{
    pthread_mutex_lock(&host.lock);
    const size_t m = host.msgs < MAX_MSGS ? host.msgs++ : MAX_MSGS - 1;
    host.cmds[m] = 0;
    host.fds[m] = nfds;
    host.bytes[m] = size;
    while (size >= VKW_HEADER_BYTES) {
        uint32_t op, flags, len, serial;
        memcpy(&op, data, 4), memcpy(&flags, data + 4, 4), memcpy(&len, data + 8, 4);
        memcpy(&serial, data + 12, 4);
        if (host.cmds[m]++ == 0)
            host.first_op[m] = op;
        host.last_op[m] = op;
        if (flags & VKW_COMMAND_FLAG_REPLY) {
            size_t at = vkw_begin_reply(reply, op, serial, VKW_OK);
            vkw_end_message(reply, at);
        }
        if (len > size - VKW_HEADER_BYTES)
            break;
        data += VKW_HEADER_BYTES + len, size -= VKW_HEADER_BYTES + len;
    }
    pthread_mutex_unlock(&host.lock);
}

static void *host_main(void *arg)
{
    (void)arg;
    struct vkw_conn *c;
    if (vkw_listener_accept(host.listener, &c, NULL, 0) != 0)
        return NULL;
    struct vkw_writer w;
    vkw_writer_init(&w);
    const void *data;
    size_t size, nfds;
    int fds[VKW_TRANSPORT_MAX_FDS];
    if (fake_host_welcome(c, host.features, &w)) {
        while (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds) == 0) {
            vkw_writer_reset(&w);
            uint32_t serial, bytes;
            if (!vkw_conn_ring_active(c) && vkw_decode_ring_attach(data, size, &serial, &bytes)) {
                const bool took = vkw_conn_ring_attach(c, fds, nfds, bytes, NULL, 0) == 0;
                /* Known before the answer leaves: the guest checks it as
                 * soon as it has connected. */
                pthread_mutex_lock(&host.lock);
                host.ring = took;
                pthread_mutex_unlock(&host.lock);
                vkw_encode_ring_answer(&w, serial, took);
                vkw_conn_send(c, w.data, w.size, NULL, 0);
                if (took)
                    vkw_conn_ring_start(c);
                continue;
            }
            for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
            record(data, size, nfds, &w);
            if (w.size && vkw_conn_send(c, w.data, w.size, NULL, 0) != 0)
                break;
        }
    }
    vkw_writer_fini(&w);
    vkw_conn_close(c);
    return NULL;
}

static char address[160];

static struct vkw_guest_conn *connect_to_host(uint64_t features)
{
    host.features = features;
    host.msgs = 0;
    host.ring = false;
    if (pthread_create(&host.thread, NULL, host_main, NULL) != 0)
        BAIL_OUT("pthread_create");
    struct vkw_guest_conn *conn = NULL;
    char err[256];
    if (vkw_guest_conn_open(address, &conn, err, sizeof(err)) != 0)
        BAIL_OUT("connect: %s", err);
    return conn;
}

/* One command of `payload` bytes (a multiple of 4), with or without a
 * reply; `fd` >= 0 travels with it. */
static bool command(struct vkw_guest_conn *conn, uint32_t opcode, bool reply, size_t payload,
                    int fd)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    size_t at = vkw_begin_command(w, opcode, reply ? VKW_COMMAND_FLAG_REPLY : 0, call.serial);
    for (size_t i = 0; i < payload / 4; i++)
        vkw_write_u32(w, (uint32_t)i);
    vkw_end_message(w, at);
    if (fd >= 0) {
        call.fds = &fd;
        call.nfds = 1;
    }
    if (!reply)
        return vkw_call_send(&call);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    return vkw_call_end(&call, r);
}

static size_t msgs(void)
{
    pthread_mutex_lock(&host.lock);
    size_t n = host.msgs;
    pthread_mutex_unlock(&host.lock);
    return n;
}

static void scenario(bool ring)
{
    const char *via = ring ? "ring" : "socket";
    struct vkw_guest_conn *conn =
        connect_to_host(VKW_FEATURE_MAPPED_MEMORY | (ring ? VKW_FEATURE_RING : 0));
    pthread_mutex_lock(&host.lock);
    const bool host_ring = host.ring;
    pthread_mutex_unlock(&host.lock);
    ok(host_ring == ring, "%s: the fake host %s the ring", via, ring ? "took" : "was not offered");

    /* Three destroys, then a command that wants a reply. */
    bool sent = command(conn, VKW_CMD_vkDestroyBuffer, false, 24, -1) &&
                command(conn, VKW_CMD_vkDestroyImage, false, 24, -1) &&
                command(conn, VKW_CMD_vkDestroyFence, false, 24, -1) &&
                command(conn, VKW_CMD_vkGetFenceStatus, true, 16, -1);
    ok(sent && msgs() == 1 && host.cmds[0] == 4 && host.first_op[0] == VKW_CMD_vkDestroyBuffer &&
           host.last_op[0] == VKW_CMD_vkGetFenceStatus,
       "%s: 3 commands without a reply travel in the message of the next one that has one", via);

    /* An explicit flush. */
    command(conn, VKW_CMD_vkDestroyBuffer, false, 24, -1);
    command(conn, VKW_CMD_vkDestroyBuffer, false, 24, -1);
    vkw_guest_conn_flush(conn);
    command(conn, VKW_CMD_vkGetFenceStatus, true, 16, -1);
    ok(msgs() == 3 && host.cmds[1] == 2 && host.cmds[2] == 1,
       "%s: vkw_guest_conn_flush sends the 2 pending alone", via);

    /* A submission goes at once, with the batch; nothing waits after it. */
    command(conn, VKW_CMD_vkResetFences, false, 24, -1);
    command(conn, VKW_CMD_vkQueueSubmit, false, 32, -1);
    vkw_guest_conn_flush(conn); /* nothing pending: sends nothing */
    command(conn, VKW_CMD_vkGetFenceStatus, true, 16, -1);
    ok(msgs() == 5 && host.cmds[3] == 2 && host.last_op[3] == VKW_CMD_vkQueueSubmit &&
           host.cmds[4] == 1,
       "%s: vkQueueSubmit is sent at once, with the batch before it", via);

    /* A command with an fd takes the batch along, and its fd comes. */
    int pipefd[2];
    if (pipe(pipefd) != 0)
        BAIL_OUT("pipe");
    command(conn, VKW_CMD_vkDestroyBuffer, false, 24, -1);
    command(conn, VKW_MSG_ALLOCATE_SHARED, true, 32, pipefd[0]);
    close(pipefd[0]), close(pipefd[1]);
    ok(msgs() == 6 && host.cmds[5] == 2 && host.fds[5] == 1,
       "%s: a command with an fd travels after the batch, its fd with the message", via);

    /* The bound: 100 commands of 4 KiB without a reply. */
    size_t before = msgs();
    for (int i = 0; i < 100; i++)
        command(conn, VKW_CMD_vkUpdateDescriptorSets, false, 4096 - 16, -1);
    command(conn, VKW_CMD_vkGetFenceStatus, true, 16, -1);
    size_t biggest = 0, total = 0;
    for (size_t m = before; m < msgs(); m++) {
        biggest = host.bytes[m] > biggest ? host.bytes[m] : biggest;
        total += host.cmds[m];
    }
    ok(msgs() - before == 2 && total == 101 && biggest <= ((size_t)260 << 10),
       "%s: 100 x 4 KiB pending: a batch of at most 256 KiB and the command that would pass "
       "it (%zu messages, largest %zu bytes)",
       via, msgs() - before, biggest);

    /* Recorded streams: small ones join, big ones go at once. */
    unsigned char stream[64 << 10];
    memset(stream, 0, sizeof(stream));
    for (size_t i = 0; i + VKW_HEADER_BYTES <= sizeof(stream); i += 1024) {
        const uint32_t head[4] = {VKW_CMD_vkCmdDispatch, 0, 1024 - VKW_HEADER_BYTES, 0};
        memcpy(stream + i, head, sizeof(head));
    }
    before = msgs();
    vkw_guest_conn_send_recorded(conn, stream, 4096);
    command(conn, VKW_CMD_vkEndCommandBuffer, true, 8, -1);
    ok(msgs() - before == 1 && host.cmds[before] == 5,
       "%s: a 4 KiB recorded stream travels with vkEndCommandBuffer", via);
    before = msgs();
    for (int i = 0; i < 5; i++)
        vkw_guest_conn_send_recorded(conn, stream, sizeof(stream));
    command(conn, VKW_CMD_vkEndCommandBuffer, true, 8, -1);
    ok(msgs() - before == 2 && host.cmds[before] == 320 && host.cmds[before + 1] == 1,
       "%s: 5 x 64 KiB of recording: 4 wait, the 5th goes at once after them, the end alone "
       "(%zu messages)",
       via, msgs() - before);

    /* Closing sends what is pending. */
    before = msgs();
    command(conn, VKW_CMD_vkDestroyDevice, false, 16, -1);
    command(conn, VKW_CMD_vkDestroyInstance, false, 16, -1);
    vkw_guest_conn_close(conn);
    pthread_join(host.thread, NULL);
    ok(host.msgs == before + 1 && host.cmds[before] == 2 &&
           host.last_op[before] == VKW_CMD_vkDestroyInstance,
       "%s: closing the connection sends the pending vkDestroyInstance", via);
}

int main(void)
{
    alarm(60);
    char dir[] = "/tmp/vkw-batch-XXXXXX";
    if (!mkdtemp(dir))
        BAIL_OUT("mkdtemp");
    snprintf(address, sizeof(address), "unix:%s/socket", dir);
    if (vkw_transport_listen(address, &host.listener, NULL, 0) != 0)
        BAIL_OUT("listen");
    scenario(false);
    scenario(true);
    vkw_listener_close(host.listener);
    rmdir(dir);
    return done_testing();
}
