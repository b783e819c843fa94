/* vkw_idmap — see vkw_idmap.h. */
#include "vkw_idmap.h"

#include <stdlib.h>
#include <string.h>

static size_t stride(const struct vkw_idmap *m)
{
    return sizeof(uint64_t) + ((m->record_size + 7) & ~(size_t)7);
}

static uint64_t id_at(const struct vkw_idmap *m, const unsigned char *slots, size_t i)
{
    uint64_t id;
    memcpy(&id, slots + i * stride(m), sizeof(id));
    return id;
}

static size_t home(uint64_t id, size_t capacity)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (capacity - 1);
}

/* The slot holding `id`, or the free slot ending its probe run. */
static size_t probe(const struct vkw_idmap *m, const unsigned char *slots, size_t capacity,
                    uint64_t id)
{
    size_t i = home(id, capacity);
    for (uint64_t at; (at = id_at(m, slots, i)) != 0 && at != id;)
        i = (i + 1) & (capacity - 1);
    return i;
}

void vkw_idmap_init(struct vkw_idmap *m, size_t record_size)
{
    memset(m, 0, sizeof(*m));
    m->record_size = record_size;
}

void vkw_idmap_clear(struct vkw_idmap *m)
{
    free(m->slots);
    vkw_idmap_init(m, m->record_size);
}

void *vkw_idmap_find(const struct vkw_idmap *m, uint64_t id)
{
    if (id == 0 || m->capacity == 0)
        return NULL;
    const size_t i = probe(m, m->slots, m->capacity, id);
    return id_at(m, m->slots, i) == id ? m->slots + i * stride(m) + sizeof(uint64_t) : NULL;
}

static bool grow(struct vkw_idmap *m)
{
    const size_t capacity = m->capacity ? m->capacity * 2 : 64;
    const size_t s = stride(m);
    unsigned char *slots = calloc(capacity, s);
    if (!slots)
        return false;
    for (size_t i = 0; i < m->capacity; i++) {
        const uint64_t id = id_at(m, m->slots, i);
        if (id != 0)
            memcpy(slots + probe(m, slots, capacity, id) * s, m->slots + i * s, s);
    }
    free(m->slots);
    m->slots = slots;
    m->capacity = capacity;
    return true;
}

void *vkw_idmap_put(struct vkw_idmap *m, uint64_t id)
{
    if (id == 0)
        return NULL;
    void *have = vkw_idmap_find(m, id);
    if (have)
        return have;
    if ((m->count + 1 > m->capacity / 2) && !grow(m))
        return NULL;
    unsigned char *slot = m->slots + probe(m, m->slots, m->capacity, id) * stride(m);
    memcpy(slot, &id, sizeof(id));
    memset(slot + sizeof(id), 0, stride(m) - sizeof(id));
    m->count++;
    return slot + sizeof(id);
}

bool vkw_idmap_remove(struct vkw_idmap *m, uint64_t id)
{
    if (!vkw_idmap_find(m, id))
        return false;
    const size_t s = stride(m), mask = m->capacity - 1;
    size_t hole = probe(m, m->slots, m->capacity, id);
    memset(m->slots + hole * s, 0, s);
    if (--m->count == 0) { /* an empty map holds no memory */
        vkw_idmap_clear(m);
        return true;
    }
    /* Pull later members of the probe run back over the hole. */
    for (size_t i = (hole + 1) & mask; id_at(m, m->slots, i) != 0; i = (i + 1) & mask) {
        const size_t h = home(id_at(m, m->slots, i), m->capacity);
        /* It may move when its home is not in (hole, i], cyclically. */
        const bool stays = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!stays) {
            memcpy(m->slots + hole * s, m->slots + i * s, s);
            memset(m->slots + i * s, 0, s);
            hole = i;
        }
    }
    return true;
}

void vkw_idmap_foreach(const struct vkw_idmap *m, void (*fn)(uint64_t id, void *record, void *user),
                       void *user)
{
    const size_t s = stride(m);
    for (size_t i = 0; i < m->capacity; i++) {
        const uint64_t id = id_at(m, m->slots, i);
        if (id != 0)
            fn(id, m->slots + i * s + sizeof(uint64_t), user);
    }
}
