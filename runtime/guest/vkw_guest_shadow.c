/* vkw_guest_shadow — see vkw_guest_shadow.h. */
#define _GNU_SOURCE /* memfd_create */
#include "vkw_guest_shadow.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vkw_guest_conn.h"
#include "vkw_guest_write_watch.h"
#include "vkw_handshake.h"
#include "vkw_icd.h"
#include "vkw_memory_messages.h"

#define PAGE ((VkDeviceSize)VKW_MEMORY_PAGE)
/* Bytes per READ_MEMORY and READ_CHANGED: far below the message limit, and
 * whole pages, so every chunk starts on a page of the tracked range. */
#define READ_CHUNK ((VkDeviceSize)64 << 20)
/* Bytes per WRITE_MEMORY: the host copies one message into its mapping
 * while the guest refreshes its clean copy from the next, so smaller
 * messages let both ends work at once. */
#define WRITE_CHUNK ((VkDeviceSize)8 << 20)

static VkDeviceSize min_size(VkDeviceSize a, VkDeviceSize b)
{
    return a < b ? a : b;
}

static VkDeviceSize padded(VkDeviceSize n)
{
    return (n + 3) & ~(VkDeviceSize)3;
}

int vkw_guest_memfd(size_t bytes, void **pages)
{
    int fd = memfd_create("vkwire-memory", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return -1;
    }
    /* Commit the pages now, as a GPU driver commits its system-memory
     * heaps: the application's first writes then take no page faults (a
     * shared-memory fault costs more than a private one, and the host
     * would take a second one of its own).  An old kernel without
     * MADV_POPULATE_WRITE just faults lazily. */
    (void)madvise(p, bytes, MADV_POPULATE_WRITE);
    *pages = p;
    return fd;
}

/* ---- messages ---- */

static bool write_memory(struct vkw_guest_conn *conn, uint64_t id, VkDeviceSize offset,
                         const unsigned char *bytes, VkDeviceSize n)
{
    for (VkDeviceSize done = 0; done < n; done += WRITE_CHUNK) {
        const VkDeviceSize part = min_size(n - done, WRITE_CHUNK);
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_WRITE_MEMORY, 0, call.serial);
        vkw_write_u64(w, id);
        vkw_write_u64(w, offset + done);
        vkw_write_u64(w, part);
        vkw_call_send_bulk(&call, at, bytes + done, (size_t)part);
    }
    return !conn->lost;
}

/* The reply's bytes go straight into `dst`. */
static bool read_memory(struct vkw_guest_conn *conn, uint64_t id, VkDeviceSize offset,
                        unsigned char *dst, VkDeviceSize n)
{
    for (VkDeviceSize done = 0; done < n; done += READ_CHUNK) {
        const VkDeviceSize part = min_size(n - done, READ_CHUNK);
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_READ_MEMORY, VKW_COMMAND_FLAG_REPLY, call.serial);
        vkw_write_u64(w, id);
        vkw_write_u64(w, offset + done);
        vkw_write_u64(w, part);
        vkw_end_message(w, at);
        struct vkw_reader *r = vkw_call_wait_parts(&call, 8);
        bool good = false;
        if (r) {
            const uint64_t count = vkw_read_u64(r);
            good = count == part && vkw_call_read(&call, dst + done, (size_t)part) &&
                   vkw_call_read(&call, NULL, (size_t)(padded(part) - part));
            if (!good)
                vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, count);
        }
        if (!vkw_call_end(&call, r) || !good)
            return false;
    }
    return true;
}

/* TRACK_MEMORY for the shadow's range; `fd` >= 0 travels with it. */
static VkResult track(struct vkw_guest_shadow *s, uint32_t flags, int fd)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(s->conn, &call);
    size_t at = vkw_begin_command(w, VKW_MSG_TRACK_MEMORY, VKW_COMMAND_FLAG_REPLY, call.serial);
    vkw_write_u64(w, s->memory);
    vkw_write_u64(w, s->offset);
    vkw_write_u64(w, s->size);
    vkw_write_u32(w, flags);
    vkw_write_u32(w, 0); /* the fd's index among the message's fds */
    vkw_end_message(w, at);
    if (fd >= 0) {
        call.fds = &fd;
        call.nfds = 1;
    }
    struct vkw_reader *r = vkw_call_wait(&call, false);
    VkResult result = r ? (VkResult)vkw_read_i32(r) : VK_ERROR_DEVICE_LOST;
    if (!vkw_call_end(&call, r))
        result = VK_ERROR_DEVICE_LOST;
    return result;
}

