/* vkw_transport_unix — the unix:PATH backend (AF_UNIX, SOCK_STREAM).
 *
 * Owns: the socket path (length, its folder, a stale file), connecting,
 * listening, accepting, peer credentials (SO_PEERCRED) and removing the
 * socket file when the listener closes.  Framing is vkw_transport_stream.c.
 *
 * Listening is careful about who else can touch the socket: its folder is
 * created 0700 when missing and refused when it belongs to someone else or
 * is group/other-writable (they could swap the socket for their own); the
 * socket file is 0600; an old socket file nobody listens on is replaced,
 * one a live server listens on is not; anything that is not a socket is
 * left alone.  Every descriptor is close-on-exec.
 */
#define _GNU_SOURCE /* SO_PEERCRED, struct ucred, accept4; before any include */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "vkw_transport_private.h"

#define VKW_UNIX_BACKLOG 128

struct vkw_unix_listener {
    struct vkw_listener base;
    char *path;
    /* Which file we bound, and who: only that file, and only from this
     * process (not a forked worker closing its inherited copy), is removed
     * at close. */
    dev_t dev;
    ino_t ino;
    pid_t owner;
};

/* Fill `sa` from `path`; -EINVAL / -ENAMETOOLONG with a message. */
static int vkw_unix_sockaddr(const char *address, const char *path, const char *verb,
                             struct sockaddr_un *sa, char *err, size_t err_size)
{
    size_t len = strlen(path);
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (len == 0) {
        vkw_transport_errorf(err, err_size, "cannot %s %s: the socket path is empty", verb,
                             address);
        return -EINVAL;
    }
    if (len >= sizeof sa->sun_path) {
        vkw_transport_errorf(err, err_size,
                             "cannot %s %s: the socket path is %zu bytes long, and a unix "
                             "socket path may have at most %zu",
                             verb, address, len, sizeof sa->sun_path - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sa->sun_path, path, len + 1);
    return 0;
}

static int vkw_unix_socket(void) { return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); }

