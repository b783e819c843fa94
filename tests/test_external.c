/* External objects through the renderer API (doc/PROTOCOL.md, "External
 * objects"): file descriptors that ride beside commands and replies.
 *
 * On the fake driver (which implements the fd commands of memory,
 * semaphores and fences and keeps count of the fds it takes and makes):
 * exported fds come back beside the reply and are closed by the context at
 * its next message; imported fds reach the driver, which owns them once
 * the import succeeded, and are closed by the host when it failed; -1
 * travels as none both ways; a reply can carry 16; a context whose
 * embedder does not send fds answers exports with VK_ERROR_TOO_MANY_OBJECTS
 * and the driver never runs.  A hostile guest: an fd index beyond those
 * sent, one used twice, fds no command names, an export without the REPLY
 * flag.  On lavapipe: memory exported and imported again, and imports the
 * host refuses before the driver (an unsealed or short memfd, a pipe);
 * host pointers: the memory types a guest memfd may take, an import of
 * one, and an import the host cannot make, which allocates nothing.
 * Every case ends with as many fds open as it began with. */
#define _GNU_SOURCE /* memfd_create; before any include */

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fake_driver.h"
#include "host_test_guest.h"
#include "memory_messages_test.h"
#include "tap.h"
#include "vkwire/renderer.h"

#define SEMAPHORE_ID 500u
#define FENCE_ID 501u
#define MEMORY_ID 502u
#define IMPORTED_ID 503u
#define TOO_MANY_FDS 65 /* one more than a host takes with one message */

struct side {
    struct vkw_renderer *renderer;
    struct vkw_renderer_context *ctx;
    struct tg_guest g;
    const void *reply;
    size_t reply_size;
    const int *fds; /* the reply's */
    size_t nfds;
};

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Send the batch with `extra` more fds than its commands wrote (each a
 * fresh eventfd), as the kernel would: duplicates the renderer owns. */
static enum vkw_renderer_status run_extra(struct side *s, size_t extra)
{
    int fds[VKW_WIRE_MAX_FDS + 8];
    size_t n = 0;
    for (uint32_t i = 0; i < s->g.w.nfds; i++)
        fds[n++] = fcntl(s->g.w.fds[i], F_DUPFD_CLOEXEC, 0);
    for (size_t i = 0; i < extra; i++)
        fds[n++] = eventfd(0, EFD_CLOEXEC);
    enum vkw_renderer_status st = vkw_renderer_context_process_fds(
        s->ctx, s->g.w.data, s->g.w.size, fds, n, &s->reply, &s->reply_size);
    vkw_renderer_context_reply_fds(s->ctx, &s->fds, &s->nfds);
    vkw_writer_reset(&s->g.w);
    return st;
}

static enum vkw_renderer_status run(struct side *s) { return run_extra(s, 0); }

/* A guest whose device enabled the fd extensions; `fake`: on the fake
 * driver, else lavapipe; `send_fds`: the embedder sends reply fds. */
