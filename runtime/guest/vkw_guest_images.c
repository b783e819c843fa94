/* vkw_guest_images — see vkw_guest_images.h. */
#include "vkw_guest_images.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vkw_guest_encode.h"
#include "vkw_guest_idtable.h"
#include "vkw_vulkan_util.h"
#include "vkw_wire.h"

/* A VK_HOST_IMAGE_COPY_MEMCPY size the host's driver gave. */
struct memcpy_size {
    uint32_t aspect, mip, layer;
    uint64_t size;
};

struct vkw_guest_image {
    struct vkw_guest_idlink link; /* first: the table's; its id is the VkImage */
    VkDevice device;
    struct vkw_alloc alloc; /* the image's: the record and its sizes come from it */
    struct vkw_copy_image image;
    struct memcpy_size *memcpy_sizes; /* few: an application asks for some subresources */
    uint32_t memcpy_count, memcpy_capacity;
};

static struct {
    pthread_mutex_t lock;
    struct vkw_guest_idtable records; /* image id -> record */
} images = {PTHREAD_MUTEX_INITIALIZER, {0}};

static struct vkw_guest_image *find_record(VkImage image)
{
    return (struct vkw_guest_image *)vkw_guest_idtable_find(&images.records, VKW_HANDLE_U64(image));
}

void vkw_guest_image_discard(struct vkw_guest_image *rec)
{
    if (!rec)
        return;
    const struct vkw_alloc alloc = rec->alloc;
    vkw_free(&alloc, rec->memcpy_sizes);
    vkw_free(&alloc, rec);
}

static void drop(struct vkw_guest_idlink *l)
{
    vkw_guest_image_discard((struct vkw_guest_image *)l);
}

/* At unload, so that leak checkers see nothing left of a process that
 * leaked its images: the records made with the C library (the
 * application's allocator may not be called outside a Vulkan command). */
static bool from_libc(const struct vkw_guest_idlink *l, const void *user)
{
    (void)user;
    return ((const struct vkw_guest_image *)l)->alloc.allocate == NULL;
}

__attribute__((destructor)) static void forget_leftovers(void)
{
    vkw_guest_idtable_remove_if(&images.records, from_libc, drop, NULL);
}

