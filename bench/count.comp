// vkw_bench's dispatch figure: every invocation counts itself, so the
// benchmark can check that each recorded vkCmdDispatch ran exactly once.
#version 450

layout(local_size_x = 1) in;

layout(std430, binding = 0) buffer Counter {
    uint invocations;
} counter;

void main()
{
    atomicAdd(counter.invocations, 1u);
}
