/**
 * The step-through on Swin maps that are not whole windows (issue 19): timm rolls the H×W map and
 * then pads it (timm_B_padded), HF and torchvision pad and then roll (hf_B). The token's window, its
 * position in it and the window's tokens equal torch's own roll/pad/window_partition of the token
 * indices (reference.json's slots, tools/make_swin_checkpoint_fixtures.py), the attention row the
 * torch module's, and every check shown holds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceResult } from '../../src/core/trace/types';
import { fixture } from '../skip';
import { maxAbs } from '../unit/helpers/maxAbs';
import { fixtures } from '../unit/helpers/attentionReference';
import { useRuntime } from './useRuntime';

interface Reference { slots: number[][]; image: { file: string; attention: number[][] } }

/** Each block's window and shift (as test/runtime/checkpoint.test.ts has them). */
const plans: Record<string, { windows: number[]; shifts: number[] }> = {
  timm_B_padded: { windows: [4, 4, 4, 4, 3, 3], shifts: [0, 2, 0, 2, 0, 0] },
  hf_B: { windows: [4, 4, 4, 4, 4, 4], shifts: [0, 2, 0, 2, 0, 0] },
};

describe('trace: Swin windows on padded maps, as torch partitions them', function () {
  this.timeout(120_000);
  const client = useRuntime();

  for (const [name, plan] of Object.entries(plans)) {
    const dir = fixture(join(fixtures, 'checkpoints', 'swin', name));
    const ref = { ...(JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as Reference), ...plan };
    // blocks 1 and 3 are shifted (14×14 and 7×7 maps in 4×4 windows: 14 → 16 and 7 → 8 padded); tokens at the
    // edges the roll wraps, at the padding and inside
    const cases: [number, number, number][] = [[0, 0, 13], [1, 0, 0], [1, 1, 13], [1, 0, 195], [1, 1, 100], [1, 0, 5], [3, 1, 6], [3, 0, 48], [3, 1, 24], [2, 0, 44]];
    for (const [layer, head, token] of cases) {
      it(`${name} block ${layer} (shift ${ref.shifts[layer]}) head ${head} token ${token}: window, position and keys are torch's, the attention row too, every check holds`, async () => {
        const r: TraceResult = await client.request('trace', { model: dir, image: join(dir, ref.image.file), layer, head, token, order: ['cpu'] });
        const N = ref.windows[layer] ** 2;
        const slots = ref.slots[layer];
        assert.equal(r.shift, ref.shifts[layer]);
        assert.equal(slots[r.window! * N + r.position!], token, `torch's slot (window ${r.window}, position ${r.position}) holds token ${slots[r.window! * N + r.position!]}`);
        assert.deepEqual(r.keys, slots.slice(r.window! * N, (r.window! + 1) * N));
        const heads = ref.image.attention[layer].length / (slots.length * N);
        const at = ((r.window! * heads + head) * N + r.position!) * N;
        const d = maxAbs(r.tensors.weights, ref.image.attention[layer].slice(at, at + N));
        assert.ok(d <= 1e-5, `attention row max |Δ| ${d} from torch`);
        const bad = r.steps.filter((s) => s.check && !(s.check.maxAbsDiff <= 1e-4)).map((s) => `${s.id}: ${s.check!.maxAbsDiff.toExponential(2)}`);
        assert.deepEqual(bad, []);
        if (ref.shifts[layer]) {
          assert.ok(r.steps.some((s) => s.id === 'mask' && s.check), 'the mask is shown and checked');
          assert.match(r.steps.find((s) => s.id === 'cyclicShift')!.formula, name.startsWith('timm') ? /timm rolls before padding/ : /^torch\.roll\(x, \(−2, −2\)\): the map/);
        }
      });
    }

    it(`${name}: patch merging of the odd 7×7 map (padded with zeros to 8×8) names the group's real tokens, padding where it is, and checks the concatenation`, async () => {
      // before: token 20 (row 2, column 6) said "tokens 20, 27, 21, 28" (21 and 28 start the next rows) and 48
      // "48, 55, 49, 56" (tokens past the map); the concatenation, zeros included, was not recomputed
      for (const [token, group] of [[20, '20, 27, padding, padding'], [48, '48, padding, padding, padding'], [42, '42, padding, 43, padding'], [24, '16, 23, 17, 24']] as const) {
        const r: TraceResult = await client.request('trace', { model: dir, image: join(dir, ref.image.file), layer: 3, head: 0, token, order: ['cpu'] });
        const g = r.steps.find((s) => s.id === 'mergeGroup')!;
        assert.match(g.formula, new RegExp(`of tokens ${group}: 4C = 64`), `token ${token}`);
        if (group.includes('padding')) assert.match(g.formula, /the 7×7 map padded with zeros to 8×8/);
        assert.ok(g.check && g.check.maxAbsDiff === 0, `token ${token}: the concatenation recomputed (${g.checkUnavailable})`);
        assert.deepEqual(r.tensors.merge!.group.map((x) => x >= 0), group.split(', ').map((x) => x !== 'padding'));
        for (const id of ['mergeNorm', 'mergeReduction']) assert.ok(r.steps.find((s) => s.id === id)!.check!.maxAbsDiff <= 1e-4, id);
      }
    });
  }
});
