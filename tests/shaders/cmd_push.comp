// Stores the whole push-constant block (128 bytes, the guaranteed minimum)
// at out[slot * 32 ...]: word 0 is the slot, words 1..31 are the payload.
// Invocation j stores word j, so one dispatch shows every byte that the
// command buffer's push constants held at that point.
#version 450

layout(local_size_x = 32) in;

layout(push_constant) uniform Block {
    uint slot;
    uint words[31];
} p;

layout(std430, set = 0, binding = 0) writeonly buffer Out { uint o[]; };

void main()
{
    uint j = gl_LocalInvocationIndex;
    o[p.slot * 32u + j] = j == 0u ? p.slot : p.words[j - 1u];
}
