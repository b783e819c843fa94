/* vkw_guest_idset — see vkw_guest_idset.h. */
#include "vkw_guest_idset.h"

#include <stdlib.h>

static size_t home(uint64_t id, size_t capacity)
{
    return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (capacity - 1);
}

static void place(uint64_t *slots, size_t capacity, uint64_t id)
{
    size_t i = home(id, capacity);
    while (slots[i] != 0)
        i = (i + 1) & (capacity - 1);
    slots[i] = id;
}

/* The slot holding `id`, or the free slot ending its probe run. */
static size_t find(const struct vkw_guest_idset *s, uint64_t id)
{
    size_t i = home(id, s->capacity);
    while (s->slots[i] != 0 && s->slots[i] != id)
        i = (i + 1) & (s->capacity - 1);
    return i;
}

bool vkw_guest_idset_has(const struct vkw_guest_idset *s, uint64_t id)
{
    return id != 0 && s->capacity != 0 && s->slots[find(s, id)] == id;
}

bool vkw_guest_idset_add(struct vkw_guest_idset *s, uint64_t id)
{
    if (id == 0)
        return false;
    if (vkw_guest_idset_has(s, id))
        return true;
    if (s->count + 1 > s->capacity / 2) {
        const size_t capacity = s->capacity ? s->capacity * 2 : 64;
        uint64_t *slots = calloc(capacity, sizeof(*slots));
        if (!slots)
            return false;
        for (size_t i = 0; i < s->capacity; i++)
            if (s->slots[i] != 0)
                place(slots, capacity, s->slots[i]);
        free(s->slots);
        s->slots = slots;
        s->capacity = capacity;
    }
    place(s->slots, s->capacity, id);
    s->count++;
    return true;
}

void vkw_guest_idset_remove(struct vkw_guest_idset *s, uint64_t id)
{
    if (!vkw_guest_idset_has(s, id))
        return;
    size_t hole = find(s, id);
    s->slots[hole] = 0;
    if (--s->count == 0) { /* an empty set holds no memory */
        vkw_guest_idset_clear(s);
        return;
    }
    /* Pull later members of the probe run back over the hole. */
    for (size_t i = (hole + 1) & (s->capacity - 1); s->slots[i] != 0;
         i = (i + 1) & (s->capacity - 1)) {
        const size_t h = home(s->slots[i], s->capacity);
        /* It may move when its home is not in (hole, i], cyclically. */
        const bool stays = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i);
        if (!stays) {
            s->slots[hole] = s->slots[i];
            s->slots[i] = 0;
            hole = i;
        }
    }
}

void vkw_guest_idset_clear(struct vkw_guest_idset *s)
{
    free(s->slots);
    s->slots = NULL;
    s->capacity = s->count = 0;
}
