/** The one way an unknown thrown value becomes a sentence for people: its message, or its text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
