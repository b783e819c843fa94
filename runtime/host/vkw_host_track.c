/* vkw_host_track — see vkw_host_track.h. */
#define _GNU_SOURCE /* F_GET_SEALS; before any include */
#include "vkw_host_track.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vkw_handles.h"
#include "vkw_host_context.h"
#include "vkw_memory_messages.h"

#define PAGE ((uint64_t)VKW_MEMORY_PAGE)

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t padded(uint64_t n)
{
    return (n + 3) & ~(uint64_t)3;
}

/* offset + count, or 2^64 - 1 when that overflows: BAD_RANGE's value. */
static uint64_t range_end(uint64_t offset, uint64_t count)
{
    return offset > UINT64_MAX - count ? UINT64_MAX : offset + count;
}

static void pad_reply(struct vkw_host_context *ctx, struct vkw_writer *reply, uint64_t count)
{
    static const uint8_t zeros[4];
    vkw_host_reply_bulk(ctx, reply, zeros, (size_t)(padded(count) - count));
}

void vkw_host_track_free(struct vkw_host_track *t)
{
    if (!t)
        return;
    free(t->mirror);
    if (t->shadow)
        munmap(t->shadow, t->shadow_size);
    free(t);
}

void vkw_host_track_written(struct vkw_host_memory *rec, uint64_t offset, const uint8_t *bytes,
                            uint64_t count)
{
    const struct vkw_host_track *t = rec->track;
    if (!t || !t->mirror)
        return;
    const uint64_t lo = offset > t->offset ? offset : t->offset;
    const uint64_t hi = min_u64(offset + count, t->offset + t->size);
    if (lo < hi)
        memcpy(t->mirror + (lo - t->offset), bytes + (lo - offset), (size_t)(hi - lo));
}

void vkw_host_track_reply_read(struct vkw_host_context *ctx, struct vkw_host_memory *rec,
                               uint64_t offset, uint64_t count, struct vkw_writer *reply)
{
    const uint8_t *map = rec->mapped;
    const struct vkw_host_track *t = rec->track;
    const uint64_t end = offset + count;
    const uint64_t lo = t && offset < t->offset ? t->offset : offset;
    const uint64_t hi = t ? min_u64(end, t->offset + t->size) : 0;
    if (!t || !t->mirror || lo >= hi) {
        vkw_host_reply_bulk(ctx, reply, map + offset, (size_t)count);
        return;
    }
    uint8_t *mirror = t->mirror + (lo - t->offset);
    memcpy(mirror, map + lo, (size_t)(hi - lo));
    vkw_host_reply_bulk(ctx, reply, map + offset, (size_t)(lo - offset));
    vkw_host_reply_bulk(ctx, reply, mirror, (size_t)(hi - lo));
    vkw_host_reply_bulk(ctx, reply, map + hi, (size_t)(end - hi));
}

/* ---- TRACK_MEMORY, UNTRACK_MEMORY ---- */

