/* test_guest_fds — the guest's side of file descriptors on the wire
 * (runtime/guest/vkw_guest_conn.c, runtime/common/vkw_wire.c;
 * doc/PROTOCOL.md 20.1) against a fake host on a thread.
 *
 * Checked: an fd the encoder writes travels beside its command (the
 * pending batch goes with it); an import's fd is closed by the guest after
 * it succeeded and left open after it failed; an fd that is not open is
 * refused before anything is sent; an fd a reply names becomes the
 * caller's, one it carries and does not name is closed; a connection whose
 * fds do not travel (VKWIRE_MEMORY=copy-socket) refuses every fd and does
 * not announce bit 6.
 */
#define _GNU_SOURCE /* mkdtemp */

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fake_host_welcome.h"
#include "tap.h"
#include "vkw_guest_conn.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_protocol.h"
#include "vkw_transport.h"
#include "vkw_wire.h"

/* The fake host's opcodes: one answers VK_SUCCESS, one a failure, one
 * carries two fds in its reply and names the first. */
#define OP_IMPORT_OK VKW_CMD_vkImportFenceFdKHR
#define OP_IMPORT_FAIL VKW_CMD_vkImportSemaphoreFdKHR
#define OP_EXPORT VKW_CMD_vkGetFenceFdKHR

static struct {
    pthread_mutex_t lock;
    struct vkw_listener *listener;
    pthread_t thread;
    size_t msgs, fds[16];
    uint64_t features; /* the guest's, as its HELLO said */
} host = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void answer(struct vkw_conn *c, const unsigned char *data, size_t size, struct vkw_writer *w)
{
    int out[2] = {-1, -1};
    size_t nout = 0;
    vkw_writer_reset(w);
    while (size >= VKW_HEADER_BYTES) {
        uint32_t op, flags, len, serial;
        memcpy(&op, data, 4), memcpy(&flags, data + 4, 4), memcpy(&len, data + 8, 4);
        memcpy(&serial, data + 12, 4);
        if (flags & VKW_COMMAND_FLAG_REPLY) {
            size_t at = vkw_begin_reply(w, op, serial, VKW_OK);
            vkw_write_i32(w, op == OP_IMPORT_FAIL ? VK_ERROR_INVALID_EXTERNAL_HANDLE : VK_SUCCESS);
            if (op == OP_EXPORT) {
                out[0] = eventfd(0, EFD_CLOEXEC);
                out[1] = eventfd(0, EFD_CLOEXEC); /* carried, never named */
                nout = 2;
                vkw_write_u32(w, 1);
                vkw_write_u32(w, 0);
            }
            vkw_end_message(w, at);
        }
        if (len > size - VKW_HEADER_BYTES)
            break;
        data += VKW_HEADER_BYTES + len, size -= VKW_HEADER_BYTES + len;
    }
    if (w->size)
        vkw_conn_send(c, w->data, w->size, out, nout);
    for (size_t i = 0; i < nout; i++)
        close(out[i]);
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
    /* The HELLO, to see the guest's features. */
    if (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, NULL, NULL) == 0) {
        struct vkw_reader r;
        struct vkw_command_header h;
        struct vkw_hello guest, local;
        struct vkw_welcome wl;
        vkw_reader_init(&r, data, size, NULL);
        vkw_read_command_header(&r, &h);
        vkw_decode_hello(&r, &guest);
        host.features = guest.features;
        vkw_hello_local(&local);
        local.features = VKW_FEATURE_EXTERNAL_FDS;
        vkw_handshake_answer(&guest, &local, &wl);
        vkw_encode_welcome(&w, &wl);
        vkw_conn_send(c, w.data, w.size, NULL, 0);
        while (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, fds, &nfds) == 0) {
            pthread_mutex_lock(&host.lock);
            if (host.msgs < 16)
                host.fds[host.msgs] = nfds;
            host.msgs++;
            pthread_mutex_unlock(&host.lock);
            for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
            answer(c, data, size, &w);
        }
    }
    vkw_writer_fini(&w);
    vkw_conn_close(c);
    return NULL;
}

static char address[160];

static struct vkw_guest_conn *connect_to_host(void)
{
    host.msgs = 0;
    if (pthread_create(&host.thread, NULL, host_main, NULL) != 0)
        BAIL_OUT("pthread_create");
    struct vkw_guest_conn *conn = NULL;
    char err[256];
    if (vkw_guest_conn_open(address, &conn, err, sizeof(err)) != 0)
        BAIL_OUT("connect: %s", err);
    return conn;
}

static void disconnect(struct vkw_guest_conn *conn)
{
    vkw_guest_conn_close(conn);
    pthread_join(host.thread, NULL);
}

static size_t msgs(void)
{
    pthread_mutex_lock(&host.lock);
    const size_t n = host.msgs;
    pthread_mutex_unlock(&host.lock);
    return n;
}

