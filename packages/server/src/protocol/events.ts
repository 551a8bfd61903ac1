/** Event-name rules shared by HTTP publishing and client events. */

/**
 * Returns a human-readable reason, or null when valid. Control characters are refused because event names travel
 * in SSE `event:` lines, where a newline would split the message.
 */
export function eventNameProblem(name: unknown, maxLength: number): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'event name must be a non-empty string';
  if (name.length > maxLength) return `event name is longer than ${maxLength} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'event name must not contain control characters';
  return null;
}
