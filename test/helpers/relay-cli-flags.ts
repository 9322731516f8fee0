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
