/** The message `action` throws, or `(no error)` when it throws nothing: tests compare exact messages. */
export function errorMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return '(no error)';
}
