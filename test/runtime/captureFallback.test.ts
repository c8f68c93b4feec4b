/**
 * The classify panel's attention tensors on demand (issue 22 item 6): the host asks the inference
 * process for the layers it kept, and where it kept them no more (restarted, or later captures
 * took their place) captures the same run again — the same tensors either way, from the real process.
 */
import '../unit/helpers/fakeVscode';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fillTensors, type Capture } from '../../src/extension/panels/classifyPanel';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { useRuntime } from './useRuntime';

describe('attention tensors on demand: kept, or captured again', function () {
  this.timeout(60_000);
  const client = useRuntime();
  const model = join(models, 'tiny_vit.onnx');
  const image = join(fixtures, 'images', 'disc.png');
  const again = { model, image, order: ['cpu'], withImage: false };

  async function shown(): Promise<Capture> {
    const r = await client.request('attention', { ...again, summary: true, keep: true });
    assert.ok(r.kept);
    assert.ok(r.layers.every((l) => l.data === null), 'the summary carries no tensors');
    return { model, label: 'disc.png', layers: r.layers.map((l) => ({ ...l })), captured: r.layers.map(() => true), kept: r.kept, again };
  }

  it('kept: the layers asked for come from the process, the others stay empty', async () => {
    const plain = await client.request('attention', again);
    const c = await shown();
    await fillTensors(c, [1], client);
    assert.equal(c.layers[0].data, null);
    assert.deepEqual(c.layers[1].data, plain.layers[1].data);
    assert.ok(c.kept, 'still kept');
  });

  it('no longer kept: the same run is captured again, every layer filled, the stale id dropped', async () => {
    const plain = await client.request('attention', again);
    const c = await shown();
    c.kept = `${c.kept}-evicted`; // an id the process no longer holds, as after a restart or eviction
    await fillTensors(c, [0, 1], client);
    c.layers.forEach((l, i) => assert.deepEqual(l.data, plain.layers[i].data, `layer ${i}`));
    assert.equal(c.kept, undefined);
  });

  it('after the process restarted (killed), the capture is made again', async () => {
    const plain = await client.request('attention', again);
    const c = await shown();
    client.kill();
    await fillTensors(c, [0, 1], client);
    c.layers.forEach((l, i) => assert.deepEqual(l.data, plain.layers[i].data, `layer ${i}`));
    assert.equal(c.kept, undefined);
  });
});
