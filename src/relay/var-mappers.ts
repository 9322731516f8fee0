/** Turns a workflow variable (always a string on the wire) into a value. */
export type Mapper<T> = (value: string) => T;

/** `'a,b'` → `['a', 'b']`, as 2.4.0's getArrayVar. */
export const arrayMapper: Mapper<string[]> = (value) => value.split(',');

/** `'1,2'` → `[1, 2]`, as 2.4.0's getNumberArrayVar. */
export const numberArrayMapper: Mapper<number[]> = (value) => arrayMapper(value).map(Number);

/** A whole number from a string of digits (or a number); NaN for anything else, as 2.4.0's filterInt. */
export function filterInt(value: unknown): number {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
  return /^[-+]?(\d+|Infinity)$/.test(text) ? Number(text) : NaN;
}
