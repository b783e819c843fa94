// The test scene's vertices: a position with its depth and a flat colour,
// moved by a push-constant offset (vertex stage's range, bytes 0..15).
#version 450

layout(push_constant) uniform Move {
    vec2 offset;
} m;

layout(location = 0) in vec3 position;
layout(location = 1) in vec4 colour;

layout(location = 0) flat out vec4 flat_colour;

void main()
{
    gl_Position = vec4(position.xy + m.offset, position.z, 1.0);
    flat_colour = colour;
}
