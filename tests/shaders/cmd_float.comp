// Floating point the CPU can only approximate (sqrt, sin, a division): the
// test checks a tolerance on the CPU and the exact bits against native.
#version 450

layout(local_size_x = 64) in;

layout(push_constant) uniform Params {
    float scale;
    uint count;
} p;

layout(std430, set = 0, binding = 0) writeonly buffer Dst { float dst[]; };

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < p.count) {
        float x = float(i);
        dst[i] = sqrt(x) * p.scale + sin(x * 0.01) / (1.0 + x);
    }
}
