/**
 * The `.env` check `npm start` runs before listening: keys this app does not read and lines that
 * are not `KEY=value` would otherwise be ignored without a word (config.ts reads the file itself).
 */
import { existsSync, readFileSync } from 'node:fs';
import { ENV_VARIABLES } from './config';

const DOTENV_KEY_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const MAX_NAME_CHARS = 60;

/**
 * Checks a `.env` file for what would otherwise be silently ignored: a key this app does not read
 * (not in {@link ENV_VARIABLES}, so `PROT=9090`), and a line that is not `KEY=value`. Returns one
 * warning per problem, naming the key and the closest known name, or the line's number (never
 * its text: it may hold a secret). Empty when the file is fine or missing. The caller prints them.
 *
 * @example
 * checkDotenv('.env') // ['.env: PROT is not a variable this app reads (did you mean PORT?); it is ignored']
 */
export function checkDotenv(path = '.env'): string[] {
  if (!existsSync(path)) return [];
  const known = Object.keys(ENV_VARIABLES);
  const warnings: string[] = [];
  let closingQuote: string | undefined;
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (closingQuote !== undefined) {
        // Inside a quoted value that spans lines: it ends at the line holding the closing quote.
        if (line.includes(closingQuote)) closingQuote = undefined;
        return;
      }
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const match = DOTENV_KEY_LINE.exec(line);
      if (match === null) {
        warnings.push(
          `${path} line ${index + 1} is not KEY=value; it is ignored (the line is not shown: it may hold a secret)`,
        );
        return;
      }
      const [, key = '', value = ''] = match;
      const quote = value[0];
      if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) closingQuote = quote;
      if (Object.hasOwn(ENV_VARIABLES, key)) return;
      const name = key.length > MAX_NAME_CHARS ? `${key.slice(0, MAX_NAME_CHARS)}…` : key;
      const closest = closestName(key, known);
      const hint = closest === undefined ? 'the ones it reads are listed in .env.example' : `did you mean ${closest}?`;
      warnings.push(`${path}: ${name} is not a variable this app reads (${hint}); it is ignored`);
    });
  return warnings;
}

/** The known name nearest to `key` by edit distance (a swap counts once), if near enough to be a typo. */
function closestName(key: string, known: readonly string[]): string | undefined {
  const upper = key.toUpperCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(upper, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}
