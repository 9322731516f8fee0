/**
 * How a workflow variable is written on the wire: always a string. Same rules as 2.4.0: numbers
 * as digits (`-0` kept), arrays joined with commas, plain objects as JSON, null and undefined as
 * the empty string.
 */
export function toVarString(value: unknown): string {
  return value === null || value === undefined ? '' : stringify(value);
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join(',');
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'symbol') return value.toString();
  if (isPlainObject(value)) return JSON.stringify(value);
  return String(value);
}

function isPlainObject(value: unknown): boolean {
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}
