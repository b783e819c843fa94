// The colour times a push-constant tint (fragment stage's range, bytes
// 16..31): two stages, two ranges of one layout.
#version 450

layout(push_constant) uniform Tint {
    layout(offset = 16) vec4 tint;
} t;

layout(location = 0) flat in vec4 flat_colour;
layout(location = 0) out vec4 colour;

void main()
{
    colour = flat_colour * t.tint;
}
