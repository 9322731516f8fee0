import { RelayApiError, RelayApiErrorCode, type RelayApiCall } from './relay-api-error';

/** What Relay's HTTP trigger takes: one definition for the client's checks and the simulated cloud's. */
export const RELAY_LIMITS = {
  /** Longest workflow or device id. */
  maxIdChars: 256,
  /** Most target devices in one trigger. */
  maxTargets: 1000,
  /** Most keys in a trigger's action_args. */
  maxArgs: 100,
  /** Longest action_args value. */
  maxArgChars: 16_384,
} as const;
const {
  maxIdChars: MAX_ID_CHARS,
  maxTargets: MAX_TARGETS,
  maxArgs: MAX_ARGS,
  maxArgChars: MAX_ARG_CHARS,
} = RELAY_LIMITS;

/** Throws ERR_RELAY_API_ARGUMENT unless the trigger's arguments are what Relay takes. */
export function checkTrigger(call: RelayApiCall, workflowId: unknown, targets: unknown, args: unknown): void {
  checkId(call, 'the workflow id (wf_..., as "relay workflow:create:http" printed it)', workflowId);
  if (targets !== undefined) {
    if (!Array.isArray(targets) || targets.length > MAX_TARGETS)
      fail(call, `targets must be an array of at most ${MAX_TARGETS} device ids`);
    for (const target of targets as unknown[]) checkId(call, 'each target device id', target);
  }
  if (args === undefined) return;
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    fail(call, 'args must be an object of string values');
  const entries = Object.entries(args);
  if (entries.length > MAX_ARGS) fail(call, `args may have at most ${MAX_ARGS} keys, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || value.length > MAX_ARG_CHARS) {
      fail(
        call,
        `args.${key.slice(0, 40)} must be a string of at most ${MAX_ARG_CHARS} characters (Relay's action_args take strings only; use String() or JSON.stringify)`,
      );
    }
  }
}

/** Throws ERR_RELAY_API_ARGUMENT unless `deviceId` is a non-empty string. */
export function checkDeviceId(call: RelayApiCall, deviceId: unknown): void {
  checkId(call, 'the device id', deviceId);
}

function checkId(call: RelayApiCall, what: string, id: unknown): void {
  if (typeof id !== 'string' || id.trim() === '' || id.length > MAX_ID_CHARS)
    fail(call, `${what} must be a non-empty string of at most ${MAX_ID_CHARS} characters`);
}

function fail(call: RelayApiCall, problem: string): never {
  throw new RelayApiError({ call, code: RelayApiErrorCode.ARGUMENT, message: `${call}: ${problem}` });
}
