/**
 * An error the user caused and can fix (bad file, wrong model, missing labels).
 * The message says what to do. Everything else that is thrown is a bug.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly detail?: string) {
    super(message);
  }
}

/** Checks a size the user typed: a positive integer, or a UserError saying what to enter. */
export function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value) || value <= 0) {
    throw new UserError(`${what} must be a positive whole number, got ${String(value)}.`);
  }
  return value;
}

/**
 * A UserError's message with its detail (the raw words of a library or a server, e.g. the Hub's
 * X-Error-Message) after it when the message does not already carry them: what the CLI prints and
 * what the host writes to its log.
 */
export function userMessage(e: UserError): string {
  const d = e.detail?.trim();
  return d && !e.message.includes(d) ? `${e.message}\n  ${d.split('\n').join('\n  ')}` : e.message;
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && (e as Error).name === 'UserError';
}
