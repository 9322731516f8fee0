/** What `placeCall` sends: the callee's URI (a device URN or a phone number). */
export interface PlaceCall {
  uri?: string;
  [key: string]: unknown;
}

/** SIP registration of `registerForCalls`. */
export interface RegisterRequest {
  uri?: string;
  password?: string;
  expires?: number;
}

export type UnregisterRequest = Omit<RegisterRequest, 'expires'>;

/** A call event, or anything else that carries the call's id. */
export interface CallIdCarrier {
  call_id: string;
}

/** `answerCall`/`hangupCall` take a call id or a call event; both become `{call_id}`. */
export function toCallIdRequest(call: string | CallIdCarrier): { call_id: string } {
  if (typeof call === 'string') return { call_id: call };
  if (typeof call === 'object' && call !== null && typeof call.call_id === 'string') return { call_id: call.call_id };
  throw new TypeError('missing required parameter: pass the call id, or the call event that carries call_id');
}
