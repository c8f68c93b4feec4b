/** The one graph walk (src/core/graph/walk.ts) on hand-made graphs: direction, op sets, stops, limits, quantize ops. */
import assert from 'node:assert/strict';
import type { OnnxNode } from '../../../src/core/onnx/model';
import { linkGraph } from '../../../src/core/graph/graphIndex';
import { walk, walkAll, type WalkGraph } from '../../../src/core/graph/walk';

/** A graph from [opType, inputs, outputs] triples; names starting with "w" are constants. */
function graph(spec: [string, string[], string[]][]): WalkGraph {
  const nodes: OnnxNode[] = spec.map(([opType, inputs, outputs], i) => ({ name: `n${i}`, opType, domain: '', inputs, outputs, attributes: [] }));
  return { ...linkGraph(nodes), isConst: (t) => t.startsWith('w') };
}
const RESHAPES = new Set(['Reshape', 'Transpose']);
const isOp = (g: WalkGraph, op: string) => (i: number) => g.nodes[i].opType === op;

describe('graph walk', () => {
  // x → MatMul(x, w0) → a → Reshape → b → Transpose → c → Softmax → d → Reshape → e → MatMul(e, v) → f
  const g = graph([
    ['MatMul', ['x', 'w0'], ['a']],
    ['Reshape', ['a', 'wshape'], ['b']],
    ['Transpose', ['b'], ['c']],
    ['Softmax', ['c'], ['d']],
    ['Reshape', ['d', 'wshape2'], ['e']],
    ['MatMul', ['e', 'v'], ['f']],
  ]);

  it('backwards: passes through the op set and stops at the first node the test accepts', () => {
    const passed: number[] = [];
    assert.equal(walk(g, 'c', { direction: 'back', through: RESHAPES, stopAt: isOp(g, 'MatMul'), onPass: (i) => passed.push(i) }), 0);
    assert.deepEqual(passed, [2, 1], 'Transpose then Reshape were passed through');
  });

  it('forwards: from the Softmax output through the Reshape to the A·V MatMul', () => {
    assert.equal(walk(g, 'd', { direction: 'forward', through: RESHAPES, stopAt: isOp(g, 'MatMul') }), 5);
  });

  it('an op outside the set ends that path: nothing found', () => {
    assert.equal(walk(g, 'e', { direction: 'back', through: RESHAPES, stopAt: isOp(g, 'MatMul') }), null, 'the Softmax is not passed through');
  });

  it('stopAt is checked before through: a node in both is a stop, not a pass', () => {
    const passed: number[] = [];
    assert.equal(walk(g, 'c', { direction: 'back', through: RESHAPES, stopAt: isOp(g, 'Reshape'), onPass: (i) => passed.push(i) }), 1);
    assert.deepEqual(passed, [2]);
  });

  it('constants are never followed backwards (a weight is not the tokens\u2019 path)', () => {
    // The weight "wq" is made by a MatMul of constants: walking back from y must not reach it.
    const h = graph([
      ['MatMul', ['w1', 'w2'], ['wq']],
      ['Reshape', ['t', 'wq'], ['y']],
      ['MatMul', ['u', 'w3'], ['t']],
    ]);
    assert.deepEqual(walkAll(h, 'y', { direction: 'back', through: RESHAPES, stopAt: isOp(h, 'MatMul') }), [2]);
  });

  it('walkAll: every stop, in the order reached, without going past any', () => {
    // s feeds two branches, each ending in a MatMul; one MatMul feeds a third.
    const h = graph([
      ['Reshape', ['s'], ['p']],
      ['MatMul', ['p', 'w0'], ['q']],
      ['Transpose', ['s'], ['r']],
      ['MatMul', ['r', 'w1'], ['z']],
      ['MatMul', ['q', 'w2'], ['beyond']],
    ]);
    assert.deepEqual(walkAll(h, 's', { direction: 'forward', through: RESHAPES, stopAt: isOp(h, 'MatMul') }), [1, 3]);
    assert.equal(walk(h, 's', { direction: 'forward', through: RESHAPES, stopAt: isOp(h, 'MatMul') }), 1);
  });

  it('maxSteps bounds the tensors taken from the queue', () => {
    // x0 → Reshape ×6 → x6 → MatMul
    const chain: [string, string[], string[]][] = Array.from({ length: 6 }, (_, i) => ['Reshape', [`x${i}`], [`x${i + 1}`]] as [string, string[], string[]]);
    const h = graph([...chain, ['MatMul', ['x6', 'w'], ['out']]]);
    const o = { direction: 'forward' as const, through: RESHAPES, stopAt: isOp(h, 'MatMul') };
    assert.equal(walk(h, 'x0', o), 6);
    assert.equal(walk(h, 'x0', { ...o, maxSteps: 7 }), 6);
    assert.equal(walk(h, 'x0', { ...o, maxSteps: 3 }), null);
  });

  it('a test as `through`, and several start tensors', () => {
    assert.equal(walk(g, ['zzz', 'c'], { direction: 'back', through: (i) => g.nodes[i].opType !== 'Softmax', stopAt: isOp(g, 'MatMul') }), 0);
  });

  it('quantize ops: only their data path is followed, never the scale or zero point', () => {
    // DynamicQuantizeLinear(x) → (xq, scale, zp); MatMulInteger(xq, w) → m; Mul(scale, …) rescales.
    const h = graph([
      ['MatMul', ['in', 'w0'], ['x']],
      ['DynamicQuantizeLinear', ['x'], ['xq', 'scale', 'zp']],
      ['MatMulInteger', ['xq', 'wq', 'zp', 'wzp'], ['m']],
      ['Mul', ['scale', 'wscale'], ['k']],
    ]);
    const Q = new Set(['DynamicQuantizeLinear']);
    assert.equal(walk(h, 'xq', { direction: 'back', through: Q, stopAt: isOp(h, 'MatMul') }), 0, 'back through the data output');
    assert.equal(walk(h, 'scale', { direction: 'back', through: Q, stopAt: isOp(h, 'MatMul') }), null, 'not back through the scale');
    assert.deepEqual(walkAll(h, 'x', { direction: 'forward', through: Q, stopAt: (i) => ['MatMulInteger', 'Mul'].includes(h.nodes[i].opType) }), [2], 'forward along xq only, not scale → Mul');
  });
});
