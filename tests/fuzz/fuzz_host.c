/* fuzz_host — see fuzz_host.h. */
#define _GNU_SOURCE /* memfd_create, F_ADD_SEALS; before any include */

#include "fuzz_host.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_driver.h"
#include "vkw_handshake.h"
#include "vkw_wire.h"
#include "vkwire/renderer.h"

static struct {
    struct vkw_renderer *renderer;
    bool fake;
    struct vkw_writer hello;
    uint8_t *answer; /* an ended context's last answer, to compare */
    size_t answer_size, answer_capacity;
} fz;

/* On lavapipe: the loader gets lavapipe alone (VK_DRIVER_FILES, unless set
 * already), and lavapipe stays mapped for the life of the process.  The
 * loader unloads a driver with its last instance; what the driver keeps
 * for good would then show up in a leak report with no module name, which
 * tests/lsan.supp cannot match, while vkwire's own leaks still must. */
static void use_lavapipe(void)
{
    char manifest[4096] = "";
    const char *given = getenv("VK_DRIVER_FILES");
    if (given && *given) {
        snprintf(manifest, sizeof(manifest), "%s", given);
    } else {
        glob_t gl;
        if (glob("/usr/share/vulkan/icd.d/lvp_icd*.json", 0, NULL, &gl) == 0 && gl.gl_pathc)
            snprintf(manifest, sizeof(manifest), "%s", gl.gl_pathv[0]);
        globfree(&gl);
        if (manifest[0])
            setenv("VK_DRIVER_FILES", manifest, 1);
    }
    FILE *f = manifest[0] && !strchr(manifest, ':') ? fopen(manifest, "r") : NULL;
    char text[8192] = "";
    if (f) {
        text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
        fclose(f);
    }
    const char *key = strstr(text, "\"library_path\"");
    const char *open_quote = key ? strchr(key + 14, '"') : NULL;
    const char *close_quote = open_quote ? strchr(open_quote + 1, '"') : NULL;
    if (close_quote) {
        char lib[4096];
        snprintf(lib, sizeof(lib), "%.*s", (int)(close_quote - open_quote - 1), open_quote + 1);
        if (!dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE))
            fprintf(stderr, "fuzz: cannot keep %s loaded: %s\n", lib, dlerror());
    }
}

void vkw_fuzz_init(bool abort_on_problem)
{
    const char *driver = getenv("VKW_FUZZ_DRIVER");
    fz.fake = !driver || strcmp(driver, "lavapipe") != 0;
    if (!fz.fake)
        use_lavapipe();
    struct vkw_renderer_options o = VKW_RENDERER_OPTIONS_INIT;
    o.get_instance_proc_addr = fz.fake ? vkw_fake_get_instance_proc_addr : NULL;
    /* Small limits: a mutated count must not make one input take seconds. */
    o.max_objects = 4096;
    o.max_decode_bytes = (size_t)16 << 20;
    if (vkw_renderer_create(&o, &fz.renderer) != 0) {
        fprintf(stderr, "fuzz: cannot create a renderer\n");
        abort();
    }
    vkw_fake_abort_on_problem(abort_on_problem);
    vkw_writer_init(&fz.hello);
    struct vkw_hello h;
    vkw_hello_local(&h);
    vkw_encode_hello(&fz.hello, &h);
}

void vkw_fuzz_fini(void)
{
    vkw_renderer_destroy(fz.renderer);
    vkw_writer_fini(&fz.hello);
    free(fz.answer);
    vkw_fake_reset();
    memset(&fz, 0, sizeof(fz));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool failed(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
    return false;
}

/* An answer is replies back to back, each whole; an error reply (status
 * not 0) has an 8-byte value and comes last.  `ended`: the context has
 * ended for a protocol error, so the last reply must be an error reply. */
static bool answer_well_formed(const uint8_t *p, size_t size, bool ended, char *why,
                               size_t why_size)
{
    size_t at = 0;
    bool last_error = false;
    while (at < size) {
        if (size - at < VKW_HEADER_BYTES)
            return failed(why, why_size, "answer: %zu stray bytes after the replies", size - at);
        const uint32_t status = le32(p + at + 4), body = le32(p + at + 8);
        if (body % 4 != 0 || body > size - at - VKW_HEADER_BYTES)
            return failed(why, why_size, "answer: a reply of %u bytes at offset %zu", body, at);
        if (last_error)
            return failed(why, why_size, "answer: a reply after the error reply");
        if (status != VKW_OK) {
            if (status >= VKW_ERROR_COUNT_ || body != 8)
                return failed(why, why_size, "answer: error reply status %u, %u bytes", status,
                              body);
            last_error = true;
        }
        at += VKW_HEADER_BYTES + body;
    }
    if (ended && !last_error)
        return failed(why, why_size, "answer: the context ended without an error reply");
    if (!ended && last_error)
        return failed(why, why_size, "answer: an error reply, but the context goes on");
    return true;
}

/* Sealed memfds standing in for a guest's pages; -1 where none could be
 * made (the host then sees fewer). */
static size_t make_fds(int *fds, uint32_t wanted)
{
    size_t n = 0;
    for (uint32_t i = 0; i < wanted && i < VKW_FUZZ_MAX_FDS; i++) {
        int fd = memfd_create("vkw-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
            break;
        if (ftruncate(fd, VKW_FUZZ_MEMFD_BYTES) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
            close(fd);
            break;
        }
        fds[n++] = fd;
    }
    return n;
}

/* Lines of /proc/self/maps that map one of our memfds. */
static int memfd_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return 0;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, "memfd:vkw-fuzz") != NULL;
    fclose(f);
    return n;
}

