import type { SimulationResult } from './simulation-records';

const MAX_NAMES = 8;
const MAX_NAME_CHARS = 60;

/**
 * Why a workflow may have ended without saying or playing anything, from what the simulator saw:
 * the registration args it read but was not given, and the requests the simulated Relay server
 * refused. Undefined when the workflow said something. Names come from the workflow's frames, so
 * each is truncated, and only the first few are listed.
 *
 * @example
 * explainSilentEnd(run)
 * // 'the workflow ended without saying anything; it read registration args it was not given: group, message (...)'
 */
export function explainSilentEnd(result: Pick<SimulationResult, 'says' | 'plays' | 'transcript'>): string | undefined {
  if (result.says.length > 0 || result.plays.length > 0) return undefined;
  const requests = new Map<unknown, string>();
  const unsetVars: string[] = [];
  const refusals: string[] = [];
  for (const { from, frame } of result.transcript) {
    if (from === 'workflow') {
      requests.set(
        frame._id,
        frame._type === 'wf_api_get_var_request'
          ? `get_var:${clip(frame.name)}`
          : clip(frame._type).replace(/^wf_api_|_request$/g, ''),
      );
      continue;
    }
    const request = requests.get(frame._id);
    if (request === undefined) continue;
    if (frame._type === 'wf_api_error_response')
      refusals.push(`${request.replace(/^get_var:.*/, 'get_var')} (${clip(frame.error)})`);
    else if (request.startsWith('get_var:') && !Object.hasOwn(frame, 'value'))
      unsetVars.push(request.slice('get_var:'.length));
  }
  const reasons: string[] = [];
  if (unsetVars.length > 0) {
    reasons.push(
      `it read registration args it was not given: ${list(unsetVars)} (give them with --arg name=value; an http trigger's own args are --trigger http --trigger-arg name=value)`,
    );
  }
  if (refusals.length > 0) reasons.push(`the simulated Relay server refused: ${list(refusals)}`);
  if (reasons.length === 0) reasons.push("the server's log says why (the workflow's own warnings are logged there)");
  return `the workflow ended without saying anything; ${reasons.join('; ')}`;
}

function clip(value: unknown): string {
  const text = String(value);
  return text.length > MAX_NAME_CHARS ? `${text.slice(0, MAX_NAME_CHARS)}…` : text;
}

function list(items: string[]): string {
  const unique = [...new Set(items)];
  const more = unique.length > MAX_NAMES ? ` and ${unique.length - MAX_NAMES} more` : '';
  return unique.slice(0, MAX_NAMES).join(', ') + more;
}
