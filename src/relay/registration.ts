/**
 * How a workflow is meant to be registered with the `relay` CLI: declared next to its code, shown
 * on the status page as a ready-to-paste `relay workflow:create:<type>` command. The trigger types
 * and their options are the ones the CLI (`@relaypro/cli`) accepts.
 */
export type SuggestedTrigger =
  | { type: 'phrase'; /** Spoken to the Relay Assistant. */ phrase: string }
  | { type: 'button'; /** The CLI offers single and double taps. */ taps: 'single' | 'double' }
  | { type: 'http' }
  | { type: 'nfc' }
  | { type: 'event'; event: 'emergency' };

export interface Registration {
  /** One sentence on what the workflow does. */
  description: string;
  trigger: SuggestedTrigger;
  /** Registration args the workflow reads with `getVar`, with the values to suggest. */
  args?: Readonly<Record<string, string | number | boolean>>;
}
