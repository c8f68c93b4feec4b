/**
 * The input checks of an image model, worded once: classify checks ONNX Runtime's input metadata,
 * attention capture the graph's declared input, and both refuse the same models the same way.
 */
import { UserError } from '../errors';

export interface ImageInputSpec {
  channels: 1 | 3;
  /** Declared height and width (null when symbolic). */
  height: number | null;
  width: number | null;
}

/**
 * `names`: every input of the model; `shape`: the image input's [batch, channels, height, width].
 * An unknown channel count is taken as 3 (RGB).
 */
export function checkImageInput(display: string, names: readonly string[], inputName: string, shape: readonly (number | string | null)[]): ImageInputSpec {
  if (names.length > 1) throw new UserError(`${display} has ${names.length} inputs (${names.join(', ')}); an image classifier has one.`);
  if (shape.length !== 4) throw new UserError(`${display}'s input "${inputName}" has shape [${shape.join(', ')}]; an image model takes [batch, channels, height, width].`);
  const [, c, h, w] = shape;
  const channels = typeof c === 'number' ? c : 3;
  if (channels !== 1 && channels !== 3) throw new UserError(`${display} takes ${channels}-channel input; only 1 (grey) or 3 (RGB) channels are supported.`);
  if (typeof h === 'number' && typeof w === 'number' && h !== w) throw new UserError(`${display} takes ${h}×${w} input; only square inputs are supported.`);
  return { channels, height: typeof h === 'number' ? h : null, width: typeof w === 'number' ? w : null };
}