/* SYNC_SHARED over [from, from + len) of the shadow; `wait`: for its reply. */
static bool sync_shared(struct vkw_guest_shadow *s, enum vkw_sync_op op, VkDeviceSize from,
                        VkDeviceSize len, bool wait)
{
    struct vkw_call call;
    struct vkw_writer *w = vkw_call_begin(s->conn, &call);
    size_t at = vkw_begin_command(w, VKW_MSG_SYNC_SHARED, wait ? VKW_COMMAND_FLAG_REPLY : 0,
                                  call.serial);
    vkw_write_u64(w, s->memory);
    vkw_write_u64(w, s->offset + from);
    vkw_write_u64(w, len);
    vkw_write_u32(w, (uint32_t)op);
    vkw_end_message(w, at);
    if (!wait) {
        vkw_call_send(&call);
        return !s->conn->lost;
    }
    struct vkw_reader *r = vkw_call_wait(&call, false);
    if (r)
        (void)vkw_read_u64(r); /* the bytes the host moved: for tests, not needed here */
    return vkw_call_end(&call, r);
}

/* ---- the socket ways: what changed, page by page ---- */

static VkDeviceSize page_length(const struct vkw_guest_shadow *s, VkDeviceSize at)
{
    return min_size(PAGE, s->size - at);
}

/* Whether the application changed the page at `at` since the last sync. */
static bool page_dirty(const struct vkw_guest_shadow *s, VkDeviceSize at)
{
    return memcmp(s->bytes + at, s->clean + at, (size_t)page_length(s, at)) != 0;
}

/* Send the pages that differ from the clean copy, from the shadow itself;
 * each message's clean copy is refreshed while the host takes it in. */
static bool push_dirty(struct vkw_guest_shadow *s)
{
    for (VkDeviceSize at = 0; at < s->size;) {
        if (!page_dirty(s, at)) {
            at += page_length(s, at);
            continue;
        }
        VkDeviceSize end = at + page_length(s, at);
        while (end < s->size && end - at < WRITE_CHUNK && page_dirty(s, end))
            end += page_length(s, end);
        if (!write_memory(s->conn, s->memory, s->offset + at, s->bytes + at, end - at))
            return false;
        memcpy(s->clean + at, s->bytes + at, (size_t)(end - at));
        at = end;
    }
    return true;
}

/* Take `len` bytes of a READ_CHANGED run for shadow offset `at` (on a
 * page) from the reply: pages the application left alone take them in the
 * shadow and the clean copy; pages it changed keep its bytes, and the
 * clean copy takes the device's, so the next push sends the application's
 * page whole. */
static bool take_run(struct vkw_call *call, struct vkw_guest_shadow *s, VkDeviceSize at,
                     VkDeviceSize len)
{
    const VkDeviceSize end = at + len;
    while (at < end) {
        const bool dirty = page_dirty(s, at);
        VkDeviceSize stop = at + min_size(PAGE, end - at);
        while (stop < end && page_dirty(s, stop) == dirty)
            stop += min_size(PAGE, end - stop);
        if (!vkw_call_read(call, (dirty ? s->clean : s->bytes) + at, (size_t)(stop - at)))
            return false;
        if (!dirty)
            memcpy(s->clean + at, s->bytes + at, (size_t)(stop - at));
        at = stop;
    }
    return true;
}

/* Decode a READ_CHANGED run header (u64 offset, u64 count). */
static void run_header(const uint64_t words[2], uint64_t *offset, uint64_t *count)
{
    struct vkw_reader r;
    vkw_reader_init(&r, words, 16, NULL);
    *offset = vkw_read_u64(&r);
    *count = vkw_read_u64(&r);
}

