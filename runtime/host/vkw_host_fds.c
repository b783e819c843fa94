/* vkw_host_fds — see vkw_host_fds.h. */
#define _POSIX_C_SOURCE 200809L /* close */
#include "vkw_host_fds.h"

#include <unistd.h>

int vkw_host_decode_fd(struct vkw_host_decoder *d, bool import)
{
    const int fd = vkw_read_fd(&d->r);
    struct vkw_host_fds *f = d->fds;
    if (fd < 0 || !f)
        return fd;
    /* The batch holds at most VKW_HOST_MAX_FDS, each taken once: room. */
    if (import)
        f->lent_import |= (uint64_t)1 << f->lent_count;
    f->lent[f->lent_count++] = fd;
    return fd;
}

void vkw_host_fds_imported(struct vkw_host_decoder *d, bool taken)
{
    if (d->fds)
        d->fds->imported = taken;
}

void vkw_host_fds_settle(struct vkw_host_fds *f)
{
    for (size_t i = 0; i < f->lent_count; i++)
        if (!(f->imported && ((f->lent_import >> i) & 1u)))
            close(f->lent[i]);
    f->lent_count = 0;
    f->lent_import = 0;
    f->imported = false;
}

void vkw_host_encode_fd(struct vkw_host_decoder *d, struct vkw_writer *w, int fd)
{
    (void)d;
    if (!vkw_write_fd(w, fd, false) && fd >= 0)
        close(fd); /* nowhere to go: the guest hears VKW_NO_FD */
}

void vkw_host_reply_fds_drop(struct vkw_writer *w, uint32_t keep)
{
    for (uint32_t i = keep; i < w->nfds; i++)
        close(w->fds[i]);
    if (keep < w->nfds)
        w->nfds = keep;
}
