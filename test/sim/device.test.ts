import { GroupDirectory } from '../../src/sim/device';
import { deviceUrn, groupUrn } from '../../src/sim/wire';

describe('the simulated group directory', () => {
  const directory = new GroupDirectory({ Security: ['Bob', 'Carol'] });

  it('lists the members of a group and answers is_member', () => {
    expect(directory.members(groupUrn('Security'))).toEqual([deviceUrn('Bob'), deviceUrn('Carol')]);
    expect(
      directory.answer('is_member', `${groupUrn('Security')}?device=${encodeURIComponent(deviceUrn('Bob'))}`),
    ).toEqual({ is_member: true });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'finds no group named %s (nothing inherited is a member list)',
    (name) => {
      expect(directory.members(groupUrn(name))).toEqual([]);
      expect(directory.devicesOf([groupUrn(name)])).toEqual([]);
    },
  );
});
