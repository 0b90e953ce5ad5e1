/** Small formatting helpers shared by the panels. */

/** "1 epoch", "3 epochs". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : many}`;
}

/** A duration for people: "45 s", "3 min", "1 h 20 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A number with `digits` decimals, or '–' when it is not finite. */
export function fixed(value: number | null | undefined, digits: number): string {
  return value !== null && value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '–';
}
