import { CREATE_COMMANDS_1X } from './relay-cli-flags';

/** Splits a POSIX shell line into words: plain characters, backslash escapes and single-quoted parts. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close === -1) throw new Error(`unterminated quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if ('<>|&;$`"*?()'.includes(c)) {
      throw new Error(`unquoted shell character ${c} in ${line}`);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Parses a `relay workflow:create:*` line as relay CLI 1.x would (oclif: `--flag value`, `-c value`,
 * `--no-<flag>` where allowed), against its flags table; throws on anything the CLI would refuse.
 * Returns the flags seen (a boolean as `true`, or `false` for `--no-<flag>`).
 */
export function parseRelayCommand(line: string): { command: string; flags: Record<string, string[]> } {
  const [relay, command, ...rest] = shellWords(line);
  if (relay !== 'relay') throw new Error(`not a relay command: ${line}`);
  const spec = command === undefined ? undefined : CREATE_COMMANDS_1X[command];
  if (spec === undefined) throw new Error(`the relay CLI has no command ${command}`);
  const flags: Record<string, string[]> = {};
  while (rest.length > 0) {
    const word = rest.shift()!;
    const negated = word.startsWith('--no-') && spec[word.slice(5)]?.allowNo === true;
    const name = negated
      ? word.slice(5)
      : word.startsWith('--')
        ? word.slice(2)
        : Object.keys(spec).find((key) => word.length === 2 && word[0] === '-' && spec[key]!.char === word[1]);
    const flag = name === undefined ? undefined : spec[name];
    if (name === undefined || flag === undefined) throw new Error(`${command} has no flag ${word}`);
    const value = flag.type === 'boolean' ? String(!negated) : rest.shift();
    if (value === undefined || value.startsWith('-')) throw new Error(`${word} needs a value`);
    if (flag.options !== undefined && !flag.options.includes(value))
      throw new Error(`${word} must be one of ${flag.options.join('|')}, got ${value}`);
    if (['arg', 'boolean', 'number'].includes(name) && !/^[^=]+=.+$/.test(value))
      throw new Error(`${word} takes name=value, got ${value}`);
    if (name === 'boolean' && !/=(true|false)$/.test(value))
      throw new Error(`--boolean takes name=true|false, got ${value}`);
    if (name === 'number' && !/=-?\d+(\.\d+)?$/.test(value))
      throw new Error(`--number takes name=<number>, got ${value}`);
    if (flags[name] !== undefined && flag.multiple !== true) throw new Error(`${word} given twice`);
    (flags[name] ??= []).push(value);
  }
  for (const [name, flag] of Object.entries(spec)) {
    if (flag.required === true && flags[name] === undefined) throw new Error(`${command} needs --${name}`);
    const clash = flags[name] === undefined ? undefined : flag.exclusive?.find((other) => flags[other] !== undefined);
    if (clash !== undefined) throw new Error(`--${name} cannot be given with --${clash}`);
  }
  return { command: command!, flags };
}
