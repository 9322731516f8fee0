/** `['a=1', 'b=x=y']` → `{ a: '1', b: 'x=y' }`, or a message naming the bad entry. */
export function parsePairs(flag: string, entries: readonly string[]): Record<string, string> | string {
  // Null prototype: a key such as __proto__ is stored like any other.
  const result = Object.create(null) as Record<string, string>;
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at < 1) return `${flag} takes key=value, got ${JSON.stringify(entry)}`;
    result[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return result;
}

/** `--group` values: `['Floor 2=Bob,Cy']` → `{ 'Floor 2': ['Bob', 'Cy'] }`, or a message naming the bad entry. */
export function parseGroups(entries: readonly string[]): Record<string, string[]> | string {
  const pairs = parsePairs('--group', entries);
  if (typeof pairs === 'string') return pairs;
  const groups = Object.create(null) as Record<string, string[]>;
  for (const [name, members] of Object.entries(pairs)) groups[name] = members.split(',').filter(Boolean);
  return groups;
}
