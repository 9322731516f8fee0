import { Uri as SdkUri } from '@relaypro/sdk';
import { Uri } from '../../src';

const INTERACTION =
  'urn:relay-resource:name:interaction:hello%20world?device=urn%3Arelay-resource%3Aname%3Adevice%3AJim%2520Bob';

describe('Uri', () => {
  it('builds the same URNs as 2.4.0', () => {
    for (const name of ['Alice', 'Jim Bob', "Ana's badge", 'a/b?c']) {
      expect(Uri.deviceName(name)).toBe(SdkUri.deviceName(name));
      expect(Uri.deviceId(name)).toBe(SdkUri.deviceId(name));
      expect(Uri.groupName(name)).toBe(SdkUri.groupName(name));
      expect(Uri.groupId(name)).toBe(SdkUri.groupId(name));
      expect(Uri.groupMember(name, 'Bob')).toBe(SdkUri.groupMember(name, 'Bob'));
      expect(Uri.allDevicesWithStatus(name, 'started')).toBe(SdkUri.allDevicesWithStatus(name, 'started'));
    }
    expect(Uri.allDevices()).toBe(SdkUri.allDevices());
    expect(Uri.genericOriginator()).toBe(SdkUri.genericOriginator());
    expect(() => Uri.deviceName('')).toThrow('invalid_relay_uri_id_or_name');
    expect(() => Uri.allDevicesWithStatus('x', '')).toThrow('invalid_status');
  });

  it('parses like 2.4.0 where 2.4.0 is right: names without reserved characters', () => {
    const uris = [
      'urn:relay-resource:name:device:Alice',
      'urn:relay-resource:id:device:990007',
      'urn:relay-resource:name:group:Security',
    ];
    for (const uri of uris) {
      for (const parser of ['parseDeviceName', 'parseDeviceId', 'parseGroupName', 'parseGroupId'] as const) {
        const sdk = attempt(() => SdkUri[parser](uri));
        expect({ parser, uri, result: attempt(() => Uri[parser](uri)) }).toEqual({ parser, uri, result: sdk });
      }
    }
  });

  it('percent-decodes what it parses (2.4.0 returned Jim%20Bob)', () => {
    expect(Uri.parseDeviceName('urn:relay-resource:name:device:Jim%20Bob')).toBe('Jim Bob');
    expect(SdkUri.parseDeviceName('urn:relay-resource:name:device:Jim%20Bob')).toBe('Jim%20Bob');
    expect(Uri.parseDeviceName(INTERACTION)).toBe('Jim Bob');
    expect(Uri.parseGroupName('urn:relay-resource:name:group:Security%20One')).toBe('Security One');
    expect(Uri.parseInteractionName(INTERACTION)).toBe('hello world');
    expect(Uri.parseDeviceName(Uri.deviceName("Ana's badge"))).toBe("Ana's badge");
  });

  it('rejects what is not the asked-for kind of URN', () => {
    expect(() => Uri.parseDeviceName('urn:relay-resource:id:device:1')).toThrow('invalid_relay_uri: name not provided');
    expect(() => Uri.parseDeviceId('urn:relay-resource:name:device:A')).toThrow('invalid_relay_uri: id not provided');
    expect(() => Uri.parseGroupName('urn:relay-resource:name:device:A')).toThrow('invalid_relay_uri');
    expect(() => Uri.parseDeviceName('urn:relay-resource:name:interaction:x')).toThrow('invalid_relay_uri');
    expect(() => Uri.parseDeviceName('not a urn')).toThrow('invalid_relay_uri');
    expect(() => Uri.parseDeviceName('urn:relay-resource:name:device:%E0%A4%A')).toThrow('invalid_relay_uri');
  });

  it('builds interaction URNs and recognises them (2.4.0 had no interactionName; its isInteractionUri returned undefined)', () => {
    expect(Uri.interactionName('hello world')).toBe('urn:relay-resource:name:interaction:hello%20world');
    expect(Uri.isInteractionUri(INTERACTION)).toBe(true);
    expect(Uri.isInteractionUri(Uri.interactionName('x'))).toBe(true);
    expect(Uri.isInteractionUri('urn:relay-resource:name:device:Alice')).toBe(false);
    expect(Uri.isInteractionUri(undefined)).toBe(false);
    expect(SdkUri.isInteractionUri(INTERACTION)).toBeUndefined();
  });

  it('checks targets as 2.4.0 does, with a message that says what a target is', () => {
    expect(Uri.isRelayUri('urn:relay-resource:name:device:A')).toBe(true);
    expect(Uri.isRelayUri('urn:relay-resource:name')).toBe(false);
    expect(Uri.makeTargetUris('urn:relay-resource:name:device:A')).toEqual({
      uris: ['urn:relay-resource:name:device:A'],
    });
    expect(Uri.assertTargets(['urn:relay-resource:name:device:A'])).toBe(true);
    expect(() => Uri.assertTargets(['nope'])).toThrow(
      /^invalid-target-uris: a target must be a urn:relay-resource: URN/,
    );
    expect(() => Uri.assertTargets('urn:relay-resource:name:device:A')).toThrow(/^invalid-target-uris/);
  });
});

function attempt(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    return { error: (error as Error).message };
  }
}