/* READ_CHANGED over the shadow, a chunk at a time. */
static bool pull_changed(struct vkw_guest_shadow *s)
{
    for (VkDeviceSize done = 0; done < s->size; done += READ_CHUNK) {
        const VkDeviceSize part = min_size(s->size - done, READ_CHUNK);
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(s->conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_READ_CHANGED, VKW_COMMAND_FLAG_REPLY, call.serial);
        vkw_write_u64(w, s->memory);
        vkw_write_u64(w, s->offset + done);
        vkw_write_u64(w, part);
        vkw_end_message(w, at);
        struct vkw_reader *r = vkw_call_wait_parts(&call, 8);
        const uint64_t runs = r ? vkw_read_u64(r) : 0;
        bool good = r != NULL;
        VkDeviceSize next = done; /* where the next run may start, in the shadow */
        for (uint64_t i = 0; good && i < runs; i++) {
            uint64_t words[2], offset, count;
            if (!(good = vkw_call_read(&call, words, sizeof(words))))
                break;
            run_header(words, &offset, &count);
            /* Runs in order, on pages, inside this chunk: anything else
             * would put bytes where they do not belong. */
            const VkDeviceSize run = offset - s->offset;
            good = good && offset >= s->offset && run >= next && run % PAGE == 0 && count > 0 &&
                   run < done + part && count <= done + part - run &&
                   take_run(&call, s, run, count) &&
                   vkw_call_read(&call, NULL, (size_t)(padded(count) - count));
            next = run + count;
        }
        if (r && !good)
            vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, runs);
        if (!vkw_call_end(&call, r) || !good)
            return false;
    }
    return true;
}

/* A host that cannot track: read everything, keep the application's
 * pages. */
static bool pull_whole(struct vkw_guest_shadow *s)
{
    const size_t pages = (size_t)((s->size + PAGE - 1) / PAGE);
    unsigned char *dirty = vkw_zalloc(s->alloc, pages, VK_SYSTEM_ALLOCATION_SCOPE_COMMAND);
    if (!dirty)
        return false;
    for (size_t p = 0; p < pages; p++)
        dirty[p] = page_dirty(s, p * PAGE);
    const bool got = read_memory(s->conn, s->memory, s->offset, s->clean, s->size);
    for (size_t p = 0; got && p < pages; p++)
        if (!dirty[p])
            memcpy(s->bytes + p * PAGE, s->clean + p * PAGE, (size_t)page_length(s, p * PAGE));
    vkw_free(s->alloc, dirty);
    return got;
}

/* ---- the watched way: the kernel says what the application wrote ---- */

static uint32_t shared_flags(const struct vkw_guest_shadow *s);

/* A shadow written over more than this fraction between two pushes goes
 * back to comparing (see vkw_guest_shadow.h). */
#define WATCH_GIVE_UP_DIVISOR 4

/* What a scan found, as its runs arrive (in increasing order). */
struct written {
    struct vkw_guest_shadow *s;
    bool sent;              /* every SYNC_SHARED so far went out */
    VkDeviceSize bytes;     /* push: written bytes seen so far */
    VkDeviceSize next;      /* pull: where the last written run ended */
    VkDeviceSize gap, gap_end; /* pull: the last gap found, not sent yet */
};

static VkDeviceSize clip(const struct vkw_guest_shadow *s, size_t offset, size_t length)
{
    return offset >= s->size ? 0 : min_size((VkDeviceSize)length, s->size - offset);
}

/* Push: each written run goes to the mapping as it is listed. */
static void flush_written(size_t offset, size_t length, void *user)
{
    struct written *w = user;
    const VkDeviceSize n = clip(w->s, offset, length);
    if (n == 0)
        return;
    w->bytes += n;
    w->sent = w->sent && sync_shared(w->s, VKW_SYNC_FLUSH, offset, n, false);
}

/* Pull: the gap before the written run at `to` (if any) becomes the one
 * held back; the one held before goes now, without a reply.  The last gap
 * is held back so that it can be awaited. */
static void gap_before(struct written *w, VkDeviceSize to)
{
    if (to <= w->next)
        return;
    if (w->gap_end > w->gap)
        w->sent = w->sent && sync_shared(w->s, VKW_SYNC_INVALIDATE, w->gap, w->gap_end - w->gap,
                                          false);
    w->gap = w->next;
    w->gap_end = to;
}

/* Pull: a written run keeps the application's bytes; what lies before it
 * takes the mapping's. */