static bool is_open(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* An import of `fd` (imported: the call gives it away when it succeeds):
 * the result the reply says, as the generated forwarders go about it. */
static VkResult import(struct vkw_guest_conn *conn, uint32_t opcode, int fd)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    const size_t at = vkw_begin_command(w, opcode, VKW_COMMAND_FLAG_REPLY, call.serial);
    vkw_write_u64(w, 7);
    vkw_write_fd(w, fd, true);
    vkw_end_message(w, at);
    if (w->fds_refused)
        return vkw_call_refuse(&call, "the test's import", VK_ERROR_INVALID_EXTERNAL_HANDLE);
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    vkw_call_imported(&call, result == VK_SUCCESS);
    return result;
}

static void test_fds_travel(void)
{
    struct vkw_guest_conn *conn = connect_to_host();
    ok(conn->fds_travel && (host.features & VKW_FEATURE_EXTERNAL_FDS) &&
           (conn->agreed_features & VKW_FEATURE_EXTERNAL_FDS),
       "a unix socket: fds travel, the HELLO says bit 6, and the host agreed");

    /* A command that waits in the pending batch, then an import: one
     * message, its fd with it. */
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(conn, &call);
    vkw_end_message(w, vkw_begin_command(w, VKW_CMD_vkDestroyBuffer, 0, call.serial));
    vkw_call_send(&call);
    int fd = eventfd(0, EFD_CLOEXEC);
    ok(import(conn, OP_IMPORT_OK, fd) == VK_SUCCESS && msgs() == 1 && host.fds[0] == 1,
       "an import travels with the batch before it, its fd beside the message");
    ok(!is_open(fd), "the import succeeded: the guest closed the application's fd");

    fd = eventfd(0, EFD_CLOEXEC);
    ok(import(conn, OP_IMPORT_FAIL, fd) == VK_ERROR_INVALID_EXTERNAL_HANDLE && msgs() == 2 &&
           host.fds[1] == 1 && is_open(fd),
       "an import that failed: the fd stays the application's, open");
    const int closed = fd;
    close(fd);
    ok(import(conn, OP_IMPORT_OK, closed) == VK_ERROR_INVALID_EXTERNAL_HANDLE && msgs() == 2,
       "an fd that is not open: VK_ERROR_INVALID_EXTERNAL_HANDLE, nothing sent");
    ok(import(conn, OP_IMPORT_OK, -1) == VK_SUCCESS && msgs() == 3 && host.fds[2] == 0,
       "-1 travels as no fd");

    /* An export: the named fd is the caller's, the other one is closed. */
    w = vkw_call_begin(conn, &call);
    vkw_end_message(w, vkw_begin_command(w, OP_EXPORT, VKW_COMMAND_FLAG_REPLY, call.serial));
    struct vkw_reader *r = vkw_call_wait(&call, false);
    const VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    const bool present = r && vkw_read_presence(r);
    const int got = present ? vkw_read_fd(r) : -2;
    int peek[2];
    memcpy(peek, conn->reply_fds, sizeof(peek));
    const bool ended = vkw_call_end(&call, r);
    ok(result == VK_SUCCESS && ended && got >= 0 && got == peek[0] && is_open(got),
       "an fd the reply names is the caller's");
    ok(!is_open(peek[1]), "the one it carried and did not name is closed");
    close(got);
    disconnect(conn);
}

static void test_fds_do_not_travel(void)
{
    setenv("VKWIRE_MEMORY", "copy-socket", 1);
    struct vkw_guest_conn *conn = connect_to_host();
    unsetenv("VKWIRE_MEMORY");
    ok(!conn->fds_travel && !(host.features & VKW_FEATURE_EXTERNAL_FDS),
       "VKWIRE_MEMORY=copy-socket: fds do not travel, and the HELLO has no bit 6");
    const int fd = eventfd(0, EFD_CLOEXEC);
    ok(import(conn, OP_IMPORT_OK, fd) == VK_ERROR_INVALID_EXTERNAL_HANDLE && msgs() == 0 &&
           is_open(fd),
       "an import there: refused before anything is sent, the fd left open");
    close(fd);
    disconnect(conn);
}

int main(void)
{
    alarm(60);
    char dir[] = "/tmp/vkw-fds-XXXXXX";
    if (!mkdtemp(dir))
        BAIL_OUT("mkdtemp");
    snprintf(address, sizeof(address), "unix:%s/socket", dir);
    if (vkw_transport_listen(address, &host.listener, NULL, 0) != 0)
        BAIL_OUT("listen");
    setenv("VKWIRE_RING", "0", 1); /* the fake host serves no ring */
    test_fds_travel();
    test_fds_do_not_travel();
    vkw_listener_close(host.listener);
    rmdir(dir);
    return done_testing();
}
