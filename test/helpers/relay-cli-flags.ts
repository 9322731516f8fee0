/**
 * The `workflow:create:*` flags of the real `relay` CLI, copied from `oclif.manifest.json` of
 * `@relaypro/cli` 0.2.1 (`npm pack @relaypro/cli@0.2.1`) and `dist/lib/flags/index.js` (which
 * marks `install`, `arg`, `boolean` and `number` as repeatable; the manifest does not record it).
 * The CLI itself is not a dependency: it pulls in oclif 1 and an updater. `test:deploy` checks
 * this table against the published manifest.
 */
export interface FlagSpec {
  char?: string;
  type: 'option' | 'boolean';
  /** A boolean that also takes `--no-<name>` (oclif's `allowNo`). */
  allowNo?: boolean;
  /** Flags it cannot be given with (oclif's `exclusive`). */
  exclusive?: readonly string[];
  required?: boolean;
  multiple?: boolean;
  options?: readonly string[];
}

const common: Record<string, FlagSpec> = {
  install: { char: 'i', type: 'option', multiple: true },
  name: { char: 'n', type: 'option', required: true },
  uri: { char: 'u', type: 'option', required: true },
  transient: { char: 't', type: 'boolean' },
  hidden: { char: 'e', type: 'boolean' },
  absorb: { type: 'option', multiple: true, options: ['on_call_request', 'on_incoming_call'] },
  arg: { char: 'a', type: 'option', multiple: true },
  boolean: { char: 'b', type: 'option', multiple: true },
  number: { char: 'r', type: 'option', multiple: true },
};

export const RELAY_CLI_VERSION = '0.2.1';

export const CREATE_COMMANDS: Readonly<Record<string, Record<string, FlagSpec>>> = {
  'workflow:create:phrase': { ...common, trigger: { type: 'option', required: true } },
  'workflow:create:button': { ...common, trigger: { type: 'option', required: true, options: ['single', 'double'] } },
  'workflow:create:http': { ...common, trigger: { type: 'option', required: true, options: ['POST'] } },
  'workflow:create:nfc': { ...common },
  'workflow:create:event': { ...common, trigger: { type: 'option', required: true, options: ['emergency'] } },
};

/**
 * The same commands in relay CLI 1.x, which the status page's commands are written for. npm has
 * only 0.2.1, so this table is not checked against a published manifest: it is 0.2.1's with the
 * differences read in relaypro/relay-cli 1.10.2 (`src/lib/flags/index.ts`,
 * `src/commands/workflow/create/phrase.ts` and `nfc.ts`): `--trigger` of a phrase repeats (one
 * per phrase); `-A` / `--install-all` and `-G` / `--install-group` exclude each other and `-i`;
 * `--transient` takes `--no-transient`; `-N` / `--dry-run`; nfc takes `--category` and `--label`.
 */
const install1x: Record<string, FlagSpec> = {
  install: { char: 'i', type: 'option', multiple: true, exclusive: ['install-all', 'install-group'] },
  'install-all': { char: 'A', type: 'boolean', exclusive: ['install', 'install-group'] },
  'install-group': { char: 'G', type: 'option', exclusive: ['install', 'install-all'] },
  'dry-run': { char: 'N', type: 'boolean' },
  transient: { char: 't', type: 'boolean', allowNo: true },
};

export const RELAY_CLI_1X_VERSION = '1.10.2';

export const CREATE_COMMANDS_1X: Readonly<Record<string, Record<string, FlagSpec>>> = {
  'workflow:create:phrase': {
    ...common,
    ...install1x,
    trigger: { type: 'option', required: true, multiple: true },
  },
  'workflow:create:button': { ...CREATE_COMMANDS['workflow:create:button'], ...install1x },
  'workflow:create:http': { ...CREATE_COMMANDS['workflow:create:http'], ...install1x },
  'workflow:create:nfc': {
    ...CREATE_COMMANDS['workflow:create:nfc'],
    ...install1x,
    category: { char: 'c', type: 'option' },
    label: { char: 'l', type: 'option' },
  },
  'workflow:create:event': { ...CREATE_COMMANDS['workflow:create:event'], ...install1x },
};
