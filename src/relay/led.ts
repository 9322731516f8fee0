/** An LED: `ring` for all of them, or one of the 16 by number (1 is at the top). */
export type LedIndex =
  | 'ring'
  | 1
  | 2
  | 3
  | 4
  | 5
  | 6
  | 7
  | 8
  | 9
  | 10
  | 11
  | 12
  | 13
  | 14
  | 15
  | 16
  | `${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16}`;

/** The effects `wf_api_set_led_request` knows. */
export type LedEffect = 'off' | 'breathe' | 'flash' | 'rotate' | 'rainbow' | 'static';

/** The `args` of `wf_api_set_led_request`, sent as given. Colors are hex RGB such as `'00ff00'`. */
export interface LedInfo {
  rotations?: number;
  count?: number;
  duration?: number;
  repeat_delay?: number;
  pattern_repeats?: number;
  colors?: { [K in LedIndex]?: string };
}