static bool open_side(struct side *s, bool fake, bool send_fds)
{
    memset(s, 0, sizeof(*s));
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    if (fake)
        o.get_instance_proc_addr = vkw_fake_get_instance_proc_addr;
    if (send_fds)
        o.transport_features = VKW_FEATURE_EXTERNAL_FDS;
    if (vkw_renderer_create(&o, &s->renderer) != 0 ||
        !(s->ctx = vkw_renderer_context_create(s->renderer)))
        return false;
    tg_init(&s->g);
    tg_hello(&s->g, VKW_PROTOCOL_MAJOR);
    struct vkw_welcome wl;
    if (run(s) != VKW_RENDERER_OK || !tg_welcome(s->reply, s->reply_size, &wl) ||
        ((wl.host.features & VKW_FEATURE_EXTERNAL_FDS) != 0) != send_fds)
        return false;
    struct tg_guest *g = &s->g;
    const char *fake_exts[] = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
                               VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME,
                               VK_KHR_EXTERNAL_FENCE_FD_EXTENSION_NAME};
    tg_bring_up_device(g, VK_API_VERSION_1_1, NULL, fake ? 3 : 1, fake_exts);
    tg_get_queue(g);
    if (fake) {
        const VkExportSemaphoreCreateInfo export_sem = {
            .sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO,
            .handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
        const VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO,
                                           .pNext = &export_sem};
        VkSemaphore sem = VKW_U64_HANDLE(VkSemaphore, SEMAPHORE_ID);
        vkw_encode_vkCreateSemaphore(&g->w, ++g->serial, TG_DEVICE(g), &sci, NULL, &sem);
        const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkFence fence = VKW_U64_HANDLE(VkFence, FENCE_ID);
        vkw_encode_vkCreateFence(&g->w, ++g->serial, TG_DEVICE(g), &fci, NULL, &fence);
    }
    return run(s) == VKW_RENDERER_OK && s->nfds == 0 &&
           tg_count_ok(s->reply, s->reply_size, true, NULL) == 3;
}

static void close_side(struct side *s)
{
    vkw_renderer_context_destroy(s->ctx);
    vkw_renderer_destroy(s->renderer);
    tg_fini(&s->g);
}

/* ---- encoding the fd commands ---- */

static void get_semaphore_fd(struct tg_guest *g, int *fd)
{
    const VkSemaphoreGetFdInfoKHR info = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR,
                                          .semaphore = VKW_U64_HANDLE(VkSemaphore, SEMAPHORE_ID),
                                          .handleType =
                                              VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT};
    vkw_encode_vkGetSemaphoreFdKHR(&g->w, ++g->serial, TG_DEVICE(g), &info, fd);
}

static void import_fence_fd(struct tg_guest *g, int fd, VkExternalFenceHandleTypeFlagBits type)
{
    const VkImportFenceFdInfoKHR info = {.sType = VK_STRUCTURE_TYPE_IMPORT_FENCE_FD_INFO_KHR,
                                         .fence = VKW_U64_HANDLE(VkFence, FENCE_ID),
                                         .flags = VK_FENCE_IMPORT_TEMPORARY_BIT,
                                         .handleType = type,
                                         .fd = fd};
    vkw_encode_vkImportFenceFdKHR(&g->w, ++g->serial, TG_DEVICE(g), &info);
}

/* The only reply of an answer: its VkResult and the fd it names (-1 for
 * none), taken from the reply's fds by the guest's decoder. */
static bool one_result(struct side *s, VkResult *result, int *fd, uint32_t opcode)
{
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s->reply, s->reply_size);
    if (!tg_next_reply(&rs, &h, &p) || h.status != VKW_OK || h.opcode != opcode)
        return false;
    struct vkw_fd_set set = {s->fds, s->nfds, 0};
    p.fds = &set;
    *result = (VkResult)vkw_read_i32(&p);
    if (fd) {
        *fd = -2;
        if (vkw_read_presence(&p))
            *fd = vkw_read_fd(&p);
    }
    if (opcode == VKW_CMD_vkGetMemoryFdPropertiesKHR) /* its properties follow */
        p.cur = p.end;
    return vkw_reader_ok(&p) && vkw_reader_remaining(&p) == 0 && !tg_next_reply(&rs, &h, &p);
}

static bool error_is(struct side *s, enum vkw_renderer_status st, enum vkw_error code,
                     uint64_t want)
{
    uint32_t status = 0;
    uint64_t value = 0;
    return st == VKW_RENDERER_PROTOCOL_ERROR &&
           tg_error_reply(s->reply, s->reply_size, &status, &value) && status == code &&
           value == want;
}

/* ---- the fake driver ---- */

