/**
 * The Explain section of the classify panel: a class-specific occlusion or RISE map (forward passes
 * only) for any class, from the top-k or by name, drawn as batches finish, cancellable, with the
 * runs and the time taken. Same colour-scale rules as the attention maps: a perceptual colour map
 * over the map's own range, a colour bar with that range; positions not yet run are left clear.
 */
import { h } from '../shared/dom';
import { lut, colour, range } from '../../src/core/colormap';
import type { ClassifyView, ExplainRequest, HostMessage } from '../../src/shared/protocol';

type Explained = Extract<HostMessage, { type: 'explained' }>;

export interface ExplainSection {
  element: HTMLElement;
  show(m: Explained): void;
  failed(message: string): void;
}

export function explainView(v: ClassifyView, image: HTMLCanvasElement, send: (m: ExplainRequest | { type: 'cancelExplain' }) => void): ExplainSection {
  const method = h('select', { id: 'explain-method', 'aria-label': 'Explanation method' }, h('option', { value: 'occlusion' }, 'Occlusion sensitivity'), h('option', { value: 'rise' }, 'RISE (random masks)'), h('option', { value: 'drop' }, 'Token dropping (ViT)'));
  const cls = h('select', { id: 'explain-class', 'aria-label': 'Class to explain' }, ...v.top.map((t) => h('option', { value: String(t.index) }, `${t.label} (${t.index})`)), h('option', { value: 'name' }, 'Other class by name or index…'));
  const byName = h('input', { id: 'explain-name', type: 'text', placeholder: 'class name or index', 'aria-label': 'Class name or index', hidden: true });
  const num = (id: string, label: string, title: string) => h('input', { id, type: 'number', min: '1', step: '1', placeholder: 'default', 'aria-label': label, title, class: 'narrow' });
  const window = num('explain-window', 'Window (px)', 'P: the occluded square, in input pixels (default: the patch size for ViT, 32 px for Swin)');
  const stride = num('explain-stride', 'Stride (px)', 'S: how far the window moves (default: the window)');
  const masks = num('explain-masks', 'Masks', 'N random masks (default 1000)');
  const seed = h('input', { id: 'explain-seed', type: 'number', min: '0', step: '1', value: '0', 'aria-label': 'Seed', class: 'narrow' });
  // A label and its field wrap as one (at 694 px "Stride" was left at a line's end, its field on the next).
  const field = (id: string, label: string, input: HTMLElement) => h('span', { class: 'field' }, h('label', { for: id }, label), input);
  const occl = h('span', { class: 'explain-occlusion' }, field('explain-window', 'Window', window), ' ', field('explain-stride', 'Stride', stride));
  // Token dropping removes one patch token from the sequence per run: only ViT/DeiT graphs that take any sequence length allow it.
  const drop = h('span', { id: 'explain-drop-note', class: 'explain-drop muted', hidden: true }, 'One value per patch token, removed from the sequence (ViT/DeiT exported with a dynamic sequence length; Swin, hybrid and fixed-shape graphs: use occlusion).');
  const rise = h('span', { class: 'explain-rise', hidden: true }, field('explain-masks', 'Masks', masks), ' ', field('explain-seed', 'Seed', seed));
  const run = h('vscode-button' as 'button', { id: 'explain-run' }, 'Explain');
  const cancel = h('vscode-button' as 'button', { id: 'explain-cancel', secondary: true, hidden: true }, 'Cancel');
  const status = h('p', { id: 'explain-status', class: 'muted', role: 'status', 'aria-live': 'polite' }, '');
  const canvas = h('canvas', { id: 'explain-map', role: 'img', 'aria-label': 'Explanation map (none yet)' });
  const bar = h('canvas', { id: 'explain-colorbar', width: 256, height: 1, 'aria-hidden': 'true' });
  const lowLabel = h('span', { id: 'explain-low' }, '');
  const highLabel = h('span', { id: 'explain-high' }, '');
  const scale = h('div', { class: 'colorbar', role: 'img', id: 'explain-colorscale', hidden: true }, lowLabel, bar, highLabel);

  method.addEventListener('change', () => {
    occl.hidden = method.value !== 'occlusion';
    rise.hidden = method.value !== 'rise';
    drop.hidden = method.value !== 'drop';
  });
  cls.addEventListener('change', () => (byName.hidden = cls.value !== 'name'));
  const int = (el: HTMLInputElement) => (el.value.trim() === '' ? undefined : Math.round(Number(el.value)));
  const start = () => {
    const m: ExplainRequest = { type: 'explain', method: method.value as ExplainRequest['method'] };
    if (cls.value === 'name') {
      if (!byName.value.trim()) return void ((status.textContent = 'Type a class name or index.'), byName.focus());
      m.className = byName.value.trim();
    } else m.class = Number(cls.value);
    if (m.method === 'occlusion') Object.assign(m, { window: int(window), stride: int(stride) });
    else if (m.method === 'rise') Object.assign(m, { masks: int(masks), seed: int(seed) ?? 0 });
    status.textContent = 'Starting…';
    status.classList.remove('error');
    cancel.hidden = false;
    run.setAttribute('disabled', '');
    send(m);
  };
  run.addEventListener('click', start);
  byName.addEventListener('keydown', (e) => e.key === 'Enter' && start());
  cancel.addEventListener('click', () => send({ type: 'cancelExplain' }));

  const idle = () => {
    cancel.hidden = true;
    run.removeAttribute('disabled');
  };

  function draw(m: Explained): void {
    const size = image.width;
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    const [gh, gw] = m.grid;
    const [lo, hi] = range(m.map);
    const cells = document.createElement('canvas');
    cells.width = gw;
    cells.height = gh;
    const img = cells.getContext('2d')!.createImageData(gw, gh);
    colour(m.map, lut('viridis'), lo, hi, 255, img.data);
    for (let i = 0; i < m.map.length; i++) if (Number.isNaN(m.map[i])) img.data[i * 4 + 3] = 0; // not run yet
    cells.getContext('2d')!.putImageData(img, 0, 0);
    const px = size / m.inputSize;
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = 0.6;
    if ((m.method === 'occlusion' || m.method === 'drop') && m.window !== null && m.stride !== null) {
      // One cell of S px per window position, centred on its window.
      const off = ((m.window - m.stride) / 2) * px;
      ctx.drawImage(cells, off, off, gw * m.stride * px, gh * m.stride * px);
    } else ctx.drawImage(cells, 0, 0, gw * px, gh * px);
    ctx.globalAlpha = 1;
    const barImg = bar.getContext('2d')!.createImageData(256, 1);
    colour(Float32Array.from({ length: 256 }, (_, i) => i), lut('viridis'), 0, 255, 255, barImg.data);
    bar.getContext('2d')!.putImageData(barImg, 0, 0);
    lowLabel.textContent = lo.toPrecision(3);
    highLabel.textContent = hi.toPrecision(3);
    scale.hidden = false;
    scale.setAttribute('aria-label', `Colour scale (viridis) from ${lo.toPrecision(3)} to ${hi.toPrecision(3)}`);
    const what = m.method === 'drop' ? `token dropping: p(${m.label}) − p(${m.label} | patch token removed), ${gh}×${gw} patches of ${m.window}px` : m.method === 'occlusion' ? `occlusion: p(${m.label}) − p(${m.label} | window at the mean colour), ${gh}×${gw} positions of a ${m.window}px window, stride ${m.stride}px` : `RISE: the mask average weighted by p(${m.label}), per input pixel`;
    canvas.setAttribute('aria-label', `Explanation map, ${what}`);
    canvas.setAttribute('data-grid', `${gh}x${gw}`);
    canvas.setAttribute('data-done', String(m.done));
  }

  return {
    element: h(
      'section',
      { id: 'explain', 'aria-label': 'Explain a class' },
      h('h2', {}, 'Explain a class'),
      h('p', { class: 'muted' }, 'Which regions drive the chosen class, from forward passes only (any model, any provider).'),
      h('div', { class: 'toolbar' }, field('explain-method', 'Method', method), field('explain-class', 'Class', cls), byName),
      h('div', { class: 'toolbar' }, occl, rise, drop, run, cancel),
      status,
      h('div', { class: 'stack pixelated' }, canvas),
      scale,
    ),
    show(m) {
      draw(m);
      const time = `${m.ms < 10 ? m.ms.toFixed(1) : m.ms.toFixed(0)} ms`;
      status.textContent = m.partial
        ? `${m.done}/${m.total} runs…`
        : `${m.method === 'occlusion' ? 'Occlusion' : m.method === 'drop' ? 'Token dropping' : 'RISE'} for ${m.label} (class ${m.class}, p = ${m.prob.toFixed(4)}): ${m.runs} runs in ${time} on ${m.ep}.`;
      if (!m.partial) idle();
    },
    failed(message) {
      idle();
      status.textContent = message;
      status.classList.add('error');
    },
  };
}