/* connect(), retried on EINTR; 0 or -errno. */
static int vkw_unix_connect_fd(int fd, const struct sockaddr_un *sa)
{
    for (;;) {
        if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

static int vkw_unix_connect(const char *address, const char *path, struct vkw_conn **out,
                            char *err, size_t err_size)
{
    struct sockaddr_un sa;
    char eb[128];
    int rc = vkw_unix_sockaddr(address, path, "connect to", &sa, err, err_size);
    if (rc < 0)
        return rc;
    int fd = vkw_unix_socket();
    if (fd < 0) {
        rc = -errno;
        vkw_transport_errorf(err, err_size, "cannot connect to %s: cannot make a socket: %s",
                             address, vkw_transport_strerror(-rc, eb, sizeof eb));
        return rc;
    }
    rc = vkw_unix_connect_fd(fd, &sa);
    if (rc < 0) {
        close(fd);
        vkw_transport_errorf(err, err_size, "cannot connect to %s: %s%s", address,
                             vkw_transport_strerror(-rc, eb, sizeof eb),
                             rc == -ENOENT || rc == -ECONNREFUSED
                                 ? " (is vkwire-server running?)"
                                 : "");
        return rc;
    }
    struct vkw_conn *c = vkw_conn_alloc(&vkw_transport_unix_ops, fd, sizeof *c);
    if (!c) {
        close(fd);
        vkw_transport_errorf(err, err_size, "cannot connect to %s: out of memory", address);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

/* mkdir -p `dir`, each new folder 0700 whatever the umask.  0 or -errno
 * with the failing folder copied into `bad`. */
static int vkw_unix_mkdirs(char *dir, char *bad, size_t bad_size)
{
    size_t len = strlen(dir);
    for (size_t i = 1; i <= len; i++) {
        if (dir[i] != '/' && dir[i] != '\0')
            continue;
        if (dir[i - 1] == '/')
            continue; /* "//" */
        char saved = dir[i];
        dir[i] = '\0';
        int rc = 0;
        struct stat st;
        if (mkdir(dir, 0700) == 0) {
            if (chmod(dir, 0700) != 0)
                rc = -errno;
        } else if (errno != EEXIST) {
            /* Some systems say EACCES or EROFS for a folder that exists. */
            rc = -errno;
            if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
                rc = 0;
        }
        if (rc < 0)
            snprintf(bad, bad_size, "%s", dir);
        dir[i] = saved;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The folder the socket goes in: create it if missing, then refuse it
 * unless it is ours alone. */
static int vkw_unix_prepare_folder(const char *address, const char *path, char *err,
                                   size_t err_size)
{
    char eb[128];
    size_t len = strlen(path);
    const char *slash = strrchr(path, '/');
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    }
    if (len && path[len - 1] == '/') {
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: the path names a folder, not a socket file",
                             address);
        return -EINVAL;
    }

    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT) {
            int rc = -errno;
            vkw_transport_errorf(err, err_size, "cannot listen on %s: cannot examine %s: %s",
                                 address, dir, vkw_transport_strerror(-rc, eb, sizeof eb));
            return rc;
        }
        char bad[sizeof dir];
        int rc = vkw_unix_mkdirs(dir, bad, sizeof bad);
        if (rc == 0 && stat(dir, &st) != 0)
            rc = -errno, snprintf(bad, sizeof bad, "%s", dir);
        if (rc < 0) {
            vkw_transport_errorf(err, err_size, "cannot listen on %s: cannot create the folder %s: %s",
                                 address, bad, vkw_transport_strerror(-rc, eb, sizeof eb));
            return rc;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        vkw_transport_errorf(err, err_size, "cannot listen on %s: %s is not a folder", address,
                             dir);
        return -ENOTDIR;
    }
    if (st.st_uid != geteuid()) {
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: the folder %s belongs to uid %lu, not to "
                             "you (uid %lu), who could replace the socket; choose another "
                             "address",
                             address, dir, (unsigned long)st.st_uid, (unsigned long)geteuid());
        return -EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: the folder %s is writable by %s (mode %04o), "
                             "who could replace the socket; run chmod go-w %s or choose "
                             "another address",
                             address, dir,
                             (st.st_mode & S_IWGRP) && (st.st_mode & S_IWOTH) ? "group and others"
                             : (st.st_mode & S_IWGRP)                          ? "its group"
                                                                               : "others",
                             (unsigned)(st.st_mode & 07777), dir);
        return -EPERM;
    }
    return 0;
}

/* An old file at the socket path: replace it if it is a socket nobody
 * listens on; otherwise refuse. */
static int vkw_unix_clear_stale(const char *address, const struct sockaddr_un *sa, char *err,
                                size_t err_size)
{
    char eb[128];
    struct stat st;
    if (lstat(sa->sun_path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        int rc = -errno;
        vkw_transport_errorf(err, err_size, "cannot listen on %s: cannot examine %s: %s",
                             address, sa->sun_path, vkw_transport_strerror(-rc, eb, sizeof eb));
        return rc;
    }
    if (!S_ISSOCK(st.st_mode)) {
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: %s exists and is not a socket; remove it or "
                             "choose another address",
                             address, sa->sun_path);
        return -EEXIST;
    }
    /* Non-blocking: a live server with a full backlog answers EAGAIN at
     * once instead of making us wait. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0) {
        int rc = -errno;
        vkw_transport_errorf(err, err_size, "cannot listen on %s: cannot make a socket: %s",
                             address, vkw_transport_strerror(-rc, eb, sizeof eb));
        return rc;
    }
    int rc = vkw_unix_connect_fd(probe, sa);
    close(probe);
    if (rc == 0 || rc == -EAGAIN) {
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: another server is already listening there "
                             "(stop it, or choose another address)",
                             address);
        return -EADDRINUSE;
    }
    if (rc == -ECONNREFUSED) { /* stale: its server is gone */
        if (unlink(sa->sun_path) == 0 || errno == ENOENT)
            return 0;
        rc = -errno;
        vkw_transport_errorf(err, err_size,
                             "cannot listen on %s: cannot remove the stale socket %s: %s", address,
                             sa->sun_path, vkw_transport_strerror(-rc, eb, sizeof eb));
        return rc;
    }
    if (rc == -ENOENT)
        return 0; /* gone meanwhile */
    vkw_transport_errorf(err, err_size,
                         "cannot listen on %s: cannot tell whether a server still listens "
                         "there: %s",
                         address, vkw_transport_strerror(-rc, eb, sizeof eb));
    return rc;
}