static void test_export(void)
{
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, true, true), "fake driver: a guest with an exportable semaphore");
    const size_t exported = vkw_fake_fds_exported();
    int fd = 0;
    get_semaphore_fd(&s.g, &fd);
    VkResult r = VK_ERROR_UNKNOWN;
    int got = -2;
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, &got, VKW_CMD_vkGetSemaphoreFdKHR) &&
           r == VK_SUCCESS && s.nfds == 1 && got == s.fds[0] &&
           vkw_fake_fds_exported() == exported + 1,
       "vkGetSemaphoreFdKHR: the driver's fd rides beside the reply, named by index 0");
    ok(fcntl(got, F_GETFD) >= 0, "the reply's fd is open until the next message");
    const int its_number = got;
    tg_create_buffer(&s.g, 100, 64);
    ok(run(&s) == VKW_RENDERER_OK && s.nfds == 0 && fcntl(its_number, F_GETFD) < 0,
       "the next message: the context closed it (it went with the reply)");

    /* 17 exports in one batch: 16 fds ride, the 17th is refused. */
    for (int i = 0; i < 17; i++)
        get_semaphore_fd(&s.g, &fd);
    enum vkw_renderer_status st = run(&s);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    tg_replies_init(&rs, s.reply, s.reply_size);
    int carried = 0, refused = 0;
    while (tg_next_reply(&rs, &h, &p)) {
        const VkResult res = (VkResult)vkw_read_i32(&p);
        vkw_read_presence(&p);
        const uint32_t index = vkw_read_u32(&p);
        carried += res == VK_SUCCESS && index == (uint32_t)carried;
        refused += res == VK_ERROR_TOO_MANY_OBJECTS && index == VKW_NO_FD;
    }
    ok(st == VKW_RENDERER_OK && s.nfds == 16 && carried == 16 && refused == 1,
       "17 exports in one batch: 16 fds (indexes 0-15) ride, the 17th gets "
       "VK_ERROR_TOO_MANY_OBJECTS (%d, %d)", carried, refused);
    ok(vkw_fake_fds_exported() == exported + 17, "the driver was not asked for the 17th");

    /* Without the REPLY flag nobody would receive it: the driver is not asked. */
    get_semaphore_fd(&s.g, &fd);
    memset(s.g.w.data + 4, 0, 4);
    ok(run(&s) == VKW_RENDERER_OK && s.reply_size == 0 && s.nfds == 0 &&
           vkw_fake_fds_exported() == exported + 17,
       "an export sent without the REPLY flag: no reply, no fd, the driver not asked");

    /* A signalled fence's SYNC_FD: -1, which travels as no fd. */
    vkw_encode_vkResetFences(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), 1,
                             &(VkFence){VKW_U64_HANDLE(VkFence, FENCE_ID)});
    vkw_encode_vkQueueSubmit(&s.g.w, ++s.g.serial, (VkQueue)&s.g.queue, 0, NULL,
                             VKW_U64_HANDLE(VkFence, FENCE_ID));
    const VkFenceGetFdInfoKHR fi = {.sType = VK_STRUCTURE_TYPE_FENCE_GET_FD_INFO_KHR,
                                    .fence = VKW_U64_HANDLE(VkFence, FENCE_ID),
                                    .handleType = VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT};
    vkw_encode_vkGetFenceFdKHR(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), &fi, &fd);
    got = 7;
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, &got, VKW_CMD_vkGetFenceFdKHR) &&
           r == VK_SUCCESS && got == -1 && s.nfds == 0,
       "a signalled fence's SYNC_FD is -1: it travels as none (VKW_NO_FD)");
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

static void test_no_reply_fds(void)
{
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, true, false),
       "fake driver, an embedder that sends no reply fds: WELCOME without bit 6");
    const size_t exported = vkw_fake_fds_exported();
    int fd = 0;
    get_semaphore_fd(&s.g, &fd);
    VkResult r = VK_SUCCESS;
    int got = -2;
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, &got, VKW_CMD_vkGetSemaphoreFdKHR) &&
           r == VK_ERROR_TOO_MANY_OBJECTS && got == -1 && s.nfds == 0 &&
           vkw_fake_fds_exported() == exported,
       "an export where fds cannot go back: VK_ERROR_TOO_MANY_OBJECTS, the driver not asked");
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

