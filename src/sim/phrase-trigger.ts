import type { SimulatedDevice } from './device';
import { isInstalledOn, type RegisteredWorkflow } from './registered-row';
import { SimulatorError, SimulatorErrorCode } from './wire';

/**
 * How the simulated cloud decides which registration a spoken phrase starts. Relay's own speech
 * matching is not documented; these rules are the simulator's, and docs/registration.md states
 * them:
 *
 * - Only rows with a phrase trigger (`on_phrases`, or CLI 0.2.x's `on_phrase`) installed on the
 *   speaking device are candidates.
 * - A phrase matches when it equals a registered phrase whole, after both are normalised the same
 *   way: Unicode NFKC, lower case, every run of characters that are neither letters nor digits
 *   (spaces, punctuation, apostrophes) made one space, and leading and trailing spaces dropped.
 *   So "Hello!" and "  hello " match `hello`, "Hi, there" matches `hi there`, "hello there" does
 *   not match `hello` (no partial or prefix match), and "helo" matches nothing.
 * - One matching row starts; no match, or more than one, starts nothing and is an error naming the
 *   phrases (or the rows) involved: which row real Relay would pick is not documented.
 */

/** The longest phrase the cloud will try to match, in characters (longer is refused). */
export const MAX_SPOKEN_CHARS = 1_000;

/** A phrase in the form that is compared (see the rules above). */
export function normalizePhrase(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A row a phrase matched, and the registered phrase it matched (sent in the start event). */
export interface PhraseMatch {
  row: RegisteredWorkflow;
  phrase: string;
}

/**
 * The rows among `installed` (the rows installed on the speaking device) whose phrases match
 * `spoken`, each with the first registered phrase it matched, in the rows' order.
 */
export function matchPhrase(installed: readonly RegisteredWorkflow[], spoken: string): PhraseMatch[] {
  const heard = normalizePhrase(spoken);
  if (heard === '') return [];
  const matches: PhraseMatch[] = [];
  for (const row of installed) {
    const phrase = row.phrases.find((candidate) => normalizePhrase(candidate) === heard);
    if (phrase !== undefined) matches.push({ row, phrase });
  }
  return matches;
}

/**
 * The one row that `phrase`, spoken on `device`, starts: among `rows` (the account's, oldest
 * first), those with a phrase trigger installed on the device (`groups`: the account's groups,
 * each a list of device names). Throws `sim-not-registered` naming the phrases installed on the
 * device when none matches, or naming the rows when more than one does.
 */
export function findPhraseRow(
  rows: readonly RegisteredWorkflow[],
  device: SimulatedDevice,
  groups: Readonly<Record<string, readonly string[]>>,
  phrase: string,
): PhraseMatch {
  const refuse = (message: string): never => {
    throw new SimulatorError(SimulatorErrorCode.NOT_REGISTERED, message);
  };
  if (phrase.length > MAX_SPOKEN_CHARS) refuse(`a phrase of more than ${MAX_SPOKEN_CHARS} characters matches nothing`);
  const on = `device ${device.name} (${device.id})`;
  const said = JSON.stringify(phrase.slice(0, 100));
  const installed = rows.filter((row) => row.phrases.length > 0 && isInstalledOn(row.install, device, groups));
  const matches = matchPhrase(installed, phrase);
  if (matches.length > 1) {
    const names = matches.map(({ row }) => `${row.name} (${row.workflowId})`).join(', ');
    refuse(
      `${said} matches ${matches.length} registrations installed on ${on}: ${names}; which one Relay would start is not documented, so the simulated cloud starts none: give them different phrases`,
    );
  }
  const [match] = matches;
  if (match !== undefined) return match;
  const phrases = [...new Set(installed.flatMap((row) => row.phrases.map((text) => JSON.stringify(text))))];
  return refuse(
    phrases.length === 0
      ? `nothing registered with a phrase is installed on ${on}, so ${said} starts nothing: npm run register (with RELAY_INSTALL=all or ${device.id}) registers the app's workflows`
      : `no registration installed on ${on} answers ${said}; its phrases: ${phrases.join(', ')} (the whole phrase must match; case, spaces and punctuation do not count)`,
  );
}
