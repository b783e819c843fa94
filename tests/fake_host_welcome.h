/* fake_host_welcome.h — the handshake of the fake hosts that the guest's
 * unit tests (tests/unit/test_guest_shadow.c, test_guest_batch.c) run on a
 * thread: read the guest's HELLO and answer it with a WELCOME offering
 * `features`. */
#ifndef VKW_TEST_FAKE_HOST_WELCOME_H
#define VKW_TEST_FAKE_HOST_WELCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "vkw_handshake.h"
#include "vkw_transport.h"
#include "vkw_wire.h"

/* The guest runtime's device lengths (runtime/guest/vkw_guest_lengths.h),
 * which the generated encoders call for opaque capture data: these tests
 * encode none, and know no device. */
uint64_t vkw_guest_device_length(const void *device, uint32_t opcode, uint32_t what)
{
    (void)device, (void)opcode, (void)what;
    return 0;
}

/* False when no HELLO came (the guest went away).  `w` is scratch. */
static inline bool fake_host_welcome(struct vkw_conn *c, uint64_t features, struct vkw_writer *w)
{
    const void *data;
    size_t size;
    if (vkw_conn_recv(c, &data, &size, VKW_MAX_MESSAGE_BYTES, NULL, NULL) != 0)
        return false;
    struct vkw_reader r;
    struct vkw_command_header h;
    struct vkw_hello guest, local;
    struct vkw_welcome wl;
    vkw_reader_init(&r, data, size, NULL);
    vkw_read_command_header(&r, &h);
    vkw_decode_hello(&r, &guest);
    vkw_hello_local(&local);
    local.features = features;
    vkw_handshake_answer(&guest, &local, &wl);
    vkw_writer_reset(w);
    vkw_encode_welcome(w, &wl);
    vkw_conn_send(c, w->data, w->size, NULL, 0);
    return true;
}

#endif /* VKW_TEST_FAKE_HOST_WELCOME_H */