void vkw_host_track_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                           struct vkw_writer *reply)
{
    uint64_t id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    const uint64_t offset = vkw_read_u64(&d->r);
    const uint64_t size = vkw_read_u64(&d->r);
    const uint32_t flags = vkw_read_u32(&d->r);
    const uint32_t index = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    if (flags & ~VKW_TRACK_FLAGS_KNOWN) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FLAGS, flags);
        return;
    }
    const uint32_t coherent_shared = VKW_TRACK_COHERENT | VKW_TRACK_SHARED;
    if ((flags & VKW_TRACK_UNWRITTEN) && (flags & coherent_shared) != coherent_shared) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FLAGS, flags); /* nothing it could mean */
        return;
    }
    if (!(flags & VKW_TRACK_SHARED) && index != 0) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_FD, index); /* no fd to name */
        return;
    }
    if (size == 0) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE, offset);
        return;
    }
    uint8_t *src = NULL;
    struct vkw_host_memory *rec = vkw_host_memory_reach(ctx, d, id, offset, size, &src);
    if (!rec)
        return;
    const uint64_t rounded = (size + PAGE - 1) / PAGE * PAGE; /* size <= allocationSize */
    int fd = -1;
    if (flags & VKW_TRACK_SHARED) {
        fd = vkw_host_memory_take_fd(ctx, d, index);
        if (fd < 0)
            return;
        struct stat st;
        const int seals = fcntl(fd, F_GET_SEALS);
        /* A file that could shrink under the host's mapping would crash
         * the host when it touches the missing pages. */
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
            (uint64_t)st.st_size < rounded || rounded > SIZE_MAX || seals < 0 ||
            !(seals & F_SEAL_SHRINK)) {
            close(fd);
            vkw_reader_fail(&d->r, VKW_ERROR_BAD_FD, index);
            return;
        }
    }
    /* The new range replaces the old, whatever becomes of the new. */
    vkw_host_track_free(rec->track);
    rec->track = NULL;
    struct vkw_host_track *t = calloc(1, sizeof(*t));
    VkResult result = VK_ERROR_OUT_OF_HOST_MEMORY;
    if (t) {
        t->offset = offset;
        t->size = size;
        t->coherent = (flags & VKW_TRACK_COHERENT) != 0;
        const bool mirrored = t->coherent && !(flags & VKW_TRACK_UNWRITTEN);
        if (size <= SIZE_MAX && mirrored)
            t->mirror = malloc((size_t)size);
        if (fd >= 0) {
            t->shadow = vkw_host_memory_map_fd(fd, (size_t)rounded, (size_t)PAGE);
            t->shadow_size = (size_t)rounded;
        }
        if ((!mirrored || t->mirror) && (fd < 0 || t->shadow)) {
            if (t->mirror)
                memcpy(t->mirror, src, (size_t)size);
            if (t->shadow)
                memcpy(t->shadow, t->mirror ? t->mirror : src, (size_t)size);
            rec->track = t;
            result = VK_SUCCESS;
        } else {
            vkw_host_track_free(t);
        }
    }
    if (fd >= 0)
        close(fd); /* the mapping keeps the pages */
    if (reply)
        vkw_write_i32(reply, (int32_t)result);
}

void vkw_host_untrack_memory(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                             struct vkw_writer *reply)
{
    (void)reply; /* none: an empty one when asked */
    uint64_t id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    if (!vkw_host_memory_decoded(d))
        return;
    struct vkw_host_memory *rec = vkw_host_memory_find(&ctx->memory, id);
    if (rec) {
        vkw_host_track_free(rec->track);
        rec->track = NULL;
    }
}

/* ---- READ_CHANGED, SYNC_SHARED ---- */

/* What a message needs of a tracked range. */
enum need {
    NEED_MIRROR_ONLY, /* READ_CHANGED: a mirror and no shadow */
    NEED_SHARED,      /* FLUSH, INVALIDATE: a shadow */
    NEED_COHERENT,    /* PUSH_CHANGED: a shadow and COHERENT */
    NEED_MIRROR,      /* PULL_CHANGED: a shadow and a mirror */
};

/* The tracked range of memory `id` for a message over [offset, offset +
 * size): it must be there, be of the kind `need` says, hold the whole
 * part, and, when `paged`, the part must start on one of its pages.  NULL
 * (and the context fails) otherwise. */
static struct vkw_host_track *tracked_part(struct vkw_host_context *ctx,
                                           struct vkw_host_decoder *d, uint64_t id,
                                           uint64_t offset, uint64_t size, enum need need,
                                           bool paged)
{
    struct vkw_host_memory *rec = vkw_host_memory_find(&ctx->memory, id);
    if (!rec) { /* an id the table knows always has a record */
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_HANDLE, id);
        return NULL;
    }
    struct vkw_host_track *t = rec->track;
    bool fits = rec->host_visible && t && rec->mapped;
    if (fits) {
        switch (need) {
        case NEED_MIRROR_ONLY: fits = t->mirror && !t->shadow; break;
        case NEED_SHARED: fits = t->shadow != NULL; break;
        case NEED_COHERENT: fits = t->shadow && t->coherent; break;
        case NEED_MIRROR: fits = t->shadow && t->mirror; break;
        }
    }
    if (!fits) {
        vkw_reader_fail(&d->r, VKW_ERROR_UNSUPPORTED, id);
        return NULL;
    }
    if (offset < t->offset || offset - t->offset > t->size || size > t->size - (offset - t->offset) ||
        (paged && (offset - t->offset) % PAGE != 0)) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_RANGE, range_end(offset, size));
        return NULL;
    }
    return t;
}

