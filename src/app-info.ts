import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface AppInfo {
  name: string;
  version: string;
}

/** Name and version from the nearest package.json above this file (found from src/ and dist/ alike). */
export function readAppInfo(from = __dirname): AppInfo {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppInfo>;
      return { name: pkg.name ?? 'relay-workflows', version: pkg.version ?? '0.0.0' };
    }
    if (dirname(dir) === dir) return { name: 'relay-workflows', version: '0.0.0' };
  }
}
