/**
 * The workflow name a request URL asks for: the path without its query string, without leading
 * and trailing slashes, with `%xx` decoded. `/hello/?x=1` → `hello`, `/hello%20world` →
 * `hello world`. Undefined when the path cannot be decoded.
 */
export function workflowNameFromUrl(url: string): string | undefined {
  try {
    return decodeURIComponent(trimSlashes(pathOf(url)));
  } catch {
    return undefined;
  }
}

/** A request URL without its query string or fragment (which may hold the token: never log them). */
export function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** `//a/b/` → `a/b`. Registered names are trimmed the same way. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
