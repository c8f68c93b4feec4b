/**
 * What a panel posts carries only its own bytes: VS Code sends a typed array's whole ArrayBuffer,
 * and a reply from the inference process (Node's 'advanced' IPC, v8 deserialization) holds views
 * into one message buffer, so a small map posted as is took every tensor of the reply along.
 */
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import { ownBuffers } from '../../../src/extension/panels/ownBuffers';

/** The bytes VS Code's serializeWebviewMessage would send: each distinct ArrayBuffer behind a typed array, whole. */
function sentBytes(v: unknown, buffers = new Set<ArrayBufferLike>(), seen = new Set<unknown>()): number {
  if (v !== null && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    if (ArrayBuffer.isView(v)) buffers.add(v.buffer);
    else for (const x of Object.values(v)) sentBytes(x, buffers, seen);
  }
  return [...buffers].reduce((n, b) => n + b.byteLength, 0);
}

describe('ownBuffers', () => {
  it('posts a reply over IPC with only the bytes of the arrays kept, values and structure unchanged', () => {
    const reply = deserialize(serialize({ tensors: [new Float32Array(1 << 20).fill(1)], summary: { maps: [Float32Array.of(0.25, 0.5)], rgb: Uint8Array.of(1, 2, 3) }, name: 'x' }));
    const message = { type: 'attention', summary: reply.summary, name: reply.name, n: 3, none: null };
    assert.ok(sentBytes(message) >= 4 << 20, 'the views share the reply buffer: the test would not show anything');
    const own = ownBuffers(message);
    assert.equal(sentBytes(own), 2 * 4 + 3);
    assert.deepEqual(own, message);
    assert.ok(own.summary.maps[0] instanceof Float32Array && own.summary.rgb instanceof Uint8Array);
    // The host's own copy is left as it was (the panel keeps the reply for requests on demand).
    assert.equal(message.summary.maps[0].buffer, reply.summary.maps[0].buffer);
  });

  it('leaves arrays that own their buffer, and shared objects, as they are', () => {
    const map = new Float32Array(4);
    const shared = { map };
    const m = { a: shared, b: shared, list: [map] };
    const own = ownBuffers(m);
    assert.equal(own.a.map, map);
    assert.equal(own.a, own.b);
    assert.equal(own.list[0], map);
  });
});