static uint8_t *mapping_at(struct vkw_host_context *ctx, uint64_t id, uint64_t offset)
{
    return (uint8_t *)vkw_host_memory_find(&ctx->memory, id)->mapped + offset;
}

/* Changed pages are copied a run at a time, at most this long: a run
 * just copied into the mirror is still in the cache when it is copied on
 * to the mapping or the shadow (measured: a fifth faster than page by
 * page, and than runs too big for the cache). */
#define RUN_PAGES 32u

static bool page_differs(const uint8_t *a, const uint8_t *b, uint64_t p, uint64_t size)
{
    return memcmp(a + p, b + p, (size_t)min_u64(PAGE, size - p)) != 0;
}

void vkw_host_read_changed(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                           struct vkw_writer *reply)
{
    uint64_t id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    const uint64_t offset = vkw_read_u64(&d->r);
    const uint64_t size = vkw_read_u64(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    if (size > VKW_READ_CHANGED_MAX) { /* the reply must fit a message */
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_COUNT, size);
        return;
    }
    struct vkw_host_track *t = tracked_part(ctx, d, id, offset, size, NEED_MIRROR_ONLY, true);
    if (!t)
        return;
    if (!reply)
        return; /* no REPLY flag: nothing compared, nothing said */
    const uint8_t *map = mapping_at(ctx, id, offset);
    uint8_t *mirror = t->mirror + (offset - t->offset);
    const size_t count_at = reply->size;
    vkw_write_u64(reply, 0); /* the number of runs, known at the end */
    uint64_t runs = 0;
    for (uint64_t p = 0; p < size;) {
        uint64_t len = min_u64(PAGE, size - p);
        if (memcmp(map + p, mirror + p, (size_t)len) == 0) {
            p += len;
            continue;
        }
        const uint64_t start = p;
        p += len;
        while (p < size && page_differs(map, mirror, p, size))
            p = min_u64(p + PAGE, size);
        memcpy(mirror + start, map + start, (size_t)(p - start)); /* what the guest will have */
        vkw_write_u64(reply, offset + start);
        vkw_write_u64(reply, p - start);
        vkw_host_reply_bulk(ctx, reply, mirror + start, (size_t)(p - start));
        pad_reply(ctx, reply, p - start);
        runs++;
    }
    vkw_writer_patch_u64(reply, count_at, runs);
}

/* PUSH_CHANGED over `size` bytes: pages where the shadow and the mirror
 * differ go to the mirror, then from it to the mapping.  Without a mirror
 * (UNWRITTEN) the mapping is compared and takes them straight: a page the
 * guest changes meanwhile differs again at the next push.  Returns the
 * bytes that reached the mapping. */
static uint64_t push_changed(uint8_t *map, uint8_t *mirror, const uint8_t *shadow, uint64_t size)
{
    const uint8_t *base = mirror ? mirror : map;
    uint64_t moved = 0;
    for (uint64_t p = 0; p < size;) {
        if (!page_differs(shadow, base, p, size)) {
            p += PAGE;
            continue;
        }
        const uint64_t start = p;
        p = min_u64(p + PAGE, size);
        while (p < size && p - start < RUN_PAGES * PAGE && page_differs(shadow, base, p, size))
            p = min_u64(p + PAGE, size);
        if (mirror)
            memcpy(mirror + start, shadow + start, (size_t)(p - start));
        memcpy(map + start, mirror ? mirror + start : shadow + start, (size_t)(p - start));
        moved += p - start;
    }
    return moved;
}

