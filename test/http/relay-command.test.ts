import { relayCommand } from '../../src/http/status';
import type { Registration } from '../../src/relay/workflow-registry';
import { parseRelayCommand, shellWords } from '../helpers/parse-relay-command';
import { RELAY_CLI_1X_VERSION } from '../helpers/relay-cli-flags';

const URI = 'wss://demo-1234.herokuapp.com/w';

describe(`relayCommand (checked against the relay CLI ${RELAY_CLI_1X_VERSION} flags)`, () => {
  it.each<[string, Registration, Record<string, string[]>]>([
    [
      'phrase',
      { description: 'd', trigger: { type: 'phrase', phrases: ['page the desk'] } },
      { trigger: ['page the desk'] },
    ],
    ['button', { description: 'd', trigger: { type: 'button', taps: 'double' } }, { trigger: ['double'] }],
    ['http', { description: 'd', trigger: { type: 'http' } }, { trigger: ['POST'] }],
    ['nfc', { description: 'd', trigger: { type: 'nfc' } }, {}],
    ['event', { description: 'd', trigger: { type: 'event', event: 'emergency' } }, { trigger: ['emergency'] }],
  ])('builds workflow:create:%s with the flags the CLI accepts', (type, registration, trigger) => {
    const parsed = parseRelayCommand(relayCommand('w', URI, registration));
    expect(parsed).toEqual({
      command: `workflow:create:${type}`,
      flags: { name: ['w'], uri: [URI], ...trigger, install: ['<device id>'] },
    });
  });

  it('passes string, boolean and number args with --arg, --boolean and --number', () => {
    const registration: Registration = {
      description: 'd',
      trigger: { type: 'button', taps: 'single' },
      args: { greeting: "Hi, it's me", loud: true, repeats: 3 },
    };
    expect(parseRelayCommand(relayCommand('w', URI, registration)).flags).toMatchObject({
      arg: ["greeting=Hi, it's me"],
      boolean: ['loud=true'],
      number: ['repeats=3'],
    });
  });

  it('gives one --trigger per phrase, as relay CLI 1.x takes them', () => {
    const registration: Registration = {
      description: 'd',
      trigger: { type: 'phrase', phrases: ['page the desk', 'call the desk'] },
    };
    expect(parseRelayCommand(relayCommand('w', URI, registration)).flags.trigger).toEqual([
      'page the desk',
      'call the desk',
    ]);
  });

  it.each<[string, Parameters<typeof relayCommand>[3], Record<string, string[]>]>([
    ['RELAY_INSTALL unset: a placeholder', undefined, { install: ['<device id>'] }],
    ['all: -A', { type: 'all' }, { 'install-all': ['true'] }],
    ['group:<group>: -G <group>', { type: 'group', group: 'Floor 2' }, { 'install-group': ['Floor 2'] }],
    [
      'device ids: one -i each',
      { type: 'devices', devices: ['990007560012345', '990007560012346'] },
      { install: ['990007560012345', '990007560012346'] },
    ],
  ])('installs as RELAY_INSTALL says (%s)', (_what, install, flags) => {
    const registration: Registration = { description: 'd', trigger: { type: 'http' } };
    const parsed = parseRelayCommand(relayCommand('w', URI, registration, install)).flags;
    expect(parsed).toEqual({ name: ['w'], uri: [URI], trigger: ['POST'], ...flags });
  });

  it("uses the registration's own install over RELAY_INSTALL", () => {
    const registration: Registration = {
      description: 'd',
      trigger: { type: 'http' },
      install: { type: 'devices', devices: ['990007560012345'] },
    };
    expect(parseRelayCommand(relayCommand('w', URI, registration, { type: 'all' })).flags).toMatchObject({
      install: ['990007560012345'],
    });
    expect(
      parseRelayCommand(relayCommand('w', URI, registration, { type: 'all' })).flags['install-all'],
    ).toBeUndefined();
  });

  it('says --no-transient, --hidden, and the nfc category and label when the registration asks for them', () => {
    const registration: Registration = {
      description: 'd',
      trigger: { type: 'nfc', category: 'task', label: 'Dock 4' },
      transient: false,
      hidden: true,
    };
    expect(parseRelayCommand(relayCommand('w', URI, registration)).flags).toMatchObject({
      transient: ['false'],
      hidden: ['true'],
      category: ['task'],
      label: ['Dock 4'],
    });
  });

  it('the checker refuses what the CLI refuses (so the tests above can fail)', () => {
    expect(() => parseRelayCommand('relay workflow:create:http --name w --uri x --trigger POST -A -i d')).toThrow(
      'cannot be given with',
    );
    expect(() => parseRelayCommand('relay workflow:create:http --name w --uri x --trigger POST --no-hidden')).toThrow(
      'no flag --no-hidden',
    );
    expect(() => parseRelayCommand('relay workflow:create:http --name w --uri x --trigger POST -G')).toThrow(
      'needs a value',
    );
    expect(() => parseRelayCommand('relay workflow:create:phrase --name w --uri x')).toThrow('needs --trigger');
    expect(() => parseRelayCommand('relay workflow:create:button --name w --uri x --trigger triple')).toThrow(
      'one of single|double',
    );
    expect(() => parseRelayCommand('relay workflow:create:phrase --name w --uri x --trigger t --args a=b')).toThrow(
      'no flag --args',
    );
    expect(() => parseRelayCommand('relay workflow:create:phrase --name w --uri x --trigger t --arg ab')).toThrow(
      'name=value',
    );
    expect(() => parseRelayCommand('relay workflow:create:sms --name w --uri x')).toThrow('no command');
    expect(shellWords(`relay --arg 'a=it'\\''s <x>'`)).toEqual(['relay', '--arg', "a=it's <x>"]);
    expect(() => shellWords('relay --uri wss://x/h?token=<WORKFLOW_TOKEN>')).toThrow('unquoted shell character');
  });
});
