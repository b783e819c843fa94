/* The libFuzzer entry points for fuzz_host (built by tests/fuzz/run-fuzz.sh
 * with clang -fsanitize=fuzzer): a broken check is a crash, so libFuzzer
 * keeps the input that broke it. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    vkw_fuzz_init(true);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char why[512];
    if (!vkw_fuzz_run(data, size, why, sizeof(why))) {
        fprintf(stderr, "vkwire fuzz check failed: %s\n", why);
        abort();
    }
    return 0;
}