static void test_import(void)
{
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, true, true), "fake driver: a guest with a fence");
    const size_t taken = vkw_fake_fds_taken();
    const int efd = eventfd(0, EFD_CLOEXEC);
    import_fence_fd(&s.g, efd, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    VkResult r = VK_ERROR_UNKNOWN;
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkImportFenceFdKHR) &&
           r == VK_SUCCESS && vkw_fake_fds_taken() == taken + 1 &&
           vkw_fake_problem()[0] == '\0',
       "vkImportFenceFdKHR: the fd reaches the driver open, and the driver takes it");
    close(efd); /* the guest's copy: the ICD closes it after a successful import */

    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        BAIL_OUT("pipe");
    import_fence_fd(&s.g, pipe_fds[0], VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    const int at_send = open_fds();
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkImportFenceFdKHR) &&
           r == VK_ERROR_INVALID_EXTERNAL_HANDLE && vkw_fake_fds_taken() == taken + 1 &&
           open_fds() == at_send,
       "an import the driver refuses: VK_ERROR_INVALID_EXTERNAL_HANDLE, the host closes its fd");
    close(pipe_fds[0]);
    close(pipe_fds[1]);

    import_fence_fd(&s.g, -1, VK_EXTERNAL_FENCE_HANDLE_TYPE_SYNC_FD_BIT);
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkImportFenceFdKHR) &&
           r == VK_SUCCESS && vkw_fake_fds_taken() == taken + 1,
       "a SYNC_FD import of -1 (signalled): no fd travels, the driver gets -1");

    /* vkGetMemoryFdPropertiesKHR only lends its fd. */
    const int memfd = memfd_create("props", MFD_CLOEXEC);
    VkMemoryFdPropertiesKHR props = {.sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR};
    vkw_encode_vkGetMemoryFdPropertiesKHR(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g),
                                          VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT, memfd,
                                          &props);
    const int lent = open_fds();
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkGetMemoryFdPropertiesKHR) &&
           r == VK_SUCCESS && vkw_fake_problem()[0] == '\0' && open_fds() == lent &&
           vkw_fake_fds_taken() == taken + 1,
       "vkGetMemoryFdPropertiesKHR: the driver looks at the fd, the host closes it after");
    close(memfd);
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

/* A hostile guest: each ends the context with its error, and every fd it
 * sent is closed. */