struct vkw_guest_image *vkw_guest_image_make(VkDevice device, const VkImageCreateInfo *ci,
                                             const struct vkw_alloc *alloc)
{
    struct vkw_guest_image *rec =
        vkw_zalloc(alloc, sizeof(*rec), VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
    if (!rec)
        return NULL;
    rec->device = device;
    rec->alloc = alloc ? *alloc : (struct vkw_alloc){0};
    vkw_copy_image_init(&rec->image, ci);
    return rec;
}

void vkw_guest_image_add(struct vkw_guest_image *rec, VkImage image)
{
    rec->link.id = VKW_HANDLE_U64(image);
    pthread_mutex_lock(&images.lock);
    /* an id used again (not destroyed through us) */
    struct vkw_guest_idlink *old = vkw_guest_idtable_remove(&images.records, rec->link.id);
    vkw_guest_idtable_add(&images.records, &rec->link);
    pthread_mutex_unlock(&images.lock);
    if (old)
        drop(old);
}

void vkw_guest_image_forget(VkImage image)
{
    pthread_mutex_lock(&images.lock);
    struct vkw_guest_idlink *rec = vkw_guest_idtable_remove(&images.records, VKW_HANDLE_U64(image));
    pthread_mutex_unlock(&images.lock);
    if (rec)
        drop(rec);
}

static bool of_device(const struct vkw_guest_idlink *l, const void *device)
{
    return ((const struct vkw_guest_image *)l)->device == device;
}

void vkw_guest_images_forget_device(VkDevice device)
{
    pthread_mutex_lock(&images.lock);
    vkw_guest_idtable_remove_if(&images.records, of_device, drop, device);
    pthread_mutex_unlock(&images.lock);
}

static struct memcpy_size *find_size(struct vkw_guest_image *rec, uint32_t aspect, uint32_t mip,
                                     uint32_t layer)
{
    for (uint32_t i = 0; i < rec->memcpy_count; i++) {
        struct memcpy_size *m = &rec->memcpy_sizes[i];
        if (m->aspect == aspect && m->mip == mip && m->layer == layer)
            return m;
    }
    return NULL;
}

bool vkw_guest_image_note_memcpy_size(VkImage image, uint32_t aspect, uint32_t mip,
                                      uint32_t layer, uint64_t size)
{
    bool ok = false;
    pthread_mutex_lock(&images.lock);
    struct vkw_guest_image *rec = find_record(image);
    struct memcpy_size *m = rec ? find_size(rec, aspect, mip, layer) : NULL;
    if (rec && !m && rec->memcpy_count == rec->memcpy_capacity) {
        const uint32_t capacity = rec->memcpy_capacity ? rec->memcpy_capacity * 2 : 4;
        struct memcpy_size *grown = vkw_realloc(&rec->alloc, rec->memcpy_sizes,
                                                capacity * sizeof(*grown),
                                                VK_SYSTEM_ALLOCATION_SCOPE_OBJECT);
        if (grown) {
            rec->memcpy_sizes = grown;
            rec->memcpy_capacity = capacity;
        }
    }
    if (rec && !m && rec->memcpy_count < rec->memcpy_capacity)
        m = &rec->memcpy_sizes[rec->memcpy_count++];
    if (m) {
        *m = (struct memcpy_size){aspect, mip, layer, size};
        ok = true;
    }
    pthread_mutex_unlock(&images.lock);
    return ok;
}

bool vkw_guest_image_memcpy_size(VkImage image, uint32_t aspect, uint32_t mip, uint32_t layer,
                                 uint64_t *size)
{
    pthread_mutex_lock(&images.lock);
    struct vkw_guest_image *rec = find_record(image);
    const struct memcpy_size *m = rec ? find_size(rec, aspect, mip, layer) : NULL;
    if (m)
        *size = m->size;
    pthread_mutex_unlock(&images.lock);
    return m != NULL;
}

bool vkw_guest_copy_region(VkImage image, VkHostImageCopyFlags flags,
                           const struct vkw_copy_region *r, struct vkw_guest_copy_region *out)
{
    memset(out, 0, sizeof(*out));
    out->memcpy_layout = (flags & VK_HOST_IMAGE_COPY_MEMCPY) != 0;
    struct vkw_copy_image img;
    pthread_mutex_lock(&images.lock);
    const struct vkw_guest_image *rec = find_record(image);
    if (rec)
        img = rec->image;
    pthread_mutex_unlock(&images.lock);
    if (!rec || vkw_copy_region_shape(&img, r, out->memcpy_layout, &out->shape) != VKW_COPY_FITS)
        return false;
    if (!out->memcpy_layout) {
        out->bytes = vkw_copy_tight(&out->shape);
        return true;
    }
    uint64_t layer_bytes;
    if (!vkw_guest_image_memcpy_size(image, r->subresource.aspectMask, r->subresource.mipLevel,
                                     r->subresource.baseArrayLayer, &layer_bytes))
        return false;
    out->bytes = vkw_copy_mul(layer_bytes, out->shape.layers);
    return true;
}

/* ---- splitting a copy ---- */

static bool add_part(struct vkw_guest_copy_plan *p, uint32_t region, const struct vkw_copy_region *r,
                     uint64_t offset, uint64_t bytes)
{
    if (p->count == p->capacity) {
        const size_t capacity = p->capacity ? p->capacity * 2 : 16;
        struct vkw_guest_copy_part *grown = realloc(p->parts, capacity * sizeof(*grown));
        if (!grown)
            return false;
        p->parts = grown;
        p->capacity = capacity;
    }
    p->parts[p->count++] = (struct vkw_guest_copy_part){region, *r, offset, bytes};
    return true;
}

/* `r` narrowed to `n` slices from slice `z` (of a layered image, layers;
 * else depth blocks) and `m` rows from row `y`. */
static struct vkw_copy_region narrowed(const struct vkw_copy_region *r,
                                       const struct vkw_copy_shape *s, uint64_t z, uint64_t n,
                                       uint64_t y, uint64_t m)
{
    struct vkw_copy_region part = *r;
    if (s->layers > 1) {
        part.subresource.baseArrayLayer += (uint32_t)z;
        part.subresource.layerCount = (uint32_t)n;
    } else {
        const uint64_t from = z * s->block_depth, left = r->extent.depth - from;
        part.offset.z += (int32_t)from;
        part.extent.depth = (uint32_t)(n * s->block_depth < left ? n * s->block_depth : left);
    }
    const uint64_t from = y * s->block_height, left = r->extent.height - from;
    part.offset.y += (int32_t)from;
    part.extent.height = (uint32_t)(m * s->block_height < left ? m * s->block_height : left);
    return part;
}

bool vkw_guest_copy_split(struct vkw_guest_copy_plan *p, uint32_t index,
                          const struct vkw_copy_region *r, const struct vkw_guest_copy_region *c,
                          uint64_t chunk)
{
    const struct vkw_copy_shape *s = &c->shape;
    if (c->memcpy_layout || c->bytes <= chunk)
        return add_part(p, index, r, 0, c->bytes);
    const uint64_t row = s->row_blocks * s->block_bytes, slice = row * s->rows;
    const uint64_t row_pitch = vkw_copy_row_pitch(s), slice_pitch = vkw_copy_slice_pitch(s);
    if (slice <= chunk) {
        const uint64_t per = chunk / slice;
        for (uint64_t z = 0; z < s->slices; z += per) {
            const uint64_t n = s->slices - z < per ? s->slices - z : per;
            const struct vkw_copy_region part = narrowed(r, s, z, n, 0, s->rows);
            if (!add_part(p, index, &part, z * slice_pitch, n * slice))
                return false;
        }
        return true;
    }
    const uint64_t per = chunk / row ? chunk / row : 1;
    for (uint64_t z = 0; z < s->slices; z++)
        for (uint64_t y = 0; y < s->rows; y += per) {
            const uint64_t m = s->rows - y < per ? s->rows - y : per;
            const struct vkw_copy_region part = narrowed(r, s, z, 1, y, m);
            if (!add_part(p, index, &part, z * slice_pitch + y * row_pitch, m * row))
                return false;
        }
    return true;
}

/* ---- between the application's layout and the wire's ---- */

/* Each row of the region, from the application's memory (pitches of its
 * row length and image height) into `dst`, tightly; or back (`to_app`). */
static void move_rows(const struct vkw_copy_shape *s, unsigned char *app, unsigned char *tight,
                      bool to_app)
{
    const size_t row = (size_t)(s->row_blocks * s->block_bytes);
    const size_t row_pitch = (size_t)vkw_copy_row_pitch(s);
    const size_t slice_pitch = (size_t)vkw_copy_slice_pitch(s);
    for (uint64_t z = 0; z < s->slices; z++)
        for (uint64_t y = 0; y < s->rows; y++, tight += row) {
            unsigned char *at = app + z * slice_pitch + y * row_pitch;
            memcpy(to_app ? at : tight, to_app ? tight : at, row);
        }
}

/* The regions as they travel: the MEMCPY layout is the driver's own, any
 * other is packed tightly, so row length and image height go as 0.  NULL
 * when out of memory (also for 0 regions: nothing to free then). */
#define WIRE_REGIONS(type, regions, count, tight)                             \
    type *copy = (count) ? malloc((size_t)(count) * sizeof(type)) : NULL;     \
    for (uint32_t i = 0; copy && i < (count); i++) {                          \
        copy[i] = (regions)[i];                                               \
        if (tight)                                                            \
            copy[i].memoryRowLength = copy[i].memoryImageHeight = 0;          \
    }                                                                         \
    return copy

static VkMemoryToImageCopy *wire_regions_to_image(const VkCopyMemoryToImageInfo *info)
{
    WIRE_REGIONS(VkMemoryToImageCopy, info->pRegions, info->regionCount,
                 !(info->flags & VK_HOST_IMAGE_COPY_MEMCPY));
}

static VkImageToMemoryCopy *wire_regions_to_memory(const VkCopyImageToMemoryInfo *info)
{
    WIRE_REGIONS(VkImageToMemoryCopy, info->pRegions, info->regionCount,
                 !(info->flags & VK_HOST_IMAGE_COPY_MEMCPY));
}

void vkw_encode_memory_to_image(struct vkw_writer *w, VkDevice device,
                                const VkCopyMemoryToImageInfo *info)
{
    (void)device;
    if (!vkw_write_presence(w, info))
        return;
    const uint32_t n = info->regionCount;
    struct vkw_guest_copy_region *shapes = n ? calloc(n, sizeof(*shapes)) : NULL;
    VkMemoryToImageCopy *regions = wire_regions_to_image(info);
    bool ok = n == 0 || (shapes && regions);
    for (uint32_t i = 0; ok && i < n; i++) {
        const struct vkw_copy_region r = VKW_COPY_REGION(&info->pRegions[i]);
        ok = vkw_guest_copy_region(info->dstImage, info->flags, &r, &shapes[i]);
    }
    if (!ok) {
        w->failed = true; /* the ICD checked before: an image destroyed meanwhile */
        free(shapes);
        free(regions);
        return;
    }
    VkCopyMemoryToImageInfo wire = *info;
    wire.pRegions = regions;
    vkw_encode_VkCopyMemoryToImageInfo(w, &wire);
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t bytes = shapes[i].bytes;
        vkw_write_u64(w, bytes);
        if (shapes[i].memcpy_layout) {
            vkw_write_bytes(w, info->pRegions[i].pHostPointer, (size_t)bytes);
            continue;
        }
        const size_t padded = (size_t)((bytes + 3) & ~(uint64_t)3);
        unsigned char *at = vkw_writer_reserve(w, padded);
        if (!at)
            break;
        move_rows(&shapes[i].shape, (unsigned char *)info->pRegions[i].pHostPointer, at, false);
        memset(at + bytes, 0, padded - (size_t)bytes);
    }
    free(shapes);
    free(regions);
}

