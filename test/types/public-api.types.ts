import { expectTypeOf } from 'expect-type';
import { Event, type RelayApp, type RelayCompatApi, type VarValue, type Workflow } from '../../src';

/**
 * Compile-time checks of the public types: `npm run typecheck` (tsc over test/) fails on a wrong
 * type. Jest does not run this file (it is no `.test.ts`), and nothing calls the function.
 */
export function publicApiTypes(workflow: Workflow, uri: string): void {
  workflow.on(Event.TIMER_FIRED, (event) => expectTypeOf(event.name).toEqualTypeOf<string>());
  workflow.on(Event.CALL_PROGRESSING, (event) => {
    expectTypeOf(event.call_id).toEqualTypeOf<string>();
    expectTypeOf(event.connect_time_epoch).toEqualTypeOf<number | undefined>();
  });
  workflow.on(Event.PROGRESS, (payload) => expectTypeOf(payload).toEqualTypeOf<Record<string, unknown>>());
  workflow.on(Event.NOTIFICATION, (event) =>
    expectTypeOf(event.notification_state.acknowledged).toEqualTypeOf<string[]>(),
  );
  workflow.on(Event.INTERACTION_ENDED, (event) => expectTypeOf(event.source_uri).toEqualTypeOf<string>());
  workflow.on('sms', (event) => expectTypeOf(event).toEqualTypeOf<{ id: string; event: string }>());
  workflow.on('some_future_event', (payload) => expectTypeOf(payload.anything).toEqualTypeOf<unknown>());
  // @ts-expect-error timer_fired carries a name, not text
  workflow.on(Event.TIMER_FIRED, ({ text }) => text);

  expectTypeOf(workflow.listen(uri, ['yes', 'no'])).resolves.toEqualTypeOf<{ text: string; lang: string }>();
  expectTypeOf(workflow.listen(uri, [], { transcribe: false })).resolves.toEqualTypeOf<{ audio: string }>();
  expectTypeOf(workflow.listen(uri)).resolves.toEqualTypeOf<{ text: string; lang: string }>();
  expectTypeOf(workflow.startInteraction(uri, 'no options')).resolves.toBeVoid();
  expectTypeOf(workflow.endInteraction(uri)).resolves.toBeVoid();
  expectTypeOf(workflow.get(['a', 'b'])).resolves.toEqualTypeOf<VarValue[]>();
  expectTypeOf(workflow.switchLedOn(uri, 16, 'ff0000')).resolves.toBeVoid();
  // @ts-expect-error there are 16 LEDs
  void workflow.switchLedOn(uri, 17, 'ff0000');
}

/** relay()'s api, typed as 2.4.0 apps use it: a mapped device, one target as a string. */
export function relayCompatApiTypes(app: RelayApp<RelayCompatApi>): void {
  expectTypeOf(app.api.fetchDevice('990007560012345'))
    .resolves.toHaveProperty('name')
    .toEqualTypeOf<string | undefined>();
  expectTypeOf(app.api.fetchDevice('990007560012345'))
    .resolves.toHaveProperty('raw')
    .toEqualTypeOf<Readonly<Record<string, unknown>>>();
  void app.api.triggerWorkflow('wf_hello', '990007560012345', { room: '12' });
}