static int vkw_unix_listen(const char *address, const char *path, struct vkw_listener **out,
                           char *err, size_t err_size)
{
    struct sockaddr_un sa;
    char eb[128];
    int rc = vkw_unix_sockaddr(address, path, "listen on", &sa, err, err_size);
    if (rc < 0)
        return rc;
    rc = vkw_unix_prepare_folder(address, path, err, err_size);
    if (rc < 0)
        return rc;
    rc = vkw_unix_clear_stale(address, &sa, err, err_size);
    if (rc < 0)
        return rc;

    const char *step = "cannot make a socket";
    bool bound = false;
    int fd = vkw_unix_socket();
    if (fd < 0)
        goto fail_errno;
    step = "cannot bind";
    if (bind(fd, (const struct sockaddr *)&sa, sizeof sa) != 0)
        goto fail_errno;
    bound = true;
    /* Until this chmod the file has the umask's mode; the folder, ours
     * alone, keeps everyone else out meanwhile. */
    step = "cannot make the socket mode 0600";
    if (chmod(path, 0600) != 0)
        goto fail_errno;
    step = "cannot listen";
    if (listen(fd, VKW_UNIX_BACKLOG) != 0)
        goto fail_errno;
    struct stat st;
    step = "cannot examine the socket file";
    if (lstat(path, &st) != 0)
        goto fail_errno;

    struct vkw_unix_listener *l = (struct vkw_unix_listener *)vkw_listener_alloc(
        &vkw_transport_unix_ops, fd, address, sizeof *l);
    char *copy = strdup(path);
    if (!l || !copy) {
        if (l) {
            free(l->base.address);
            free(l);
        }
        free(copy);
        rc = -ENOMEM;
        step = "out of memory";
        goto fail;
    }
    l->path = copy;
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    l->owner = getpid();
    *out = &l->base;
    return 0;

fail_errno:
    rc = -errno;
fail:
    if (bound)
        unlink(path);
    if (fd >= 0)
        close(fd);
    if (rc == -ENOMEM)
        vkw_transport_errorf(err, err_size, "cannot listen on %s: out of memory", address);
    else
        vkw_transport_errorf(err, err_size, "cannot listen on %s: %s: %s", address, step,
                             vkw_transport_strerror(-rc, eb, sizeof eb));
    return rc;
}

static int vkw_unix_accept(struct vkw_listener *l, struct vkw_conn **out, char *err,
                           size_t err_size)
{
    char eb[128];
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            struct vkw_conn *c = vkw_conn_alloc(&vkw_transport_unix_ops, fd, sizeof *c);
            if (!c) {
                close(fd);
                vkw_transport_errorf(err, err_size,
                                     "cannot accept a connection on %s: out of memory",
                                     l->address);
                return -ENOMEM;
            }
            *out = c;
            return 0;
        }
        int rc = -errno;
        if (rc == -ECONNABORTED)
            continue; /* that peer gave up; wait for the next */
        if (rc == -EINTR)
            vkw_transport_errorf(err, err_size,
                                 "stopped waiting for a connection on %s: interrupted by a "
                                 "signal",
                                 l->address);
        else
            vkw_transport_errorf(err, err_size, "cannot accept a connection on %s: %s",
                                 l->address, vkw_transport_strerror(-rc, eb, sizeof eb));
        return rc;
    }
}

static int vkw_unix_adopt(int fd, struct vkw_conn **out, char *err, size_t err_size)
{
    struct vkw_conn *c = vkw_conn_alloc(&vkw_transport_unix_ops, fd, sizeof *c);
    if (!c) {
        close(fd);
        vkw_transport_errorf(err, err_size, "cannot adopt a connection: out of memory");
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

static bool vkw_unix_peer_pid(const struct vkw_conn *c, int *pid)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred ||
        cred.pid <= 0)
        return false;
    *pid = (int)cred.pid;
    return true;
}

static void vkw_unix_conn_close(struct vkw_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
}

static void vkw_unix_listener_close(struct vkw_listener *base)
{
    struct vkw_unix_listener *l = (struct vkw_unix_listener *)base;
    struct stat st;
    /* Remove the file only if it is still the one we bound (a newer server
     * may have replaced it) and we are the process that bound it. */
    if (l->owner == getpid() && lstat(l->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == l->dev && st.st_ino == l->ino)
        unlink(l->path);
    if (base->fd >= 0)
        close(base->fd);
    free(l->path);
}

const struct vkw_transport_ops vkw_transport_unix_ops = {
    .scheme = "unix",
    .syntax = "unix:PATH",
    .passes_fds = true,
    .connect = vkw_unix_connect,
    .listen = vkw_unix_listen,
    .accept = vkw_unix_accept,
    .adopt = vkw_unix_adopt,
    .send = vkw_stream_send,
    .recv = vkw_stream_recv,
    .recv_begin = vkw_stream_recv_begin,
    .recv_part = vkw_stream_recv_part,
    .peer_pid = vkw_unix_peer_pid,
    .conn_close = vkw_unix_conn_close,
    .listener_close = vkw_unix_listener_close,
};