static void test_hostile(void)
{
    const int before = open_fds();
    struct side s;
    const int efd = eventfd(0, EFD_CLOEXEC);

    ok(open_side(&s, true, true), "hostile: a guest");
    import_fence_fd(&s.g, efd, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    s.g.w.data[s.g.w.size - 4] = 3; /* the fd's index: 3, with one fd sent */
    ok(error_is(&s, run(&s), VKW_ERROR_BAD_FD, 3), "an fd index beyond those sent: bad_fd 3");
    close_side(&s);
    is_int(open_fds(), before + 1, "its fd was closed by the host");

    ok(open_side(&s, true, true), "hostile: a guest");
    import_fence_fd(&s.g, efd, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    import_fence_fd(&s.g, efd, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    s.g.w.data[s.g.w.size - 4] = 0; /* the second names index 0 again */
    s.g.w.nfds = 1;
    const size_t taken = vkw_fake_fds_taken();
    ok(error_is(&s, run(&s), VKW_ERROR_BAD_FD, 0) && vkw_fake_fds_taken() == taken + 1,
       "an fd index a command already took: bad_fd 0 (the first import ran)");
    close_side(&s);
    is_int(open_fds(), before + 1, "nothing left open");

    ok(open_side(&s, true, true), "hostile: a guest");
    import_fence_fd(&s.g, efd, VK_EXTERNAL_FENCE_HANDLE_TYPE_OPAQUE_FD_BIT);
    const int sending = open_fds();
    ok(run_extra(&s, 5) == VKW_RENDERER_OK && open_fds() == sending,
       "a message with 5 fds more than its commands name: all closed, the command runs");
    ok(run_extra(&s, 3) == VKW_RENDERER_OK && s.reply_size == 0 && open_fds() == sending,
       "an empty batch with 3 fds: all closed");
    close_side(&s);
    is_int(open_fds(), before + 1, "nothing left open");

    ok(open_side(&s, true, true), "hostile: a guest");
    const VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                     .allocationSize = 4096};
    const size_t at = s.g.w.size;
    vkw_encode_vkAllocateMemory(&s.g.w, ++s.g.serial, TG_DEVICE(&s.g), &ai, NULL,
                                &(VkDeviceMemory){VKW_U64_HANDLE(VkDeviceMemory, MEMORY_ID)});
    /* header, device id, presence: then the chain's end word */
    const uint32_t stype = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT;
    memcpy(s.g.w.data + at + VKW_HEADER_BYTES + 12, &stype, 4);
    ok(error_is(&s, run(&s), VKW_ERROR_BAD_STYPE, stype),
       "a host pointer import in vkAllocateMemory's chain: bad_stype (a guest address never "
       "reaches the driver)");
    close_side(&s);

    ok(open_side(&s, true, true), "hostile: a guest");
    int fds[TOO_MANY_FDS];
    for (size_t i = 0; i < TOO_MANY_FDS; i++)
        fds[i] = eventfd(0, EFD_CLOEXEC);
    tg_create_buffer(&s.g, 100, 64);
    enum vkw_renderer_status st = vkw_renderer_context_process_fds(
        s.ctx, s.g.w.data, s.g.w.size, fds, TOO_MANY_FDS, &s.reply, &s.reply_size);
    vkw_writer_reset(&s.g.w);
    ok(error_is(&s, st, VKW_ERROR_BAD_FD, TOO_MANY_FDS),
       "%d fds with one message: bad_fd %d, and none is used", TOO_MANY_FDS,
       TOO_MANY_FDS);
    close_side(&s);
    is_int(open_fds(), before + 1, "all of them closed");
    close(efd);
}

/* ---- lavapipe ---- */

static void test_lavapipe(const char *icd)
{
    if (!icd) {
        skip(6, "no lavapipe ICD manifest (lvp_icd*.json) on this machine");
        return;
    }
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, false, true), "lavapipe: a device with VK_KHR_external_memory_fd");
    struct tg_guest *g = &s.g;
    const VkExportMemoryAllocateInfo export_info = {
        .sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
        .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                               .pNext = &export_info,
                               .allocationSize = 65536};
    VkDeviceMemory memory = VKW_U64_HANDLE(VkDeviceMemory, MEMORY_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL, &memory);
    const VkMemoryGetFdInfoKHR gi = {.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
                                     .memory = memory,
                                     .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
    int fd = 0;
    vkw_encode_vkGetMemoryFdKHR(&g->w, ++g->serial, TG_DEVICE(g), &gi, &fd);
    ok(run(&s) == VKW_RENDERER_OK && s.nfds == 1, "exportable memory, and its fd beside the reply");
    const int exported = fcntl(s.nfds ? s.fds[0] : -1, F_DUPFD_CLOEXEC, 0);

    /* Imported back as a second allocation: the driver takes it. */
    VkImportMemoryFdInfoKHR import = {.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                      .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT,
                                      .fd = exported};
    ai.pNext = &import;
    VkDeviceMemory second = VKW_U64_HANDLE(VkDeviceMemory, IMPORTED_ID);
    vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL, &second);
    VkResult r = VK_ERROR_UNKNOWN;
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkAllocateMemory) &&
           r == VK_SUCCESS && vkw_renderer_context_object_count(s.ctx) == 6,
       "the exported fd imported again: a second allocation of the same memory");
    close(exported);

    /* What the host refuses before the driver could map it. */
    struct {
        const char *what;
        int fd;
    } bad[3];
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0)
        BAIL_OUT("pipe");
    close(pipe_fds[1]);
    bad[0].what = "a pipe";
    bad[0].fd = pipe_fds[0];
    bad[1].what = "a memfd not sealed against shrinking";
    bad[1].fd = memfd_create("unsealed", MFD_CLOEXEC);
    bad[2].what = "a sealed memfd shorter than the allocation";
    bad[2].fd = memfd_create("short", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (bad[1].fd < 0 || bad[2].fd < 0 || ftruncate(bad[1].fd, 65536) != 0 ||
        ftruncate(bad[2].fd, 4096) != 0 || fcntl(bad[2].fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0)
        BAIL_OUT("memfd");
    for (int i = 0; i < 3; i++) {
        import.fd = bad[i].fd;
        vkw_encode_vkAllocateMemory(&g->w, ++g->serial, TG_DEVICE(g), &ai, NULL,
                                    &(VkDeviceMemory){VKW_U64_HANDLE(VkDeviceMemory, 600 + i)});
        const int sending = open_fds();
        ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_CMD_vkAllocateMemory) &&
               r == VK_ERROR_INVALID_EXTERNAL_HANDLE && open_fds() == sending &&
               vkw_renderer_context_object_count(s.ctx) == 6,
           "an fd import of %s: VK_ERROR_INVALID_EXTERNAL_HANDLE before the driver, fd closed",
           bad[i].what);
        close(bad[i].fd);
    }
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