static bool remember_answer(const void *reply, size_t size)
{
    if (size > fz.answer_capacity) {
        uint8_t *p = realloc(fz.answer, size);
        if (!p)
            return false;
        fz.answer = p;
        fz.answer_capacity = size;
    }
    if (size)
        memcpy(fz.answer, reply, size);
    fz.answer_size = size;
    return true;
}

/* Feed one message; false (with `why`) when a check fails.  `*status`
 * gets the renderer's verdict. */
static bool feed(struct vkw_renderer_context *ctx, const uint8_t *msg, size_t size, uint32_t nfds,
                 enum vkw_renderer_status *status, bool *used_fds, char *why, size_t why_size)
{
    int fds[VKW_FUZZ_MAX_FDS];
    const size_t n = make_fds(fds, nfds);
    *used_fds |= n > 0;
    const void *reply = NULL;
    size_t reply_size = 0;
    *status = vkw_renderer_context_process_fds(ctx, msg, size, n ? fds : NULL, n, &reply,
                                               &reply_size);
    for (size_t i = 0; i < n; i++) {
        if (fcntl(fds[i], F_GETFD) != -1 || errno != EBADF) {
            close(fds[i]);
            return failed(why, why_size, "fd %zu of %zu was not closed by process_fds", i, n);
        }
    }
    if (*status == VKW_RENDERER_INVALID_ARGUMENT)
        return failed(why, why_size, "the renderer refused its arguments");
    if (reply_size && !reply)
        return failed(why, why_size, "a reply size without a reply");
    if (*status != VKW_RENDERER_HANDSHAKE_REFUSED &&
        !answer_well_formed(reply, reply_size, *status == VKW_RENDERER_PROTOCOL_ERROR, why,
                            why_size))
        return false;
    /* What an ended context must repeat: its error reply (the last
     * VKW_HEADER_BYTES + 8 bytes, after the replies of the batch's earlier
     * commands), or the refusing WELCOME. */
    if (*status == VKW_RENDERER_PROTOCOL_ERROR) {
        reply = (const uint8_t *)reply + reply_size - (VKW_HEADER_BYTES + 8);
        reply_size = VKW_HEADER_BYTES + 8;
    }
    if (*status != VKW_RENDERER_OK && !remember_answer(reply, reply_size))
        return failed(why, why_size, "out of memory");
    return true;
}

bool vkw_fuzz_run(const uint8_t *data, size_t size, char *why, size_t why_size)
{
    why[0] = '\0';
    if (!fz.renderer)
        return failed(why, why_size, "vkw_fuzz_init was not called");
    const int mappings_before = memfd_mappings();
    struct vkw_renderer_context *ctx = vkw_renderer_context_create(fz.renderer);
    if (!ctx)
        return failed(why, why_size, "cannot create a context");

    bool good = true, used_fds = false;
    enum vkw_renderer_status status = VKW_RENDERER_OK;
    size_t at = 0;
    if (size < 12 || le32(data + 8) != VKW_MSG_HELLO)
        good = feed(ctx, fz.hello.data, fz.hello.size, 0, &status, &used_fds, why, why_size);
    while (good && status == VKW_RENDERER_OK && size - at >= 8) {
        size_t n = le32(data + at);
        const uint32_t nfds = le32(data + at + 4);
        at += 8;
        if (n > size - at)
            n = size - at;
        good = feed(ctx, data + at, n, nfds, &status, &used_fds, why, why_size);
        at += n;
    }
    if (good && status != VKW_RENDERER_OK) {
        /* An ended context says the same thing again, and runs nothing. */
        const size_t made = vkw_fake_objects_made();
        const void *reply = NULL;
        size_t reply_size = 0;
        static const uint32_t empty_batch;
        enum vkw_renderer_status again = vkw_renderer_context_process(
            ctx, &empty_batch, 0, &reply, &reply_size);
        if (again != status || reply_size != fz.answer_size ||
            (reply_size && memcmp(reply, fz.answer, reply_size) != 0))
            good = failed(why, why_size,
                          "an ended context answered differently the second time "
                          "(status %d then %d, %zu then %zu bytes; %s)",
                          (int)status, (int)again, fz.answer_size, reply_size,
                          vkw_renderer_context_error(ctx));
        else if (fz.fake && vkw_fake_objects_made() != made)
            good = failed(why, why_size, "an ended context made objects");
        if (good && status == VKW_RENDERER_PROTOCOL_ERROR &&
            vkw_renderer_context_error(ctx)[0] == '\0')
            good = failed(why, why_size, "an ended context gives no reason");
    }
    vkw_renderer_context_destroy(ctx);

    if (fz.fake) {
        if (good && vkw_fake_problem()[0])
            good = failed(why, why_size, "fake driver: %s", vkw_fake_problem());
        if (good && vkw_fake_live_objects() != 0)
            good = failed(why, why_size, "%zu driver objects alive after the context was destroyed",
                          vkw_fake_live_objects());
        vkw_fake_reset();
    }
    if (good && used_fds && memfd_mappings() != mappings_before)
        good = failed(why, why_size, "guest pages still mapped after the context was destroyed");
    return good;
}
