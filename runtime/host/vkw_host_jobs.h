/* vkw_host_jobs — detached calls: driver calls that may block, run on host
 * threads while the worker goes on with the connection (doc/PROTOCOL.md
 * section 29, runtime/common/vkw_detach.h).
 *
 * Owns: a context's detached calls, each with its own copy of the
 * command's payload, its own decode arena, the ids of the objects it names
 * (and of what those were made from), and the reply it is finished into;
 * the threads that run them (made on demand, reused, at most the context's
 * max_blocking); the DETACH checks of the command loop; the COLLECT
 * message.
 *
 * Why it is safe: the worker decodes and checks a detached command in
 * stream order, resolving every id, before the call is handed over; the
 * thread makes the driver call alone and touches neither the object table
 * nor the context; the worker finishes the call (binds its new ids, writes
 * its reply) when it next looks: before each batch, at COLLECT, at a
 * destroy of something the call names, at teardown.  Until then the ids
 * the call creates are held PENDING (naming one is BAD_HANDLE), and a
 * destroy of an object the call names, or of what that was made from,
 * first waits for the call.
 *
 * Threads: the worker and the job threads share only the pool (its lock):
 * its queue, and each job's `called`.  A job thread takes the sync page's
 * lock (to wake the guest) only after releasing the pool's.
 */
#ifndef VKW_HOST_JOBS_H
#define VKW_HOST_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vkw_wire.h"

struct vkw_host_context;
struct vkw_host_decoder;
struct vkw_host_job;
struct vkw_job_pool;

struct vkw_host_jobs {
    struct vkw_host_job *list; /* sent and not yet collected; worker only */
    size_t count;              /* how many: what the blocking limit bounds */
    struct vkw_job_pool *pool; /* NULL until the first call goes to a thread */
};

/* The driver call of a detached command (generated vkw_call_*): `job` is
 * NULL when it runs on the worker. */
typedef void (*vkw_job_call_fn)(struct vkw_host_job *job, void *frame);
/* What follows the call, on the worker (generated vkw_finish_*). */
typedef void (*vkw_job_finish_fn)(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                                  struct vkw_writer *reply, void *frame);

/* ---- the command loop ---- */

/* A command `h` with the DETACH flag, its payload at `payload`: check it
 * (REPLY set, a detachable opcode, a serial no other call holds, the
 * blocking limit) and open its call: the loop then decodes from the call's
 * copy of the payload (`*payload_out`) into its arena (`*arena_out`), with
 * the decoder's `job` set, and gives `*reply_out` to the dispatch.  VKW_OK,
 * or the error (and `*value`) that ends the context. */
enum vkw_error vkw_host_job_open(struct vkw_host_context *ctx, const struct vkw_command_header *h,
                                 const void *payload, struct vkw_host_job **out,
                                 uint64_t *value);
void vkw_host_job_decoder(struct vkw_host_job *job, const void **payload,
                          struct vkw_arena **arena, struct vkw_writer **reply);
/* After the dispatch of `job`'s command with decoder `d`: `ok` false drops
 * the call (the command failed before any driver call); a call that ran on
 * the worker is answered; a handed-over one keeps `d` for its finish. */
void vkw_host_job_close(struct vkw_host_context *ctx, struct vkw_host_job *job,
                        const struct vkw_host_decoder *d, bool ok);
/* Finish every call whose driver call has returned (before a batch).  A
 * finish that fails ends the context (its error names the call's command). */
void vkw_host_jobs_reap(struct vkw_host_context *ctx);

/* ---- the generated dispatch of a detachable command ---- */

/* When the command is detached (d->job): hold its new ids PENDING. */
void vkw_host_job_reserve(struct vkw_host_context *ctx, struct vkw_host_decoder *d, uint32_t type,
                          const uint64_t *ids, uint64_t count);
/* In its finish: free those of its ids still PENDING (the driver did not
 * make them).  Nothing for ids that are not. */
void vkw_host_job_unreserve(struct vkw_host_context *ctx, uint32_t type, const uint64_t *ids,
                            uint64_t count);
/* Hand the call over to a thread: true when it went (the dispatch returns
 * at once), false when it runs on the worker now (not detached, or no
 * thread could be made). */
bool vkw_host_detach(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                     vkw_job_call_fn call, vkw_job_finish_fn finish, void *frame);
/* A wait's timeout in slices: its end on CLOCK_MONOTONIC (UINT64_MAX:
 * none), the timeout to pass the driver now (at most 250 ms on a thread;
 * all that is left on the worker), and whether to wait again after
 * VK_TIMEOUT (time is left and the context is not ending). */
uint64_t vkw_host_job_deadline(uint64_t timeout);
uint64_t vkw_host_job_slice(const struct vkw_host_job *job, uint64_t end);
bool vkw_host_job_again(const struct vkw_host_job *job, uint64_t end);

/* ---- the message ---- */

/* COLLECT (vkw_host_private_handler). */
void vkw_host_collect(struct vkw_host_context *ctx, struct vkw_host_decoder *d,
                      struct vkw_writer *reply);

/* ---- teardown ---- */

/* Stop: waits on a thread end at their next slice; wait for every call to
 * return, finish it (so that what it made is bound, and destroyed with the
 * rest), drop every call, and end the threads.  A call that never returns
 * (work that waits for what will never come) keeps this waiting, as the
 * teardown's own vkDeviceWaitIdle would (doc/PROTOCOL.md section 15.3). */
void vkw_host_jobs_stop(struct vkw_host_context *ctx);

#endif /* VKW_HOST_JOBS_H */
