/**
 * A stand-in for the `vscode` module, just enough to construct a Panel outside VS Code (the
 * message-validation path only). Importing this file installs it: import it before the panel.
 */
import Module from 'node:module';

export const clipboard: string[] = [];
export const statusMessages: string[] = [];

interface FakeUri {
  path: string;
}
export const fakeVscode = {
  Uri: {
    joinPath: (u: FakeUri, ...parts: string[]): FakeUri => ({ path: [u.path, ...parts].join('/') }),
    file: (path: string): FakeUri => ({ path }),
  },
  ViewColumn: { One: 1, Two: 2, Beside: -2, Active: -1 },
  env: { clipboard: { writeText: async (t: string) => void clipboard.push(t) } },
  window: { setStatusBarMessage: (m: string) => (statusMessages.push(m), { dispose() {} }) },
};

const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = mod._load;
mod._load = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? fakeVscode : load.call(this, request, ...rest);
};