static void skip_written(size_t offset, size_t length, void *user)
{
    struct written *w = user;
    const VkDeviceSize n = clip(w->s, offset, length);
    if (n == 0)
        return;
    gap_before(w, offset);
    w->next = offset + n;
}

static void stop_watching(struct vkw_guest_shadow *s)
{
    if (s->watched)
        vkw_write_watch_stop(s->bytes, s->memfd_bytes);
    s->watched = false;
}

/* Compare from now on: the host makes a mirror of its mapping (which has
 * just taken every written page) and refreshes the shadow from it. */
static bool watch_give_up(struct vkw_guest_shadow *s)
{
    stop_watching(s);
    const VkResult r = track(s, shared_flags(s), s->memfd);
    if (r == VK_SUCCESS)
        return true;
    s->tracked = false;
    if (!s->conn->lost)
        fprintf(stderr, "vkwire: the host could not track a mapping again (%d): it is no "
                        "longer kept in step with the device\n", (int)r);
    s->coherent = false;
    return false;
}

/* `last`: the shadow goes after this push (unmap): no point in comparing
 * from now on. */
static bool watched_push(struct vkw_guest_shadow *s, bool last)
{
    struct written w = {.s = s, .sent = true};
    if (!vkw_write_watch_scan(s->bytes, s->memfd_bytes, true, flush_written, &w)) {
        /* The kernel could not say: everything may be written. */
        return sync_shared(s, VKW_SYNC_FLUSH, 0, s->size, false) && (last || watch_give_up(s));
    }
    if (!w.sent)
        return false;
    if (!last && w.bytes > s->size / WATCH_GIVE_UP_DIVISOR)
        return watch_give_up(s);
    return true;
}

/* Every page the application did not write since the last push takes the
 * mapping's bytes; the written ones keep the application's (the rule for
 * coherent memory) and reach the device at the next push. */
static bool watched_pull(struct vkw_guest_shadow *s)
{
    struct written w = {.s = s, .sent = true};
    if (!vkw_write_watch_scan(s->bytes, s->memfd_bytes, false, skip_written, &w)) {
        fprintf(stderr, "vkwire: cannot tell which pages of a mapping were written; "
                        "taking the device's bytes for all of it\n");
        return sync_shared(s, VKW_SYNC_INVALIDATE, 0, s->size, true);
    }
    gap_before(&w, s->size);
    /* SYNC_SHARED runs in order: the last gap's reply says all are done. */
    if (w.sent && w.gap_end > w.gap)
        return sync_shared(s, VKW_SYNC_INVALIDATE, w.gap, w.gap_end - w.gap, true);
    return w.sent;
}

/* ---- the shadow's life ---- */

/* The TRACK_MEMORY flags of a shared shadow. */
static uint32_t shared_flags(const struct vkw_guest_shadow *s)
{
    if (!s->coherent || s->watched) /* watched: the kernel tells, no mirror needed */
        return VKW_TRACK_SHARED;
    return VKW_TRACK_SHARED | VKW_TRACK_COHERENT | (s->device_writes ? 0 : VKW_TRACK_UNWRITTEN);
}

VkResult vkw_guest_shadow_open(struct vkw_guest_shadow *s, struct vkw_guest_conn *conn,
                               uint64_t memory, VkDeviceSize offset, VkDeviceSize size,
                               bool coherent, bool share, bool device_writes)
{
    return vkw_guest_shadow_open_at(s, conn, memory, offset, size, coherent, share, device_writes,
                                    NULL, NULL);
}

