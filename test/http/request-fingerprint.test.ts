import { requestFingerprint } from '../../src/http/webhook';

const fingerprint = (body: unknown, url = '/hooks/thing', method = 'POST') => requestFingerprint({ method, url, body });

describe('requestFingerprint', () => {
  it('is the same for the same request whatever the order of its fields, at any depth', () => {
    expect(fingerprint({ a: 1, b: { c: [1, { d: 'x', e: null }] } })).toBe(
      fingerprint({ b: { c: [1, { e: null, d: 'x' }] }, a: 1 }),
    );
    expect(fingerprint({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs for another body, path, query or method', () => {
    const base = fingerprint({ a: [1, 2] });
    expect(
      new Set([
        base,
        fingerprint({ a: [2, 1] }),
        fingerprint({ a: [1, 2], b: 0 }),
        fingerprint({ a: '1,2' }),
        fingerprint({ a: [1, 2] }, '/hooks/other'),
        fingerprint({ a: [1, 2] }, '/hooks/thing?x=1'),
        fingerprint({ a: [1, 2] }, '/hooks/thing', 'PUT'),
        fingerprint(undefined),
      ]).size,
    ).toBe(8);
  });

  it('hashes a body nested deeper than JSON.stringify can go, and an own __proto__ field', () => {
    const deep: unknown = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(fingerprint(deep)).toMatch(/^[0-9a-f]{64}$/);
    const proto: unknown = JSON.parse('{"__proto__": {"x": 1}}');
    expect(fingerprint(proto)).not.toBe(fingerprint({}));
    expect(fingerprint(proto)).toBe(fingerprint(JSON.parse('{"__proto__": {"x": 1}}')));
  });
});
