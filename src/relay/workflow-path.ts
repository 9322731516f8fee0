/**
 * The workflow name a request URL asks for: the path without its query string, without leading
 * and trailing slashes, with `%xx` decoded. `/hello/?x=1` → `hello`, `/hello%20world` →
 * `hello world`. Undefined when the path cannot be decoded.
 */
export function workflowNameFromUrl(url: string): string | undefined {
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  try {
    return decodeURIComponent(trimSlashes(path));
  } catch {
    return undefined;
  }
}

/** `//a/b/` → `a/b`. Registered names are trimmed the same way. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