/* IMPORT_HOST_POINTER: ALLOCATE_SHARED's payload under another opcode. */
static void import_host_pointer(struct tg_guest *g, uint64_t memory_id, VkDeviceSize size,
                                uint32_t fd_index)
{
    const VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                     .allocationSize = size};
    const size_t at = g->w.size;
    tm_allocate_shared(&g->w, ++g->serial, TG_DEVICE_ID, &ai, memory_id, fd_index);
    const uint32_t opcode = VKW_MSG_IMPORT_HOST_POINTER;
    memcpy(g->w.data + at, &opcode, 4);
}

static int guest_memfd(size_t size, bool sealed)
{
    const int fd = memfd_create("guest-pages", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
        (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0))
        BAIL_OUT("memfd");
    return fd;
}

static void test_host_pointer(const char *icd)
{
    if (!icd) {
        skip(6, "no lavapipe ICD manifest (lvp_icd*.json) on this machine");
        return;
    }
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, false, true), "lavapipe: a guest for host pointers");
    struct tg_guest *g = &s.g;
    size_t at = vkw_begin_command(&g->w, VKW_MSG_HOST_POINTER_TYPES, VKW_COMMAND_FLAG_REPLY,
                                  ++g->serial);
    vkw_write_u64(&g->w, TG_DEVICE_ID);
    vkw_end_message(&g->w, at);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    VkResult r = VK_ERROR_UNKNOWN;
    uint32_t bits = 0;
    if (run(&s) == VKW_RENDERER_OK) {
        tg_replies_init(&rs, s.reply, s.reply_size);
        if (tg_next_reply(&rs, &h, &p)) {
            r = (VkResult)vkw_read_i32(&p);
            bits = vkw_read_u32(&p);
        }
    }
    ok(r == VK_SUCCESS && (bits & 1u), "HOST_POINTER_TYPES: the types a guest memfd may take (0x%x)",
       bits);

    int fd = guest_memfd(65536, true);
    g->w.fds[0] = fd; /* sent beside the message, index 0 */
    g->w.nfds = 1;
    import_host_pointer(g, MEMORY_ID, 65536, 0);
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_MSG_IMPORT_HOST_POINTER) &&
           r == VK_SUCCESS && vkw_renderer_context_object_count(s.ctx) == 5,
       "IMPORT_HOST_POINTER of a sealed memfd: imported, bound");
    struct vkw_renderer_context_stats st = {.size = sizeof(st)};
    vkw_renderer_context_get_stats(s.ctx, &st);
    ok(st.imported_mappings == 1, "the host maps the guest's pages");
    close(fd);

    fd = guest_memfd(65536, false);
    g->w.fds[0] = fd;
    g->w.nfds = 1;
    import_host_pointer(g, IMPORTED_ID, 65536, 0);
    ok(run(&s) == VKW_RENDERER_OK && one_result(&s, &r, NULL, VKW_MSG_IMPORT_HOST_POINTER) &&
           r == VK_ERROR_INVALID_EXTERNAL_HANDLE && vkw_renderer_context_object_count(s.ctx) == 5,
       "IMPORT_HOST_POINTER of a memfd that could shrink: refused, nothing allocated "
       "(ALLOCATE_SHARED would allocate ordinary memory)");
    close(fd);

    import_host_pointer(g, IMPORTED_ID, 65536, 0);
    ok(error_is(&s, run(&s), VKW_ERROR_BAD_FD, 0), "IMPORT_HOST_POINTER without its fd: bad_fd 0");
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

