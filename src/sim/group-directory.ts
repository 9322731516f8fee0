import { deviceOfUrn, deviceUrn, nameInUrn } from './relay-urns';

/**
 * The simulated account's groups: resolves group URNs to member device URNs and answers
 * `group_query` requests the way the Relay server does.
 */
export class GroupDirectory {
  constructor(private readonly groups: Readonly<Record<string, readonly string[]>> = {}) {}

  /** Device URNs of a group's members (empty for an unknown group). */
  members(groupUri: string): string[] {
    return this.namesIn(nameInUrn(groupUri, 'group')).map(deviceUrn);
  }

  /** The member names of a group; the name comes from the workflow, so `constructor` finds nothing. */
  private namesIn(group: string | undefined): readonly string[] {
    return group !== undefined && Object.hasOwn(this.groups, group) ? (this.groups[group] ?? []) : [];
  }

  /** Devices a target list reaches: groups expanded, devices kept, duplicates dropped. */
  devicesOf(targets: readonly string[]): string[] {
    const devices = targets.flatMap((target) =>
      nameInUrn(target, 'group') === undefined ? [deviceOfUrn(target) ?? target] : this.members(target),
    );
    return [...new Set(devices)];
  }

  /** The body of a `wf_api_group_query_response`. */
  answer(query: unknown, groupUri: string): Record<string, unknown> {
    if (query === 'is_member') {
      const device = deviceOfUrn(groupUri);
      const name = device === undefined ? undefined : nameInUrn(device, 'device');
      const groupName = nameInUrn(groupUri, 'group');
      return { is_member: name !== undefined && this.namesIn(groupName).includes(name) };
    }
    return { member_uris: this.members(groupUri) };
  }
}
