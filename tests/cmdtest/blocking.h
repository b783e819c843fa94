/* vkw_cmdtest family: driver calls that block until another of the
 * application's threads acts (conformance issue 14; doc/PROTOCOL.md
 * section 29).  Natively such a call simply returns once the other thread
 * did its part.  Through a connection that runs one command at a time it
 * would never return: the other thread's command waits behind it.  lavapipe
 * makes vkGetQueryPoolResults wait for its queue, so a read of a query whose
 * work waits for another thread's vkSignalSemaphore is such a call.
 *
 * An alarm guards every such call: a deadlock ends the run with a line that
 * says so, rather than hanging it. */
#ifndef VKW_CMDTEST_BLOCKING_H
#define VKW_CMDTEST_BLOCKING_H

#include <signal.h>
#include <unistd.h>

/* Far past what the scenario takes, even under a sanitizer on a busy machine. */
#define BLOCKING_HANG_S 60u

static void blocking_on_hang(int sig)
{
    (void)sig;
    static const char line[] =
        "Bail out! blocking_calls: a call that another thread releases did not return in "
        "60 s (deadlock)\n";
    if (write(STDOUT_FILENO, line, sizeof line - 1) < 0) {
        /* nowhere to say it */
    }
    _exit(3);
}

/* The signalling thread of vkw_cmdtest.c, 100 ms late, under a hang alarm
 * (natively the calls return once it signals; a deadlock through vkwire
 * would never end). */
static void blocking_releaser_start(struct ctx *c, struct host_signaller *r,
                                    VkSemaphore timeline, uint64_t value)
{
    host_signaller_start(c, r, timeline, value, 100);
    alarm(BLOCKING_HANG_S);
}

static void blocking_releaser_join(struct ctx *c, struct host_signaller *r)
{
    alarm(0);
    host_signaller_join(c, r);
}

/* 1. vkGetQueryPoolResults with WAIT on a query whose submission waits for
 *    a timeline value that another thread signals from the host 100 ms
 *    after the read began (lavapipe's read waits for the queue even
 *    without WAIT, which is what the guest sends).
 * 2. vkWaitSemaphores with no timeout on a value another thread signals
 *    from the host after the wait began. */
static void scenario_blocking_calls(struct ctx *c)
{
    struct sigaction hang = {.sa_handler = blocking_on_hang}, before;
    sigemptyset(&hang.sa_mask);
    sigaction(SIGALRM, &hang, &before);

    struct buffer x = buffer_new(c, 256, 0);
    VkSemaphore t = semaphore_new(c, true, 0);
    VkQueryPool q = query_pool_new(c, VK_QUERY_TYPE_TIMESTAMP, 1, 0);
    vkResetQueryPool(c->device, q, 0, 1);
    VkCommandBuffer cb = primary_new(c);
    begin(c, cb, 0);
    vkCmdFillBuffer(cb, x.buffer, 0, VK_WHOLE_SIZE, 0x5A5A5A5Au);
    to_host(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, q, 0);
    end(c, cb);
    const uint64_t wait1 = 1, signal2 = 2;
    const VkTimelineSemaphoreSubmitInfo values = {
        .sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
        .waitSemaphoreValueCount = 1,
        .pWaitSemaphoreValues = &wait1,
        .signalSemaphoreValueCount = 1,
        .pSignalSemaphoreValues = &signal2};
    const VkPipelineStageFlags transfer = VK_PIPELINE_STAGE_TRANSFER_BIT;
    const VkSubmitInfo gated = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                .pNext = &values,
                                .waitSemaphoreCount = 1,
                                .pWaitSemaphores = &t,
                                .pWaitDstStageMask = &transfer,
                                .commandBufferCount = 1,
                                .pCommandBuffers = &cb,
                                .signalSemaphoreCount = 1,
                                .pSignalSemaphores = &t};
    submit(c, 1, &gated, VK_NULL_HANDLE);

    struct host_signaller r;
    blocking_releaser_start(c, &r, t, 1);
    uint64_t result[2] = {0, 0}; /* the timestamp and its availability */
    const VkResult read = vkGetQueryPoolResults(
        c->device, q, 0, 1, sizeof result, result, sizeof result,
        VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT | VK_QUERY_RESULT_WITH_AVAILABILITY_BIT);
    blocking_releaser_join(c, &r);
    EXPECT(read == VK_SUCCESS, "the waited query read returned %s", result_name(read));
    EXPECT(result[1] == 1, "the waited query reads unavailable (%llu)",
           (unsigned long long)result[1]);
    digest_u32(c, (uint32_t)read);
    digest(c, &result[1], sizeof result[1]); /* the time itself differs run to run */
    /* A query's availability says nothing of the fill's bytes: the
     * submission's signal, waited for, does. */
    const uint64_t two = 2;
    const VkSemaphoreWaitInfo wait2 = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                       .semaphoreCount = 1,
                                       .pSemaphores = &t,
                                       .pValues = &two};
    VK(vkWaitSemaphores(c->device, &wait2, WAIT_NS));
    expect_all(c, "the work the other thread released", &x, 0x5A5A5A5Au);
    uint64_t value = 0;

    blocking_releaser_start(c, &r, t, 3);
    const uint64_t three = 3;
    const VkSemaphoreWaitInfo wait3 = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
                                       .semaphoreCount = 1,
                                       .pSemaphores = &t,
                                       .pValues = &three};
    const VkResult waited = vkWaitSemaphores(c->device, &wait3, UINT64_MAX);
    blocking_releaser_join(c, &r);
    EXPECT(waited == VK_SUCCESS, "the wait with no timeout returned %s", result_name(waited));
    VK(vkGetSemaphoreCounterValue(c->device, t, &value));
    EXPECT(value == 3, "the timeline reads %llu, not 3", (unsigned long long)value);
    digest(c, &value, sizeof value);
    sigaction(SIGALRM, &before, NULL);
}

#define CMDTEST_BLOCKING                                                                        \
    {"blocking_calls", scenario_blocking_calls,                                                 \
     "a query read and a timeline wait that another thread's host signal releases (a deadlock " \
     "through one connection run in order)",                                                    \
     false, NULL, false},

#endif /* VKW_CMDTEST_BLOCKING_H */
