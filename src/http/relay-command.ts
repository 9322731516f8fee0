import type { Registration } from '../relay/workflow-registry';

/** Where the person puts the id of the device (or user) to install the workflow on. */
export const DEVICE_PLACEHOLDER = '<device id>';

/**
 * The `relay` CLI (`@relaypro/cli` 0.2.1) command that registers a workflow as its `registration`
 * suggests, as argv words after `relay`. Flags follow the CLI's manifest: `--name`, `--uri`,
 * `--trigger` (phrase text, or `single|double`, `POST`, `emergency`; none for nfc), one
 * `--arg k=v` / `--boolean k=true` / `--number k=5` per workflow arg, and `-i <device id>`.
 */
export function relayCommandWords(name: string, uri: string, registration: Registration): string[] {
  const { trigger } = registration;
  const words = [`workflow:create:${trigger.type}`, '--name', name, '--uri', uri];
  switch (trigger.type) {
    case 'phrase':
      words.push('--trigger', trigger.phrase);
      break;
    case 'button':
      words.push('--trigger', trigger.taps);
      break;
    case 'http':
      words.push('--trigger', 'POST');
      break;
    case 'event':
      words.push('--trigger', trigger.event);
      break;
    case 'nfc':
      break;
  }
  for (const [key, value] of Object.entries(registration.args ?? {})) {
    const flag = typeof value === 'boolean' ? '--boolean' : typeof value === 'number' ? '--number' : '--arg';
    words.push(flag, `${key}=${String(value)}`);
  }
  words.push('-i', DEVICE_PLACEHOLDER);
  return words;
}

/**
 * The same command as one line to paste into a POSIX shell: words with anything but safe
 * characters are single-quoted, so `?token=...` and the placeholders survive the shell.
 *
 * @example
 * relayCommand('hello', 'wss://demo.herokuapp.com/hello', registration)
 * // "relay workflow:create:phrase --name hello --uri wss://demo.herokuapp.com/hello --trigger hello --arg greeting=Hello -i '<device id>'"
 */
export function relayCommand(name: string, uri: string, registration: Registration): string {
  return ['relay', ...relayCommandWords(name, uri, registration)].map(shellQuote).join(' ');
}

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
