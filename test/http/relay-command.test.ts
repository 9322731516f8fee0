import { relayCommand } from '../../src/http/status';
import type { Registration } from '../../src/relay/workflow-registry';
import { parseRelayCommand, shellWords } from '../helpers/parse-relay-command';

const URI = 'wss://demo-1234.herokuapp.com/w';

describe('relayCommand (checked against the relay CLI 0.2.1 flags)', () => {
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

  it('the checker refuses what the CLI refuses (so the tests above can fail)', () => {
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
