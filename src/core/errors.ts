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

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && (e as Error).name === 'UserError';
}