/* PULL_CHANGED: pages where the mapping and the mirror differ; the shadow
 * takes them unless the guest changed that page since the last sync.
 * Returns the bytes that reached the shadow. */
static uint64_t pull_changed(const uint8_t *map, uint8_t *mirror, uint8_t *shadow, uint64_t size)
{
    uint64_t moved = 0;
    bool guest_changed[RUN_PAGES];
    for (uint64_t p = 0; p < size;) {
        if (!page_differs(map, mirror, p, size)) {
            p += PAGE;
            continue;
        }
        /* A run of pages the device changed; which of them the guest
         * changed too must be known before the mirror takes the run. */
        const uint64_t start = p;
        unsigned n = 0;
        do {
            guest_changed[n++] = page_differs(shadow, mirror, p, size);
            p = min_u64(p + PAGE, size);
        } while (p < size && n < RUN_PAGES && page_differs(map, mirror, p, size));
        memcpy(mirror + start, map + start, (size_t)(p - start));
        for (unsigned i = 0; i < n;) { /* the shadow takes the guest's untouched pages */
            if (guest_changed[i]) {
                i++;
                continue;
            }
            unsigned j = i;
            while (j < n && !guest_changed[j])
                j++;
            const uint64_t from = start + (uint64_t)i * PAGE;
            const uint64_t to = min_u64(start + (uint64_t)j * PAGE, p);
            memcpy(shadow + from, mirror + from, (size_t)(to - from));
            moved += to - from;
            i = j;
        }
    }
    return moved;
}

void vkw_host_sync_shared(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                          struct vkw_writer *reply)
{
    uint64_t id = 0;
    vkw_host_decode_handle(d, VKW_HANDLE_VkDeviceMemory, true, &id);
    const uint64_t offset = vkw_read_u64(&d->r);
    const uint64_t size = vkw_read_u64(&d->r);
    const uint32_t op = vkw_read_u32(&d->r);
    if (!vkw_host_memory_decoded(d))
        return;
    if (op < VKW_SYNC_PUSH_CHANGED || op > VKW_SYNC_INVALIDATE) {
        vkw_reader_fail(&d->r, VKW_ERROR_BAD_ENUM, op);
        return;
    }
    const bool changed = op == VKW_SYNC_PUSH_CHANGED || op == VKW_SYNC_PULL_CHANGED;
    const enum need need = op == VKW_SYNC_PUSH_CHANGED   ? NEED_COHERENT
                           : op == VKW_SYNC_PULL_CHANGED ? NEED_MIRROR
                                                         : NEED_SHARED;
    struct vkw_host_track *t = tracked_part(ctx, d, id, offset, size, need, changed);
    if (!t)
        return;
    uint8_t *map = mapping_at(ctx, id, offset);
    uint8_t *shadow = t->shadow + (offset - t->offset);
    uint8_t *mirror = t->mirror ? t->mirror + (offset - t->offset) : NULL;
    uint64_t moved = size;
    switch ((enum vkw_sync_op)op) {
    case VKW_SYNC_PUSH_CHANGED:
        moved = push_changed(map, mirror, shadow, size);
        break;
    case VKW_SYNC_PULL_CHANGED:
        moved = pull_changed(map, mirror, shadow, size);
        break;
    case VKW_SYNC_FLUSH: /* through the mirror, if any: it must equal what the mapping got */
        if (mirror)
            memcpy(mirror, shadow, (size_t)size);
        memcpy(map, mirror ? mirror : shadow, (size_t)size);
        break;
    case VKW_SYNC_INVALIDATE:
        if (mirror)
            memcpy(mirror, map, (size_t)size);
        memcpy(shadow, mirror ? mirror : map, (size_t)size);
        break;
    }
    if (reply)
        vkw_write_u64(reply, moved);
}
