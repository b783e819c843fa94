// SAXPY, y = a * x + y, one element per invocation.
// vkwire-demo dispatches a 2-D grid of work groups, because millions of
// elements need more groups than the guaranteed 65535 in one dimension: the
// element index is the invocation's position in that grid, row by row.
#version 450

layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    float a;
    uint n;   // elements; the grid is rounded up, so the last invocations idle
} p;

layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };
layout(std430, set = 0, binding = 1) buffer Y { float y[]; };

void main()
{
    uint row = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
    uint i = gl_GlobalInvocationID.y * row + gl_GlobalInvocationID.x;
    if (i < p.n)
        y[i] = p.a * x[i] + y[i];
}