/* ---- the clock probe ---- */

static uint64_t monotonic(clockid_t clock)
{
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void test_clock_probe(void)
{
    const int before = open_fds();
    struct side s;
    ok(open_side(&s, true, true), "fake driver: a guest for CLOCK_PROBE");
    struct tg_guest *g = &s.g;
    vkw_end_message(&g->w, vkw_begin_command(&g->w, VKW_MSG_CLOCK_PROBE, VKW_COMMAND_FLAG_REPLY,
                                             ++g->serial));
    const uint64_t mono0 = monotonic(CLOCK_MONOTONIC), raw0 = monotonic(CLOCK_MONOTONIC_RAW);
    const enum vkw_renderer_status st = run(&s);
    const uint64_t mono1 = monotonic(CLOCK_MONOTONIC), raw1 = monotonic(CLOCK_MONOTONIC_RAW);
    struct tg_replies rs;
    struct vkw_reply_header h;
    struct vkw_reader p;
    uint64_t mono = 0, raw = 0;
    tg_replies_init(&rs, s.reply, s.reply_size);
    if (st == VKW_RENDERER_OK && tg_next_reply(&rs, &h, &p) && h.status == VKW_OK) {
        mono = vkw_read_u64(&p);
        raw = vkw_read_u64(&p);
    }
    ok(mono >= mono0 && mono <= mono1 && raw >= raw0 && raw <= raw1,
       "CLOCK_PROBE: the host's CLOCK_MONOTONIC and _RAW, read while it handled the message "
       "(here, the same clocks)");
    const size_t at = vkw_begin_command(&g->w, VKW_MSG_CLOCK_PROBE, VKW_COMMAND_FLAG_REPLY,
                                        ++g->serial);
    vkw_write_u32(&g->w, 0);
    vkw_end_message(&g->w, at);
    ok(error_is(&s, run(&s), VKW_ERROR_TRAILING_BYTES, 4),
       "CLOCK_PROBE with a word of payload: trailing_bytes 4");
    close_side(&s);

    ok(open_side(&s, true, true), "fake driver: a guest for HOST_POINTER_TYPES");
    g = &s.g;
    const size_t at2 = vkw_begin_command(&g->w, VKW_MSG_HOST_POINTER_TYPES,
                                         VKW_COMMAND_FLAG_REPLY, ++g->serial);
    vkw_write_u64(&g->w, 12345);
    vkw_end_message(&g->w, at2);
    ok(error_is(&s, run(&s), VKW_ERROR_BAD_HANDLE, 12345),
       "HOST_POINTER_TYPES naming no device: bad_handle");
    close_side(&s);
    is_int(open_fds(), before, "no fd left open");
}

int main(void)
{
    alarm(120);
    const char *icd = tg_use_lavapipe();
    if (icd)
        tg_keep_driver_loaded(icd);
    test_export();
    test_no_reply_fds();
    test_import();
    test_hostile();
    test_lavapipe(icd);
    test_host_pointer(icd);
    test_clock_probe();
    return done_testing();
}