void vkw_encode_image_to_memory(struct vkw_writer *w, VkDevice device,
                                const VkCopyImageToMemoryInfo *info)
{
    (void)device;
    if (!vkw_write_presence(w, info))
        return;
    const uint32_t n = info->regionCount;
    VkImageToMemoryCopy *regions = wire_regions_to_memory(info);
    if (n && !regions) {
        w->failed = true;
        return;
    }
    VkCopyImageToMemoryInfo wire = *info;
    wire.pRegions = regions;
    vkw_encode_VkCopyImageToMemoryInfo(w, &wire);
    free(regions);
}

void vkw_decode_reply_image_to_memory(struct vkw_reader *r, VkDevice device,
                                      const VkCopyImageToMemoryInfo *info)
{
    (void)device;
    for (uint32_t i = 0; info && vkw_reader_ok(r) && i < info->regionCount; i++) {
        const VkImageToMemoryCopy *region = &info->pRegions[i];
        const struct vkw_copy_region cr = VKW_COPY_REGION(region);
        struct vkw_guest_copy_region c;
        if (!vkw_guest_copy_region(info->srcImage, info->flags, &cr, &c)) {
            vkw_reader_fail(r, VKW_ERROR_BAD_HANDLE, VKW_HANDLE_U64(info->srcImage));
            return;
        }
        /* The region's bytes, or none when the driver failed. */
        const uint64_t n = vkw_read_u64(r);
        if (vkw_reader_ok(r) && n != 0 && n != c.bytes) {
            vkw_reader_fail(r, VKW_ERROR_BAD_COUNT, n);
            return;
        }
        const unsigned char *bytes = vkw_read_bytes_in_place(r, n);
        if (!bytes || n == 0)
            continue;
        if (c.memcpy_layout)
            memcpy(region->pHostPointer, bytes, (size_t)n);
        else
            move_rows(&c.shape, region->pHostPointer, (unsigned char *)bytes, true);
    }
}
