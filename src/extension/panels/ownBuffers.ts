/**
 * VS Code's webview postMessage sends each typed array's whole ArrayBuffer, not the view's bytes
 * (extHostWebview's serializeWebviewMessage wraps `view.buffer`). The inference process's replies
 * arrive over Node's IPC as views into one message buffer, so a 150 KB image or a 245 KB attention
 * summary posted as is took the 22 MB of every attention tensor along (issue 22 item 6). This
 * copies such views into buffers of their own; the rest of the message is shared, not copied.
 */
export function ownBuffers<T>(v: T): T {
  return own(v, new Map()) as T;
}

function own(v: unknown, seen: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  const done = seen.get(v);
  if (done !== undefined) return done;
  let out: unknown;
  if (ArrayBuffer.isView(v)) {
    const whole = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
    out = whole || !('slice' in v) ? v : (v as unknown as Uint8Array).slice();
  } else if (v instanceof ArrayBuffer) out = v;
  else if (Array.isArray(v)) {
    const a: unknown[] = [];
    seen.set(v, a);
    for (const x of v) a.push(own(x, seen));
    return a;
  } else if (Object.getPrototypeOf(v) === Object.prototype) {
    const o: Record<string, unknown> = {};
    seen.set(v, o);
    for (const [k, x] of Object.entries(v)) o[k] = own(x, seen);
    return o;
  } else out = v;
  seen.set(v, out);
  return out;
}