VkResult vkw_guest_shadow_open_at(struct vkw_guest_shadow *s, struct vkw_guest_conn *conn,
                                  uint64_t memory, VkDeviceSize offset, VkDeviceSize size,
                                  bool coherent, bool share, bool device_writes, void *at,
                                  const struct vkw_alloc *alloc)
{
    memset(s, 0, sizeof(*s));
    s->alloc = alloc;
    if (at && size > SIZE_MAX - PAGE)
        return VK_ERROR_MEMORY_MAP_FAILED;
    const size_t whole = (size_t)((size + PAGE - 1) / PAGE * PAGE);
    s->conn = conn;
    s->memory = memory;
    s->offset = offset;
    s->size = size;
    s->coherent = coherent;
    s->device_writes = device_writes;
    s->memfd = -1;
    const bool tracking = (conn->agreed_features & VKW_FEATURE_TRACKED_MEMORY) != 0;

    if (share && tracking && vkw_conn_passes_fds(conn->transport) && size <= SIZE_MAX - PAGE) {
        const size_t bytes = whole;
        void *pages = NULL;
        int fd = vkw_guest_memfd(bytes, &pages);
        /* Placed: the memfd's pages move over the application's range. */
        if (fd >= 0 && at &&
            mremap(pages, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, at) == MAP_FAILED) {
            close(fd);
            munmap(pages, bytes);
            fd = -1;
        } else if (fd >= 0 && at) {
            pages = at;
            s->placed_bytes = bytes;
        }
        if (fd >= 0) {
            s->bytes = pages;
            s->memfd_bytes = bytes;
            /* Watched from before the host fills it: the host's writes go
             * through its own mapping and count as nobody's. */
            s->watched = coherent && vkw_write_watch_available() &&
                         vkw_write_watch_start(pages, bytes);
            const VkResult r = track(s, shared_flags(s), fd);
            if (r == VK_SUCCESS) {
                s->kind = VKW_SHADOW_SHARED;
                s->tracked = true;
                s->memfd = fd; /* the host maps its own; ours may be sent again */
                return VK_SUCCESS; /* the host filled it */
            }
            stop_watching(s);
            s->bytes = NULL;
            s->memfd_bytes = 0;
            s->placed_bytes = 0;
            close(fd);
            munmap(pages, bytes);
            if (conn->lost)
                return VK_ERROR_MEMORY_MAP_FAILED;
        }
        /* No memfd, or the host could not map it: the socket way. */
    }

    s->kind = coherent && !tracking ? VKW_SHADOW_UNTRACKED : VKW_SHADOW_SOCKET;
    if (at) {
        void *p = mmap(at, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                       -1, 0);
        s->bytes = p == MAP_FAILED ? NULL : p;
        s->placed_bytes = p == MAP_FAILED ? 0 : whole;
    } else {
        s->bytes = vkw_alloc(s->alloc, (size_t)size, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    }
    s->clean =
        coherent ? vkw_alloc(s->alloc, (size_t)size, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT) : NULL;
    if (!s->bytes || (coherent && !s->clean)) {
        /* A placed range that cannot be mapped is a map failure; heap
         * memory the allocator refused, out of host memory. */
        const VkResult r =
            at && !s->bytes ? VK_ERROR_MEMORY_MAP_FAILED : VK_ERROR_OUT_OF_HOST_MEMORY;
        vkw_guest_shadow_drop(s);
        return r;
    }
    if (coherent && tracking && device_writes) {
        /* The mirror first: the read below refreshes it with exactly the
         * bytes it returns, so the host's mirror is the clean copy.  (Memory
         * the device cannot write needs no mirror: it is never pulled.) */
        const VkResult r = track(s, VKW_TRACK_COHERENT, -1);
        if (r == VK_SUCCESS)
            s->tracked = true;
        else if (!conn->lost)
            s->kind = VKW_SHADOW_UNTRACKED; /* the host is short of memory: full pulls */
    }
    if (!read_memory(conn, memory, offset, s->bytes, size)) {
        vkw_guest_shadow_drop(s);
        return VK_ERROR_MEMORY_MAP_FAILED;
    }
    if (s->clean)
        memcpy(s->clean, s->bytes, (size_t)size);
    return VK_SUCCESS;
}

void vkw_guest_shadow_drop(struct vkw_guest_shadow *s)
{
    stop_watching(s);
    if (s->memfd_bytes && s->bytes)
        munmap(s->bytes, s->memfd_bytes);
    else if (s->placed_bytes && s->bytes)
        munmap(s->bytes, s->placed_bytes);
    else
        vkw_free(s->alloc, s->bytes);
    if (s->memfd >= 0)
        close(s->memfd);
    vkw_free(s->alloc, s->clean);
    s->bytes = s->clean = NULL;
    s->memfd = -1;
    s->memfd_bytes = s->placed_bytes = 0;
    s->tracked = false;
}

bool vkw_guest_shadow_device_writes(struct vkw_guest_shadow *s)
{
    if (s->device_writes)
        return true;
    /* What the application wrote reaches the mapping first, so the mirror
     * the host now makes of the mapping is what the guest has. */
    const bool pushed = vkw_guest_shadow_push(s);
    s->device_writes = true;
    /* A watched shadow needs no mirror: pulls take every page the
     * application did not write. */
    if (!pushed || !s->coherent || s->kind == VKW_SHADOW_UNTRACKED || s->watched)
        return pushed;
    if (!(s->conn->agreed_features & VKW_FEATURE_TRACKED_MEMORY))
        return true; /* socket way, no tracking: full pulls */
    const VkResult r = s->kind == VKW_SHADOW_SHARED ? track(s, shared_flags(s), s->memfd)
                                                    : track(s, VKW_TRACK_COHERENT, -1);
    if (r == VK_SUCCESS) {
        s->tracked = true;
        return true;
    }
    if (s->conn->lost)
        return false;
    /* The host is short of memory and tracks nothing now: go on the
     * untracked socket way (full pulls).  A shared shadow keeps its pages
     * (the application has them) and needs a clean copy: after the push
     * the host's bytes are the shadow's. */
    s->tracked = false;
    if (s->kind == VKW_SHADOW_SHARED) {
        s->clean = vkw_alloc(s->alloc, (size_t)s->size, VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
        if (!s->clean) {
            fprintf(stderr, "vkwire: out of memory: a coherent mapping is no longer kept in "
                            "step with the device\n");
            s->coherent = false;
            return false;
        }
        memcpy(s->clean, s->bytes, (size_t)s->size);
    }
    s->kind = VKW_SHADOW_UNTRACKED;
    return true;
}

void vkw_guest_shadow_close(struct vkw_guest_shadow *s)
{
    /* Coherent: what was written must not be lost. */
    if (s->watched) /* only coherent shared shadows are */
        watched_push(s, true);
    else
        vkw_guest_shadow_push(s);
    if (s->tracked && !s->conn->lost) {
        struct vkw_call call;
        struct vkw_writer *w = vkw_call_begin(s->conn, &call);
        size_t at = vkw_begin_command(w, VKW_MSG_UNTRACK_MEMORY, 0, call.serial);
        vkw_write_u64(w, s->memory);
        vkw_end_message(w, at);
        vkw_call_send(&call);
    }
    vkw_guest_shadow_drop(s);
}

bool vkw_guest_shadow_push(struct vkw_guest_shadow *s)
{
    if (!s->coherent)
        return true;
    if (s->watched)
        return watched_push(s, false);
    if (s->kind == VKW_SHADOW_SHARED) /* no reply: it runs before what follows */
        return sync_shared(s, VKW_SYNC_PUSH_CHANGED, 0, s->size, false);
    return push_dirty(s);
}

bool vkw_guest_shadow_pull(struct vkw_guest_shadow *s)
{
    if (!s->coherent || !s->device_writes)
        return true;
    switch (s->kind) {
    case VKW_SHADOW_SHARED:
        return s->watched ? watched_pull(s)
                          : sync_shared(s, VKW_SYNC_PULL_CHANGED, 0, s->size, true);
    case VKW_SHADOW_SOCKET: return pull_changed(s);
    case VKW_SHADOW_UNTRACKED: return pull_whole(s);
    }
    return false;
}

bool vkw_guest_shadow_flush(struct vkw_guest_shadow *s, VkDeviceSize from, VkDeviceSize len)
{
    if (s->coherent)
        return vkw_guest_shadow_push(s);
    if (s->kind == VKW_SHADOW_SHARED)
        return sync_shared(s, VKW_SYNC_FLUSH, from, len, false);
    return write_memory(s->conn, s->memory, s->offset + from, s->bytes + from, len);
}

bool vkw_guest_shadow_invalidate(struct vkw_guest_shadow *s, VkDeviceSize from,
                                 VkDeviceSize len)
{
    if (s->coherent)
        return vkw_guest_shadow_pull(s);
    if (s->kind == VKW_SHADOW_SHARED)
        return sync_shared(s, VKW_SYNC_INVALIDATE, from, len, true);
    return read_memory(s->conn, s->memory, s->offset + from, s->bytes + from, len);
}
