// out[i] = k.x * a[0][i] + k.y * a[1][i] + k.z: a uniform buffer and an
// array of two storage buffers, so that descriptor writes, copies and
// update templates each have something to get wrong.
#version 450

layout(local_size_x = 64) in;

layout(std140, set = 0, binding = 0) uniform Constants { uvec4 k; };
layout(std430, set = 0, binding = 1) readonly buffer In { uint v[]; } a[2];
layout(std430, set = 0, binding = 2) writeonly buffer Out { uint o[]; };

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i < k.w)
        o[i] = k.x * a[0].v[i] + k.y * a[1].v[i] + k.z;
}
